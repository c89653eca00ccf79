"""The Flask application factory: one exchange, its HTTP face, and the ticker that moves it.

``gunicorn 'paradex_mock.http.app:create_app()'`` serves the same app (configured from
PARADEX_MOCK_* environment variables); see gunicorn.conf.py for why it runs one worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from flask import Flask
from flask_cors import CORS

from .. import config as config_mod
from ..auth import JwtIssuer
from ..engine.exchange import Exchange
from ..engine.ticker import Ticker
from . import errors


@dataclass
class MockState:
    """Everything a request handler may reach, kept on ``app.extensions['paradex_mock']``."""
    config: config_mod.Config
    exchange: Exchange
    jwt_issuer: JwtIssuer
    ticker: Optional[Ticker] = None

    @property
    def jwt_verifier(self):
        return self.jwt_issuer.verifier()

    @property
    def chain_id(self) -> str:
        return self.exchange.system_config.get("starknet_chain_id", "PRIVATE_SN_POTC_SEPOLIA")


def create_app(config: Optional[config_mod.Config] = None, exchange: Optional[Exchange] = None,
               start_ticker: bool = True) -> Flask:
    cfg = config or config_mod.from_env()
    logging.basicConfig(level=getattr(logging, cfg.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ex = exchange or Exchange(cfg)
    app = Flask("paradex_mock")
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    app.json.sort_keys = False
    CORS(app)
    state = MockState(config=cfg, exchange=ex, jwt_issuer=JwtIssuer())
    app.extensions["paradex_mock"] = state
    errors.register(app)

    from . import auth_routes, private, public
    app.register_blueprint(public.bp)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(private.bp)
    app.url_map.strict_slashes = False

    if start_ticker:
        state.ticker = Ticker(ex, cfg.tick_interval).start()
    return app
