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

import re
from typing import Dict, List, Optional

from ...ws.market import Sub
from ...ws.venue_app import CodedRefusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import DiffFeed, VenueFeed, WholeBookFeed
from . import views
from .markets import VENUE

MAX_STREAMS = 1024          # Binance's limit of streams a connection
STREAM_RE = re.compile(r"^([a-z0-9]{1,30})@(trade|aggTrade|bookTicker|miniTicker|ticker|depth(5|10|20)?(@100ms|@1000ms)?"
                       r"|kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M))$")
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")


class WsError(CodedRefusal):
    pass


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
    return dumps(data)


def _combined(name: str, data) -> str:
    return dumps({"stream": name, "data": data})


class DepthFeed(DiffFeed):
    """One diff stream of one market at one rate. Every book change between two messages is
    folded into the next one (a level added and gone again in between goes as size 0, as on
    Binance), ``U`` is the first book update after the last message and ``u`` the last, so
    consecutive messages leave no gap."""

    def __init__(self, feed: "BinanceFeed", market: str, rate_ms: int):
        super().__init__(feed.hub, market, rate_ms / 1000.0)
        self.feed = feed

    def emit(self) -> None:
        if self.seen <= self.last or not self.subs:
            return
        first = self.last + 1
        bids, asks = self.take()
        self.feed.send(self.subs, views.ws_depth_update(self.feed.name_of(self.market), first, self.seen, bids, asks,
                                                        self.hub.now_ms))


class PartialFeed(WholeBookFeed):
    def __init__(self, feed: "BinanceFeed", market: str, levels: int, rate_ms: int):
        super().__init__(feed.hub, market, rate_ms / 1000.0)
        self.feed, self.depth = feed, levels

    def push(self, book) -> None:
        self.feed.send(self.subs, views.depth(book, self.depth))


class BinanceFeed(VenueFeed):
    """Binance's streams on the shared hub."""

    def __init__(self, hub):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, width) -> subs; feeds: (kind, market, rate, levels) -> depth stream
        self.best: Dict[str, tuple] = {}                         # market -> (bid, bid qty, ask, ask qty)

    # ------------------------------------------------------------------ names
    def known(self) -> Dict[str, str]:
        return {self.name_of(m).lower(): m for m in self.markets()}

    def send(self, subs, data) -> None:
        raw = [s for s in subs if not s.conn.combined]
        combined = [s for s in subs if s.conn.combined]
        if raw:
            self.hub.deliver(raw, data, _raw)
        if combined:
            self.hub.deliver(combined, data, _combined)

    # ------------------------------------------------------------------ events in
    def on_tick(self) -> None:
        for (k, m, width), subs in list(self.subs.index.items()):
            if k == "kline" and subs:
                self._send_kline(m, width, subs, closed=False)
        self._send_arrays()

    def on_trade(self, market: str, t) -> None:
        name = self.name_of(market)
        now = self.hub.now_ms
        for what, render in (("trade", views.ws_trade), ("aggTrade", views.ws_agg_trade)):
            subs = self.subs.get((what, market, ""))
            if subs:
                self.send(subs, render(name, t, now))

    def on_book(self, market: str, book) -> None:
        for key, f in self.subs.feeds.items():
            if key[1] != market:
                continue
            if key[0] == "depth":
                f.absorb(book)
            else:
                f.throttle.poke()
        subs = self.subs.get(("bookTicker", market, ""))
        top = (book.bids[:1], book.asks[:1])
        if subs and self.best.get(market) != top:
            self.send(subs, views.ws_book_ticker(self.name_of(market), book))
        self.best[market] = top

    def on_summary(self, market: str, stats) -> None:
        name, now = self.name_of(market), self.hub.now_ms
        subs = self.subs.get(("miniTicker", market, ""))
        if subs:
            self.send(subs, views.ws_mini_ticker(name, stats, now))
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
                self.send(subs, [render(m) for m in self.markets() if m in self.hub.stats])

    def candle_closed(self, market: str, width: str, row: list) -> None:
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


class BinanceWs(VenueWsApp):
    """The request protocol of Binance's market streams, on the shared server."""

    not_found = "unknown path: connect to /binance/ws or /binance/stream?streams=...\n"
    feed_class = BinanceFeed
    ops = dict.fromkeys(METHODS, "_call")

    def serves(self, rest: str) -> bool:
        return rest in ("/ws", "/stream") or rest.startswith("/ws/")

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
                self.subscribe(conn, channel)

    async def _wait_ready(self) -> None:
        await self.wait_ready(WsError(2, "Invalid request: the exchange is unreachable"))

    # ------------------------------------------------------------------ requests
    def bad_json(self, req: Request) -> WsError:
        return WsError(3, "Invalid JSON: expected value at line 1 column 1")

    def not_object(self, req: Request) -> WsError:
        return WsError(2, "Invalid request: expected an object")

    def op_of(self, req: Request):
        rid = req.msg.get("id")
        if not (rid is None or (isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < 2 ** 63)
                or (isinstance(rid, str) and 0 < len(rid) <= 36 and rid.isalnum())):
            raise WsError(2, "Invalid request: request ID must be an unsigned integer")
        req.rid = rid
        method = req.msg.get("method")
        if method is None:
            raise WsError(2, "Invalid request: missing field `method`")
        return method

    def unknown_op(self, req: Request) -> WsError:
        method = req.op
        shown = method if isinstance(method, str) and len(method) <= 64 else "…"
        return WsError(2, f"Invalid request: unknown variant `{shown}`, expected one of `SUBSCRIBE`, "
                          "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`")

    def refused(self, req: Request, e: WsError) -> None:
        req.conn.push(dumps({"error": {"code": e.code, "msg": e.text}, "id": req.rid}))

    async def _call(self, req: Request) -> None:
        params = req.msg.get("params", [])
        if not isinstance(params, list):
            raise WsError(2, "Invalid request: params must be an array")
        result = await getattr(self, "_" + req.op.lower())(req.conn, params)
        req.conn.push(dumps({"result": result, "id": req.rid}))

    async def _subscribe(self, conn, params):
        await self._wait_ready()
        known = self.feed.known()
        channels = [parse_stream(n, known) for n in params]     # all or nothing
        if len(conn.subs) + len([c for c in channels if c.name not in conn.subs]) > MAX_STREAMS:
            raise WsError(2, f"Invalid request: too many streams (at most {MAX_STREAMS} a connection)")

        for channel in channels:
            self.subscribe(conn, channel)
        return None

    async def _unsubscribe(self, conn, params):
        for n in params:
            if not isinstance(n, str):
                raise WsError(2, "Invalid request: invalid stream")
        for n in params:
            self.unsubscribe(conn, n)
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
