"""Coinbase Advanced Trade market data over WebSocket at ``/coinbase`` (the venue's WS root).

A client sends ``{"type": "subscribe", "product_ids": [...], "channel": NAME}`` (and
``"unsubscribe"``); the server answers with the channel's snapshot, then a ``subscriptions``
message listing everything the connection is subscribed to. Every message is
``{"channel", "client_id": "", "timestamp", "sequence_num", "events": [...]}``, ``sequence_num``
counting the connection's messages from 0, so a client sees a dropped message as a gap.

Channels: ``heartbeats`` (one a second of the mock's clock, with a counter), ``candles`` (the
five-minute candle of each product, every second it changed), ``market_trades`` (the last trades,
then each trade), ``ticker`` (snapshot, then an update every second), ``ticker_batch`` (every five
seconds), ``level2`` (sent on channel ``l2_data``: the whole book, then every level that changed,
``new_quantity`` "0" for a level gone; a level added and removed between two messages goes out as
"0"). Refusals are ``{"type": "error", "message": ...}``.
"""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Dict, Optional

from ...ws.market import Sub
from ...ws.venue_app import Refusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import DiffFeed, VenueFeed
from . import views
from .markets import VENUE

CHANNELS = ("heartbeats", "candles", "market_trades", "ticker", "ticker_batch", "level2", "status")
PRODUCTLESS = ("heartbeats", "status")
L2_RATE_S = 0.05              # level2 updates: at most one message per product every 50 ms
TRADES_KEPT = 50              # market_trades' snapshot
CANDLE_WIDTH = "5m"           # the candles channel is five-minute candles
TICKER_BATCH_MS = 5000


class Channel:
    __slots__ = ("name", "kind", "market", "product", "private")

    def __init__(self, kind: str, market: Optional[str], product: str):
        self.kind, self.market, self.product, self.private = kind, market, product, False
        self.name = f"{kind}:{product}" if product else kind


class WsError(Refusal):
    pass


class L2Feed(DiffFeed):
    """The level2 updates of one product: every book change since the last message, folded."""

    def __init__(self, feed: "CoinbaseFeed", market: str):
        super().__init__(feed.hub, market, L2_RATE_S)
        self.feed = feed

    def snapshot(self) -> dict:
        return {"type": "snapshot", "product_id": self.feed.name_of(self.market),
                "updates": views.l2_updates(self.levels[0], self.levels[1], views.iso(self.hub.now_ms))}

    def emit(self) -> None:
        if not (self.pending[0] or self.pending[1]) or not self.subs:
            self.pending = ({}, {})
            return
        bids, asks = self.take()
        event = {"type": "update", "product_id": self.feed.name_of(self.market),
                 "updates": views.l2_updates(bids, asks, views.iso(self.hub.now_ms))}
        self.feed.send(self.subs, "l2_data", [event])


class CoinbaseFeed(VenueFeed):
    def __init__(self, hub):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market) -> subs; feeds: market -> L2Feed
        self.recent: Dict[str, deque] = defaultdict(lambda: deque(maxlen=TRADES_KEPT))
        self.sent_candle: Dict[str, list] = {}
        self.last_second = 0
        self.heartbeat_counter = 0
        self.last_batch_ms = 0

    def message(self, conn, channel: str, events: list) -> str:
        n = getattr(conn, "cb_sequence", 0)
        conn.cb_sequence = n + 1
        return dumps({"channel": channel, "client_id": "", "timestamp": views.iso(self.hub.now_ms),
                      "sequence_num": n, "events": events})

    def send(self, subs, channel: str, events: list) -> None:
        """Through the hub (WS faults apply); each connection numbers its own messages."""
        for sub in list(subs):
            self.hub.deliver([sub], events, lambda name, data, conn=sub.conn: self.message(conn, channel, data))

    # ------------------------------------------------------------------ events in
    def on_reset(self) -> None:
        self.recent.clear()

    def on_trade(self, market: str, t) -> None:
        self.recent[market].append(t)
        subs = self.subs.get(("market_trades", market))
        if subs:
            self.send(subs, "market_trades", [{"type": "update", "trades": [views.trade(self.name_of(market), t)]}])

    def on_book(self, market: str, book) -> None:
        f = self.subs.feeds.get(market)
        if f is not None:
            f.absorb(book)

    def on_summary(self, market: str, stats) -> None:
        subs = self.subs.get(("ticker", market))
        if subs:
            self.send(subs, "ticker", [{"type": "update", "tickers": [views.ws_ticker(self.name_of(market), stats)]}])

    def on_tick(self) -> None:
        now = self.hub.now_ms
        second = now // 1000
        if second == self.last_second:
            return
        self.last_second = second
        subs = self.subs.get(("heartbeats", None))
        self.heartbeat_counter += 1
        if subs:
            t = views.iso(now)
            self.send(subs, "heartbeats", [{"current_time": t[:10] + " " + t[11:-1] + " +0000 UTC",
                                            "heartbeat_counter": self.heartbeat_counter}])
        for (kind, market), subs in list(self.subs.index.items()):
            if kind == "candles" and subs:
                row = self.candles.row(market, CANDLE_WIDTH)
                if row is not None and row != self.sent_candle.get(market):
                    self.sent_candle[market] = list(row)
                    self.send(subs, "candles", [{"type": "update", "candles": [views.ws_candle(self.name_of(market), row)]}])
        if now - self.last_batch_ms >= TICKER_BATCH_MS:
            self.last_batch_ms = now
            for (kind, market), subs in list(self.subs.index.items()):
                if kind == "ticker_batch" and subs and market in self.hub.stats:
                    self.send(subs, "ticker_batch", [{"type": "update", "tickers": [
                        views.ws_ticker(self.name_of(market), self.hub.stats[market])]}])

    # ------------------------------------------------------------------ snapshots
    def snapshot(self, conn, ch: Channel) -> Optional[str]:
        m = ch.market
        name = ch.product
        if ch.kind == "level2":
            f = self.subs.feeds.get(m)
            return self.message(conn, "l2_data", [f.snapshot()]) if f else None
        if ch.kind == "market_trades":
            trades = [views.trade(name, t) for t in reversed(self.recent.get(m, ()))]
            return self.message(conn, "market_trades", [{"type": "snapshot", "trades": trades}])
        if ch.kind in ("ticker", "ticker_batch") and m in self.hub.stats:
            return self.message(conn, ch.kind, [{"type": "snapshot", "tickers": [views.ws_ticker(name, self.hub.stats[m])]}])
        if ch.kind == "candles":
            row = self.candles.row(m, CANDLE_WIDTH)
            if row is not None:
                return self.message(conn, "candles", [{"type": "snapshot", "candles": [views.ws_candle(name, row)]}])
        return None

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account=None) -> Sub:
        sub = Sub(conn, channel)
        if channel.kind == "level2":
            self.subs.join(sub, channel.market, lambda: L2Feed(self, channel.market))
        else:
            self.subs.add(sub, (channel.kind, channel.market))
        return sub


class CoinbaseWs(VenueWsApp):
    paths = ("",)
    not_found = "unknown path: connect to /coinbase\n"
    feed_class = CoinbaseFeed
    op_field = "type"
    ops = {"subscribe": "_request", "unsubscribe": "_request"}

    async def opened(self, conn) -> None:
        conn.cb_sequence = 0

    # ------------------------------------------------------------------ requests
    def bad_json(self, req: Request) -> WsError:
        return WsError("failure to parse message: invalid JSON")

    def not_object(self, req: Request) -> WsError:
        return WsError("failure to parse message: expected an object")

    def unknown_op(self, req: Request) -> WsError:
        return WsError(f"unknown message type {req.op!r}: expected subscribe or unsubscribe")

    def refused(self, req: Request, e: WsError) -> None:
        req.conn.push(dumps({"type": "error", "message": e.text}))

    async def _request(self, req: Request) -> None:
        conn, mtype, msg = req.conn, req.op, req.msg
        channel = msg.get("channel")
        if not isinstance(channel, str) or not channel:
            raise WsError("channel is required")
        if channel == "user" or channel == "futures_balance_summary":
            raise WsError("authentication failure")
        if channel not in CHANNELS:
            raise WsError(f"Failed to subscribe: unknown channel {channel!r}")
        ids = msg.get("product_ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise WsError("product_ids must be a list of strings")
        await self.wait_ready(WsError("the exchange is unreachable"))
        known = self.feed.known()
        if channel in PRODUCTLESS:
            targets = [(None, "")]
        else:
            if not ids:
                raise WsError("Failed to subscribe: product_ids is required")
            bad = [i for i in ids if i not in known]
            if bad:
                raise WsError(f"Failed to subscribe: invalid product_id {bad[0]!r}")
            targets = [(known[i], i) for i in dict.fromkeys(ids)]
        for market, product in targets:
            ch = Channel(channel, market, product)
            if mtype == "subscribe":
                if ch.name in conn.subs or conn.closing:
                    continue
                conn.subs[ch.name] = self.feed.add(conn, ch)
                snap = self.feed.snapshot(conn, ch)
                if snap is not None:
                    conn.push(snap)
            else:
                self.unsubscribe(conn, ch.name)
        conn.push(self.feed.message(conn, "subscriptions", [{"subscriptions": self._listing(conn)}]))

    def _listing(self, conn) -> dict:
        out: Dict[str, list] = {}
        for sub in conn.subs.values():
            ch = sub.channel
            out.setdefault(ch.kind, [])
            if ch.product:
                out[ch.kind].append(ch.product)
        return out
