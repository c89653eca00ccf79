"""OKX v5 instruments: ``fixtures/okx/markets.json``, instTypes ``SPOT`` and ``SWAP``. SWAPs are
USDT-margined linear perpetuals (engine markets of kind "perpetual": mark and index prices,
funding, open interest) whose orders and books count contracts of ``ctVal`` base units; the
engine keeps base units (step = lotSz x ctVal) and the views convert. Keys are ``okx:<instId>``."""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import List

from ...engine.exchange import MarketDef
from ...engine.models import Market
from ...engine.numbers import to_decimal
from .. import kit

VENUE = "okx"
INST_TYPES = ("SPOT", "SWAP")


def key(inst_id: str) -> str:
    return f"{VENUE}:{inst_id}"


def market_from_spec(inst_type: str, spec: dict) -> Market:
    spec = dict(spec, instType=inst_type)
    if inst_type == "SPOT":
        step, kind, extra = to_decimal(spec["lotSz"]), "spot", {}
        base, quote = spec["baseCcy"], spec["quoteCcy"]
    else:
        ct = to_decimal(spec["ctVal"])
        step, kind = to_decimal(spec["lotSz"]) * ct, "perpetual"
        base, quote = spec["ctValCcy"], spec["settleCcy"]
        extra = dict(funding_period_hours=Decimal(8), imf_base=Decimal(1) / to_decimal(spec["lever"]))
    return Market(symbol=key(spec["instId"]), name=spec["instId"], venue=VENUE, kind=kind, spec=spec, base=base,
                  quote=quote, tick=to_decimal(spec["tickSz"]), step=step,
                  maker_fee=to_decimal(spec.get("makerFee", "0.0008")),
                  taker_fee=to_decimal(spec.get("takerFee", "0.001")), **extra)


def load(fixtures_dir: str) -> List[MarketDef]:
    doc = kit.fixture(fixtures_dir, VENUE)
    return [d for t in INST_TYPES for d in kit.listed(VENUE, doc[t], functools.partial(market_from_spec, t))]


def add_symbol(inst_id: str, price) -> MarketDef:
    """An instrument the fixture does not list (``create_mock_server().add_trading_pair``):
    ``XRP-USDT`` (SPOT) or ``XRP-USDT-SWAP`` (one contract = 1 base unit), at ``price``."""
    inst_id = inst_id.upper()
    swap = inst_id.endswith("-SWAP")
    parts = inst_id.split("-")
    if len(parts) < 2:
        raise ValueError(f"an OKX instId looks like BASE-QUOTE or BASE-QUOTE-SWAP, not {inst_id!r}")
    base, quote = parts[0], parts[1]
    p = to_decimal(str(price))
    tick = "0.1" if p >= 10000 else "0.01" if p >= 1 else "0.00001"
    spec = {"instId": inst_id, "baseCcy": base, "quoteCcy": quote, "tickSz": tick, "lotSz": "0.000001",
            "minSz": "0.001", "maxLmtSz": "9999999999", "maxMktSz": "1000000", "maxLmtAmt": "20000000",
            "maxMktAmt": "1000000", "lever": "10", "listTime": "1700000000000"}
    if swap:
        spec.update(uly=f"{base}-{quote}", instFamily=f"{base}-{quote}", settleCcy=quote, ctVal="1", ctMult="1",
                    ctValCcy=base, lotSz="0.01", minSz="0.01", lever="50")
    step = to_decimal(spec["lotSz"])
    sim = {"start_price": str(price), "volatility": 0.6, "book_levels": 40, "trades_per_minute": 12,
           "level_size": str(max(step, (Decimal(40000) / p).quantize(step))),
           "trade_size": str(max(step, (Decimal(1000) / p).quantize(step)))}
    return MarketDef(market_from_spec("SWAP" if swap else "SPOT", spec), sim, VENUE)
