"""KuCoin spot's wire shapes: every answer ``{"code": "200000", "data": ...}``; decimals as plain
strings without trailing zeros; candle times in epoch seconds (strings), other times in
milliseconds, trade times in nanoseconds; candle rows ``[time, open, close, high, low, volume,
turnover]`` (open, close, high, low: KuCoin's order)."""
from __future__ import annotations

from decimal import Decimal

from ...engine import candles as cdl

ZERO = Decimal(0)

# KuCoin's candle types -> the engine's widths
TYPES = {"1min": "1m", "3min": "3m", "5min": "5m", "15min": "15m", "30min": "30m", "1hour": "1h", "2hour": "2h",
         "4hour": "4h", "6hour": "6h", "8hour": "8h", "12hour": "12h", "1day": "1d", "1week": "1w", "1month": "1M"}


def num(x) -> str:
    if x is None:
        return None
    d = Decimal(x)
    return "0" if d == 0 else format(d.normalize(), "f")


def ok(data) -> dict:
    return {"code": "200000", "data": data}


def candle(row: list) -> list:
    r = row[1:]
    return [str(row[0] // 1000), num(r[cdl.O]), num(r[cdl.C]), num(r[cdl.H]), num(r[cdl.L]), num(r[cdl.V]),
            num(r[cdl.QV])]


def symbol(spec: dict) -> dict:
    return {"symbol": spec["symbol"], "name": spec.get("name", spec["symbol"]), "baseCurrency": spec["baseCurrency"],
            "quoteCurrency": spec["quoteCurrency"], "feeCurrency": spec.get("feeCurrency", spec["quoteCurrency"]),
            "market": spec.get("market", "USDS"), "baseMinSize": spec["baseMinSize"],
            "quoteMinSize": spec["quoteMinSize"], "baseMaxSize": spec["baseMaxSize"],
            "quoteMaxSize": spec["quoteMaxSize"], "baseIncrement": spec["baseIncrement"],
            "quoteIncrement": spec["quoteIncrement"], "priceIncrement": spec["priceIncrement"],
            "priceLimitRate": spec.get("priceLimitRate", "0.1"), "minFunds": spec["minFunds"],
            "isMarginEnabled": False, "enableTrading": True, "feeCategory": 1, "makerFeeCoefficient": "1.00",
            "takerFeeCoefficient": "1.00", "st": False, "callauctionIsEnabled": False,
            "callauctionPriceFloor": None, "callauctionPriceCeiling": None, "callauctionFirstStageStartTime": None,
            "callauctionSecondStageStartTime": None, "callauctionThirdStageStartTime": None, "tradingStartTime": None}


def currency(c: dict) -> dict:
    chain = {"chainName": c.get("chainName", c["currency"]), "withdrawalMinSize": "0.001", "depositMinSize": None,
             "withdrawFeeRate": "0", "withdrawalMinFee": "0.0005", "isWithdrawEnabled": True,
             "isDepositEnabled": True, "confirms": c.get("confirms", 12), "preConfirms": c.get("confirms", 12),
             "contractAddress": "", "withdrawPrecision": c.get("precision", 8), "maxWithdraw": None,
             "maxDeposit": None, "needTag": False, "chainId": c.get("chain", c["currency"].lower()),
             "depositFeeRate": None, "withdrawMaxFee": None, "depositTierFee": None}
    return {"currency": c["currency"], "name": c.get("name", c["currency"]), "fullName": c.get("fullName", c["currency"]),
            "precision": c.get("precision", 8), "confirms": None, "contractAddress": None, "isMarginEnabled": False,
            "isDebitEnabled": False, "chains": [chain]}


def _change(s):
    change = s.last_price - s.open_24h
    rate = (change / s.open_24h).quantize(Decimal("0.0001")) if s.open_24h else ZERO
    return change, rate


def stats(name: str, spec: dict, s) -> dict:
    """``/api/v1/market/stats`` (and an ``allTickers`` row, without ``time``) from MarketStats."""
    change, rate = _change(s)
    avg = (s.quote_volume_24h / s.volume_24h).quantize(Decimal(spec["priceIncrement"])) if s.volume_24h else s.last_price
    return {"time": s.created_at, "symbol": name, "buy": num(s.bid), "sell": num(s.ask), "changeRate": num(rate),
            "changePrice": num(change), "high": num(s.high_24h), "low": num(s.low_24h), "vol": num(s.volume_24h),
            "volValue": num(s.quote_volume_24h), "last": num(s.last_price), "averagePrice": num(avg),
            "takerFeeRate": spec.get("takerFeeRate", "0.001"), "makerFeeRate": spec.get("makerFeeRate", "0.001"),
            "takerCoefficient": "1", "makerCoefficient": "1"}


def all_tickers_row(name: str, spec: dict, s) -> dict:
    row = stats(name, spec, s)
    del row["time"]
    row["symbolName"] = name
    row["bestBidSize"] = num(s.bid_size)
    row["bestAskSize"] = num(s.ask_size)
    order = ("symbol", "symbolName", "buy", "bestBidSize", "sell", "bestAskSize", "changeRate", "changePrice", "high",
             "low", "vol", "volValue", "last", "averagePrice", "takerFeeRate", "makerFeeRate", "takerCoefficient",
             "makerCoefficient")
    return {k: row[k] for k in order}


def history(t) -> dict:
    return {"sequence": str(t.seq), "price": num(t.price), "size": num(t.size), "side": t.side.lower(),
            "time": t.created_at * 1_000_000}


def levels(rows, depth: int) -> list:
    return [[num(p), num(q)] for p, q in rows[:depth]]


# ------------------------------------------------------------------ WS payloads
def ws_match(name: str, t) -> dict:
    return {"makerOrderId": f"{t.seq:024x}", "price": num(t.price), "sequence": str(t.seq), "side": t.side.lower(),
            "size": num(t.size), "symbol": name, "takerOrderId": f"{t.seq + (1 << 64):024x}",
            "time": str(t.created_at * 1_000_000), "tradeId": str(t.seq), "type": "match"}


def ws_ticker(t, book) -> dict:
    b = book.bids[0] if book is not None and book.bids else (None, None)
    a = book.asks[0] if book is not None and book.asks else (None, None)
    return {"bestAsk": num(a[0]), "bestAskSize": num(a[1]), "bestBid": num(b[0]), "bestBidSize": num(b[1]),
            "price": num(t.price), "sequence": str(book.seq_no if book is not None else 0), "size": num(t.size),
            "time": t.created_at}


def ws_snapshot(name: str, spec: dict, s, sequence: int) -> dict:
    """``/market/snapshot`` (numbers, not strings, as KuCoin sends them). ``spec`` may be empty for a
    symbol listed at run time that the WS side has no fixture for."""
    base, _, quote = name.partition("-")
    spec = dict({"baseCurrency": base, "quoteCurrency": quote, "priceIncrement": "0.00000001"}, **spec)
    change, rate = _change(s)
    avg = (s.quote_volume_24h / s.volume_24h).quantize(Decimal(spec["priceIncrement"])) if s.volume_24h else s.last_price
    f = float
    return {"sequence": str(sequence), "data": {
        "averagePrice": f(avg), "baseCurrency": spec["baseCurrency"], "board": 1, "buy": f(s.bid or 0),
        "changePrice": f(change), "changeRate": f(rate), "close": f(s.last_price), "datetime": s.created_at,
        "high": f(s.high_24h), "lastTradedPrice": f(s.last_price), "low": f(s.low_24h),
        "makerCoefficient": 1.0, "makerFeeRate": f(spec.get("makerFeeRate", "0.001")), "marginTrade": False,
        "mark": 0, "market": spec.get("market", "USDS"), "open": f(s.open_24h), "quoteCurrency": spec["quoteCurrency"],
        "sell": f(s.ask or 0), "sort": 100, "symbol": name, "symbolCode": name, "takerCoefficient": 1.0,
        "takerFeeRate": f(spec.get("takerFeeRate", "0.001")), "trading": True, "vol": f(s.volume_24h),
        "volValue": f(s.quote_volume_24h)}}


def ws_candles(name: str, row: list, now_ms: int) -> dict:
    return {"symbol": name, "candles": candle(row), "time": now_ms * 1_000_000}
