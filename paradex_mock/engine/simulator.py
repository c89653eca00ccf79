"""The market-data simulator: a seeded price process per market, the synthetic market maker's
quote ladder, synthetic order flow, and the history backfilled at start.

Everything random is drawn from the exchange's one ``random.Random`` so a seed replays exactly.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import List, Optional, Tuple

from .candles import MINUTE_MS, Candles
from .models import Market, Trade
from .numbers import ONE, ZERO, floor_step, round_step, to_decimal

YEAR_S = 365 * 24 * 3600
BACKFILL_TRADES_PER_MINUTE = 8     # see backfill
# 1-second candles are kept for two hours (a venue serves at most 1,000 of them a request; a day
# of them, one a second in every market, was hundreds of MB)
SECONDS_KEPT_MS = 2 * 3600 * 1000


@dataclass
class SimParams:
    start_price: Decimal
    volatility: float          # annualised
    drift: float               # annualised
    spread_bps: Decimal
    book_levels: int
    level_size: Decimal
    trades_per_minute: float
    trade_size: Decimal
    funding_rate: Decimal      # baseline rate per funding period
    open_interest: Decimal
    depth_levels: int = 0      # levels quoted beyond the near ladder, depth_gap_bps apart
    depth_gap_bps: Decimal = Decimal(5)
    depth_level_size: Decimal = ZERO   # their mean size (0: four times level_size)
    # realism (all off by default: the plain geometric random walk and a flat flow rate)
    tail_df: float = 0.0           # Student-t innovations with this many degrees of freedom (> 2)
    garch_alpha: float = 0.0       # volatility clustering: reaction of the variance to a shock
    garch_half_life_s: float = 1800.0   # how fast the variance returns to its mean
    volume_vol_link: float = 0.0   # flow volume x (variance ratio) ** this
    seasonality: float = 0.0       # intraday volume amplitude: x (1 + a cos(2 pi (h - peak) / 24))
    season_peak_hour: float = 14.0  # UTC hour of the busiest time

    @property
    def realistic(self) -> bool:
        return bool(self.tail_df or self.garch_alpha or self.seasonality or self.volume_vol_link)

    @classmethod
    def from_dict(cls, d: dict, market: Market) -> "SimParams":
        return cls(
            start_price=round_step(to_decimal(d.get("start_price", "100")), market.tick),
            volatility=float(d.get("volatility", 0.5)),
            drift=float(d.get("drift", 0.0)),
            spread_bps=to_decimal(d.get("spread_bps", "2")),
            book_levels=int(d.get("book_levels", 20)),
            level_size=to_decimal(d.get("level_size", "1")),
            trades_per_minute=float(d.get("trades_per_minute", 6)),
            trade_size=to_decimal(d.get("trade_size", "0.1")),
            funding_rate=to_decimal(d.get("funding_rate", "0.00001")),
            open_interest=to_decimal(d.get("open_interest", "1000")),
            depth_levels=int(d.get("depth_levels", 0)),
            depth_gap_bps=to_decimal(d.get("depth_gap_bps", "5")),
            depth_level_size=to_decimal(d.get("depth_level_size", "0")),
            tail_df=float(d.get("tail_df", 0.0)),
            garch_alpha=float(d.get("garch_alpha", 0.0)),
            garch_half_life_s=float(d.get("garch_half_life_s", 1800.0)),
            volume_vol_link=float(d.get("volume_vol_link", 0.0)),
            seasonality=float(d.get("seasonality", 0.0)),
            season_peak_hour=float(d.get("season_peak_hour", 14.0)),
        )


@dataclass
class MarketState:
    """Everything that moves in one market."""
    market: Market
    params: SimParams
    index_price: Decimal                  # the underlying ("oracle") price
    premium: float = 0.0                  # mark/index - 1, mean-reverting
    funding_rate: Decimal = ZERO          # current rate for one funding period
    funding_rate_override: Optional[Decimal] = None
    funding_index: Decimal = ZERO
    last_price: Decimal = ZERO
    total_volume: Decimal = ZERO
    open_interest: Decimal = ZERO
    rng: random.Random = field(default_factory=random.Random, repr=False)   # the venue's random source
    depth_rng: Optional[random.Random] = field(default=None, repr=False)    # the deep levels' sizes
    candles: Candles = field(default_factory=Candles)          # last trade prices
    second_candles: Candles = field(default_factory=lambda: Candles(1000, SECONDS_KEPT_MS))
    mark_candles: Candles = field(default_factory=Candles)     # mark, sampled every tick
    index_candles: Candles = field(default_factory=Candles)    # index ("underlying"), every tick
    trades: List[Trade] = field(default_factory=list)   # ascending by time
    funding_history: List[dict] = field(default_factory=list)
    frozen: bool = False                  # a price set by the control API holds until released
    trade_seq: int = 0                    # the last trade's number in this market (Trade.seq)
    var_ratio: float = 1.0                # realism: the variance now over its long-run mean

    # memos of Exchange.stats and its rolling window (derived, not state)
    stats_memo: Optional[tuple] = field(default=None, repr=False, compare=False)
    window_memo: Optional[object] = field(default=None, repr=False, compare=False)   # candles.RollingWindow

    # (index_price, premium, tick) -> mark: read several times per order (risk check, views)
    # between ticks that move it
    _mark_memo: Optional[tuple] = field(default=None, repr=False, compare=False)

    @property
    def mark_price(self) -> Decimal:
        memo = self._mark_memo
        # identity, not equality: the memo holds the inputs, so an id cannot be reused meanwhile
        if memo is not None and memo[0] is self.index_price and memo[1] is self.premium \
                and memo[2] is self.market.tick:
            return memo[3]
        p = round_step(self.index_price * (ONE + Decimal(repr(round(self.premium, 8)))), self.market.tick)
        self._mark_memo = (self.index_price, self.premium, self.market.tick, p)
        return p

    def sample_prices(self, now_ms: int) -> None:
        """Record mark and index for the mark/underlying klines."""
        self.index_candles.add(now_ms, self.index_price, ZERO)
        self.mark_candles.add(now_ms, self.mark_price, ZERO)

    def series(self, price_kind: str) -> Candles:
        """The candles of ``price_kind``: "last" (trades), "mark" or "index"."""
        if price_kind == "mark":
            return self.mark_candles
        if price_kind == "index":
            return self.index_candles
        return self.candles

    def step_price(self, rng: random.Random, dt_s: float, seg=None, now: int = 0) -> None:
        """One tick of the price process. ``seg``: the scenario segment acting now
        (``engine/scenario.py``); None, the seeded simulator alone."""
        if self.frozen or dt_s <= 0:
            return
        dt = dt_s / YEAR_S
        if seg is None:
            mu = (self.params.drift - 0.5 * self.params.volatility ** 2) * dt
            vol = self.params.volatility
        else:
            kind = seg.kind
            if kind == "halt":
                return
            if kind in ("hold", "shock", "replay"):     # the price is the script's; mark = index
                if kind == "hold":
                    self.index_price = max(round_step(seg.price, self.market.tick), self.market.tick)
                elif kind == "shock":
                    self.index_price = self.shock_price(seg, now)
                self.premium = 0.0
                return
            vol = self.params.volatility
            if kind == "trend":
                vol = seg.volatility if seg.volatility is not None else vol
                if seg.drift is not None:
                    mu = (seg.drift - 0.5 * vol ** 2) * dt
                else:     # move_pct: the median path moves that much over the segment
                    mu = math.log1p(seg.move) * dt_s / seg.seconds
            else:          # calm, volatile: the volatility scaled; free: as unscripted
                vol = vol * seg.factor
                mu = (self.params.drift - 0.5 * vol ** 2) * dt
        if self.params.realistic:
            z = self._realistic_shock(rng, dt_s)
            vol = vol * math.sqrt(self.var_ratio)
            self.var_ratio = self._next_variance(z, dt_s)
        else:
            z = rng.gauss(0.0, 1.0)
        ret = mu + vol * math.sqrt(dt) * z
        p = self.index_price * Decimal(repr(round(math.exp(ret), 12)))
        self.index_price = max(round_step(p, self.market.tick), self.market.tick)
        # premium: Ornstein-Uhlenbeck around 0 with a ~5 minute half-life, a few bps wide
        k = min(1.0, dt_s / 430.0)
        self.premium += -k * self.premium + 0.0002 * math.sqrt(min(dt_s, 3600) / 60.0) * rng.gauss(0, 1) * 0.1
        self.premium = max(-0.005, min(0.005, self.premium))

    def _realistic_shock(self, rng: random.Random, dt_s: float) -> float:
        """A unit-variance innovation: Student-t with ``tail_df`` degrees (fat tails), else normal."""
        z = rng.gauss(0.0, 1.0)
        df = self.params.tail_df
        if df > 2:
            chi2 = rng.gammavariate(df / 2.0, 2.0)
            z = z / math.sqrt(chi2 / df) * math.sqrt((df - 2) / df)
        return z

    def _next_variance(self, z: float, dt_s: float) -> float:
        """GARCH(1,1)-like, in continuous time: a shock z moves the variance by alpha x (z^2 - 1)
        (scaled with the square root of the tick), which decays to its mean with the half-life."""
        p = self.params
        h = self.var_ratio
        if not p.garch_alpha:
            return 1.0
        k = 1.0 - 0.5 ** (dt_s / max(p.garch_half_life_s, 1e-9))
        a = min(0.9, p.garch_alpha * math.sqrt(dt_s))
        return max(0.05, min(25.0, h + k * (1.0 - h) + a * h * (min(z * z, 50.0) - 1.0)))

    def volume_factor(self, now_ms: int) -> float:
        """The flow's multiplier now: intraday seasonality and the variance link (1.0 when off)."""
        p = self.params
        f = 1.0
        if p.seasonality:
            hour = (now_ms % 86_400_000) / 3_600_000
            f *= max(0.0, 1.0 + p.seasonality * math.cos(2 * math.pi * (hour - p.season_peak_hour) / 24.0))
        if p.volume_vol_link:
            f *= self.var_ratio ** p.volume_vol_link
        return f

    def shock_price(self, seg, now: int) -> Decimal:
        """A shock's price at ``now``: from its anchor to anchor x (1 + move), even in log price."""
        span = max(1, seg.end_ms - seg.start_ms)
        f = min(1.0, max(0.0, (now - seg.start_ms) / span))
        p = seg.anchor * Decimal(repr(round(math.exp(math.log1p(seg.move) * f), 12)))
        return max(round_step(p, self.market.tick), self.market.tick)

    def update_funding_rate(self) -> None:
        if self.funding_rate_override is not None:
            self.funding_rate = self.funding_rate_override
            return
        cap = self.market.max_funding_rate
        raw = self.params.funding_rate + Decimal(repr(round(self.premium / 8, 10)))
        self.funding_rate = max(-cap, min(cap, raw)).quantize(Decimal("1e-10"))

    def ladder(self, rng: random.Random) -> Tuple[List[Tuple[Decimal, Decimal]], List[Tuple[Decimal, Decimal]]]:
        """The market maker's quotes around the mark: (bids, asks) as (price, size), best first."""
        m = self.market
        mid = self.mark_price
        half = max(mid * self.params.spread_bps / Decimal(20000), m.tick)
        best_bid = floor_step(mid - half, m.tick)
        best_ask = best_bid + max(round_step(2 * half, m.tick), m.tick)
        gap = max(round_step(mid * Decimal("0.0001"), m.tick), m.tick)   # ~1 bp between levels
        bids, asks = [], []
        for i in range(self.params.book_levels):
            for side, base in ((bids, best_bid - gap * i), (asks, best_ask + gap * i)):
                if base <= 0:
                    continue
                factor = Decimal(repr(round(0.5 + rng.random() * (1 + i * 0.25), 3)))
                size = max(floor_step(self.params.level_size * factor, m.step), m.step)
                side.append((base, size))
        p = self.params
        if p.depth_levels and bids and asks:
            # the deep book, drawn from its own stream so the near ladder stays what it was
            deep_rng = self.depth_rng or rng
            deep_gap = max(round_step(mid * p.depth_gap_bps / Decimal(10000), m.tick), m.tick)
            mean = p.depth_level_size or p.level_size * 4
            for i in range(1, p.depth_levels + 1):
                for side, base in ((bids, bids[-1][0] - deep_gap), (asks, asks[-1][0] + deep_gap)):
                    if base <= 0:
                        continue
                    factor = Decimal(repr(round(0.5 + deep_rng.random(), 3)))
                    side.append((base, max(floor_step(mean * factor, m.step), m.step)))
        return bids, asks


def backfill(state: MarketState, rng: random.Random, now_ms: int, hours: float,
             new_trade_id, keep_trades_minutes: int = 60) -> None:
    """Generate ``hours`` of 1-minute history ending at ``now_ms``: candles for all of it, and the
    trades behind the last ``keep_trades_minutes`` minutes. Candles are built from the very trades
    generated, so they agree. The price path ends at the fixture's start price."""
    minutes = int(hours * 60)
    if minutes <= 0:
        state.last_price = state.index_price
        return
    m = state.market
    p = state.params
    end_price = float(state.index_price)
    sigma_min = p.volatility * math.sqrt(60.0 / YEAR_S)
    # a day of history at a busy market's full rate would cost seconds at every start: the backfill
    # prints at most BACKFILL_TRADES_PER_MINUTE a minute, each bigger, so a minute's volume is the same
    per_min = max(1, int(round(min(p.trades_per_minute, BACKFILL_TRADES_PER_MINUTE))))
    steps = minutes * per_min
    # Walk backwards from the start price so "now" lands exactly on the fixture's price.
    sigma_trade = sigma_min / math.sqrt(per_min)
    path = [end_price]
    x = end_price
    for _ in range(steps):
        x = x / math.exp(sigma_trade * rng.gauss(0, 1))
        path.append(x)
    path.reverse()
    first_min = now_ms - now_ms % MINUTE_MS - minutes * MINUTE_MS
    keep_from = first_min + (minutes - keep_trades_minutes) * MINUTE_MS
    # Prices and sizes are drawn as whole numbers of ticks and steps (ints are cheap; this loop
    # makes ~40k trades at start), then become Decimals exactly.
    tick, step = m.tick, m.step
    tick_f, step_f = float(tick), float(step)
    size_scale = float(p.trade_size) / step_f
    if per_min < p.trades_per_minute:
        size_scale *= p.trades_per_minute / per_min
    ticks_cache: dict = {}
    candles = state.candles
    seconds = state.second_candles
    trades = state.trades
    volume = ZERO
    k = 0
    rand = rng.random
    tick_step = tick * step
    for mi in range(minutes):
        t0 = first_min + mi * MINUTE_MS
        if t0 < keep_from:
            # Minutes before the kept trades: the candle is summed in whole ticks and steps (the
            # same draws in the same order; one row a minute, not one update a trade)
            o = h = lo = c = 0
            v = qv = tb = tbq = 0
            for j in range(per_min):
                n_ticks = max(1, round(path[k] / tick_f))
                k += 1
                n_steps = max(1, int(size_scale * (0.2 + rand() * 1.6)))
                rand()                                  # the trade's time within the minute
                if j == 0:
                    o = h = lo = n_ticks
                elif n_ticks > h:
                    h = n_ticks
                elif n_ticks < lo:
                    lo = n_ticks
                c = n_ticks
                v += n_steps
                qv += n_ticks * n_steps
                if rand() < 0.5:                        # the taker bought
                    tb += n_steps
                    tbq += n_ticks * n_steps
            candles.minutes.append(t0)
            candles.data[t0] = [tick * o, tick * h, tick * lo, tick * c, step * v, tick_step * qv, per_min,
                                step * tb, tick_step * tbq]
            volume += tick_step * qv
            continue
        for j in range(per_min):
            n_ticks = max(1, round(path[k] / tick_f))
            k += 1
            price = ticks_cache.get(n_ticks)
            if price is None:
                price = ticks_cache[n_ticks] = tick * n_ticks
            size = step * max(1, int(size_scale * (0.2 + rand() * 1.6)))
            ts = t0 + int((j + rand()) * MINUTE_MS / per_min)
            side = "BUY" if rand() < 0.5 else "SELL"
            candles.add(ts, price, size, side == "BUY")
            seconds.add(ts, price, size, side == "BUY")   # 1-second candles: the last kept minutes only
            volume += size * price
            trades.append(Trade(new_trade_id(ts), m.symbol, side, size, price, ts, seq=k))
    state.last_price = trades[-1].price if trades else state.index_price
    state.total_volume = volume
    state.trade_seq = k
    state.index_candles, state.mark_candles = _backfill_marks(state, path, per_min, first_min, minutes)


def _backfill_marks(state: MarketState, path: list, per_min: int, first_min: int, minutes: int):
    """Index and mark candles of the backfilled history. The index is the trade path smoothed (an
    oracle averages several venues, so it lags the last trade) and the mark is the index with a
    small mean-reverting premium, as from the first tick on. Their randomness comes from a
    generator derived from the path, not from the market's stream, which stays as it was."""
    m = state.market
    tick, tick_f = m.tick, float(m.tick)
    rnd = random.Random(f"{m.symbol}:{path[0]!r}:marks")
    cache: dict = {}

    def dec(x: float) -> Decimal:
        n = max(1, round(x / tick_f))
        d = cache.get(n)
        if d is None:
            d = cache[n] = tick * n
        return d

    index, mark = Candles(), Candles()
    ema = path[0]
    premium = 0.0
    k = 0
    for mi in range(minutes):
        pts = []
        for _ in range(per_min):
            ema += 0.3 * (path[k] - ema)
            pts.append(ema)
            k += 1
        premium += -0.2 * premium + 0.00004 * rnd.gauss(0, 1)
        premium = max(-0.005, min(0.005, premium))
        b = first_min + mi * MINUTE_MS
        lo, hi = min(pts), max(pts)
        for series, scale in ((index, 1.0), (mark, 1.0 + premium)):
            series.minutes.append(b)
            series.data[b] = [dec(pts[0] * scale), dec(hi * scale), dec(lo * scale), dec(pts[-1] * scale),
                              ZERO, ZERO, 0, ZERO, ZERO]
    return index, mark
