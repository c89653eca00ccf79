"""Helpers shared by the test modules (imported as ``support``; conftest modules of tests/ and
examples/ would shadow each other under one import name)."""
from paradex_mock.config import Config


def make_config(**overrides) -> Config:
    """A test exchange: manual clock (nothing moves unless the test says so), free ports, Paradex
    only (the venue tests and the launchers serve every venue; a Paradex test need not backfill
    the others' markets)."""
    base = dict(clock="manual", start_time_ms=None, seed=42, http_port=0, ws_port=0,
                backfill_hours=24.0, control="on", venues="paradex")
    base.update(overrides)
    return Config(**base)


def paradex_markets(ex) -> dict:
    """The exchange's Paradex markets by symbol (other venues' markets live beside them)."""
    return {k: m for k, m in ex.markets.items() if m.venue == "paradex"}
