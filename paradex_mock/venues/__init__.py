"""The venues the mock speaks, by name. Adding one: its package and one line in ``REGISTRY``."""
from __future__ import annotations

import importlib
from typing import Dict, List

from .base import Venue

# name -> "module:Class"; imported only when served
REGISTRY: Dict[str, str] = {
    "paradex": "paradex_mock.venues.paradex:ParadexVenue",
    "binance": "paradex_mock.venues.binance:BinanceVenue",
    "bybit": "paradex_mock.venues.bybit:BybitVenue",
    "okx": "paradex_mock.venues.okx:OkxVenue",
    "hyperliquid": "paradex_mock.venues.hyperliquid:HyperliquidVenue",
    "kraken": "paradex_mock.venues.kraken:KrakenVenue",
    "coinbase": "paradex_mock.venues.coinbase:CoinbaseVenue",
    "kucoin": "paradex_mock.venues.kucoin:KucoinVenue",
}


def names() -> List[str]:
    return list(REGISTRY)


def parse(spec) -> List[str]:
    """``"paradex,binance"`` (or a list, or "all"/empty for every venue) -> known names, in
    registry order. Raises ValueError naming what is unknown."""
    if spec is None or spec == "" or spec == "all":
        return names()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    wanted = [str(x).strip().lower() for x in items if str(x).strip()]
    unknown = [w for w in wanted if w not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown venue(s) {', '.join(unknown)}: choose from {', '.join(REGISTRY)}")
    if not wanted:
        raise ValueError(f"no venue named: choose from {', '.join(REGISTRY)}")
    return [n for n in REGISTRY if n in wanted]


def load(spec=None) -> List[Venue]:
    out = []
    for name in parse(spec):
        module, cls = REGISTRY[name].split(":")
        out.append(getattr(importlib.import_module(module), cls)())
    return out
