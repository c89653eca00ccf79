"""Command-line entry points behind ``http_server.py`` and ``ws_server.py``."""
from __future__ import annotations

import gc
import logging
import signal
import threading
from typing import Optional

from werkzeug.serving import make_server

from . import config as config_mod
from .engine.numbers import fmt

log = logging.getLogger("paradex_mock")


class HttpServer:
    """The Flask app on a threaded werkzeug server, startable in a background thread."""

    def __init__(self, app, host: str, port: int):
        self.app = app
        self.server = make_server(host, port, app, threaded=True)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_port
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.05)   # stop() waits at most this long

    def start(self) -> "HttpServer":
        self._thread = threading.Thread(target=self.serve_forever, name="paradex-mock-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        from .http.stream import close_streams
        close_streams(self.app)   # end /_mock/stream responses, as a process exit would
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        state = self.app.extensions["paradex_mock"]
        if state.ticker is not None:
            state.ticker.stop()


def startup_summary(state, with_ws: bool = False) -> str:
    """What a user needs once the servers listen: where each venue is (below the addresses printed
    before), settings, markets, faults, the demo account."""
    cfg, ex = state.config, state.exchange
    control = {"on": "on for every client", "loopback": "on for loopback clients", "off": "off"}[cfg.control]
    lines = ["  " + v.describe(with_ws) for v in state.venues]
    lines += [f"  seed {cfg.seed}, clock {cfg.clock}, auth {cfg.auth_mode}, rate limits "
             f"{'on' if cfg.rate_limits else 'off'}, control API /_mock {control}",
             f"  markets: {', '.join(m.name + ('' if m.venue == 'paradex' else ' (' + m.venue + ')') for m in ex.markets.values())}",
             f"  fault rules loaded: {len(state.faults.rules)}" + (f" from {cfg.faults_file}" if cfg.faults_file else "")]
    standing = [address for address, _ in ex.standing_accounts]   # the venues' demo accounts, if any
    for address in standing:
        acct = ex.accounts.get(address)
        if acct is not None:
            lines.append(f"  demo account {acct.address} ({fmt(acct.balance)} USDC): "
                         "requests without Authorization act as it")
    if not standing and cfg.auth_mode == "strict":
        lines.append("  no demo account (strict mode): create accounts with POST /_mock/accounts")
    return "\n".join(lines)


def main_http(argv=None) -> int:
    parser = config_mod.build_parser("paradex-mock REST server (Flask) on HTTP_PORT: every venue's REST API "
                                     "(Paradex at /v1, Binance at /binance, ...; --venues narrows it) and "
                                     "the control API at /_mock.")
    parser.add_argument("--with-ws", action="store_true",
                        help="also serve the WebSocket API on WS_PORT from this process (one command, one exchange)")
    ns = parser.parse_args(argv)
    with_ws = ns.with_ws
    del ns.with_ws
    try:
        cfg = config_mod.from_env().replace(**{k: v for k, v in vars(ns).items() if v is not None})
    except ValueError as e:
        parser.error(str(e))
    config_mod.validate(cfg, parser)

    from .http.app import create_app
    app = create_app(cfg)
    # the fixtures and the backfilled history live as long as the process: move them out of the
    # collector's way, so full collections (seen as 35-50 ms WS latency spikes) stay short
    gc.freeze()
    server = HttpServer(app, cfg.host, cfg.http_port)
    ws = None
    if with_ws:
        from .ws.server import start_in_process
        ws = start_in_process(app.extensions["paradex_mock"], cfg.host, cfg.ws_port, wsgi_app=app)
        print(f"paradex-mock WS listening on {ws.url}", flush=True)

    def _stop(signum, frame):
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"paradex-mock REST listening on {server.url}/v1", flush=True)
    print(startup_summary(app.extensions["paradex_mock"], ws is not None), flush=True)
    try:
        server.serve_forever()
    finally:
        if ws is not None:
            ws.stop()
        state = app.extensions["paradex_mock"]
        if state.ticker is not None:
            state.ticker.stop()
        server.server.server_close()
    return 0
