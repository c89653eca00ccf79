"""Bybit v5's wire shapes: every number a string, prices with the instrument's decimals (spot: its
tick's; linear: ``priceScale``), sizes with its step's, volumes and turnover as plain decimals,
times in milliseconds (as strings inside ``result``)."""
from __future__ import annotations

import uuid
from decimal import ROUND_HALF_EVEN, Decimal

from ...engine import candles as cdl

ZERO = Decimal(0)
HOUR_MS = 3_600_000

# Bybit's interval names -> the engine's widths
INTERVALS = {"1": "1m", "3": "3m", "5": "5m", "15": "15m", "30": "30m", "60": "1h", "120": "2h", "240": "4h",
             "360": "6h", "720": "12h", "D": "1d", "W": "1w", "M": "1M"}
WIDTH_NAMES = {v: k for k, v in INTERVALS.items()}
TRADE_NS = uuid.UUID("6b1c1b0e-8f0b-4c0e-9a57-6279626974ff")


def _places(q: str) -> Decimal:
    return Decimal(1).scaleb(-len(q.split(".")[1])) if "." in q else Decimal(1)


def plain(x) -> str:
    """A decimal without exponent or trailing zeros."""
    d = Decimal(x if x is not None else 0)
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    return s


class Fmt:
    """How one instrument prints its prices and sizes."""

    def __init__(self, spec: dict):
        if spec.get("category") == "linear":
            self.pq = Decimal(1).scaleb(-int(spec.get("priceScale", 2)))
            self.sq = _places(spec["qtyStep"])
        else:
            self.pq = _places(spec["tickSize"])
            self.sq = _places(spec["basePrecision"])

    def px(self, x) -> str:
        return format(Decimal(x if x is not None else 0).quantize(self.pq, rounding=ROUND_HALF_EVEN), "f")

    def sz(self, x) -> str:
        return format(Decimal(x if x is not None else 0).quantize(self.sq, rounding=ROUND_HALF_EVEN), "f")

    def levels(self, rows, depth: int) -> list:
        return [[self.px(p), self.sz(q)] for p, q in rows[:depth]]


def fmt(market) -> Fmt:
    return Fmt(market.spec)


def exec_id(market, t) -> str:
    """Spot trade ids are numbers (the market's trade number); linear ones are UUIDs, derived
    from the market and the trade number so a seed gives the same ids every run."""
    if market.kind == "spot":
        return str(t.seq)
    return str(uuid.uuid5(TRADE_NS, f"{market.symbol}:{t.seq}"))


def kline_row(f: Fmt, row: list) -> list:
    r = row[1:]
    return [str(row[0]), f.px(r[cdl.O]), f.px(r[cdl.H]), f.px(r[cdl.L]), f.px(r[cdl.C]), plain(r[cdl.V]),
            plain(r[cdl.QV])]


def price_kline_row(f: Fmt, row: list) -> list:
    r = row[1:]
    return [str(row[0]), f.px(r[cdl.O]), f.px(r[cdl.H]), f.px(r[cdl.L]), f.px(r[cdl.C])]


def pcnt(last: Decimal, prev: Decimal, places: int) -> str:
    if not prev:
        return "0"
    return plain(((last - prev) / prev).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def next_funding_ms(now: int, hours) -> int:
    period = int(hours) * HOUR_MS
    return now - now % period + period


def ticker(market, s, book, prev_1h: Decimal) -> dict:
    """/v5/market/tickers and the WS ``tickers`` snapshot, from the engine's MarketStats."""
    f = fmt(market)
    b = book.bids[0] if book is not None and book.bids else (ZERO, ZERO)
    a = book.asks[0] if book is not None and book.asks else (ZERO, ZERO)
    if market.kind == "spot":
        return {"symbol": market.name, "bid1Price": f.px(b[0]), "bid1Size": f.sz(b[1]), "ask1Price": f.px(a[0]),
                "ask1Size": f.sz(a[1]), "lastPrice": f.px(s.last_price), "prevPrice24h": f.px(s.open_24h),
                "price24hPcnt": pcnt(s.last_price, s.open_24h, 4), "highPrice24h": f.px(s.high_24h),
                "lowPrice24h": f.px(s.low_24h), "turnover24h": plain(s.quote_volume_24h),
                "volume24h": plain(s.volume_24h), "usdIndexPrice": f.px(s.index_price)}
    oi = s.open_interest
    return {"symbol": market.name, "lastPrice": f.px(s.last_price), "indexPrice": f.px(s.index_price),
            "markPrice": f.px(s.mark_price), "prevPrice24h": f.px(s.open_24h),
            "price24hPcnt": pcnt(s.last_price, s.open_24h, 6), "highPrice24h": f.px(s.high_24h),
            "lowPrice24h": f.px(s.low_24h), "prevPrice1h": f.px(prev_1h), "openInterest": f.sz(oi),
            "openInterestValue": plain((oi * s.mark_price).quantize(Decimal("0.01"))),
            "turnover24h": plain(s.quote_volume_24h), "volume24h": plain(s.volume_24h),
            "fundingRate": plain(Decimal(s.funding_rate).quantize(Decimal("1e-8"))),
            "nextFundingTime": str(next_funding_ms(s.created_at, market.funding_period_hours)),
            "predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "", "deliveryTime": "0",
            "ask1Size": f.sz(a[1]), "bid1Price": f.px(b[0]), "ask1Price": f.px(a[0]), "bid1Size": f.sz(b[1]),
            "basis": "", "fundingIntervalHour": str(int(market.funding_period_hours)), "fundingCap": "0.005"}


def orderbook(market, book, depth: int, cts: int) -> dict:
    f = fmt(market)
    return {"s": market.name, "b": f.levels(book.bids, depth), "a": f.levels(book.asks, depth),
            "ts": book.last_updated_at, "u": book.seq_no, "seq": book.seq_no, "cts": cts}


def trade(market, t) -> dict:
    f = fmt(market)
    return {"execId": exec_id(market, t), "symbol": market.name, "price": f.px(t.price), "size": f.sz(t.size),
            "side": "Buy" if t.side == "BUY" else "Sell", "time": str(t.created_at), "isBlockTrade": False,
            "isRPITrade": False}


def instrument(spec: dict) -> dict:
    if spec["category"] == "spot":
        return {"symbol": spec["symbol"], "baseCoin": spec["baseCoin"], "quoteCoin": spec["quoteCoin"],
                "innovation": "0", "status": "Trading", "marginTrading": "both", "stTag": "0",
                "lotSizeFilter": {"basePrecision": spec["basePrecision"], "quotePrecision": spec["quotePrecision"],
                                  "minOrderQty": spec["minOrderQty"], "maxOrderQty": spec["maxOrderQty"],
                                  "minOrderAmt": spec["minOrderAmt"], "maxOrderAmt": spec["maxOrderAmt"]},
                "priceFilter": {"tickSize": spec["tickSize"]},
                "riskParameters": {"priceLimitRatioX": "0.005", "priceLimitRatioY": "0.01"}}
    return {"symbol": spec["symbol"], "contractType": "LinearPerpetual", "status": "Trading",
            "baseCoin": spec["baseCoin"], "quoteCoin": spec["quoteCoin"], "launchTime": spec["launchTime"],
            "deliveryTime": "0", "deliveryFeeRate": "", "priceScale": spec["priceScale"],
            "leverageFilter": {"minLeverage": "1", "maxLeverage": spec["maxLeverage"], "leverageStep": "0.01"},
            "priceFilter": {"minPrice": spec["minPrice"], "maxPrice": spec["maxPrice"], "tickSize": spec["tickSize"]},
            "lotSizeFilter": {"maxOrderQty": spec["maxOrderQty"], "minOrderQty": spec["minOrderQty"],
                              "qtyStep": spec["qtyStep"], "postOnlyMaxOrderQty": spec["maxOrderQty"],
                              "maxMktOrderQty": spec["maxMktOrderQty"], "minNotionalValue": spec["minNotionalValue"]},
            "unifiedMarginTrade": True, "fundingInterval": int(spec["fundingInterval"]),
            "settleCoin": spec["settleCoin"], "copyTrading": "both", "upperFundingRate": "0.005",
            "lowerFundingRate": "-0.005", "isPreListing": False, "preListingInfo": None,
            "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}, "displayName": ""}


# ------------------------------------------------------------------ WS payloads
def ws_kline(interval: str, row: list, f: Fmt, confirm: bool, now: int) -> dict:
    r = row[1:]
    width = cdl.STANDARD[INTERVALS[interval]]
    return {"start": row[0], "end": width.next(row[0]) - 1, "interval": interval, "open": f.px(r[cdl.O]),
            "close": f.px(r[cdl.C]), "high": f.px(r[cdl.H]), "low": f.px(r[cdl.L]), "volume": plain(r[cdl.V]),
            "turnover": plain(r[cdl.QV]), "confirm": confirm, "timestamp": now}


def ws_trade(market, t, prev_price) -> dict:
    f = fmt(market)
    out = {"T": t.created_at, "s": market.name, "S": "Buy" if t.side == "BUY" else "Sell", "v": f.sz(t.size),
           "p": f.px(t.price), "i": exec_id(market, t), "BT": False, "RPI": False, "seq": t.seq}
    if market.kind != "spot":
        if prev_price is None or t.price == prev_price:
            out["L"] = "ZeroPlusTick"
        else:
            out["L"] = "PlusTick" if t.price > prev_price else "MinusTick"
    return out
