"""Hyperliquid perpetuals: ``fixtures/hyperliquid/markets.json`` (what ``meta`` serves and the
simulator's parameters per coin). Each is an engine perpetual with hourly funding."""
from __future__ import annotations

from decimal import Decimal
from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "hyperliquid"
MIN_NOTIONAL = Decimal(10)          # Hyperliquid: an order's value is at least 10 USDC
TAKER_FEE = Decimal("0.00045")      # base tier
MAKER_FEE = Decimal("0.00015")


def key(coin: str) -> str:
    return f"{VENUE}:{coin}"


def market_from_spec(spec: dict) -> Market:
    return Market(
        symbol=key(spec["name"]), name=spec["name"], venue=VENUE, kind="perpetual", spec=spec,
        base=spec["name"], quote="USDC", tick=to_decimal(spec["tick"]),
        step=Decimal(1).scaleb(-int(spec["szDecimals"])), min_notional=MIN_NOTIONAL,
        maker_fee=MAKER_FEE, taker_fee=TAKER_FEE, imf_base=Decimal(1) / Decimal(int(spec["maxLeverage"])),
        funding_period_hours=Decimal(1), max_funding_rate=Decimal("0.04"),
    )


def load(fixtures_dir: str) -> List[MarketDef]:
    return kit.listed(VENUE, kit.fixture(fixtures_dir, VENUE)["universe"], market_from_spec)


def add_coin(coin: str, price) -> MarketDef:
    """A coin the fixture does not list (``create_mock_server().add_trading_pair``): szDecimals and
    tick from its price, as Hyperliquid's 5-significant-figure rule gives them."""
    coin = coin.upper()
    p = to_decimal(str(price))
    digits = len(str(int(p))) if p >= 1 else 0
    sz = 5 if p >= 10_000 else 4 if p >= 1_000 else 2 if p >= 10 else 1 if p >= 1 else 0
    tick = Decimal(1).scaleb(digits - 5) if p >= 1 else Decimal("0.000001")
    tick = max(tick, Decimal(1).scaleb(-(6 - sz)))
    spec = {"name": coin, "szDecimals": sz, "maxLeverage": 10, "marginTableId": 10, "tick": format(tick, "f"),
            "sim": {"start_price": str(price), "volatility": 0.8, "book_levels": 40, "trades_per_minute": 12,
                    "funding_rate": "0.0000125", "open_interest": "100000"}}
    step = Decimal(1).scaleb(-sz)
    spec["sim"]["level_size"] = str(max(step, (Decimal(40000) / p).quantize(step)))
    spec["sim"]["trade_size"] = str(max(step, (Decimal(1000) / p).quantize(step)))
    return MarketDef(market_from_spec(spec), dict(spec["sim"]), VENUE)
