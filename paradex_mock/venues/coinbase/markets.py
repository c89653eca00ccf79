"""Coinbase Advanced Trade spot products: ``fixtures/coinbase/markets.json`` (what
``/api/v3/brokerage/market/products`` describes, and the simulator's parameters per product)."""
from __future__ import annotations

from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "coinbase"
FIELDS = kit.SpotFields(name="product_id", base="base_currency_id", quote="quote_currency_id",
                        tick="price_increment", step="base_increment", min_notional="quote_min_size",
                        max_order_size="base_max_size", maker_fee="maker_fee_rate", taker_fee="taker_fee_rate",
                        default_maker_fee="0.006", default_taker_fee="0.012")


def key(product_id: str) -> str:
    return f"{VENUE}:{product_id}"


def market_from_spec(spec: dict) -> Market:
    return kit.spot_market(VENUE, spec, FIELDS)


def load(fixtures_dir: str) -> List[MarketDef]:
    return kit.listed(VENUE, kit.fixture(fixtures_dir, VENUE)["products"], market_from_spec)


def add_product(product_id: str, price) -> MarketDef:
    """A product the fixture does not list (``create_mock_server().add_trading_pair``): ``BASE-QUOTE``
    with BTC-USD's increments, starting at ``price``."""
    product_id = product_id.upper()
    base, _, quote = product_id.partition("-")
    if not base or not quote:
        raise ValueError(f"a Coinbase product id is BASE-QUOTE (BTC-USD), not {product_id!r}")
    p = to_decimal(str(price))
    tick = "0.01" if p >= 10 else "0.0001" if p >= 0.1 else "0.000001"
    spec = {"product_id": product_id, "base_currency_id": base, "quote_currency_id": quote, "base_name": base,
            "quote_name": quote, "base_increment": "0.00000001", "quote_increment": tick, "price_increment": tick,
            "base_min_size": "0.00000001", "base_max_size": "100000000", "quote_min_size": "1",
            "quote_max_size": "25000000", "alias_to": [],
            "sim": {"start_price": str(price), "volatility": 0.6, "book_levels": 40, "trades_per_minute": 12}}
    spec["sim"]["level_size"] = str((to_decimal("40000") / p).quantize(to_decimal("0.00000001")))
    spec["sim"]["trade_size"] = str((to_decimal("1000") / p).quantize(to_decimal("0.00000001")))
    return MarketDef(market_from_spec(spec), dict(spec["sim"]), VENUE)
