"""Hyperliquid's wire shapes (POST /info answers and WS ``data``): decimals as strings in
Hyperliquid's float style ("95000.0", "0.02", "0.0000125": no exponent, no trailing zeros, at
least one decimal place), times in milliseconds, candle trade counts as integers."""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Optional

from ...engine import candles as cdl

ZERO = Decimal(0)
Q8 = Decimal("1e-8")
LEVELS = 20          # Hyperliquid's l2Book: up to 20 levels a side

# Hyperliquid's candle intervals (candleSnapshot and the WS ``candle`` subscription)
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w", "1M")


def num(x) -> str:
    """A decimal the way Hyperliquid prints it: "95000.0", "0.97139", "0.0"."""
    if x is None:
        x = ZERO
    d = Decimal(x)
    if d == 0:
        return "0.0"
    s = format(d.normalize(), "f")
    if "." not in s:
        s += ".0"
    return s


def level(p, q, n: int = 1) -> dict:
    """One aggregated level; ``n`` is the number of orders at it (the mock's simulated maker
    quotes one order a level)."""
    return {"px": num(p), "sz": num(q), "n": n}


def l2_book(coin: str, book, at_ms: int, n_sig_figs: Optional[int] = None, mantissa: Optional[int] = None) -> dict:
    bids, asks = list(book.bids), list(book.asks)
    if n_sig_figs is not None:
        bids, asks = aggregate(bids, n_sig_figs, mantissa, True), aggregate(asks, n_sig_figs, mantissa, False)
    return {"coin": coin, "time": at_ms,
            "levels": [[level(p, q) for p, q in bids[:LEVELS]], [level(p, q) for p, q in asks[:LEVELS]]]}


def aggregate(rows, sig: int, mantissa: Optional[int], bids: bool) -> list:
    """Levels grouped to ``sig`` significant figures (bids rounded down, asks up), as l2Book's
    ``nSigFigs``/``mantissa`` ask; sizes summed."""
    from decimal import ROUND_CEILING, ROUND_FLOOR
    out: dict = {}
    for p, q in rows:
        if p <= 0:
            continue
        exp = p.adjusted() - sig + 1
        step = Decimal(mantissa or 1).scaleb(exp)
        bucket = (p / step).to_integral_value(rounding=ROUND_FLOOR if bids else ROUND_CEILING) * step
        if exp < 0:
            bucket = bucket.quantize(Decimal(1).scaleb(exp))
        out[bucket] = out.get(bucket, ZERO) + q
    return sorted(out.items(), reverse=bids)


def candle(coin: str, interval: str, row: list) -> dict:
    """An engine candle row (``[open_time, *row]``) as a Hyperliquid candle."""
    t = row[0]
    r = row[1:]
    return {"t": t, "T": cdl.STANDARD[interval].next(t) - 1, "s": coin, "i": interval,
            "o": num(r[cdl.O]), "c": num(r[cdl.C]), "h": num(r[cdl.H]), "l": num(r[cdl.L]),
            "v": num(r[cdl.V]), "n": r[cdl.N]}


def _hex(seed: str, chars: int) -> str:
    out = ""
    i = 0
    while len(out) < chars:
        out += hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        i += 1
    return "0x" + out[:chars]


def trade(coin: str, t) -> dict:
    """A public trade: ``side`` is the taker's ("B" bought, "A" sold), ``users`` [buyer, seller]."""
    buyer, seller = _hex(f"{t.id}:buyer", 40), _hex(f"{t.id}:seller", 40)
    return {"coin": coin, "side": "B" if t.side == "BUY" else "A", "px": num(t.price), "sz": num(t.size),
            "time": t.created_at, "hash": _hex(t.id, 64), "tid": t.seq, "users": [buyer, seller]}


def mid(book) -> Optional[Decimal]:
    if not book.bids or not book.asks:
        return None
    return (book.bids[0][0] + book.asks[0][0]) / 2


def asset_ctx(s, book) -> dict:
    """A perpetual's context (metaAndAssetCtxs, activeAssetCtx) from the engine's MarketStats."""
    m = mid(book) if book is not None else None
    premium = ((s.mark_price - s.index_price) / s.index_price).quantize(Q8) if s.index_price else ZERO
    bid = s.bid if s.bid is not None else s.mark_price
    ask = s.ask if s.ask is not None else s.mark_price
    return {"funding": num(s.funding_rate), "openInterest": num(s.open_interest), "prevDayPx": num(s.open_24h),
            "dayNtlVlm": num(s.quote_volume_24h.quantize(Q8)), "premium": num(premium),
            "oraclePx": num(s.index_price), "markPx": num(s.mark_price),
            "midPx": num(m) if m is not None else None, "impactPxs": [num(bid), num(ask)],
            "dayBaseVlm": num(s.volume_24h)}


def universe_entry(spec: dict) -> dict:
    return {"szDecimals": int(spec["szDecimals"]), "name": spec["name"], "maxLeverage": int(spec["maxLeverage"]),
            "marginTableId": int(spec.get("marginTableId", spec["maxLeverage"]))}


def margin_tables(specs) -> list:
    seen = {}
    for s in specs:
        t = int(s.get("marginTableId", s["maxLeverage"]))
        seen.setdefault(t, int(s["maxLeverage"]))
    return [[t, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": lev}]}]
            for t, lev in sorted(seen.items())]


INTEREST_PER_HOUR = Decimal("0.0000125")    # Hyperliquid's interest component (0.01% per 8 h)


def funding_row(coin: str, f) -> dict:
    """fundingHistory: the hourly rate, and the premium as rate minus the interest component."""
    return {"coin": coin, "fundingRate": num(f.funding_rate), "premium": num(f.funding_rate - INTEREST_PER_HOUR),
            "time": f.created_at}
