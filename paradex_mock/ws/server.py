"""Paradex's WebSocket API (JSON-RPC 2.0) on the ``websockets`` asyncio server.

Two ways to run it, one behaviour:

* ``start_in_process(state, host, port, wsgi_app)`` (``http_server.py --with-ws``, tests): a
  background thread with its own asyncio loop, fed directly from ``state.exchange.bus``; the
  ``order.*`` methods call the Flask app ``wsgi_app``.
* ``python ws_server.py`` (``main()``): a separate process fed by the HTTP process's
  ``/_mock/stream`` (see README.md in this folder); ``order.*`` go to its REST API over HTTP.

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
import json
import logging
import os
import secrets
import signal
import sys
import threading
from decimal import Decimal
from http import HTTPStatus
from typing import Callable, Dict, Optional, Union
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import OPEN

from .. import config as config_mod
from ..engine.errors import short
from .auth import Authenticator
from .feed import Hub, Sub
from .protocol import (INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, MALFORMED_BEARER, METHOD_NOT_FOUND,
                       NO_ID, PARSE_ERROR, ChannelError, RpcError, error_frame,
                       now_us, parse_channel, result_frame, valid_id)
from .orders import HttpTransport, OrderGateway, WsgiTransport
from .sources import LocalSource, RemoteSource

log = logging.getLogger("paradex_mock.ws")

SLOW_CLOSE_CODE = 1008                  # policy violation: the client does not read its messages
SLOW_CLOSE_REASON = "slow consumer: outbound queue full"
SHUTDOWN_CLOSE_CODE = 1001              # going away
SBE_SCHEMA_IDS = ("1",)
SBE_SCHEMA_VERSIONS = ("0", "1", "2", "3")
PATHS = ("/", "/v1")
MAX_SUBSCRIPTIONS = 1000                # per connection
SHUTDOWN_TIMEOUT = 0.8                  # ws_server.py stops within a second of SIGTERM/SIGINT
# order_book groupings Paradex names (its AsyncAPI spec's price_tick enum)
PRICE_TICKS = ("0_0000001", "0_0000005", "0_000001", "0_00001", "0_0001", "0_001", "0_01", "0_1", "1", "10", "100")
WS_FLAGS = {"host", "http_port", "ws_port", "upstream", "auth_mode", "log_level", "ws_queue_size", "ws_max_frame",
            "ws_ping_interval", "ws_ping_timeout"}


_SERIALS = itertools.count(1)
Frame = Union[str, bytes]     # a text frame, as str or already UTF-8 encoded


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

    def __init__(self, server: "WsServer", ws):
        self.server = server
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
        self.account: Optional[str] = None
        self.bearer: Optional[str] = None     # the JWT of ``auth``, sent with order.* requests
        self.cancel_on_disconnect = False     # order.cancel_on_disconnect (per connection)
        self.placed: Dict[str, None] = {}     # ids of the orders placed over this connection
        self.subs: Dict[str, Sub] = {}
        self.closing = False
        self.sent = 0
        self.serial = next(_SERIALS)
        self.held: Optional[Frame] = None     # a frame a ws_reorder fault holds back

    def push(self, frame: Frame) -> None:
        """Send a frame (``str`` or UTF-8 ``bytes``) after those pushed before it; never blocks.
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
                await self.ws.send(backlog[0], text=True)
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
        for sub in self.subs.values():
            self.server.hub.remove(sub)
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
                self.server.hub.remove(sub)
                self.subs[name] = self.server.hub.add(self, sub.channel, account)


class WsServer:
    def __init__(self, hub: Hub, authenticator: Authenticator, *, queue_size: int = 2000,
                 max_frame: int = 1 << 20, ping_interval: Optional[float] = 55.0,
                 ping_timeout: Optional[float] = 5.0, ready_timeout: float = 10.0,
                 close_timeout: float = 2.0, gateway: Optional[OrderGateway] = None):
        self.hub = hub
        self.source = None        # the event source, when it can tell that its upstream is down
        self.gateway = gateway
        self.auth = authenticator
        self.queue_size = queue_size
        self.max_frame = max_frame
        self.ping_interval = ping_interval if ping_interval and ping_interval > 0 else None
        self.ping_timeout = ping_timeout if ping_timeout and ping_timeout > 0 else None
        self.ready_timeout = ready_timeout
        self.close_timeout = close_timeout
        self.node_id = secrets.token_hex(8)
        self.conns = set()
        self.connections_total = 0
        self.slow_disconnects = 0
        self.port: Optional[int] = None
        self._server = None
        self._dirty: list = []                 # connections with pending frames (see Conn)
        self._flush_scheduled = False
        self._methods = {"auth": self._auth, "subscribe": self._subscribe, "unsubscribe": self._unsubscribe}
        if gateway is not None:
            for name in ("create", "create_batch", "modify", "cancel", "cancel_batch", "cancel_all"):
                self._methods["order." + name] = self._order_method(name)
            self._methods["order.cancel_on_disconnect"] = self._cancel_on_disconnect
        self._tasks: set = set()               # cancel-on-disconnect work still running
        self._stopping = False

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
        path = parts.path.rstrip("/") or "/"
        if path not in PATHS:
            return connection.respond(HTTPStatus.NOT_FOUND, "unknown path: connect to /v1\n")
        query = parse_qs(parts.query)
        sid, ver = query.get("sbeSchemaId"), query.get("sbeSchemaVersion")
        if sid is not None or ver is not None:
            if sid is None or sid[-1] not in SBE_SCHEMA_IDS or (ver is not None and ver[-1] not in SBE_SCHEMA_VERSIONS):
                return connection.respond(HTTPStatus.BAD_REQUEST, "unsupported sbeSchemaId/sbeSchemaVersion\n")
        return None

    # ------------------------------------------------------------------ connections
    async def _handler(self, ws) -> None:
        conn = Conn(self, ws)
        self.conns.add(conn)
        self.connections_total += 1
        try:
            async for message in ws:
                await self._handle(conn, message, now_us())
        except ConnectionClosed:
            pass
        finally:
            conn.closing = True
            conn.drop_subscriptions()
            conn.stop_writer()
            self.conns.discard(conn)
            # a client that closes normally (1000) meant to go; any other end cancels its orders,
            # except this server's own shutdown (in one process the exchange is going away too)
            if conn.cancel_on_disconnect and conn.placed and ws.close_code != 1000 and not self._stopping:
                task = asyncio.get_running_loop().create_task(self._cancel_placed(conn))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _cancel_placed(self, conn: Conn) -> None:
        ids = list(conn.placed)
        for i in range(0, len(ids), 100):        # REST's batch cancel takes at most 100
            try:
                await self.gateway.cancel_batch(conn.bearer, {"order_ids": ids[i:i + 100]})
            except Exception as e:   # the connection is gone: nobody to tell but the log
                log.warning("cancel on disconnect for %s failed: %s", conn.account, e)

    async def _handle(self, conn: Conn, raw, us_in: int) -> None:
        rid = None
        try:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise RpcError(PARSE_ERROR, "parse error", "frame is not UTF-8 JSON") from None
            try:
                msg = json.loads(raw)
            except ValueError as e:
                raise RpcError(PARSE_ERROR, "parse error", str(e)) from None
            except RecursionError:   # absurdly deep nesting: not JSON this server parses
                raise RpcError(PARSE_ERROR, "parse error", "nested too deeply") from None
            if isinstance(msg, list):
                raise RpcError(INVALID_REQUEST, "invalid request", "batch requests are not supported")
            if not isinstance(msg, dict):
                raise RpcError(INVALID_REQUEST, "invalid request", "a request must be a JSON object")
            if "id" in msg:
                if not valid_id(msg["id"]):
                    raise RpcError(INVALID_REQUEST, "invalid request", "id must be a string, a number or null")
                rid = msg["id"]
            else:
                rid = NO_ID
            if msg.get("jsonrpc") != "2.0":
                raise RpcError(INVALID_REQUEST, "invalid request", 'jsonrpc must be "2.0"')
            method = msg.get("method")
            if not isinstance(method, str) or not method:
                raise RpcError(INVALID_REQUEST, "invalid request", "method must be a non-empty string")
            handler = self._methods.get(method)
            if handler is None:
                if method.startswith("order.") and conn.account is None:
                    raise RpcError.auth_required()
                raise RpcError(METHOD_NOT_FOUND, "method does not exist", method)
            params = msg.get("params")
            result, then = await handler(conn, {} if params is None else params, rid)
            conn.push(result_frame(rid, result, us_in))
            if then is not None:
                then()
        except RpcError as e:
            conn.push(error_frame(rid, e, us_in))
        except Exception:
            log.exception("internal error handling a frame starting %r", raw[:64] if isinstance(raw, str) else "<binary>")
            conn.push(error_frame(rid, RpcError(INTERNAL_ERROR, "internal error"), us_in))

    # ------------------------------------------------------------------ methods
    async def _auth(self, conn: Conn, params, rid):
        if not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, "invalid params", "params must be an object")
        bearer = params.get("bearer")
        if bearer is None:
            raise RpcError(INVALID_PARAMS, "invalid params", "bearer is required")
        if not isinstance(bearer, str) or not bearer.strip():
            raise RpcError(MALFORMED_BEARER, "malformed bearer token", "bearer must be a non-empty string")
        bearer = bearer.strip()
        if bearer[:7].lower() == "bearer ":
            bearer = bearer[7:].strip()
        account = await self.auth.account_for(bearer)
        conn.set_account(account)
        # order.* act with this JWT; a non-JWT bearer (permissive mode's demo account) sends none
        conn.bearer = bearer if bearer.count(".") == 2 else None
        return {"node_id": self.node_id}, None

    def _order_method(self, name: str):
        async def handler(conn: Conn, params, rid):
            if conn.account is None:
                raise RpcError.auth_required()
            result = await getattr(self.gateway, name)(conn.bearer, params)
            if name == "create":
                conn.placed[result["order"]["id"]] = None
            elif name == "create_batch":
                for r in result["results"]:
                    if "order" in r:
                        conn.placed[r["order"]["id"]] = None
            return result, None
        return handler

    async def _cancel_on_disconnect(self, conn: Conn, params, rid):
        if conn.account is None:
            raise RpcError.auth_required()
        enabled = params.get("enabled") if isinstance(params, dict) else None
        if not isinstance(enabled, bool):
            raise RpcError(INVALID_PARAMS, "invalid params", "enabled must be true or false")
        conn.cancel_on_disconnect = enabled
        return {"enabled": enabled}, None

    @staticmethod
    def _channel_param(params) -> str:
        if not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, "invalid params", "params must be an object")
        name = params.get("channel")
        if not isinstance(name, str) or not name:
            raise RpcError(INVALID_PARAMS, "invalid params", "channel is required")
        return name

    async def _wait_ready(self) -> None:
        if self.hub.ready.is_set():
            return
        # a separate process's source says when the upstream is down: no reason to wait then
        down = getattr(self.source, "down", None)
        waits = [asyncio.ensure_future(self.hub.ready.wait())]
        if down is not None:
            waits.append(asyncio.ensure_future(down.wait()))
        try:
            await asyncio.wait(waits, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not self.hub.ready.is_set():
            raise RpcError(INTERNAL_ERROR, "internal error", "the exchange is unreachable")

    async def _subscribe(self, conn: Conn, params, rid):
        name = self._channel_param(params)
        await self._wait_ready()
        try:
            channel = parse_channel(name, self.hub.markets)
            if channel.tick is not None:
                self._check_grouping(channel, name.rsplit("@", 1)[1])
        except ChannelError as e:
            reason = short(str(e), 160)   # channel names are at most 200 characters (parse_channel)
            log.info("subscribe %r refused: %s", name[:64], reason)
            raise RpcError(INVALID_REQUEST, "invalid subscribe request", f"invalid channel: {reason}") from None
        if channel.private and conn.account is None:
            raise RpcError.auth_required()
        if name in conn.subs:
            if rid is NO_ID:     # ccxt re-sends id-less subscribes (and stops reading on any error)
                return {"channel": name}, None
            raise RpcError(INVALID_REQUEST, "invalid subscribe request", "already subscribed")
        if len(conn.subs) >= MAX_SUBSCRIPTIONS:
            raise RpcError(INVALID_REQUEST, "invalid subscribe request",
                           f"too many subscriptions: at most {MAX_SUBSCRIPTIONS} per connection")

        def register():          # after the ack, so the ack precedes the channel's first message
            if not conn.closing:
                conn.subs[name] = self.hub.add(conn, channel, conn.account)
        return {"channel": name}, register

    def _check_grouping(self, channel, text: str) -> None:
        """An order_book price grouping must be one Paradex names (``0_1``, ``1``, ``10``...) and
        one the market offers: a whole multiple of its price_tick_size."""
        if text not in PRICE_TICKS:
            raise ChannelError(f"unknown price tick {short(text)!r}; one of {', '.join(PRICE_TICKS)}")
        tick = self.hub.ticks.get(channel.market)
        if tick is not None:
            step = Decimal(tick)
            if channel.tick < step or channel.tick % step:
                raise ChannelError(f"{channel.market} has no price grouping {text}: its price_tick_size is {tick}")

    async def _unsubscribe(self, conn: Conn, params, rid):
        name = self._channel_param(params)
        sub = conn.subs.pop(name, None)
        if sub is None:
            raise RpcError(INVALID_REQUEST, "invalid unsubscribe request", "not subscribed")
        self.hub.remove(sub)
        return {"channel": name}, None


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
        log.debug("Paradex mock WS on %s", self.url)   # the launcher prints where it listens
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
        return self.call(lambda: self.hub.subscriber_count(channel))

    def connections(self) -> int:
        return self.call(lambda: len(self.server.conns))

    def cancels_pending(self) -> int:
        """Cancel-on-disconnect work started and not finished yet."""
        return self.call(lambda: len(self.server._tasks))

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is not None and self._stop_event is not None and self._thread.is_alive():
            try:
                self.loop.call_soon_threadsafe(self._stop_event.set)
            except RuntimeError:
                pass
        self._thread.join(timeout)


def _server_for(hub: Hub, auth: Authenticator, cfg: config_mod.Config,
                gateway: Optional[OrderGateway] = None) -> WsServer:
    return WsServer(hub, auth, queue_size=cfg.ws_queue_size, max_frame=cfg.ws_max_frame,
                    ping_interval=cfg.ws_ping_interval, ping_timeout=cfg.ws_ping_timeout, gateway=gateway)


def start_in_process(state, host: str, port: int, wsgi_app: Optional[Callable] = None) -> WsHandle:
    """Serve WS from this process's exchange (``state`` is the Flask app's MockState).
    ``wsgi_app``: the Flask app, which carries out the ``order.*`` methods (without it they are
    not served)."""
    verifier = state.jwt_issuer.verifier()
    ex = state.exchange
    gateway = OrderGateway(WsgiTransport(wsgi_app)) if wsgi_app is not None else None

    async def build():
        hub = Hub()
        hub.fault_plan, hub.fault_plan_shared = state.faults, True   # one plan, one set of counters
        source = LocalSource(hub, ex)
        auth = Authenticator(auth_mode=lambda: state.config.auth_mode, now_s=source.now_s, verifier=verifier)
        return hub, source, _server_for(hub, auth, state.config, gateway)

    return WsHandle(build, host, port)


def start_remote(cfg: config_mod.Config, upstream: Optional[str] = None, host: Optional[str] = None,
                 port: Optional[int] = None, auth_mode_override: Optional[str] = None,
                 **source_options) -> WsHandle:
    """The separate-process mode's server (fed by ``upstream``'s event stream) in a thread."""
    upstream = upstream or cfg.upstream or cfg.http_url

    async def build():
        hub = Hub()
        source = RemoteSource(hub, upstream, **source_options)
        auth = Authenticator(auth_mode=lambda: auth_mode_override or source.auth_mode or cfg.auth_mode,
                             now_s=source.now_s, jwks_url=upstream)
        source.on_instance_change = auth.forget_keys
        server = _server_for(hub, auth, cfg, OrderGateway(HttpTransport(upstream)))
        server.source = source
        return hub, source, server

    return WsHandle(build, cfg.host if host is None else host, cfg.ws_port if port is None else port)


def main(argv=None) -> int:
    parser = config_mod.build_parser(
        "Paradex mock WebSocket server (JSON-RPC 2.0 on ws://HOST:WS_PORT/v1). It holds no exchange "
        "of its own: every event comes from the HTTP server (UPSTREAM, default http://HOST:HTTP_PORT) "
        "over its /_mock/stream, and order.* requests go to its REST API; start them in any order.", only=WS_FLAGS)
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
    hub = Hub()
    source = RemoteSource(hub, upstream)
    auth = Authenticator(auth_mode=lambda: auth_mode_override or source.auth_mode or cfg.auth_mode,
                         now_s=source.now_s, jwks_url=upstream)
    source.on_instance_change = auth.forget_keys
    server = _server_for(hub, auth, cfg, OrderGateway(HttpTransport(upstream)))   # order.* as start_remote()
    server.source = source
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
    print(f"paradex-mock WS listening on ws://{host}:{server.port}/v1 (events from {upstream})", flush=True)
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
