"""Algo orders (TWAP): ``/v1/algo/orders``. A TWAP splits its size into MARKET child orders, one
every 30 seconds of exchange time over ``duration_seconds`` (30 to 86 400, a multiple of 30), as
Paradex's docs describe; the children are ordinary orders (``GET /orders-history``, the
``orders`` channel)."""
from flask import Blueprint, current_app

from . import views
from ...engine.errors import ExchangeError
from ...engine.numbers import to_decimal
from ...http.errors import json_response
from .identity import current_account, verify_order_signature
from .markets import is_paradex
from .params import int_arg, paginate, str_arg
from .request_body import json_body

bp = Blueprint("algos", __name__)

TWAP_INTERVAL_S = 30
TWAP_MAX_S = 86_400


def ex():
    return current_app.extensions["paradex_mock"].exchange


@bp.post("/v1/algo/orders")
def create_algo():
    e = ex()
    addr = current_account()
    body = json_body()
    if body.get("algo_type") != "TWAP":
        raise ExchangeError("VALIDATION_ERROR", f"invalid algo_type {body.get('algo_type')!r}: TWAP is supported")
    if body.get("type", "MARKET") != "MARKET":
        raise ExchangeError("VALIDATION_ERROR", "TWAP sub orders are MARKET orders")
    market = body.get("market")
    if not isinstance(market, str) or not is_paradex(e, market):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {market!r} not found")
    side = body.get("side")
    if side not in ("BUY", "SELL"):
        raise ExchangeError("VALIDATION_ERROR", f"invalid side {side!r}: must be BUY or SELL")
    duration = body.get("duration_seconds")
    if not isinstance(duration, int) or isinstance(duration, bool) or not TWAP_INTERVAL_S <= duration <= TWAP_MAX_S \
            or duration % TWAP_INTERVAL_S:
        raise ExchangeError("VALIDATION_ERROR", "duration_seconds must be 30 to 86400, a multiple of 30")
    try:
        size = to_decimal(body.get("size"))
    except ValueError:
        raise ExchangeError("INVALID_ORDER_SIZE", f"invalid size {body.get('size')!r}") from None
    if size <= 0:
        raise ExchangeError("INVALID_ORDER_SIZE", "size must be positive")
    verify_order_signature(addr, dict(body, type="MARKET", price="0"))
    algo = e.submit_twap(addr, market, side, size, duration, TWAP_INTERVAL_S)
    with e.lock:
        return json_response(views.algo(algo), 201)


@bp.get("/v1/algo/orders")
def open_algos():
    e = ex()
    addr = current_account()
    with e.lock:
        rows = [views.algo(a) for a in e.account(addr).algos.values() if a.status != "CLOSED"]
    return json_response({"results": rows})


@bp.get("/v1/algo/orders-history")
def algos_history():
    e = ex()
    addr = current_account()
    sym = str_arg("market")
    status = str_arg("status", choices=("NEW", "OPEN", "CLOSED"))
    # the spec's other filters: checked (a TWAP's children are MARKET orders, its side its own)
    side = str_arg("side", choices=("BUY", "SELL"))
    str_arg("type", choices=("LIMIT", "MARKET", "STOP_LIMIT", "STOP_MARKET", "STOP_LOSS_LIMIT", "STOP_LOSS_MARKET",
                             "TAKE_PROFIT_LIMIT", "TAKE_PROFIT_MARKET"))
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        rows = [a for a in reversed(list(e.account(addr).algos.values()))
                if (side is None or a.side == side) and (start is None or a.created_at >= start)
                and (end is None or a.created_at <= end)
                if (sym is None or a.market == sym) and (status is None or a.status == status)]
        return json_response(paginate(rows, lambda a: [a.created_at, a.id], views.algo))


@bp.get("/v1/algo/orders/<algo_id>")
def get_algo(algo_id):
    e = ex()
    addr = current_account()
    with e.lock:
        a = e.account(addr).algos.get(algo_id)
        if a is None:
            raise ExchangeError("ALGO_ID_NOT_FOUND", f"algo order {algo_id} not found", 404)
        return json_response(views.algo(a))


@bp.delete("/v1/algo/orders/<algo_id>")
def cancel_algo(algo_id):
    ex().cancel_algo(current_account(), algo_id)
    return "", 204
