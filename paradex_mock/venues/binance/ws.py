"""Binance spot WebSocket streams at ``/binance/ws``, ``/binance/ws/<stream>`` (raw payloads) and
``/binance/stream?streams=a/b`` (``{"stream", "data"}`` frames).

Requests ``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, ``SET_PROPERTY``/``GET_PROPERTY``
("combined") are answered ``{"result": ..., "id": N}``; refusals ``{"error": {"code", "msg"}, "id"}``.
Streams: ``<symbol>@trade``, ``@aggTrade``, ``@kline_<interval>`` (pushed on every exchange tick,
and with ``x: true`` when the candle closes), ``@depth`` / ``@depth@100ms`` diffs whose ``U``/``u``
continue ``GET /api/v3/depth``'s ``lastUpdateId`` exactly, ``@depth5|10|20[@100ms]`` partial books,
``@bookTicker``, ``@miniTicker``, ``@ticker``, ``!miniTicker@arr``, ``!ticker@arr``.
"""
from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus
from typing import Dict, List, Optional

from ...ws.market import MarketFeed, OpenCandles, StreamFeed, Sub, book_diff
from . import views
from .markets import VENUE

log = logging.getLogger("paradex_mock.ws")

MAX_STREAMS = 1024          # Binance's limit of streams a connection
STREAM_RE = re.compile(r"^([a-z0-9]{1,30})@(trade|aggTrade|bookTicker|miniTicker|ticker|depth(5|10|20)?(@100ms|@1000ms)?"
                       r"|kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M))$")
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


class WsError(Exception):
    def __init__(self, code: int, msg: str):
        super().__init__(msg)
        self.code = code
        self.msg = msg


class Channel:
    """A parsed stream name: ``kind`` (trade, aggTrade, kline, depth, partial, bookTicker,
    miniTicker, ticker, miniTicker@arr, ticker@arr), its market key and parameters."""
    __slots__ = ("name", "kind", "market", "symbol", "width", "rate_ms", "levels", "private")

    def __init__(self, name: str, kind: str, market: Optional[str] = None, symbol: str = "", width: str = "",
                 rate_ms: int = 1000, levels: int = 0):
        self.name, self.kind, self.market, self.symbol = name, kind, market, symbol
        self.width, self.rate_ms, self.levels, self.private = width, rate_ms, levels, False


def parse_stream(name, known: Dict[str, str]) -> Channel:
    """``known``: lower-case symbol -> market key."""
    if not isinstance(name, str):
        raise WsError(2, "Invalid request: invalid stream")
    if name in ("!miniTicker@arr", "!ticker@arr"):
        return Channel(name, name[1:])
    m = STREAM_RE.match(name)
    if m is None or m.group(1) not in known:
        raise WsError(2, "Invalid request: invalid stream")
    symbol, what = m.group(1), m.group(2)
    key = known[symbol]
    rate = 100 if (m.group(4) or "") == "@100ms" else 1000
    if what.startswith("kline_"):
        return Channel(name, "kline", key, symbol, width=m.group(5))
    if what.startswith("depth"):
        if m.group(3):
            return Channel(name, "partial", key, symbol, rate_ms=rate, levels=int(m.group(3)))
        return Channel(name, "depth", key, symbol, rate_ms=rate)
    return Channel(name, what, key, symbol)


def _raw(name: str, data) -> str:
    return json.dumps(data, separators=(",", ":"))


def _combined(name: str, data) -> str:
    return json.dumps({"stream": name, "data": data}, separators=(",", ":"))


class DepthFeed(StreamFeed):
    """One diff stream of one market at one rate. Every book change between two messages is
    folded into the next one (a level added and gone again in between goes as size 0, as on
    Binance), ``U`` is the first book update after the last message and ``u`` the last, so
    consecutive messages leave no gap."""

    def __init__(self, feed: "BinanceFeed", market: str, rate_ms: int):
        super().__init__(rate_ms / 1000.0)
        self.feed, self.market = feed, market
        book = feed.hub.books.get(market)
        self.levels = (list(book.bids), list(book.asks)) if book else ([], [])
        self.last_u = book.seq_no if book else 0      # the update the subscribers have
        self.seen_u = self.last_u                     # the update ``levels`` is at
        self.pending = ({}, {})                       # price -> size changed since last_u, per side

    def absorb(self, book) -> None:
        """A book update: note what changed since the one before."""
        if book.seq_no <= self.seen_u:
            return
        for side, old, new in ((0, self.levels[0], book.bids), (1, self.levels[1], book.asks)):
            for p, q in book_diff(old, list(new)):
                self.pending[side][p] = q
        self.levels, self.seen_u = (list(book.bids), list(book.asks)), book.seq_no
        self.throttle.poke()

    def emit(self) -> None:
        if self.seen_u <= self.last_u or not self.subs:
            return
        bids = sorted(self.pending[0].items(), reverse=True)
        asks = sorted(self.pending[1].items())
        data = views.ws_depth_update(self.feed.name_of(self.market), self.last_u + 1, self.seen_u, bids, asks,
                                     self.feed.hub.now_ms)
        self.last_u, self.pending = self.seen_u, ({}, {})
        self.feed.send(self.subs, data)


class PartialFeed(StreamFeed):
    def __init__(self, feed: "BinanceFeed", market: str, levels: int, rate_ms: int):
        super().__init__(rate_ms / 1000.0)
        self.feed, self.market, self.depth = feed, market, levels
        self.sent_seq = -1

    def emit(self) -> None:
        book = self.feed.hub.books.get(self.market)
        if book is None or not self.subs or book.seq_no == self.sent_seq:
            return
        self.sent_seq = book.seq_no
        self.feed.send(self.subs, views.depth(book, self.depth))


class BinanceFeed(MarketFeed):
    """Binance's streams on the shared hub."""

    def __init__(self, hub):
        super().__init__(hub)
        # self.subs index: (kind, market, width) -> subs; feeds: (kind, market, rate, levels) -> depth stream
        self.candles = OpenCandles(hub, self._candle_closed)
        self.best: Dict[str, tuple] = {}                         # market -> (bid, bid qty, ask, ask qty)

    # ------------------------------------------------------------------ names
    def known(self) -> Dict[str, str]:
        return {m.split(":", 1)[1].lower(): m for m in self.hub.markets_of(VENUE)}

    def name_of(self, market: str) -> str:
        return market.split(":", 1)[1]

    def send(self, subs, data) -> None:
        raw = [s for s in subs if not s.conn.combined]
        combined = [s for s in subs if s.conn.combined]
        if raw:
            self.hub.deliver(raw, data, _raw)
        if combined:
            self.hub.deliver(combined, data, _combined)

    # ------------------------------------------------------------------ events in
    def on_snapshot(self) -> None:
        self.candles.load()

    def on_event(self, ev: dict) -> None:
        kind, market, data = ev.get("kind"), ev.get("market"), ev.get("data")
        if kind == "tick":
            self.candles.tick(self.hub.now_ms)
            for (k, m, width), subs in list(self.subs.index.items()):
                if k == "kline" and subs:
                    self._send_kline(m, width, subs, closed=False)
            self._send_arrays()
            return
        if kind == "reset":
            self.candles.load()
            return
        if market is None or self.hub.venue_of.get(market) != VENUE:
            return
        if kind == "trade":
            self.candles.trade(data)
            name = self.name_of(market)
            now = self.hub.now_ms
            for what, render in (("trade", views.ws_trade), ("aggTrade", views.ws_agg_trade)):
                subs = self.subs.get((what, market, ""))
                if subs:
                    self.send(subs, render(name, data, now))
        elif kind == "book":
            for key, f in self.subs.feeds.items():
                if key[1] != market:
                    continue
                if key[0] == "depth":
                    f.absorb(data)
                else:
                    f.throttle.poke()
            subs = self.subs.get(("bookTicker", market, ""))
            top = (data.bids[:1], data.asks[:1])
            if subs and self.best.get(market) != top:
                self.send(subs, views.ws_book_ticker(self.name_of(market), data))
            self.best[market] = top
        elif kind == "summary":
            name, now = self.name_of(market), self.hub.now_ms
            subs = self.subs.get(("miniTicker", market, ""))
            if subs:
                self.send(subs, views.ws_mini_ticker(name, data, now))
            subs = self.subs.get(("ticker", market, ""))
            if subs:
                self.send(subs, self._ticker(market, now))

    def _ticker(self, market: str, now: int) -> dict:
        return views.ws_ticker(self.name_of(market), self.hub.stats[market], self.hub.books.get(market), None,
                               self.hub.last_trade.get(market, 0), now)

    def _send_arrays(self) -> None:
        now = self.hub.now_ms
        for kind, render in (("miniTicker@arr", lambda m: views.ws_mini_ticker(self.name_of(m), self.hub.stats[m], now)),
                             ("ticker@arr", lambda m: self._ticker(m, now))):
            subs = self.subs.get((kind, None, ""))
            if subs:
                self.send(subs, [render(m) for m in self.hub.markets_of(VENUE) if m in self.hub.stats])

    def _candle_closed(self, market: str, width: str, row: list) -> None:
        subs = self.subs.get(("kline", market, width))
        if subs:
            self._send_kline(market, width, subs, closed=True, row=row)

    def _send_kline(self, market: str, width: str, subs, closed: bool, row: Optional[list] = None) -> None:
        row = row or self.candles.row(market, width)
        if row is None:
            return
        self.send(subs, views.ws_kline(self.name_of(market), width, row, self.candles.first_id(market, width),
                                       self.candles.last_id(market, width), closed, self.hub.now_ms))

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account=None) -> Sub:
        sub, ch = Sub(conn, channel), channel
        if ch.kind == "depth":
            self.subs.join(sub, (ch.kind, ch.market, ch.rate_ms, ch.levels),
                           lambda: DepthFeed(self, ch.market, ch.rate_ms))
        elif ch.kind == "partial":
            f = self.subs.join(sub, (ch.kind, ch.market, ch.rate_ms, ch.levels),
                               lambda: PartialFeed(self, ch.market, ch.levels, ch.rate_ms))
            f.throttle.poke()           # a partial book stream starts with the book as it is
        else:
            self.subs.add(sub, (ch.kind, ch.market, ch.width))
        return sub


class BinanceWs:
    """The request protocol of Binance's market streams, on the shared server."""

    def __init__(self, venue, ctx):
        self.venue = venue
        self.server = None
        self.hub = ctx.hub
        self.feed = BinanceFeed(ctx.hub)

    def refuse(self, path: str, query: dict):
        rest = path[len(self.venue.ws_root):]
        if rest in ("/ws", "/stream") or rest.startswith("/ws/"):
            return None
        return HTTPStatus.NOT_FOUND, "unknown path: connect to /binance/ws or /binance/stream?streams=...\n"

    async def opened(self, conn) -> None:
        from urllib.parse import parse_qs, urlsplit
        parts = urlsplit(conn.ws.request.path)
        rest = parts.path.rstrip("/")[len(self.venue.ws_root):]
        conn.combined = rest == "/stream"
        names: List[str] = []
        if rest.startswith("/ws/"):
            tail = rest[4:]
            if "@" in tail:          # a raw stream path; ccxt.pro's /ws/<n> is just a socket name
                names = [tail]
        elif conn.combined:
            names = [n for q in parse_qs(parts.query).get("streams", []) for n in q.split("/") if n]
        if names:
            await self._wait_ready()
            known = self.feed.known()
            for n in names[:MAX_STREAMS]:
                try:
                    channel = parse_stream(n, known)
                except WsError:
                    continue             # Binance ignores a bad stream in the URL
                if channel.name not in conn.subs:
                    conn.subs[channel.name] = self.feed.add(conn, channel)

    def closed(self, conn, close_code) -> None:
        pass

    async def _wait_ready(self) -> None:
        import asyncio
        if not self.hub.ready.is_set():
            try:
                await asyncio.wait_for(self.hub.ready.wait(), 10)
            except asyncio.TimeoutError:
                raise WsError(2, "Invalid request: the exchange is unreachable") from None

    async def handle(self, conn, raw, us_in: int) -> None:
        rid = None
        try:
            try:
                msg = json.loads(raw)
            except (ValueError, RecursionError):
                raise WsError(3, "Invalid JSON: expected value at line 1 column 1") from None
            if not isinstance(msg, dict):
                raise WsError(2, "Invalid request: expected an object")
            rid = msg.get("id")
            if not (rid is None or (isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < 2 ** 63)
                    or (isinstance(rid, str) and 0 < len(rid) <= 36 and rid.isalnum())):
                rid = None
                raise WsError(2, "Invalid request: request ID must be an unsigned integer")
            method = msg.get("method")
            if method is None:
                raise WsError(2, "Invalid request: missing field `method`")
            if method not in METHODS:
                shown = method if isinstance(method, str) and len(method) <= 64 else "…"
                raise WsError(2, f"Invalid request: unknown variant `{shown}`, expected one of `SUBSCRIBE`, "
                                 "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`")
            params = msg.get("params", [])
            if not isinstance(params, list):
                raise WsError(2, "Invalid request: params must be an array")
            result = await getattr(self, "_" + method.lower())(conn, params)
            conn.push(json.dumps({"result": result, "id": rid}, separators=(",", ":")))
        except WsError as e:
            conn.push(json.dumps({"error": {"code": e.code, "msg": e.msg}, "id": rid}, separators=(",", ":")))

    async def _subscribe(self, conn, params):
        await self._wait_ready()
        known = self.feed.known()
        channels = [parse_stream(n, known) for n in params]     # all or nothing
        if len(conn.subs) + len([c for c in channels if c.name not in conn.subs]) > MAX_STREAMS:
            raise WsError(2, f"Invalid request: too many streams (at most {MAX_STREAMS} a connection)")

        for channel in channels:
            if channel.name not in conn.subs and not conn.closing:
                conn.subs[channel.name] = self.feed.add(conn, channel)
        return None

    async def _unsubscribe(self, conn, params):
        for n in params:
            if not isinstance(n, str):
                raise WsError(2, "Invalid request: invalid stream")
        for n in params:
            sub = conn.subs.pop(n, None)
            if sub is not None:
                self.feed.remove(sub)
        return None

    async def _list_subscriptions(self, conn, params):
        return list(conn.subs)

    async def _set_property(self, conn, params):
        if len(params) != 2 or not isinstance(params[0], str):
            raise WsError(2, "Invalid request: property name must be a string")
        if params[0] != "combined":
            raise WsError(0, "Unknown property")
        if not isinstance(params[1], bool):
            raise WsError(1, "Invalid value type: expected Boolean")
        conn.combined = params[1]
        return None

    async def _get_property(self, conn, params):
        if len(params) != 1 or not isinstance(params[0], str):
            raise WsError(2, "Invalid request: property name must be a string")
        if params[0] != "combined":
            raise WsError(0, "Unknown property")
        return bool(conn.combined)
