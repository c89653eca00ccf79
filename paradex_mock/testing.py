"""Run the whole mock inside a test: ``MockExchange``, the simulated multi-venue exchange, with
its REST and WebSocket servers on free loopback ports, plus a handle on the exchange.

    from paradex_mock.testing import MockExchange

    with MockExchange(seed=7) as mock:             # or: async with MockExchange() as mock
        mock.http_url       # http://127.0.0.1:<port>: every venue below it (/binance, ...)
        mock.api_url        # http://127.0.0.1:<port>/v1 (Paradex's REST)
        mock.ws_url         # ws://127.0.0.1:<port>/v1
        mock.set_price("BTC-USD-PERP", "90000")
        mock.advance(seconds=5)

The clock is manual unless you pass ``clock="real"``: nothing moves unless the test says so,
which is what makes a test reproducible. Every keyword is a ``paradex_mock.config.Config`` field.
Two mocks in one process share nothing. ``stop()`` (or leaving the ``with``) shuts both servers
down and joins their threads, also when the test failed. ``MockParadex`` is its former name (an
alias).

Seed 004's factory is here too: ``server = create_mock_server(ExchangeType.BINANCE_SPOT);
url = await server.start()`` (or without ``await``) ... ``server.stop()``; it serves one venue at
the root of its port. ``point_ccxt(exchange, rest_root, ws_root)`` points a ccxt client at a venue.
"""
from __future__ import annotations

from enum import Enum
from typing import Optional

from .config import Config, check_fields, validate
from .control import Controller

DEFAULTS = dict(host="127.0.0.1", http_port=0, ws_port=0, clock="manual", control="on")


class MockExchange:
    """Every venue served (``--venues``, default all) on one engine, in this process: REST on
    ``http_url``, WebSocket on ``ws_url``, the control API as methods (see the module docstring)."""

    def __init__(self, config: Optional[Config] = None, *, with_ws: bool = True, scenario=None, **overrides):
        check_fields(overrides)          # ValueError: an unknown setting, or one of the wrong type
        if scenario is not None:         # a market scenario (a dict, or a file's path), checked now
            from .engine.scenario import Scenario, load_file
            self._scenario = load_file(scenario) if isinstance(scenario, str) else Scenario.parse(scenario)
        else:
            self._scenario = None
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
        if self._scenario is not None:
            self.exchange.set_scenario(self._scenario)     # ScenarioError: a market it does not know
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

    def __enter__(self) -> "MockExchange":
        self.start()
        return self

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    async def __aenter__(self) -> "MockExchange":
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

    def journal(self, limit: Optional[int] = None, path: Optional[str] = None, kind: Optional[str] = None) -> list:
        return self.control.journal(limit, path, kind)["results"]

    def add_faults(self, rules) -> dict:
        return self.control.add_faults(rules)

    def clear_faults(self) -> dict:
        return self.control.clear_faults()

    def configure_rate_limits(self, enabled=None, limits=None) -> dict:
        return self.control.configure_rate_limits(enabled, limits)

    def set_scenario(self, scenario) -> dict:
        """Install a market scenario (a dict or a file's path) from now on."""
        return self.control.set_scenario(scenario)

    def scenario(self) -> dict:
        return self.control.scenario()

    def clear_scenario(self) -> dict:
        return self.control.clear_scenario()


class _Ready(str):
    """``start()``'s answer: the URL, which may also be awaited (``url = await server.start()``)."""

    def __await__(self):
        if False:                 # pragma: no cover - makes this a generator
            yield
        return str(self)


class _Done:
    """``stop()``'s answer: nothing, which may also be awaited (``await server.stop()``)."""

    def __await__(self):
        if False:                 # pragma: no cover
            yield
        return None


class ExchangeType(str, Enum):
    """The venues ``create_mock_server`` serves (seed 004's names). The value is the venue's name."""
    PARADEX = "paradex"
    BINANCE_SPOT = "binance"
    BYBIT_SPOT = "bybit"
    BYBIT_PERPETUAL = "bybit"          # the same venue: spot and linear share one root
    OKX_SPOT = "okx"
    OKX_PERPETUAL = "okx"              # the same venue: SPOT and SWAP share one root
    HYPERLIQUID_PERPETUAL = "hyperliquid"
    KRAKEN_SPOT = "kraken"
    COINBASE_ADVANCED_TRADE = "coinbase"
    KUCOIN_SPOT = "kucoin"


# the name from before the mock served other venues: tests and users' code keep working
MockParadex = MockExchange


class MockServer(MockExchange):
    """One venue on its own port (seed 004's server): its REST paths at the root of the port
    (``http://HOST:PORT/api/v3/klines`` for Binance) and under its own root too, its WS URL on
    ``ws_url``. Everything of ``MockExchange`` (clock, prices, faults, journal...) works as well."""

    def __init__(self, exchange_type: "ExchangeType" = None, **config):
        self.exchange_type = ExchangeType(exchange_type or ExchangeType.PARADEX)
        name = self.exchange_type.value
        config.setdefault("root_venue", "" if name == "paradex" else name)
        super().__init__(**config)
        self._network_rules: list = []

    @property
    def venue(self):
        return self.state.venue(self.exchange_type.value)

    @property
    def url(self) -> str:
        """The venue's REST base URL (the root of the port; Paradex's: ``…/v1``)."""
        return self.api_url if self.exchange_type is ExchangeType.PARADEX else self.http_url

    @property
    def ws_url(self) -> str:
        base = super().ws_url
        if self.exchange_type is ExchangeType.PARADEX:
            return base
        return base[: -len("/v1")] + self.venue.ws_root + self.venue.ws_entry

    def start(self) -> "_Ready":
        super().start()
        return _Ready(self.url)

    def stop(self) -> "_Done":
        super().stop()
        return _Done()

    def add_trading_pair(self, symbol: str, interval: str = "1m", price: float = None) -> dict:
        """List ``symbol`` on this venue (or list it anew) starting at ``price``, with a day of
        history behind it. ``interval`` is the candle width the caller means to read (every
        width is served; it is checked, not needed)."""
        from .engine.candles import STANDARD
        if interval not in STANDARD:
            raise ValueError(f"unknown interval {interval!r}: one of {', '.join(STANDARD)}")
        if price is None or not float(price) > 0:
            raise ValueError("price must be a positive number")
        self.start()
        d = self.venue.market_for(symbol, price)
        self.exchange.add_market(d)
        return {"market": d.market.symbol, "symbol": d.market.name}

    def set_network_conditions(self, latency_ms: float = 0, packet_loss_rate: float = 0,
                               error_rate: float = 0) -> dict:
        """Seed 004's network simulation, as seeded fault rules on this venue's paths and streams:
        latency delays each REST answer and WS message, a lost packet is a dropped connection
        (REST: closed before the request runs; WS: the connection is cut), an error is a 500 in
        the venue's shape. Replaces the conditions set before; zeros clear them."""
        for name, v in (("latency_ms", latency_ms), ("packet_loss_rate", packet_loss_rate), ("error_rate", error_rate)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or (name != "latency_ms" and v > 1):
                raise ValueError(f"{name} must be a number{'' if name == 'latency_ms' else ' from 0 to 1'}")
        self.start()
        faults = self.state.faults
        for rule_id in self._network_rules:
            faults.remove(rule_id)
        root = "/" if self.exchange_type is not ExchangeType.PARADEX else "/v1"
        rules = []
        if latency_ms:
            rules += [{"kind": "latency", "target": root + "*", "ms": latency_ms},
                      {"kind": "ws_delay", "target": "*", "ms": latency_ms}]
        if packet_loss_rate:
            rules += [{"kind": "drop", "target": root + "*", "probability": packet_loss_rate},
                      {"kind": "ws_disconnect", "target": "*", "probability": packet_loss_rate}]
        if error_rate:
            rules.append({"kind": "error", "target": root + "*", "status": 500, "probability": error_rate})
        self._network_rules = [r.id for r in faults.add(rules)] if rules else []
        return {"latency_ms": latency_ms, "packet_loss_rate": packet_loss_rate, "error_rate": error_rate}


def point_ccxt(exchange, rest_root: str, ws_root: Optional[str] = None):
    """Point a ccxt (or ccxt.pro) exchange at a mock venue: every URL in ``exchange.urls["api"]``
    (nested ones too) keeps its path and gets ``rest_root`` (http) or ``ws_root`` (ws) in place of
    its scheme and host, e.g. ``https://api.binance.com/api/v3`` -> ``<rest_root>/api/v3``."""
    def walk(d):
        for k, v in list(d.items()):
            if isinstance(v, dict):
                walk(v)
            elif isinstance(v, str) and "://" in v:
                scheme, rest = v.split("://", 1)
                path = rest[rest.find("/"):] if "/" in rest else ""
                root = ws_root if scheme.startswith("ws") else rest_root
                if root is not None:
                    d[k] = root.rstrip("/") + path
    walk(exchange.urls["api"])
    return exchange


def create_mock_server(exchange_type: "ExchangeType" = None, host: str = "127.0.0.1", port: int = 0,
                       ws_port: int = 0, **config) -> MockServer:
    """Seed 004's factory: one venue (``ExchangeType``; Paradex by default) on its own ports.
    ``url = server.start()`` or ``url = await server.start()``, then ``server.stop()`` (or await it)."""
    return MockServer(exchange_type, host=host, http_port=port, ws_port=ws_port, **config)
