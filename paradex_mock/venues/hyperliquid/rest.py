"""Hyperliquid's info endpoint: ``POST /info`` with a JSON body ``{"type": ..., ...}`` below the
venue's root (``/hyperliquid``).

Bodies are read the way Hyperliquid's server (axum + serde) reads them: a body that is not JSON is
400 "Failed to parse the request body as JSON: ...", one without ``Content-Type:
application/json`` 415, and a JSON body of the wrong shape (an unknown ``type``, a missing or
ill-typed field, an unknown interval) 422 "Failed to deserialize the JSON body into the target
type: ...", all as plain text. A coin the venue does not list is no error: ``l2Book`` answers
``null`` and list queries ``[]``, as on the real venue.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from flask import Blueprint, Response, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import views
from .markets import VENUE, key

bp = Blueprint("hyperliquid", __name__)

TYPES = ("meta", "metaAndAssetCtxs", "allMids", "l2Book", "candleSnapshot", "recentTrades", "fundingHistory",
         "exchangeStatus", "spotMeta", "userFills", "userFillsByTime")
ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
CANDLES_KEPT = 5000          # candleSnapshot serves the most recent 5000 candles
FUNDING_ROWS = 500           # fundingHistory: at most 500 rows an answer
HOUR_MS = 3_600_000


class InfoError(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def text_response(text: str, status: int) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def ex():
    return current_app.extensions["paradex_mock"].exchange


class Body:
    """The JSON body, checked field by field as serde would (its messages, its column)."""

    def __init__(self, raw: bytes, doc: dict):
        self.raw, self.doc = raw, doc
        self.column = len(raw.decode("utf-8", "replace").rstrip().splitlines()[-1]) if raw.strip() else 1

    def fail(self, what: str):
        raise InfoError(422, f"Failed to deserialize the JSON body into the target type: {what} "
                             f"at line 1 column {self.column}")

    def field(self, name: str, kind: str, required: bool = True, doc: Optional[dict] = None):
        d = self.doc if doc is None else doc
        if name not in d or d[name] is None:
            if required:
                self.fail(f"missing field `{name}`")
            return None
        v = d[name]
        if kind == "str" and not isinstance(v, str):
            self.fail(f"invalid type: {_kind(v)}, expected a string")
        if kind == "u64" and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            self.fail(f"invalid type: {_kind(v)}, expected u64" if not (isinstance(v, int) and not isinstance(v, bool))
                      else f"invalid value: integer `{v}`, expected u64")
        if kind == "obj" and not isinstance(v, dict):
            self.fail(f"invalid type: {_kind(v)}, expected struct CandleSnapshotReq")
        return v


def _kind(v) -> str:
    if isinstance(v, bool):
        return f"boolean `{str(v).lower()}`"
    if isinstance(v, str):
        return f"string {json.dumps(v)}"
    if isinstance(v, int):
        return f"integer `{v}`"
    if isinstance(v, float):
        return f"floating point `{v}`"
    if isinstance(v, list):
        return "sequence"
    if isinstance(v, dict):
        return "map"
    return "null"


def _market(coin: str) -> Optional[str]:
    k = key(coin)
    m = ex().markets.get(k)
    return k if m is not None and m.venue == VENUE else None


def _keys():
    return [m.symbol for m in ex().markets.values() if m.venue == VENUE]


def _spec(k: str) -> dict:
    return ex().markets[k].spec


@bp.post("/info")
def info():
    if not (request.mimetype == "application/json"):
        return text_response("Expected request with `Content-Type: application/json`", 415)
    raw = request.get_data(cache=True)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as e:
        msg = getattr(e, "msg", "expected value")
        return text_response(f"Failed to parse the request body as JSON: {msg.lower()} at line "
                             f"{getattr(e, 'lineno', 1)} column {getattr(e, 'colno', 1)}", 400)
    body = Body(raw, doc if isinstance(doc, dict) else {})
    try:
        if not isinstance(doc, dict):
            body.fail(f"invalid type: {_kind(doc)}, expected internally tagged enum InfoRequest")
        t = body.field("type", "str")
        if t not in TYPES:
            shown = ", ".join(f"`{x}`" for x in TYPES)
            body.fail(f"unknown variant `{t}`, expected one of {shown}")
        return json_response(HANDLERS[t](body))
    except InfoError as e:
        return text_response(e.text, e.status)


# ------------------------------------------------------------------ handlers
def _meta(body: Body) -> dict:
    specs = [_spec(k) for k in _keys()]
    return {"universe": [views.universe_entry(s) for s in specs], "marginTables": views.margin_tables(specs)}


def _meta_and_ctxs(body: Body) -> list:
    e = ex()
    with e.lock:
        keys = _keys()
        ctxs = [views.asset_ctx(e.stats(k), e.book_update(k, 1)) for k in keys]
    return [_meta(body), ctxs]


def _all_mids(body: Body) -> dict:
    e = ex()
    out = {}
    with e.lock:
        for k in _keys():
            m = views.mid(e.book_update(k, 1))
            if m is not None:
                out[e.markets[k].name] = views.num(m)
    return out


def _l2_book(body: Body):
    coin = body.field("coin", "str")
    sig = body.doc.get("nSigFigs")
    mantissa = body.doc.get("mantissa")
    if sig is not None and (isinstance(sig, bool) or not isinstance(sig, int) or sig not in (2, 3, 4, 5)):
        body.fail(f"invalid value: {_kind(sig)}, expected nSigFigs of 2, 3, 4 or 5")
    if mantissa is not None and (sig != 5 or mantissa not in (1, 2, 5)):
        body.fail(f"invalid value: {_kind(mantissa)}, expected mantissa of 1, 2 or 5 with nSigFigs 5")
    k = _market(coin)
    if k is None:
        return None
    e = ex()
    with e.lock:
        book = e.book_update(k, 1000)
        return views.l2_book(coin, book, e.clock.now_ms(), sig, mantissa)


def _candles(body: Body) -> list:
    req = body.field("req", "obj")
    coin = body.field("coin", "str", doc=req)
    interval = body.field("interval", "str", doc=req)
    if interval not in views.INTERVALS:
        shown = ", ".join(f"`{x}`" for x in views.INTERVALS)
        body.fail(f"unknown variant `{interval}`, expected one of {shown}")
    start = body.field("startTime", "u64", doc=req)
    end = body.field("endTime", "u64", required=False, doc=req)
    k = _market(coin)
    if k is None:
        return []
    return [views.candle(coin, interval, r) for r in candle_rows(k, interval, start, end)]


def candle_rows(k: str, interval: str, start: int, end: Optional[int]) -> list:
    """Candles opening in [startTime, endTime] (endTime: now when absent), ascending; only the
    most recent 5000 candles of a width are kept, as on Hyperliquid."""
    e = ex()
    iv = cdl.STANDARD[interval]
    with e.lock:
        now = e.clock.now_ms()
        hi = min(end, now) if end is not None else now
        oldest = iv.start(now)
        for _ in range(CANDLES_KEPT - 1):
            oldest = iv.start(oldest - 1)
        lo = max(start, oldest)
        if hi < lo:
            return []
        rows = e.candles(k, iv, lo, hi, fill_gaps=True)
    return [r for r in rows if lo <= r[0] <= hi]


def _recent_trades(body: Body) -> list:
    coin = body.field("coin", "str")
    k = _market(coin)
    if k is None:
        return []
    e = ex()
    with e.lock:
        trades = e.states[k].trades[-10:]
    return [views.trade(coin, t) for t in trades]


def _funding_history(body: Body) -> list:
    coin = body.field("coin", "str")
    start = body.field("startTime", "u64")
    end = body.field("endTime", "u64", required=False)
    k = _market(coin)
    if k is None:
        return []
    rows = [f for f in reversed(ex().funding_rows(k, start, end)) if f.created_at % HOUR_MS == 0]
    return [views.funding_row(coin, f) for f in rows[:FUNDING_ROWS]]


def _exchange_status(body: Body) -> dict:
    return {"specialStatuses": None, "time": str(ex().clock.now_ms())}


def _spot_meta(body: Body) -> dict:
    """The mock lists no spot pairs; USDC, the perpetuals' collateral, is the one token."""
    return {"tokens": [{"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0,
                        "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054", "isCanonical": True,
                        "evmContract": None, "fullName": None}], "universe": []}


def _user_fills(body: Body) -> list:
    """No account trades on this venue in the mock: every well-formed address has no fills."""
    user = body.field("user", "str")
    if not ADDRESS_RE.match(user):
        body.fail(f"invalid value: string {json.dumps(user)}, expected a 40-digit hex address")
    if body.doc.get("type") == "userFillsByTime":
        body.field("startTime", "u64")
        body.field("endTime", "u64", required=False)
    return []


HANDLERS = {"meta": _meta, "metaAndAssetCtxs": _meta_and_ctxs, "allMids": _all_mids, "l2Book": _l2_book,
            "candleSnapshot": _candles, "recentTrades": _recent_trades, "fundingHistory": _funding_history,
            "exchangeStatus": _exchange_status, "spotMeta": _spot_meta, "userFills": _user_fills,
            "userFillsByTime": _user_fills}
