"""What the market-data venues' packages share (every venue but Paradex): the body of their
``Venue`` class (``MarketDataVenue``: a venue names its modules, limit group and paths, and keeps
only the answers that are its own), and the parts of their markets loaders that are the same
(``fixture``: reading ``fixtures/<venue>/markets.json``; ``listed``: fixture specs as engine
``MarketDef``s; ``spot_market``: a spot market whose rules are named spec fields). The engine is
imported when a market is first built: the registry imports venue packages, not their markets.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable, List, NamedTuple

from .base import Venue


class MarketDataVenue(Venue):
    """A market-data venue: its markets module lists new markets (``add_market``), its ws module
    holds its WS app (``ws_class``), every request counts in one limit group (``limit_group``),
    it sends no limit headers, and ``describe`` says where its REST and WS are."""

    add_market = "add_symbol"       # its markets module's function for a market the fixtures do not list
    ws_class = ""                   # its ws module's app class
    limit_group = ""                # the rate-limit group every request counts in
    rest_described = ""             # describe(): where its REST is served
    ws_described = ""               # describe(): where its WS is served

    def market_for(self, name: str, price):
        return getattr(self.own("markets"), self.add_market)(name, price)

    def init_app(self, app, state) -> None:
        state.venue_state[self.name] = self
        self.clock = state.exchange.clock

    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        return [self.limit_group]

    def limit_headers(self, verdict) -> dict:
        return {}

    def ws_app(self, ctx):
        return getattr(self.own("ws"), self.ws_class)(self, ctx)

    def describe(self, with_ws: bool) -> str:
        ws = f"; WS {self.ws_described}" if with_ws else ""
        return f"{self.name}: REST {self.rest_described}{ws}"


def fixture(fixtures_dir: str, venue: str) -> dict:
    """The venue's ``fixtures/<venue>/markets.json``."""
    return json.loads((Path(fixtures_dir) / venue / "markets.json").read_text())


def listed(venue: str, specs: Iterable[dict], market: Callable[[dict], object]) -> list:
    """The fixture's ``specs`` as engine ``MarketDef``s (``market(spec)``), each with its ``sim``
    parameters."""
    from ..engine.exchange import MarketDef
    return [MarketDef(market(s), dict(s.get("sim", {})), venue) for s in specs]


class SpotFields(NamedTuple):
    """Which fields of a venue's spec hold a spot market's name and rules, and the fees where a
    spec names none."""
    name: str
    base: str
    quote: str
    tick: str
    step: str
    min_notional: str
    max_order_size: str
    maker_fee: str
    taker_fee: str
    default_maker_fee: str
    default_taker_fee: str


def spot_market(venue: str, spec: dict, f: SpotFields):
    """A spot engine ``Market`` keyed ``<venue>:<name>``, its rules read from ``spec`` as ``f``
    names them."""
    from ..engine.models import Market
    from ..engine.numbers import to_decimal
    return Market(
        symbol=f"{venue}:{spec[f.name]}", name=spec[f.name], venue=venue, kind="spot", spec=spec,
        base=spec[f.base], quote=spec[f.quote], tick=to_decimal(spec[f.tick]), step=to_decimal(spec[f.step]),
        min_notional=to_decimal(spec[f.min_notional]), max_order_size=to_decimal(spec[f.max_order_size]),
        maker_fee=to_decimal(spec.get(f.maker_fee, f.default_maker_fee)),
        taker_fee=to_decimal(spec.get(f.taker_fee, f.default_taker_fee)),
    )
