"""Kraken spot REST market data, ``/0/public/<Method>`` below the venue's root (``/kraken``),
GET or POST (query or form parameters, as Kraken takes them).

Every answer is ``{"error": [], "result": {...}}``; a refusal is ``{"error": ["<Class>:<text>"]}``
(Kraken answers those with HTTP 200): an unknown pair is ``EQuery:Unknown asset pair``, an unknown
asset ``EQuery:Unknown asset``, a missing or malformed parameter ``EGeneral:Invalid arguments``
an unknown method ``EGeneral:Unknown method`` (HTTP 404).
Results are keyed by the pair's id (``XXBTZUSD``) whichever name the request used.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import List, Optional

from flask import Blueprint, current_app, request

from ...http.errors import json_response
from . import views
from .markets import ASSETS, VENUE

bp = Blueprint("kraken", __name__)

INT_RE = re.compile(r"^[0-9]{1,20}$")
OHLC_ROWS = 720
TRADES_MAX = 1000
DEPTH_MAX = 500
DAY_MS = 86_400_000


class KrakenError(Exception):
    def __init__(self, text: str, status: int = 200):
        super().__init__(text)
        self.text, self.status = text, status


def ok(result) -> object:
    return json_response({"error": [], "result": result})


def fail(text: str, status: int = 200):
    return json_response({"error": [text]}, status)


def ex():
    return current_app.extensions["paradex_mock"].exchange


def arg(name: str) -> Optional[str]:
    v = request.values.get(name)
    return None if v is None or v == "" else v


def int_arg(name: str, default: Optional[int] = None) -> Optional[int]:
    raw = arg(name)
    if raw is None:
        return default
    if not INT_RE.match(raw.strip()):
        raise KrakenError("EGeneral:Invalid arguments")
    return int(raw)


def _pairs():
    return [m for m in ex().markets.values() if m.venue == VENUE]


def _find(name: str):
    """A pair by id, altname, wsname, or base+quote with BTC for XBT, case-insensitively."""
    wanted = name.strip().upper()
    for m in _pairs():
        s = m.spec
        names = {m.name.upper(), s["altname"].upper(), s["wsname"].upper(), s["ws_v2"].upper(),
                 s["ws_v2"].replace("/", "").upper(), s["wsname"].replace("/", "").upper()}
        if wanted in names:
            return m
    raise KrakenError("EQuery:Unknown asset pair")


def _one_pair():
    raw = arg("pair")
    if raw is None:
        raise KrakenError("EGeneral:Invalid arguments")
    if "," in raw:
        raise KrakenError("EGeneral:Invalid arguments")
    return _find(raw)


def _many_pairs() -> List:
    raw = arg("pair")
    if raw is None:
        return _pairs()
    return [_find(p) for p in raw.split(",")]


@bp.errorhandler(KrakenError)
def _kraken_error(e: KrakenError):
    return fail(e.text, e.status)


def route(name: str):
    return bp.route(f"/0/public/{name}", methods=["GET", "POST"])


# ------------------------------------------------------------------ general
@route("Time")
def server_time():
    now = ex().clock.now_ms()
    d = _dt.datetime.fromtimestamp(now // 1000, _dt.timezone.utc)
    rfc = d.strftime("%a, ") + f"{d.day:2d}" + d.strftime(" %b %y %H:%M:%S +0000")
    return ok({"unixtime": now // 1000, "rfc1123": rfc})


@route("SystemStatus")
def system_status():
    now = ex().clock.now_ms()
    state = {"ok": "online"}.get(getattr(ex(), "system_state", "ok"), "maintenance")
    return ok({"status": state, "timestamp": views.rfc3339(now)[:19] + "Z"})


@route("Assets")
def assets():
    cls = arg("aclass")
    if cls is not None and cls != "currency":
        raise KrakenError("EGeneral:Invalid arguments")
    raw = arg("asset")
    if raw is None:
        return ok(dict(ASSETS))
    out = {}
    for a in raw.split(","):
        a = a.strip().upper()
        hit = next((k for k, v in ASSETS.items() if a in (k.upper(), v["altname"].upper())
                    or (a == "BTC" and v["altname"] == "XBT")), None)
        if hit is None:
            raise KrakenError("EQuery:Unknown asset")
        out[hit] = ASSETS[hit]
    return ok(out)


@route("AssetPairs")
def asset_pairs():
    info = arg("info") or "info"
    if info not in ("info", "leverage", "fees", "margin"):
        raise KrakenError("EGeneral:Invalid arguments")
    return ok({m.name: views.asset_pair(m.spec, info) for m in _many_pairs()})


# ------------------------------------------------------------------ market data
@route("Ticker")
def ticker():
    pairs = _many_pairs()
    e = ex()
    out = {}
    with e.lock:
        now = e.clock.now_ms()
        for m in pairs:
            k = m.symbol
            trades = e.states[k].trades
            today = e.window(k, now - now % DAY_MS, now)
            out[m.name] = views.ticker(m.spec, e.stats(k), e.book_update(k, 1), today,
                                       trades[-1].size if trades else None)
    return ok(out)


@route("OHLC")
def ohlc():
    m = _one_pair()
    minutes = int_arg("interval", 1)
    if minutes not in views.INTERVALS:
        raise KrakenError("EGeneral:Invalid arguments")
    since = int_arg("since")
    iv = views.INTERVALS[minutes]
    e = ex()
    with e.lock:
        now = e.clock.now_ms()
        lo = iv.start(now)
        for _ in range(OHLC_ROWS - 1):
            lo = iv.start(lo - 1)
        rows = e.candles(m.symbol, iv, lo, now, fill_gaps=True)
    rows = [r for r in rows if r[0] >= lo][-OHLC_ROWS:]
    last = iv.start(now) - minutes * 60_000        # the last committed (closed) interval
    if since is not None:
        rows = [r for r in rows if r[0] // 1000 > since]
    return ok({m.name: [views.ohlc_row(m.spec, r) for r in rows], "last": last // 1000})


@route("Depth")
def depth():
    m = _one_pair()
    count = int_arg("count", 100)
    if count < 1 or count > DEPTH_MAX:
        raise KrakenError("EGeneral:Invalid arguments")
    e = ex()
    book = e.book_update(m.symbol, count)
    ts = book.last_updated_at // 1000
    return ok({m.name: {"asks": views.depth_side(m.spec, book.asks, count, ts),
                        "bids": views.depth_side(m.spec, book.bids, count, ts)}})


@route("Trades")
def trades():
    m = _one_pair()
    since = int_arg("since")
    count = int_arg("count", TRADES_MAX)
    if count < 1 or count > TRADES_MAX:
        raise KrakenError("EGeneral:Invalid arguments")
    e = ex()
    with e.lock:
        all_trades = e.states[m.symbol].trades
        if since is None:
            rows = all_trades[-count:]
        else:
            # since: seconds (as ccxt sends it) or nanoseconds (Kraken's own ``last`` cursor)
            since_ms = since * 1000 if since < 10 ** 11 else since // 1_000_000
            cut = since_ms if since >= 10 ** 11 else since_ms - 1
            rows = [t for t in all_trades if t.created_at > cut][:count]
    last = rows[-1].created_at * 1_000_000 if rows else (since if since is not None and since >= 10 ** 11
                                                          else e.clock.now_ms() * 1_000_000)
    return ok({m.name: [views.trade_row(m.spec, t) for t in rows], "last": str(last)})


@route("Spread")
def spread():
    """The best bid and ask: the mock keeps no spread history, so the one row is the spread now."""
    m = _one_pair()
    since = int_arg("since")
    e = ex()
    book = e.book_update(m.symbol, 1)
    now_s = e.clock.now_ms() // 1000
    rows = []
    if book.bids and book.asks and (since is None or book.last_updated_at // 1000 > since):
        rows = [[book.last_updated_at // 1000, views.px(m.spec, book.bids[0][0]), views.px(m.spec, book.asks[0][0])]]
    return ok({m.name: rows, "last": now_s})
