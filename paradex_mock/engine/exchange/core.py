"""The ``Exchange`` facade: it owns the state and the one lock, and composes the collaborators
that act on that state (the package docstring lists them).

The contract, kept here in one place: one lock, validate before change, publish what changed.
Every public method takes ``self.lock`` (one re-entrant lock) and delegates to a collaborator,
which validates everything before it changes anything and publishes what changed on ``self.bus``
as domain events (``engine/events.py``); each change set ends with ``_flush`` (each changed
book, once). Collaborators never take the lock themselves: they run under it. A few reads take
no lock (``market``, ``margin``, ``liquidation_price``, ``account_update``, ``position_update``,
``leverage_of``, ``funding_now``, ``check_order``, ``_ensure_account``): a caller that needs a
consistent view holds the lock around them.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Iterable, List, Optional, Tuple

from ...config import Config
from .. import candles as cdl
from .. import mmp as mmp_mod
from ..book import OrderBook
from ..clock import Clock
from ..errors import EngineError, ExchangeError, Reason
from ..events import AccountUpdate, BookUpdate, EventBus, FundingSample, MarketStats, PositionUpdate
from ..models import Account, Algo, Margin, Market, Order, Position, Trade
from ..numbers import ZERO, to_decimal
from ..scenario import Scenario
from ..simulator import MarketState, SimParams, backfill
from .accounts import Ledger
from .algos import Twap
from .drive import Drive
from .entry import OrderEntry
from .funding import Funding
from .liquidation import Liquidator
from .margin import MarginModel
from .market_data import PUBLISHED_DEPTH, MarketData
from .matching import Matcher
from .mmp_guard import MmpGuard
from .orders import OrderManager
from .playback import Playback


@dataclass
class MarketDef:
    """A market a venue lists: its rules, its simulator parameters (``fixtures/``), and the random
    stream that drives it: "" is the seed's own stream, any other name a stream derived from the
    seed and that name, so adding a venue never changes another venue's data."""
    market: Market
    sim: dict = field(default_factory=dict)
    stream: str = ""


class Exchange:
    """Markets, books, matching, accounts, positions, margin, funding and the simulator of every
    venue, driven by one clock and by random sources all derived from one seed."""

    def __init__(self, config: Optional[Config] = None, markets: Iterable[MarketDef] = (),
                 standing_accounts: Iterable[Tuple[str, str]] = ()):
        self.config = config or Config()
        # (account id, public key) of the accounts every reset opens, onboarded and quietly: the
        # venues' own (a demo account a venue's docs name; ``Venue.standing_accounts``)
        self.standing_accounts: List[Tuple[str, str]] = list(standing_accounts)
        self.lock = threading.RLock()
        self.bus = EventBus()
        self.clock = Clock(manual=self.config.clock == "manual", start_ms=self.config.start_time_ms)
        self.market_defs: List[MarketDef] = list(markets)
        self.system_state = "ok"
        self.scenario: Optional[Scenario] = None
        # called with each "scenario" event, under the lock (the request journal records them):
        # a hook of its own, so the bus keeps its no-subscriber fast path
        self.scenario_listeners: List = []
        # the collaborators: each acts on this object's state, under its lock
        self.ledger = Ledger(self)
        self.margin_model = MarginModel(self)
        self.funding = Funding(self)
        self.market_data = MarketData(self)
        self.entry = OrderEntry(self)
        self.order_manager = OrderManager(self)
        self.matcher = Matcher(self)
        self.twap = Twap(self)
        self.mmp_guard = MmpGuard(self)
        self.liquidator = Liquidator(self)
        self.drive = Drive(self)
        self.playback = Playback(self)
        self.reset()

    def _rng(self, stream: str) -> random.Random:
        rng = self.rngs.get(stream)
        if rng is None:
            # str seeds hash deterministically (sha512), across processes and runs
            rng = self.rngs[stream] = random.Random(self.config.seed if not stream else f"{self.config.seed}:{stream}")
        return rng

    def reset(self, seed: Optional[int] = None) -> None:
        """Back to the fixtures: fresh markets and history from ``seed``, no accounts but the standing ones."""
        with self.lock:
            if seed is not None:
                self.config = self.config.replace(seed=int(seed))
            self.rngs: Dict[str, random.Random] = {}
            self.scenario = None       # the fixtures' market: nothing scripted
            self.rng = self._rng("")
            self._id_counter = 0
            self._last_seq = 0
            self.markets: Dict[str, Market] = {}
            self.states: Dict[str, MarketState] = {}
            self.books: Dict[str, OrderBook] = {}
            self.triggers: Dict[str, List[Order]] = {}
            self.sim_orders: Dict[str, List[Order]] = {}
            self.accounts: Dict[str, Account] = {}
            self.orders: Dict[str, Order] = {}
            self._dirty_books = set()
            self.mmp = mmp_mod.Protection()    # market maker protection, per account and base asset
            self._mmp_trips: List[mmp_mod.MmpState] = []   # tripped mid-match, cancelled once safe
            self.starting_balance = to_decimal(self.config.starting_balance)
            now = self.clock.now_ms()
            self.started_at = now
            for d in self.market_defs:
                self._install(d, now, depth_rng=self._rng(f"{d.stream}:depth:{d.market.symbol}"))
            self.last_tick_ms = now
            self.next_funding_ms = now + int(self.config.funding_interval * 1000)
            for address, public_key in self.standing_accounts:
                acct = self._ensure_account(address, quiet=True)   # a reset publishes "reset" first
                acct.public_key = public_key
                acct.onboarded = True
            for sym in self.markets:
                self.drive.requote(sym, now)
                self.books[sym].touch(now)
            self._dirty_books.clear()
            self.bus.reset()
            self.bus.publish("reset", {"epoch": self.bus.epoch, "at": now})

    def add_market(self, d: MarketDef) -> Market:
        """List a market now, with its backfilled history ending at its start price; a market of
        that key is replaced (refused while a client order rests in it). Every follower resyncs."""
        with self.lock:
            m = d.market
            if any(o.market == m.symbol for o in self.orders.values() if o.is_open):
                raise EngineError(Reason.MARKET_IN_USE, f"market {m.symbol} has open client orders")
            now = self.clock.now_ms()
            replaced = m.symbol in self.markets
            self.market_defs = [x for x in self.market_defs if x.market.symbol != m.symbol] + [d]
            self._install(d, now)       # its deep levels draw from its own stream (depth_rng None)
            self.drive.requote(m.symbol, now)
            self.books[m.symbol].touch(now)
            self._dirty_books.discard(m.symbol)
            # the venue's own description of the market rides along (its "markets" channel shows it)
            self.bus.publish("markets", {"added": m.symbol, "at": now, "replaced": replaced, "venue": m.venue,
                                         "name": m.name, "spec": m.spec})
            return m

    def _install(self, d: MarketDef, now: int, depth_rng: Optional[random.Random] = None) -> None:
        """The market of ``d``, its state, an empty book and its backfilled history (and funding
        rows, for a perpetual), ending ``now``."""
        m = d.market
        params = SimParams.from_dict(d.sim, m)
        st = MarketState(market=m, params=params, index_price=params.start_price, rng=self._rng(d.stream),
                         depth_rng=depth_rng)
        self.markets[m.symbol], self.states[m.symbol] = m, st
        self.books[m.symbol] = OrderBook(m.symbol)
        self.triggers[m.symbol], self.sim_orders[m.symbol] = [], []
        backfill(st, st.rng, now, self.config.backfill_hours, self._new_id)
        if m.is_perpetual:
            st.update_funding_rate()
            self.funding.backfill(st, now)
            st.open_interest = params.open_interest

    # ------------------------------------------------------------------ ids, sequence numbers, publishing
    def _new_id(self, ts_ms: int) -> str:
        """28-digit numeric ids like Paradex's: the ms timestamp then a counter."""
        self._id_counter += 1
        return f"{ts_ms}{self._id_counter:015d}"

    def next_seq(self) -> int:
        """Large increasing numbers (not by one), like Paradex's seq_no."""
        base = self.clock.now_ms() * 1_000_000
        self._last_seq = max(self._last_seq + 1, base)
        return self._last_seq

    def _flush(self, now: int) -> None:
        """The end of a change set: tripped MMP protections cancel their orders, then each changed
        book is published once (not once per fill)."""
        if self._mmp_trips:
            self.mmp_guard.cancel_tripped(now)
        for sym in sorted(self._dirty_books):
            book = self.books[sym]
            book.touch(now)
            self.bus.publish("book", BookUpdate(sym, book.seq_no, book.last_updated_at,
                                                tuple(book.bids.depth(PUBLISHED_DEPTH)),
                                                tuple(book.asks.depth(PUBLISHED_DEPTH))), sym)
        self._dirty_books.clear()

    # ------------------------------------------------------------------ accounts (accounts.py, margin.py)
    def _ensure_account(self, address: str, quiet: bool = False) -> Account:
        return self.ledger.ensure(address, quiet)

    def account(self, address: str, create: bool = True) -> Account:
        with self.lock:
            return self.ledger.account(address, create)

    def onboard(self, address: str, public_key: str) -> Account:
        with self.lock:
            return self.ledger.onboard(address, public_key)

    def fund(self, address: str, amount) -> Account:
        with self.lock:
            return self.ledger.fund(address, amount)

    def set_leverage(self, address: str, market: str, leverage: int) -> dict:
        with self.lock:
            return self.ledger.set_leverage(address, market, leverage)

    def leverage_of(self, acct: Account, market: str) -> int:
        return self.ledger.leverage_of(acct, market)

    def margin(self, acct: Account) -> Margin:
        return self.margin_model.margin(acct)

    def liquidation_price(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> Optional[Decimal]:
        return self.margin_model.liquidation_price(acct, pos, mg)

    def account_update(self, acct: Account, mg: Optional[Margin] = None) -> AccountUpdate:
        return self.margin_model.account_update(acct, mg)

    def position_update(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> PositionUpdate:
        return self.margin_model.position_update(acct, pos, mg)

    def liquidations(self, address: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[dict]:
        with self.lock:
            return self.liquidator.liquidations(address, start_ms, end_ms)

    # ------------------------------------------------------------------ market data (market_data.py, funding.py)
    def market(self, symbol: str) -> Market:
        return self.market_data.market(symbol)

    def book_update(self, symbol: str, depth: int = PUBLISHED_DEPTH) -> BookUpdate:
        with self.lock:
            return self.market_data.book_update(symbol, depth)

    def stats(self, symbol: str) -> MarketStats:
        with self.lock:
            return self.market_data.stats(symbol)

    def trades_between(self, symbol: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[Trade]:
        with self.lock:
            return self.market_data.trades_between(symbol, start_ms, end_ms)

    def candles(self, symbol: str, interval: cdl.Interval, start_ms: int, end_ms: int,
                price_kind: str = "last", fill_gaps: bool = False) -> List[list]:
        with self.lock:
            return self.market_data.candles(symbol, interval, start_ms, end_ms, price_kind, fill_gaps)

    def window(self, symbol: str, start_ms: int, end_ms: int) -> dict:
        with self.lock:
            return self.market_data.window(symbol, start_ms, end_ms)

    def open_candles(self, symbol: str) -> Dict[str, list]:
        with self.lock:
            return self.market_data.open_candles(symbol)

    def klines(self, symbol: str, resolution: int, start_ms: int, end_ms: int,
               price_kind: str = "last") -> List[list]:
        with self.lock:
            return self.market_data.klines(symbol, resolution, start_ms, end_ms, price_kind)

    def funding_rows(self, symbol: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[FundingSample]:
        with self.lock:
            return self.market_data.funding_rows(symbol, start_ms, end_ms)

    def funding_now(self, symbol: str) -> FundingSample:
        return self.funding.now(symbol)

    # ------------------------------------------------------------------ orders (entry.py, orders.py, algos.py)
    def check_order(self, acct: Account, req: Order, now: int, replacing: Optional[Order] = None) -> Order:
        return self.entry.check_order(acct, req, now, replacing)

    def submit_order(self, address: str, req: Order) -> Tuple[Order, Order]:
        """Place an order. Returns the order and a copy of it as acknowledged (status NEW); the
        risk check and matching follow at once, in the same call."""
        with self.lock:
            return self.entry.submit_order(address, req)

    def submit_batch(self, address: str, reqs: List) -> Tuple[List[Order], List[ExchangeError]]:
        """Each order is checked and placed independently; failures come back as errors, in
        order. An item that is already an ExchangeError (the venue could not parse it) is one."""
        with self.lock:
            return self.entry.submit_batch(address, reqs)

    def get_order(self, address: str, order_id: str) -> Order:
        with self.lock:
            return self.order_manager.get_order(address, order_id)

    def get_order_by_client_id(self, address: str, client_id: str) -> Order:
        with self.lock:
            return self.order_manager.get_order_by_client_id(address, client_id)

    def cancel_order(self, address: str, order_id: str = None, client_id: str = None) -> Order:
        with self.lock:
            return self.order_manager.cancel_order(address, order_id, client_id)

    def cancel_all(self, address: str, market: Optional[str] = None) -> List[Order]:
        with self.lock:
            return self.order_manager.cancel_all(address, market)

    def cancel_batch(self, address: str, order_ids: Iterable[str], client_ids: Iterable[str]) -> List[dict]:
        with self.lock:
            return self.order_manager.cancel_batch(address, order_ids, client_ids)

    def modify_order(self, address: str, order_id: str, build) -> Order:
        """A new price and/or size (and trigger price) for an open order, which keeps its id and
        loses time priority. ``build(order)`` returns the replacement request (a venue parses
        its body against the order as it is, under the lock)."""
        with self.lock:
            return self.order_manager.modify_order(address, order_id, build)

    def submit_twap(self, address: str, market: str, side: str, size: Decimal, duration_s: int,
                    interval_s: int = 30) -> Algo:
        """A TWAP parent: ``duration_s / interval_s`` MARKET child orders of equal size (the
        last takes the rest), the first now and then one every ``interval_s`` on the exchange
        clock (each tick places the ones due). Rules are checked on the first slice's size."""
        with self.lock:
            return self.twap.submit_twap(address, market, side, size, duration_s, interval_s)

    def cancel_algo(self, address: str, algo_id: str) -> Algo:
        with self.lock:
            return self.twap.cancel_algo(address, algo_id)

    # ------------------------------------------------------------------ market maker protection (mmp_guard.py)
    def mmp_states(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        """The account's MMP configs and live state, by base asset (``engine/mmp.py``)."""
        with self.lock:
            return self.mmp_guard.mmp_states(address, base)

    def set_mmp(self, address: str, base: str, interval_ms: int, frozen_time_ms: int,
                size_limit: Decimal = ZERO, delta_limit: Decimal = ZERO, vega_limit: Decimal = ZERO,
                protect_block_trades: Optional[bool] = None) -> mmp_mod.MmpState:
        """Replace the account's config for ``base`` (the venue has checked the values). A live
        freeze and the window carry over: a new config does not lift a trip."""
        with self.lock:
            return self.mmp_guard.set_mmp(address, base, interval_ms, frozen_time_ms, size_limit, delta_limit,
                                          vega_limit, protect_block_trades)

    def remove_mmp(self, address: str, base: str) -> List[Order]:
        """Remove the account's config for ``base`` (none: nothing to do); its open MMP orders
        there are cancelled (``MMP_DISABLED``). Returns them."""
        with self.lock:
            return self.mmp_guard.remove_mmp(address, base)

    def reset_mmp(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        """Lift the freeze and clear the window of ``base`` (None: every base asset configured),
        keeping the config. Refused (``MMP_MIN_FREEZE_NOT_ELAPSED``) within ``MIN_FREEZE_MS``
        of a trip; resetting every base asset, the error's data names which were reset."""
        with self.lock:
            return self.mmp_guard.reset_mmp(address, base)

    # ------------------------------------------------------------------ the clock (drive.py)
    def tick(self) -> None:
        """Advance the market by the time since the last tick: prices, quotes, synthetic trades,
        stops, funding. Called by the ticker thread (real clock) or by advance() (manual)."""
        with self.lock:
            self.drive.step(lean=frozenset())

    def advance(self, seconds: float = None, ticks: int = None) -> int:
        """Manual clock: move time forward, ticking at the configured interval. Returns now (ms).

        A move of ``seconds`` longer than FAST_FORWARD_AFTER_S fast-forwards: it steps
        ``fast_forward_step`` seconds at a time (when that is longer than a tick), each step a
        tick of that length (prices, candles, funding, stops, liquidations, TWAPs), markets
        without client orders skipping their books; the last step is an ordinary tick.
        ``ticks`` always ticks exactly that many times."""
        with self.lock:
            return self.drive.advance(seconds, ticks)

    # ------------------------------------------------------------------ control (playback.py, funding.py)
    def set_scenario(self, scenario: Optional[Scenario]) -> dict:
        """Install ``scenario`` (a parsed ``Scenario``; None clears it) from now on. Checked
        entirely before anything changes (ScenarioError)."""
        with self.lock:
            return self.playback.set_scenario(scenario)

    def scenario_state(self) -> dict:
        with self.lock:
            return self.playback.scenario_state()

    def set_price(self, symbol: str, price, hold: bool = True) -> dict:
        """Move a market's index (and so mark) to ``price`` now; resting orders and stops react."""
        with self.lock:
            return self.playback.set_price(symbol, price, hold)

    def set_funding_rate(self, symbol: str, rate) -> dict:
        with self.lock:
            return self.funding.set_funding_rate(symbol, rate)
