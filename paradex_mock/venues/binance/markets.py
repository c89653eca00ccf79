"""Binance spot symbols: ``fixtures/binance/markets.json`` (the filters ``exchangeInfo`` serves and
the simulator's parameters per symbol)."""
from __future__ import annotations

from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "binance"
FIELDS = kit.SpotFields(name="symbol", base="baseAsset", quote="quoteAsset", tick="tickSize", step="stepSize",
                        min_notional="minNotional", max_order_size="maxQty", maker_fee="makerFee",
                        taker_fee="takerFee", default_maker_fee="0.001", default_taker_fee="0.001")


def key(symbol: str) -> str:
    return f"{VENUE}:{symbol}"


def market_from_spec(spec: dict) -> Market:
    return kit.spot_market(VENUE, spec, FIELDS)


def load(fixtures_dir: str) -> List[MarketDef]:
    return kit.listed(VENUE, kit.fixture(fixtures_dir, VENUE)["symbols"], market_from_spec)


def add_symbol(symbol: str, price) -> MarketDef:
    """A symbol the fixture does not list (``create_mock_server().add_trading_pair``): BTCUSDT's
    filters, base and quote split at the USDT/USDC/BTC/ETH/BUSD suffix, starting at ``price``."""
    symbol = symbol.upper()
    quote = next((q for q in ("USDT", "USDC", "FDUSD", "BUSD", "BTC", "ETH") if symbol.endswith(q) and symbol != q), "USDT")
    spec = {"symbol": symbol, "baseAsset": symbol[: -len(quote)], "quoteAsset": quote, "tickSize": "0.01",
            "minPrice": "0.01", "maxPrice": "1000000", "stepSize": "0.00001", "minQty": "0.00001", "maxQty": "9000",
            "minNotional": "5", "maxNotional": "9000000", "marketMaxQty": "100", "makerFee": "0.001",
            "takerFee": "0.001", "sim": {"start_price": str(price), "volatility": 0.6, "book_levels": 40,
                                          "trades_per_minute": 12}}
    p = to_decimal(str(price))
    if p < 1:
        spec.update(tickSize="0.00001", minPrice="0.00001", stepSize="1", minQty="1", maxQty="90000000")
    elif p < 100:
        spec.update(tickSize="0.001", minPrice="0.001", stepSize="0.01", minQty="0.01", maxQty="900000")
    spec["sim"]["level_size"] = str(max(to_decimal(spec["stepSize"]), to_decimal("40000") / p).quantize(to_decimal(spec["stepSize"])))
    spec["sim"]["trade_size"] = str(max(to_decimal(spec["stepSize"]), to_decimal("1000") / p).quantize(to_decimal(spec["stepSize"])))
    return MarketDef(market_from_spec(spec), dict(spec["sim"]), VENUE)
