"""The clock's drive: a tick (prices, the market maker's quotes, other participants' trades,
triggers, TWAPs, funding, liquidations, retention, then the feeds), advancing a manual clock,
fast-forwarding long moves with lean markets (no client interest: no book re-laid), and the
synthetic flow. ``Drive`` runs under the exchange's lock; its random draws (per market, from
``MarketState.rng``) happen in a fixed order, so a seed replays byte for byte."""
from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from ..models import SIM_ACCOUNT, Order
from ..numbers import ZERO, floor_step, round_step
from ..scenario import PATH_KINDS

if TYPE_CHECKING:
    from .core import Exchange

FAST_FORWARD_AFTER_S = 600        # advance(seconds=...) beyond this steps fast_forward_step at a time


class Drive:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def step(self, lean) -> None:
        """One tick. ``lean``: markets a fast-forward step may move without their books (no
        client order, stop or TWAP there): their quotes are not re-laid and the flow prints at
        the touch the ladder would quote; the step's feeds (summary, funding data, tick) are
        left to the fast-forward's last step, an ordinary tick."""
        ex = self.ex
        now = ex.clock.now_ms()
        dt_s = max(0.0, (now - ex.last_tick_ms) / 1000.0)
        ex.last_tick_ms = now
        scenario = ex.scenario
        playback = ex.playback
        for sym, st in ex.states.items():
            seg = None
            if scenario is not None and not st.frozen:    # a price held by set_price wins
                seg, passed = scenario.current(sym, now)
                for old in passed:
                    playback.finish_segment(sym, old, now, sym not in lean)
                if seg is not None and seg.anchor is None:
                    seg.anchor = st.index_price
            if scenario is not None:
                changes = scenario.changes(sym, now)
                if changes:
                    playback.publish_segments(sym, changes, now)
            if seg is None:
                st.step_price(st.rng, dt_s)
            else:
                st.step_price(st.rng, dt_s, seg, now)
            st.sample_prices(now)
            if st.market.is_perpetual:
                ex.funding.accrue(st, now, dt_s)
            volume = st.volume_factor(now) if st.params.realistic else 1.0
            if seg is not None and seg.kind == "halt":
                pass                                   # the book frozen, no synthetic trades
            elif seg is not None and seg.kind in PATH_KINDS:
                playback.path_prints(sym, seg, dt_s, now, requote=sym not in lean)
            elif sym in lean:
                self.lean_flow(sym, dt_s, now, volume if seg is None else seg.volume * volume)
            else:
                self.requote(sym, now)
                if seg is None:
                    self.synthetic_flow(sym, dt_s, now, volume)
                else:
                    self.synthetic_flow(sym, dt_s, now, seg.volume * volume)
            ex.entry.check_triggers(sym, now)
        ex.mmp_guard.thaw_due(now)
        if ex.system_state == "ok":
            ex.twap.run_all(now)
        ex.funding.pay_due(now)
        ex.liquidator.check(now)
        ex.ledger.retain_all(now)
        ex._flush(now)
        if lean:
            return
        for sym, st in ex.states.items():
            ex.bus.publish("summary", ex.market_data.stats(sym), sym)
            if st.market.is_perpetual:
                ex.bus.publish("funding_data", ex.funding.sample(st, now, st.funding_rate,
                                                                 st.funding_index), sym)
        ex.bus.publish("tick", {"at": now})

    def advance(self, seconds: float = None, ticks: int = None) -> int:
        ex = self.ex
        step = int(ex.config.tick_interval * 1000)
        fast = int(ex.config.fast_forward_step * 1000)
        if ticks is None:
            total = int(round(float(seconds or 0) * 1000))
            if fast > step and total > FAST_FORWARD_AFTER_S * 1000:
                return self.fast_forward(total, fast)
            ticks, rest = divmod(total, step)
        else:
            rest = 0
        for _ in range(int(ticks)):
            ex.clock.advance(step)
            self.step(lean=frozenset())
        if rest:
            ex.clock.advance(rest)
        return ex.clock.now_ms()

    def fast_forward(self, total: int, step: int) -> int:
        ex = self.ex
        n, rest = divmod(total, step)
        for i in range(n):
            ex.clock.advance(step)
            last = i == n - 1 and not rest
            self.step(lean=frozenset() if last else self.lean_markets())
        if rest:
            ex.clock.advance(rest)
            self.step(lean=frozenset())
        # the feeds saw only what clients were part of: they take the whole state afresh
        ex.bus.publish("resync", {"at": ex.clock.now_ms()})
        return ex.clock.now_ms()

    def lean_markets(self) -> frozenset:
        """Markets whose book no client has anything to do with this step: no resting client
        order, no stop waiting, no TWAP running there."""
        ex = self.ex
        busy = {sym for sym, waiting in ex.triggers.items() if waiting}
        for acct in ex.accounts.values():
            for o in acct.open_orders.values():
                busy.add(o.market)
            for algo in acct.algos.values():
                if algo.status != "CLOSED":
                    busy.add(algo.market)
        return frozenset(ex.states.keys() - busy)

    def lean_flow(self, sym: str, dt_s: float, now: int, volume: float = 1.0) -> None:
        """The synthetic flow of a fast-forward step in a market whose book is not re-laid: as
        many trades as ``synthetic_flow`` would draw, at the touch the ladder would quote,
        printed as one trade a side (their summed size), in a random order. Recorded, not
        published: the fast-forward's ``resync`` hands the feeds the state at its end."""
        st = self.ex.states[sym]
        if dt_s <= 0:
            return
        rng = st.rng
        lam = st.params.trades_per_minute * dt_s / 60.0
        n = max(1, _poisson(rng, lam)) if volume == 1.0 else _poisson(rng, volume * expected_trades(lam))
        if n == 0:
            return
        # n trades of trade_size x U(0.2, 1.8), each side a coin flip: the buys' count drawn
        # exactly, each side's summed size by its normal limit (mean k, variance k x 0.64/3)
        buys = rng.getrandbits(n).bit_count()
        units = [0.0, 0.0]
        for i, k in enumerate((buys, n - buys)):
            if k:
                units[i] = max(0.2 * k, min(1.8 * k, k + math.sqrt(k * 0.64 / 3) * rng.gauss(0.0, 1.0)))
        m = st.market
        mid = st.mark_price
        half = max(mid * st.params.spread_bps / Decimal(20000), m.tick)
        bid = floor_step(mid - half, m.tick)
        ask = bid + max(round_step(2 * half, m.tick), m.tick)
        order = (0, 1) if rng.random() < 0.5 else (1, 0)
        for i in order:
            if units[i]:
                size = max(floor_step(st.params.trade_size * Decimal(repr(round(units[i], 4))), m.step), m.step)
                side = "SELL" if i else "BUY"
                self.ex.matcher.print_trade(sym, side, size, ask if side == "BUY" else bid, now)

    def requote(self, sym: str, now: int) -> None:
        """Replace the market maker's quotes with a fresh ladder around mark. New quotes that
        cross clients' resting orders trade with them first: that is how the market moving
        through a limit price fills it."""
        ex = self.ex
        book = ex.books[sym]
        st = ex.states[sym]
        for o in ex.sim_orders[sym]:
            if o.remaining > 0:
                book.side_for(o).remove(o)
        ex.sim_orders[sym] = []
        bids, asks = st.ladder(st.rng)
        for side, levels in (("BUY", bids), ("SELL", asks)):
            for price, size in levels:
                o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="LIMIT", size=size,
                          price=price, remaining=size, created_at=now)
                ex.matcher.match(o, book, price, now)
                if o.remaining > 0:
                    book.side_for(o).add(o)
                    ex.sim_orders[sym].append(o)
        ex._dirty_books.add(sym)

    def synthetic_flow(self, sym: str, dt_s: float, now: int, volume: float = 1.0) -> None:
        """Other participants' market orders: public trades against whatever rests at the touch.
        Their number is Poisson with the fixture's rate, and at least one per tick, so a
        ``trades`` subscriber sees the market trade on every tick. ``volume`` (a scenario's
        multiplier) scales the expected number of trades, (lam + e^-lam) a tick, and then
        allows ticks without a trade."""
        ex = self.ex
        st = ex.states[sym]
        lam = st.params.trades_per_minute * dt_s / 60.0
        rng = st.rng
        if volume == 1.0:
            n = max(1, _poisson(rng, lam)) if dt_s > 0 else 0
        else:
            n = _poisson(rng, volume * expected_trades(lam)) if dt_s > 0 else 0
        book = ex.books[sym]
        m = st.market
        for _ in range(n):
            side = "BUY" if rng.random() < 0.5 else "SELL"
            size = max(floor_step(st.params.trade_size * Decimal(repr(round(0.2 + rng.random() * 1.6, 4))), m.step), m.step)
            o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="MARKET", size=size,
                      price=ZERO, remaining=size, created_at=now)
            best = book.best_ask() if side == "BUY" else book.best_bid()
            if best is None:
                continue
            ex.matcher.match(o, book, best, now)   # only the touch: flow does not sweep the book


def expected_trades(lam: float) -> float:
    """The synthetic flow's expected trades in a tick of Poisson rate ``lam`` (at least one)."""
    return lam + math.exp(-lam)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, lam ** 0.5))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
