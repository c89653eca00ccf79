"""Kraken's wire shapes. REST: prices and volumes as fixed-decimal strings (OHLC at the pair's
``pair_decimals``; Ticker, Depth, Trades and Spread prices at five places as Kraken prints them;
volumes at ``lot_decimals``), times in seconds (trades with fractions). WS v2: JSON numbers at the
pair's price and quantity precision (the precision the book checksum uses), RFC 3339 times."""
from __future__ import annotations

import binascii
import datetime as _dt
from decimal import Decimal
from typing import Iterable

from ...engine import candles as cdl

ZERO = Decimal(0)
REST_PRICE_PLACES = 5

# Kraken's OHLC intervals, minutes -> the engine's widths (fixed widths from the epoch)
INTERVALS = {1: cdl.minutes(1), 5: cdl.minutes(5), 15: cdl.minutes(15), 30: cdl.minutes(30), 60: cdl.minutes(60),
             240: cdl.minutes(240), 1440: cdl.minutes(1440), 10080: cdl.minutes(10080), 21600: cdl.minutes(21600)}
# the WS v2 ohlc channel's intervals whose open candle the shared WS machinery follows
WS_WIDTHS = {1: "1m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 240: "4h", 1440: "1d"}

FEES = [[0, 0.40], [10000, 0.35], [50000, 0.24], [100000, 0.22], [250000, 0.20], [500000, 0.18],
        [1000000, 0.16], [2500000, 0.14], [5000000, 0.12], [10000000, 0.10]]
FEES_MAKER = [[0, 0.25], [10000, 0.20], [50000, 0.14], [100000, 0.12], [250000, 0.10], [500000, 0.08],
              [1000000, 0.06], [2500000, 0.04], [5000000, 0.02], [10000000, 0.0]]


def fixed(x, places: int) -> str:
    if x is None:
        x = ZERO
    return format(Decimal(x).quantize(Decimal(1).scaleb(-places)), "f")


def px(spec: dict, x) -> str:
    return fixed(x, REST_PRICE_PLACES)


def vol(spec: dict, x) -> str:
    return fixed(x, int(spec["lot_decimals"]))


def asset_pair(spec: dict, info: str = "info") -> dict:
    lev = list(spec.get("leverage", []))
    full = {"altname": spec["altname"], "wsname": spec["wsname"], "aclass_base": "currency", "base": spec["base"],
            "aclass_quote": "currency", "quote": spec["quote"], "lot": "unit",
            "cost_decimals": int(spec["cost_decimals"]), "pair_decimals": int(spec["pair_decimals"]),
            "lot_decimals": int(spec["lot_decimals"]), "lot_multiplier": 1, "leverage_buy": lev,
            "leverage_sell": lev, "fees": FEES, "fees_maker": FEES_MAKER, "fee_volume_currency": "ZUSD",
            "margin_call": 80, "margin_stop": 40, "ordermin": spec["ordermin"], "costmin": spec["costmin"],
            "tick_size": spec["tick_size"], "status": "online"}
    if lev:
        full.update(long_position_limit=250, short_position_limit=200)
    if info == "leverage":
        return {k: full[k] for k in ("leverage_buy", "leverage_sell")}
    if info == "fees":
        return {k: full[k] for k in ("fees", "fee_volume_currency")}
    if info == "margin":
        return {k: full[k] for k in ("margin_call", "margin_stop")}
    return full


def ohlc_row(spec: dict, row: list) -> list:
    """``[time s, open, high, low, close, vwap, volume, count]``; an interval without trades has
    vwap and volume zero."""
    r = row[1:]
    pd = int(spec["pair_decimals"])
    vwap = r[cdl.QV] / r[cdl.V] if r[cdl.V] else ZERO
    return [row[0] // 1000, fixed(r[cdl.O], pd), fixed(r[cdl.H], pd), fixed(r[cdl.L], pd), fixed(r[cdl.C], pd),
            fixed(vwap, pd), vol(spec, r[cdl.V]), r[cdl.N]]


def trade_row(spec: dict, t) -> list:
    """``[price, volume, time, buy/sell, market/limit, misc, trade_id]``: the taker's side, and the
    simulated takers send market orders."""
    return [px(spec, t.price), vol(spec, t.size), t.created_at / 1000, "b" if t.side == "BUY" else "s", "m", "",
            t.seq]


def depth_side(spec: dict, rows, count: int, ts: int) -> list:
    return [[px(spec, p), vol(spec, q), ts] for p, q in list(rows)[:count]]


def ticker(spec: dict, s, book, today: dict, last_qty) -> dict:
    b = book.bids[0] if book.bids else (ZERO, ZERO)
    a = book.asks[0] if book.asks else (ZERO, ZERO)
    vwap_today = today["quote_volume"] / today["volume"] if today["volume"] else today["close"]
    vwap_24 = s.quote_volume_24h / s.volume_24h if s.volume_24h else s.last_price

    def lot(q):
        return str(int(q)) if q >= 1 else "1"
    return {"a": [px(spec, a[0]), lot(a[1]), fixed(a[1], 3)], "b": [px(spec, b[0]), lot(b[1]), fixed(b[1], 3)],
            "c": [px(spec, s.last_price), vol(spec, last_qty or ZERO)],
            "v": [vol(spec, today["volume"]), vol(spec, s.volume_24h)],
            "p": [px(spec, vwap_today), px(spec, vwap_24)], "t": [today["trades"], s.trades_24h],
            "l": [px(spec, today["low"]), px(spec, s.low_24h)], "h": [px(spec, today["high"]), px(spec, s.high_24h)],
            "o": px(spec, today["open"])}


# ------------------------------------------------------------------ WS v2
class Num:
    """A decimal that goes on the wire as a JSON number with exactly these digits."""
    __slots__ = ("text",)

    def __init__(self, x, places: int):
        self.text = fixed(x, places)


def dumps(obj) -> str:
    """JSON with ``Num`` written as bare numbers (Kraken v2 sends prices and sizes as numbers)."""
    if isinstance(obj, Num):
        return obj.text
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_str(k)}:{dumps(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    if isinstance(obj, str):
        return _str(obj)
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if obj is None:
        return "null"
    return repr(obj)


def _str(s: str) -> str:
    import json
    return json.dumps(s)


def rfc3339(ms: int, digits: int = 6) -> str:
    d = _dt.datetime.fromtimestamp(ms // 1000, _dt.timezone.utc)
    frac = f"{ms % 1000:03d}".ljust(digits, "0")
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def ws_levels(spec: dict, rows: Iterable) -> list:
    pd, ld = int(spec["pair_decimals"]), int(spec["lot_decimals"])
    return [{"price": Num(p, pd), "qty": Num(q, ld)} for p, q in rows]


def checksum(spec: dict, bids, asks) -> int:
    """Kraken's book checksum: the top 10 asks (low to high) then the top 10 bids (high to low),
    each price and quantity at the pair's precision with the point and leading zeros removed,
    concatenated; CRC32 of that, unsigned."""
    pd, ld = int(spec["pair_decimals"]), int(spec["lot_decimals"])

    def part(x, places):
        return fixed(x, places).replace(".", "").lstrip("0")
    text = "".join(part(p, pd) + part(q, ld) for p, q in list(asks)[:10]) + \
        "".join(part(p, pd) + part(q, ld) for p, q in list(bids)[:10])
    return binascii.crc32(text.encode()) & 0xFFFFFFFF


def ws_trade(spec: dict, symbol: str, t) -> dict:
    return {"symbol": symbol, "side": "buy" if t.side == "BUY" else "sell",
            "price": Num(t.price, int(spec["pair_decimals"])), "qty": Num(t.size, int(spec["lot_decimals"])),
            "ord_type": "market", "trade_id": t.seq, "timestamp": rfc3339(t.created_at)}


def ws_ohlc(spec: dict, symbol: str, minutes: int, row: list) -> dict:
    r = row[1:]
    pd = int(spec["pair_decimals"])
    vwap = r[cdl.QV] / r[cdl.V] if r[cdl.V] else ZERO
    begin = row[0]
    return {"symbol": symbol, "open": Num(r[cdl.O], pd), "high": Num(r[cdl.H], pd), "low": Num(r[cdl.L], pd),
            "close": Num(r[cdl.C], pd), "trades": r[cdl.N], "volume": Num(r[cdl.V], int(spec["lot_decimals"])),
            "vwap": Num(vwap, pd), "interval_begin": rfc3339(begin, 9), "interval": minutes,
            "timestamp": rfc3339(begin + minutes * 60_000)}


def ws_ticker(spec: dict, symbol: str, s, book) -> dict:
    pd, ld = int(spec["pair_decimals"]), int(spec["lot_decimals"])
    b = book.bids[0] if book is not None and book.bids else (ZERO, ZERO)
    a = book.asks[0] if book is not None and book.asks else (ZERO, ZERO)
    vwap = s.quote_volume_24h / s.volume_24h if s.volume_24h else s.last_price
    change = s.last_price - s.open_24h
    pct = (change / s.open_24h * 100) if s.open_24h else ZERO
    return {"symbol": symbol, "bid": Num(b[0], pd), "bid_qty": Num(b[1], ld), "ask": Num(a[0], pd),
            "ask_qty": Num(a[1], ld), "last": Num(s.last_price, pd), "volume": Num(s.volume_24h, ld),
            "vwap": Num(vwap, pd), "low": Num(s.low_24h, pd), "high": Num(s.high_24h, pd),
            "change": Num(change, pd), "change_pct": Num(pct, 2)}
