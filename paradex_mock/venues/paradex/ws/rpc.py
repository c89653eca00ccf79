"""Paradex's WebSocket API: JSON-RPC 2.0 on ``/``, ``/v1`` and ``/paradex/v1``.

Methods ``auth``, ``subscribe``, ``unsubscribe``, ``modify_subscription`` and, when a REST transport is wired in, the
``order.*`` methods, carried out as the REST requests they stand for (``orders.py``). Channels
and their payloads: ``feed.py``; errors and frames: ``protocol.py``; see README.md here.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from decimal import Decimal
from http import HTTPStatus
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from ....engine.errors import short
from . import sbe
from .auth import Authenticator
from .feed import ParadexFeed
from .orders import OrderGateway
from .protocol import (INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, MALFORMED_BEARER, METHOD_NOT_FOUND,
                       NO_ID, PARSE_ERROR, ChannelError, RpcError, error_frame, parse_channel, result_frame,
                       valid_id)
from .session import Session

log = logging.getLogger("paradex_mock.ws")

SBE_SCHEMA_IDS = ("1",)
SBE_SCHEMA_VERSIONS = tuple(str(v) for v in sbe.VERSIONS)     # "0".."3": see sbe.py on 1:3
MAX_SUBSCRIPTIONS = 1000                # per connection
# order_book groupings Paradex names (its AsyncAPI spec's price_tick enum)
PRICE_TICKS = ("0_0000001", "0_0000005", "0_000001", "0_00001", "0_0001", "0_001", "0_01", "0_1", "1", "10", "100")


def sbe_version(query: dict) -> Optional[int]:
    """The SBE schema version a handshake's query asks for (None: JSON). Call after ``refuse``."""
    ver = query.get("sbeSchemaVersion")
    return int(ver[-1]) if ver else None


class ParadexWs:
    def __init__(self, venue, ctx, verifier=None):
        """``verifier``: the app's ``JwtVerifier`` in-process; None fetches the keys from
        ``ctx.upstream`` (the remote mode)."""
        self.venue = venue
        self.server = None                      # set by the WsServer
        self.hub = ctx.hub
        self.feed = ParadexFeed(ctx.hub)
        self.auth = Authenticator(auth_mode=ctx.auth_mode, now_s=ctx.now_s, verifier=verifier,
                                  jwks_url=None if verifier is not None else ctx.upstream)
        if ctx.source is not None and verifier is None:
            ctx.source.on_instance_change = self.auth.forget_keys
        self.gateway = OrderGateway(ctx.rest) if ctx.rest is not None else None
        self.source = ctx.source                # tells when a separate process's upstream is down
        self.ready_timeout = 10.0
        self.node_id = secrets.token_hex(8)
        self._methods = {"auth": self._auth, "subscribe": self._subscribe, "unsubscribe": self._unsubscribe,
                         "modify_subscription": self._modify_subscription}
        if self.gateway is not None:
            for name in ("create", "create_batch", "modify", "cancel", "cancel_batch", "cancel_all"):
                self._methods["order." + name] = self._order_method(name)
            self._methods["order.cancel_on_disconnect"] = self._cancel_on_disconnect

    # ------------------------------------------------------------------ connections
    def refuse(self, path: str, query: dict):
        """(status, body) to refuse the handshake with, or None. Asking for SBE takes both
        ``sbeSchemaId`` and ``sbeSchemaVersion``; a schema or version the server does not serve is
        refused with HTTP 400 at connect, as Paradex does ("no silent fallback to JSON")."""
        sid, ver = query.get("sbeSchemaId"), query.get("sbeSchemaVersion")
        if sid is not None or ver is not None:
            if sid is None or ver is None or sid[-1] not in SBE_SCHEMA_IDS or ver[-1] not in SBE_SCHEMA_VERSIONS:
                return HTTPStatus.BAD_REQUEST, "unsupported sbeSchemaId/sbeSchemaVersion\n"
        return None

    async def opened(self, conn) -> None:
        version = sbe_version(parse_qs(urlsplit(conn.ws.request.path).query))
        conn.venue_state = Session(version)
        if version is not None:        # the data channels go as SBE frames of this version
            conn.binary = True

    def closed(self, conn, close_code) -> None:
        # a client that closes normally (1000) meant to go; any other end cancels its orders,
        # except this server's own shutdown (in one process the exchange is going away too)
        session = conn.venue_state
        if session.cancel_on_disconnect and session.placed and close_code != 1000 and not self.server.stopping:
            self.server.spawn(self._cancel_placed(conn))

    async def _cancel_placed(self, conn) -> None:
        ids = list(conn.venue_state.placed)
        for i in range(0, len(ids), 100):        # REST's batch cancel takes at most 100
            try:
                await self.gateway.cancel_batch(conn.venue_state.bearer, {"order_ids": ids[i:i + 100]})
            except Exception as e:   # the connection is gone: nobody to tell but the log
                log.warning("cancel on disconnect for %s failed: %s", conn.account, e)

    async def handle(self, conn, raw, us_in: int) -> None:
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
    async def _auth(self, conn, params, rid):
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
        conn.venue_state.bearer = bearer if bearer.count(".") == 2 else None
        return {"node_id": self.node_id}, None

    def _order_method(self, name: str):
        async def handler(conn, params, rid):
            if conn.account is None:
                raise RpcError.auth_required()
            session = conn.venue_state
            result = await getattr(self.gateway, name)(session.bearer, params)
            if name == "create":
                session.placed[result["order"]["id"]] = None
            elif name == "create_batch":
                for r in result["results"]:
                    if "order" in r:
                        session.placed[r["order"]["id"]] = None
            return result, None
        return handler

    async def _cancel_on_disconnect(self, conn, params, rid):
        if conn.account is None:
            raise RpcError.auth_required()
        enabled = params.get("enabled") if isinstance(params, dict) else None
        if not isinstance(enabled, bool):
            raise RpcError(INVALID_PARAMS, "invalid params", "enabled must be true or false")
        conn.venue_state.cancel_on_disconnect = enabled
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

    async def _subscribe(self, conn, params, rid):
        name = self._channel_param(params)
        await self._wait_ready()
        try:
            channel = parse_channel(name, self.feed.markets)
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
        markets = None
        if "markets" in params:  # present, even empty: markets_summary's scoped mode
            if channel.kind != "markets_summary" or channel.market is not None:
                raise RpcError(INVALID_PARAMS, "invalid params", "markets scopes only the markets_summary channel")
            markets = set(self._markets_param(params, "markets"))

        def register():          # after the ack, so the ack precedes the channel's first message
            if not conn.closing:
                conn.subs[name] = self.feed.add(conn, channel, conn.account, markets)
        return {"channel": name}, register

    def _markets_param(self, params: dict, key: str) -> list:
        value = params.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
            raise RpcError(INVALID_PARAMS, "invalid params", f"{key} must be an array of market symbols")
        known = set(self.feed.markets)
        for m in value:
            if m not in known:
                raise RpcError(INVALID_PARAMS, "invalid params", f"{key}: unknown market {short(m, 60)!r}")
        return value

    async def _modify_subscription(self, conn, params, rid):
        """Add and/or remove markets of a scoped markets_summary subscription in place: the
        markets that stay stream on uninterrupted. Result: the channel and the lists as asked."""
        name = self._channel_param(params)
        add, remove = self._markets_param(params, "add"), self._markets_param(params, "remove")
        sub = conn.subs.get(name)
        if sub is None:
            raise RpcError(INVALID_REQUEST, "invalid modify_subscription request", "not subscribed")
        if sub.markets is None:
            raise RpcError(INVALID_REQUEST, "invalid modify_subscription request",
                           "not a scoped subscription: subscribe with a markets array")

        def apply():             # after the ack, like a subscribe's initial messages
            if not conn.closing:
                self.feed.modify(sub, add, remove)
        return {"channel": name, "add": add, "remove": remove}, apply

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

    async def _unsubscribe(self, conn, params, rid):
        name = self._channel_param(params)
        sub = conn.subs.pop(name, None)
        if sub is None:
            raise RpcError(INVALID_REQUEST, "invalid unsubscribe request", "not subscribed")
        self.feed.remove(sub)
        return {"channel": name}, None
