"""OKX v5 public WebSocket: ``/okx/ws/v5/public`` and ``/okx/ws/v5/business``.

Requests ``{"op": "subscribe"|"unsubscribe", "args": [{"channel", "instId"}], "id"?}`` are acked
per argument ``{"event": "subscribe", "arg": {...}, "connId"}``; refusals are
``{"event": "error", "code": "60012"|"60018", "msg", "connId"}``; the text ``ping`` gets ``pong``.

Public channels: ``trades``, ``books`` (a 400-level snapshot, then updates every 100 ms whose
``prevSeqId`` is the previous message's ``seqId``, each with OKX's CRC32 ``checksum`` of the top
25 levels after it), ``books5``, ``bbo-tbt``, ``tickers``, ``funding-rate``, ``mark-price``.
Business: ``candle<bar>`` for the UTC bars (1m ... 4H, 6Hutc ... 1Mutc), pushed every exchange
tick and with ``confirm: "1"`` when the bar closes. Candle channels on the public URL (and the
others on the business URL) are refused with 60018, as OKX does.
"""
from __future__ import annotations

import uuid
from typing import Dict, Optional

from ...engine import candles as cdl
from ...ws.market import StreamFeed, Sub
from ...ws.venue_app import CodedRefusal, Request, VenueWsApp, dumps
from ...ws.venue_feed import DiffFeed, MarketRules, VenueFeed
from . import markets as mk
from . import views
from .markets import VENUE, key

PUBLIC = ("trades", "books", "books5", "bbo-tbt", "tickers", "funding-rate", "mark-price")
CANDLE_BARS = {b: w for b, (w, off) in views.BARS.items() if not off}      # bar -> engine width
BAR_OF = {w: b for b, w in CANDLE_BARS.items()}
BOOK_DEPTH = 400
FUNDING_EVERY_MS = 60_000
CONN_NS = uuid.UUID("0c2f3f0a-5e55-4f0b-9a0b-6f6b78000001")


class WsError(CodedRefusal):
    pass


class Channel:
    __slots__ = ("name", "kind", "market", "width", "arg", "private")

    def __init__(self, name, kind, market, arg, width=""):
        self.name, self.kind, self.market, self.arg, self.width, self.private = name, kind, market, arg, width, False


def _books_skipped(msg: dict, skipped: int) -> dict:
    """A books message with its sequence moved on (a ws_seq_gap fault): the client sees a
    ``prevSeqId`` that is not the ``seqId`` it holds."""
    d = msg["data"][0]
    moved = dict(d, seqId=d["seqId"] + skipped, prevSeqId=d["prevSeqId"] if d["prevSeqId"] == -1 else d["prevSeqId"] + skipped)
    return dict(msg, data=[moved])


def parse_arg(a, url: str, markets: dict) -> Channel:
    if not isinstance(a, dict) or not isinstance(a.get("channel"), str):
        raise WsError("60012", f"Invalid request: {dumps(a)}")
    channel, inst = a["channel"], a.get("instId")
    wrong = WsError("60018", f"Wrong URL or channel:{channel},instId:{inst} doesn't exist. Please use the correct "
                             "URL, channel and parameters referring to API document.")
    if channel.startswith("candle"):
        if url != "business" or channel[6:] not in CANDLE_BARS:
            raise wrong
        kind, width = "candle", CANDLE_BARS[channel[6:]]
    elif channel in PUBLIC:
        if url != "public":
            raise wrong
        kind, width = channel, ""
    else:
        raise wrong
    k = key(inst) if isinstance(inst, str) else ""
    m = markets.get(k)
    if m is None or (kind in ("funding-rate", "mark-price") and m.kind == "spot"):
        raise wrong
    return Channel(f"{channel}:{inst}", kind, k, {"channel": channel, "instId": inst}, width)


class BooksFeed(DiffFeed):
    """``books``: every change between two pushes folds into the next update (a level that came
    and went in between goes as size 0); ``sent`` is the book as of the last push, which is what
    a new subscriber's snapshot shows, so the next update's ``prevSeqId`` is its ``seqId``."""

    def __init__(self, feed: "OkxFeed", market: str):
        self.feed = feed
        super().__init__(feed.hub, market, 0.1, BOOK_DEPTH)

    def restart(self) -> None:
        super().restart()
        book = self.hub.books.get(self.market)
        self.sent = self.levels
        self.ts = book.last_updated_at if book else 0

    def _wire(self, rows) -> list:
        m = self.feed.market(self.market)
        return [[views.plain(p), views.sz(m, q), "0", "0" if q == 0 else "1"] for p, q in rows]

    def snapshot_to(self, subs) -> None:
        bids, asks = self._wire(self.sent[0]), self._wire(self.sent[1])
        self.feed.send(subs, {"arg": {"channel": "books", "instId": self.feed.market(self.market).name},
                              "action": "snapshot",
                              "data": [{"asks": asks, "bids": bids, "ts": str(self.ts), "checksum": views.checksum(bids, asks),
                                        "prevSeqId": -1, "seqId": self.last}]}, _books_skipped)

    def absorb(self, book) -> None:
        if book.seq_no > self.seen:
            self.ts = book.last_updated_at
        super().absorb(book)

    def emit(self) -> None:
        if self.seen <= self.last or not self.subs:
            return
        prev = self.last
        bids, asks = self.take()
        bids, asks = self._wire(bids), self._wire(asks)
        full_b, full_a = self._wire(self.levels[0][:25]), self._wire(self.levels[1][:25])
        msg = {"arg": {"channel": "books", "instId": self.feed.market(self.market).name}, "action": "update",
               "data": [{"asks": asks, "bids": bids, "ts": str(self.ts), "checksum": views.checksum(full_b, full_a),
                         "prevSeqId": prev, "seqId": self.seen}]}
        self.sent = self.levels
        self.feed.send(self.subs, msg, _books_skipped)


class TopFeed(StreamFeed):
    """``books5`` (5 levels, every 100 ms on change) and ``bbo-tbt`` (1 level, every 10 ms)."""

    def __init__(self, feed: "OkxFeed", market: str, channel: str):
        super().__init__(0.1 if channel == "books5" else 0.01)
        self.feed, self.market, self.channel = feed, market, channel
        self.depth = 5 if channel == "books5" else 1
        self.sent_top = None

    def render(self) -> Optional[dict]:
        book = self.feed.hub.books.get(self.market)
        if book is None:
            return None
        m = self.feed.market(self.market)
        data = {"asks": views.levels(m, book.asks, self.depth), "bids": views.levels(m, book.bids, self.depth)}
        if self.channel == "books5":
            data["instId"] = m.name
        data.update(ts=str(book.last_updated_at), seqId=book.seq_no)
        return {"arg": {"channel": self.channel, "instId": m.name}, "data": [data]}

    def send_to(self, subs) -> None:
        msg = self.render()
        if msg is not None:
            self.feed.send(subs, msg)

    def emit(self) -> None:
        book = self.feed.hub.books.get(self.market)
        if book is None or not self.subs:
            return
        top = (book.bids[:self.depth], book.asks[:self.depth])
        if top == self.sent_top:
            return
        self.sent_top = top
        self.send_to(self.subs)


class OkxFeed(VenueFeed):
    def __init__(self, hub, rules: MarketRules, sod8=None):
        super().__init__(hub, VENUE)
        # self.subs index: (kind, market, width) -> subs; feeds: (kind, market) -> BooksFeed / TopFeed
        self.rules = rules
        self.sod8 = sod8                     # market, now -> the Hong Kong day's opening price (in-process)
        self.last_size: Dict[str, object] = {}
        self.sent: Dict[tuple, object] = {}                      # (kind, market) -> what was last pushed

    def market(self, k: str):
        return self.rules.by_key[k]

    # ------------------------------------------------------------------ events in
    def on_snapshot(self) -> None:
        super().on_snapshot()
        for (kind, _), f in self.subs.feeds.items():
            if kind == "books":
                f.restart()
                f.snapshot_to(f.subs)

    def on_tick(self) -> None:
        for (k, m, width), subs in list(self.subs.index.items()):
            if k == "candle" and subs:
                self._send_candle(m, width, subs)

    def on_trade(self, market: str, t) -> None:
        self.last_size[market] = t.size
        if market not in self.rules.by_key:
            return
        subs = self.subs.get(("trades", market, ""))
        if subs:
            m = self.market(market)
            self.send(subs, {"arg": {"channel": "trades", "instId": m.name},
                             "data": [dict(views.trade(m, t), count="1", seqId=t.seq)]})

    def on_book(self, market: str, book) -> None:
        if market not in self.rules.by_key:
            return
        f = self.subs.feeds.get(("books", market))
        if f is not None:
            f.absorb(book)
        for (kind, m), t in self.subs.feeds.items():
            if m == market and kind != "books":
                t.throttle.poke()

    def on_summary(self, market: str, stats) -> None:
        if market not in self.rules.by_key:
            return
        for what in ("tickers", "mark-price", "funding-rate"):
            subs = self.subs.get((what, market, ""))
            if subs:
                self._push(what, market, subs)

    def _render(self, what: str, market: str) -> Optional[dict]:
        m, s = self.market(market), self.hub.stats.get(market)
        if s is None:
            return None
        if what == "tickers":
            row = self.candles.row(market, "1d")
            sod0 = row[1 + cdl.O] if row else s.open_24h
            sod8 = self.sod8(market, self.hub.now_ms) if self.sod8 is not None else None
            out = views.ticker(m, s, self.hub.books.get(market), self.last_size.get(market), sod0, sod8 or 0)
            if sod8 is None:
                out.pop("sodUtc8")
            return out
        if what == "mark-price":
            return views.mark_price(m, s)
        return views.funding_rate(m, s, self.hub.now_ms)

    def _push(self, what: str, market: str, subs, force: bool = False) -> None:
        data = self._render(what, market)
        if data is None:
            return
        if not force:
            last = self.sent.get((what, market))
            if what == "mark-price" and last is not None and last["markPx"] == data["markPx"]:
                return
            if what == "funding-rate" and last is not None and last["fundingRate"] == data["fundingRate"] and \
                    int(data["ts"]) - int(last["ts"]) < FUNDING_EVERY_MS:
                return
            self.sent[(what, market)] = data
        self.send(subs, {"arg": {"channel": what, "instId": self.market(market).name}, "data": [data]})

    def candle_closed(self, market: str, width: str, row: list) -> None:
        subs = self.subs.get(("candle", market, width))
        if subs:
            self._send_candle(market, width, subs, row)

    def _send_candle(self, market: str, width: str, subs, row=None) -> None:
        """The bar open now, or (``row`` given) one that just closed: confirmed, whatever the
        hub's clock says yet (a trade in the next bar can close it before the tick arrives)."""
        closed = row is not None
        row = row or self.candles.row(market, width)
        if row is None or market not in self.rules.by_key:
            return
        m = self.market(market)
        data = views.candle_row(m, row, self.hub.now_ms, cdl.STANDARD[width], 0)
        data[8] = "1" if closed else "0"
        self.send(subs, {"arg": {"channel": "candle" + BAR_OF[width], "instId": m.name}, "data": [data]})

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account=None) -> Sub:
        sub, ch = Sub(conn, channel), channel
        if ch.kind == "books":
            self.subs.join(sub, (ch.kind, ch.market), lambda: BooksFeed(self, ch.market)).snapshot_to([sub])
        elif ch.kind in ("books5", "bbo-tbt"):
            self.subs.join(sub, (ch.kind, ch.market), lambda: TopFeed(self, ch.market, ch.kind)).send_to([sub])
        else:
            self.subs.add(sub, (ch.kind, ch.market, ch.width))
            if ch.kind in ("tickers", "mark-price", "funding-rate"):
                self._push(ch.kind, ch.market, [sub], force=True)
        return sub


class OkxWs(VenueWsApp):
    """OKX's ``op`` protocol on the shared server."""

    paths = ("/ws/v5/public", "/ws/v5/business")
    not_found = "unknown path: connect to /okx/ws/v5/public or /okx/ws/v5/business\n"
    op_field = "op"
    ops = {"subscribe": "_request", "unsubscribe": "_request"}

    def make_feed(self, ctx):
        self.exchange = getattr(getattr(ctx, "source", None), "exchange", None)
        self.rules = MarketRules(ctx.hub, VENUE, self.exchange, ctx.config.fixtures_dir, mk.load, mk.add_symbol)
        self._sod: Dict[tuple, object] = {}
        return OkxFeed(ctx.hub, self.rules, self._sod8 if self.exchange is not None else None)

    def _sod8(self, market: str, now: int):
        """The Hong Kong day's opening price (``sodUtc8``), once a day per market, from the
        engine's candles (in-process only: a separate WS process has no history)."""
        day = cdl.STANDARD["1d"].start(now + views.HK_MS) - views.HK_MS
        got = self._sod.get((market, day))
        if got is None:
            rows = self.exchange.candles(market, cdl.minutes(60), day, day, fill_gaps=True)
            got = self._sod[(market, day)] = rows[0][1 + cdl.O] if rows else self.hub.stats[market].last_price
        return got

    async def opened(self, conn) -> None:
        from urllib.parse import urlsplit
        conn.url_kind = urlsplit(conn.ws.request.path).path.rstrip("/").rsplit("/", 1)[-1]
        conn.conn_id = uuid.uuid5(CONN_NS, str(conn.serial)).hex[:8]

    def _error(self, conn, code: str, msg: str, rid=None) -> None:
        body = {"event": "error", "code": code, "msg": msg, "connId": conn.conn_id}
        if rid is not None:
            body["id"] = rid
        conn.push(dumps(body))

    # ------------------------------------------------------------------ requests
    def accepts(self, req: Request) -> bool:
        if req.raw == "ping":
            req.conn.push("pong")
            return False
        return True

    def bad_json(self, req: Request) -> WsError:
        raw = req.raw
        return WsError("60012", f"Invalid request: {raw if isinstance(raw, str) else raw[:64]!r}"[:200])

    def not_object(self, req: Request) -> WsError:
        return WsError("60012", f"Invalid request: {req.raw}"[:200])

    unknown_op = not_object

    def refused(self, req: Request, e: WsError) -> None:
        self._error(req.conn, e.code, e.text, req.rid)

    async def _request(self, req: Request) -> None:
        conn, op = req.conn, req.op
        req.rid, args = req.msg.get("id"), req.msg.get("args")
        if not isinstance(args, list) or not args:
            raise WsError("60012", f"Invalid request: {req.raw}"[:200])
        await self.wait_ready()
        self.rules.sync()
        for a in args:
            try:
                ch = parse_arg(a, conn.url_kind, self.rules.by_key)
            except WsError as e:
                self.refused(req, e)
                continue
            ack = {"id": req.rid} if req.rid is not None else {}
            ack.update(event=op, arg=ch.arg, connId=conn.conn_id)
            conn.push(dumps(ack))
            if op == "subscribe":
                self.subscribe(conn, ch)
            else:
                self.unsubscribe(conn, ch.name)
