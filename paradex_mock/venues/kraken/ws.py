"""Kraken's WebSocket v2 at ``/kraken/v2``.

On connect a ``status`` message; requests ``{"method": "subscribe" | "unsubscribe", "params":
{"channel", "symbol": [...], ...}, "req_id"}`` are answered once per symbol with
``{"method", "result": {...}, "success": true, "time_in", "time_out", "req_id"}`` (or
``"success": false`` and an ``error`` text); ``{"method": "ping"}`` -> ``{"method": "pong"}``; a
``{"channel": "heartbeat"}`` each second while subscribed.

Channels (symbols as ``BTC/USD``): ``ticker`` (snapshot, then an update on each trade, or on each
best bid/offer change with ``event_trigger: "bbo"``), ``trade`` (the trades the server has seen,
then each trade), ``book`` (``depth`` 10, 25, 100, 500 or 1000: a snapshot, then updates with the
levels that changed within that depth, a level that left the book as ``qty`` 0, and Kraken's
CRC32 ``checksum`` of the top ten levels after the update), ``ohlc`` (``interval`` in minutes: the
open candle, then its updates as trades print). Messages are ``{"channel", "type": "snapshot" |
"update", "data": [...]}``.
"""
from __future__ import annotations

import functools
import itertools
from collections import defaultdict, deque
from typing import Dict, Optional, Set

from ...ws.market import StreamFeed, Sub
from ...ws.venue_app import Refusal, Request, VenueWsApp
from ...ws.venue_feed import VenueFeed
from . import views
from .markets import VENUE

CHANNELS = ("ticker", "trade", "book", "ohlc")
DEPTHS = (10, 25, 100, 500, 1000)
TRADES_KEPT = 50              # the trade channel's snapshot: the last 50 trades
_CONNECTION_IDS = itertools.count(1)


class WsError(Refusal):
    pass


class Channel:
    __slots__ = ("name", "kind", "market", "symbol", "depth", "minutes", "trigger", "snapshot", "private")

    def __init__(self, name, kind, market, symbol, depth=0, minutes=0, trigger="trades", snapshot=True):
        self.name, self.kind, self.market, self.symbol = name, kind, market, symbol
        self.depth, self.minutes, self.trigger, self.snapshot, self.private = depth, minutes, trigger, snapshot, False


def _frame(name: str, data) -> str:
    return views.dumps(data)


class BookFeed(StreamFeed):
    """One market at one depth: what the subscribers hold (the top ``depth`` levels as last sent)
    and the update that brings them to the book now."""

    def __init__(self, feed: "KrakenFeed", market: str, depth: int):
        super().__init__(0.0)       # every change of one exchange step in one message
        self.feed, self.market, self.depth = feed, market, depth
        self.sent = self._top()

    def _top(self):
        book = self.feed.hub.books.get(self.market)
        if book is None:
            return (), ()
        return tuple(book.bids[: self.depth]), tuple(book.asks[: self.depth])

    def emit(self) -> None:
        now = self._top()
        if now == self.sent:
            return
        book = self.feed.hub.books.get(self.market)
        changes = []
        for side in (0, 1):
            old, new = dict(self.sent[side]), dict(now[side])
            full = dict(book.bids if side == 0 else book.asks)
            rows = [(p, q) for p, q in now[side] if old.get(p) != q]
            # a level that left the book goes out as qty 0; one only pushed below the depth does not
            # (the subscriber truncates its book to the depth)
            rows += [(p, views.ZERO) for p in old if p not in new and p not in full]
            changes.append(sorted(rows, reverse=(side == 0)))
        self.sent = now
        if not self.subs:
            return
        spec, symbol = self.feed.spec(self.market), self.feed.symbol(self.market)
        data = {"symbol": symbol, "bids": views.ws_levels(spec, changes[0]), "asks": views.ws_levels(spec, changes[1]),
                "checksum": views.checksum(spec, now[0], now[1]), "timestamp": views.rfc3339(self.feed.hub.now_ms)}
        self.feed.send(self.subs, {"channel": "book", "type": "update", "data": [data]})

    def snapshot(self) -> dict:
        spec, symbol = self.feed.spec(self.market), self.feed.symbol(self.market)
        bids, asks = self.sent
        data = {"symbol": symbol, "bids": views.ws_levels(spec, bids), "asks": views.ws_levels(spec, asks),
                "checksum": views.checksum(spec, bids, asks), "timestamp": views.rfc3339(self.feed.hub.now_ms)}
        return {"channel": "book", "type": "snapshot", "data": [data]}


class KrakenFeed(VenueFeed):
    def __init__(self, hub):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, minutes, trigger) -> subs; feeds: (market, depth) -> BookFeed
        self.trades: Dict[str, deque] = defaultdict(lambda: deque(maxlen=TRADES_KEPT))
        self.best: Dict[str, tuple] = {}
        self.specs: Dict[str, dict] = {}
        self.conns: Set[object] = set()
        self.beat_s = 0

    def spec(self, market: str) -> Optional[dict]:
        """The pair's AssetPairs entry: listed in this process (markets.SPECS), or read from the
        fixtures by a WS server in a process of its own."""
        from . import markets
        s = markets.SPECS.get(market)
        if s is None and not self.specs:
            from ...config import Config
            self.specs = {d.market.symbol: d.market.spec for d in markets.load(Config().fixtures_dir)}
        return s or self.specs.get(market)

    def known(self) -> Dict[str, str]:
        out = {}
        for m in self.markets():
            s = self.spec(m)
            if s is not None:
                out[s["ws_v2"]] = m
        return out

    def symbol(self, market: str) -> str:
        return self.spec(market)["ws_v2"]

    frame = staticmethod(_frame)

    # ------------------------------------------------------------------ events in
    def on_tick(self) -> None:
        s = self.hub.now_ms // 1000
        if s != self.beat_s:
            self.beat_s = s
            beat = views.dumps({"channel": "heartbeat"})
            for conn in list(self.conns):
                if conn.subs:
                    conn.push(beat)

    def on_reset(self) -> None:
        self.trades.clear()

    def on_trade(self, market: str, t) -> None:
        self.trades[market].append(t)
        spec, symbol = self.spec(market), self.symbol(market)
        subs = self.subs.get(("trade", market, 0, ""))
        if subs:
            self.send(subs, {"channel": "trade", "type": "update", "data": [views.ws_trade(spec, symbol, t)]})
        for (k, m, minutes, _), subs in list(self.subs.index.items()):
            if k == "ohlc" and m == market and subs:
                row = self.candles.row(market, views.WS_WIDTHS[minutes])
                self.send(subs, {"channel": "ohlc", "type": "update", "timestamp": views.rfc3339(self.hub.now_ms, 9),
                                 "data": [views.ws_ohlc(spec, symbol, minutes, row)]})

    def on_book(self, market: str, book) -> None:
        for (m, _), f in self.subs.feeds.items():
            if m == market:
                f.throttle.poke()
        top = (book.bids[:1], book.asks[:1])
        if self.best.get(market) != top:
            self.best[market] = top
            self._ticker(market, "bbo")

    def on_summary(self, market: str, stats) -> None:
        self._ticker(market, "trades")

    def _ticker(self, market: str, trigger: str) -> None:
        subs = self.subs.get(("ticker", market, 0, trigger))
        if not subs or market not in self.hub.stats:
            return
        if trigger == "trades":
            # an update per trade: the summary that follows a print
            last = self.hub.last_trade.get(market, 0)
            if self.best.get(("t", market)) == last:
                return
            self.best[("t", market)] = last
        self.send(subs, self.ticker_msg(market, "update"))

    def ticker_msg(self, market: str, type_: str) -> dict:
        data = views.ws_ticker(self.spec(market), self.symbol(market), self.hub.stats[market], self.hub.books.get(market))
        return {"channel": "ticker", "type": type_, "data": [data]}

    # ------------------------------------------------------------------ subscribers
    def first(self, ch: Channel) -> Optional[dict]:
        m = ch.market
        if ch.kind == "book":
            return self.subs.feeds[(m, ch.depth)].snapshot()
        if ch.kind == "ticker":
            return self.ticker_msg(m, "snapshot") if m in self.hub.stats else None
        if ch.kind == "trade":
            spec, symbol = self.spec(m), self.symbol(m)
            trades = list(self.trades.get(m, ()))
            if not trades:
                return None
            return {"channel": "trade", "type": "snapshot", "data": [views.ws_trade(spec, symbol, t) for t in trades]}
        if ch.kind == "ohlc":
            row = self.candles.row(m, views.WS_WIDTHS[ch.minutes])
            if row is None:
                return None
            return {"channel": "ohlc", "type": "snapshot", "timestamp": views.rfc3339(self.hub.now_ms, 9),
                    "data": [views.ws_ohlc(self.spec(m), self.symbol(m), ch.minutes, row)]}
        return None

    def add(self, conn, ch: Channel) -> Sub:
        sub = Sub(conn, ch)
        if ch.kind == "book":
            k = (ch.market, ch.depth)
            f = self.subs.feeds.get(k)
            if f is not None:
                f.emit()        # bring the others up to now, so the new snapshot and the next update agree
            self.subs.join(sub, k, lambda: BookFeed(self, ch.market, ch.depth))
        else:
            trig = ch.trigger if ch.kind == "ticker" else ""
            self.subs.add(sub, (ch.kind, ch.market, ch.minutes, trig))
        return sub


class KrakenWs(VenueWsApp):
    paths = ("/v2",)
    not_found = "unknown path: connect to /kraken/v2\n"
    feed_class = KrakenFeed
    ops = {"ping": "_ping", "subscribe": "_request", "unsubscribe": "_request"}

    async def opened(self, conn) -> None:
        self.feed.conns.add(conn)
        conn.push(views.dumps({"channel": "status", "type": "update", "data": [
            {"version": "2.0.10", "system": "online", "api_version": "v2", "connection_id": next(_CONNECTION_IDS)}]}))

    def closed(self, conn, close_code) -> None:
        self.feed.conns.discard(conn)

    def _stamp(self, us_in: int) -> dict:
        from ...ws.server import now_us
        t_in = views.rfc3339(us_in // 1000)
        return {"time_in": t_in, "time_out": views.rfc3339(now_us() // 1000)}

    def answer(self, req: Request, body: dict, method: Optional[str] = None) -> None:
        """``body`` with the request's method (``method`` instead, if given; none before the
        request named one), the times and its ``req_id``."""
        method = method or req.op
        out = dict({"method": method}, **body) if method is not None else dict(body)
        out.update(self._stamp(req.us_in))
        if req.rid is not None:
            out["req_id"] = req.rid
        req.conn.push(views.dumps(out))

    # ------------------------------------------------------------------ requests
    def bad_json(self, req: Request) -> WsError:
        return WsError("Malformed request")

    not_object = bad_json

    def op_of(self, req: Request):
        method = req.msg.get("method")
        if not isinstance(method, str):
            raise WsError("Malformed request")
        req.rid = req.msg.get("req_id")
        return method

    def unknown_op(self, req: Request) -> WsError:
        return WsError(f"Method not found: {req.op}")

    def refused(self, req: Request, e: WsError) -> None:
        self.answer(req, {"error": e.text, "success": False})

    async def _ping(self, req: Request) -> None:
        self.answer(req, {}, method="pong")

    async def _request(self, req: Request) -> None:
        conn, method, params = req.conn, req.op, req.msg.get("params")
        answer = functools.partial(self.answer, req)
        if not isinstance(params, dict) or params.get("channel") not in CHANNELS:
            channel = params.get("channel") if isinstance(params, dict) else None
            raise WsError("Channel not found" if isinstance(channel, str) else "Malformed request")
        channel = params["channel"]
        symbols = params.get("symbol")
        if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
            raise WsError("Malformed request: symbol must be a non-empty array of strings")
        depth, minutes, trigger, snapshot = self._options(channel, params)
        if not self.hub.ready.is_set():
            raise WsError("EService:Unavailable")
        known = self.feed.known()
        for symbol in symbols:
            market = known.get(symbol)
            result = {"channel": channel, "symbol": symbol}
            if channel == "book":
                result.update(depth=depth, snapshot=snapshot)
            elif channel == "ohlc":
                result.update(interval=minutes, snapshot=snapshot)
            elif channel == "ticker":
                result.update(event_trigger=trigger, snapshot=snapshot)
            else:
                result.update(snapshot=snapshot)
            if market is None:
                answer({"error": f"Currency pair not supported {symbol}", "success": False, "symbol": symbol})
                continue
            name = f"{channel}:{symbol}:{depth or minutes or ''}:{trigger if channel == 'ticker' else ''}"
            ch = Channel(name, channel, market, symbol, depth, minutes, trigger, snapshot)
            if method == "subscribe":
                if name in conn.subs:
                    answer({"error": "Already subscribed", "success": False, "symbol": symbol})
                    continue
                conn.subs[name] = self.feed.add(conn, ch)
                answer({"result": result, "success": True})
                first = self.feed.first(ch) if snapshot or channel == "book" else None
                if first is not None:
                    conn.push(views.dumps(first))
            else:
                if not self.unsubscribe(conn, name):
                    answer({"error": "Subscription Not Found", "success": False, "symbol": symbol})
                    continue
                result.pop("snapshot", None)
                answer({"result": result, "success": True})

    @staticmethod
    def _options(channel: str, params: dict):
        depth = minutes = 0
        trigger = "trades"
        snapshot = params.get("snapshot", True)
        if not isinstance(snapshot, bool):
            raise WsError("Malformed request: snapshot must be a boolean")
        if channel == "book":
            depth = params.get("depth", 10)
            if depth not in DEPTHS or isinstance(depth, bool):
                raise WsError("Subscription depth not supported")
        elif channel == "ohlc":
            minutes = params.get("interval")
            if minutes is None:
                raise WsError("Subscription ohlc requires interval")
            if isinstance(minutes, bool) or not isinstance(minutes, int):
                raise WsError("Subscription ohlc interval must be an integer")
            if minutes not in views.INTERVALS:
                raise WsError("Subscription ohlc interval not supported")
            if minutes not in views.WS_WIDTHS:
                raise WsError("Subscription ohlc interval not supported by this mock (weekly and 15-day candles "
                              "are served over REST only)")
        elif channel == "ticker":
            trigger = params.get("event_trigger", "trades")
            if trigger not in ("trades", "bbo"):
                raise WsError("Malformed request: event_trigger must be trades or bbo")
        return depth, minutes, trigger, snapshot
