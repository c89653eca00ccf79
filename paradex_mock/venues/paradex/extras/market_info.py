"""Market and system information beside the public API's core: markets' listing history and
settlement prices, the interactive book and BBO, impact prices, announcements, Paradex's
portfolio-margin parameters, points data and the fee tiers. Nothing here keeps state."""
from __future__ import annotations

from decimal import Decimal

from flask import Response

from .. import views
from ....engine.errors import ExchangeError
from ....engine.numbers import fmt, to_decimal
from ....http.errors import json_response
from ..identity import current_account
from ..markets import is_paradex, paradex_markets
from ..params import int_arg, paginate, str_arg
from ..public import _book_json
from .common import ex, known_market, private_bp, public_bp


@public_bp.get("/v1/markets/history")
def markets_history():
    """Listing events: every market listed when the exchange started."""
    e = ex()
    return json_response({"results": [{"market": m.symbol, "event": "LISTED", "created_at": e.started_at}
                                      for m in paradex_markets(e)]})


@public_bp.get("/v1/markets/settlement-price")
def settlement_price():
    sym = str_arg("market", required=True)
    e = ex()
    if not is_paradex(e, sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {sym!r} not found", 404)
    raise ExchangeError("MARKET_NOT_SETTLED", f"{sym} is a perpetual: it has no settlement price", 404)


@public_bp.get("/v1/orderbook/<market>/interactive")
def orderbook_interactive(market):
    depth = int_arg("depth", 20, 1, 1000)
    return Response(_book_json(ex(), known_market(market), depth), content_type="application/json")


@public_bp.get("/v1/bbo/<market>/interactive")
def bbo_interactive(market):
    e = ex()
    return json_response(views.bbo(e.book_update(known_market(market), 1)))


@public_bp.get("/v1/orderbook/<market>/impact-price")
def impact_price(market):
    """The average price of a market order of ``size`` against the book now."""
    e = ex()
    known_market(market)
    raw = str_arg("size", required=True)
    side = str_arg("side", choices=("BUY", "SELL")) or "BUY"
    try:
        size = to_decimal(raw)
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", f"invalid size {raw!r}") from None
    if size <= 0:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "size must be positive")
    u = e.book_update(market)
    levels = u.asks if side == "BUY" else u.bids
    left, notional = size, Decimal(0)
    for price, qty in levels:
        take = min(left, qty)
        notional += take * price
        left -= take
        if left <= 0:
            break
    if left > 0:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "size exceeds the book's depth")
    return json_response({"market": market, "side": side, "size": fmt(size),
                          "impact_price": views.q8(notional / size)})


@public_bp.get("/v1/system/announcements")
def announcements():
    int_arg("start_at", lo=0)
    int_arg("end_at", lo=0)
    return json_response(paginate([], lambda a: [a["visible_at"]]))


# Paradex docs, Risk -> Portfolio Margin: the 24 SCAN scenarios (spot shock, vol shock, weight),
# vega power 30% under 30 days to expiry and 13% from 30, a 1-day DTE floor, the minimum delta
# requirement (2% of net delta, 1% of hedged delta), MMR at 50% of the net requirement and a
# funding provision over the next 8 hours. min_vol_shock_up is the spec's example value.
PM_SCENARIOS = [(0.16, 0.4, 1), (0.12, 0.4, 1), (0.12, -0.22, 1), (0.08, 0.4, 1), (0.08, -0.22, 1),
                (0.04, 0.4, 1), (0.04, -0.22, 1), (0, 0.4, 1), (0, -0.22, 1), (-0.04, 0.4, 1),
                (-0.04, -0.22, 1), (-0.08, 0.4, 1), (-0.08, -0.22, 1), (-0.12, 0.4, 1), (-0.12, -0.22, 1),
                (-0.16, 0.4, 1), (-0.66, 0.4, 0.24), (-0.33, 0.4, 0.48), (0.5, 0.4, 0.32), (1, 0.4, 0.16),
                (2, 0.4, 0.08), (3, 0.4, 0.0533), (4, 0.4, 0.04), (5, 0.4, 0.032)]


def _pm_params(base: str) -> dict:
    return {"base_asset": base, "funding_provision_hour": 8, "hedged_margin_factor": 0.01,
            "unhedged_margin_factor": 0.02, "mmf_factor": 0.5,
            "scenarios": [{"spot_shock": s, "vol_shock": v, "weight": w} for s, v, w in PM_SCENARIOS],
            "vol_shock_params": {"dte_floor_days": 1, "min_vol_shock_up": 0.4, "vega_power_long_dte": 0.13,
                                 "vega_power_short_dte": 0.3}}


@public_bp.get("/v1/system/portfolio-margin-config")
def portfolio_margin_config():
    """Paradex's published portfolio margin parameters, one entry per base asset listed here (the
    mock margins every account cross, so they are information only)."""
    bases = list(dict.fromkeys(m.base for m in paradex_markets(ex()) if m.base))
    want = str_arg("base_asset")
    if want is not None:
        bases = [b for b in bases if b == want.upper()]
        if not bases:
            raise ExchangeError("PORTFOLIO_MARGIN_CONFIG_NOT_FOUND",
                                f"no portfolio margin config for base asset {want!r}", 404)
    return json_response({"results": [_pm_params(b) for b in bases]})


@private_bp.get("/v1/points_data/<market>/<program>")
def points_data(market, program):
    """Not in Paradex's OpenAPI spec (XP replaced points), but paradex-py 0.8.2's
    ``fetch_points_data`` still calls it: the mock answers as a program with nothing accrued."""
    current_account()
    known_market(market)
    return json_response({"results": []})


@public_bp.get("/v1/system/volume-tiers")
def volume_tiers():
    """The fee tier the fixtures' markets charge (one tier: the mock has no volume discounts)."""
    e = ex()
    m = paradex_markets(e)[0]
    return json_response({"results": [{"tier_name": "Tier 1", "kind": "STANDARD", "sort_order": 1,
                                       "min_volume": "0", "min_volume_duration": "30d", "nft_min_volume": "0",
                                       "fee_rates": {"maker": fmt(m.maker_fee), "taker": fmt(m.taker_fee)}}]})
