"""OKX v5 REST market data below the venue's root (``/okx``): ``/api/v5/public/...`` and
``/api/v5/market/...``.

Every answer is ``{"code": "0", "msg": "", "data": [...]}``. Refusals use OKX's codes and HTTP
statuses: 50014 (a required parameter missing, HTTP 400), 51000 (a parameter's value is wrong,
HTTP 400), 51001 (no such instrument, HTTP 200). OKX ignores parameters an endpoint does not
read, and so does the mock.
"""
from __future__ import annotations

import re
from typing import List, Optional

from flask import Blueprint, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import views
from .markets import VENUE, key

bp = Blueprint("okx", __name__)

INT_RE = re.compile(r"^[0-9]{1,20}$")
CANDLES_KEPT = 1440          # /market/candles serves the latest 1,440 bars; history-candles the rest


class OkxError(Exception):
    def __init__(self, code: str, msg: str, status: int = 400):
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def ex():
    return current_app.extensions["paradex_mock"].exchange


def ok(data: list):
    return json_response({"code": "0", "msg": "", "data": data})


@bp.errorhandler(OkxError)
def _refused(e: OkxError):
    return json_response({"code": e.code, "data": [], "msg": e.msg}, e.status)


def arg(name: str, required: bool = False) -> Optional[str]:
    v = request.args.get(name)
    if v is None or v == "":
        if required:
            raise OkxError("50014", f"Parameter {name} can not be empty.")
        return None
    return v


def int_arg(name: str, default: Optional[int] = None, lo: Optional[int] = None, hi: Optional[int] = None):
    raw = arg(name)
    if raw is None:
        return default
    if not INT_RE.match(raw):
        raise OkxError("51000", f"Parameter {name} error")
    v = int(raw)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise OkxError("51000", f"Parameter {name} error")
    return v


def no_instrument() -> OkxError:
    return OkxError("51001", "Instrument ID or Spread ID doesn't exist.", 200)


def market_of(kind: Optional[str] = None):
    inst = arg("instId", required=True)
    m = ex().markets.get(key(inst))
    if m is None or m.venue != VENUE or (kind is not None and m.kind != kind):
        raise no_instrument()
    return m


def inst_type(allowed=("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")) -> str:
    t = arg("instType", required=True)
    if t not in allowed:
        raise OkxError("51000", "Parameter instType error")
    return t


def markets_of(t: str) -> list:
    return [m for m in ex().markets.values() if m.venue == VENUE and m.spec.get("instType") == t]


# ------------------------------------------------------------------ public
@bp.get("/api/v5/public/time")
def server_time():
    return ok([{"ts": str(ex().clock.now_ms())}])


@bp.get("/api/v5/public/instruments")
def instruments():
    t = inst_type()
    rows = markets_of(t)
    inst, family = arg("instId"), arg("instFamily") or arg("uly")
    if inst is not None:
        rows = [m for m in rows if m.name == inst]
        if not rows:
            raise no_instrument()
    if family is not None:
        rows = [m for m in rows if m.spec.get("instFamily") == family]
    return ok([views.instrument(m.spec) for m in rows])


@bp.get("/api/v5/public/funding-rate")
def funding_rate():
    m = market_of("perpetual")
    e = ex()
    return ok([views.funding_rate(m, e.stats(m.symbol), e.clock.now_ms())])


@bp.get("/api/v5/public/mark-price")
def mark_price():
    e = ex()
    if arg("instId") is not None:       # ccxt's fetch_mark_price sends instId alone, and OKX answers it
        t = inst_type(("MARGIN", "SWAP", "FUTURES", "OPTION")) if arg("instType") else None
        m = market_of()
        rows = [m] if t is None or m.spec.get("instType") == t else []
    else:
        rows = markets_of(inst_type(("MARGIN", "SWAP", "FUTURES", "OPTION")))
    return ok([views.mark_price(m, e.stats(m.symbol)) for m in rows if m.kind != "spot"])


# ------------------------------------------------------------------ candles
class Bar:
    """An OKX bar: the engine width it is, and its offset (Hong Kong bars open at 16:00 UTC)."""

    def __init__(self, name: str):
        width, self.offset = views.BARS[name]
        self.width = cdl.STANDARD[width]

    def start(self, ts: int) -> int:
        return self.width.start(ts + self.offset) - self.offset

    def back(self, ts: int, n: int) -> int:
        """The opening time of the bar ``n`` bars before the one holding ``ts``."""
        t = self.start(ts)
        for _ in range(n):
            t = self.start(t - 1)
        return t


def bar_rows(k: str, bar: Bar, lo: int, hi: int, price_kind: str = "last") -> list:
    """Rows ``[open_time, *candle row]`` of the bars opening in [lo, hi], ascending."""
    e = ex()
    lo = bar.start(lo)
    if not bar.offset:
        return e.candles(k, bar.width, lo, hi, price_kind=price_kind, fill_gaps=True)
    out: List[list] = []
    for row in e.candles(k, cdl.minutes(60), lo, hi, price_kind=price_kind, fill_gaps=True):
        t = bar.start(row[0])
        if out and out[-1][0] == t:
            r = out[-1][1:]
            cdl.merge(r, row[1:])
            out[-1][1:] = r
        else:
            out.append([t] + list(row[1:]))
    return out


def _candles(history: bool, price_kind: str = "last"):
    m = market_of()
    raw = arg("bar") or "1m"
    if raw not in views.BARS:
        raise OkxError("51000", "Parameter bar error")
    bar = Bar(raw)
    after, before = int_arg("after"), int_arg("before")
    limit = int_arg("limit", 100, 1, 100 if history else 300)
    e = ex()
    with e.lock:
        now = e.clock.now_ms()
        hi = min(now, after - 1) if after is not None else now
        lo = before + 1 if before is not None else bar.back(hi, limit - 1)
        if not history:             # only the latest 1,440 bars
            lo = max(lo, bar.back(now, CANDLES_KEPT - 1))
        rows = bar_rows(m.symbol, bar, lo, hi, price_kind) if lo <= hi else []
    rows = [r for r in rows if r[0] >= lo and r[0] <= hi][-limit:]
    return ok([views.candle_row(m, r, now, bar.width, bar.offset) for r in reversed(rows)])


@bp.get("/api/v5/market/candles")
def candles():
    return _candles(False)


@bp.get("/api/v5/market/history-candles")
def history_candles():
    return _candles(True)


# ------------------------------------------------------------------ tickers, books, trades
def sod(e, k: str, now: int, offset: int):
    """The price at the start of the day (UTC, or Hong Kong's with offset = 8 h): the open of
    that day's first hour."""
    day = cdl.STANDARD["1d"]
    t = day.start(now + offset) - offset
    rows = e.candles(k, cdl.minutes(60), t, t, fill_gaps=True)
    return rows[0][1 + cdl.O] if rows else e.states[k].last_price


def ticker_of(e, m) -> dict:
    now = e.clock.now_ms()
    trades = e.states[m.symbol].trades
    return views.ticker(m, e.stats(m.symbol), e.book_update(m.symbol, 1), trades[-1].size if trades else None,
                        sod(e, m.symbol, now, 0), sod(e, m.symbol, now, views.HK_MS))


@bp.get("/api/v5/market/ticker")
def ticker():
    m = market_of()
    e = ex()
    with e.lock:
        return ok([ticker_of(e, m)])


@bp.get("/api/v5/market/tickers")
def tickers():
    t = inst_type(("SPOT", "SWAP", "FUTURES", "OPTION"))
    e = ex()
    with e.lock:
        return ok([ticker_of(e, m) for m in markets_of(t)])


@bp.get("/api/v5/market/books")
def books():
    m = market_of()
    depth = int_arg("sz", 1, 1, 400)
    book = ex().book_update(m.symbol, depth)
    return ok([{"asks": views.levels(m, book.asks, depth), "bids": views.levels(m, book.bids, depth),
                "ts": str(book.last_updated_at)}])


@bp.get("/api/v5/market/trades")
def trades():
    m = market_of()
    limit = int_arg("limit", 100, 1, 500)
    e = ex()
    with e.lock:
        rows = e.states[m.symbol].trades[-limit:]
    return ok([views.trade(m, t) for t in reversed(rows)])
