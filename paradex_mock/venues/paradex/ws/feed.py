"""Paradex's WS channels: the fan-out of the shared hub's events to Paradex subscribers.

``ParadexFeed`` follows the shared ``ws.hub.Hub`` (fed by a source, in-process or from the HTTP
process's stream). It never computes prices of its own: it renders events in Paradex's shapes,
forwards, throttles (order books) and diffs (order-book deltas). Subscribers are reached through
``conn.push(frame)``, which never blocks: a JSON text frame, or, for a connection that negotiated
SBE (``session.sbe_version_of(conn)``), a binary frame of the same payload (``sbe.py``) on the
channels that have an SBE message; the others stay JSON there too.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Dict, List, Optional, Set, Tuple

from ....engine.numbers import fmt
from ....ws.hub import Binary, Hub
from ....ws.market import MarketFeed
from .. import views
from . import sbe
from .protocol import ORDER_BOOK_DEPTH, Channel, notification_frame
from .session import sbe_version_of

log = logging.getLogger("paradex_mock.ws")

# event kinds forwarded to channel subscribers as they are rendered (book goes through BookFeed)
DISPATCHED = frozenset({"trade", "summary", "funding_data", "order", "fill", "position", "account",
                        "balance_event", "funding_payment", "transfer", "tradebust"})


class Sub:
    """One channel subscription of one connection."""
    __slots__ = ("conn", "channel", "account", "markets")

    def __init__(self, conn, channel: Channel, account: Optional[str], markets: Optional[Set[str]] = None):
        self.conn = conn
        self.channel = channel
        self.account = account
        self.markets = markets        # markets_summary's scoped mode: the markets it passes (None: all)


# ------------------------------------------------------------------------------- order books
Levels = Dict[str, List[Tuple[str, str]]]      # side -> [(price, size)] best first


def book_levels(view: dict, tick: Optional[Decimal], depth: int = ORDER_BOOK_DEPTH) -> Levels:
    """The book view's levels, optionally grouped into ``tick``-wide buckets (bids round down,
    asks up, sizes summed). Grouping works on the top levels the exchange publishes."""
    out: Levels = {}
    for side, key, rounding in (("BUY", "bids", ROUND_FLOOR), ("SELL", "asks", ROUND_CEILING)):
        rows = view.get(key) or []
        if tick is None:
            out[side] = [(p, s) for p, s in rows[:depth]]
            continue
        buckets: Dict[Decimal, Decimal] = {}
        for p, s in rows:
            b = (Decimal(p) / tick).to_integral_value(rounding=rounding) * tick
            buckets[b] = buckets.get(b, Decimal(0)) + Decimal(s)
        out[side] = [(fmt(p), fmt(s)) for p, s in list(buckets.items())[:depth]]
    return out


def _rows(levels: Levels) -> List[dict]:
    return [{"side": side, "price": p, "size": s} for side in ("BUY", "SELL") for p, s in levels[side]]


class BookFeed:
    """One ``order_book`` variant of one market (feed, rate, tick), shared by its subscribers.

    Emits when the book changed, at most once per ``rate_ms``. The snapshot and interactive feeds
    send the whole top 15 each time (update_type "s"); the deltas feed sends an "s" first (and
    after every resync) and then "d" messages relative to the previous emission."""

    def __init__(self, hub: "ParadexFeed", key: tuple):
        self.hub = hub
        self.key = key
        market, feed, rate_ms, tick = key
        self.market = market
        self.feed = feed
        self.rate = rate_ms / 1000.0
        self.tick = tick
        self.subs: Set[Sub] = set()
        self.levels: Optional[Levels] = None      # what the deltas feed last sent
        self.meta: Tuple[int, int] = (0, 0)       # (seq_no, last_updated_at) of that emission
        self.last_emit = -math.inf
        self.handle: Optional[asyncio.TimerHandle] = None
        self.resync = True
        self.emitted_at: deque = deque(maxlen=256)   # loop times of recent emissions (observability)

    # payloads
    def _head(self, seq_no: int, updated: int, kind: str) -> dict:
        return {"market": self.market, "seq_no": seq_no, "last_updated_at": updated, "update_type": kind}

    def _snapshot_payload(self, view: dict, levels: Levels) -> dict:
        data = self._head(view["seq_no"], view["last_updated_at"], "s")
        data.update(inserts=_rows(levels), updates=[], deletes=[])
        if self.feed == "interactive":
            bid = levels["BUY"][0] if levels["BUY"] else None
            ask = levels["SELL"][0] if levels["SELL"] else None
            for name, side, lvl in (("bid", "BUY", bid), ("ask", "SELL", ask)):
                obj = {"side": side, "price": lvl[0], "size": lvl[1]} if lvl else None
                data[f"best_{name}_api"] = obj
                data[f"best_{name}_interactive"] = obj
            if bid and ask:
                b, a = Decimal(bid[0]), Decimal(ask[0])
                data["relative_spread"] = fmt(((a - b) / ((a + b) / 2)).quantize(Decimal("1e-10")))
            else:
                data["relative_spread"] = ""
        return data

    def _delta_payload(self, view: dict, levels: Levels) -> Optional[dict]:
        inserts, updates, deletes = [], [], []
        for side in ("BUY", "SELL"):
            old = dict(self.levels[side])
            new = dict(levels[side])
            for p, s in levels[side]:
                if p not in old:
                    inserts.append({"side": side, "price": p, "size": s})
                elif old[p] != s:
                    updates.append({"side": side, "price": p, "size": s})
            for p, _ in self.levels[side]:
                if p not in new:
                    deletes.append({"side": side, "price": p, "size": "0"})
        data = self._head(view["seq_no"], view["last_updated_at"], "d")
        data.update(inserts=inserts, updates=updates, deletes=deletes)
        return data

    # scheduling
    def changed(self) -> None:
        if not self.subs or self.handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self.last_emit + self.rate - loop.time())
        self.handle = loop.call_later(delay, self._emit)

    def _emit(self) -> None:
        self.handle = None
        view = self.hub.book_view(self.market)
        if view is None or not self.subs:
            return
        levels = book_levels(view, self.tick)
        if self.feed == "deltas" and not self.resync and self.levels is not None:
            if (view["seq_no"], view["last_updated_at"]) == self.meta:
                return
            data = self._delta_payload(view, levels)
        else:
            data = self._snapshot_payload(view, levels)
        self.levels = levels
        self.meta = (view["seq_no"], view["last_updated_at"])
        self.resync = False
        self.last_emit = asyncio.get_running_loop().time()
        self.emitted_at.append(self.last_emit)
        self.hub.send(self.subs, data, "book")

    def initial(self, sub: Sub) -> None:
        """A new subscriber's first message: a full snapshot. For the deltas feed it is the state
        the feed last sent, so the deltas that follow apply to it exactly."""
        view = self.hub.book_view(self.market)
        if view is None:
            return
        if self.feed == "deltas" and self.levels is not None and not self.resync:
            seq_no, updated = self.meta
            data = self._snapshot_payload({"seq_no": seq_no, "last_updated_at": updated}, self.levels)
        else:
            levels = book_levels(view, self.tick)
            data = self._snapshot_payload(view, levels)
            if self.feed == "deltas" and self.levels is None:
                # nobody has had anything from this feed yet: its deltas continue from here. (After
                # a resync the pending emission sends every subscriber a fresh "s" instead.)
                self.levels, self.meta, self.resync = levels, (view["seq_no"], view["last_updated_at"]), False
        self.hub.send([sub], data, "book")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


# ------------------------------------------------------------------------------- the feed
def _sequenced(data, skipped: int):
    if isinstance(data, dict) and isinstance(data.get("seq_no"), int):
        return dict(data, seq_no=data["seq_no"] + skipped)
    return data


# bus event kind -> the SBE message its channel is sent as (kinds not here stay JSON on SBE connections)
SBE_TEMPLATE = {"trade": 1, "bbo": 2, "book": 3, "summary": 4, "funding_data": 5, "order": 20, "fill": 21,
                "position": 22, "account": 23}


class SbeFrames:
    """``hub.deliver``'s frame function for one SBE message at one schema version."""
    __slots__ = ("layout", "ctx")

    def __init__(self, layout: sbe.Layout, ctx: dict):
        self.layout = layout
        self.ctx = ctx

    def __call__(self, name: str, data: dict) -> Binary:
        return Binary(self.layout.encode(data, self.ctx))

    describe = staticmethod(sbe.describe)      # the journal's account of a frame a fault hit


class ParadexFeed(MarketFeed):
    """Paradex's channels on the shared ``ws.hub.Hub``: renders the hub's events in Paradex's
    shapes (``views``) and sends them to the channels' subscribers."""

    def __init__(self, hub: Hub):
        super().__init__(hub)
        # self.subs index: (event kind, market or None, account or None) -> subs; feeds: book key -> BookFeed
        self.bbos: Dict[str, dict] = {}           # the BBO last sent per market
        self._views: Dict[str, tuple] = {}        # market -> (BookUpdate, its 15-level view)
        self._sbe_subs = 0                        # subscriptions of SBE connections (0: the all-JSON path)

    @property
    def markets(self) -> List[str]:
        return self.hub.markets_of("paradex")

    def book_view(self, market: str) -> Optional[dict]:
        """The market's book in Paradex's shape, top ``ORDER_BOOK_DEPTH`` levels."""
        update = self.hub.books.get(market)
        if update is None:
            return None
        cached = self._views.get(market)
        if cached is not None and cached[0] is update:
            return cached[1]
        view = views.orderbook(update, ORDER_BOOK_DEPTH)
        self._views[market] = (update, view)
        return view

    def send(self, subs, data: dict, kind: Optional[str] = None, ev: Optional[dict] = None) -> None:
        """Deliver ``data`` (a ``kind`` event's payload, rendered by ``views``) to ``subs``: JSON
        text frames, and SBE frames to the subscribers whose connection negotiated SBE."""
        template = SBE_TEMPLATE.get(kind) if self._sbe_subs else None
        if template is None:
            self.hub.deliver(subs, data, notification_frame, _sequenced)
            return
        plain, by_version = [], {}
        for sub in subs:
            v = sbe_version_of(sub.conn)
            if v is None:
                plain.append(sub)
            else:
                by_version.setdefault(v, []).append(sub)
        if plain:
            self.hub.deliver(plain, data, notification_frame, _sequenced)
        ctx = self._sbe_context(kind, data, ev)
        for v, group in by_version.items():
            self.hub.deliver(group, data, SbeFrames(sbe.layout(template, v), ctx), _sequenced)

    def _sbe_context(self, kind: str, data: dict, ev: Optional[dict]) -> dict:
        """What an SBE message carries that its JSON payload does not (see sbe.py)."""
        ctx = {"seq": ev["seq"] if ev is not None else self.hub.last_seq, "book_seq": 0, "trade_id": ""}
        if kind == "trade":
            book = self.hub.books.get(data.get("market"))
            ctx["book_seq"] = book.seq_no if book is not None else 0
        elif kind == "fill" and ev is not None:
            ctx["trade_id"] = getattr(ev["data"], "trade_id", "") or ""
        return ctx

    # ------------------------------------------------------------------ events in
    def on_snapshot(self) -> None:
        for feed in self.subs.feeds.values():       # subscribers of state channels learn the resynced state
            feed.resync = True
            feed.changed()
        old = self.bbos
        self.bbos = {m: views.bbo(u) for m, u in self.hub.books.items() if self.hub.venue_of.get(m) == "paradex"}
        for m, bbo in self.bbos.items():
            if old.get(m) != bbo:
                self._dispatch("bbo", m, None, bbo, None)

    def on_event(self, ev: dict) -> None:
        kind = ev.get("kind")
        market = ev.get("market")
        if market is not None and self.hub.venue_of.get(market, "paradex") != "paradex":
            return
        if kind == "book":
            for feed in list(self.subs.feeds.values()):
                if feed.market == market:
                    feed.changed()
            bbo = self.bbos[market] = views.bbo(ev["data"])
            self._dispatch("bbo", market, None, bbo, ev)
            return
        if kind == "reset":
            for feed in self.subs.feeds.values():
                feed.resync = True
            return
        if kind in DISPATCHED:
            self._dispatch(kind, market, ev.get("account"), views.render(kind, ev["data"]), ev)
            if kind == "fill" and self.subs.index:     # each fill settles in a transaction of its own
                self._dispatch("transaction", market, ev.get("account"), views.render("transaction", ev["data"]), ev)
        elif kind == "markets":
            data = ev["data"]
            if data.get("venue", "paradex") == "paradex":
                self._dispatch("markets", data["added"], None, views.render("markets", data), ev)
        elif kind == "rfq":                        # rfq.{id} subscribers are indexed under the id
            data = ev["data"]
            self._dispatch("rfq", data["rfq_id"], ev.get("account"), views.rfq_event(data, ev["seq"]), ev)

    def _dispatch(self, kind: str, market: Optional[str], account: Optional[str], data: dict,
                  ev: Optional[dict]) -> None:
        subs = self.subs.get((kind, market, account)) if market is not None else None
        subs_all = self.subs.get((kind, None, account))
        if subs_all and kind == "summary" and any(s.markets is not None for s in subs_all):
            subs_all = [s for s in subs_all if s.markets is None or market in s.markets]
        if subs:
            self.send(subs, data, kind, ev)
        if subs_all:
            self.send(subs_all, data, kind, ev)

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account: Optional[str], markets: Optional[Set[str]] = None) -> Sub:
        """Register a subscription and send its initial state (book, bbo, summaries, funding).
        ``markets``: markets_summary's scoped mode, the markets it passes."""
        sub = Sub(conn, channel, account if channel.private else None, markets)
        if sbe_version_of(conn) is not None:
            self._sbe_subs += 1
        if channel.kind == "order_book":
            self.subs.join(sub, channel.book_key, lambda: BookFeed(self, channel.book_key)).initial(sub)
            return sub
        self.subs.add(sub, None if channel.event is None else (channel.event, channel.market, sub.account))
        if channel.kind in ("bbo", "markets_summary", "funding_data"):
            self._initial(sub, [channel.market] if channel.market else
                          [m for m in self.markets if markets is None or m in markets])
        return sub

    def _initial(self, sub: Sub, markets) -> None:
        hub = self.hub
        store, render = {"bbo": (self.bbos, None), "markets_summary": (hub.stats, views.market_summary),
                         "funding_data": (hub.funding, views.funding_data)}[sub.channel.kind]
        for m in markets:
            if m in store:
                self.send([sub], render(store[m]) if render else store[m], sub.channel.event)

    def modify(self, sub: Sub, add, remove) -> None:
        """modify_subscription: change a scoped markets_summary subscription's markets in place;
        the markets added get their current summary, as a subscribe sends it."""
        new = [m for m in add if m not in sub.markets]
        sub.markets.difference_update(remove)
        sub.markets.update(add)
        self._initial(sub, [m for m in new if m in sub.markets])

    def remove(self, sub: Sub) -> None:
        if sub in self.subs and sbe_version_of(sub.conn) is not None:
            self._sbe_subs -= 1
        super().remove(sub)


# the private `mmp` channel: MMP state changes, rendered by views.mmp_config (kept apart from
# the set above so the channels added beside it stay separate changes)
DISPATCHED = DISPATCHED | {"mmp"}
