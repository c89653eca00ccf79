"""The exchange: markets, books, matching, accounts, positions, margin, funding and the simulator.

It knows no venue and no transport. Every venue's markets live here side by side (their keys are
unique: see ``Market``), driven by one clock and by random sources all derived from one seed.
Every public method takes ``self.lock`` (one re-entrant lock), validates everything before it
changes anything, and publishes what changed on ``self.bus`` as domain events
(``engine/events.py``); each venue renders them in its own shapes.
"""
from __future__ import annotations

import bisect
import copy
import hashlib
import logging
import math
import random
import threading
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Dict, Iterable, List, Optional, Tuple

from ..config import Config
from . import candles as cdl
from . import mmp as mmp_mod
from .book import OrderBook
from .clock import Clock
from .errors import ExchangeError, excerpt, invalid, short
from .events import (AccountUpdate, BalanceChange, BookUpdate, EventBus, FundingSample, MarketStats,
                     PositionUpdate, SegmentChange)
from .models import (SIM_ACCOUNT, TRIGGER_TYPES,
                     Account, Algo, Fill, FundingPayment, Margin, Market, Order, Position, Trade, Transfer)
from .numbers import ONE, ZERO, fmt, floor_step, on_step, round_step, to_decimal
from .scenario import PATH_KINDS, Scenario, Segment
from .simulator import MINUTE_MS, MarketState, SimParams, backfill

log = logging.getLogger("paradex_mock.engine")

# The account that requests without credentials act as (permissive mode). It is the account of
# the fact sheet's test key (§9.7), so signed flows with that key reach the same account.
DEMO_PRIVATE_KEY = 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcde
DEMO_PUBLIC_KEY = "0x2a8249e10df5670294c078c3a04f32ed60087e5ee8a3457fa29ed0c0e366bfc"
DEMO_ACCOUNT = "0x3a5e6ca3f7d55722bfb79595c96bd41dba9980fe2abf5c0577591a135ec6dc4"
DEMO_TOKEN = "valid_mock_token"   # the seed design's bearer: the demo account, in permissive mode, on REST and WS
PUBLISHED_DEPTH = 1000    # book levels a side a BookUpdate carries (the deepest any venue serves)

# Exchange states (GET /system/state): what each allows. Orders and cancels are refused in
# maintenance; cancel_only takes cancels only; post_only takes post-only orders and cancels.
# Stop/TP/SL triggers and liquidations run in "ok" only.
SYSTEM_STATES = ("ok", "maintenance", "cancel_only", "post_only")
# In cancel_only and post_only, orders priced through the external fair price (the index) by
# more than this are cancelled on arrival (Paradex: +-5 bps price protection in those modes).
RESTRICTED_PROTECTION = Decimal("0.0005")
# Why an order was closed by the price rules. Paradex documents the rules, not these strings.
PRICE_BAND_REASON = "PRICE_BAND"
PRICE_PROTECTION_REASON = "PRICE_PROTECTION"


@dataclass
class MarketDef:
    """A market a venue lists: its rules, its simulator parameters (``fixtures/``), and the random
    stream that drives it: "" is the seed's own stream, any other name a stream derived from the
    seed and that name, so adding a venue never changes another venue's data."""
    market: Market
    sim: dict = field(default_factory=dict)
    stream: str = ""

FUNDING_DATA_EVERY_MS = 60_000   # one funding-data row per minute in history
DAY_MS = 24 * 3600 * 1000
# Per market, the newest public trades kept (older ones are dropped; candles stay). With every
# venue's markets at ~1 synthetic trade a second each, a larger cap was the mock's main memory
# growth (~1.7 MB a minute, for two days before it levelled off).
TRADES_KEPT = 20_000
FUNDING_ROWS_KEPT = 7 * 24 * 60   # per market, a week of funding-data rows (or the backfill, if longer)
FAST_FORWARD_AFTER_S = 600        # advance(seconds=...) beyond this steps fast_forward_step at a time
# Realized PnL and funding are rounded to this before they touch a balance. Average entry prices
# and the funding index are quotients with up to 40 digits; summed into a balance unrounded, the
# balance would drift from the sum of the fills' own amounts in the last digit.
MONEY_QUANTUM = Decimal("1e-12")


def normalize_address(value) -> str:
    """``0x``-hex without zero padding, lower case, as Paradex prints accounts."""
    if isinstance(value, int):
        n = value
    else:
        s = str(value).strip()
        try:
            n = int(s, 16) if s.lower().startswith("0x") else int(s)
        except ValueError:
            raise ExchangeError("INVALID_STARKNET_ADDRESS", f"invalid account address: {excerpt(value)}") from None
    if n < 0 or n >= 2 ** 251:
        raise ExchangeError("INVALID_STARKNET_ADDRESS", f"invalid account address: {excerpt(value)}")
    return hex(n)


def _trim(rows: list, keep: int, cutoff: Optional[int]) -> int:
    """Drop the head of an oldest-first list: beyond the newest ``keep`` (0: no count limit) and
    created before ``cutoff`` (None: no age limit). Returns how many were dropped."""
    n = len(rows) - keep if keep and len(rows) > keep else 0
    if cutoff is not None:
        while n < len(rows) and _created(rows[n]) < cutoff:
            n += 1
    if n:
        del rows[:n]
    return n


def _created(row) -> int:
    return row["created_at"] if isinstance(row, dict) else row.created_at


def _side_sign(side: str) -> int:
    return 1 if side == "BUY" else -1


class Exchange:
    def __init__(self, config: Optional[Config] = None, markets: Iterable[MarketDef] = ()):
        self.config = config or Config()
        self.lock = threading.RLock()
        self.bus = EventBus()
        self.clock = Clock(manual=self.config.clock == "manual", start_ms=self.config.start_time_ms)
        self.market_defs: List[MarketDef] = list(markets)
        self.system_state = "ok"
        self.scenario: Optional[Scenario] = None
        # called with each "scenario" event, under the lock (the request journal records them):
        # a hook of its own, so the bus keeps its no-subscriber fast path
        self.scenario_listeners: List = []
        self.reset()

    def _rng(self, stream: str) -> random.Random:
        rng = self.rngs.get(stream)
        if rng is None:
            # str seeds hash deterministically (sha512), across processes and runs
            rng = self.rngs[stream] = random.Random(self.config.seed if not stream else f"{self.config.seed}:{stream}")
        return rng

    def reset(self, seed: Optional[int] = None) -> None:
        """Back to the fixtures: fresh markets and history from ``seed``, no accounts but the demo."""
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
                m = d.market
                params = SimParams.from_dict(d.sim, m)
                st = MarketState(market=m, params=params, index_price=params.start_price, rng=self._rng(d.stream),
                                 depth_rng=self._rng(f"{d.stream}:depth:{m.symbol}"))
                self.markets[m.symbol] = m
                self.states[m.symbol] = st
                self.books[m.symbol] = OrderBook(m.symbol)
                self.triggers[m.symbol] = []
                self.sim_orders[m.symbol] = []
                backfill(st, st.rng, now, self.config.backfill_hours, self._new_id)
                if m.is_perpetual:
                    st.update_funding_rate()
                    self._backfill_funding(st, now)
                    st.open_interest = params.open_interest
            self.last_tick_ms = now
            self.next_funding_ms = now + int(self.config.funding_interval * 1000)
            if self.config.auth_mode != "strict":   # strict: no account whose key is in the source
                demo = self._ensure_account(DEMO_ACCOUNT, quiet=True)   # a reset publishes "reset" first
                demo.public_key = DEMO_PUBLIC_KEY
                demo.onboarded = True
            for sym in self.markets:
                self._requote(sym, now)
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
                raise ExchangeError("REQUEST_NOT_ALLOWED", f"market {m.symbol} has open client orders")
            now = self.clock.now_ms()
            replaced = m.symbol in self.markets
            self.market_defs = [x for x in self.market_defs if x.market.symbol != m.symbol] + [d]
            params = SimParams.from_dict(d.sim, m)
            st = MarketState(market=m, params=params, index_price=params.start_price, rng=self._rng(d.stream))
            self.markets[m.symbol], self.states[m.symbol] = m, st
            self.books[m.symbol] = OrderBook(m.symbol)
            self.triggers[m.symbol], self.sim_orders[m.symbol] = [], []
            backfill(st, st.rng, now, self.config.backfill_hours, self._new_id)
            if m.is_perpetual:
                st.update_funding_rate()
                self._backfill_funding(st, now)
                st.open_interest = params.open_interest
            self._requote(m.symbol, now)
            self.books[m.symbol].touch(now)
            self._dirty_books.discard(m.symbol)
            # the venue's own description of the market rides along (its "markets" channel shows it)
            self.bus.publish("markets", {"added": m.symbol, "at": now, "replaced": replaced, "venue": m.venue,
                                         "name": m.name, "spec": m.spec})
            return m

    def _backfill_funding(self, st: MarketState, now: int) -> None:
        hours = self.config.backfill_hours
        start = now - int(hours * 3600 * 1000)
        start -= start % FUNDING_DATA_EVERY_MS
        rate = st.funding_rate
        index = ZERO
        period_ms = st.market.funding_period_hours * 3600 * 1000
        t = start
        while t <= now:
            index += rate * st.index_price * FUNDING_DATA_EVERY_MS / period_ms
            st.funding_history.append(self._funding_sample(st, t, rate, index))
            t += FUNDING_DATA_EVERY_MS
        st.funding_index = index.quantize(Decimal("1e-12"))

    @staticmethod
    def _funding_sample(st: MarketState, t: int, rate: Decimal, index: Decimal) -> FundingSample:
        hours = st.market.funding_period_hours
        return FundingSample(
            market=st.market.symbol, created_at=t,
            funding_index=index.quantize(Decimal("1e-12")),
            funding_premium=(rate * st.index_price).quantize(Decimal("1e-8")),
            funding_rate=rate,
            funding_rate_8h=(rate * 8 / hours).quantize(Decimal("1e-10")),
            funding_period_hours=int(hours),
        )

    def funding_now(self, symbol: str) -> FundingSample:
        """The funding sample as of now (what each tick publishes)."""
        st = self.states[symbol]
        return self._funding_sample(st, self.clock.now_ms(), st.funding_rate, st.funding_index)

    # ------------------------------------------------------------------ ids and sequence numbers
    def _new_id(self, ts_ms: int) -> str:
        """28-digit numeric ids like Paradex's: the ms timestamp then a counter."""
        self._id_counter += 1
        return f"{ts_ms}{self._id_counter:015d}"

    def next_seq(self) -> int:
        """Large increasing numbers (not by one), like Paradex's seq_no."""
        base = self.clock.now_ms() * 1_000_000
        self._last_seq = max(self._last_seq + 1, base)
        return self._last_seq

    # ------------------------------------------------------------------ accounts
    def _ensure_account(self, address: str, quiet: bool = False) -> Account:
        acct = self.accounts.get(address)
        if acct is None:
            now = self.clock.now_ms()
            acct = Account(address=address, balance=ZERO, created_at=now, balance_updated_at=now)
            self.accounts[address] = acct
            if self.starting_balance:   # its starting balance is a deposit
                self._transfer(acct, self.starting_balance, now, publish=not quiet)
        return acct

    def _transfer(self, acct: Account, amount: Decimal, now: int, publish: bool = True) -> Transfer:
        """Credit (amount > 0: a deposit) or debit (a withdrawal) collateral, on the record."""
        acct.balance += amount
        acct.balance_updated_at = now
        # its own id space: the order/fill id counter must not move (replays stay byte-identical)
        n = len(acct.transfers) + acct.transfers_dropped
        tid = hashlib.sha256(f"{acct.address}:{n}:{now}:{amount}".encode()).hexdigest()[:24]
        t = Transfer(id=tid, account=acct.address, amount=abs(amount),
                     kind="DEPOSIT" if amount > 0 else "WITHDRAWAL", direction="IN" if amount > 0 else "OUT",
                     token="USDC", status="COMPLETED", created_at=now, number=n,
                     txn_hash="0x" + hashlib.sha256(f"{acct.address}:{tid}".encode()).hexdigest()[:63])
        acct.transfers.append(t)
        self._retain(acct, now)
        if publish:
            self.bus.publish("transfer", t, None, acct.address)
        return t

    def account(self, address: str, create: bool = True) -> Account:
        with self.lock:
            address = normalize_address(address)
            if create:
                return self._ensure_account(address)
            acct = self.accounts.get(address)
            if acct is None:
                raise ExchangeError("ACCOUNT_NOT_FOUND", f"account {address} not found", 400)
            return acct

    def onboard(self, address: str, public_key: str) -> Account:
        with self.lock:
            acct = self._ensure_account(normalize_address(address))
            acct.public_key = hex(int(public_key, 16)) if isinstance(public_key, str) else hex(public_key)
            acct.onboarded = True
            return acct

    def fund(self, address: str, amount) -> Account:
        with self.lock:
            amount = to_decimal(amount)
            acct = self._ensure_account(normalize_address(address))
            if amount:
                self._transfer(acct, amount, self.clock.now_ms())
            self._publish_account(acct)
            return acct

    # ------------------------------------------------------------------ market data reads
    def market(self, symbol: str) -> Market:
        m = self.markets.get(symbol)
        if m is None:
            raise ExchangeError("MARKET_NOT_FOUND", f"market {excerpt(symbol)} not found")
        return m

    def book_update(self, symbol: str, depth: int = PUBLISHED_DEPTH) -> BookUpdate:
        """The book now, ``depth`` levels a side (what a ``book`` event carries)."""
        with self.lock:
            book = self.books[self.market(symbol).symbol]
            return BookUpdate(symbol, book.seq_no, book.last_updated_at,
                              tuple(book.bids.depth(depth)), tuple(book.asks.depth(depth)))

    def stats(self, symbol: str) -> MarketStats:
        """Prices and rolling 24 h statistics now. Recomputed only when an input changed (book,
        prices, trades, funding, open interest, the minute of the window, a reset), so reads
        between changes cost nothing."""
        with self.lock:
            st = self.states[self.market(symbol).symbol]
            book = self.books[symbol]
            now = self.clock.now_ms()
            key = (book, book.seq_no, book.last_updated_at, self.bus.epoch, st.last_price, st.index_price,
                   st.premium, st.funding_rate, st.open_interest, st.total_volume, len(st.candles.minutes),
                   now // 60000)
            memo = st.stats_memo
            if memo is not None and memo[0] == key:
                return memo[1]
            b = book.bids.depth(1)
            a = book.asks.depth(1)
            window = _rolling_24h(st, now)
            stats = MarketStats(
                market=symbol, created_at=now, mark_price=st.mark_price, index_price=st.index_price,
                last_price=st.last_price,
                bid=b[0][0] if b else None, bid_size=b[0][1] if b else None,
                ask=a[0][0] if a else None, ask_size=a[0][1] if a else None,
                open_24h=window[0], high_24h=window[1], low_24h=window[2], volume_24h=window[3],
                quote_volume_24h=window[4], trades_24h=window[5],
                total_volume=st.total_volume, open_interest=st.open_interest, funding_rate=st.funding_rate)
            st.stats_memo = (key, stats)
            return stats

    def trades_between(self, symbol: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[Trade]:
        """Trades in [start, end], newest first."""
        with self.lock:
            trades = self.states[self.market(symbol).symbol].trades
            lo, hi = 0, len(trades)
            if start_ms is not None:
                lo = _bisect_ts(trades, start_ms)
            if end_ms is not None:
                hi = _bisect_ts(trades, end_ms + 1)
            return trades[lo:hi][::-1]

    def candles(self, symbol: str, interval: cdl.Interval, start_ms: int, end_ms: int,
                price_kind: str = "last", fill_gaps: bool = False) -> List[list]:
        """Candle rows ``[open_time, o, h, l, c, volume, quote_volume, trades, taker_buy_volume,
        taker_buy_quote_volume]`` of the buckets of ``interval`` opening in [start, end] (and the
        one holding ``start``), ascending. ``price_kind``: "last", "mark" or "index"."""
        with self.lock:
            st = self.states[self.market(symbol).symbol]
            series = st.second_candles if interval.base_ms < MINUTE_MS and price_kind == "last" \
                else st.series(price_kind)
            return series.rows(interval, start_ms, end_ms, fill_gaps)

    def window(self, symbol: str, start_ms: int, end_ms: int) -> dict:
        """Open, high, low, close, volumes and trade count over [start, end], from the 1-minute
        candles (so at minute granularity at its start)."""
        rows = self.candles(symbol, cdl.minutes(1), start_ms, end_ms)
        rows = [r for r in rows if r[0] >= start_ms - start_ms % MINUTE_MS]
        if not rows:
            last = self.states[symbol].last_price
            return {"open": last, "high": last, "low": last, "close": last, "volume": ZERO, "quote_volume": ZERO,
                    "trades": 0, "open_time": start_ms, "close_time": end_ms}
        return {"open": rows[0][1 + cdl.O], "high": max(r[1 + cdl.H] for r in rows),
                "low": min(r[1 + cdl.L] for r in rows), "close": rows[-1][1 + cdl.C],
                "volume": sum((r[1 + cdl.V] for r in rows), ZERO), "quote_volume": sum((r[1 + cdl.QV] for r in rows), ZERO),
                "trades": sum(r[1 + cdl.N] for r in rows), "open_time": start_ms, "close_time": end_ms}

    def open_candles(self, symbol: str) -> Dict[str, list]:
        """The candle of each standard width (``candles.STANDARD``) that holds now, as ``candles``
        rows (a flat one at the last price where no trade printed yet)."""
        with self.lock:
            st = self.states[self.market(symbol).symbol]
            now = self.clock.now_ms()
            out = {}
            for name, interval in cdl.STANDARD.items():
                start = interval.start(now)
                rows = self.candles(symbol, interval, start, now)
                row = rows[-1] if rows and rows[-1][0] == start else None
                out[name] = row or [start] + cdl.new_row(st.last_price, ZERO, trades=0)
            return out

    def klines(self, symbol: str, resolution: int, start_ms: int, end_ms: int,
               price_kind: str = "last") -> List[list]:
        """``[open_time, o, h, l, c, volume]`` rows of ``resolution``-minute candles."""
        return [r[:6] for r in self.candles(symbol, cdl.minutes(resolution), start_ms, end_ms, price_kind)]

    def funding_rows(self, symbol: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[FundingSample]:
        """Funding data rows, newest first."""
        with self.lock:
            rows = self.states[self.market(symbol).symbol].funding_history
            return [r for r in reversed(rows)
                    if (start_ms is None or r.created_at >= start_ms)
                    and (end_ms is None or r.created_at <= end_ms)]

    # ------------------------------------------------------------------ margin
    def _imf(self, acct: Account, m: Market) -> Decimal:
        lev = acct.leverage.get(m.symbol)
        if lev:
            return max(m.imf_base, ONE / Decimal(lev))
        return m.imf_base

    def margin(self, acct: Account) -> Margin:
        """Account value and margin requirements at mark, its open orders included.

        Initial margin takes, per market, the worst of the position filled by all open buys or
        by all open sells, so orders that reduce a position need no margin."""
        unrealized = ZERO
        unrealized_funding = ZERO
        imr = ZERO
        mmr = ZERO
        buys = acct.open_buys        # kept up to date as orders open, fill and close
        sells = acct.open_sells
        markets = {k for k, v in buys.items() if v} | {k for k, v in sells.items() if v} | \
            {k for k, p in acct.positions.items() if p.size != 0}
        for sym in markets:
            st = self.states[sym]
            m = st.market
            mark = st.mark_price
            pos = acct.positions.get(sym)
            size = pos.size if pos else ZERO
            if pos and size != 0:
                unrealized += size * (mark - pos.avg_entry)
                unrealized_funding += -size * (st.funding_index - pos.cached_funding_index)
            worst = max(abs(size + buys.get(sym, ZERO)), abs(size - sells.get(sym, ZERO)))
            imf = self._imf(acct, m)
            imr += worst * mark * imf
            mmr += abs(size) * mark * imf * m.mmf_factor
        value = acct.balance + unrealized + unrealized_funding
        return Margin(
            account_value=value, total_collateral=acct.balance, unrealized_pnl=unrealized + unrealized_funding,
            unrealized_funding=unrealized_funding, initial_margin_requirement=imr,
            maintenance_margin_requirement=mmr, free_collateral=value - imr, margin_cushion=value - mmr,
            status="LIQUIDATION" if (mmr > 0 and value < mmr) else "ACTIVE")

    def liquidation_price(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> Optional[Decimal]:
        """Mark price at which account value meets maintenance margin, others held constant.
        ``mg``: the account's current ``margin()``, when the caller already has it."""
        if pos.size == 0:
            return None
        st = self.states[pos.market]
        mg = mg if mg is not None else self.margin(acct)
        q = pos.size
        r = self._imf(acct, st.market) * st.market.mmf_factor
        mark = st.mark_price
        other_mmr = mg.maintenance_margin_requirement - abs(q) * mark * r
        denom = q - abs(q) * r
        if denom == 0:
            return None
        p = (other_mmr + q * mark - mg.account_value) / denom
        if p <= 0:
            return None
        return round_step(p, st.market.tick)

    # ------------------------------------------------------------------ order entry
    def check_order(self, acct: Account, req: Order, now: int, replacing: Optional[Order] = None) -> Order:
        """Apply the market's and the account's rules to an order request (an ``Order`` not yet
        accepted, as a venue parsed it). Raises ExchangeError; changes nothing. ``replacing``:
        the open order a modification replaces."""
        self.check_trading_open()
        m = self.market(req.market)
        size, price, trigger, flags = req.size, req.price, req.trigger_price, req.flags
        is_tpsl = req.type.startswith(("TAKE_PROFIT", "STOP_LOSS"))
        if size > m.max_order_size:
            raise ExchangeError("INVALID_ORDER_SIZE",
                                f"size {short(fmt(size))} exceeds max_order_size {fmt(m.max_order_size)}")
        if size > 0 and not _on_grid(size, m.step):
            raise ExchangeError("INVALID_ORDER_SIZE",
                                f"size {short(fmt(size))} is not a multiple of order_size_increment {fmt(m.step)}")
        if price > 0 and not _on_grid(price, m.tick):
            raise ExchangeError("VALIDATION_ERROR",
                                f"price {short(fmt(price))} is not a multiple of price_tick_size {fmt(m.tick)}")
        if req.type in TRIGGER_TYPES and not _on_grid(trigger, m.tick):
            raise ExchangeError("VALIDATION_ERROR", f"invalid trigger_price {short(fmt(trigger))}: "
                                f"a positive multiple of price_tick_size {fmt(m.tick)}")
        if req.client_id:
            prev = acct.client_ids.get(req.client_id)
            if prev is not None and prev.is_open:
                raise ExchangeError("DUPLICATED_CLIENT_ID", f"client_id {excerpt(req.client_id)} is already used by an open order")
        ref_price = price if price > 0 else (trigger if trigger > 0 else self.states[m.symbol].mark_price)
        if size > 0 and not is_tpsl and size * ref_price < m.min_notional and "REDUCE_ONLY" not in flags:
            raise ExchangeError("INVALID_ORDER_SIZE",
                                f"order notional {short(fmt(size * ref_price))} is below min_notional {fmt(m.min_notional)}")
        open_in_market = acct.open_count.get(m.symbol, 0)
        if replacing is not None and replacing.market == m.symbol and replacing.id in acct.open_orders:
            open_in_market -= 1   # a modified order's own slot does not count against it
        if open_in_market >= m.max_open_orders:
            raise ExchangeError("REQUEST_NOT_ALLOWED",
                                f"max_open_orders {m.max_open_orders} reached in {m.symbol}")
        if self.system_state == "cancel_only":
            raise ExchangeError("SYSTEM_STATUS_CANCEL_ONLY", "exchange is in cancel-only mode")
        if self.system_state == "post_only" and req.instruction not in ("POST_ONLY", "RPI"):
            raise ExchangeError("SYSTEM_STATUS_POST_ONLY", "exchange is in post-only mode")
        order = copy.copy(req)
        order.account = acct.address
        order.market = m.symbol      # the market's own string: an order keeps it for life
        order.flags = list(flags)
        order.remaining = size
        if not order.timestamp:
            order.timestamp = now
        return order

    def check_trading_open(self) -> None:
        """Maintenance ("trading unavailable", Paradex's system state docs): no order entry and no
        cancels, which cancel_only is for; reads still answer."""
        if self.system_state == "maintenance":
            raise ExchangeError("SERVICE_UNAVAILABLE", "exchange is under maintenance", 503)

    def submit_order(self, address: str, req: Order) -> Tuple[Order, Order]:
        """Place an order. Returns the order and a copy of it as acknowledged (status NEW); the
        risk check and matching follow at once, in the same call."""
        with self.lock:
            acct = self._ensure_account(normalize_address(address))
            now = self.clock.now_ms()
            order = self.check_order(acct, req, now)
            ack = self._accept(acct, order, now)
            self._process(acct, order, now)
            self._flush(now)
            return order, ack

    def submit_batch(self, address: str, reqs: List) -> Tuple[List[Order], List[ExchangeError]]:
        """Each order is checked and placed independently; failures come back as errors, in
        order. An item that is already an ExchangeError (the venue could not parse it) is one."""
        with self.lock:
            acct = self._ensure_account(normalize_address(address))
            now = self.clock.now_ms()
            acks, errors = [], []
            for req in reqs:
                try:
                    if isinstance(req, ExchangeError):
                        raise req
                    order = self.check_order(acct, req, now)
                except ExchangeError as e:
                    errors.append(e)
                    continue
                acks.append(self._accept(acct, order, now))
                self._process(acct, order, now)
            self._flush(now)
            return acks, errors

    def _accept(self, acct: Account, order: Order, now: int) -> dict:
        order.id = self._new_id(now)
        order.created_at = order.received_at = order.last_updated_at = order.published_at = now
        order.status = "NEW"
        order.seq_no = self.next_seq()
        self.orders[order.id] = order
        acct.orders[order.id] = order
        acct.add_open(order)
        if order.client_id:
            acct.client_ids[order.client_id] = order
        ack = copy.copy(order)
        self.bus.publish("order", ack, order.market, acct.address)
        return ack

    def _process(self, acct: Account, order: Order, now: int) -> None:
        """Risk check, then trigger wait, post-only check, matching, resting or closing."""
        m = self.markets[order.market]
        st = self.states[order.market]
        if mmp_mod.FLAG in order.flags:
            refusal = self._mmp_refusal(acct, m, now)
            if refusal:
                return self._close(order, now, refusal)
        if order.type in TRIGGER_TYPES and not order.triggered:
            order.status = "UNTRIGGERED"
            acct.hold(order)   # an untriggered stop holds no margin
            self.triggers[order.market].append(order)
            self._order_changed(order, now)
            return
        if order.size == 0:  # a TP/SL "close the position" order fired: size it now
            pos = acct.positions.get(order.market)
            size = abs(pos.size) if pos else ZERO
            if size == 0 or (pos.size > 0) == order.is_buy:
                return self._close(order, now, "REDUCE_ONLY_POSITION_EMPTY" if size == 0 else "REDUCE_ONLY_WOULD_INCREASE")
            order.size = order.remaining = size
            acct.hold(order)
        if order.reduce_only and self._reduce_capacity(acct, order) <= 0:
            return self._close(order, now, "REDUCE_ONLY_WOULD_INCREASE")
        pos = acct.positions.get(order.market)
        pos_size = pos.size if pos else ZERO
        new_size = pos_size + _side_sign(order.side) * order.remaining
        if abs(new_size) > m.position_limit and abs(new_size) > abs(pos_size):
            return self._close(order, now, "ORDER_EXCEEDS_POSITION_LIMIT")
        mg, mg_open = None, -1
        if not order.reduce_only:
            # the order is already among the account's open orders (since _accept), and margin
            # counts open orders at mark, so this is the account with the order resting
            mg, mg_open = self.margin(acct), len(acct.open_orders)
            if mg.free_collateral < 0 and self._increases_exposure(acct, order):
                return self._close(order, now, "NOT_ENOUGH_MARGIN")
        book = self.books[order.market]
        if order.instruction == "POST_ONLY" and self.system_state in ("post_only", "cancel_only"):
            fair = st.index_price
            if order.price > fair * (ONE + RESTRICTED_PROTECTION) if order.is_buy \
                    else order.price < fair * (ONE - RESTRICTED_PROTECTION):
                return self._close(order, now, PRICE_PROTECTION_REASON)
        if order.instruction == "POST_ONLY" and self._crosses(book, order):
            return self._close(order, now, "POST_ONLY_WOULD_CROSS")
        limit, vwap = self._protection(acct, order, book)
        if limit is None:
            return self._close(order, now, PRICE_BAND_REASON)
        self._match(order, book, limit, now, vwap)
        if order.status == "CLOSED":
            return
        if order.remaining == 0:
            return self._close(order, now, "")
        if "MARKET" in order.type or order.instruction == "IOC":
            return self._close(order, now, "REMAINING_IOC_CANCEL")
        order.status = "OPEN"
        book.side_for(order).add(order)
        self._dirty_books.add(order.market)
        self._order_changed(order, now)
        if order.filled == 0:   # it now holds margin (a fill already published the account)
            # nothing traded, and no other order of the account closed (self-trade prevention
            # could have): the margin of the risk check is the account's margin now
            self._publish_account(acct, mg if len(acct.open_orders) == mg_open else None)

    def _protection(self, acct: Account, order: Order, book: OrderBook):
        """(limit price, VWAP cap) an order trades under; limit None: refused by the price band.

        Price band (width w around mark): an aggressive limit order priced outside it is
        refused, a passive one rests; a market order gets the band's edge as its limit and its
        unfilled rest is cancelled. VWAP protection (market orders, not TP/SL): the average fill
        price may not pass the BBO moved by the account's max slippage for the market (else the
        market's), the mark when that side of the book is empty."""
        m = self.markets[order.market]
        st = self.states[order.market]
        mark = st.mark_price
        is_market = "MARKET" in order.type
        w = m.price_band_width
        vwap = ZERO
        if w <= 0:
            if not is_market:
                return order.price, vwap
            # no band: market orders are protected by the market's max_slippage around mark
            slip = m.max_slippage
            return round_step(mark * (ONE + slip if order.is_buy else ONE - slip), m.tick), vwap
        up, down = mark * (ONE + w), mark * (ONE - w)
        if is_market:
            limit = floor_step(up, m.tick) if order.is_buy else _ceil_step(down, m.tick)
            if m.vwap_protection and not order.type.startswith(("TAKE_PROFIT", "STOP_LOSS")):
                slip = acct.max_slippage.get(m.symbol, m.max_slippage)
                best = book.best_ask() if order.is_buy else book.best_bid()
                ref = best if best is not None else mark
                vwap = ref * (ONE + slip) if order.is_buy else ref * (ONE - slip)
            return limit, vwap
        if self._crosses(book, order) and (order.price > up if order.is_buy else order.price < down):
            return None, vwap
        return order.price, vwap

    def _increases_exposure(self, acct: Account, order: Order) -> bool:
        pos = acct.positions.get(order.market)
        size = pos.size if pos else ZERO
        return size == 0 or (size > 0) == order.is_buy or order.remaining > abs(size)

    def _reduce_capacity(self, acct: Account, order: Order) -> Decimal:
        """How much a reduce-only order may still fill without growing or flipping the position."""
        pos = acct.positions.get(order.market)
        size = pos.size if pos else ZERO
        if size == 0 or (size > 0) == order.is_buy:
            return ZERO
        return abs(size)

    @staticmethod
    def _crosses(book: OrderBook, order: Order) -> bool:
        if order.is_buy:
            best = book.best_ask()
            return best is not None and order.price >= best
        best = book.best_bid()
        return best is not None and order.price <= best

    def _match(self, taker: Order, book: OrderBook, limit: Decimal, now: int, vwap: Decimal = ZERO) -> None:
        """Match ``taker`` against the book up to ``limit``; ``vwap`` > 0 caps its average fill
        price (it stops short of the level that would move the average past it)."""
        opp = book.opposite(taker)
        taker_acct = self.accounts.get(taker.account)
        step = self.markets[taker.market].step if taker.market in self.markets else None
        for price in opp.iter_prices():
            if taker.remaining <= 0 or taker.status == "CLOSED":
                break
            if limit > 0 and (price > limit if taker.is_buy else price < limit):
                break
            q = opp.levels.get(price)
            while q and taker.remaining > 0:
                maker = q[0]
                if maker.account == taker.account and taker.account != SIM_ACCOUNT:
                    # self-trade prevention
                    if taker.stp in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                        opp.pop_front(price)
                        self._dirty_books.add(book.market)
                        self._close(maker, now, "SELF_TRADE")
                    if taker.stp in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                        self._close(taker, now, "SELF_TRADE")
                        return
                    continue
                qty = min(taker.remaining, maker.remaining)
                if vwap > 0 and (price > vwap if taker.is_buy else price < vwap):
                    filled, notional = taker.size - taker.remaining, taker.filled_notional
                    room = (vwap * filled - notional) / (price - vwap) if taker.is_buy \
                        else (notional - vwap * filled) / (vwap - price)
                    room = floor_step(room, step) if step else room
                    if room <= 0:
                        return
                    qty = min(qty, room)
                if taker.reduce_only and taker_acct is not None:
                    qty = min(qty, self._reduce_capacity(taker_acct, taker))
                    if qty <= 0:
                        self._close(taker, now, "REDUCE_ONLY_WOULD_INCREASE")
                        return
                if maker.reduce_only and maker.account != SIM_ACCOUNT:
                    cap = self._reduce_capacity(self.accounts[maker.account], maker)
                    if cap <= 0:
                        opp.pop_front(price)
                        self._dirty_books.add(book.market)
                        self._close(maker, now, "REDUCE_ONLY_WOULD_INCREASE")
                        continue
                    qty = min(qty, cap)
                self._execute(maker, taker, price, qty, now)
                if maker.remaining == 0:
                    opp.pop_front(price)
                    if maker.account != SIM_ACCOUNT:
                        self._close(maker, now, "")
                self._dirty_books.add(book.market)
                if self._mmp_trips:   # the maker's protection tripped: its MMP orders go before the next fill
                    self._mmp_cancel_tripped(now)

    def _print_trade(self, market: str, side: str, qty: Decimal, price: Decimal, now: int,
                     trade_type: str = "FILL") -> Trade:
        """A public trade: the market's trade list, candles, last price and volume (published by
        the caller, after the fills it causes)."""
        st = self.states[market]
        st.trade_seq += 1
        trade = Trade(self._new_id(now), market, side, qty, price, now, trade_type=trade_type, seq=st.trade_seq)
        st.trades.append(trade)
        if len(st.trades) > TRADES_KEPT:
            del st.trades[: len(st.trades) - TRADES_KEPT]
        st.candles.add(now, price, qty, side == "BUY")
        st.second_candles.add(now, price, qty, side == "BUY")
        st.last_price = price
        st.total_volume += qty * price
        return trade

    def _execute(self, maker: Order, taker: Order, price: Decimal, qty: Decimal, now: int) -> None:
        trade = self._print_trade(taker.market, taker.side, qty, price, now)
        # Paradex reports the book's sequence number after the trade; _flush touches every
        # changed book exactly once at the end of this change set
        book_seq = self.books[taker.market].seq_no + 1
        self.books[taker.market].opposite(taker).filled(price, qty)   # the maker rests at price
        for order, liquidity in ((maker, "MAKER"), (taker, "TAKER")):
            order.remaining -= qty
            order.filled_notional += qty * price
            if order.account == SIM_ACCOUNT:
                continue
            acct = self.accounts[order.account]
            acct.hold(order)
            self._fill_account(acct, order, liquidity, price, qty, trade, book_seq, now)
        self.bus.publish("trade", trade, trade.market)

    def _fill_account(self, acct: Account, order: Order, liquidity: str, price: Decimal,
                      qty: Decimal, trade: Trade, book_seq: int, now: int, fill_type: str = "FILL") -> None:
        st = self.states[order.market]
        m = st.market
        rate = m.maker_fee if liquidity == "MAKER" else m.taker_fee
        fee = (qty * price * rate)
        pos = acct.positions.get(order.market)
        if pos is None:
            pos = acct.positions[order.market] = Position(acct.address, order.market, created_at=now,
                                                          cached_funding_index=st.funding_index)
        funding = _money(-pos.size * (st.funding_index - pos.cached_funding_index))
        pos.cached_funding_index = st.funding_index
        realized = self._apply_to_position(pos, _side_sign(order.side) * qty, price, now)
        pos.realized_funding += funding
        before = acct.balance
        acct.balance += realized - fee + funding
        acct.balance_updated_at = now
        fill = Fill(
            id=self._new_id(now), account=acct.address, market=order.market, order_id=order.id,
            client_id=order.client_id, side=order.side, liquidity=liquidity, price=price, size=qty,
            remaining_size=order.remaining, fee=fee, realized_pnl=realized, realized_funding=funding,
            created_at=now, underlying_price=st.index_price, trade_id=trade.id, orderbook_seq_no=book_seq,
            fill_type=fill_type,
        )
        acct.fills.append(fill)
        if liquidity == "MAKER" and mmp_mod.FLAG in order.flags:
            self._mmp_fill(acct, m, _side_sign(order.side) * qty, now)
        self._retain(acct, now)
        pos.last_fill_id = fill.id
        pos.last_updated_at = now
        pos.seq_no = self.next_seq()
        order.last_updated_at = now
        order.seq_no = self.next_seq()
        if order.status == "NEW":
            order.status = "OPEN"
        self.bus.publish("fill", fill, order.market, acct.address)
        if order.remaining > 0:
            self.bus.publish("order", copy.copy(order), order.market, acct.address)
        mg = self.margin(acct)   # once per fill: the position and account updates both need it
        self.bus.publish("position", self.position_update(acct, pos, mg), order.market, acct.address)
        self.bus.publish("balance_event", BalanceChange(fill, st.funding_index, before, acct.balance), order.market,
                         acct.address)
        self._publish_account(acct, mg)

    @staticmethod
    def _apply_to_position(pos: Position, delta: Decimal, price: Decimal, now: int) -> Decimal:
        """Move a position by signed ``delta`` at ``price``; returns the realized PnL."""
        old = pos.size
        new = old + delta
        realized = ZERO
        if old == 0 or (old > 0) == (delta > 0):
            pos.avg_entry = (abs(old) * pos.avg_entry + abs(delta) * price) / abs(new)
            if old == 0:
                pos.created_at = now
                pos.realized_pnl = ZERO
                pos.realized_funding = ZERO
                pos.avg_exit = ZERO
                pos.exit_size = ZERO
        else:
            closing = min(abs(old), abs(delta))
            realized = _money(closing * (price - pos.avg_entry) * (1 if old > 0 else -1))
            pos.realized_pnl += realized
            pos.avg_exit = (pos.exit_size * pos.avg_exit + closing * price) / (pos.exit_size + closing)
            pos.exit_size += closing
            if new == 0:
                pos.closed_at = now
            elif (new > 0) != (old > 0):   # flipped: the rest opens at this price
                pos.avg_entry = price
                pos.created_at = now
        pos.size = new
        return realized

    def _close(self, order: Order, now: int, reason: str) -> None:
        held_margin = order.status == "OPEN"   # resting or partly filled: its margin is released now
        order.status = "CLOSED"
        order.cancel_reason = reason
        if order.account == SIM_ACCOUNT:
            return
        acct = self.accounts[order.account]
        acct.drop_open(order)
        if order in self.triggers.get(order.market, ()):
            self.triggers[order.market].remove(order)
        self._order_changed(order, now)
        acct.closed.append(order)
        self._retain(acct, now)
        if held_margin and order.remaining > 0:
            self._publish_account(acct)

    # ------------------------------------------------------------------ retention
    def _retain(self, acct: Account, now: int) -> None:
        """Drop what the retention no longer keeps (config ``history_kept``, ``history_hours``):
        per account and per kind the oldest closed orders, fills, funding payments, transfers,
        liquidations and finished TWAPs beyond the newest ``history_kept``, and any closed more
        than ``history_hours`` ago on the exchange clock. Open orders and running TWAPs are never
        dropped. Every list is oldest first, so this looks at its head only."""
        keep = self.config.history_kept
        hours = self.config.history_hours
        cutoff = now - int(hours * 3600 * 1000) if hours > 0 else None
        q = acct.closed
        while q and ((keep and len(q) > keep) or (cutoff is not None and q[0].last_updated_at < cutoff)):
            o = q.popleft()
            acct.orders.pop(o.id, None)
            self.orders.pop(o.id, None)
            if o.client_id and acct.client_ids.get(o.client_id) is o:   # a newer order may hold the id
                del acct.client_ids[o.client_id]
        q = acct.closed_algos
        while q and ((keep and len(q) > keep) or (cutoff is not None and q[0].last_updated_at < cutoff)):
            acct.algos.pop(q.popleft().id, None)
        if acct.fills:
            _trim(acct.fills, keep, cutoff)
        if acct.funding_payments:
            _trim(acct.funding_payments, keep, cutoff)
        if acct.transfers:
            acct.transfers_dropped += _trim(acct.transfers, keep, cutoff)
        if acct.liquidations:
            acct.liquidations_dropped += _trim(acct.liquidations, keep, cutoff)

    def _retain_all(self, now: int) -> None:
        """The age limit for accounts that are not trading (once a tick; heads only)."""
        if self.config.history_hours > 0:
            for acct in self.accounts.values():
                self._retain(acct, now)

    def _order_changed(self, order: Order, now: int) -> None:
        order.last_updated_at = now
        order.published_at = now
        order.seq_no = self.next_seq()
        self.bus.publish("order", copy.copy(order), order.market, order.account)

    def account_update(self, acct: Account, mg: Optional[Margin] = None) -> AccountUpdate:
        """The account's margin now, stamped with a fresh sequence number."""
        return AccountUpdate(acct.address, mg if mg is not None else self.margin(acct), self.clock.now_ms(),
                             self.next_seq())

    def position_update(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> PositionUpdate:
        """The position now with what its views derive from the market (``mg``: the account's
        margin when the caller has it; it walks every open order)."""
        st = self.states[pos.market]
        if pos.size and mg is None:
            mg = self.margin(acct)
        liq = self.liquidation_price(acct, pos, mg) if pos.size else None
        return PositionUpdate(copy.copy(pos), st.mark_price, st.funding_index, liq,
                              mg.account_value if mg is not None else ZERO,
                              acct.leverage.get(pos.market) or int(ONE / st.market.imf_base))

    def _publish_account(self, acct: Account, mg: Optional[Margin] = None) -> None:
        self.bus.publish("account", self.account_update(acct, mg), None, acct.address)

    def _flush(self, now: int) -> None:
        """Publish each changed book once per change set (not once per fill)."""
        if self._mmp_trips:
            self._mmp_cancel_tripped(now)
        for sym in sorted(self._dirty_books):
            book = self.books[sym]
            book.touch(now)
            self.bus.publish("book", BookUpdate(sym, book.seq_no, book.last_updated_at,
                                                tuple(book.bids.depth(PUBLISHED_DEPTH)),
                                                tuple(book.asks.depth(PUBLISHED_DEPTH))), sym)
        self._dirty_books.clear()

    # ------------------------------------------------------------------ order management
    def get_order(self, address: str, order_id: str) -> Order:
        with self.lock:
            acct = self.account(address)
            o = acct.orders.get(str(order_id))
            if o is None:
                raise ExchangeError("ORDER_ID_NOT_FOUND", f"order {short(str(order_id))} not found")
            return o

    def get_order_by_client_id(self, address: str, client_id: str) -> Order:
        with self.lock:
            acct = self.account(address)
            o = acct.client_ids.get(client_id)
            if o is None:
                raise ExchangeError("CLIENT_ORDER_ID_NOT_FOUND", f"client order id {excerpt(client_id)} not found")
            return o

    def cancel_order(self, address: str, order_id: str = None, client_id: str = None) -> Order:
        with self.lock:
            self.check_trading_open()
            o = (self.get_order(address, order_id) if order_id is not None
                 else self.get_order_by_client_id(address, client_id))
            if not o.is_open:
                raise ExchangeError("ORDER_IS_CLOSED", f"order {o.id} is already closed")
            now = self.clock.now_ms()
            self._cancel(o, now)
            self._flush(now)
            return o

    def _cancel(self, o: Order, now: int, reason: str = "USER_CANCELED") -> None:
        if o.status == "OPEN":
            self.books[o.market].side_for(o).remove(o)
            self._dirty_books.add(o.market)
        self._close(o, now, reason)

    def cancel_all(self, address: str, market: Optional[str] = None) -> List[Order]:
        with self.lock:
            self.check_trading_open()
            acct = self.account(address)
            if market:
                self.market(market)
            now = self.clock.now_ms()
            victims = [o for o in list(acct.open_orders.values()) if market in (None, "", o.market)]
            for o in victims:
                self._cancel(o, now)
            self._flush(now)
            return victims

    def cancel_batch(self, address: str, order_ids: Iterable[str], client_ids: Iterable[str]) -> List[dict]:
        with self.lock:
            self.check_trading_open()
            acct = self.account(address)
            now = self.clock.now_ms()
            results = []
            for key, lookup in [(i, acct.orders.get) for i in order_ids] + \
                               [(c, acct.client_ids.get) for c in client_ids]:
                o = lookup(str(key))
                if o is None:
                    is_id = lookup == acct.orders.get
                    results.append({"id": str(key)} if is_id else {"client_id": str(key)})
                    results[-1]["status"] = "NOT_FOUND"
                    continue
                if o.is_open:
                    self._cancel(o, now)
                    status = "QUEUED_FOR_CANCELLATION"
                else:
                    status = "ALREADY_CLOSED"
                results.append({"id": o.id, "client_id": o.client_id, "account": o.account,
                                "market": o.market, "status": status})
            self._flush(now)
            return results

    def modify_order(self, address: str, order_id: str, build) -> Order:
        """A new price and/or size (and trigger price) for an open order, which keeps its id and
        loses time priority. ``build(order)`` returns the replacement request (a venue parses
        its body against the order as it is, under the lock)."""
        with self.lock:
            acct = self.account(address)
            o = acct.orders.get(str(order_id))
            if o is None:
                raise ExchangeError("ORDER_ID_NOT_FOUND", f"order {short(str(order_id))} not found")
            if not o.is_open:
                raise ExchangeError("ORDER_IS_CLOSED", f"order {o.id} is closed")
            now = self.clock.now_ms()
            new = self.check_order(acct, build(o), now, replacing=o)
            if new.size < o.filled:
                raise ExchangeError("INVALID_ORDER_SIZE", "new size is below the filled size")
            if o.status == "OPEN":
                self.books[o.market].side_for(o).remove(o)
                self._dirty_books.add(o.market)
            o.price = new.price
            o.trigger_price = new.trigger_price
            o.remaining = new.size - o.filled
            o.size = new.size
            acct.hold(o)
            o.timestamp = new.timestamp
            if o.remaining == 0 and o.size > 0:   # size 0: a TP/SL that closes the whole position
                self._close(o, now, "")
            else:
                if o.status == "OPEN":
                    o.status = "NEW"
                    if o in self.triggers[o.market]:
                        self.triggers[o.market].remove(o)
                    self._process(acct, o, now)
                else:
                    self._order_changed(o, now)
            self._flush(now)
            return o

    # ------------------------------------------------------------------ algos (TWAP)
    def submit_twap(self, address: str, market: str, side: str, size: Decimal, duration_s: int,
                    interval_s: int = 30) -> Algo:
        """A TWAP parent: ``duration_s / interval_s`` MARKET child orders of equal size (the
        last takes the rest), the first now and then one every ``interval_s`` on the exchange
        clock (each tick places the ones due). Rules are checked on the first slice's size."""
        with self.lock:
            acct = self._ensure_account(normalize_address(address))
            m = self.market(market)
            now = self.clock.now_ms()
            slices = max(1, duration_s // interval_s)
            probe = Order(id="", account=acct.address, market=m.symbol, side=side, type="MARKET",
                          size=size, price=ZERO, remaining=size)
            self.check_order(acct, probe, now)
            if floor_step(size / slices, m.step) < m.step:
                raise ExchangeError("INVALID_ORDER_SIZE", f"size {fmt(size)} is too small for {slices} slices")
            algo = Algo(id=self._new_id(now), account=acct.address, market=m.symbol, side=side, size=size,
                        created_at=now, end_at=now + duration_s * 1000, interval_ms=interval_s * 1000,
                        slices=slices, next_at=now, last_updated_at=now)
            acct.algos[algo.id] = algo
            self.bus.publish("algo", copy.copy(algo), algo.market, acct.address)
            self._run_algo(acct, algo, now)
            self._flush(now)
            return algo

    def cancel_algo(self, address: str, algo_id: str) -> Algo:
        with self.lock:
            self.check_trading_open()
            acct = self.account(address)
            algo = acct.algos.get(str(algo_id))
            if algo is None:
                raise ExchangeError("ALGO_ID_NOT_FOUND", f"algo order {algo_id} not found", 404)
            if algo.status == "CLOSED":
                raise ExchangeError("ORDER_IS_CLOSED", f"algo order {algo_id} is already closed")
            self._close_algo(algo, self.clock.now_ms(), "USER_CANCELED")
            return algo

    def _close_algo(self, algo: Algo, now: int, reason: str) -> None:
        algo.status = "CLOSED"
        algo.cancel_reason = reason
        algo.last_updated_at = now
        self.bus.publish("algo", copy.copy(algo), algo.market, algo.account)
        acct = self.accounts.get(algo.account)
        if acct is not None:
            acct.closed_algos.append(algo)
            self._retain(acct, now)

    def _run_algos(self, now: int) -> None:
        for acct in list(self.accounts.values()):
            for algo in list(acct.algos.values()):
                if algo.status != "CLOSED":
                    self._run_algo(acct, algo, now)

    def _run_algo(self, acct: Account, algo: Algo, now: int) -> None:
        """Place every child order that is due by ``now`` (one per interval)."""
        m = self.markets[algo.market]
        while algo.status != "CLOSED" and algo.placed < algo.slices and algo.next_at <= now:
            last = algo.placed == algo.slices - 1
            size = algo.size - floor_step(algo.size / algo.slices, m.step) * (algo.slices - 1) if last \
                else floor_step(algo.size / algo.slices, m.step)
            algo.placed += 1
            algo.next_at += algo.interval_ms
            child = Order(id="", account=acct.address, market=algo.market, side=algo.side, type="MARKET",
                          size=size, price=ZERO, remaining=size, instruction="IOC")
            try:
                child = self.check_order(acct, child, now)
            except ExchangeError as e:
                self._close_algo(algo, now, e.code)
                return
            self._accept(acct, child, now)
            self._process(acct, child, now)
            algo.child_ids.append(child.id)
            algo.filled += child.filled
            algo.filled_notional += child.filled_notional
            algo.status = "OPEN"
            algo.last_updated_at = now
            if algo.placed >= algo.slices:
                self._close_algo(algo, now, "" if algo.filled == algo.size else "REMAINING_IOC_CANCEL")
            else:
                self.bus.publish("algo", copy.copy(algo), algo.market, acct.address)

    # ------------------------------------------------------------------ market maker protection
    def mmp_states(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        """The account's MMP configs and live state, by base asset (``engine/mmp.py``)."""
        with self.lock:
            acct = self.account(address)
            self._mmp_thaw_due(self.clock.now_ms())
            now = self.clock.now_ms()
            out = []
            for st in self.mmp.of(acct.address):
                if base in (None, st.base):
                    if not st.frozen:
                        st.prune(now)
                    out.append(st)
            return out

    def set_mmp(self, address: str, base: str, interval_ms: int, frozen_time_ms: int,
                size_limit: Decimal = ZERO, delta_limit: Decimal = ZERO, vega_limit: Decimal = ZERO,
                protect_block_trades: Optional[bool] = None) -> mmp_mod.MmpState:
        """Replace the account's config for ``base`` (the venue has checked the values). A live
        freeze and the window carry over: a new config does not lift a trip."""
        with self.lock:
            acct = self.account(address)
            now = self.clock.now_ms()
            old = self.mmp.get(acct.address, base)
            st = mmp_mod.MmpState(acct.address, base, int(interval_ms), int(frozen_time_ms), size_limit,
                                  delta_limit, vega_limit,
                                  bool(protect_block_trades) if protect_block_trades is not None
                                  else (old.protect_block_trades if old else False), updated_at=now)
            if old is not None:
                st.frozen, st.tripped_at, st.frozen_until = old.frozen, old.tripped_at, old.frozen_until
                st.window = old.window
            self.mmp.put(st)
            self.bus.publish("mmp", mmp_mod.event_copy(st), None, acct.address)
            return st

    def remove_mmp(self, address: str, base: str) -> List[Order]:
        """Remove the account's config for ``base`` (none: nothing to do); its open MMP orders
        there are cancelled (``MMP_DISABLED``). Returns them."""
        with self.lock:
            acct = self.account(address)
            now = self.clock.now_ms()
            st = self.mmp.drop(acct.address, base)
            if st is None:
                return []
            victims = self._mmp_orders(acct, base)
            for o in victims:
                self._cancel(o, now, mmp_mod.DISABLED)
            st.updated_at = now
            self.bus.publish("mmp", mmp_mod.event_copy(st, removed=True), None, acct.address)
            self._flush(now)
            return victims

    def reset_mmp(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        """Lift the freeze and clear the window of ``base`` (None: every base asset configured),
        keeping the config. Refused (``MMP_MIN_FREEZE_NOT_ELAPSED``) within ``MIN_FREEZE_MS``
        of a trip; resetting every base asset, the error's data names which were reset."""
        with self.lock:
            acct = self.account(address)
            now = self.clock.now_ms()
            self._mmp_thaw_due(now)
            targets = [s for s in self.mmp.of(acct.address) if base in (None, s.base)]
            refused = [s for s in targets if s.frozen and now - s.tripped_at < mmp_mod.MIN_FREEZE_MS]
            done = [s for s in targets if s not in refused]
            if refused and base is not None:
                raise ExchangeError("MMP_MIN_FREEZE_NOT_ELAPSED",
                                    f"MMP for {base} tripped less than {mmp_mod.MIN_FREEZE_MS} ms ago")
            for s in done:
                mmp_mod.Protection.thaw(s, now)
                self.bus.publish("mmp", mmp_mod.event_copy(s), None, acct.address)
            if refused:
                raise ExchangeError("MMP_MIN_FREEZE_NOT_ELAPSED",
                                    f"MMP tripped less than {mmp_mod.MIN_FREEZE_MS} ms ago for "
                                    + ", ".join(s.base for s in refused),
                                    data={"refused": [s.base for s in refused], "reset": [s.base for s in done]})
            return done

    def _mmp_refusal(self, acct: Account, m: Market, now: int) -> str:
        """Why an arriving MMP order closes at once ("" : it may trade)."""
        st = self.mmp.get(acct.address, m.base)
        if st is None:
            return mmp_mod.NOT_CONFIGURED
        if mmp_mod.Protection.due(st, now):
            self._mmp_thaw(st, now)
        return mmp_mod.FROZEN if st.frozen else ""

    def _mmp_fill(self, acct: Account, m: Market, signed: Decimal, now: int) -> None:
        st = self.mmp.get(acct.address, m.base)
        if st is None:   # removed while the order rested (removal cancels them; belt and braces)
            return
        if mmp_mod.Protection.due(st, now):
            self._mmp_thaw(st, now)
        if mmp_mod.Protection.record(st, signed, now):
            self._mmp_trips.append(st)

    def _mmp_orders(self, acct: Account, base: str) -> List[Order]:
        return [o for o in list(acct.open_orders.values())
                if mmp_mod.FLAG in o.flags and self.markets[o.market].base == base]

    def _mmp_cancel_tripped(self, now: int) -> None:
        """Cancel the open MMP orders of every protection that tripped (outside a book walk)."""
        trips, self._mmp_trips = self._mmp_trips, []
        for st in trips:
            acct = self.accounts[st.account]
            for o in self._mmp_orders(acct, st.base):
                self._cancel(o, now, mmp_mod.TRIGGERED)
            self.bus.publish("mmp", mmp_mod.event_copy(st), None, st.account)

    def _mmp_thaw(self, st: mmp_mod.MmpState, now: int) -> None:
        mmp_mod.Protection.thaw(st, now)
        self.bus.publish("mmp", mmp_mod.event_copy(st), None, st.account)

    def _mmp_thaw_due(self, now: int) -> None:
        """Freezes whose time is up end now (each tick: subscribers hear of it on time)."""
        for st in self.mmp.frozen():
            if mmp_mod.Protection.due(st, now):
                self._mmp_thaw(st, now)

    def set_leverage(self, address: str, market: str, leverage: int) -> dict:
        with self.lock:
            acct = self.account(address)
            m = self.market(market)
            max_lev = int(ONE / m.imf_base)
            if not isinstance(leverage, int) or isinstance(leverage, bool) or not 1 <= leverage <= max_lev:
                raise ExchangeError("INVALID_REQUEST_PARAMETER", f"leverage must be an integer from 1 to {max_lev}")
            acct.leverage[market] = leverage
            self._publish_account(acct)
            return {"account": acct.address, "market": market, "leverage": leverage, "margin_type": "CROSS"}

    def leverage_of(self, acct: Account, market: str) -> int:
        m = self.market(market)
        return acct.leverage.get(market) or int(ONE / m.imf_base)

    # ------------------------------------------------------------------ the simulator's clock
    def tick(self) -> None:
        """Advance the market by the time since the last tick: prices, quotes, synthetic trades,
        stops, funding. Called by the ticker thread (real clock) or by advance() (manual)."""
        with self.lock:
            self._step(lean=frozenset())

    def _step(self, lean) -> None:
        """One tick. ``lean``: markets a fast-forward step may move without their books (no
        client order, stop or TWAP there): their quotes are not re-laid and the flow prints at
        the touch the ladder would quote; the step's feeds (summary, funding data, tick) are
        left to the fast-forward's last step, an ordinary tick."""
        now = self.clock.now_ms()
        dt_s = max(0.0, (now - self.last_tick_ms) / 1000.0)
        self.last_tick_ms = now
        scenario = self.scenario
        for sym, st in self.states.items():
            seg = None
            if scenario is not None and not st.frozen:    # a price held by set_price wins
                seg, passed = scenario.current(sym, now)
                for old in passed:
                    self._finish_segment(sym, old, now, sym not in lean)
                if seg is not None and seg.anchor is None:
                    seg.anchor = st.index_price
            if scenario is not None:
                changes = scenario.changes(sym, now)
                if changes:
                    self._publish_segments(sym, changes, now)
            if seg is None:
                st.step_price(st.rng, dt_s)
            else:
                st.step_price(st.rng, dt_s, seg, now)
            st.sample_prices(now)
            if st.market.is_perpetual:
                st.update_funding_rate()
                period_ms = st.market.funding_period_hours * 3600 * 1000
                st.funding_index += st.funding_rate * st.mark_price * Decimal(int(dt_s * 1000)) / period_ms
                last_row = st.funding_history[-1].created_at if st.funding_history else 0
                if now - last_row >= FUNDING_DATA_EVERY_MS:
                    st.funding_history.append(self._funding_sample(st, now, st.funding_rate, st.funding_index))
                    kept = max(FUNDING_ROWS_KEPT, int(self.config.backfill_hours * 60) + 1)
                    if len(st.funding_history) > kept:
                        del st.funding_history[: len(st.funding_history) - kept]
            volume = st.volume_factor(now) if st.params.realistic else 1.0
            if seg is not None and seg.kind == "halt":
                pass                                   # the book frozen, no synthetic trades
            elif seg is not None and seg.kind in PATH_KINDS:
                self._path_prints(sym, seg, dt_s, now, requote=sym not in lean)
            elif sym in lean:
                self._lean_flow(sym, dt_s, now, volume if seg is None else seg.volume * volume)
            else:
                self._requote(sym, now)
                if seg is None:
                    self._synthetic_flow(sym, dt_s, now, volume)
                else:
                    self._synthetic_flow(sym, dt_s, now, seg.volume * volume)
            self._check_triggers(sym, now)
        self._mmp_thaw_due(now)
        if self.system_state == "ok":
            self._run_algos(now)
        if now >= self.next_funding_ms:
            self._pay_funding(now)
            interval = int(self.config.funding_interval * 1000)
            while self.next_funding_ms <= now:
                self.next_funding_ms += interval
        self._check_liquidations(now)
        self._retain_all(now)
        self._flush(now)
        if lean:
            return
        for sym, st in self.states.items():
            self.bus.publish("summary", self.stats(sym), sym)
            if st.market.is_perpetual:
                self.bus.publish("funding_data", self._funding_sample(st, now, st.funding_rate,
                                                                      st.funding_index), sym)
        self.bus.publish("tick", {"at": now})

    def advance(self, seconds: float = None, ticks: int = None) -> int:
        """Manual clock: move time forward, ticking at the configured interval. Returns now (ms).

        A move of ``seconds`` longer than FAST_FORWARD_AFTER_S fast-forwards: it steps
        ``fast_forward_step`` seconds at a time (when that is longer than a tick), each step a
        tick of that length (prices, candles, funding, stops, liquidations, TWAPs), markets
        without client orders skipping their books; the last step is an ordinary tick.
        ``ticks`` always ticks exactly that many times."""
        with self.lock:
            step = int(self.config.tick_interval * 1000)
            fast = int(self.config.fast_forward_step * 1000)
            if ticks is None:
                total = int(round(float(seconds or 0) * 1000))
                if fast > step and total > FAST_FORWARD_AFTER_S * 1000:
                    return self._fast_forward(total, fast)
                ticks, rest = divmod(total, step)
            else:
                rest = 0
            for _ in range(int(ticks)):
                self.clock.advance(step)
                self.tick()
            if rest:
                self.clock.advance(rest)
            return self.clock.now_ms()

    def _fast_forward(self, total: int, step: int) -> int:
        n, rest = divmod(total, step)
        for i in range(n):
            self.clock.advance(step)
            last = i == n - 1 and not rest
            self._step(lean=frozenset() if last else self._lean_markets())
        if rest:
            self.clock.advance(rest)
            self._step(lean=frozenset())
        # the feeds saw only what clients were part of: they take the whole state afresh
        self.bus.publish("resync", {"at": self.clock.now_ms()})
        return self.clock.now_ms()

    def _lean_markets(self) -> frozenset:
        """Markets whose book no client has anything to do with this step: no resting client
        order, no stop waiting, no TWAP running there."""
        busy = {sym for sym, waiting in self.triggers.items() if waiting}
        for acct in self.accounts.values():
            for o in acct.open_orders.values():
                busy.add(o.market)
            for algo in acct.algos.values():
                if algo.status != "CLOSED":
                    busy.add(algo.market)
        return frozenset(self.states.keys() - busy)

    def _lean_flow(self, sym: str, dt_s: float, now: int, volume: float = 1.0) -> None:
        """The synthetic flow of a fast-forward step in a market whose book is not re-laid: as
        many trades as ``_synthetic_flow`` would draw, at the touch the ladder would quote,
        printed as one trade a side (their summed size), in a random order. Recorded, not
        published: the fast-forward's ``resync`` hands the feeds the state at its end."""
        st = self.states[sym]
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
                self._print_trade(sym, side, size, ask if side == "BUY" else bid, now)

    def _requote(self, sym: str, now: int) -> None:
        """Replace the market maker's quotes with a fresh ladder around mark. New quotes that
        cross clients' resting orders trade with them first: that is how the market moving
        through a limit price fills it."""
        book = self.books[sym]
        st = self.states[sym]
        for o in self.sim_orders[sym]:
            if o.remaining > 0:
                book.side_for(o).remove(o)
        self.sim_orders[sym] = []
        bids, asks = st.ladder(st.rng)
        for side, levels in (("BUY", bids), ("SELL", asks)):
            for price, size in levels:
                o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="LIMIT", size=size,
                          price=price, remaining=size, created_at=now)
                self._match(o, book, price, now)
                if o.remaining > 0:
                    book.side_for(o).add(o)
                    self.sim_orders[sym].append(o)
        self._dirty_books.add(sym)

    def _synthetic_flow(self, sym: str, dt_s: float, now: int, volume: float = 1.0) -> None:
        """Other participants' market orders: public trades against whatever rests at the touch.
        Their number is Poisson with the fixture's rate, and at least one per tick, so a
        ``trades`` subscriber sees the market trade on every tick. ``volume`` (a scenario's
        multiplier) scales the expected number of trades, (lam + e^-lam) a tick, and then
        allows ticks without a trade."""
        st = self.states[sym]
        lam = st.params.trades_per_minute * dt_s / 60.0
        rng = st.rng
        if volume == 1.0:
            n = max(1, _poisson(rng, lam)) if dt_s > 0 else 0
        else:
            n = _poisson(rng, volume * expected_trades(lam)) if dt_s > 0 else 0
        book = self.books[sym]
        m = st.market
        for _ in range(n):
            side = "BUY" if rng.random() < 0.5 else "SELL"
            size = max(floor_step(st.params.trade_size * Decimal(repr(round(0.2 + rng.random() * 1.6, 4))), m.step), m.step)
            o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="MARKET", size=size,
                      price=ZERO, remaining=size, created_at=now)
            best = book.best_ask() if side == "BUY" else book.best_bid()
            if best is None:
                continue
            self._match(o, book, best, now)   # only the touch: flow does not sweep the book

    # ------------------------------------------------------------------ scenarios
    def set_scenario(self, scenario: Optional[Scenario]) -> dict:
        """Install ``scenario`` (a parsed ``Scenario``; None clears it) from now on. Checked
        entirely before anything changes (ScenarioError)."""
        with self.lock:
            now = self.clock.now_ms()
            if scenario is None:
                self._publish_scenario_swap(None, now)
                self.scenario = None
                return self.scenario_state()
            placed = scenario.install(now, self.markets)
            for key, segs in placed.markets.items():
                if segs[0].kind == "replay" and segs[0].backfill:
                    self._replay_history(key, segs[0], now)
            self._publish_scenario_swap(placed, now)
            self.scenario = placed
            return self.scenario_state()

    def _publish_scenario_swap(self, new: Optional[Scenario], now: int) -> None:
        """Publish "cleared" for each market of the scenario in force, then "installed" for each of ``new``."""
        old = self.scenario
        if old is not None:
            for key, segs in old.markets.items():
                i = old.active_index(key, now)
                self._publish_scenario(SegmentChange(key, "cleared", now, i, None if i is None else segs[i].kind,
                                                     segs[0].start_ms, segs[-1].end_ms, len(segs)))
        if new is not None:
            for key, segs in new.markets.items():
                self._publish_scenario(SegmentChange(key, "installed", now, None, None, segs[0].start_ms,
                                                     segs[-1].end_ms, len(segs)))

    def _publish_segments(self, sym: str, changes: list, now: int) -> None:
        segs = self.scenario.markets[sym]
        for i, change in changes:
            s = segs[i]
            self._publish_scenario(SegmentChange(sym, change, now, i, s.kind, s.start_ms, s.end_ms, len(segs)))

    def _publish_scenario(self, change: SegmentChange) -> None:
        ev = self.bus.publish("scenario", change, change.market)
        for fn in self.scenario_listeners:
            try:
                fn(ev)
            except Exception:      # a broken listener must not break the tick
                log.exception("scenario listener failed")

    def scenario_state(self) -> dict:
        with self.lock:
            now = self.clock.now_ms()
            if self.scenario is None:
                return {"start_ms": None, "now_ms": now, "markets": {}}
            return self.scenario.public(now)

    def _replay_history(self, sym: str, seg: Segment, now: int) -> None:
        """A replay's first ``backfill`` candles become the market's history up to its start (the
        replay's grid point at or before now); what the simulator made from then on goes."""
        st = self.states[sym]
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
        st.trades[_bisect_ts(st.trades, lo):] = []
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
        self._requote(sym, now)
        self._flush(now)

    def _finish_segment(self, sym: str, seg: Segment, now: int, requote: bool = True) -> None:
        """A segment the clock went past without a tick at its end: a gap jumps now; a path
        segment prints what it still owed (``requote`` False: a lean fast-forward step)."""
        st = self.states[sym]
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
            self._path_prints(sym, seg, 0.0, seg.end_ms, requote=requote)

    def _path_prints(self, sym: str, seg: Segment, dt_s: float, now: int, requote: bool = True) -> None:
        """The trades of a shock or a replay, at the scripted prices."""
        st = self.states[sym]
        m = st.market
        if seg.kind == "shock":
            if requote:
                self._requote(sym, now)
            lam = st.params.trades_per_minute * dt_s / 60.0
            seg.expected += Decimal(repr(round(expected_trades(lam), 12))) if dt_s > 0 else ZERO
            total = floor_step(Decimal(repr(seg.volume)) * st.params.trade_size * seg.expected, m.step)
            qty = total - seg.printed
            if qty > 0:
                seg.printed = total
                ts = min(now, seg.end_ms - 1)
                self._print_path(sym, "SELL" if seg.move < 0 else "BUY", qty, st.index_price, ts, requote)
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
                self._requote(sym, now)
            side = "BUY" if (j == 2) == up else "SELL"
            if qty > 0:
                self._print_path(sym, side, qty, price, ts, requote)
            else:          # a candle without volume still has its prices
                for series in (st.candles, st.second_candles):
                    series.add(ts, price, ZERO)
                st.last_price = price

    def _print_path(self, sym: str, side: str, qty: Decimal, price: Decimal, ts: int,
                    match: bool = True) -> None:
        """A scripted trade of ``qty`` at ``price``: client orders resting at or through that
        price trade first (at their prices), the rest prints between other participants.
        ``match`` False: a lean fast-forward step, whose book holds no client order (and whose
        trades are recorded, not published, as in ``_lean_flow``)."""
        st = self.states[sym]
        if st.trades:
            ts = max(ts, st.trades[-1].created_at)
        if not match:
            self._print_trade(sym, side, qty, price, ts)
            return
        o = Order(id="", account=SIM_ACCOUNT, market=sym, side=side, type="LIMIT", size=qty,
                  price=price, remaining=qty, created_at=ts)
        self._match(o, self.books[sym], price, ts)
        if o.remaining > 0:
            trade = self._print_trade(sym, side, o.remaining, price, ts)
            self.bus.publish("trade", trade, sym)

    def _check_triggers(self, sym: str, now: int) -> None:
        if self.system_state != "ok":      # TP/SL and stop triggers run in normal trading only
            return
        mark = self.states[sym].mark_price
        for o in list(self.triggers[sym]):
            if self._triggered(o, mark):
                self.triggers[sym].remove(o)
                o.triggered = True
                o.status = "NEW"
                acct = self.accounts[o.account]
                acct.hold(o)   # fired: it holds margin from now on
                self._order_changed(o, now)
                self._process(acct, o, now)

    @staticmethod
    def _triggered(o: Order, mark: Decimal) -> bool:
        if "STOP_CONDITION_BELOW_TRIGGER" in o.flags:
            return mark <= o.trigger_price
        if "STOP_CONDITION_ABOVE_TRIGGER" in o.flags:
            return mark >= o.trigger_price
        if o.type.startswith("TAKE_PROFIT"):
            return mark <= o.trigger_price if o.is_buy else mark >= o.trigger_price
        # STOP_* and STOP_LOSS_*: a buy stop fires on the way up, a sell stop on the way down
        return mark >= o.trigger_price if o.is_buy else mark <= o.trigger_price

    def _pay_funding(self, now: int) -> None:
        for acct in self.accounts.values():
            changed = False
            for pos in acct.positions.values():
                st = self.states[pos.market]
                if pos.size == 0:
                    pos.cached_funding_index = st.funding_index
                    continue
                payment = _money(-pos.size * (st.funding_index - pos.cached_funding_index))
                pos.cached_funding_index = st.funding_index
                pos.realized_funding += payment
                acct.balance += payment
                acct.balance_updated_at = now
                fp = FundingPayment(self._new_id(now), acct.address, pos.market, payment,
                                    st.funding_index, pos.last_fill_id, now)
                acct.funding_payments.append(fp)
                self._retain(acct, now)
                self.bus.publish("funding_payment", fp, pos.market, acct.address)
                pos.last_updated_at = now
                pos.seq_no = self.next_seq()
                self.bus.publish("position", self.position_update(acct, pos), pos.market, acct.address)
                changed = True
            if changed:
                self._publish_account(acct)

    # ------------------------------------------------------------------ liquidations
    def _check_liquidations(self, now: int) -> None:
        """Liquidate every account whose value has fallen below its maintenance margin (in
        normal trading only: not in maintenance, cancel_only or post_only)."""
        if self.system_state != "ok":
            return
        for acct in list(self.accounts.values()):
            if not any(p.size != 0 for p in acct.positions.values()):
                continue
            if self.margin(acct).status == "LIQUIDATION":
                self._liquidate(acct, now)

    def _liquidate(self, acct: Account, now: int) -> None:
        """Paradex's liquidation, simplified to its outcome: the account's open orders are
        cancelled (reason LIQUIDATION) and each position is closed at mark by the liquidation
        engine, a fill of type LIQUIDATION (taker fee) from a reduce-only MARKET order, printed as
        a public trade of type LIQUIDATION; the book is not touched. GET /liquidations lists it."""
        for o in list(acct.open_orders.values()):
            self._cancel(o, now, "LIQUIDATION")
        for sym, pos in sorted(acct.positions.items()):
            if pos.size == 0:
                continue
            side = "SELL" if pos.size > 0 else "BUY"
            qty = abs(pos.size)
            price = self.states[sym].mark_price
            order = Order(id="", account=acct.address, market=sym, side=side, type="MARKET", size=qty,
                          price=ZERO, instruction="IOC", flags=["REDUCE_ONLY"], remaining=qty, timestamp=now)
            self._accept(acct, order, now)
            trade = self._print_trade(sym, side, qty, price, now, trade_type="LIQUIDATION")
            order.remaining = ZERO
            order.filled_notional = qty * price
            acct.hold(order)
            self._fill_account(acct, order, "TAKER", price, qty, trade, self.books[sym].seq_no, now,
                               fill_type="LIQUIDATION")
            self.bus.publish("trade", trade, sym)
            self._close(order, now, "")
        n = len(acct.liquidations) + acct.liquidations_dropped
        digest = hashlib.sha256(f"{acct.address}:{now}:{n}".encode()).hexdigest()
        acct.liquidations.append({"id": "0x" + digest, "created_at": now})
        self._retain(acct, now)
        log.info("liquidated %s at %d", acct.address, now)

    def liquidations(self, address: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[dict]:
        """The account's liquidations, newest first."""
        with self.lock:
            acct = self.account(address)
            return [dict(r) for r in reversed(acct.liquidations)
                    if (start_ms is None or r["created_at"] >= start_ms)
                    and (end_ms is None or r["created_at"] <= end_ms)]

    # ------------------------------------------------------------------ control
    def set_price(self, symbol: str, price, hold: bool = True) -> dict:
        """Move a market's index (and so mark) to ``price`` now; resting orders and stops react."""
        with self.lock:
            st = self.states[self.market(symbol).symbol]
            try:
                p = to_decimal(price)
            except ValueError:
                raise ExchangeError("VALIDATION_ERROR", invalid("price", price, "not a decimal number")) from None
            if p <= 0:
                raise ExchangeError("VALIDATION_ERROR", "price must be positive")
            now = self.clock.now_ms()
            st.index_price = round_step(p, st.market.tick)
            st.premium = 0.0
            st.frozen = bool(hold)
            st.sample_prices(now)
            self._requote(symbol, now)
            self._check_triggers(symbol, now)
            self._check_liquidations(now)
            self._flush(now)
            stats = self.stats(symbol)
            self.bus.publish("summary", stats, symbol)
            return stats

    def set_funding_rate(self, symbol: str, rate) -> dict:
        with self.lock:
            st = self.states[self.market(symbol).symbol]
            if rate is None:
                st.funding_rate_override = None
            else:
                try:
                    st.funding_rate_override = to_decimal(rate)
                except ValueError:
                    raise ExchangeError("VALIDATION_ERROR", invalid("rate", rate, "not a decimal number")) from None
            st.update_funding_rate()
            return {"market": symbol, "funding_rate": fmt(st.funding_rate)}


def _rolling_24h(st: MarketState, now: int) -> tuple:
    """(open, high, low, base volume, quote volume, trades) of the 1-minute candles: the 1,440
    closed minutes before the current one, and the current (live) one. Quote volume values
    each closed minute at its close. The closed minutes are a ``RollingWindow`` (moved, not
    re-summed, as minutes pass); the live one is added on each call."""
    c = st.candles
    minute = now - now % MINUTE_MS
    w = st.window_memo
    if w is None or not w.valid(c, minute):
        w = st.window_memo = cdl.RollingWindow(c, DAY_MS)
    w.move(minute)
    high, low = w.high(), w.low()
    base, quote, trades = w.base, w.quote, w.trades
    if w.buckets:
        open_24h = c.data[w.buckets[0]][cdl.O]
    else:
        lo = bisect.bisect_left(c.minutes, minute - DAY_MS)
        open_24h = c.data[c.minutes[lo]][cdl.O] if lo < len(c.minutes) else st.last_price
    live = c.data.get(minute)
    if live is not None:
        high = live[cdl.H] if high is None or live[cdl.H] > high else high
        low = live[cdl.L] if low is None or live[cdl.L] < low else low
        base += live[cdl.V]
        quote += live[cdl.V] * live[cdl.C]
        trades += live[cdl.N]
    if high is None:
        high = low = st.last_price
    return open_24h, high, low, base, quote, trades


def _ceil_step(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(ONE, rounding=ROUND_CEILING) * step


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(MONEY_QUANTUM)


def _on_grid(value: Decimal, step: Decimal) -> bool:
    """``on_step`` for client input: a number too large for the working precision (``1e100``
    against a 0.1 tick) makes ``%`` raise DivisionImpossible; it is not a valid price or size."""
    try:
        return on_step(value, step)
    except InvalidOperation:
        return False


def _bisect_ts(trades: List[Trade], ts: int) -> int:
    lo, hi = 0, len(trades)
    while lo < hi:
        mid = (lo + hi) // 2
        if trades[mid].created_at < ts:
            lo = mid + 1
        else:
            hi = mid
    return lo


def expected_trades(lam: float) -> float:
    """The synthetic flow's expected trades in a tick of Poisson rate ``lam`` (at least one)."""
    return lam + math.exp(-lam)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, lam ** 0.5))))
    import math
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
