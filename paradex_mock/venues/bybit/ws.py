"""Bybit v5 public WebSocket at ``/bybit/v5/public/spot`` and ``/bybit/v5/public/linear``.

Requests ``{"op": "subscribe"|"unsubscribe"|"ping", "req_id"?, "args": [topic...]}`` are answered
``{"success", "ret_msg", "conn_id", "req_id", "op"}`` (a ping with ``ret_msg: "pong"``). Topics:
``kline.<interval>.<symbol>`` (pushed every exchange tick, ``confirm: true`` when the candle
closes), ``publicTrade.<symbol>``, ``orderbook.<depth>.<symbol>`` (a snapshot, then deltas at
Bybit's push rate for that depth; ``u`` and ``seq`` are the book's update id, the same number
GET /v5/market/orderbook returns as ``u``, so a REST snapshot and the deltas line up; depth 1 is
a snapshot each time, as on Bybit), ``tickers.<symbol>`` (spot: snapshots; linear: a snapshot,
then deltas of the fields that changed).
"""
from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Dict

from ...ws.market import MarketFeed, OpenCandles, StreamFeed, Sub, book_diff
from . import views
from .markets import VENUE, key

DEPTHS = {"spot": {1: 0.01, 50: 0.02, 200: 0.2, 1000: 0.2},
          "linear": {1: 0.01, 50: 0.02, 200: 0.1, 500: 0.1, 1000: 0.2}}     # depth -> push interval, s
MAX_ARGS_SPOT = 10
CONN_NS = uuid.UUID("3b0a7d4e-5a7e-4bd6-8f11-627962697477")


class WsError(Exception):
    pass


class Channel:
    __slots__ = ("name", "kind", "market", "width", "interval", "depth", "private")

    def __init__(self, name, kind, market, width="", interval="", depth=0):
        self.name, self.kind, self.market, self.width = name, kind, market, width
        self.interval, self.depth, self.private = interval, depth, False


def parse_topic(topic, category: str, markets: dict) -> Channel:
    if not isinstance(topic, str):
        raise WsError(f"error:handler not found,topic:{topic}")
    parts = topic.split(".")
    kind = parts[0]
    if kind == "kline" and len(parts) == 3:
        if parts[1] not in views.INTERVALS:
            raise WsError(f"error:handler not found,topic:{topic}")
        width, symbol = views.INTERVALS[parts[1]], parts[2]
        extra = dict(width=width, interval=parts[1])
    elif kind == "orderbook" and len(parts) == 3:
        if not parts[1].isdigit() or int(parts[1]) not in DEPTHS[category]:
            raise WsError(f"error:handler not found,topic:{topic}")
        symbol, extra = parts[2], dict(depth=int(parts[1]))
    elif kind in ("publicTrade", "tickers") and len(parts) == 2:
        symbol, extra = parts[1], {}
    else:
        raise WsError(f"error:handler not found,topic:{topic}")
    k = key(category, symbol)
    if k not in markets:
        raise WsError(f"Invalid symbol :[{topic}]")
    return Channel(topic, kind, k, **extra)


def _frame(name, data) -> str:
    return json.dumps(data, separators=(",", ":"))


def _book_skipped(msg: dict, skipped: int) -> dict:
    """An orderbook message with its update id moved on (a ws_seq_gap fault)."""
    data = dict(msg["data"], u=msg["data"]["u"] + skipped, seq=msg["data"]["seq"] + skipped)
    return dict(msg, data=data)


class DepthFeed(StreamFeed):
    """``orderbook.<depth>.<symbol>``: the top ``depth`` levels; every change between two pushes
    folds into the next delta (a level that came and went in between goes out with size 0)."""

    def __init__(self, feed: "BybitFeed", market: str, depth: int, interval_s: float):
        super().__init__(interval_s)
        self.feed, self.market, self.depth = feed, market, depth
        book = feed.hub.books.get(market)
        self.levels = self._top(book)
        self.last_u = self.seen_u = book.seq_no if book else 0
        self.pending = ({}, {})

    def _top(self, book) -> tuple:
        return (list(book.bids[:self.depth]), list(book.asks[:self.depth])) if book else ([], [])

    def snapshot_to(self, subs) -> None:
        book = self.feed.hub.books.get(self.market)
        if book is None:
            return
        self.feed.send(subs, self._msg("snapshot", book.bids[:self.depth], book.asks[:self.depth], book.seq_no,
                                       book.last_updated_at), _book_skipped)

    def _msg(self, kind: str, bids, asks, u: int, ts: int) -> dict:
        m = self.feed.market(self.market)
        f = views.fmt(m)
        return {"topic": f"orderbook.{self.depth}.{m.name}", "type": kind, "ts": self.feed.hub.now_ms,
                "data": {"s": m.name, "b": [[f.px(p), f.sz(q) if q else "0"] for p, q in bids],
                         "a": [[f.px(p), f.sz(q) if q else "0"] for p, q in asks], "u": u, "seq": u},
                "cts": ts}

    def absorb(self, book) -> None:
        if book.seq_no <= self.seen_u:
            return
        new = self._top(book)
        for side in (0, 1):
            for p, q in book_diff(self.levels[side], new[side]):
                self.pending[side][p] = q
        self.levels, self.seen_u = new, book.seq_no
        self.throttle.poke()

    def emit(self) -> None:
        if self.seen_u <= self.last_u or not self.subs:
            return
        book = self.feed.hub.books.get(self.market)
        ts = book.last_updated_at if book else self.feed.hub.now_ms
        if self.depth == 1:
            msg = self._msg("snapshot", self.levels[0], self.levels[1], self.seen_u, ts)
        else:
            bids = sorted(self.pending[0].items(), reverse=True)
            asks = sorted(self.pending[1].items())
            msg = self._msg("delta", bids, asks, self.seen_u, ts)
        self.last_u, self.pending = self.seen_u, ({}, {})
        self.feed.send(self.subs, msg, _book_skipped)

    def reset(self) -> None:
        book = self.feed.hub.books.get(self.market)
        self.levels = self._top(book)
        self.last_u = self.seen_u = book.seq_no if book else 0
        self.pending = ({}, {})
        self.snapshot_to(self.subs)     # Bybit's answer to a restart: a fresh snapshot


class BybitFeed(MarketFeed):
    def __init__(self, hub):
        super().__init__(hub)
        # self.subs index: (kind, market, width) -> subs; feeds: (market, depth) -> DepthFeed
        self.candles = OpenCandles(hub, self._candle_closed)
        self.tickers_sent: Dict[str, dict] = {}                    # linear market -> last ticker fields
        self.last_px: Dict[str, object] = {}
        self._markets: Dict[str, object] = {}

    def market(self, k: str):
        return self._markets[k]

    def markets(self) -> dict:
        return {m: self._markets[m] for m in self.hub.markets_of(VENUE) if m in self._markets}

    def send(self, subs, data, sequenced=None) -> None:
        if subs:
            self.hub.deliver(subs, data, _frame, sequenced)

    # ------------------------------------------------------------------ events in
    def _load_candles(self) -> None:
        """The open candles of this venue's markets only (the hub holds every venue's)."""
        self.candles.load()
        self.candles.rows = {m: r for m, r in self.candles.rows.items() if self.hub.venue_of.get(m) == VENUE}

    def on_snapshot(self) -> None:
        self._load_candles()
        for f in self.subs.feeds.values():
            f.reset()
        self.tickers_sent.clear()

    def on_event(self, ev: dict) -> None:
        kind, market, data = ev.get("kind"), ev.get("market"), ev.get("data")
        if kind == "tick":
            self.candles.tick(self.hub.now_ms)
            for (k, m, width), subs in list(self.subs.index.items()):
                if k == "kline" and subs:
                    self._send_kline(m, width, subs, False)
            return
        if kind == "reset":
            self._load_candles()
            return
        if market is None or self.hub.venue_of.get(market) != VENUE:
            return
        if kind == "trade":
            self.candles.trade(data)
        if market not in self._markets:
            return                      # nobody subscribed to anything of it yet
        if kind == "trade":
            subs = self.subs.get(("publicTrade", market, ""))
            m = self.market(market)
            if subs:
                self.send(subs, {"topic": f"publicTrade.{m.name}", "type": "snapshot", "ts": self.hub.now_ms,
                                 "data": [views.ws_trade(m, data, self.last_px.get(market))]})
            self.last_px[market] = data.price
        elif kind == "book":
            for (mk, _), f in self.subs.feeds.items():
                if mk == market:
                    f.absorb(data)
        elif kind == "summary":
            subs = self.subs.get(("tickers", market, ""))
            if subs:
                self._send_ticker(market, subs)

    def _ticker_fields(self, market: str) -> dict:
        m = self.market(market)
        fields = views.ticker(m, self.hub.stats[market], self.hub.books.get(market), None)
        fields.pop("prevPrice1h", None)
        return fields

    def _send_ticker(self, market: str, subs, snapshot_only: bool = False) -> None:
        m = self.market(market)
        if market not in self.hub.stats:
            return
        fields = self._ticker_fields(market)
        topic = f"tickers.{m.name}"
        if m.kind == "spot":
            self.send(subs, {"topic": topic, "ts": self.hub.now_ms, "type": "snapshot", "cs": self.hub.last_seq,
                             "data": fields})
            return
        last = self.tickers_sent.get(market)
        if snapshot_only or last is None:
            self.send(subs, {"topic": topic, "type": "snapshot", "data": fields, "cs": self.hub.last_seq,
                             "ts": self.hub.now_ms})
            if not snapshot_only or last is None:
                self.tickers_sent[market] = fields
            return
        changed = {k: v for k, v in fields.items() if last.get(k) != v}
        self.tickers_sent[market] = fields
        if changed:
            self.send(subs, {"topic": topic, "type": "delta", "data": dict({"symbol": m.name}, **changed),
                             "cs": self.hub.last_seq, "ts": self.hub.now_ms})

    def _candle_closed(self, market: str, width: str, row: list) -> None:
        subs = self.subs.get(("kline", market, width))
        if subs:
            self._send_kline(market, width, subs, True, row)

    def _send_kline(self, market: str, width: str, subs, confirm: bool, row=None) -> None:
        row = row or self.candles.row(market, width)
        if row is None:
            return
        m = self.market(market)
        interval = views.WIDTH_NAMES[width]
        self.send(subs, {"topic": f"kline.{interval}.{m.name}", "type": "snapshot", "ts": self.hub.now_ms,
                         "data": [views.ws_kline(interval, row, views.fmt(m), confirm, self.hub.now_ms)]})

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account=None) -> Sub:
        sub, ch = Sub(conn, channel), channel
        if ch.kind == "orderbook":
            category = self.market(ch.market).spec["category"]
            f = self.subs.join(sub, (ch.market, ch.depth),
                               lambda: DepthFeed(self, ch.market, ch.depth, DEPTHS[category][ch.depth]))
            f.snapshot_to([sub])
        else:
            self.subs.add(sub, (ch.kind, ch.market, ch.width))
            if ch.kind == "tickers":
                self._send_ticker(ch.market, [sub], snapshot_only=True)
        return sub


class BybitWs:
    """Bybit's ``op`` protocol on the shared server."""

    def __init__(self, venue, ctx):
        self.venue = venue
        self.server = None
        self.hub = ctx.hub
        self.feed = BybitFeed(ctx.hub)
        self.exchange = getattr(getattr(ctx, "source", None), "exchange", None)
        self.fixtures_dir = ctx.config.fixtures_dir
        self._fixture = None

    def refuse(self, path: str, query: dict):
        if path[len(self.venue.ws_root):] in ("/v5/public/spot", "/v5/public/linear"):
            return None
        return HTTPStatus.NOT_FOUND, "unknown path: connect to /bybit/v5/public/spot or /bybit/v5/public/linear\n"

    async def opened(self, conn) -> None:
        from urllib.parse import urlsplit
        path = urlsplit(conn.ws.request.path).path.rstrip("/")
        conn.category = path.rsplit("/", 1)[-1]
        conn.conn_id = str(uuid.uuid5(CONN_NS, str(conn.serial)))

    def closed(self, conn, close_code) -> None:
        pass

    async def _wait_ready(self) -> None:
        import asyncio
        if not self.hub.ready.is_set():
            await asyncio.wait_for(self.hub.ready.wait(), 10)

    def _reply(self, conn, op: str, req_id, success: bool, ret_msg: str) -> None:
        out = {"success": success, "ret_msg": ret_msg, "conn_id": conn.conn_id}
        if req_id is not None:
            out["req_id"] = req_id
        out["op"] = op
        conn.push(json.dumps(out, separators=(",", ":")))

    async def handle(self, conn, raw, us_in: int) -> None:
        try:
            msg = json.loads(raw)
        except (ValueError, RecursionError):
            self._reply(conn, "", None, False, "error:request not json")
            return
        if not isinstance(msg, dict):
            self._reply(conn, "", None, False, "error:request not json")
            return
        op, req_id = msg.get("op"), msg.get("req_id")
        if op == "ping":
            self._reply(conn, "ping", req_id, True, "pong")
            return
        if op not in ("subscribe", "unsubscribe"):
            self._reply(conn, str(op), req_id, False, f"error:unknown op {op}")
            return
        args = msg.get("args")
        if not isinstance(args, list) or not args:
            self._reply(conn, op, req_id, False, "error:args is empty")
            return
        if conn.category == "spot" and len(args) > MAX_ARGS_SPOT:
            self._reply(conn, op, req_id, False, f"error:args size >{MAX_ARGS_SPOT}")
            return
        if op == "unsubscribe":
            for t in args:
                sub = conn.subs.pop(t, None) if isinstance(t, str) else None
                if sub is not None:
                    self.feed.remove(sub)
            self._reply(conn, op, req_id, True, "")
            return
        await self._wait_ready()
        self._sync_markets()
        try:
            channels = [parse_topic(t, conn.category, self.feed._markets) for t in args]
            for c in channels:
                if c.name in conn.subs:
                    raise WsError(f"error:already subscribed,topic:{c.name}")
        except WsError as e:
            self._reply(conn, op, req_id, False, str(e))
            return
        self._reply(conn, op, req_id, True, "subscribe" if conn.category == "spot" else "")
        for c in channels:
            if not conn.closing:
                conn.subs[c.name] = self.feed.add(conn, c)

    def _sync_markets(self) -> None:
        """The venue's markets (their rules, for topics' symbols and number formats): the engine's
        own in-process; from the fixtures in a separate WS process (a market listed at run time
        there gets the default rules of ``markets.add_symbol``)."""
        keys = set(self.hub.markets_of(VENUE))
        if set(self.feed._markets) == keys:
            return
        engine = getattr(self.exchange, "markets", None)
        out = {}
        for k in keys:
            if engine is not None and k in engine:
                out[k] = engine[k]
                continue
            if self._fixture is None:
                from . import markets as mk
                self._fixture = {d.market.symbol: d.market for d in mk.load(self.fixtures_dir)}
            if k in self._fixture:
                out[k] = self._fixture[k]
            else:
                from . import markets as mk
                cat, sym = k.split(":", 2)[1:]
                out[k] = mk.add_symbol(f"{cat}:{sym}", 1).market
        self.feed._markets = out
