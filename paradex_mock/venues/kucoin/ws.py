"""KuCoin spot market data over WebSocket at ``/kucoin?token=T&connectId=C`` (the endpoint and token
``POST /kucoin/api/v1/bullet-public`` hands out).

On connect the server sends ``{"id": C, "type": "welcome"}`` (an invalid token gets
``{"type": "error", "code": 401, "data": "token is invalid"}`` and the connection is closed).
Requests: ``{"id", "type": "subscribe"|"unsubscribe", "topic", "privateChannel", "response"}``
(acked ``{"id", "type": "ack"}`` when ``response`` is true) and ``{"id", "type": "ping"}`` (answered
``{"id", "type": "pong", "timestamp"}``); refusals ``{"id", "type": "error", "code", "data"}``.
Pushes: ``{"type": "message", "topic", "subject", "data"}``.

Topics (a topic may name several symbols: ``/market/match:BTC-USDT,ETH-USDT``):
  * ``/market/ticker:SYM`` (and ``:all``), subject ``trade.ticker``: on each trade, with the best
    bid and ask and the book's sequence;
  * ``/market/snapshot:SYM``, subject ``trade.snapshot``: 24 h statistics, every 2 s of the mock's
    clock;
  * ``/market/candles:SYM_<type>``, subject ``trade.candles.update``: the open candle, on each trade;
  * ``/market/match:SYM``, subject ``trade.l3match``: each trade;
  * ``/market/level2:SYM``, subject ``trade.l2update``: every level changed since the last message,
    ``[price, size, sequence]`` ("0" size for a level gone), ``sequenceStart`` the first book update
    after the last message and ``sequenceEnd`` the last, so they continue the REST snapshot's
    ``sequence`` exactly.
"""
from __future__ import annotations

import asyncio
import itertools
from typing import Dict, Optional
from urllib.parse import parse_qs, urlsplit

from ...ws.market import Sub
from ...ws.venue_app import CodedRefusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import DiffFeed, VenueFeed
from . import tokens, views
from .markets import VENUE

L2_RATE_S = 0.05
SNAPSHOT_EVERY_MS = 2000
MAX_TOPICS = 400          # KuCoin: at most 400 topics a connection
PREFIXES = ("/market/ticker", "/market/snapshot", "/market/candles", "/market/match", "/market/level2")
_CONNECT_IDS = itertools.count(1)


class WsError(CodedRefusal):
    pass


class Channel:
    __slots__ = ("name", "kind", "market", "symbol", "width", "private")

    def __init__(self, kind: str, market: Optional[str], symbol: str, width: str = "", ctype: str = ""):
        self.kind, self.market, self.symbol, self.width, self.private = kind, market, symbol, width, False
        self.name = f"{kind}:{symbol}_{ctype}" if ctype else f"{kind}:{symbol}"


def _frame(name: str, data) -> str:
    return dumps({"type": "message", "topic": name, "subject": data["subject"], "data": data["data"]})


def _l2_sequenced(data, skipped: int):
    d = dict(data["data"])
    d["sequenceStart"] += skipped
    d["sequenceEnd"] += skipped
    return {"subject": data["subject"], "data": d}


class L2Feed(DiffFeed):
    """The level2 diffs of one symbol: every book change between two messages folded into one;
    ``pending`` holds price -> (size, sequence of its last change)."""

    def __init__(self, feed: "KucoinFeed", market: str):
        super().__init__(feed.hub, market, L2_RATE_S)
        self.feed = feed

    def change(self, size, book):
        return size, book.seq_no

    def emit(self) -> None:
        if self.seen <= self.last or not self.subs:
            return
        name, first = self.feed.name_of(self.market), self.last + 1
        bids, asks = self.take()
        changes = {"asks": [[views.num(p), views.num(q), str(s)] for p, (q, s) in asks],
                   "bids": [[views.num(p), views.num(q), str(s)] for p, (q, s) in bids]}
        data = {"changes": changes, "sequenceEnd": self.seen, "sequenceStart": first, "symbol": name,
                "time": self.hub.now_ms}
        self.feed.send(self.subs, {"subject": "trade.l2update", "data": data}, _l2_sequenced)


class KucoinFeed(VenueFeed):
    def __init__(self, hub, specs):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, width) -> subs; feeds: market -> L2Feed
        self.specs = specs               # market key -> its fixture spec (for the snapshot topic)
        self.snapshot_sent: Dict[str, int] = {}

    frame = staticmethod(_frame)

    def publish(self, subs, subject: str, data) -> None:
        self.send(subs, {"subject": subject, "data": data})

    # ------------------------------------------------------------------ events in
    def on_reset(self) -> None:
        self.snapshot_sent.clear()

    def on_trade(self, market: str, t) -> None:
        name = self.name_of(market)
        subs = self.subs.get(("/market/match", market, ""))
        if subs:
            self.publish(subs, "trade.l3match", views.ws_match(name, t))
        for m in (market, None):
            subs = self.subs.get(("/market/ticker", m, ""))
            if subs:
                self.publish(subs, name if m is None else "trade.ticker", views.ws_ticker(t, self.hub.books.get(market)))
        for (k, m, width), subs in list(self.subs.index.items()):
            if k == "/market/candles" and m == market and subs:
                row = self.candles.row(market, width)
                if row is not None:
                    self.publish(subs, "trade.candles.update", views.ws_candles(name, row, self.hub.now_ms))

    def on_book(self, market: str, book) -> None:
        f = self.subs.feeds.get(market)
        if f is not None:
            f.absorb(book)

    def on_summary(self, market: str, stats) -> None:
        subs = self.subs.get(("/market/snapshot", market, ""))
        now = self.hub.now_ms
        if subs and now - self.snapshot_sent.get(market, -SNAPSHOT_EVERY_MS) >= SNAPSHOT_EVERY_MS:
            self.snapshot_sent[market] = now
            self._snapshot(subs, market, stats)

    def _snapshot(self, subs, market: str, stats) -> None:
        book = self.hub.books.get(market)
        self.publish(subs, "trade.snapshot", views.ws_snapshot(self.name_of(market), self.specs.get(market, {}), stats,
                                                               book.seq_no if book else 0))

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account=None) -> Sub:
        sub = Sub(conn, channel)
        if channel.kind == "/market/level2":
            self.subs.join(sub, channel.market, lambda: L2Feed(self, channel.market))
        else:
            self.subs.add(sub, (channel.kind, channel.market, channel.width))
        return sub


def parse_topic(topic, known: Dict[str, str]) -> list:
    """``/market/<what>:SYM[,SYM...]`` -> Channels (all or nothing)."""
    if not isinstance(topic, str) or ":" not in topic:
        raise WsError(404, f"topic {topic} is not found")
    prefix, _, rest = topic.partition(":")
    if prefix not in PREFIXES:
        raise WsError(404, f"topic {topic} is not found")
    out = []
    for item in rest.split(","):
        if prefix == "/market/ticker" and item == "all":
            out.append(Channel(prefix, None, "all"))
            continue
        ctype = ""
        sym = item
        if prefix == "/market/candles":
            sym, _, ctype = item.rpartition("_")
            if ctype not in views.TYPES:
                raise WsError(400, f"topic {topic} is invalid: unknown candle type {ctype!r}")
        if sym not in known:
            raise WsError(404, f"topic {prefix}:{item} is not found")
        out.append(Channel(prefix, known[sym], sym, views.TYPES.get(ctype, ""), ctype))
    return out


class KucoinWs(VenueWsApp):
    paths = ("",)
    not_found = "unknown path: connect to the endpoint POST /kucoin/api/v1/bullet-public names\n"
    op_field = "type"
    ops = {"ping": "_ping", "subscribe": "_request", "unsubscribe": "_request"}

    def make_feed(self, ctx):
        from . import markets
        specs = {markets.key(d.market.name): d.market.spec for d in markets.load(ctx.config.fixtures_dir)}
        return KucoinFeed(ctx.hub, specs)

    async def opened(self, conn) -> None:
        query = parse_qs(urlsplit(conn.ws.request.path).query)
        token = (query.get("token") or [None])[0]
        connect_id = (query.get("connectId") or [None])[0] or f"{next(_CONNECT_IDS):x}"
        conn.kc_id = connect_id
        if not tokens.valid(token):
            conn.push(dumps({"id": connect_id, "type": "error", "code": 401, "data": "token is invalid"}))
            asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(conn.close(1000, "token is invalid")))
            conn.closing_soon = True
            return
        conn.push(dumps({"id": connect_id, "type": "welcome"}))

    # ------------------------------------------------------------------ requests
    def accepts(self, req: Request) -> bool:
        return not getattr(req.conn, "closing_soon", False)

    def bad_json(self, req: Request) -> WsError:
        return WsError(400, "message is not valid json")

    def not_object(self, req: Request) -> WsError:
        return WsError(400, "message must be an object")

    def op_of(self, req: Request):
        req.rid = req.msg.get("id")
        return req.msg.get("type")

    def unknown_op(self, req: Request) -> WsError:
        return WsError(415, "type is not supported")

    def refused(self, req: Request, e: WsError) -> None:
        req.conn.push(dumps({"id": req.rid, "type": "error", "code": e.code, "data": e.text}))

    async def _ping(self, req: Request) -> None:
        req.conn.push(dumps({"id": req.rid, "type": "pong", "timestamp": self.hub.now_ms * 1000}))

    async def _request(self, req: Request) -> None:
        conn, msg = req.conn, req.msg
        if msg.get("privateChannel") is True:
            raise WsError(401, "private channels need a private token (bullet-private)")
        await self.wait_ready(WsError(500, "the exchange is unreachable"))
        channels = parse_topic(msg.get("topic"), self.feed.known())
        if req.op == "subscribe":
            if len(conn.subs) + len([c for c in channels if c.name not in conn.subs]) > MAX_TOPICS:
                raise WsError(509, f"exceed max subscription count limitation of {MAX_TOPICS} per session")
            for ch in channels:
                self.subscribe(conn, ch)
        else:
            for ch in channels:
                self.unsubscribe(conn, ch.name)
        if msg.get("response") is True:
            conn.push(dumps({"id": req.rid, "type": "ack"}))
