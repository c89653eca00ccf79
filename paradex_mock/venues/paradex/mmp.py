"""Market maker protection routes (Paradex docs: Trading -> Market Maker Protections, and the
API's "Market Maker Protection" group, which the bundled OpenAPI file predates):

  GET    /v1/account/mmp[?base_asset=BTC]   the account's configs with their live state
  POST   /v1/account/mmp/{base_asset}       set (replace) the config of a base asset
  DELETE /v1/account/mmp/{base_asset}       remove it; its open MMP orders close (MMP_DISABLED)
  POST   /v1/account/mmp/reset              lift a freeze and clear the window ({"base_asset"}: one)

Orders opt in with the ``MMP`` flag; the engine (``engine/mmp.py``) counts their maker fills
and trips. MMP is whitelisted on the real venue; here every account has it (``enabled``: true).
The bodies are paradex-py 0.8.2's models (``MmpConfig``, ``AccountMmpConfigs``,
``AccountMmpReset``): the bundled OpenAPI file has no MMP schemas, and the client is the contract.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app

from . import views
from ...engine.errors import ExchangeError, excerpt
from ...http.errors import json_response
from .identity import current_account
from .markets import paradex_markets
from .params import str_arg
from .request_body import json_body

bp = Blueprint("mmp", __name__)

MAX_MS = 3_600_000          # the docs' bounds: interval 100 ms to 1 h, freeze 0 (until reset) to 1 h
MIN_INTERVAL_MS = 100
LIMIT_PLACES = 4            # limits have up to 4 decimal places


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _base(base_asset: str) -> str:
    """A base asset with perpetual (or dated option) markets on Paradex."""
    bases = {m.base for m in paradex_markets(ex()) if m.is_perpetual}
    if base_asset not in bases:
        raise ExchangeError("VALIDATION_ERROR", f"invalid base_asset {excerpt(base_asset)}: "
                            f"one of {', '.join(sorted(bases))}")
    return base_asset


def _ms(body: dict, name: str, lo: int) -> int:
    v = body.get(name)
    if v is None:
        raise ExchangeError("VALIDATION_ERROR", f"{name} is required")
    if isinstance(v, bool) or not isinstance(v, int):
        raise ExchangeError("BINDING_ERROR", f"{name} must be an integer (milliseconds)")
    if not lo <= v <= MAX_MS:
        raise ExchangeError("VALIDATION_ERROR", f"{name} must be from {lo} to {MAX_MS}")
    return v


def _limit(body: dict, name: str) -> Decimal:
    v = body.get(name)
    if v is None or v == "":
        return Decimal(0)            # omitted: the check is off
    if not isinstance(v, str):
        raise ExchangeError("BINDING_ERROR", f"{name} must be a decimal string")
    try:
        d = Decimal(v)
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or d < 0:
        raise ExchangeError("VALIDATION_ERROR", f"invalid {name} {excerpt(v)}: a non-negative decimal")
    if d and -d.normalize().as_tuple().exponent > LIMIT_PLACES:
        raise ExchangeError("VALIDATION_ERROR", f"invalid {name} {excerpt(v)}: at most {LIMIT_PLACES} decimal places")
    return d


@bp.get("/v1/account/mmp")
def list_mmp():
    addr = current_account()
    base = str_arg("base_asset")
    e = ex()
    with e.lock:
        states = e.mmp_states(addr, base)
        return json_response({"account": e.account(addr).address, "enabled": True,
                              "results": [views.mmp_config(s) for s in states]})


@bp.post("/v1/account/mmp/reset")
def reset_mmp():
    addr = current_account()
    body = json_body(expect=None)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ExchangeError("BINDING_ERROR", "request body must be a JSON object")
    base = body.get("base_asset")
    if base is not None and not isinstance(base, str):
        raise ExchangeError("BINDING_ERROR", "base_asset must be a string")
    e = ex()
    with e.lock:
        done = e.reset_mmp(addr, _base(base) if base else None)
        now = e.clock.now_ms()
        return json_response({"results": [{"base_asset": s.base, "reset_at": now}
                                          for s in sorted(done, key=lambda s: s.base)]})


@bp.post("/v1/account/mmp/<base_asset>")
def set_mmp(base_asset):
    addr = current_account()
    base = _base(base_asset)
    body = json_body()
    interval = _ms(body, "interval_ms", MIN_INTERVAL_MS)
    frozen = _ms(body, "frozen_time_ms", 0)
    size, delta, vega = (_limit(body, k) for k in ("size_limit", "delta_limit", "vega_limit"))
    protect = body.get("protect_block_trades")
    if protect is not None and not isinstance(protect, bool):
        raise ExchangeError("BINDING_ERROR", "protect_block_trades must be true or false")
    if size == 0 and delta == 0:
        # vega counts dated option fills only, and there are none here: it cannot stand alone
        raise ExchangeError("VALIDATION_ERROR", "at least one of size_limit and delta_limit must be above 0"
                            if vega == 0 else f"vega_limit alone protects nothing: {base} has no dated options")
    st = ex().set_mmp(addr, base, interval, frozen, size, delta, vega, protect)
    return json_response(views.mmp_config(st))


@bp.delete("/v1/account/mmp/<base_asset>")
def delete_mmp(base_asset):
    addr = current_account()
    ex().remove_mmp(addr, _base(base_asset))
    return "", 204
