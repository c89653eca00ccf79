"""Kraken spot pairs: ``fixtures/kraken/markets.json`` (what AssetPairs and Assets serve, and the
simulator's parameters per pair). Engine keys are ``kraken:<pair id>`` (``kraken:XXBTZUSD``)."""
from __future__ import annotations

from decimal import Decimal
from typing import Dict, List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "kraken"
TAKER_FEE = Decimal("0.004")     # Kraken Pro's first tier: 0.40% taker, 0.25% maker
MAKER_FEE = Decimal("0.0025")
ASSETS: Dict[str, dict] = {}     # asset id -> Assets entry (filled by ``load``)
SPECS: Dict[str, dict] = {}      # engine key -> the pair's spec, for the WS side in this process


def key(pair: str) -> str:
    return f"{VENUE}:{pair}"


def market_from_spec(pair: str, spec: dict) -> Market:
    spec = dict(spec, id=pair)
    SPECS[key(pair)] = spec
    return Market(
        symbol=key(pair), name=pair, venue=VENUE, kind="spot", spec=spec, base=spec["base"], quote=spec["quote"],
        tick=to_decimal(spec["tick_size"]), step=Decimal(1).scaleb(-int(spec["lot_decimals"])),
        min_notional=to_decimal(spec["costmin"]), maker_fee=MAKER_FEE, taker_fee=TAKER_FEE,
    )


def load(fixtures_dir: str) -> List[MarketDef]:
    doc = kit.fixture(fixtures_dir, VENUE)
    ASSETS.clear()
    ASSETS.update(doc["assets"])
    return [MarketDef(market_from_spec(p, s), dict(s.get("sim", {})), VENUE) for p, s in doc["pairs"].items()]


def add_pair(name: str, price) -> MarketDef:
    """A pair the fixture does not list (``create_mock_server().add_trading_pair``): ``DOGEUSD`` or
    ``DOGE/USD``; a new asset is listed with it."""
    name = name.upper().replace("/", "")
    quote = next((q for q in ("USD", "EUR", "USDT", "USDC") if name.endswith(q) and name != q), "USD")
    base = name[: -len(quote)]
    p = to_decimal(str(price))
    pd = 1 if p >= 10_000 else 2 if p >= 10 else 4 if p >= 0.1 else 6
    quote_id = {"USD": "ZUSD", "EUR": "ZEUR"}.get(quote, quote)
    spec = {"altname": base + quote, "wsname": f"{base}/{quote}", "ws_v2": f"{base}/{quote}", "base": base,
            "quote": quote_id, "pair_decimals": pd, "cost_decimals": 5, "lot_decimals": 8,
            "ordermin": str((Decimal(5) / p).quantize(Decimal("1e-8"))), "costmin": "0.5",
            "tick_size": format(Decimal(1).scaleb(-pd), "f"), "leverage": [],
            "sim": {"start_price": str(price), "volatility": 0.8, "book_levels": 40, "trades_per_minute": 12}}
    spec["sim"]["level_size"] = str((Decimal(40000) / p).quantize(Decimal("1e-8")))
    spec["sim"]["trade_size"] = str((Decimal(1000) / p).quantize(Decimal("1e-8")))
    ASSETS.setdefault(base, {"aclass": "currency", "altname": base, "decimals": 10, "display_decimals": 5,
                             "status": "enabled"})
    pair = base + quote
    return MarketDef(market_from_spec(pair, spec), dict(spec["sim"]), VENUE)
