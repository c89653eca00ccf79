"""The request side of a market-data venue's WebSocket app on the shared server (``server.WsServer``):
the skeleton every such venue repeats, once, with the venue's protocol plugged in as a table and
hooks. It knows no venue by name.

``handle`` reads one client message: the venue may take it before it is parsed (``accepts``: a
bare-text ping, a connection about to close), then it is parsed as JSON (``bad_json``), must be an
object (``not_object``), names what it asks in one field (``op_of``, by default ``op_field``), and
goes to the handler the venue's ``ops`` table names for it (``unknown_op`` for any other). Any of
these, and a handler, refuse by raising a ``Refusal``; ``refused`` answers it in the venue's shape.

Besides: the paths a client may connect to (``paths``, ``serves``; any other is a 404 with
``not_found``), the wait for the hub's first snapshot (``wait_ready``), and the bookkeeping of a
connection's subscriptions by channel name (``subscribe``, ``unsubscribe``).
"""
from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Dict, Optional, Tuple

READY_TIMEOUT_S = 10        # how long a request waits for the hub's first snapshot


def dumps(obj) -> str:
    """Compact JSON, as the venues send it."""
    return json.dumps(obj, separators=(",", ":"))


class Refusal(Exception):
    """A request the venue refuses (each venue's ``WsError`` is one): ``text``, what it says."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class CodedRefusal(Refusal):
    """A refusal with the venue's ``code`` for it."""

    def __init__(self, code, text: str):
        super().__init__(text)
        self.code = code


class Request:
    """One client message being answered: what handlers and refusals read (``msg`` once parsed,
    ``op`` once named, ``rid``: the request id, where the venue's ``op_of`` or handler reads one)."""
    __slots__ = ("conn", "raw", "us_in", "msg", "op", "rid")

    def __init__(self, conn, raw, us_in: int):
        self.conn, self.raw, self.us_in = conn, raw, us_in
        self.msg = self.op = self.rid = None


class VenueWsApp:
    """A venue's WS app: ``venue``, ``hub``, ``feed`` (``make_feed``) and ``server`` (set by the
    server), what the server asks of every app (``refuse``, ``opened``, ``handle``, ``closed``),
    and the hooks above."""

    paths: Tuple[str, ...] = ()     # the paths below the venue's ws_root a client connects to
    not_found = ""                  # the 404 text for any other path
    op_field = "method"             # the field of a message that names what it asks
    ops: Dict[str, str] = {}        # what a message asks -> its handler's name: ``async def h(self, req)``
    feed_class: Optional[type] = None   # the venue's ``MarketFeed``, made on the hub (``make_feed``)

    def __init__(self, venue, ctx):
        self.venue = venue
        self.server = None
        self.hub = ctx.hub
        self.feed = self.make_feed(ctx)

    def make_feed(self, ctx):
        """The venue's ``MarketFeed`` on ``ctx.hub``."""
        return self.feed_class(ctx.hub)

    # ------------------------------------------------------------------ connections
    def refuse(self, path: str, query: dict):
        if self.serves(path[len(self.venue.ws_root):]):
            return None
        return HTTPStatus.NOT_FOUND, self.not_found

    def serves(self, rest: str) -> bool:
        """Is ``rest`` (the path below ws_root, without a trailing slash) one a client connects to."""
        return rest in self.paths

    async def opened(self, conn) -> None:
        pass

    def closed(self, conn, close_code) -> None:
        pass

    async def wait_ready(self, unavailable: Optional[Exception] = None) -> None:
        """Until the hub holds its first snapshot, READY_TIMEOUT_S at most; after that
        ``unavailable`` is raised (None: the ``asyncio.TimeoutError``)."""
        if self.hub.ready.is_set():
            return
        try:
            await asyncio.wait_for(self.hub.ready.wait(), READY_TIMEOUT_S)
        except asyncio.TimeoutError:
            if unavailable is None:
                raise
            raise unavailable from None

    # ------------------------------------------------------------------ requests
    async def handle(self, conn, raw, us_in: int) -> None:
        req = Request(conn, raw, us_in)
        try:
            if not self.accepts(req):
                return
            try:
                req.msg = json.loads(raw)
            except (ValueError, RecursionError):
                raise self.bad_json(req) from None
            if not isinstance(req.msg, dict):
                raise self.not_object(req)
            op = req.op = self.op_of(req)
            handler = self.ops.get(op) if isinstance(op, str) else None
            if handler is None:
                raise self.unknown_op(req)
            await getattr(self, handler)(req)
        except Refusal as e:
            self.refused(req, e)

    def accepts(self, req: Request) -> bool:
        """False: the message is answered (or ignored) already, before it is parsed."""
        return True

    def op_of(self, req: Request):
        """What the message asks (raise a ``Refusal`` for a malformed one); reads ``req.rid``
        too, where the venue reads the request id before it knows the op."""
        return req.msg.get(self.op_field)

    def bad_json(self, req: Request) -> Refusal:
        raise NotImplementedError

    def not_object(self, req: Request) -> Refusal:
        raise NotImplementedError

    def unknown_op(self, req: Request) -> Refusal:
        raise NotImplementedError

    def refused(self, req: Request, e: Refusal) -> None:
        """Answer the refusal ``e`` of ``req``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, conn, channel) -> None:
        """Subscribe ``conn`` to ``channel`` unless it is already, or is closing."""
        if channel.name not in conn.subs and not conn.closing:
            conn.subs[channel.name] = self.feed.add(conn, channel)

    def unsubscribe(self, conn, name: str) -> bool:
        """Drop ``conn``'s subscription called ``name``; False if it has none."""
        sub = conn.subs.pop(name, None)
        if sub is None:
            return False
        self.feed.remove(sub)
        return True
