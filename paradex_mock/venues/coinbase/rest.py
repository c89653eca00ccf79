"""Coinbase Advanced Trade public market data below the venue's root (``/coinbase``):
``/api/v3/brokerage/time``, ``market/products`` (and ``/{product_id}``), ``market/products/{id}/candles``
(granularity names, epoch seconds, newest first, at most 350 a request, no candle where nothing
traded), ``market/products/{id}/ticker`` (the last trades, newest first, and the best bid and ask),
``market/product_book``; plus the Coinbase App public paths ccxt's ``load_markets``/``fetch_time``
call by default: ``/v2/time``, ``/v2/currencies``, ``/v2/currencies/crypto``, ``/v2/exchange-rates``.

Unknown query parameters are ignored, as the venue does; a bad value is 400 INVALID_ARGUMENT, an
unknown product 404 NOT_FOUND (``errors.py``).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from flask import Blueprint, current_app, request

from ...engine import candles as cdl
from ...http.errors import json_response
from . import views
from .errors import CoinbaseError, invalid
from .markets import VENUE, key

bp = Blueprint("coinbase", __name__)

INT_RE = re.compile(r"^-?[0-9]{1,19}$")
MAX_CANDLES = 350
DAY_MS = 86_400_000


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _int(name: str, default: Optional[int] = None, lo: Optional[int] = None, hi: Optional[int] = None) -> Optional[int]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not INT_RE.match(raw):
        raise invalid(f"invalid {name}: {raw!r} is not an integer")
    v = int(raw)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise invalid(f"{name} must be between {lo} and {hi}" if hi is not None else f"{name} must be at least {lo}")
    return v


def _product(product_id: Optional[str]) -> str:
    if not product_id:
        raise invalid("product_id is required")
    k = key(product_id)
    m = ex().markets.get(k)
    if m is None or m.venue != VENUE:
        raise CoinbaseError("NOT_FOUND", "ProductID is invalid", 404)
    return k


def _keys():
    return [m.symbol for m in ex().markets.values() if m.venue == VENUE]


def _product_view(k: str) -> dict:
    e = ex()
    now = e.clock.now_ms()
    return views.product(e.markets[k].spec, e.stats(k), e.window(k, now - 2 * DAY_MS, now - DAY_MS))


# ------------------------------------------------------------------ v3 public
@bp.get("/api/v3/brokerage/time")
def server_time():
    now = ex().clock.now_ms()
    return json_response({"iso": views.iso(now)[:19] + "Z", "epochSeconds": str(now // 1000), "epochMillis": str(now)})


@bp.get("/api/v3/brokerage/market/products")
def products():
    ptype = request.args.get("product_type")
    if ptype not in (None, "", "SPOT", "FUTURE", "UNKNOWN_PRODUCT_TYPE"):
        raise invalid(f"invalid value for enum type product_type: {ptype!r}")
    limit = _int("limit", lo=0)
    offset = _int("offset", 0, lo=0)
    wanted = request.args.getlist("product_ids")
    if ptype == "FUTURE":      # the mock lists spot products only
        return json_response({"products": [], "num_products": 0})
    keys = _keys()
    if wanted:
        keys = [k for k in keys if ex().markets[k].name in wanted]
    total = len(keys)
    keys = keys[offset:]
    if limit:
        keys = keys[:limit]
    with ex().lock:
        rows = [_product_view(k) for k in keys]
    return json_response({"products": rows, "num_products": total})


@bp.get("/api/v3/brokerage/market/products/<product_id>")
def product(product_id: str):
    k = _product(product_id)
    with ex().lock:
        return json_response(_product_view(k))


@bp.get("/api/v3/brokerage/market/products/<product_id>/candles")
def candles(product_id: str):
    k = _product(product_id)
    g = request.args.get("granularity")
    if not g:
        raise invalid("granularity is required")
    if g not in views.GRANULARITIES:
        raise invalid(f"invalid value for enum type granularity: {g!r}")
    start = _int("start", lo=0)
    end = _int("end", lo=0)
    if start is None or end is None:
        raise invalid("start and end are required")
    limit = _int("limit", MAX_CANDLES, lo=1, hi=MAX_CANDLES)
    iv = cdl.STANDARD[views.GRANULARITIES[g]]
    if end < start:
        raise invalid("start must be before end")
    if (end - start) * 1000 // iv.ms > MAX_CANDLES:
        raise invalid(f"number of candles requested should be less than or equal to {MAX_CANDLES}")
    e = ex()
    lo, hi = start * 1000, min(end * 1000, e.clock.now_ms())
    rows = [r for r in e.candles(k, iv, lo, hi) if r[0] >= lo and r[1 + cdl.N] > 0] if hi >= lo else []
    rows = rows[::-1][:limit]                     # newest first
    return json_response({"candles": [views.candle(r) for r in rows]})


@bp.get("/api/v3/brokerage/market/products/<product_id>/ticker")
def ticker(product_id: str):
    k = _product(product_id)
    raw = request.args.get("limit")
    if raw is None or raw == "":
        raise invalid("limit is required")
    limit = _int("limit", lo=1, hi=1000)
    start = _int("start", lo=0)
    end = _int("end", lo=0)
    e = ex()
    with e.lock:
        if start is None and end is None:
            rows = e.states[k].trades[-limit:][::-1]
        else:
            rows = e.trades_between(k, start * 1000 if start is not None else None,
                                    end * 1000 + 999 if end is not None else None)[:limit]
        book = e.book_update(k, 1)
    name = e.markets[k].name
    return json_response({"trades": [views.trade(name, t) for t in rows],
                          "best_bid": views.num(book.bids[0][0]) if book.bids else "",
                          "best_ask": views.num(book.asks[0][0]) if book.asks else ""})


@bp.get("/api/v3/brokerage/market/product_book")
def product_book():
    k = _product(request.args.get("product_id"))
    limit = _int("limit", lo=1)
    agg = request.args.get("aggregation_price_increment")
    if agg not in (None, ""):
        try:
            if Decimal(agg) <= 0:
                raise ValueError
        except (ArithmeticError, ValueError):
            raise invalid(f"invalid aggregation_price_increment: {agg!r}") from None
    e = ex()
    with e.lock:
        book = e.book_update(k)
        last = e.states[k].last_price
    out = {"pricebook": {"product_id": e.markets[k].name, "bids": views.levels(book.bids, limit),
                         "asks": views.levels(book.asks, limit), "time": views.iso(book.last_updated_at or e.clock.now_ms())},
           "last": views.num(last)}
    if book.bids and book.asks:
        bid, ask = book.bids[0][0], book.asks[0][0]
        mid = (bid + ask) / 2
        out.update(mid_market=views.num(mid), spread_bps=views.num(((ask - bid) / mid * 10000).quantize(Decimal("1e-10"))),
                   spread_absolute=views.num(ask - bid))
    return json_response(out)


# ------------------------------------------------------------------ v2 (Coinbase App) public
FIAT = {"USD": ("US Dollar", "0.01"), "EUR": ("Euro", "0.01"), "GBP": ("British Pound", "0.01")}


@bp.get("/v2/time")
def v2_time():
    now = ex().clock.now_ms()
    return json_response({"data": {"iso": views.iso(now)[:19] + "Z", "epoch": now // 1000}})


@bp.get("/v2/currencies")
def v2_currencies():
    return json_response({"data": [{"id": c, "name": n, "min_size": m} for c, (n, m) in FIAT.items()]})


def _crypto():
    seen = {}
    for k in _keys():
        spec = ex().markets[k].spec
        seen.setdefault(spec["base_currency_id"], spec.get("base_name", spec["base_currency_id"]))
    return seen


@bp.get("/v2/currencies/crypto")
def v2_crypto():
    rows = []
    for i, (code, name) in enumerate(_crypto().items()):
        rows.append({"asset_id": f"00000000-0000-4000-8000-{i + 1:012d}", "code": code, "name": name,
                     "color": "#F7931A", "sort_index": 100 + i, "exponent": 8, "type": "crypto",
                     "address_regex": ""})
    return json_response({"data": rows})


@bp.get("/v2/exchange-rates")
def v2_exchange_rates():
    cur = (request.args.get("currency") or "USD").upper()
    e = ex()
    rates = {"USD": "1"}
    with e.lock:
        for k in _keys():
            m = e.markets[k]
            if m.quote == "USD" and e.states[k].last_price:
                rates[m.base] = views.num((Decimal(1) / e.states[k].last_price).quantize(Decimal("1e-12")))
    if cur not in rates:
        return json_response({"errors": [{"id": "invalid_request", "message": "Invalid currency"}]}, 400)
    if cur != "USD":
        r = Decimal(rates[cur])
        rates = {c: views.num((Decimal(v) / r).quantize(Decimal("1e-12"))) for c, v in rates.items()}
    return json_response({"data": {"currency": cur, "rates": rates}})
