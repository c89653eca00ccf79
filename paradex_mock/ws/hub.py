"""The WS side's view of the exchange, shared by every venue's WS protocol.

A ``Hub`` lives on the WS server's asyncio loop. A source (``sources.LocalSource`` in-process,
``sources.RemoteSource`` from the HTTP process's stream) feeds it snapshots and bus events (domain
events, ``engine/events.py``); it keeps the latest public state (books, market statistics,
funding, the clock), de-duplicates by sequence number, and hands every event to each venue's
feed, which renders it in that venue's shapes for its subscribers. It never computes prices.

``deliver`` is the one way frames reach subscribers: it applies the WS fault rules (drop, delay,
duplicate, reorder, disconnect, sequence gaps) to every venue's frames alike.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Dict, List, Optional

log = logging.getLogger("paradex_mock.ws")

# Event kinds that describe state the snapshot already contains: after a snapshot taken at seq S,
# such events with seq <= S are stale and skipped. Everything else (trades, private events) is
# forwarded once, by seq.
STATE_KINDS = frozenset({"book", "summary", "funding_data"})
# Event kinds after which the WS side takes the whole state afresh: a reset, a new market, the end
# of a fast-forward (whose steps published nothing). The snapshot is taken as the event is
# published, under the exchange lock, so it holds exactly the events up to that one.
RESYNC_KINDS = frozenset({"reset", "markets", "resync"})


class Binary(bytes):
    """A binary WebSocket frame. ``Conn.push`` takes ``str`` and plain ``bytes`` (UTF-8) as text
    frames and a ``Binary`` as a binary one (a venue's SBE frames)."""
    __slots__ = ()


SEQ_GAP = 10              # sequence numbers a ws_seq_gap fault skips on its channel
FAULT_CLOSE_CODE = 1011   # ws_disconnect: "internal error", as a crashing server would close


def build_snapshot(ex) -> dict:
    """The latest public market state, consistent with ``ex.bus.seq``. Caller holds ``ex.lock``."""
    markets = {}
    for sym, st in ex.states.items():
        markets[sym] = {"book": ex.book_update(sym), "summary": ex.stats(sym),
                        "funding_data": ex.funding_now(sym) if st.market.is_perpetual else None,
                        "candles": ex.open_candles(sym), "last_trade": st.trade_seq,
                        "tick": str(st.market.tick),
                        "venue": st.market.venue}
    return {"seq": ex.bus.seq, "epoch": ex.bus.epoch, "now_ms": ex.clock.now_ms(),
            "clock": "manual" if ex.clock.manual else "real", "markets": markets}


class Hub:
    def __init__(self):
        self.markets: List[str] = []
        self.venue_of: Dict[str, str] = {}
        self.books: Dict[str, object] = {}       # market -> BookUpdate
        self.stats: Dict[str, object] = {}       # market -> MarketStats
        self.funding: Dict[str, object] = {}     # market -> FundingSample
        self.candles: Dict[str, dict] = {}       # market -> {width: open candle row} as of the snapshot
        self.last_trade: Dict[str, int] = {}     # market -> the last trade's seq as of the snapshot
        self.ticks: Dict[str, str] = {}          # market -> its price tick (order-book groupings offered)
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
        self.seq_offsets: Dict[str, int] = {}   # channel -> sequence numbers skipped by ws_seq_gap faults
        self.feeds: list = []      # each venue's feed: on_snapshot(), on_event(ev), close()

    def markets_of(self, venue: str) -> List[str]:
        return [m for m in self.markets if self.venue_of.get(m) == venue]

    # ------------------------------------------------------------------ state in
    def load_snapshot(self, snap: dict, continuous: bool) -> None:
        """Replace the market state. ``continuous``: the event stream goes on without a gap (a
        resnapshot after a reset), so de-duplication keeps its place; otherwise it restarts at
        the snapshot's seq."""
        markets = snap.get("markets") or {}
        self.markets = list(markets)
        self.venue_of = {m: v.get("venue", "") for m, v in markets.items()}
        self.books = {m: v["book"] for m, v in markets.items() if v.get("book")}
        self.stats = {m: v["summary"] for m, v in markets.items() if v.get("summary")}
        self.funding = {m: v["funding_data"] for m, v in markets.items() if v.get("funding_data")}
        self.candles = {m: v.get("candles") or {} for m, v in markets.items()}
        self.last_trade = {m: v.get("last_trade", 0) for m, v in markets.items()}
        self.ticks = {m: v["tick"] for m, v in markets.items() if v.get("tick")}
        seq = int(snap.get("seq", 0))
        self.snap_seq = seq
        if not continuous:
            self.last_seq = seq
        self.epoch = snap.get("epoch", self.epoch)
        if "faults" in snap:
            self.set_faults(snap["faults"])
        self._clock(snap)
        self.snapshots_loaded += 1
        for feed in self.feeds:
            feed.on_snapshot()
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
        elif kind == "summary":
            self.stats[market] = data
        elif kind == "funding_data":
            self.funding[market] = data
        elif kind == "trade":
            self.last_trade[market] = data.seq
        elif kind == "tick":
            if isinstance(data, dict) and isinstance(data.get("at"), int):
                self.now_ms = data["at"]
        elif kind == "faults":
            self.set_faults(data)
            return
        for feed in self.feeds:
            feed.on_event(ev)

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
            log.warning("ignoring a malformed fault plan")

    def deliver(self, subs, data, frame: Callable[[str, object], object],
                sequenced: Optional[Callable[[object, int], object]] = None) -> None:
        """Send ``data`` to each subscription ``sub`` (``sub.conn``, ``sub.channel.name``,
        ``sub.account``) as ``frame(channel name, data)``, applying the WS fault rules that match
        the channel. ``sequenced(data, skipped)``: the payload with its sequence number moved on by
        ``skipped`` (channels whose messages carry one; ws_seq_gap faults use it). A frame function
        with a ``describe(frame) -> dict`` (binary encodings) has the frames that faults hit
        journaled readably, as ``"frame"``."""
        plan = self.fault_plan
        if plan is None or (not plan.rules and not self.seq_offsets):
            frames: Dict[str, object] = {}
            for sub in list(subs):
                name = sub.channel.name
                f = frames.get(name)
                if f is None:
                    f = frames[name] = frame(name, data)
                sub.conn.push(f)
            return
        loop = asyncio.get_running_loop()
        describe = getattr(frame, "describe", None)
        # a stable order, so the seeded draws land on the same clients run after run
        for sub in sorted(subs, key=lambda x: (getattr(x.conn, "serial", 0), x.channel.name)):
            name = sub.channel.name
            fired = ({r.kind: r for r in plan.ws_faults(name, sub.account, self.now_ms, journal=describe is None)}
                     if plan.rules else {})
            if "ws_seq_gap" in fired:
                self.seq_offsets[name] = self.seq_offsets.get(name, 0) + SEQ_GAP
            offset = self.seq_offsets.get(name)
            payload = data
            if offset and sequenced is not None:
                payload = sequenced(data, offset)
            f = frame(name, payload)
            if fired and describe is not None:
                plan.journal_ws(name, sub.account, self.now_ms, list(fired), frame=describe(f))
            conn = sub.conn
            if "ws_disconnect" in fired:
                asyncio.ensure_future(conn.close(FAULT_CLOSE_CODE, "injected disconnect"))
            elif "ws_drop" in fired:
                continue
            elif "ws_delay" in fired:
                loop.call_later(plan.jitter(fired["ws_delay"]), conn.push, f)
            elif "ws_reorder" in fired and hasattr(conn, "hold"):
                conn.hold(f)
            else:
                conn.push(f)
                if "ws_duplicate" in fired:
                    conn.push(f)

    def close(self) -> None:
        for feed in self.feeds:
            feed.close()
