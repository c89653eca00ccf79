"""Coinbase Advanced Trade's wire shapes: decimals as plain strings without trailing zeros
("95000.01", "0.015"), candle times in epoch seconds (strings), other times RFC 3339 with
microseconds ("2024-02-27T03:37:14.123000Z"), trade ids the market's trade numbers as strings."""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from ...engine import candles as cdl

ZERO = Decimal(0)

# Coinbase's granularity names -> the engine's widths
GRANULARITIES = {
    "ONE_MINUTE": "1m", "FIVE_MINUTE": "5m", "FIFTEEN_MINUTE": "15m", "THIRTY_MINUTE": "30m",
    "ONE_HOUR": "1h", "TWO_HOUR": "2h", "FOUR_HOUR": "4h", "SIX_HOUR": "6h", "ONE_DAY": "1d",
}


def num(x) -> str:
    """A decimal as Coinbase prints it: plain, no exponent, no trailing zeros."""
    if x is None:
        return ""
    d = Decimal(x)
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


def iso(ms: int) -> str:
    """Epoch milliseconds as RFC 3339 with microseconds, UTC."""
    t = _dt.datetime.fromtimestamp(ms // 1000, _dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}000Z"


def product(spec: dict, s, w_prev: dict) -> dict:
    """One product of ``/market/products`` (and ``/market/products/{id}``), with its live price and
    24 h statistics from the engine's MarketStats ``s``; ``w_prev`` the 24 h window before."""
    change = ((s.last_price - s.open_24h) / s.open_24h * 100) if s.open_24h else ZERO
    prev_vol = w_prev["volume"]
    vol_change = ((s.volume_24h - prev_vol) / prev_vol * 100) if prev_vol else ZERO
    mid = (s.bid + s.ask) / 2 if s.bid is not None and s.ask is not None else None
    base, quote = spec["base_currency_id"], spec["quote_currency_id"]
    return {
        "product_id": spec["product_id"], "price": num(s.last_price),
        "price_percentage_change_24h": num(change.quantize(Decimal("1e-14"))),
        "volume_24h": num(s.volume_24h), "volume_percentage_change_24h": num(vol_change.quantize(Decimal("1e-14"))),
        "base_increment": spec["base_increment"], "quote_increment": spec["quote_increment"],
        "quote_min_size": spec["quote_min_size"], "quote_max_size": spec["quote_max_size"],
        "base_min_size": spec["base_min_size"], "base_max_size": spec["base_max_size"],
        "base_name": spec.get("base_name", base), "quote_name": spec.get("quote_name", quote),
        "watched": False, "is_disabled": False, "new": False, "status": "online", "cancel_only": False,
        "limit_only": False, "post_only": False, "trading_disabled": False, "auction_mode": False,
        "product_type": "SPOT", "quote_currency_id": quote, "base_currency_id": base,
        "fcm_trading_session_details": None, "mid_market_price": num(mid) if mid is not None else "",
        "alias": "", "alias_to": list(spec.get("alias_to", [])), "base_display_symbol": base,
        "quote_display_symbol": quote, "view_only": False, "price_increment": spec["price_increment"],
        "display_name": spec["product_id"], "product_venue": "CBE",
        "approximate_quote_24h_volume": num(s.quote_volume_24h.quantize(Decimal("0.01"))),
    }


def candle(row: list) -> dict:
    r = row[1:]
    return {"start": str(row[0] // 1000), "low": num(r[cdl.L]), "high": num(r[cdl.H]), "open": num(r[cdl.O]),
            "close": num(r[cdl.C]), "volume": num(r[cdl.V])}


def trade(product_id: str, t) -> dict:
    """A market trade (``/ticker``'s ``trades``, the WS ``market_trades`` channel). ``side`` is the
    taker's."""
    return {"trade_id": str(t.seq), "product_id": product_id, "price": num(t.price), "size": num(t.size),
            "time": iso(t.created_at), "side": t.side, "bid": "", "ask": ""}


def levels(rows, limit=None) -> list:
    rows = rows if limit is None else rows[:limit]
    return [{"price": num(p), "size": num(q)} for p, q in rows]


def ws_ticker(product_id: str, s) -> dict:
    change = ((s.last_price - s.open_24h) / s.open_24h * 100) if s.open_24h else ZERO
    return {"type": "ticker", "product_id": product_id, "price": num(s.last_price),
            "volume_24_h": num(s.volume_24h), "low_24_h": num(s.low_24h), "high_24_h": num(s.high_24h),
            "low_52_w": num(s.low_24h), "high_52_w": num(s.high_24h),
            "price_percent_chg_24_h": num(change.quantize(Decimal("1e-14"))),
            "best_bid": num(s.bid), "best_bid_quantity": num(s.bid_size),
            "best_ask": num(s.ask), "best_ask_quantity": num(s.ask_size)}


def ws_candle(product_id: str, row: list) -> dict:
    out = candle(row)
    out["product_id"] = product_id
    return out


def l2_updates(bids, asks, event_time: str) -> list:
    return ([{"side": "bid", "event_time": event_time, "price_level": num(p), "new_quantity": num(q)} for p, q in bids]
            + [{"side": "offer", "event_time": event_time, "price_level": num(p), "new_quantity": num(q)} for p, q in asks])
