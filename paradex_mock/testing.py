"""Run the whole mock inside a test: REST and WebSocket servers on free loopback ports, plus a
handle on the exchange.

    from paradex_mock.testing import MockParadex

    with MockParadex(seed=7) as mock:              # or: async with MockParadex() as mock
        mock.api_url        # http://127.0.0.1:<port>/v1
        mock.ws_url         # ws://127.0.0.1:<port>/v1
        mock.set_price("BTC-USD-PERP", "90000")
        mock.advance(seconds=5)

The clock is manual unless you pass ``clock="real"``: nothing moves unless the test says so,
which is what makes a test reproducible. Every keyword is a ``paradex_mock.config.Config`` field.
Two mocks in one process share nothing. ``stop()`` (or leaving the ``with``) shuts both servers
down and joins their threads, also when the test failed.

The seed design's factory is here too: ``server = create_mock_server(); url = server.start();
...; server.stop()``.
"""
from __future__ import annotations

from typing import Optional

from .config import Config, check_fields, validate
from .control import Controller

DEFAULTS = dict(host="127.0.0.1", http_port=0, ws_port=0, clock="manual", control="on")


class MockParadex:
    def __init__(self, config: Optional[Config] = None, *, with_ws: bool = True, **overrides):
        check_fields(overrides)          # ValueError: an unknown setting, or one of the wrong type
        base = config or Config(**DEFAULTS)
        self.config = base.replace(**overrides) if overrides else base
        validate(self.config)
        self.with_ws = with_ws
        self._http = None
        self._ws = None
        self.app = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> str:
        """Start both servers; returns the REST base URL (``…/v1``)."""
        if self._http is not None:
            return self.api_url
        from .http.app import create_app
        from .runner import HttpServer
        self.app = create_app(self.config, start_ticker=True)
        try:
            self._http = HttpServer(self.app, self.config.host, self.config.http_port).start()
            if self.with_ws:
                from .ws.server import start_in_process
                self._ws = start_in_process(self.state, self.config.host, self.config.ws_port, wsgi_app=self.app)
        except BaseException:
            self.stop()
            raise
        return self.api_url

    def stop(self) -> None:
        ws, http = self._ws, self._http
        self._ws = self._http = None
        try:
            if ws is not None:
                ws.stop()
        finally:
            if http is not None:
                http.stop()
            elif self.app is not None and self.state.ticker is not None:
                self.state.ticker.stop()

    def __enter__(self) -> "MockParadex":
        self.start()
        return self

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    async def __aenter__(self) -> "MockParadex":
        import asyncio
        await asyncio.get_running_loop().run_in_executor(None, self.start)
        return self

    async def __aexit__(self, *exc) -> bool:
        import asyncio
        await asyncio.get_running_loop().run_in_executor(None, self.stop)
        return False

    # ---------------------------------------------------------------- where
    @property
    def state(self):
        return self.app.extensions["paradex_mock"]

    @property
    def exchange(self):
        return self.state.exchange

    @property
    def control(self) -> Controller:
        return self.state.controller

    @property
    def http_url(self) -> str:
        return self._http.url

    @property
    def api_url(self) -> str:
        return self._http.url + "/v1"

    @property
    def ws_url(self) -> str:
        if self._ws is None:
            raise RuntimeError("started without the WebSocket server (with_ws=False)")
        return self._ws.url

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        return self._http.port

    def ccxt_urls(self) -> dict:
        """What to put in ``ccxt.paradex().urls['api']``."""
        urls = {"v1": self.api_url, "v2": self.http_url + "/v2"}
        if self._ws is not None:
            urls["ws"] = self.ws_url
        return urls

    # ---------------------------------------------------------------- the control API, in process
    def reset(self, seed: Optional[int] = None) -> dict:
        return self.control.reset(seed)

    def create_account(self, private_key=None, balance=None) -> dict:
        return self.control.create_account(private_key, balance)

    def fund(self, address: str, amount) -> dict:
        return self.control.fund(address, amount)

    def set_price(self, market: str, price, hold: bool = True) -> dict:
        return self.control.set_price(market, price, hold)

    def set_funding_rate(self, market: str, rate) -> dict:
        return self.control.set_funding_rate(market, rate)

    def set_system_state(self, status: str) -> dict:
        return self.control.set_system_state(status)

    def set_clock(self, mode: str, now_ms: Optional[int] = None) -> dict:
        return self.control.set_clock(mode, now_ms)

    def advance(self, seconds=None, ticks=None) -> dict:
        return self.control.advance(seconds, ticks)

    def snapshot(self) -> dict:
        return self.control.snapshot()

    def restore(self, snapshot: dict) -> dict:
        return self.control.restore(snapshot)

    def journal(self, limit: Optional[int] = None, path: Optional[str] = None) -> list:
        return self.control.journal(limit, path)["results"]

    def add_faults(self, rules) -> dict:
        return self.control.add_faults(rules)

    def clear_faults(self) -> dict:
        return self.control.clear_faults()

    def configure_rate_limits(self, enabled=None, limits=None) -> dict:
        return self.control.configure_rate_limits(enabled, limits)


def create_mock_server(host: str = "127.0.0.1", port: int = 0, ws_port: int = 0, **config) -> MockParadex:
    """The seed design's factory: ``url = server.start()`` … ``server.stop()``."""
    return MockParadex(host=host, http_port=port, ws_port=ws_port, **config)
