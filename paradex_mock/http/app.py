"""The Flask application factory: one exchange, every venue's HTTP face, and the ticker.

The venues (``--venues``, default all) each bring their markets to the one engine and their
routes to the one app: Paradex at ``/v1`` (and ``/paradex/v1``), Binance at ``/binance``, ...;
the control API (``/_mock``), faults, journal and rate limits serve them all.

``gunicorn 'paradex_mock.http.app:create_app()'`` serves the same app (configured from
PARADEX_MOCK_* environment variables); see gunicorn.conf.py for why it runs one worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from flask import Flask
from flask_cors import CORS

from .. import config as config_mod
from .. import venues as venues_mod
from ..control import Controller, Journal
from ..engine.exchange import Exchange
from ..engine.ticker import Ticker
from ..faults import FaultPlan, load_scenario
from ..ratelimit import RateLimiter
from . import errors, middleware


class _Flask(Flask):
    def ensure_sync(self, func):
        # Every view and hook of the mock is synchronous. Flask's default checks each callable
        # for a coroutine on every call (several times a request); this is its documented
        # override point for how views run.
        return func


@dataclass
class MockState:
    """Everything a request handler may reach, kept on ``app.extensions['paradex_mock']``."""
    config: config_mod.Config
    exchange: Exchange
    faults: FaultPlan
    rate_limiter: RateLimiter
    venues: list = field(default_factory=list)          # the Venue objects served, registry order
    venue_state: dict = field(default_factory=dict)     # name -> what a venue keeps per app
    journal: Journal = field(default_factory=Journal)
    ticker: Optional[Ticker] = None
    controller: Any = None
    ws_port: Optional[int] = None    # the in-process WS server's port once it listens (a venue may name its URL)

    def venue_for(self, path: str):
        """The venue whose REST root ``path`` is under (or the root venue's, for paths no venue
        owns), or None."""
        for v in self.venues:
            if v.owns_path(path):
                return v
        if self.config.root_venue and not path.startswith("/_mock"):
            return self.venue(self.config.root_venue)
        return None

    def error_venue(self, path: str):
        """The venue whose error shapes answer ``path``: its owner's (``venue_for``), else the
        venue that answers paths no venue owns (``Venue.answers_unowned``), else None."""
        return self.venue_for(path) or next((v for v in self.venues if v.answers_unowned), None)

    def venue(self, name: str):
        return next((v for v in self.venues if v.name == name), None)


def _publish_locked(ex: Exchange, kind: str, data: dict) -> None:
    # under the exchange lock, so the event takes its place in the bus's order like any other
    with ex.lock:
        ex.bus.publish(kind, data)


def create_app(config: Optional[config_mod.Config] = None, exchange: Optional[Exchange] = None,
               start_ticker: bool = True) -> Flask:
    cfg = config or config_mod.from_env()
    logging.basicConfig(level=getattr(logging, cfg.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if cfg.log_level.upper() != "DEBUG":   # one line per request is the journal's job (/_mock/journal)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    venues = venues_mod.load(cfg.venues)
    defs = [d for v in venues for d in v.markets(cfg.fixtures_dir)]
    standing = [a for v in venues for a in v.standing_accounts(cfg)]   # Paradex's demo account
    ex = exchange or Exchange(cfg, defs, standing_accounts=standing)
    app = _Flask("paradex_mock")
    app.config["MAX_CONTENT_LENGTH"] = 256 << 20   # snapshots are big; API requests are capped at 1 MiB in middleware
    app.json.sort_keys = False
    for v in venues:
        app.url_map.converters.update(v.url_converters())   # before any of their routes is registered
    CORS(app)
    faults = FaultPlan(cfg.seed)
    # the WS side (in-process or over the stream) learns of fault changes from the event bus
    faults.listeners.append(lambda plan: _publish_locked(ex, "faults", plan))
    if cfg.faults_file:
        faults.replace(load_scenario(cfg.faults_file))
    limits = {g: rules for v in venues for g, rules in v.rate_limits.items()}
    state = MockState(config=cfg, exchange=ex, faults=faults,
                      rate_limiter=RateLimiter(ex.clock.now_ms, enabled=cfg.rate_limits, limits=limits),
                      venues=venues)
    state.controller = Controller(state)
    if cfg.scenario_file:      # validated by config.validate; the market keys are checked here
        from ..engine.scenario import load_file as load_market_scenario
        ex.set_scenario(load_market_scenario(cfg.scenario_file))
    app.extensions["paradex_mock"] = state
    errors.register(app)
    middleware.install(app, state)

    from . import control_routes, stream
    for v in venues:
        for bp in v.blueprints():
            app.register_blueprint(bp, url_prefix=v.mount or None)
        v.init_app(app, state)
        if v.name == cfg.root_venue and v.mount:   # its real paths at the root too (seed 004's server)
            for bp in v.blueprints():
                app.register_blueprint(bp, url_prefix=None, name="root_" + bp.name)
    app.register_blueprint(control_routes.bp)
    app.register_blueprint(stream.bp)    # /_mock/stream feeds a separate ws_server.py
    from ..dashboard import ui as dashboard
    app.register_blueprint(dashboard.bp)   # /_mock/ui, the live dashboard (issue 16)
    app.url_map.strict_slashes = False

    if start_ticker:
        state.ticker = Ticker(ex, cfg.tick_interval).start()
    return app
