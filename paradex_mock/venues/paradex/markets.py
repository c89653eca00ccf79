"""Paradex's markets: ``fixtures/markets.json`` holds Paradex's own market objects (served as they
are by ``GET /v1/markets``), ``fixtures/simulation.json`` how each one moves."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal

VENUE = "paradex"


def market_from_spec(spec: dict) -> Market:
    fees = spec.get("fee_config", {}).get("api_fee", {})
    margin = spec.get("delta1_cross_margin_params", {})
    return Market(
        symbol=spec["symbol"], venue=VENUE, kind="perpetual", spec=spec,
        base=spec.get("base_currency", ""), quote=spec.get("quote_currency", ""),
        tick=to_decimal(spec["price_tick_size"]),
        step=to_decimal(spec["order_size_increment"]),
        min_notional=to_decimal(spec.get("min_notional", "0")),
        max_order_size=to_decimal(spec.get("max_order_size", "1e12")),
        position_limit=to_decimal(spec.get("position_limit", "1e12")),
        max_open_orders=int(spec.get("max_open_orders", 100)),
        maker_fee=to_decimal(fees.get("maker_fee", {}).get("fee", "0")),
        taker_fee=to_decimal(fees.get("taker_fee", {}).get("fee", "0")),
        imf_base=to_decimal(margin.get("imf_base", "0.1")),
        mmf_factor=to_decimal(margin.get("mmf_factor", "0.5")),
        funding_period_hours=to_decimal(spec.get("funding_period_hours", 8)),
        max_funding_rate=to_decimal(spec.get("max_funding_rate", "0.05")),
        max_slippage=to_decimal(spec.get("max_slippage") or "0.05"),
        price_band_width=to_decimal(spec.get("price_bands_width") or "0"),
        vwap_protection=True,
    )


def load(folder: str):
    """(market definitions, system config, insurance fund) from the fixtures folder."""
    folder = Path(folder)
    raw = json.loads((folder / "markets.json").read_text())
    specs = raw["markets"] if isinstance(raw, dict) else raw
    sim_path = folder / "simulation.json"
    sim = json.loads(sim_path.read_text()) if sim_path.exists() else {"markets": {}}
    cfg_path = folder / "system_config.json"
    system_config = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    # Paradex draws from the seed's own stream, as it did before there were other venues
    defs: List[MarketDef] = [MarketDef(market_from_spec(s), sim.get("markets", {}).get(s["symbol"], {}), "")
                             for s in specs]
    return defs, system_config, dict(sim.get("insurance", {}))


def is_paradex(ex, symbol) -> bool:
    m = ex.markets.get(symbol) if isinstance(symbol, str) else None
    return m is not None and m.venue == VENUE


def paradex_markets(ex) -> list:
    return [m for m in ex.markets.values() if m.venue == VENUE]
