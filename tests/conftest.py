"""Shared fixtures: an exchange with a manual clock (nothing moves unless a test says so), its
Flask test client, and a live server on a free loopback port for real clients such as ccxt."""
import pytest

from paradex_mock.config import Config
from paradex_mock.engine.clock import DEFAULT_MANUAL_START_MS
from paradex_mock.http.app import create_app
from paradex_mock.runner import HttpServer


def make_config(**overrides) -> Config:
    base = dict(clock="manual", start_time_ms=None, seed=42, http_port=0, ws_port=0,
                backfill_hours=24.0, control="on")
    base.update(overrides)
    return Config(**base)


@pytest.fixture
def app():
    return create_app(make_config(), start_ticker=False)


@pytest.fixture
def exchange(app):
    return app.extensions["paradex_mock"].exchange


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server():
    app = create_app(make_config(), start_ticker=False)
    server = HttpServer(app, "127.0.0.1", 0).start()
    try:
        yield server
    finally:
        server.stop()


# The plugin's fixture, for this checkout's own tests (an installed package registers it through
# its pytest11 entry point; importing it here as well simply shadows that registration).
from paradex_mock.pytest_plugin import paradex_mock  # noqa: E402,F401
