"""Scenario playback: installing and clearing a scenario (``engine/scenario.py``), publishing its
segments' changes, a replay's history, the scripted trades of shocks and replays, finishing the
segments the clock went past, and the control's price override (``set_price``). ``Playback``
runs under the exchange's lock."""
from __future__ import annotations

import bisect
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from ..errors import EngineError, Reason, invalid
from ..events import SegmentChange
from ..models import SIM_ACCOUNT, Order
from ..numbers import ZERO, floor_step, round_step, to_decimal
from ..scenario import PATH_KINDS, Scenario, Segment
from ..simulator import MINUTE_MS
from .drive import expected_trades
from .market_data import bisect_ts

if TYPE_CHECKING:
    from .core import Exchange

log = logging.getLogger("paradex_mock.engine")


class Playback:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def set_scenario(self, scenario: Optional[Scenario]) -> dict:
        ex = self.ex
        now = ex.clock.now_ms()
        if scenario is None:
            self.publish_scenario_swap(None, now)
            ex.scenario = None
            return self.scenario_state()
        placed = scenario.install(now, ex.markets)
        for key, segs in placed.markets.items():
            if segs[0].kind == "replay" and segs[0].backfill:
                self.replay_history(key, segs[0], now)
        self.publish_scenario_swap(placed, now)
        ex.scenario = placed
        return self.scenario_state()

    def publish_scenario_swap(self, new: Optional[Scenario], now: int) -> None:
        """Publish "cleared" for each market of the scenario in force, then "installed" for each of ``new``."""
        old = self.ex.scenario
        if old is not None:
            for key, segs in old.markets.items():
                i = old.active_index(key, now)
                self.publish_scenario(SegmentChange(key, "cleared", now, i, None if i is None else segs[i].kind,
                                                    segs[0].start_ms, segs[-1].end_ms, len(segs)))
        if new is not None:
            for key, segs in new.markets.items():
                self.publish_scenario(SegmentChange(key, "installed", now, None, None, segs[0].start_ms,
                                                    segs[-1].end_ms, len(segs)))

    def publish_segments(self, sym: str, changes: list, now: int) -> None:
        segs = self.ex.scenario.markets[sym]
        for i, change in changes:
            s = segs[i]
            self.publish_scenario(SegmentChange(sym, change, now, i, s.kind, s.start_ms, s.end_ms, len(segs)))

    def publish_scenario(self, change: SegmentChange) -> None:
        ev = self.ex.bus.publish("scenario", change, change.market)
        for fn in self.ex.scenario_listeners:
            try:
                fn(ev)
            except Exception:      # a broken listener must not break the tick
                log.exception("scenario listener failed")

    def scenario_state(self) -> dict:
        ex = self.ex
        now = ex.clock.now_ms()
        if ex.scenario is None:
            return {"start_ms": None, "now_ms": now, "markets": {}}
        return ex.scenario.public(now)

    def replay_history(self, sym: str, seg: Segment, now: int) -> None:
        """A replay's first ``backfill`` candles become the market's history up to its start (the
        replay's grid point at or before now); what the simulator made from then on goes."""
        ex = self.ex
        st = ex.states[sym]
        m = st.market
        w = seg.interval_ms
        hist = seg.candles[:seg.backfill]
        lo = seg.start_ms - len(hist) * w
        base = st.candles if w % MINUTE_MS == 0 else st.second_candles
        for series in (st.candles, st.second_candles, st.index_candles, st.mark_candles):
            i = bisect.bisect_left(series.minutes, lo - lo % series.width)
            for b in series.minutes[i:]:
                del series.data[b]
            del series.minutes[i:]
        st.trades[bisect_ts(st.trades, lo):] = []
        for j, c in enumerate(hist):
            t = lo + j * w
            o, h, l, cl = (round_step(x, m.tick) for x in (c.o, c.h, c.l, c.c))
            v = floor_step(c.v, m.step)
            for series, vol in ((base, v), (st.index_candles, ZERO), (st.mark_candles, ZERO)):
                series.minutes.append(t)
                series.data[t] = [o, h, l, cl, vol, vol * cl, 1 if vol else 0, ZERO, ZERO]
        last = round_step(hist[-1].c, m.tick)
        st.last_price = st.index_price = last
        st.premium = 0.0
        st.window_memo = st.stats_memo = None
        ex.drive.requote(sym, now)
        ex._flush(now)

    def finish_segment(self, sym: str, seg: Segment, now: int, requote: bool = True) -> None:
        """A segment the clock went past without a tick at its end: a gap jumps now; a path
        segment prints what it still owed (``requote`` False: a lean fast-forward step)."""
        st = self.ex.states[sym]
        if seg.kind == "gap" and not seg.done:
            seg.done = 1
            p = st.index_price * Decimal(repr(1 + seg.move))
            st.index_price = max(round_step(p, st.market.tick), st.market.tick)
        elif seg.kind in PATH_KINDS:
            if seg.anchor is None:
                seg.anchor = st.index_price
            if seg.kind == "shock":
                st.index_price = st.shock_price(seg, seg.end_ms)
                st.premium = 0.0
            self.path_prints(sym, seg, 0.0, seg.end_ms, requote=requote)

    def path_prints(self, sym: str, seg: Segment, dt_s: float, now: int, requote: bool = True) -> None:
        """The trades of a shock or a replay, at the scripted prices."""
        ex = self.ex
        st = ex.states[sym]
        m = st.market
        if seg.kind == "shock":
            if requote:
                ex.drive.requote(sym, now)
            lam = st.params.trades_per_minute * dt_s / 60.0
            seg.expected += Decimal(repr(round(expected_trades(lam), 12))) if dt_s > 0 else ZERO
            total = floor_step(Decimal(repr(seg.volume)) * st.params.trade_size * seg.expected, m.step)
            qty = total - seg.printed
            if qty > 0:
                seg.printed = total
                ts = min(now, seg.end_ms - 1)
                self.print_path(sym, "SELL" if seg.move < 0 else "BUY", qty, st.index_price, ts, requote)
            return
        # replay: each candle's open, then low and high (high first on a falling candle), then close
        w = seg.interval_ms
        first = seg.backfill
        while True:
            k = first + seg.done // 4
            if k >= len(seg.candles):
                return
            c = seg.candles[k]
            t0 = seg.start_ms + (k - first) * w
            j = seg.done % 4
            ts = t0 + (0, w // 3, (2 * w) // 3, (9 * w) // 10)[j]
            if ts > now:
                return
            up = c.c >= c.o
            price = (c.o, c.l if up else c.h, c.h if up else c.l, c.c)[j]
            v = floor_step(c.v, m.step)
            part = floor_step(v / 4, m.step)
            qty = part if j < 3 else v - 3 * part
            price = max(round_step(price, m.tick), m.tick)
            seg.done += 1
            st.index_price = price
            st.premium = 0.0
            st.sample_prices(ts)
            if requote:
                ex.drive.requote(sym, now)
            side = "BUY" if (j == 2) == up else "SELL"
            if qty > 0:
                self.print_path(sym, side, qty, price, ts, requote)
            else:          # a candle without volume still has its prices
                for series in (st.candles, st.second_candles):
                    series.add(ts, price, ZERO)
                st.last_price = price

    def print_path(self, sym: str, side: str, qty: Decimal, price: Decimal, ts: int,
                   match: bool = True) -> None:
        """A scripted trade of ``qty`` at ``price``: client orders resting at or through that
        price trade first (at their prices), the rest prints between other participants.
        ``match`` False: a lean fast-forward step, whose book holds no client order (and whose
        trades are recorded, not published, as in ``Drive.lean_flow``)."""
        ex = self.ex
        st = ex.states[sym]
        if st.trades:
            ts = max(ts, st.trades[-1].created_at)
        if not match:
            ex.matcher.print_trade(sym, side, qty, price, ts)
            return
        o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="LIMIT", size=qty,
                  price=price, remaining=qty, created_at=ts)
        ex.matcher.match(o, ex.books[sym], price, ts)
        if o.remaining > 0:
            trade = ex.matcher.print_trade(sym, side, o.remaining, price, ts)
            ex.bus.publish("trade", trade, sym)

    # ------------------------------------------------------------------ the control's override
    def set_price(self, symbol: str, price, hold: bool = True) -> dict:
        ex = self.ex
        st = ex.states[ex.market_data.market(symbol).symbol]
        try:
            p = to_decimal(price)
        except ValueError:
            raise EngineError(Reason.INVALID_VALUE, invalid("price", price, "not a decimal number")) from None
        if p <= 0:
            raise EngineError(Reason.INVALID_VALUE, "price must be positive")
        now = ex.clock.now_ms()
        st.index_price = round_step(p, st.market.tick)
        st.premium = 0.0
        st.frozen = bool(hold)
        st.sample_prices(now)
        ex.drive.requote(symbol, now)
        ex.entry.check_triggers(symbol, now)
        ex.liquidator.check(now)
        ex._flush(now)
        stats = ex.market_data.stats(symbol)
        ex.bus.publish("summary", stats, symbol)
        return stats
