"""KuCoin spot symbols and currencies: ``fixtures/kucoin/markets.json`` (what ``/api/v2/symbols`` and
``/api/v3/currencies`` describe, and the simulator's parameters per symbol)."""
from __future__ import annotations

from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "kucoin"
FIELDS = kit.SpotFields(name="symbol", base="baseCurrency", quote="quoteCurrency", tick="priceIncrement",
                        step="baseIncrement", min_notional="minFunds", max_order_size="baseMaxSize",
                        maker_fee="makerFeeRate", taker_fee="takerFeeRate", default_maker_fee="0.001",
                        default_taker_fee="0.001")


def key(symbol: str) -> str:
    return f"{VENUE}:{symbol}"


def market_from_spec(spec: dict) -> Market:
    return kit.spot_market(VENUE, spec, FIELDS)


def currencies(fixtures_dir: str) -> list:
    return kit.fixture(fixtures_dir, VENUE).get("currencies", [])


def load(fixtures_dir: str) -> List[MarketDef]:
    return kit.listed(VENUE, kit.fixture(fixtures_dir, VENUE)["symbols"], market_from_spec)


def add_symbol(symbol: str, price) -> MarketDef:
    """A symbol the fixture does not list (``create_mock_server().add_trading_pair``): ``BASE-QUOTE``
    starting at ``price``, with increments fit for it."""
    symbol = symbol.upper()
    base, _, quote = symbol.partition("-")
    if not base or not quote:
        raise ValueError(f"a KuCoin symbol is BASE-QUOTE (BTC-USDT), not {symbol!r}")
    p = to_decimal(str(price))
    tick = "0.1" if p >= 10000 else "0.01" if p >= 10 else "0.0001" if p >= 0.1 else "0.000001"
    step = "0.00000001" if p >= 1000 else "0.0001" if p >= 1 else "1"
    spec = {"symbol": symbol, "name": symbol, "baseCurrency": base, "quoteCurrency": quote, "feeCurrency": quote,
            "market": "USDS", "baseMinSize": step, "quoteMinSize": "0.1", "baseMaxSize": "10000000000",
            "quoteMaxSize": "99999999", "baseIncrement": step, "quoteIncrement": "0.000001", "priceIncrement": tick,
            "priceLimitRate": "0.1", "minFunds": "0.1", "makerFeeRate": "0.001", "takerFeeRate": "0.001",
            "sim": {"start_price": str(price), "volatility": 0.6, "book_levels": 40, "trades_per_minute": 12}}
    spec["sim"]["level_size"] = str(max(to_decimal(step), (to_decimal("40000") / p).quantize(to_decimal(step))))
    spec["sim"]["trade_size"] = str(max(to_decimal(step), (to_decimal("1000") / p).quantize(to_decimal(step))))
    return MarketDef(market_from_spec(spec), dict(spec["sim"]), VENUE)
