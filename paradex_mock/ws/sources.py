"""Where the WS server's events come from.

* ``LocalSource``: the exchange lives in this process (``--with-ws``, tests): subscribe to its
  ``EventBus`` and hop each event onto the asyncio loop.
* ``RemoteSource``: ``python ws_server.py``: read the HTTP process's ``GET /_mock/stream``
  (NDJSON, see ``paradex_mock/http/stream.py``), resume after a disconnect with ``after=<seq>``,
  fall back to a fresh snapshot when the upstream cannot resume (restart, reset, lost history).

Both feed a ``feed.Hub``; neither invents data.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import AsyncIterator, Dict, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from ..engine import codec
from .hub import RESYNC_KINDS, Hub, build_snapshot

log = logging.getLogger("paradex_mock.ws")

STREAM_PATH = "/_mock/stream"
JWKS_PATH = "/v1/jwks.json"


# ------------------------------------------------------------------------------- in-process
class LocalSource:
    def __init__(self, hub: Hub, exchange):
        self.hub = hub
        self.exchange = exchange
        self._token = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        ex = self.exchange

        def on_event(ev):          # called under the exchange lock: only enqueue
            snap = build_snapshot(ex) if ev.get("kind") in RESYNC_KINDS else None
            loop.call_soon_threadsafe(self._on_event, ev, snap)

        def subscribe_and_snapshot():
            with ex.lock:
                token = ex.bus.subscribe(on_event)
                return token, build_snapshot(ex)

        self._token, snap = await loop.run_in_executor(None, subscribe_and_snapshot)
        self.hub.load_snapshot(snap, continuous=False)
        self.hub.connected = True

    def _on_event(self, ev, snap: Optional[dict] = None) -> None:
        self.hub.apply(ev)
        if snap is not None:       # a new world, a new market, a fast-forward's end: take it whole
            self.hub.load_snapshot(snap, continuous=True)

    def now_s(self) -> int:
        return self.exchange.clock.now_ms() // 1000

    async def stop(self) -> None:
        if self._token is not None:
            self.exchange.bus.unsubscribe(self._token)
            self._token = None


# ------------------------------------------------------------------------------- a tiny HTTP client
class HttpError(Exception):
    pass


def split_url(url: str) -> Tuple[str, int, str]:
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme not in ("http", ""):
        raise ValueError(f"only http:// upstreams are supported, not {url!r}")
    host = parts.hostname or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    base = parts.path.rstrip("/")
    if base.endswith("/v1"):          # the REST API's URL works too
        base = base[:-3]
    return host, parts.port or 80, base


async def _open(url: str, path: str, timeout: float):
    host, port, base = split_url(url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, limit=64 << 20), timeout)
    try:
        writer.write((f"GET {base}{path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      f"Accept: application/x-ndjson, application/json\r\nConnection: close\r\n"
                      f"User-Agent: paradex-mock-ws\r\n\r\n").encode("latin-1"))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        bits = status_line.decode("latin-1").split(None, 2)
        if len(bits) < 2 or not bits[0].startswith("HTTP/"):
            raise HttpError(f"bad status line {status_line!r}")
        status = int(bits[1])
        headers: Dict[str, str] = {}
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout)
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers, reader, writer
    except BaseException:
        writer.close()
        raise


async def _body_chunks(reader: asyncio.StreamReader, headers: Dict[str, str],
                       idle_timeout: float) -> AsyncIterator[bytes]:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await asyncio.wait_for(reader.readline(), idle_timeout)
            if not size_line:
                raise HttpError("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return
            data = await asyncio.wait_for(reader.readexactly(size + 2), idle_timeout)
            yield data[:-2]
    elif "content-length" in headers:
        yield await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), idle_timeout)
    else:
        while True:
            data = await asyncio.wait_for(reader.read(65536), idle_timeout)
            if not data:
                return
            yield data


async def get_json(url: str, path: str, timeout: float = 5.0):
    status, headers, reader, writer = await _open(url, path, timeout)
    try:
        body = b"".join([c async for c in _body_chunks(reader, headers, timeout)])
    finally:
        writer.close()
    if status != 200:
        raise HttpError(f"GET {path}: HTTP {status}")
    return json.loads(body)


# ------------------------------------------------------------------------------- the remote stream
class RemoteSource:
    """Follows the upstream's event stream for as long as it runs, reconnecting with backoff."""

    def __init__(self, hub: Hub, upstream: str, *, heartbeat: float = 1.0, idle_timeout: float = 5.0,
                 min_backoff: float = 0.05, max_backoff: float = 2.0):
        self.hub = hub
        self.upstream = upstream.rstrip("/")
        split_url(self.upstream)            # fail early on a bad URL
        self.heartbeat = heartbeat
        self.idle_timeout = idle_timeout
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.auth_mode: Optional[str] = None   # the upstream's, from the stream's hello line
        self.connects = 0
        self.resumes = 0
        self._task: Optional[asyncio.Task] = None
        self._jwks_task: Optional[asyncio.Task] = None
        self.on_instance_change = None         # callback(instance): e.g. drop cached JWKS
        self._warned = False
        self.down = asyncio.Event()            # set while the upstream cannot be followed

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    def now_s(self) -> int:
        import time
        if self.hub.clock == "manual" and self.hub.now_ms:
            return self.hub.now_ms // 1000
        return int(time.time())

    async def _run(self) -> None:
        backoff = self.min_backoff
        failures = 0
        while True:
            got_data = False
            try:
                async for _ in self._follow():
                    got_data = True
                    self.down.clear()
                    backoff = self.min_backoff
                    failures = 0
                reason = "stream ended"
            except asyncio.CancelledError:
                raise
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, HttpError, ValueError) as e:
                reason = f"{type(e).__name__}: {e}"
            except Exception as e:          # a bug must not end the following for good
                log.exception("error while following the upstream stream")
                reason = f"{type(e).__name__}: {e}"
            self.hub.connected = False
            if not got_data:       # requests waiting for a first snapshot learn it at once
                self.down.set()
            failures += 1
            log_fn = log.info if (got_data or failures in (1, 10) or failures % 100 == 0) else log.debug
            log_fn("upstream stream %s (%s); reconnecting", self.upstream, reason)
            await asyncio.sleep(backoff * (0.5 + random.random() / 2))
            backoff = min(self.max_backoff, backoff * 2)

    async def _follow(self) -> AsyncIterator[None]:
        hub = self.hub
        query = {"heartbeat": self.heartbeat}
        if hub.instance is not None:
            query.update(after=hub.last_seq, epoch=hub.epoch, instance=hub.instance)
        status, headers, reader, writer = await _open(self.upstream, f"{STREAM_PATH}?{urlencode(query)}",
                                                      self.idle_timeout)
        try:
            if status != 200:
                if status in (403, 404) and not self._warned:
                    self._warned = True
                    log.warning("%s%s answers HTTP %d: is it the paradex-mock REST server, and does it "
                                "serve this client (loopback, or --control on)?", self.upstream, STREAM_PATH, status)
                raise HttpError(f"GET {STREAM_PATH}: HTTP {status}")
            buf = b""
            hello = None
            async for chunk in _body_chunks(reader, headers, self.idle_timeout):
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if not line.strip():
                        continue
                    msg = json.loads(line)
                    t = msg.get("type")
                    if t == "event":
                        msg["data"] = codec.decode(msg.get("data"))
                        hub.apply(msg)
                    elif t == "heartbeat":
                        hub.heartbeat(msg)
                    elif t == "hello":
                        hello = msg
                        self._hello(msg)
                    elif t == "snapshot":
                        if hello is None:
                            raise HttpError("snapshot before hello")
                        continuous = msg.get("reason") == "reset"
                        for m in (msg.get("markets") or {}).values():
                            for k in ("book", "summary", "funding_data"):
                                m[k] = codec.decode(m.get(k))
                        if not continuous:
                            hub.instance = hello.get("instance")
                        hub.load_snapshot(msg, continuous=continuous)
                        hub.connected = True
                    yield None
        finally:
            writer.close()

    def _hello(self, msg: dict) -> None:
        hub = self.hub
        self.connects += 1
        self.auth_mode = msg.get("auth_mode", self.auth_mode)
        hub.heartbeat(msg)
        if msg.get("instance") != hub.instance and self.on_instance_change is not None:
            self.on_instance_change(msg.get("instance"))
        # hub.instance/epoch change only with the snapshot that follows a non-resumed hello, so a
        # stream cut in between never resumes the new instance from the old one's seq
        if msg.get("resumed"):
            self.resumes += 1
            hub.connected = True
            log.info("upstream stream resumed after seq %s", hub.last_seq)
        else:
            log.info("upstream stream: fresh snapshot at seq %s (epoch %s)", msg.get("seq"), msg.get("epoch"))
