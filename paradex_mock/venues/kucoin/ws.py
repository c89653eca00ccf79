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
import json
import logging
from http import HTTPStatus
from typing import Dict, Optional
from urllib.parse import parse_qs, urlsplit

from ...ws.market import MarketFeed, OpenCandles, StreamFeed, Sub, book_diff
from . import tokens, views
from .markets import VENUE

log = logging.getLogger("paradex_mock.ws")

L2_RATE_S = 0.05
SNAPSHOT_EVERY_MS = 2000
MAX_TOPICS = 400          # KuCoin: at most 400 topics a connection
PREFIXES = ("/market/ticker", "/market/snapshot", "/market/candles", "/market/match", "/market/level2")
_CONNECT_IDS = itertools.count(1)


class WsError(Exception):
    def __init__(self, code: int, data: str):
        super().__init__(data)
        self.code, self.data = code, data


class Channel:
    __slots__ = ("name", "kind", "market", "symbol", "width", "private")

    def __init__(self, kind: str, market: Optional[str], symbol: str, width: str = "", ctype: str = ""):
        self.kind, self.market, self.symbol, self.width, self.private = kind, market, symbol, width, False
        self.name = f"{kind}:{symbol}_{ctype}" if ctype else f"{kind}:{symbol}"


def _frame(name: str, data) -> str:
    return json.dumps({"type": "message", "topic": name, "subject": data["subject"], "data": data["data"]},
                      separators=(",", ":"))


def _l2_sequenced(data, skipped: int):
    d = dict(data["data"])
    d["sequenceStart"] += skipped
    d["sequenceEnd"] += skipped
    return {"subject": data["subject"], "data": d}


class L2Feed(StreamFeed):
    """The level2 diffs of one symbol: every book change between two messages folded into one."""

    def __init__(self, feed: "KucoinFeed", market: str):
        super().__init__(L2_RATE_S)
        self.feed, self.market = feed, market
        book = feed.hub.books.get(market)
        self.levels = (list(book.bids), list(book.asks)) if book else ([], [])
        self.last = book.seq_no if book else 0       # the update subscribers have
        self.seen = self.last                        # the update ``levels`` is at
        self.pending = ({}, {})                      # price -> (size, sequence of its last change)

    def absorb(self, book) -> None:
        if book.seq_no <= self.seen:
            return
        for side, old, new in ((0, self.levels[0], book.bids), (1, self.levels[1], book.asks)):
            for p, q in book_diff(old, list(new)):
                self.pending[side][p] = (q, book.seq_no)
        self.levels, self.seen = (list(book.bids), list(book.asks)), book.seq_no
        self.throttle.poke()

    def emit(self) -> None:
        if self.seen <= self.last or not self.subs:
            return
        name = self.feed.name_of(self.market)
        changes = {"asks": [[views.num(p), views.num(q), str(s)] for p, (q, s) in sorted(self.pending[1].items())],
                   "bids": [[views.num(p), views.num(q), str(s)] for p, (q, s) in sorted(self.pending[0].items(), reverse=True)]}
        data = {"changes": changes, "sequenceEnd": self.seen, "sequenceStart": self.last + 1, "symbol": name,
                "time": self.feed.hub.now_ms}
        self.last, self.pending = self.seen, ({}, {})
        self.feed.hub.deliver(self.subs, {"subject": "trade.l2update", "data": data}, _frame, _l2_sequenced)


class KucoinFeed(MarketFeed):
    def __init__(self, hub, specs):
        super().__init__(hub)
        # self.subs index: (kind, market, width) -> subs; feeds: market -> L2Feed
        self.specs = specs               # market key -> its fixture spec (for the snapshot topic)
        self.candles = OpenCandles(hub)
        self.snapshot_sent: Dict[str, int] = {}

    def known(self) -> Dict[str, str]:
        return {m.split(":", 1)[1]: m for m in self.hub.markets_of(VENUE)}

    def name_of(self, market: str) -> str:
        return market.split(":", 1)[1]

    def send(self, subs, subject: str, data) -> None:
        self.hub.deliver(subs, {"subject": subject, "data": data}, _frame)

    # ------------------------------------------------------------------ events in
    def on_snapshot(self) -> None:
        self.candles.load()

    def on_event(self, ev: dict) -> None:
        kind, market, data = ev.get("kind"), ev.get("market"), ev.get("data")
        if kind == "tick":
            self.candles.tick(self.hub.now_ms)
            return
        if kind == "reset":
            self.candles.load()
            self.snapshot_sent.clear()
            return
        if market is None or self.hub.venue_of.get(market) != VENUE:
            return
        if kind == "trade":
            self.candles.trade(data)
            name = self.name_of(market)
            subs = self.subs.get(("/market/match", market, ""))
            if subs:
                self.send(subs, "trade.l3match", views.ws_match(name, data))
            for m in (market, None):
                subs = self.subs.get(("/market/ticker", m, ""))
                if subs:
                    self._send_ticker(subs, name if m is None else "trade.ticker",
                                      views.ws_ticker(data, self.hub.books.get(market)))
            for (k, m, width), subs in list(self.subs.index.items()):
                if k == "/market/candles" and m == market and subs:
                    row = self.candles.row(market, width)
                    if row is not None:
                        self.send(subs, "trade.candles.update", views.ws_candles(name, row, self.hub.now_ms))
        elif kind == "book":
            f = self.subs.feeds.get(market)
            if f is not None:
                f.absorb(data)
        elif kind == "summary":
            subs = self.subs.get(("/market/snapshot", market, ""))
            now = self.hub.now_ms
            if subs and now - self.snapshot_sent.get(market, -SNAPSHOT_EVERY_MS) >= SNAPSHOT_EVERY_MS:
                self.snapshot_sent[market] = now
                self._snapshot(subs, market, data)

    def _send_ticker(self, subs, subject: str, data) -> None:
        self.send(subs, subject, data)

    def _snapshot(self, subs, market: str, stats) -> None:
        book = self.hub.books.get(market)
        self.send(subs, "trade.snapshot", views.ws_snapshot(self.name_of(market), self.specs.get(market, {}), stats,
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


class KucoinWs:
    def __init__(self, venue, ctx):
        self.venue = venue
        self.server = None
        self.hub = ctx.hub
        from . import markets
        specs = {markets.key(d.market.name): d.market.spec for d in markets.load(ctx.config.fixtures_dir)}
        self.feed = KucoinFeed(ctx.hub, specs)

    def refuse(self, path: str, query: dict):
        if path.rstrip("/") == self.venue.ws_root:
            return None
        return HTTPStatus.NOT_FOUND, "unknown path: connect to the endpoint POST /kucoin/api/v1/bullet-public names\n"

    async def opened(self, conn) -> None:
        query = parse_qs(urlsplit(conn.ws.request.path).query)
        token = (query.get("token") or [None])[0]
        connect_id = (query.get("connectId") or [None])[0] or f"{next(_CONNECT_IDS):x}"
        conn.kc_id = connect_id
        if not tokens.valid(token):
            conn.push(json.dumps({"id": connect_id, "type": "error", "code": 401, "data": "token is invalid"},
                                 separators=(",", ":")))
            asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(conn.close(1000, "token is invalid")))
            conn.closing_soon = True
            return
        conn.push(json.dumps({"id": connect_id, "type": "welcome"}, separators=(",", ":")))

    def closed(self, conn, close_code) -> None:
        pass

    async def handle(self, conn, raw, us_in: int) -> None:
        if getattr(conn, "closing_soon", False):
            return
        rid = None
        try:
            try:
                msg = json.loads(raw)
            except (ValueError, RecursionError):
                raise WsError(400, "message is not valid json") from None
            if not isinstance(msg, dict):
                raise WsError(400, "message must be an object")
            rid = msg.get("id")
            mtype = msg.get("type")
            if mtype == "ping":
                conn.push(json.dumps({"id": rid, "type": "pong", "timestamp": self.hub.now_ms * 1000},
                                     separators=(",", ":")))
                return
            if mtype not in ("subscribe", "unsubscribe"):
                raise WsError(415, "type is not supported")
            if msg.get("privateChannel") is True:
                raise WsError(401, "private channels need a private token (bullet-private)")
            if not self.hub.ready.is_set():
                try:
                    await asyncio.wait_for(self.hub.ready.wait(), 10)
                except asyncio.TimeoutError:
                    raise WsError(500, "the exchange is unreachable") from None
            channels = parse_topic(msg.get("topic"), self.feed.known())
            if mtype == "subscribe":
                if len(conn.subs) + len([c for c in channels if c.name not in conn.subs]) > MAX_TOPICS:
                    raise WsError(509, f"exceed max subscription count limitation of {MAX_TOPICS} per session")
                for ch in channels:
                    if ch.name not in conn.subs and not conn.closing:
                        conn.subs[ch.name] = self.feed.add(conn, ch)
            else:
                for ch in channels:
                    sub = conn.subs.pop(ch.name, None)
                    if sub is not None:
                        self.feed.remove(sub)
            if msg.get("response") is True:
                conn.push(json.dumps({"id": rid, "type": "ack"}, separators=(",", ":")))
        except WsError as e:
            conn.push(json.dumps({"id": rid, "type": "error", "code": e.code, "data": e.data}, separators=(",", ":")))
