"""Shared fixtures: an exchange with a manual clock (nothing moves unless a test says so), its
Flask test client, and a live server on a free loopback port for real clients such as ccxt."""
import pytest

from paradex_mock.http.app import create_app
from paradex_mock.runner import HttpServer
from support import make_config


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
from paradex_mock.pytest_plugin import paradex_mock, pytest_configure  # noqa: E402,F401
