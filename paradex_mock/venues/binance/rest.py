"""Binance spot REST market data, ``/api/v3/...`` below the venue's root (``/binance``).

Every parameter is read the way Binance reads it: a mandatory one missing is -1102, a value of the
wrong form -1100, one out of range -1130, an unknown symbol -1121, an unknown interval -1120, and a
parameter the endpoint does not read -1104. Errors are HTTP 400 ``{"code": -11xx, "msg": ...}``.
"""
from __future__ import annotations

import bisect
import json
import re
from typing import List, Optional

from flask import Blueprint, Response, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import views
from .errors import BinanceError
from .markets import VENUE, key

bp = Blueprint("binance", __name__)

INT_RE = re.compile(r"^-?[0-9]{1,20}$")
WINDOW_RE = re.compile(r"^([1-9][0-9]?)([mhd])$")
WINDOW_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _excerpt(value: str) -> str:
    return value if len(value) <= 64 else value[:61] + "..."


class Params:
    """The request's query, read parameter by parameter; ``done()`` refuses what was not read."""

    def __init__(self):
        self.args = request.args
        self.read = set()
        for name in self.args:
            if len(self.args.getlist(name)) > 1:
                raise BinanceError(-1101, "Duplicate values for a parameter detected.")

    def str(self, name: str, required: bool = False) -> Optional[str]:
        self.read.add(name)
        value = self.args.get(name)
        if value is None or value == "":
            if required:
                raise BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
            return None
        return value

    def int(self, name: str, default: Optional[int] = None, lo: Optional[int] = None, hi: Optional[int] = None,
            required: bool = False) -> Optional[int]:
        raw = self.str(name, required)
        if raw is None:
            return default
        if not INT_RE.match(raw):
            raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
        value = int(raw)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")
        return value

    def done(self) -> None:
        extra = [n for n in self.args if n not in self.read]
        if extra:
            raise BinanceError(-1104, f"Not all sent parameters were read; read '{len(self.args) - len(extra)}' "
                                      f"parameter(s) but was sent '{len(self.args)}'.")


def _symbol(name: Optional[str]) -> str:
    """The engine key of a Binance symbol; -1121 if the venue does not list it."""
    e = ex()
    k = key(name.upper()) if name else ""
    m = e.markets.get(k)
    if m is None or m.venue != VENUE or name != name.upper():
        raise BinanceError(-1121, "Invalid symbol.")
    return k


def _symbols(raw: str) -> List[str]:
    """``symbols=["BTCUSDT","ETHUSDT"]`` (a JSON array, as Binance takes it)."""
    try:
        names = json.loads(raw)
    except ValueError:
        raise BinanceError(-1100, "Illegal characters found in parameter 'symbols'; legal range is "
                                  "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.") from None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise BinanceError(-1102, "Mandatory parameter 'symbols' was not sent, was empty/null, or malformed.")
    return [_symbol(n) for n in names]


def _one_or_many(p: Params) -> Optional[List[str]]:
    """``symbol`` or ``symbols`` (not both) -> keys; None for every symbol."""
    one, many = p.str("symbol"), p.str("symbols")
    if one is not None and many is not None:
        raise BinanceError(-1128, "Combination of optional parameters invalid.")
    if one is not None:
        return [_symbol(one)]
    if many is not None:
        return _symbols(many)
    return None


def _all_keys() -> List[str]:
    return [m.symbol for m in ex().markets.values() if m.venue == VENUE]


def _name(k: str) -> str:
    return ex().markets[k].name


# ------------------------------------------------------------------ general
@bp.get("/api/v3/ping")
def ping():
    Params().done()
    return json_response({})


@bp.get("/api/v3/time")
def server_time():
    Params().done()
    return json_response({"serverTime": ex().clock.now_ms()})


@bp.get("/api/v3/exchangeInfo")
def exchange_info():
    p = Params()
    wanted = _one_or_many(p)
    p.str("permissions")
    p.str("showPermissionSets")
    p.str("symbolStatus")
    p.done()
    e = ex()
    keys = wanted if wanted is not None else _all_keys()
    from .limits import RATE_LIMITS_INFO
    return json_response({"timezone": "UTC", "serverTime": e.clock.now_ms(), "rateLimits": RATE_LIMITS_INFO,
                          "exchangeFilters": [], "symbols": [symbol_info(e.markets[k].spec) for k in keys]})


def symbol_info(s: dict) -> dict:
    d8 = views.d8
    return {
        "symbol": s["symbol"], "status": "TRADING", "baseAsset": s["baseAsset"], "baseAssetPrecision": 8,
        "quoteAsset": s["quoteAsset"], "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                       "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True, "cancelReplaceAllowed": True, "amendAllowed": True,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": d8(s["minPrice"]), "maxPrice": d8(s["maxPrice"]),
             "tickSize": d8(s["tickSize"])},
            {"filterType": "LOT_SIZE", "minQty": d8(s["minQty"]), "maxQty": d8(s["maxQty"]),
             "stepSize": d8(s["stepSize"])},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": d8(0), "maxQty": d8(s["marketMaxQty"]), "stepSize": d8(0)},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
             "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
             "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": d8(s["minNotional"]), "applyMinToMarket": True,
             "maxNotional": d8(s["maxNotional"]), "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
    }


# ------------------------------------------------------------------ market data
@bp.get("/api/v3/depth")
def depth():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    limit = min(p.int("limit", 100, lo=1), 5000)
    p.done()
    return json_response(views.depth(ex().book_update(k, limit), limit))


def _seq(t) -> int:
    return t.seq


def _trades_tail(k: str, limit: int, from_id: Optional[int] = None):
    """The market's trades, oldest first: the last ``limit``, or ``limit`` from trade ``from_id``."""
    e = ex()
    with e.lock:
        trades = e.states[k].trades
        if from_id is None:
            return trades[-limit:]
        lo = bisect.bisect_left(trades, from_id, key=_seq)
        return trades[lo:lo + limit]


@bp.get("/api/v3/trades")
def trades():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    limit = p.int("limit", 500, lo=1, hi=1000)
    p.done()
    return json_response([views.trade(t) for t in _trades_tail(k, limit)])


@bp.get("/api/v3/historicalTrades")
def historical_trades():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    limit = p.int("limit", 500, lo=1, hi=1000)
    from_id = p.int("fromId", lo=0)
    p.done()
    return json_response([views.trade(t) for t in _trades_tail(k, limit, from_id)])


@bp.get("/api/v3/aggTrades")
def agg_trades():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    from_id = p.int("fromId", lo=0)
    start = p.int("startTime", lo=0)
    end = p.int("endTime", lo=0)
    limit = p.int("limit", 500, lo=1, hi=1000)
    p.done()
    if from_id is not None and (start is not None or end is not None):
        raise BinanceError(-1128, "Combination of optional parameters invalid.")
    if start is not None and end is not None and (end < start or end - start > 3_600_000):
        raise BinanceError(-1127, "More than 1 hours between startTime and endTime.") if end - start > 3_600_000 \
            else BinanceError(-1128, "Combination of optional parameters invalid.")
    if start is None and end is None:
        rows = _trades_tail(k, limit, from_id)
    else:
        rows = ex().trades_between(k, start, end)[::-1][:limit]    # oldest first from startTime
    return json_response([views.agg_trade(t) for t in rows])


def _interval(p: Params) -> str:
    raw = p.str("interval", required=True)
    if raw not in views.INTERVALS:
        raise BinanceError(-1120, "Invalid interval.")
    return raw


@bp.get("/api/v3/klines")
@bp.get("/api/v3/uiKlines")
def klines():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    interval = _interval(p)
    start = p.int("startTime", lo=0)
    end = p.int("endTime", lo=0)
    tz = p.str("timeZone")
    if tz not in (None, "0", "+0", "+00:00", "0:00", "00:00"):
        raise BinanceError(-1130, "Data sent for parameter 'timeZone' is not valid.")
    limit = p.int("limit", 500, lo=1, hi=1000)
    p.done()
    return Response(_klines_json(k, interval, start, end, limit), content_type="application/json")


KLINES_CACHE_MAX = 64


def _klines_json(k: str, interval: str, start, end, limit: int) -> str:
    """The klines' JSON text, built once per version of what it shows and reused until then:
    rendering 500 rows costs far more than the rest of the request. A version is the market's last
    trade (every trade changes a candle), the bucket now is in (a new bucket adds a row), the
    question asked, and the bus epoch (a reset or restore brings other candles)."""
    e = ex()
    state = current_app.extensions["paradex_mock"].venue_state[VENUE]
    with e.lock:
        iv = cdl.STANDARD[interval]
        version = (k, interval, start, end, limit, e.states[k].trade_seq, iv.start(e.clock.now_ms()), e.bus.epoch,
                   id(e.states[k]))   # a market listed anew is another
        hit = state.klines_cache.get(version)
        if hit is not None:
            return hit
        text = json.dumps([views.kline_row(r, interval) for r in candle_rows(k, interval, start, end, limit)],
                          separators=(",", ":"))
        if len(state.klines_cache) >= KLINES_CACHE_MAX:
            state.klines_cache.clear()
        state.klines_cache[version] = text
        return text


def candle_rows(k: str, interval: str, start: Optional[int], end: Optional[int], limit: int) -> list:
    """Binance's klines: every bucket from the first trade's on, flat where nothing traded, up to the
    one holding now (nothing opens later than now); ``startTime`` keeps buckets opening at or after it, ``endTime`` those opening at or
    before it; without ``startTime`` the last ``limit`` are returned."""
    e = ex()
    iv = cdl.STANDARD[interval]
    with e.lock:
        now = e.clock.now_ms()
        hi = min(end, now) if end is not None else now
        if start is not None:
            lo = start
        else:   # enough history for `limit` buckets back from hi
            lo = hi
            for _ in range(limit - 1):
                lo = iv.start(lo) - 1
            lo = iv.start(max(lo, 0))
        rows = e.candles(k, iv, lo, hi, fill_gaps=True)
    if start is not None:
        rows = [r for r in rows if r[0] >= start]
        return rows[:limit]
    return rows[-limit:]


@bp.get("/api/v3/avgPrice")
def avg_price():
    p = Params()
    k = _symbol(p.str("symbol", required=True))
    p.done()
    e = ex()
    now = e.clock.now_ms()
    w = e.window(k, now - 5 * 60_000, now)
    price = (w["quote_volume"] / w["volume"]) if w["volume"] else w["close"]
    return json_response({"mins": 5, "price": views.d8(price), "closeTime": now})


def _ticker_type(p: Params) -> bool:
    t = p.str("type") or "FULL"
    if t not in ("FULL", "MINI"):
        raise BinanceError(-1130, "Data sent for parameter 'type' is not valid.")
    return t == "FULL"


def _last_qty(e, k: str):
    trades = e.states[k].trades
    return trades[-1].size if trades else None


@bp.get("/api/v3/ticker/24hr")
def ticker_24hr():
    p = Params()
    wanted = _one_or_many(p)
    full = _ticker_type(p)
    p.done()
    e = ex()
    with e.lock:
        rows = [views.ticker_24hr(_name(k), e.stats(k), e.book_update(k, 1), _last_qty(e, k), e.states[k].trade_seq, full)
                for k in (wanted if wanted is not None else _all_keys())]
    return json_response(rows[0] if wanted is not None and p.args.get("symbol") else rows)


@bp.get("/api/v3/ticker/price")
def ticker_price():
    p = Params()
    wanted = _one_or_many(p)
    p.done()
    e = ex()
    with e.lock:
        rows = [{"symbol": _name(k), "price": views.d8(e.states[k].last_price)}
                for k in (wanted if wanted is not None else _all_keys())]
    return json_response(rows[0] if p.args.get("symbol") else rows)


@bp.get("/api/v3/ticker/bookTicker")
def ticker_book():
    p = Params()
    wanted = _one_or_many(p)
    p.done()
    e = ex()
    rows = [views.book_ticker(_name(k), e.book_update(k, 1)) for k in (wanted if wanted is not None else _all_keys())]
    return json_response(rows[0] if p.args.get("symbol") else rows)


@bp.get("/api/v3/ticker")
def ticker_window():
    p = Params()
    wanted = _one_or_many(p)
    raw = p.str("windowSize") or "1d"
    m = WINDOW_RE.match(raw)
    size = int(m.group(1)) if m else 0
    if not m or (m.group(2) == "m" and size > 59) or (m.group(2) == "h" and size > 23) or \
            (m.group(2) == "d" and size > 7):
        raise BinanceError(-1130, "Data sent for parameter 'windowSize' is not valid.")
    full = _ticker_type(p)
    p.done()
    if wanted is None:
        raise BinanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    e = ex()
    now = e.clock.now_ms()
    span = size * WINDOW_MS[m.group(2)]
    with e.lock:
        rows = [views.window_ticker(_name(k), e.window(k, now - span, now), e.states[k].trade_seq, full)
                for k in wanted]
    return json_response(rows[0] if p.args.get("symbol") else rows)
