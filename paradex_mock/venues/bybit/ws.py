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

import uuid
from typing import Dict, Optional

from ...ws.market import Sub
from ...ws.venue_app import Refusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import DiffFeed, MarketRules, VenueFeed
from . import markets as mk
from . import views
from .markets import VENUE, key

DEPTHS = {"spot": {1: 0.01, 50: 0.02, 200: 0.2, 1000: 0.2},
          "linear": {1: 0.01, 50: 0.02, 200: 0.1, 500: 0.1, 1000: 0.2}}     # depth -> push interval, s
MAX_ARGS_SPOT = 10
CONN_NS = uuid.UUID("3b0a7d4e-5a7e-4bd6-8f11-627962697477")


class WsError(Refusal):
    """A refusal: its ``ret_msg``, and the ``op`` it names where that is not the request's."""

    def __init__(self, ret_msg: str, op: Optional[str] = None):
        super().__init__(ret_msg)
        self.op = op


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


def _book_skipped(msg: dict, skipped: int) -> dict:
    """An orderbook message with its update id moved on (a ws_seq_gap fault)."""
    data = dict(msg["data"], u=msg["data"]["u"] + skipped, seq=msg["data"]["seq"] + skipped)
    return dict(msg, data=data)


class DepthFeed(DiffFeed):
    """``orderbook.<depth>.<symbol>``: the top ``depth`` levels; every change between two pushes
    folds into the next delta (a level that came and went in between goes out with size 0)."""

    def __init__(self, feed: "BybitFeed", market: str, depth: int, interval_s: float):
        super().__init__(feed.hub, market, interval_s, depth)
        self.feed = feed

    def snapshot_to(self, subs) -> None:
        book = self.hub.books.get(self.market)
        if book is None:
            return
        self.feed.send(subs, self._msg("snapshot", book.bids[:self.depth], book.asks[:self.depth], book.seq_no,
                                       book.last_updated_at), _book_skipped)

    def _msg(self, kind: str, bids, asks, u: int, ts: int) -> dict:
        m = self.feed.market(self.market)
        f = views.fmt(m)
        return {"topic": f"orderbook.{self.depth}.{m.name}", "type": kind, "ts": self.hub.now_ms,
                "data": {"s": m.name, "b": [[f.px(p), f.sz(q) if q else "0"] for p, q in bids],
                         "a": [[f.px(p), f.sz(q) if q else "0"] for p, q in asks], "u": u, "seq": u},
                "cts": ts}

    def emit(self) -> None:
        if self.seen <= self.last or not self.subs:
            return
        book = self.hub.books.get(self.market)
        ts = book.last_updated_at if book else self.hub.now_ms
        if self.depth == 1:
            self.take()
            msg = self._msg("snapshot", self.levels[0], self.levels[1], self.seen, ts)
        else:
            bids, asks = self.take()
            msg = self._msg("delta", bids, asks, self.seen, ts)
        self.feed.send(self.subs, msg, _book_skipped)

    def reset(self) -> None:
        self.restart()
        self.snapshot_to(self.subs)     # Bybit's answer to a restart: a fresh snapshot


class BybitFeed(VenueFeed):
    def __init__(self, hub, rules: MarketRules):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, width) -> subs; feeds: (market, depth) -> DepthFeed
        self.rules = rules
        self.tickers_sent: Dict[str, dict] = {}                    # linear market -> last ticker fields
        self.last_px: Dict[str, object] = {}

    def market(self, k: str):
        return self.rules.by_key[k]

    # ------------------------------------------------------------------ events in
    def on_snapshot(self) -> None:
        super().on_snapshot()
        for f in self.subs.feeds.values():
            f.reset()
        self.tickers_sent.clear()

    def on_tick(self) -> None:
        for (k, m, width), subs in list(self.subs.index.items()):
            if k == "kline" and subs:
                self._send_kline(m, width, subs, False)

    def on_trade(self, market: str, t) -> None:
        if market not in self.rules.by_key:
            return                      # nobody subscribed to anything of it yet
        subs = self.subs.get(("publicTrade", market, ""))
        m = self.market(market)
        if subs:
            self.send(subs, {"topic": f"publicTrade.{m.name}", "type": "snapshot", "ts": self.hub.now_ms,
                             "data": [views.ws_trade(m, t, self.last_px.get(market))]})
        self.last_px[market] = t.price

    def on_book(self, market: str, book) -> None:
        if market not in self.rules.by_key:
            return
        for (m, _), f in self.subs.feeds.items():
            if m == market:
                f.absorb(book)

    def on_summary(self, market: str, stats) -> None:
        if market not in self.rules.by_key:
            return
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

    def candle_closed(self, market: str, width: str, row: list) -> None:
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


class BybitWs(VenueWsApp):
    """Bybit's ``op`` protocol on the shared server."""

    paths = ("/v5/public/spot", "/v5/public/linear")
    not_found = "unknown path: connect to /bybit/v5/public/spot or /bybit/v5/public/linear\n"
    op_field = "op"
    ops = {"ping": "_ping", "subscribe": "_request", "unsubscribe": "_request"}

    def make_feed(self, ctx):
        self.rules = MarketRules(ctx.hub, VENUE, getattr(getattr(ctx, "source", None), "exchange", None),
                                 ctx.config.fixtures_dir, mk.load, mk.add_symbol)
        return BybitFeed(ctx.hub, self.rules)

    async def opened(self, conn) -> None:
        from urllib.parse import urlsplit
        path = urlsplit(conn.ws.request.path).path.rstrip("/")
        conn.category = path.rsplit("/", 1)[-1]
        conn.conn_id = str(uuid.uuid5(CONN_NS, str(conn.serial)))

    def _reply(self, conn, op: str, req_id, success: bool, ret_msg: str) -> None:
        out = {"success": success, "ret_msg": ret_msg, "conn_id": conn.conn_id}
        if req_id is not None:
            out["req_id"] = req_id
        out["op"] = op
        conn.push(dumps(out))

    # ------------------------------------------------------------------ requests
    def bad_json(self, req: Request) -> WsError:
        return WsError("error:request not json", op="")

    not_object = bad_json

    def op_of(self, req: Request):
        req.rid = req.msg.get("req_id")
        return req.msg.get("op")

    def unknown_op(self, req: Request) -> WsError:
        return WsError(f"error:unknown op {req.op}", op=str(req.op))

    def refused(self, req: Request, e: WsError) -> None:
        self._reply(req.conn, req.op if e.op is None else e.op, req.rid, False, str(e))

    async def _ping(self, req: Request) -> None:
        self._reply(req.conn, "ping", req.rid, True, "pong")

    async def _request(self, req: Request) -> None:
        conn, op = req.conn, req.op
        args = req.msg.get("args")
        if not isinstance(args, list) or not args:
            raise WsError("error:args is empty")
        if conn.category == "spot" and len(args) > MAX_ARGS_SPOT:
            raise WsError(f"error:args size >{MAX_ARGS_SPOT}")
        if op == "unsubscribe":
            for t in args:
                if isinstance(t, str):
                    self.unsubscribe(conn, t)
            self._reply(conn, op, req.rid, True, "")
            return
        await self.wait_ready()
        self.rules.sync()
        channels = [parse_topic(t, conn.category, self.rules.by_key) for t in args]
        for c in channels:
            if c.name in conn.subs:
                raise WsError(f"error:already subscribed,topic:{c.name}")
        self._reply(conn, op, req.rid, True, "subscribe" if conn.category == "spot" else "")
        for c in channels:
            if not conn.closing:
                conn.subs[c.name] = self.feed.add(conn, c)
