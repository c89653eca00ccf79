"""Binance spot's wire shapes for REST and WS: decimals as strings with 8 places ("95000.01000000"),
times in milliseconds, trade ids the market's trade numbers (``Trade.seq``)."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Optional

from ...engine import candles as cdl

Q8 = Decimal("1e-8")
ZERO = Decimal(0)

# Binance's interval names -> the engine's widths (the same notation)
INTERVALS = ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")


def d8(x) -> str:
    """A decimal as Binance prints it: fixed, eight places."""
    if x is None:
        x = ZERO
    return format(Decimal(x).quantize(Q8, rounding=ROUND_HALF_EVEN), "f")


def kline_row(row: list, interval: str) -> list:
    """An engine candle row as a /api/v3/klines row (12 elements)."""
    t = row[0]
    close_time = cdl.STANDARD[interval].next(t) - 1
    return [t, d8(row[1 + cdl.O]), d8(row[1 + cdl.H]), d8(row[1 + cdl.L]), d8(row[1 + cdl.C]),
            d8(row[1 + cdl.V]), close_time, d8(row[1 + cdl.QV]), row[1 + cdl.N], d8(row[1 + cdl.TBV]),
            d8(row[1 + cdl.TBQV]), "0"]


def trade(t) -> dict:
    """/api/v3/trades and historicalTrades. ``isBuyerMaker``: the taker sold."""
    return {"id": t.seq, "price": d8(t.price), "qty": d8(t.size), "quoteQty": d8(t.price * t.size),
            "time": t.created_at, "isBuyerMaker": t.side == "SELL", "isBestMatch": True}


def agg_trade(t) -> dict:
    """/api/v3/aggTrades: each engine trade is one taker order against one price, one aggregate."""
    return {"a": t.seq, "p": d8(t.price), "q": d8(t.size), "f": t.seq, "l": t.seq, "T": t.created_at,
            "m": t.side == "SELL", "M": True}


def levels(rows, depth: int) -> list:
    return [[d8(p), d8(q)] for p, q in rows[:depth]]


def depth(book, depth_: int) -> dict:
    return {"lastUpdateId": book.seq_no, "bids": levels(book.bids, depth_), "asks": levels(book.asks, depth_)}


def book_ticker(name: str, book) -> dict:
    b = book.bids[0] if book.bids else (ZERO, ZERO)
    a = book.asks[0] if book.asks else (ZERO, ZERO)
    return {"symbol": name, "bidPrice": d8(b[0]), "bidQty": d8(b[1]), "askPrice": d8(a[0]), "askQty": d8(a[1])}


def _change(last: Decimal, open_: Decimal) -> tuple:
    change = last - open_
    pct = (change / open_ * 100).quantize(Decimal("0.001")) if open_ else Decimal("0.000")
    return change, pct


def window_ticker(name: str, w: dict, last_trade: int, full: bool = True) -> dict:
    """/api/v3/ticker (rolling window) from ``window`` statistics; MINI leaves out the changes."""
    change, pct = _change(w["close"], w["open"])
    vwap = (w["quote_volume"] / w["volume"]) if w["volume"] else w["close"]
    out = {"symbol": name}
    if full:
        out.update(priceChange=d8(change), priceChangePercent=str(pct), weightedAvgPrice=d8(vwap))
    out.update(openPrice=d8(w["open"]), highPrice=d8(w["high"]), lowPrice=d8(w["low"]), lastPrice=d8(w["close"]),
               volume=d8(w["volume"]), quoteVolume=d8(w["quote_volume"]), openTime=w["open_time"],
               closeTime=w["close_time"], firstId=max(0, last_trade - w["trades"] + 1) if w["trades"] else -1,
               lastId=last_trade if w["trades"] else -1, count=w["trades"])
    return out


def ticker_24hr(name: str, s, book, last_qty: Optional[Decimal], last_trade: int, full: bool = True) -> dict:
    """/api/v3/ticker/24hr from the engine's MarketStats (the numbers the WS @ticker stream sends)."""
    change, pct = _change(s.last_price, s.open_24h)
    vwap = (s.quote_volume_24h / s.volume_24h) if s.volume_24h else s.last_price
    out = {"symbol": name}
    if full:
        b = book.bids[0] if book is not None and book.bids else (ZERO, ZERO)
        a = book.asks[0] if book is not None and book.asks else (ZERO, ZERO)
        out.update(priceChange=d8(change), priceChangePercent=str(pct), weightedAvgPrice=d8(vwap),
                   prevClosePrice=d8(s.open_24h), lastPrice=d8(s.last_price), lastQty=d8(last_qty),
                   bidPrice=d8(b[0]), bidQty=d8(b[1]), askPrice=d8(a[0]), askQty=d8(a[1]))
    else:
        out["lastPrice"] = d8(s.last_price)
    out.update(openPrice=d8(s.open_24h), highPrice=d8(s.high_24h), lowPrice=d8(s.low_24h),
               volume=d8(s.volume_24h), quoteVolume=d8(s.quote_volume_24h),
               openTime=s.created_at - 86_400_000, closeTime=s.created_at,
               firstId=max(0, last_trade - s.trades_24h + 1) if s.trades_24h else -1,
               lastId=last_trade if s.trades_24h else -1, count=s.trades_24h)
    return out


# ------------------------------------------------------------------ WS payloads
def ws_trade(name: str, t, event_ms: int) -> dict:
    return {"e": "trade", "E": event_ms, "s": name, "t": t.seq, "p": d8(t.price), "q": d8(t.size),
            "T": t.created_at, "m": t.side == "SELL", "M": True}


def ws_agg_trade(name: str, t, event_ms: int) -> dict:
    return {"e": "aggTrade", "E": event_ms, "s": name, "a": t.seq, "p": d8(t.price), "q": d8(t.size),
            "f": t.seq, "l": t.seq, "T": t.created_at, "m": t.side == "SELL", "M": True}


def ws_kline(name: str, interval: str, row: list, first_id: int, last_id: int, closed: bool, event_ms: int) -> dict:
    t = row[0]
    r = row[1:]
    return {"e": "kline", "E": event_ms, "s": name, "k": {
        "t": t, "T": cdl.STANDARD[interval].next(t) - 1, "s": name, "i": interval, "f": first_id, "L": last_id,
        "o": d8(r[cdl.O]), "c": d8(r[cdl.C]), "h": d8(r[cdl.H]), "l": d8(r[cdl.L]), "v": d8(r[cdl.V]),
        "n": r[cdl.N], "x": closed, "q": d8(r[cdl.QV]), "V": d8(r[cdl.TBV]), "Q": d8(r[cdl.TBQV]), "B": "0"}}


def ws_mini_ticker(name: str, s, event_ms: int) -> dict:
    return {"e": "24hrMiniTicker", "E": event_ms, "s": name, "c": d8(s.last_price), "o": d8(s.open_24h),
            "h": d8(s.high_24h), "l": d8(s.low_24h), "v": d8(s.volume_24h), "q": d8(s.quote_volume_24h)}


def ws_ticker(name: str, s, book, last_qty, last_trade: int, event_ms: int) -> dict:
    r = ticker_24hr(name, s, book, last_qty, last_trade)
    return {"e": "24hrTicker", "E": event_ms, "s": name, "p": r["priceChange"], "P": r["priceChangePercent"],
            "w": r["weightedAvgPrice"], "x": r["prevClosePrice"], "c": r["lastPrice"], "Q": r["lastQty"],
            "b": r["bidPrice"], "B": r["bidQty"], "a": r["askPrice"], "A": r["askQty"], "o": r["openPrice"],
            "h": r["highPrice"], "l": r["lowPrice"], "v": r["volume"], "q": r["quoteVolume"], "O": r["openTime"],
            "C": r["closeTime"], "F": r["firstId"], "L": r["lastId"], "n": r["count"]}


def ws_book_ticker(name: str, book) -> dict:
    r = book_ticker(name, book)
    return {"u": book.seq_no, "s": name, "b": r["bidPrice"], "B": r["bidQty"], "a": r["askPrice"], "A": r["askQty"]}


def ws_depth_update(name: str, first: int, last: int, bids: list, asks: list, event_ms: int) -> dict:
    return {"e": "depthUpdate", "E": event_ms, "s": name, "U": first, "u": last,
            "b": [[d8(p), d8(q)] for p, q in bids], "a": [[d8(p), d8(q)] for p, q in asks]}
