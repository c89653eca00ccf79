"""The WebSocket server every venue speaks through, on the ``websockets`` asyncio server.

A connection's path picks the venue (``Venue.owns_ws_path``: ``/binance/...``; Paradex answers
``/``, ``/v1`` and ``/paradex/v1``); the venue's WS app (``venue.ws_app(ctx)``) speaks its
protocol on the shared transport (``Conn``) and the shared ``hub.Hub``.

Two ways to run it, one behaviour:

* ``start_in_process(state, host, port, wsgi_app)`` (``http_server.py --with-ws``, tests): a
  background thread with its own asyncio loop, fed directly from ``state.exchange.bus``; requests
  a venue carries out over REST (Paradex's ``order.*``) call the Flask app ``wsgi_app``.
* ``python ws_server.py`` (``main()``): a separate process fed by the HTTP process's
  ``/_mock/stream`` (see ``paradex_mock/venues/paradex/ws/README.md``); those requests go to its
  REST API over HTTP.

The fan-out never waits for a client: frames are written straight to each connection that keeps
up (as ``websockets.broadcast`` does, and once per loop iteration, so a burst of frames costs one
write), and queued, in order, for one that does not, so one slow reader never delays the others.
A client whose queue overflows is disconnected with close code 1008 (policy violation, reason
"slow consumer"). See ``Conn``.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import os
import signal
import sys
import threading
from http import HTTPStatus
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import OPEN

from .. import config as config_mod
from .. import venues as venues_mod
from .hub import Binary, Hub
from .sources import LocalSource, RemoteSource

log = logging.getLogger("paradex_mock.ws")

SLOW_CLOSE_CODE = 1008                  # policy violation: the client does not read its messages
SLOW_CLOSE_REASON = "slow consumer: outbound queue full"
SHUTDOWN_CLOSE_CODE = 1001              # going away
SHUTDOWN_TIMEOUT = 0.8                  # ws_server.py stops within a second of SIGTERM/SIGINT
WS_FLAGS = {"host", "http_port", "ws_port", "upstream", "auth_mode", "log_level", "ws_queue_size", "ws_max_frame",
            "ws_ping_interval", "ws_ping_timeout", "venues"}


def now_us() -> int:
    import time
    return time.time_ns() // 1000


@dataclass
class WsContext:
    """What a venue's WS app is built from: the hub, where requests it carries out over REST go
    (``rest``: a ``ws.rest`` transport, or None), the auth mode and clock, and the upstream (the
    remote mode's HTTP server: a venue fetches what it needs from it, e.g. keys to verify its
    tokens; None in-process, where the venue objects are the app's own, ``init_app`` done)."""
    hub: Hub
    config: config_mod.Config
    rest: Any = None                       # ws.rest transport: WSGI in-process, HTTP remote
    auth_mode: Callable[[], str] = lambda: "permissive"
    now_s: Callable[[], int] = lambda: 0
    upstream: Optional[str] = None
    source: Any = None


_SERIALS = itertools.count(1)
Frame = Union[str, bytes]     # a text frame, as str or already UTF-8 encoded; a hub.Binary is a binary one


class Conn:
    """One client connection: its account, subscriptions and outbound frames.

    Writing follows ``websockets.broadcast`` (no task, no queue, no wait per message) for a
    client that keeps up, and queues only for one that does not:

    * ``push`` adds the frame to the connection's ``pending`` list; at the end of the loop
      iteration (one ``call_soon`` for the whole server, ``WsServer._flush``) the pending frames
      of each connection are framed and written to its transport in **one** write. The frames
      one exchange event (or one tick's events) sends a client thus cost one system call.
    * If the transport already holds more than its high-water mark (``websockets``'
      ``write_limit``, 32 KiB: the point where its own ``send()`` would wait), the frames join the
      connection's ``backlog`` instead; a writer task, alive only while there is a backlog,
      sends it in order with ``ws.send`` (which waits for the peer to read). While a backlog
      exists every new frame joins it, so a frame never overtakes an earlier one.
    * A backlog that would exceed ``ws_queue_size`` frames disconnects the client with 1008
      (slow consumer); the other clients never wait for it."""

    def __init__(self, server: "WsServer", ws, app=None):
        self.server = server
        self.app = app                         # the venue's WS app this connection speaks to
        self.ws = ws
        self.protocol = ws.protocol
        self.transport = ws.transport
        # the transport's high-water mark: above it websockets' own send() would wait to drain
        self.high_water = self.transport.get_write_buffer_limits()[1]
        self.limit = max(1, server.queue_size)
        # frames pushed in this loop iteration (encoded). One list for the connection's life: a new
        # one per iteration would, for 1,000 clients, feed the garbage collector's oldest generation
        self.pending: list = []
        self.backlog: collections.deque = collections.deque()   # frames waiting for a slow reader
        self.writer: Optional[asyncio.Task] = None            # drains the backlog while it exists
        self.account: Optional[str] = None    # set by a venue's login
        self.venue_state: Any = None          # what the venue's WS app keeps for this connection (its ``opened``)
        self.subs: Dict[str, Any] = {}        # channel name -> the venue feed's subscription
        self.closing = False
        self.sent = 0
        self.serial = next(_SERIALS)
        self.held: Optional[Frame] = None     # a frame a ws_reorder fault holds back
        self.binary = False                   # may get binary frames (hub.Binary); set by the venue at open

    def push(self, frame: Frame) -> None:
        """Send a frame (``str`` or UTF-8 ``bytes``: text; ``hub.Binary``: binary, on a connection
        with ``binary`` set) after those pushed before it; never blocks.
        A backlog overflow disconnects this client (and only it)."""
        if self.closing:
            return
        self._put(frame.encode() if isinstance(frame, str) else frame)
        if self.held is not None and not self.closing:   # the held frame goes after the one behind it
            held, self.held = self.held, None
            self._put(held.encode() if isinstance(held, str) else held)

    def _put(self, frame: bytes) -> None:
        # invariant: pending and backlog are never both non-empty
        if self.backlog:
            self._queue((frame,))
            return
        pending = self.pending
        if not pending:
            self.server.flush_later(self)
        pending.append(frame)

    def flush(self) -> None:
        """Write the frames pushed in this loop iteration (called by ``WsServer._flush``)."""
        frames = self.pending
        if not frames:
            return
        try:
            if self.closing or self.protocol.state is not OPEN:
                return          # a closing connection could not take them anyway
            if self.transport.get_write_buffer_size() > self.high_water:
                self._queue(frames)
                return
            protocol = self.protocol
            if self.binary:
                for frame in frames:
                    if frame.__class__ is Binary:
                        protocol.send_binary(frame)
                    else:
                        protocol.send_text(frame)
            else:                               # the text-only path stays as it was
                for frame in frames:
                    protocol.send_text(frame)
            self.transport.write(b"".join(protocol.data_to_send()))
            self.sent += len(frames)
        except Exception as e:                  # the socket failed: websockets notices it too
            log.debug("write to %s failed: %r", self.ws.remote_address, e)
            self.closing = True
            self.transport.abort()
        finally:
            frames.clear()

    def _queue(self, frames) -> None:
        if len(self.backlog) + len(frames) > self.limit:
            self.closing = True
            self.server.slow_disconnects += 1
            log.warning("client %s does not read its messages (%d queued): disconnecting with %d",
                        self.ws.remote_address, len(self.backlog), SLOW_CLOSE_CODE)
            asyncio.ensure_future(self.close(SLOW_CLOSE_CODE, SLOW_CLOSE_REASON))
            return
        self.backlog.extend(frames)
        if self.writer is None:
            self.writer = asyncio.ensure_future(self._write())

    def hold(self, text: Frame) -> None:
        """ws_reorder: send ``text`` after the next frame (or within a second if none comes)."""
        if self.held is not None:
            older, self.held = self.held, None
            self.push(older)
        self.held = text
        asyncio.get_running_loop().call_later(1.0, self._release, text)

    def _release(self, text: Frame) -> None:
        if self.held is text:
            self.held = None
            self.push(text)

    async def _write(self) -> None:
        """Send the backlog in order. The frame being sent stays at the head of the backlog
        until ``ws.send`` returns, so ``push`` keeps queueing behind it meanwhile."""
        backlog = self.backlog
        try:
            while backlog:
                frame = backlog[0]
                await self.ws.send(frame, text=frame.__class__ is not Binary)
                backlog.popleft()
                self.sent += 1
        except ConnectionClosed:
            self.closing = True
            backlog.clear()
        finally:
            if self.writer is asyncio.current_task():
                self.writer = None

    def stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None

    def drop_subscriptions(self) -> None:
        if self.app is not None:
            for sub in self.subs.values():
                self.app.feed.remove(sub)
        self.subs.clear()

    async def close(self, code: int, reason: str, timeout: float = 2.0) -> None:
        """Close with a close frame; a peer that does not read cannot take it, so after
        ``timeout`` the TCP connection is aborted."""
        self.closing = True
        self.drop_subscriptions()
        self.stop_writer()
        try:
            await asyncio.wait_for(self.ws.close(code, reason), timeout)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass
        finally:
            transport = getattr(self.ws, "transport", None)
            if transport is not None and self.ws.state.name != "CLOSED":
                transport.abort()

    def set_account(self, account: str) -> None:
        if account == self.account:
            return
        self.account = account
        for name, sub in list(self.subs.items()):      # private subscriptions follow the account
            if sub.channel.private:
                self.app.feed.remove(sub)
                self.subs[name] = self.app.feed.add(self, sub.channel, account)


class WsServer:
    def __init__(self, hub: Hub, apps: List[Any], *, queue_size: int = 2000,
                 max_frame: int = 1 << 20, ping_interval: Optional[float] = 55.0,
                 ping_timeout: Optional[float] = 5.0, ready_timeout: float = 10.0,
                 close_timeout: float = 2.0):
        self.hub = hub
        self.apps = apps          # each venue's WS app, with its ``venue``
        for app in apps:
            app.server = self
        self.queue_size = queue_size
        self.max_frame = max_frame
        self.ping_interval = ping_interval if ping_interval and ping_interval > 0 else None
        self.ping_timeout = ping_timeout if ping_timeout and ping_timeout > 0 else None
        self.ready_timeout = ready_timeout
        self.close_timeout = close_timeout
        self.conns = set()
        self.connections_total = 0
        self.slow_disconnects = 0
        self.port: Optional[int] = None
        self._server = None
        self._dirty: list = []                 # connections with pending frames (see Conn)
        self._flush_scheduled = False
        self._stopping = False
        self.after_close: set = set()          # work started for closed connections, until it ends (spawn)

    def app_for(self, path: str):
        path = path.rstrip("/") or "/"
        for app in self.apps:
            if app.venue.owns_ws_path(path):
                return app
        return None

    def app_of(self, venue: str):
        return next((a for a in self.apps if a.venue.name == venue), None)

    @property
    def stopping(self) -> bool:
        """The server is shutting down (``stop``): its connections close because of it."""
        return self._stopping

    def spawn(self, coro) -> asyncio.Task:
        """Run work a WS app starts for a connection that has closed (cancel on disconnect),
        counted in ``after_close`` until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.after_close.add(task)
        task.add_done_callback(self.after_close.discard)
        return task

    # ------------------------------------------------------------------ writing
    def flush_later(self, conn: Conn) -> None:
        """``conn`` has pending frames: write them (and every other connection's) at the end of
        this loop iteration."""
        self._dirty.append(conn)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            try:
                conn.flush()
            except Exception:           # pragma: no cover - one connection must not stop the others
                log.exception("flushing a connection failed")

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str, port: int) -> None:
        plog = logging.getLogger("paradex_mock.ws.protocol")
        if plog.level == logging.NOTSET:          # one line per connection is too chatty at INFO
            plog.setLevel(logging.WARNING)
        self._server = await serve(
            self._handler, host, port, process_request=self._process_request,
            max_size=self.max_frame, ping_interval=self.ping_interval, ping_timeout=self.ping_timeout,
            close_timeout=self.close_timeout, logger=logging.getLogger("paradex_mock.ws.protocol"))
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting, close every client with 1001 (going away), wait for the handlers."""
        if self._server is None:
            return
        self._stopping = True
        self._server.close(close_connections=False)
        await asyncio.gather(*(c.close(SHUTDOWN_CLOSE_CODE, "server shutting down") for c in list(self.conns)),
                             return_exceptions=True)
        try:
            await asyncio.wait_for(self._server.wait_closed(), 5)
        except asyncio.TimeoutError:
            log.warning("some WS handlers did not finish in time")
        self.hub.close()

    # ------------------------------------------------------------------ handshake
    def _process_request(self, connection, request):
        parts = urlsplit(request.path)
        app = self.app_for(parts.path)
        if app is None:
            roots = ", ".join(a.venue.ws_root or "/v1" for a in self.apps)
            return connection.respond(HTTPStatus.NOT_FOUND, f"unknown path: connect to one of {roots}\n")
        refusal = app.refuse(parts.path.rstrip("/") or "/", parse_qs(parts.query))
        if refusal is not None:
            return connection.respond(refusal[0], refusal[1])
        return None

    # ------------------------------------------------------------------ connections
    async def _handler(self, ws) -> None:
        app = self.app_for(urlsplit(ws.request.path).path)
        conn = Conn(self, ws, app)
        self.conns.add(conn)
        self.connections_total += 1
        try:
            await app.opened(conn)
            async for message in ws:
                await app.handle(conn, message, now_us())
        except ConnectionClosed:
            pass
        finally:
            conn.closing = True
            conn.drop_subscriptions()
            conn.stop_writer()
            self.conns.discard(conn)
            app.closed(conn, ws.close_code)

# ---------------------------------------------------------------------------- running it
class WsHandle:
    """A WS server on its own asyncio loop in a background thread."""

    def __init__(self, build: Callable, host: str, port: int, start_timeout: float = 15.0):
        self.host = host
        self.port: Optional[int] = None
        self.server: Optional[WsServer] = None
        self.source = None
        self.hub: Optional[Hub] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._build = build
        self._requested_port = port
        self._started = threading.Event()
        self._error: Optional[BaseException] = None
        self._stop_event: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._run, name="paradex-mock-ws", daemon=True)
        self._thread.start()
        if not self._started.wait(start_timeout):
            raise RuntimeError("WS server did not start in time")
        if self._error is not None:
            raise self._error

    @property
    def url(self) -> str:
        """Where clients connect: ``ws://HOST:PORT/v1`` (the server also answers on ``/``)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"ws://{host}:{self.port}/v1"

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # pragma: no cover - reported through start
            self._error = self._error or e
            self._started.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            self.hub, self.source, self.server = await self._build()
            await self.source.start()
            await self.server.start(self.host, self._requested_port)
            self.port = self.server.port
        except BaseException as e:
            self._error = e
            self._started.set()
            return
        log.debug("mock WS on %s", self.url)   # the launcher prints where it listens
        self._started.set()
        await self._stop_event.wait()
        await self.server.stop()
        await self.source.stop()

    def call(self, fn: Callable, timeout: float = 5.0):
        """Run ``fn()`` on the server's loop (for inspection from other threads)."""
        async def run():
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def subscribers(self, channel: Optional[str] = None) -> int:
        return self.call(lambda: sum(a.feed.subscriber_count(channel) for a in self.server.apps))

    def connections(self) -> int:
        return self.call(lambda: len(self.server.conns))

    def cancels_pending(self) -> int:
        """Cancel-on-disconnect work (``WsServer.spawn``) started and not finished yet."""
        return self.call(lambda: len(self.server.after_close))

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is not None and self._stop_event is not None and self._thread.is_alive():
            try:
                self.loop.call_soon_threadsafe(self._stop_event.set)
            except RuntimeError:
                pass
        self._thread.join(timeout)


def _server(venues: list, ctx: WsContext) -> WsServer:
    cfg = ctx.config
    apps = [app for app in (v.ws_app(ctx) for v in venues) if app is not None]
    return WsServer(ctx.hub, apps, queue_size=cfg.ws_queue_size, max_frame=cfg.ws_max_frame,
                    ping_interval=cfg.ws_ping_interval, ping_timeout=cfg.ws_ping_timeout)


def start_in_process(state, host: str, port: int, wsgi_app: Optional[Callable] = None) -> WsHandle:
    """Serve WS from this process's exchange (``state`` is the Flask app's MockState), for the
    app's venues. ``wsgi_app``: the Flask app, which carries out requests a venue forwards to REST
    (Paradex's ``order.*``; without it they are not served)."""
    from .rest import WsgiTransport
    ex = state.exchange

    async def build():
        hub = Hub()
        hub.fault_plan, hub.fault_plan_shared = state.faults, True   # one plan, one set of counters
        source = LocalSource(hub, ex)
        ctx = WsContext(hub=hub, config=state.config, rest=WsgiTransport(wsgi_app) if wsgi_app is not None else None,
                        auth_mode=lambda: state.config.auth_mode, now_s=source.now_s, source=source)
        return hub, source, _server(state.venues, ctx)

    handle = WsHandle(build, host, port)
    state.ws_port = handle.port     # where it listens, for venues whose REST names their WS URL
    return handle


def _remote_parts(cfg: config_mod.Config, upstream: str, auth_mode_override: Optional[str], **source_options):
    from .rest import HttpTransport
    hub = Hub()
    source = RemoteSource(hub, upstream, **source_options)
    ctx = WsContext(hub=hub, config=cfg, rest=HttpTransport(upstream),
                    auth_mode=lambda: auth_mode_override or source.auth_mode or cfg.auth_mode,
                    now_s=source.now_s, upstream=upstream, source=source)
    return hub, source, _server(venues_mod.load(cfg.venues), ctx)


def start_remote(cfg: config_mod.Config, upstream: Optional[str] = None, host: Optional[str] = None,
                 port: Optional[int] = None, auth_mode_override: Optional[str] = None,
                 **source_options) -> WsHandle:
    """The separate-process mode's server (fed by ``upstream``'s event stream) in a thread."""
    upstream = upstream or cfg.upstream or cfg.http_url

    async def build():
        return _remote_parts(cfg, upstream, auth_mode_override, **source_options)

    return WsHandle(build, cfg.host if host is None else host, cfg.ws_port if port is None else port)


def main(argv=None) -> int:
    parser = config_mod.build_parser(
        "paradex-mock WebSocket server: every venue's WS API (Paradex JSON-RPC 2.0 on ws://HOST:WS_PORT/v1, "
        "Binance on /binance/ws, ...). It holds no exchange of its own: every event comes from the HTTP "
        "server (UPSTREAM, default http://HOST:HTTP_PORT) over its /_mock/stream, and requests that act "
        "(Paradex's order.*) go to its REST API; start them in any order.", only=WS_FLAGS)
    ns = parser.parse_args(argv)
    try:
        cfg = config_mod.from_env().replace(**{k: v for k, v in vars(ns).items() if v is not None})
    except ValueError as e:
        parser.error(str(e))
    config_mod.validate(cfg, parser)
    explicit_auth = ns.auth_mode is not None or bool(os.environ.get(config_mod.env_name("auth_mode")))
    logging.basicConfig(level=getattr(logging, cfg.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upstream = cfg.upstream or cfg.http_url
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_serve_forever(cfg, upstream, cfg.auth_mode if explicit_auth else None))
    except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C
        pass
    finally:
        loop.close()   # not asyncio.run: it would wait for order.* calls still blocked on the upstream
    if threading.active_count() > 1:   # such a call's worker thread would hold the exit until its timeout
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    return 0


async def _serve_forever(cfg: config_mod.Config, upstream: str, auth_mode_override: Optional[str]) -> None:
    hub, source, server = _remote_parts(cfg, upstream, auth_mode_override)
    await source.start()
    await server.start(cfg.host, cfg.ws_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on the main thread/Windows
            pass
    host = "127.0.0.1" if cfg.host in ("0.0.0.0", "") else cfg.host
    base = f"ws://{host}:{server.port}"
    print(f"paradex-mock WS listening on {base}/v1 (events from {upstream})", flush=True)
    for app in server.apps:
        print(f"  {app.venue.name}: {app.venue.ws_root}{app.venue.ws_entry}", flush=True)
    await stop.wait()
    for sig in (signal.SIGINT, signal.SIGTERM):   # a second signal ends the process at once
        try:
            loop.remove_signal_handler(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover
            pass
    log.info("shutting down: closing %d WS connection(s)", len(server.conns))

    async def shutdown():
        await source.stop()      # first: no reconnecting while the clients are closed
        await server.stop()
    try:   # whatever the upstream is doing (gone, hung), the process ends within a second
        await asyncio.wait_for(shutdown(), SHUTDOWN_TIMEOUT)
    except asyncio.TimeoutError:
        log.warning("shutdown took longer than %.1f s: exiting anyway", SHUTDOWN_TIMEOUT)
