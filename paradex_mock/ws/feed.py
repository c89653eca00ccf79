"""The WS side's view of the exchange: the latest market state and the fan-out to subscribers.

A ``Hub`` lives on the WS server's asyncio loop. A source (``sources.LocalSource`` in-process,
``sources.RemoteSource`` from the HTTP process's stream) feeds it snapshots and bus events; the
hub never computes prices of its own, it only forwards, throttles (order books) and diffs
(order-book deltas). Subscribers are reached through ``conn.push(text)``, which never blocks.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections import defaultdict, deque
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Dict, List, Optional, Set, Tuple

from ..engine.numbers import fmt
from .protocol import ORDER_BOOK_DEPTH, Channel, notification_frame

log = logging.getLogger("paradex_mock.ws")

# Event kinds that describe state the snapshot already contains: after a snapshot taken at seq S,
# such events with seq <= S are stale and skipped. Everything else (trades, private events) is
# forwarded once, by seq.
STATE_KINDS = frozenset({"book", "bbo", "summary", "funding_data"})
# event kinds forwarded to channel subscribers as they are (book goes through BookFeed)
SEQ_GAP = 10              # seq_no numbers a ws_seq_gap fault skips on its channel
FAULT_CLOSE_CODE = 1011   # ws_disconnect: "internal error", as a crashing server would close
DISPATCHED = frozenset({"trade", "bbo", "summary", "funding_data", "order", "fill", "position", "account",
                        "balance_event", "funding_payment"})


def build_snapshot(ex) -> dict:
    """The latest public market state, consistent with ``ex.bus.seq``. Caller holds ``ex.lock``."""
    from .. import views
    now = ex.clock.now_ms()
    markets = {}
    for sym, st in ex.states.items():
        if hasattr(ex, "_funding_row"):      # the exact row the exchange publishes on each tick
            funding = ex._funding_row(st, now, st.funding_rate, st.funding_index)
        else:  # pragma: no cover - older engines
            funding = dict(st.funding_history[-1]) if st.funding_history else None
        markets[sym] = {"book": views.orderbook(ex, sym, ORDER_BOOK_DEPTH), "bbo": views.bbo(ex, sym),
                        "summary": views.market_summary(ex, sym), "funding_data": funding,
                        "price_tick_size": views.fmt(ex.markets[sym].tick)}   # order_book groupings
    return {"seq": ex.bus.seq, "epoch": ex.bus.epoch, "now_ms": now,
            "clock": "manual" if ex.clock.manual else "real", "markets": markets}


class Sub:
    """One channel subscription of one connection."""
    __slots__ = ("conn", "channel", "account", "key", "feed")

    def __init__(self, conn, channel: Channel, account: Optional[str]):
        self.conn = conn
        self.channel = channel
        self.account = account
        self.key: Optional[tuple] = None
        self.feed: Optional["BookFeed"] = None


def _send(subs, data: dict) -> None:
    """Notify every subscriber, serialising once per distinct channel name."""
    frames: Dict[str, str] = {}
    for sub in list(subs):
        name = sub.channel.name
        frame = frames.get(name)
        if frame is None:
            frame = frames[name] = notification_frame(name, data)
        sub.conn.push(frame)


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

    def __init__(self, hub: "Hub", key: tuple):
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
        view = self.hub.books.get(self.market)
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
        self.hub.send(self.subs, data)

    def initial(self, sub: Sub) -> None:
        """A new subscriber's first message: a full snapshot. For the deltas feed it is the state
        the feed last sent, so the deltas that follow apply to it exactly."""
        view = self.hub.books.get(self.market)
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
        self.hub.send([sub], data)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


# ------------------------------------------------------------------------------- the hub
class Hub:
    def __init__(self):
        self.markets: List[str] = []
        self.books: Dict[str, dict] = {}
        self.bbos: Dict[str, dict] = {}
        self.summaries: Dict[str, dict] = {}
        self.funding: Dict[str, dict] = {}
        self.ticks: Dict[str, str] = {}  # market -> price_tick_size (the order_book groupings it offers)
        self.last_seq = 0          # highest event seq applied (de-duplication)
        self.snap_seq = 0          # seq of the latest snapshot (state events up to it are stale)
        self.epoch = None
        self.instance = None       # the upstream exchange instance (remote mode)
        self.clock = "real"
        self.now_ms = 0
        self.ready = asyncio.Event()
        self.connected = False     # remote mode: the stream is up
        self.events_applied = 0
        self.snapshots_loaded = 0
        self.faults = None         # the fault plan as last published (a dict)
        self.fault_plan = None     # FaultPlan applied to notifications (shared in-process)
        self.fault_plan_shared = False
        self.seq_offsets: Dict[str, int] = {}   # channel -> seq_no skipped by ws_seq_gap faults
        self._index: Dict[tuple, Set[Sub]] = defaultdict(set)
        self._feeds: Dict[tuple, BookFeed] = {}
        self._subs: Set[Sub] = set()

    # ------------------------------------------------------------------ state in
    def load_snapshot(self, snap: dict, continuous: bool) -> None:
        """Replace the market state. ``continuous``: the event stream goes on without a gap (a
        resnapshot after a reset), so de-duplication keeps its place; otherwise it restarts at
        the snapshot's seq."""
        markets = snap.get("markets") or {}
        self.markets = list(markets)
        old_bbos = self.bbos
        self.books = {m: v["book"] for m, v in markets.items() if v.get("book")}
        self.bbos = {m: v["bbo"] for m, v in markets.items() if v.get("bbo")}
        self.summaries = {m: v["summary"] for m, v in markets.items() if v.get("summary")}
        self.funding = {m: v["funding_data"] for m, v in markets.items() if v.get("funding_data")}
        self.ticks = {m: v["price_tick_size"] for m, v in markets.items() if v.get("price_tick_size")}
        seq = int(snap.get("seq", 0))
        self.snap_seq = seq
        if not continuous:
            self.last_seq = seq
        self.epoch = snap.get("epoch", self.epoch)
        if "faults" in snap:
            self.set_faults(snap["faults"])
        self._clock(snap)
        self.snapshots_loaded += 1
        # subscribers of state channels learn the resynced state
        for feed in self._feeds.values():
            feed.resync = True
            feed.changed()
        for m, bbo in self.bbos.items():
            if old_bbos.get(m) != bbo:
                self._dispatch("bbo", m, None, bbo)
        self.ready.set()

    def _clock(self, info: dict) -> None:
        if info.get("clock") in ("manual", "real"):
            self.clock = info["clock"]
        if isinstance(info.get("now_ms"), int):
            self.now_ms = info["now_ms"]

    def heartbeat(self, info: dict) -> None:
        self._clock(info)

    def apply(self, ev: dict) -> None:
        seq = ev.get("seq", 0)
        if seq <= self.last_seq:
            return
        self.last_seq = seq
        kind = ev.get("kind")
        if kind in STATE_KINDS and seq <= self.snap_seq:
            return
        self.events_applied += 1
        market = ev.get("market")
        data = ev.get("data")
        if kind == "book":
            self.books[market] = data
            for feed in list(self._feeds.values()):
                if feed.market == market:
                    feed.changed()
            return
        if kind == "bbo":
            self.bbos[market] = data
        elif kind == "summary":
            self.summaries[market] = data
        elif kind == "funding_data":
            self.funding[market] = data
        elif kind == "tick":
            if isinstance(data, dict) and isinstance(data.get("at"), int):
                self.now_ms = data["at"]
            return
        elif kind == "reset":
            for feed in self._feeds.values():
                feed.resync = True
            return
        elif kind == "faults":
            self.set_faults(data)
            return
        if kind in DISPATCHED:
            self._dispatch(kind, market, ev.get("account"), data)

    def _dispatch(self, kind: str, market: Optional[str], account: Optional[str], data: dict) -> None:
        subs = self._index.get((kind, market, account)) if market is not None else None
        subs_all = self._index.get((kind, None, account))
        if subs:
            self.send(subs, data)
        if subs_all:
            self.send(subs_all, data)

    # ------------------------------------------------------------------ faults
    def set_faults(self, plan: dict) -> None:
        """Adopt a published fault plan. In-process the hub shares the HTTP side's FaultPlan
        (one set of counters); a separate WS process rebuilds its own from the rules."""
        self.faults = plan
        if self.fault_plan_shared or not isinstance(plan, dict):
            return
        from ..faults import FaultError, FaultPlan
        if self.fault_plan is None:
            self.fault_plan = FaultPlan()
        keep = ("kind", "target", "probability", "count", "ms", "jitter_ms", "status")
        try:
            self.fault_plan.replace([{k: r[k] for k in keep if k in r} for r in plan.get("faults", [])])
        except (FaultError, TypeError, KeyError):
            log.warning("ignoring a malformed fault plan: %r", plan)

    def send(self, subs, data: dict) -> None:
        """Notify subscribers, applying the WS fault rules that match each one's channel."""
        plan = self.fault_plan
        if plan is None or (not plan.rules and not self.seq_offsets):
            _send(subs, data)
            return
        loop = asyncio.get_running_loop()
        # a stable order, so the seeded draws land on the same clients run after run
        for sub in sorted(subs, key=lambda x: (getattr(x.conn, "serial", 0), x.channel.name)):
            name = sub.channel.name
            fired = ({r.kind: r for r in plan.ws_faults(name, sub.account, self.now_ms)}
                     if plan.rules else {})
            if "ws_seq_gap" in fired:
                self.seq_offsets[name] = self.seq_offsets.get(name, 0) + SEQ_GAP
            offset = self.seq_offsets.get(name)
            payload = data
            if offset and isinstance(data, dict) and isinstance(data.get("seq_no"), int):
                payload = dict(data, seq_no=data["seq_no"] + offset)
            frame = notification_frame(name, payload)
            conn = sub.conn
            if "ws_disconnect" in fired:
                asyncio.ensure_future(conn.close(FAULT_CLOSE_CODE, "injected disconnect"))
            elif "ws_drop" in fired:
                continue
            elif "ws_delay" in fired:
                loop.call_later(plan.jitter(fired["ws_delay"]), conn.push, frame)
            elif "ws_reorder" in fired and hasattr(conn, "hold"):
                conn.hold(frame)
            else:
                conn.push(frame)
                if "ws_duplicate" in fired:
                    conn.push(frame)

    # ------------------------------------------------------------------ subscribers
    def add(self, conn, channel: Channel, account: Optional[str]) -> Sub:
        """Register a subscription and send its initial state (book, bbo, summaries, funding)."""
        sub = Sub(conn, channel, account if channel.private else None)
        self._subs.add(sub)
        if channel.kind == "order_book":
            feed = self._feeds.get(channel.book_key)
            if feed is None:
                feed = self._feeds[channel.book_key] = BookFeed(self, channel.book_key)
            feed.subs.add(sub)
            sub.feed = feed
            feed.initial(sub)
            return sub
        if channel.event is not None:
            sub.key = (channel.event, channel.market, sub.account)
            self._index[sub.key].add(sub)
        latest = {"bbo": self.bbos, "markets_summary": self.summaries, "funding_data": self.funding}.get(channel.kind)
        if latest is not None:
            for m in ([channel.market] if channel.market else self.markets):
                if m in latest:
                    self.send([sub], latest[m])
        return sub

    def remove(self, sub: Sub) -> None:
        self._subs.discard(sub)
        if sub.feed is not None:
            sub.feed.subs.discard(sub)
            if not sub.feed.subs:
                sub.feed.close()
                self._feeds.pop(sub.feed.key, None)
            sub.feed = None
        if sub.key is not None:
            subs = self._index.get(sub.key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._index[sub.key]
            sub.key = None

    def subscriber_count(self, name: Optional[str] = None) -> int:
        return sum(1 for s in self._subs if name is None or s.channel.name == name)

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.close()
