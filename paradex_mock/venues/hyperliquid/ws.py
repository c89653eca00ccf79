"""Hyperliquid's WebSocket at ``/hyperliquid/ws``.

Requests: ``{"method": "subscribe" | "unsubscribe", "subscription": {...}}``, acknowledged with
``{"channel": "subscriptionResponse", "data": <the request>}``; ``{"method": "ping"}`` ->
``{"channel": "pong"}``. Refusals are ``{"channel": "error", "data": "<text>"}``.

Subscriptions: ``{"type": "candle", "coin", "interval"}``, ``trades``, ``l2Book`` (optional
``nSigFigs``/``mantissa``; every message is the whole book, up to 20 levels a side, sent at most
every 0.5 s while it changes), ``allMids``, ``activeAssetCtx``, ``bbo``. Each but ``trades`` starts
with the current state (the open candle, the book, the mids, the context, the top); trades
follow as they print (the WS side keeps no trade history to replay).
Messages are ``{"channel": <type>, "data": ...}``.
"""
from __future__ import annotations

from typing import Dict, Optional

from ...ws.market import Sub, Throttle
from ...ws.venue_app import Refusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import VenueFeed, WholeBookFeed
from . import views
from .markets import VENUE

BOOK_EVERY_S = 0.5          # Hyperliquid publishes books and mids once a block at most
TYPES = ("candle", "trades", "l2Book", "allMids", "activeAssetCtx", "bbo")


class Channel:
    __slots__ = ("name", "kind", "market", "coin", "width", "sig", "mantissa", "request", "private")

    def __init__(self, name, kind, market=None, coin="", width="", sig=None, mantissa=None, request=None):
        self.name, self.kind, self.market, self.coin, self.width = name, kind, market, coin, width
        self.sig, self.mantissa, self.request, self.private = sig, mantissa, request, False


class WsError(Refusal):
    pass


def parse(subscription, known: Dict[str, str]) -> Channel:
    """``known``: coin -> market key. Raises WsError with Hyperliquid's text."""
    text = dumps(subscription)
    if not isinstance(subscription, dict) or subscription.get("type") not in TYPES:
        raise WsError(f"Error parsing JSON into valid websocket request: {text}")
    kind = subscription["type"]
    if kind == "allMids":
        return Channel("allMids", kind, request=subscription)
    coin = subscription.get("coin")
    if not isinstance(coin, str):
        raise WsError(f"Error parsing JSON into valid websocket request: {text}")
    if coin not in known:
        raise WsError(f"Invalid subscription {text}")
    market = known[coin]
    if kind == "candle":
        interval = subscription.get("interval")
        if interval not in views.INTERVALS:
            raise WsError(f"Error parsing JSON into valid websocket request: {text}")
        return Channel(f"candle:{coin}:{interval}", kind, market, coin, width=interval, request=subscription)
    if kind == "l2Book":
        sig, mantissa = subscription.get("nSigFigs"), subscription.get("mantissa")
        if sig is not None and sig not in (2, 3, 4, 5) or mantissa is not None and (sig != 5 or mantissa not in (1, 2, 5)):
            raise WsError(f"Invalid subscription {text}")
        return Channel(f"l2Book:{coin}:{sig}:{mantissa}", kind, market, coin, sig=sig, mantissa=mantissa,
                       request=subscription)
    return Channel(f"{kind}:{coin}", kind, market, coin, request=subscription)


def _frame(name: str, data) -> str:
    return dumps({"channel": name.split(":", 1)[0], "data": data})


class BookFeed(WholeBookFeed):
    """Whole-book messages of one market at one aggregation, throttled."""

    def __init__(self, feed: "HyperliquidFeed", market: str, coin: str, sig, mantissa):
        super().__init__(feed.hub, market, BOOK_EVERY_S)
        self.feed, self.coin, self.sig, self.mantissa = feed, coin, sig, mantissa

    def render(self):
        book = self.hub.books.get(self.market)
        if book is None:
            return None
        return views.l2_book(self.coin, book, self.hub.now_ms, self.sig, self.mantissa)

    def push(self, book) -> None:
        self.feed.send(self.subs, self.render())


class HyperliquidFeed(VenueFeed):
    def __init__(self, hub):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, width) -> subs; feeds: (market, sig, mantissa) -> BookFeed
        self.best: Dict[str, tuple] = {}
        self.mids_throttle = Throttle(BOOK_EVERY_S, self._send_mids)
        self.mids_sent: Optional[dict] = None

    frame = staticmethod(_frame)

    # ------------------------------------------------------------------ events in
    def on_trade(self, market: str, t) -> None:
        coin = self.name_of(market)
        subs = self.subs.get(("trades", market, ""))
        if subs:
            self.send(subs, [views.trade(coin, t)])
        for (k, m, width), subs in list(self.subs.index.items()):
            if k == "candle" and m == market and subs:
                self.send(subs, views.candle(coin, width, self.candles.row(market, width)))

    def on_book(self, market: str, book) -> None:
        for (m, _, _), f in self.subs.feeds.items():
            if m == market:
                f.throttle.poke()
        if self.subs.get(("allMids", None, "")):
            self.mids_throttle.poke()
        top = (book.bids[:1], book.asks[:1])
        subs = self.subs.get(("bbo", market, ""))
        if subs and self.best.get(market) != top:
            self.send(subs, self._bbo(market))
        self.best[market] = top

    def on_summary(self, market: str, stats) -> None:
        subs = self.subs.get(("activeAssetCtx", market, ""))
        if subs:
            self.send(subs, self._ctx(market))

    def _ctx(self, market: str) -> dict:
        return {"coin": self.name_of(market), "ctx": views.asset_ctx(self.hub.stats[market], self.hub.books.get(market))}

    def _bbo(self, market: str) -> dict:
        book = self.hub.books.get(market)
        bid = views.level(*book.bids[0]) if book and book.bids else None
        ask = views.level(*book.asks[0]) if book and book.asks else None
        return {"coin": self.name_of(market), "time": self.hub.now_ms, "bbo": [bid, ask]}

    def _mids(self) -> dict:
        out = {}
        for m in self.markets():
            book = self.hub.books.get(m)
            mid = views.mid(book) if book is not None else None
            if mid is not None:
                out[self.name_of(m)] = views.num(mid)
        return {"mids": out}

    def _send_mids(self) -> None:
        subs = self.subs.get(("allMids", None, ""))
        mids = self._mids()
        if subs and mids != self.mids_sent:
            self.mids_sent = mids
            self.send(subs, mids)

    # ------------------------------------------------------------------ subscribers
    def first(self, ch: Channel):
        """What a new subscription starts with, or None."""
        m = ch.market
        if ch.kind == "candle":
            row = self.candles.row(m, ch.width)
            return views.candle(ch.coin, ch.width, row) if row else None
        if ch.kind == "l2Book":
            return self.subs.feeds[(m, ch.sig, ch.mantissa)].render()
        if ch.kind == "allMids":
            return self._mids()
        if ch.kind == "activeAssetCtx":
            return self._ctx(m) if m in self.hub.stats else None
        if ch.kind == "bbo":
            return self._bbo(m)
        return None

    def add(self, conn, ch: Channel) -> Sub:
        sub = Sub(conn, ch)
        if ch.kind == "l2Book":
            self.subs.join(sub, (ch.market, ch.sig, ch.mantissa),
                           lambda: BookFeed(self, ch.market, ch.coin, ch.sig, ch.mantissa))
        else:
            self.subs.add(sub, (ch.kind, ch.market, ch.width))
        return sub

    def close(self) -> None:
        super().close()
        self.mids_throttle.close()


class HyperliquidWs(VenueWsApp):
    paths = ("/ws",)
    not_found = "unknown path: connect to /hyperliquid/ws\n"
    feed_class = HyperliquidFeed
    ops = {"ping": "_ping", "subscribe": "_subscription", "unsubscribe": "_subscription"}

    def bad_json(self, req: Request) -> WsError:
        raw = req.raw
        return WsError(f"Error parsing JSON into valid websocket request: {raw if isinstance(raw, str) else ''}")

    def not_object(self, req: Request) -> WsError:
        return WsError(f"Error parsing JSON into valid websocket request: {dumps(req.msg)}")

    unknown_op = not_object

    def refused(self, req: Request, e: WsError) -> None:
        req.conn.push(dumps({"channel": "error", "data": str(e)}))

    async def _ping(self, req: Request) -> None:
        req.conn.push(dumps({"channel": "pong"}))

    async def _subscription(self, req: Request) -> None:
        conn, msg = req.conn, req.msg
        await self.wait_ready(WsError("Exchange unavailable"))
        subscription = msg.get("subscription")
        ch = parse(subscription, self.feed.known())
        if req.op == "subscribe":
            if ch.name in conn.subs:
                raise WsError(f"Already subscribed: {dumps(subscription)}")
            conn.subs[ch.name] = self.feed.add(conn, ch)
            conn.push(dumps({"channel": "subscriptionResponse", "data": msg}))
            first = self.feed.first(ch)
            if first is not None:
                conn.push(_frame(ch.name, first))
        else:
            if not self.unsubscribe(conn, ch.name):
                raise WsError(f"Already unsubscribed: {dumps(subscription)}")
            conn.push(dumps({"channel": "subscriptionResponse", "data": msg}))
