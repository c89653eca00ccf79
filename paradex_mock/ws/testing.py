"""Helpers for testing against the WS server: a small JSON-RPC 2.0 client, condition waits,
and ``Stack`` (a mock exchange with its WS server, with the WS tests' defaults).

    async with RpcClient(url) as c:
        await c.call("auth", {"bearer": token})
        await c.call("subscribe", {"channel": "trades.BTC-USD-PERP"})
        note = await c.notification("trades.BTC-USD-PERP")

Binary frames are counted in ``binary_frames`` and turned into messages by ``decode_binary``,
which a venue's client overrides (Paradex's SBE frames:
``paradex_mock.venues.paradex.ws.testing.RpcClient``).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from typing import Any, Callable, Optional

import websockets

from ..testing import MockExchange
from .rest import http_call

AUTO = object()


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.005, what: str = ""):
    """Poll ``predicate`` until it is truthy (returns its value); AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


async def async_wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.005,
                           what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(interval)


class RpcClient:
    """A JSON-RPC 2.0 client that keeps notifications that arrive while it waits for a reply."""

    _ids = itertools.count(1)

    def __init__(self, url: str, **connect_options):
        self.url = url
        self.connect_options = connect_options
        self.ws = None
        self.notifications: deque = deque()
        self.replies: deque = deque()
        self.subscribed: list = []        # channel names asked for, in order (binary frames may name none)
        self.binary_frames = 0

    async def __aenter__(self) -> "RpcClient":
        self.ws = await websockets.connect(self.url, **self.connect_options)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def send(self, msg) -> None:
        await self.ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))

    async def _read(self, timeout: float) -> dict:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        if isinstance(raw, bytes):
            self.binary_frames += 1
            return self.decode_binary(raw)
        return json.loads(raw)

    def decode_binary(self, frame: bytes) -> dict:
        """A binary frame as a JSON-RPC message; this client speaks JSON only."""
        raise AssertionError(f"a binary frame ({len(frame)} bytes): use the venue's client that decodes them")

    async def frame(self, timeout: float = 5.0) -> dict:
        """The next frame of any kind (buffered replies first, then the socket)."""
        if self.replies:
            return self.replies.popleft()
        if self.notifications:
            return self.notifications.popleft()
        return await self._read(timeout)

    async def reply(self, timeout: float = 5.0) -> dict:
        """The next non-notification frame."""
        if self.replies:
            return self.replies.popleft()
        deadline = time.monotonic() + timeout
        while True:
            msg = await self._read(max(0.001, deadline - time.monotonic()))
            if msg.get("method") == "subscription":
                self.notifications.append(msg)
                continue
            return msg

    async def request(self, method: str, params: Optional[dict] = None, id: Any = AUTO) -> Any:
        """Send a request with ``id`` (a fresh int by default); returns the id."""
        msg = {"jsonrpc": "2.0", "method": method}
        if id is AUTO:
            id = next(self._ids)
        msg["id"] = id
        if params is not None:
            msg["params"] = params
        self._note_subscribe(method, params)
        await self.send(msg)
        return id

    def _note_subscribe(self, method: str, params) -> None:
        if method == "subscribe" and isinstance(params, dict) and isinstance(params.get("channel"), str):
            if params["channel"] not in self.subscribed:
                self.subscribed.append(params["channel"])

    async def call(self, method: str, params: Optional[dict] = None, id: Any = AUTO, timeout: float = 5.0,
                   omit_id: bool = False) -> dict:
        """Send a request and return its whole reply frame."""
        if omit_id:
            msg = {"jsonrpc": "2.0", "method": method}
            if params is not None:
                msg["params"] = params
            self._note_subscribe(method, params)
            await self.send(msg)
        else:
            await self.request(method, params, id)
        return await self.reply(timeout)

    async def subscribe(self, channel: str, timeout: float = 5.0) -> dict:
        reply = await self.call("subscribe", {"channel": channel}, timeout=timeout)
        assert reply.get("result") == {"channel": channel}, reply
        return reply

    async def notification(self, channel: Optional[str] = None, timeout: float = 5.0,
                           where: Optional[Callable[[dict], bool]] = None) -> dict:
        """The next notification's ``data`` (optionally of ``channel`` and matching ``where``);
        others met on the way stay buffered."""
        for i, msg in enumerate(self.notifications):
            if self._matches(msg, channel, where):
                del self.notifications[i]
                return msg["params"]["data"]
        deadline = time.monotonic() + timeout
        while True:
            msg = await self._read(max(0.001, deadline - time.monotonic()))
            if msg.get("method") != "subscription":
                self.replies.append(msg)
                continue
            if self._matches(msg, channel, where):
                return msg["params"]["data"]
            self.notifications.append(msg)

    @staticmethod
    def _matches(msg, channel, where) -> bool:
        params = msg.get("params") or {}
        if channel is not None and params.get("channel") != channel:
            return False
        return where is None or bool(where(params.get("data")))

    async def barrier(self, timeout: float = 5.0) -> list:
        """A round trip: every notification the server queued before it (buffered ones included),
        as frames. The server handles a connection's messages in order and sends through one
        queue, so whatever was published before this call is in the list."""
        rid = f"barrier-{next(self._ids)}"
        await self.send({"jsonrpc": "2.0", "id": rid, "method": "unsubscribe",
                         "params": {"channel": "__barrier__"}})
        out = list(self.notifications)
        self.notifications.clear()
        deadline = time.monotonic() + timeout
        while True:
            msg = await self._read(max(0.001, deadline - time.monotonic()))
            if msg.get("id") == rid:
                return out
            if msg.get("method") == "subscription":
                out.append(msg)
            else:
                self.replies.append(msg)


class Stack(MockExchange):
    """``MockExchange`` with the WS tests' defaults (an hour of history, no rate limits): the
    REST app on a free loopback port, the WS server in-process on another, a manual clock.

        with Stack() as s:
            s.exchange.advance(ticks=1)
            ... s.ws_url, s.http_url, s.ws.subscribers("trades.BTC-USD-PERP")
    """

    def __init__(self, **overrides):
        super().__init__(**{"backfill_hours": 1.0, "rate_limits": False, **overrides})

    @property
    def http(self):
        return self._http

    @property
    def ws(self):
        return self._ws


rest = http_call    # rest(base_url, method, path, body=None, headers=None): (status, json_or_None)
