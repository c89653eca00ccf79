"""KuCoin spot REST market data below the venue's root (``/kucoin``): ``/api/v1/timestamp``,
``/api/v1/status``, ``/api/v3/currencies``, ``/api/v2/symbols``, ``/api/v1/market/allTickers``,
``stats``, ``orderbook/level1``, ``level2_20``, ``level2_100`` (``sequence`` = the book's update number,
which the WS ``/market/level2`` diffs continue), ``histories`` (the last 100 trades), ``candles``
(newest first, at most 1500 a request, no candle where nothing traded), and ``POST
/api/v1/bullet-public``, which names this server's own WS endpoint and a token for it.
"""
from __future__ import annotations

import re
from typing import Optional

from flask import Blueprint, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import tokens, views
from .errors import KucoinError, param
from .markets import VENUE, currencies as fixture_currencies, key

bp = Blueprint("kucoin", __name__)

INT_RE = re.compile(r"^[0-9]{1,19}$")
MAX_CANDLES = 1500
PING_INTERVAL_MS = 18000
PING_TIMEOUT_MS = 10000


def state():
    return current_app.extensions["paradex_mock"]


def ex():
    return state().exchange


def _symbol(required: bool = True) -> Optional[str]:
    name = request.args.get("symbol")
    if not name:
        if required:
            raise param("symbol is required")
        return None
    k = key(name)
    m = ex().markets.get(k)
    if m is None or m.venue != VENUE:
        raise KucoinError("400100", "Unsupported trading pair.")
    return k


def _int(name: str) -> Optional[int]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not INT_RE.match(raw):
        raise param(f"{name} invalid")
    return int(raw)


def _keys():
    return [m.symbol for m in ex().markets.values() if m.venue == VENUE]


@bp.get("/api/v1/timestamp")
def timestamp():
    return json_response({"code": "200000", "msg": "success", "data": ex().clock.now_ms()})


@bp.get("/api/v1/status")
def status():
    return json_response(views.ok({"status": "open", "msg": ""}))


@bp.get("/api/v3/currencies")
def currencies():
    return json_response(views.ok([views.currency(c) for c in fixture_currencies(state().config.fixtures_dir)]))


@bp.get("/api/v3/currencies/<currency>")
def currency(currency: str):
    for c in fixture_currencies(state().config.fixtures_dir):
        if c["currency"] == currency:
            return json_response(views.ok(views.currency(c)))
    raise KucoinError("900003", "Currency does not exist")


@bp.get("/api/v2/symbols")
def symbols():
    market = request.args.get("market")
    rows = [views.symbol(ex().markets[k].spec) for k in _keys()]
    if market:
        rows = [r for r in rows if r["market"] == market]
    return json_response(views.ok(rows))


@bp.get("/api/v2/symbols/<name>")
def symbol(name: str):
    m = ex().markets.get(key(name))
    if m is None or m.venue != VENUE:
        raise KucoinError("400100", "Unsupported trading pair.")
    return json_response(views.ok(views.symbol(m.spec)))


@bp.get("/api/v1/market/allTickers")
def all_tickers():
    e = ex()
    with e.lock:
        rows = [views.all_tickers_row(e.markets[k].name, e.markets[k].spec, e.stats(k)) for k in _keys()]
    return json_response(views.ok({"time": e.clock.now_ms(), "ticker": rows}))


@bp.get("/api/v1/market/stats")
def stats():
    k = _symbol()
    e = ex()
    with e.lock:
        return json_response(views.ok(views.stats(e.markets[k].name, e.markets[k].spec, e.stats(k))))


@bp.get("/api/v1/market/orderbook/level1")
def level1():
    k = _symbol()
    e = ex()
    with e.lock:
        book = e.book_update(k, 1)
        trades = e.states[k].trades
        last = trades[-1] if trades else None
    b = book.bids[0] if book.bids else (None, None)
    a = book.asks[0] if book.asks else (None, None)
    return json_response(views.ok({
        "time": e.clock.now_ms(), "sequence": str(book.seq_no),
        "price": views.num(last.price if last else e.states[k].last_price), "size": views.num(last.size if last else 0),
        "bestBid": views.num(b[0]), "bestBidSize": views.num(b[1]), "bestAsk": views.num(a[0]),
        "bestAskSize": views.num(a[1])}))


def _book(depth: int):
    k = _symbol()
    e = ex()
    book = e.book_update(k, depth)
    return json_response(views.ok({"time": e.clock.now_ms(), "sequence": str(book.seq_no),
                                    "bids": views.levels(book.bids, depth), "asks": views.levels(book.asks, depth)}))


@bp.get("/api/v1/market/orderbook/level2_20")
def level2_20():
    return _book(20)


@bp.get("/api/v1/market/orderbook/level2_100")
def level2_100():
    return _book(100)


@bp.get("/api/v3/market/orderbook/level2")
def level2_full():
    """The full book is a private endpoint: it needs an API key."""
    raise KucoinError("400001", "Please check the header of your request for KC-API-KEY, KC-API-SIGN, "
                                "KC-API-TIMESTAMP, KC-API-PASSPHRASE", 401)


@bp.get("/api/v1/market/histories")
def histories():
    k = _symbol()
    e = ex()
    with e.lock:
        rows = list(e.states[k].trades[-100:])
    return json_response(views.ok([views.history(t) for t in rows]))


@bp.get("/api/v1/market/candles")
def candles():
    k = _symbol()
    t = request.args.get("type")
    if not t:
        raise param("type is required")
    if t not in views.TYPES:
        raise param("type invalid")
    start = _int("startAt")
    end = _int("endAt")
    e = ex()
    iv = cdl.STANDARD[views.TYPES[t]]
    now = e.clock.now_ms()
    hi = min(end * 1000, now) if end else now
    if start:
        lo = start * 1000
    else:     # the most recent MAX_CANDLES buckets
        lo = hi
        for _ in range(MAX_CANDLES - 1):
            lo = iv.start(lo) - 1
        lo = iv.start(max(lo, 0))
    if end and start and end < start:
        raise param("endAt must be greater than startAt")
    rows = [r for r in e.candles(k, iv, lo, hi) if r[0] >= lo and r[1 + cdl.N] > 0] if hi >= lo else []
    rows = rows[-MAX_CANDLES:] if not start else rows[:MAX_CANDLES]
    return json_response(views.ok([views.candle(r) for r in reversed(rows)]))


@bp.post("/api/v1/bullet-public")
def bullet_public():
    """A token for the public WS, and where that WS is: this server's own WS port, at ``/kucoin``."""
    st = state()
    host = (request.host or "127.0.0.1").rsplit(":", 1)[0] if not request.host.startswith("[") else request.host.split("]")[0] + "]"
    port = st.ws_port or st.config.ws_port
    return json_response(views.ok({"token": tokens.issue(), "instanceServers": [{
        "endpoint": f"ws://{host}:{port}/kucoin", "encrypt": False, "protocol": "websocket",
        "pingInterval": PING_INTERVAL_MS, "pingTimeout": PING_TIMEOUT_MS}]}))
