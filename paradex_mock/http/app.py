"""The Flask application factory: one exchange, its HTTP face, and the ticker that moves it.

``gunicorn 'paradex_mock.http.app:create_app()'`` serves the same app (configured from
PARADEX_MOCK_* environment variables); see gunicorn.conf.py for why it runs one worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from flask import Flask
from flask_cors import CORS
from werkzeug.routing import BaseConverter

from .. import config as config_mod
from ..auth import JwtIssuer
from ..control import Controller, Journal
from ..engine.exchange import Exchange
from ..engine.ticker import Ticker
from ..faults import FaultPlan, load_scenario
from ..ratelimit import RateLimiter
from . import errors, middleware


class OrderIdConverter(BaseConverter):
    """``/v1/orders/<order_id>`` is not ``/v1/orders/batch`` nor ``/v1/orders/by_client_id``:
    those paths have methods of their own (405, ``Allow`` and ``OPTIONS`` list only theirs)."""
    regex = r"(?!batch$|by_client_id$)[^/]+"


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
    jwt_issuer: JwtIssuer
    faults: FaultPlan
    rate_limiter: RateLimiter
    journal: Journal = field(default_factory=Journal)
    ticker: Optional[Ticker] = None
    controller: Any = None
    _verifier: Any = None
    book_cache: dict = field(default_factory=dict)   # GET /orderbook's JSON per book version (http/public.py)

    @property
    def jwt_verifier(self):
        if self._verifier is None:   # built once: verification is on every private request
            self._verifier = self.jwt_issuer.verifier()
        return self._verifier

    @property
    def chain_id(self) -> str:
        return self.exchange.system_config.get("starknet_chain_id", "PRIVATE_SN_POTC_SEPOLIA")


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
    ex = exchange or Exchange(cfg)
    app = _Flask("paradex_mock")
    app.config["MAX_CONTENT_LENGTH"] = 256 << 20   # snapshots are big; API requests are capped at 1 MiB in middleware
    app.json.sort_keys = False
    app.url_map.converters["order_id"] = OrderIdConverter
    CORS(app)
    faults = FaultPlan(cfg.seed)
    # the WS side (in-process or over the stream) learns of fault changes from the event bus
    faults.listeners.append(lambda plan: _publish_locked(ex, "faults", plan))
    if cfg.faults_file:
        faults.replace(load_scenario(cfg.faults_file))
    state = MockState(config=cfg, exchange=ex, jwt_issuer=JwtIssuer(), faults=faults,
                      rate_limiter=RateLimiter(ex.clock.now_ms, enabled=cfg.rate_limits))
    state.controller = Controller(state)
    app.extensions["paradex_mock"] = state
    errors.register(app)
    middleware.install(app, state)

    from . import auth_routes, control_routes, private, public, stream
    app.register_blueprint(public.bp)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(private.bp)
    app.register_blueprint(control_routes.bp)
    app.register_blueprint(stream.bp)    # /_mock/stream feeds a separate ws_server.py
    app.url_map.strict_slashes = False

    if start_ticker:
        state.ticker = Ticker(ex, cfg.tick_interval).start()
    return app
