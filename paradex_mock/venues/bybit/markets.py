"""Bybit v5 instruments: ``fixtures/bybit/markets.json``, categories ``spot`` and ``linear`` (USDT
perpetuals: engine markets of kind "perpetual", so they have mark and index prices, funding and
open interest). A symbol names a market only together with its category (BTCUSDT is both), so
engine keys are ``bybit:<category>:<symbol>``."""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "bybit"
CATEGORIES = ("spot", "linear")


def key(category: str, symbol: str) -> str:
    return f"{VENUE}:{category}:{symbol}"


def split(k: str) -> tuple:
    """``bybit:linear:BTCUSDT`` -> ("linear", "BTCUSDT")."""
    _, category, symbol = k.split(":", 2)
    return category, symbol


def market_from_spec(category: str, spec: dict) -> Market:
    spec = dict(spec, category=category)
    if category == "spot":
        step, min_notional, kind = to_decimal(spec["basePrecision"]), to_decimal(spec["minOrderAmt"]), "spot"
    else:
        step, min_notional, kind = to_decimal(spec["qtyStep"]), to_decimal(spec["minNotionalValue"]), "perpetual"
    extra = {}
    if kind == "perpetual":
        extra = dict(funding_period_hours=Decimal(int(spec.get("fundingInterval", 480)) // 60),
                     imf_base=Decimal(1) / to_decimal(spec["maxLeverage"]))
    return Market(symbol=key(category, spec["symbol"]), name=spec["symbol"], venue=VENUE, kind=kind, spec=spec,
                  base=spec["baseCoin"], quote=spec["quoteCoin"], tick=to_decimal(spec["tickSize"]), step=step,
                  min_notional=min_notional, max_order_size=to_decimal(spec["maxOrderQty"]),
                  maker_fee=to_decimal(spec.get("makerFee", "0.001")), taker_fee=to_decimal(spec.get("takerFee", "0.001")),
                  **extra)


def load(fixtures_dir: str) -> List[MarketDef]:
    doc = kit.fixture(fixtures_dir, VENUE)
    return [d for c in CATEGORIES for d in kit.listed(VENUE, doc[c], functools.partial(market_from_spec, c))]


def add_symbol(name: str, price) -> MarketDef:
    """A spot symbol the fixture does not list (``create_mock_server().add_trading_pair``);
    ``linear:SYMBOL`` lists a perpetual. BTCUSDT's rules scaled to ``price``."""
    category, _, symbol = name.rpartition(":")
    category = category or "spot"
    if category not in CATEGORIES:
        raise ValueError(f"unknown Bybit category {category!r}: spot or linear")
    symbol = symbol.upper()
    quote = next((q for q in ("USDT", "USDC", "BTC", "ETH") if symbol.endswith(q) and symbol != q), "USDT")
    p = to_decimal(str(price))
    tick = "0.01" if p >= 1 else "0.00001"
    step = "0.000001" if p >= 1000 else "0.001" if p >= 1 else "1"
    spec = {"symbol": symbol, "baseCoin": symbol[: -len(quote)], "quoteCoin": quote, "tickSize": tick,
            "basePrecision": step, "quotePrecision": "0.00000001", "minOrderQty": step, "maxOrderQty": "1000000",
            "minOrderAmt": "1", "maxOrderAmt": "2000000", "qtyStep": step, "settleCoin": quote,
            "priceScale": str(len(tick.split(".")[1])), "minPrice": tick, "maxPrice": "1999999",
            "maxMktOrderQty": "100000", "minNotionalValue": "5", "maxLeverage": "50.00", "launchTime": "1700000000000",
            "fundingInterval": 480}
    sim = {"start_price": str(price), "volatility": 0.6, "book_levels": 40, "trades_per_minute": 12,
           "level_size": str(max(to_decimal(step), (Decimal(40000) / p).quantize(to_decimal(step)))),
           "trade_size": str(max(to_decimal(step), (Decimal(1000) / p).quantize(to_decimal(step))))}
    return MarketDef(market_from_spec(category, spec), sim, VENUE)
