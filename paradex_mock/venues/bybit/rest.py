"""Bybit v5 REST market data, ``/v5/market/...`` below the venue's root (``/bybit``).

Every answer is ``{"retCode", "retMsg", "result", "retExtInfo", "time"}`` with HTTP 200, refusals
too: retCode 10001 (params error) for a missing or illegal ``category``, a missing or unknown
symbol ("Not supported symbols"), a bad interval, a value out of its documented range. Bybit
ignores parameters an endpoint does not read, and so does the mock.
"""
from __future__ import annotations

import base64
import re
from typing import List, Optional

from flask import Blueprint, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import views
from .markets import CATEGORIES, VENUE, key

bp = Blueprint("bybit", __name__)

INT_RE = re.compile(r"^[0-9]{1,20}$")
OI_INTERVALS = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000, "1h": 3_600_000, "4h": 14_400_000,
                "1d": 86_400_000}


class BybitError(Exception):
    def __init__(self, code: int, msg: str):
        super().__init__(msg)
        self.code, self.msg = code, msg


def ex():
    return current_app.extensions["paradex_mock"].exchange


def ok(result) -> object:
    return json_response({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {},
                          "time": ex().clock.now_ms()})


def envelope(code: int, msg: str, now_ms: int) -> dict:
    return {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": now_ms}


@bp.errorhandler(BybitError)
def _refused(e: BybitError):
    return json_response(envelope(e.code, e.msg, ex().clock.now_ms()), 200)


def arg(name: str) -> Optional[str]:
    v = request.args.get(name)
    return None if v is None or v == "" else v


def int_arg(name: str, default: Optional[int] = None, lo: Optional[int] = None, hi: Optional[int] = None):
    raw = arg(name)
    if raw is None:
        return default
    if not INT_RE.match(raw):
        raise BybitError(10001, f"params error: {name} invalid")
    v = int(raw)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise BybitError(10001, f"params error: {name} invalid")
    return v


def category(allowed=CATEGORIES, default: Optional[str] = None) -> str:
    c = arg("category") or default
    if c is None or c not in ("spot", "linear", "inverse", "option"):
        raise BybitError(10001, "Illegal category")
    if c not in allowed:
        raise BybitError(10001, "Illegal category")
    return c


def market_of(cat: str, required: bool = True):
    name = arg("symbol")
    if name is None:
        if required:
            raise BybitError(10001, "params error: symbol invalid")
        return None
    m = ex().markets.get(key(cat, name))
    if m is None or m.venue != VENUE:
        raise BybitError(10001, "Not supported symbols")
    return m


def markets_in(cat: str) -> list:
    return [m for m in ex().markets.values() if m.venue == VENUE and m.spec.get("category") == cat]


# ------------------------------------------------------------------ general
@bp.get("/v5/market/time")
def server_time():
    now = ex().clock.now_ms()
    return ok({"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode().rstrip("=")


def _offset(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text.startswith("offset="):
            return int(text[7:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise BybitError(10001, "params error: cursor invalid")


@bp.get("/v5/market/instruments-info")
def instruments_info():
    cat = category()
    status = arg("status")
    if status is not None and status not in ("PreLaunch", "Trading", "Delivering", "Closed"):
        raise BybitError(10001, "params error: status invalid")
    base = arg("baseCoin")
    limit = int_arg("limit", 500, 1, 1000)
    rows = markets_in(cat)
    if arg("symbol") is not None:
        rows = [m for m in rows if m.name == arg("symbol")]
    if base is not None:
        rows = [m for m in rows if m.base == base]
    if status not in (None, "Trading"):
        rows = []
    result = {"category": cat, "list": [views.instrument(m.spec) for m in rows]}
    if cat != "spot":       # spot has no pages; linear does (cursor, limit)
        start = _offset(arg("cursor")) if arg("cursor") else 0
        page = result["list"][start:start + limit]
        result["list"] = page
        result["nextPageCursor"] = _cursor(start + limit) if start + limit < len(rows) else ""
    else:
        result["nextPageCursor"] = ""
    return ok(result)


# ------------------------------------------------------------------ candles
def _interval() -> str:
    raw = arg("interval")
    if raw is None or raw not in views.INTERVALS:
        raise BybitError(10001, "Invalid period!")
    return raw


def candle_rows(k: str, width: str, start: Optional[int], end: Optional[int], limit: int,
                price_kind: str = "last") -> list:
    """Rows opening in [start, end] (end defaults to now), at most ``limit``: with ``start`` and
    no ``end``, the first ``limit`` from ``start`` on (ccxt's ``since``); otherwise the last
    ``limit`` up to ``end``. Ascending here; the caller reverses (Bybit sends newest first)."""
    e = ex()
    iv = cdl.STANDARD[width]
    with e.lock:
        now = e.clock.now_ms()
        hi = min(end, now) if end is not None else now
        if start is not None:
            lo = start
        else:
            lo = hi
            for _ in range(limit - 1):
                lo = iv.start(lo) - 1
            lo = iv.start(max(lo, 0))
        if lo > hi:
            return []
        rows = e.candles(k, iv, lo, hi, price_kind=price_kind, fill_gaps=True)
    rows = [r for r in rows if (start is None or r[0] >= start) and r[0] <= hi]
    if start is not None and end is None:
        return rows[:limit]
    return rows[-limit:]


def _klines(allowed, price_kind: str, render):
    cat = category(allowed, default="linear")
    m = market_of(cat)
    interval = _interval()
    start = int_arg("start")
    end = int_arg("end")
    limit = int_arg("limit", 200, 1, 1000)
    rows = candle_rows(m.symbol, views.INTERVALS[interval], start, end, limit, price_kind)
    f = views.fmt(m)
    return ok({"category": cat, "symbol": m.name, "list": [render(f, r) for r in reversed(rows)]})


@bp.get("/v5/market/kline")
def kline():
    return _klines(("spot", "linear"), "last", views.kline_row)


@bp.get("/v5/market/mark-price-kline")
def mark_price_kline():
    return _klines(("linear",), "mark", views.price_kline_row)


@bp.get("/v5/market/index-price-kline")
def index_price_kline():
    return _klines(("linear",), "index", views.price_kline_row)


# ------------------------------------------------------------------ tickers, book, trades
def prev_1h(e, k: str):
    now = e.clock.now_ms()
    return e.window(k, now - views.HOUR_MS, now)["open"]


@bp.get("/v5/market/tickers")
def tickers():
    cat = category()
    m = market_of(cat, required=False)
    e = ex()
    rows = [m] if m is not None else markets_in(cat)
    with e.lock:
        out = [views.ticker(x, e.stats(x.symbol), e.book_update(x.symbol, 1),
                            prev_1h(e, x.symbol) if x.kind != "spot" else None) for x in rows]
    return ok({"category": cat, "list": out})


@bp.get("/v5/market/orderbook")
def orderbook():
    cat = category()
    m = market_of(cat)
    limit = int_arg("limit", 1 if cat == "spot" else 25, 1, 200 if cat == "spot" else 500)
    e = ex()
    with e.lock:
        book = e.book_update(m.symbol, limit)
        trades = e.states[m.symbol].trades
        cts = trades[-1].created_at if trades else book.last_updated_at
    return ok(views.orderbook(m, book, limit, cts))


@bp.get("/v5/market/recent-trade")
def recent_trade():
    cat = category()
    m = market_of(cat)
    limit = int_arg("limit", 60 if cat == "spot" else 500, 1, 60 if cat == "spot" else 1000)
    e = ex()
    with e.lock:
        rows = e.states[m.symbol].trades[-limit:]
    return ok({"category": cat, "list": [views.trade(m, t) for t in reversed(rows)]})


# ------------------------------------------------------------------ perpetuals
@bp.get("/v5/market/funding/history")
def funding_history():
    cat = category(("linear",))
    m = market_of(cat)
    start, end = int_arg("startTime"), int_arg("endTime")
    limit = int_arg("limit", 200, 1, 200)
    if start is not None and end is None:
        raise BybitError(10001, "params error: endTime is required when startTime is set")
    period = int(m.funding_period_hours) * views.HOUR_MS
    rows = [r for r in ex().funding_rows(m.symbol, start, end) if r.created_at % period == 0][:limit]
    return ok({"category": cat, "list": [{"symbol": m.name, "fundingRate": views.plain(r.funding_rate.quantize(
        views.Decimal("1e-8"))), "fundingRateTimestamp": str(r.created_at)} for r in rows]})


@bp.get("/v5/market/open-interest")
def open_interest():
    """The simulator holds a market's open interest at its configured level, so every bucket
    since the market's history begins carries that value (newest first, cursor pages)."""
    cat = category(("linear",))
    m = market_of(cat)
    raw = arg("intervalTime")
    if raw not in OI_INTERVALS:
        raise BybitError(10001, "params error: intervalTime invalid")
    start, end = int_arg("startTime"), int_arg("endTime")
    limit = int_arg("limit", 50, 1, 200)
    e = ex()
    step = OI_INTERVALS[raw]
    with e.lock:
        now = e.clock.now_ms()
        first = e.funding_rows(m.symbol, None, None)
        origin = first[-1].created_at if first else now
        oi = e.states[m.symbol].open_interest
    t = min(end if end is not None else now, now)
    t -= t % step
    skip = _offset(arg("cursor")) if arg("cursor") else 0
    out: List[dict] = []
    i = 0
    while t >= max(origin, start or 0) and len(out) < limit:
        if i >= skip:
            out.append({"openInterest": views.fmt(m).sz(oi), "timestamp": str(t)})
        i += 1
        t -= step
    more = t >= max(origin, start or 0)
    return ok({"symbol": m.name, "category": cat, "list": out, "nextPageCursor": _cursor(skip + limit) if more else ""})
