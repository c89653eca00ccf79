"""Candles: OHLCV buckets of one price series, and the time grid they sit on.

A candle row is ``[open, high, low, close, volume, quote_volume, trades, taker_buy_volume,
taker_buy_quote_volume]`` (Decimals, trades an int): everything any venue's candle carries, built
from the very trades that print, so candles always agree with the trades behind them. Mark and
index series are sampled prices with zero volume.

Widths: the engine keeps 1-second and 1-minute buckets; coarser ones are aggregated at read time
on ``Interval``'s grid. Fixed widths align to the Unix epoch; a week opens Monday 00:00 UTC and a
month on the 1st (the calendar grid the venues use).
"""
from __future__ import annotations

import bisect
import collections
import calendar
import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Dict, Iterator, List, Optional

ZERO = Decimal(0)
SECOND_MS = 1000
MINUTE_MS = 60_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
MONDAY_MS = 4 * DAY_MS          # 1970-01-05, the first Monday after the epoch

# row indexes
O, H, L, C, V, QV, N, TBV, TBQV = range(9)


@dataclass(frozen=True)
class Interval:
    """A candle width: ``ms`` for fixed widths, or ``calendar`` "week" / "month"."""
    ms: int = 0
    calendar: str = ""

    def start(self, ts: int) -> int:
        """The opening time of the bucket holding ``ts``."""
        if self.calendar == "week":
            return ts - (ts - MONDAY_MS) % WEEK_MS
        if self.calendar == "month":
            d = _dt.datetime.fromtimestamp(ts / 1000, _dt.timezone.utc)
            return calendar.timegm((d.year, d.month, 1, 0, 0, 0)) * 1000
        return ts - ts % self.ms

    def next(self, start: int) -> int:
        """The opening time of the bucket after the one opening at ``start``."""
        if self.calendar == "week":
            return start + WEEK_MS
        if self.calendar == "month":
            d = _dt.datetime.fromtimestamp(start / 1000, _dt.timezone.utc)
            y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
            return calendar.timegm((y, m, 1, 0, 0, 0)) * 1000
        return start + self.ms

    @property
    def base_ms(self) -> int:
        """The stored width it aggregates: seconds below a minute, minutes otherwise."""
        return SECOND_MS if (self.ms and self.ms < MINUTE_MS) or (self.ms and self.ms % MINUTE_MS) else MINUTE_MS


def seconds(n: int) -> Interval:
    return Interval(ms=n * SECOND_MS)


def minutes(n: int) -> Interval:
    return Interval(ms=n * MINUTE_MS)


WEEK = Interval(calendar="week")
MONTH = Interval(calendar="month")

# Every width a venue of the mock serves, by its common notation. The WS side follows the candle of
# each that is open now (ws/market.py), so any venue's candle stream can start mid-candle.
STANDARD = {
    "1s": seconds(1), "1m": minutes(1), "3m": minutes(3), "5m": minutes(5), "15m": minutes(15),
    "30m": minutes(30), "1h": minutes(60), "2h": minutes(120), "4h": minutes(240), "6h": minutes(360),
    "8h": minutes(480), "12h": minutes(720), "1d": minutes(1440), "3d": minutes(4320), "1w": WEEK, "1M": MONTH,
}


def new_row(price: Decimal, size: Decimal = ZERO, taker_buy: bool = False, trades: int = 1) -> list:
    q = size * price
    return [price, price, price, price, size, q, trades if size else 0,
            size if taker_buy else ZERO, q if taker_buy else ZERO]


def merge(into: list, row: list) -> None:
    """Fold a later row of the same bucket into ``into``."""
    if row[H] > into[H]:
        into[H] = row[H]
    if row[L] < into[L]:
        into[L] = row[L]
    into[C] = row[C]
    into[V] += row[V]
    into[QV] += row[QV]
    into[N] += row[N]
    into[TBV] += row[TBV]
    into[TBQV] += row[TBQV]


class Candles:
    """Candles of one series in ``width_ms`` buckets (1 s or 1 min); ``keep_ms`` bounds how far
    back they are kept (0: forever)."""

    def __init__(self, width_ms: int = MINUTE_MS, keep_ms: int = 0):
        self.width = width_ms
        self.keep_ms = keep_ms
        self.minutes: List[int] = []                 # ascending bucket starts (ms)
        self.data: Dict[int, list] = {}              # start -> row (see the module docstring)
        self.version = 0                             # moves when buckets change other than at the end

    def add(self, ts_ms: int, price: Decimal, size: Decimal, taker_buy: bool = False) -> None:
        b = ts_ms - ts_ms % self.width
        c = self.data.get(b)
        if c is None:
            self.data[b] = new_row(price, size, taker_buy)
            if not self.minutes or b > self.minutes[-1]:
                self.minutes.append(b)
                if self.keep_ms and self.minutes[0] < b - self.keep_ms - self.width * 64:
                    self._trim(b - self.keep_ms)     # in batches: a trim per bucket is a list shift
            else:
                bisect.insort(self.minutes, b)
                self.version += 1            # a bucket before the last: windows over it start over
        else:
            if b != self.minutes[-1]:
                self.version += 1            # a bucket before the last changed: windows start over
            if price > c[H]:
                c[H] = price
            if price < c[L]:
                c[L] = price
            c[C] = price
            if size:
                q = size * price
                c[V] += size
                c[QV] += q
                c[N] += 1
                if taker_buy:
                    c[TBV] += size
                    c[TBQV] += q

    def _trim(self, before: int) -> None:
        self.version += 1
        i = bisect.bisect_left(self.minutes, before)
        for b in self.minutes[:i]:
            del self.data[b]
        del self.minutes[:i]

    def rows(self, interval: Interval, start_ms: int, end_ms: int, fill_gaps: bool = False) -> List[list]:
        """``[open_time, *row]`` for every bucket of ``interval`` that opens in
        (start - width, end], ascending. ``fill_gaps``: every bucket of that span is there, flat at
        the previous close with zero volume where nothing traded (as venues print them); buckets
        before the series' first trade stay out."""
        lo_t = interval.start(start_ms)
        lo = bisect.bisect_left(self.minutes, lo_t)
        hi = bisect.bisect_right(self.minutes, end_ms)
        out: List[list] = []
        cur = None
        if fill_gaps and lo > 0:      # the close before the span opens it
            cur = [None, [None, None, None, self.data[self.minutes[lo - 1]][C]]]
        for b in self.minutes[lo:hi]:
            row = self.data[b]
            bucket = interval.start(b)
            if cur is not None and cur[0] == bucket:
                merge(cur[1], row)
            else:
                if cur is not None and fill_gaps:
                    _fill(out, interval, cur, bucket, lo_t)
                cur = [bucket, list(row)]
                out.append(cur)
        if cur is not None and fill_gaps:
            _fill(out, interval, cur, interval.next(interval.start(end_ms)), lo_t)
        rows = [[t] + r for t, r in out]
        return [r for r in rows if r[0] >= lo_t and r[0] <= end_ms]

    def copy_prices(self) -> "Candles":
        """The same candles with zero volume (a price series sampled alongside this one)."""
        out = Candles(self.width, self.keep_ms)
        out.minutes = list(self.minutes)
        out.data = {b: [r[O], r[H], r[L], r[C], ZERO, ZERO, 0, ZERO, ZERO] for b, r in self.data.items()}
        return out

    def first_price_since(self, ts_ms: int) -> Optional[Decimal]:
        i = bisect.bisect_left(self.minutes, ts_ms - ts_ms % self.width)
        if i >= len(self.minutes):
            return None
        return self.data[self.minutes[i]][O]

    def last_close_before(self, ts_ms: int) -> Optional[Decimal]:
        i = bisect.bisect_left(self.minutes, ts_ms) - 1
        return self.data[self.minutes[i]][C] if i >= 0 else None

    def since(self, ts_ms: int) -> Iterator[tuple]:
        """(start, row) of the buckets opening at or after ``ts_ms``."""
        i = bisect.bisect_left(self.minutes, ts_ms)
        for b in self.minutes[i:]:
            yield b, self.data[b]


def _fill(out: list, interval: Interval, prev: list, until: int, first: int) -> None:
    """Flat buckets after ``prev`` (or from ``first`` when ``prev`` is the close before the span)
    up to, not including, ``until``."""
    close = prev[1][C]
    t = interval.next(prev[0]) if prev[0] is not None else first
    while t < until:
        out.append([t, [close, close, close, close, ZERO, ZERO, 0, ZERO, ZERO]])
        t = interval.next(t)


class RollingWindow:
    """Open, high, low, base and quote volume and trade count of the closed buckets of a series
    in [current - span, current) (``current``: the bucket that holds now), kept as sums and
    monotonic queues: each call adds the buckets closed since the last and drops those that
    left, instead of re-summing a day. A series whose buckets changed other than at its end
    (``Candles.version``) is summed afresh."""

    def __init__(self, series: "Candles", span_ms: int):
        self.series = series
        self.version = series.version
        self.span = span_ms
        self.upto = None                    # the current bucket when last moved (exclusive end)
        self.next = 0                       # index in series.minutes of the next bucket to take
        self.buckets: collections.deque = collections.deque()
        self.highs: collections.deque = collections.deque()     # (bucket, high), highs falling
        self.lows: collections.deque = collections.deque()      # (bucket, low), lows rising
        self.base = self.quote = Decimal(0)
        self.trades = 0

    def valid(self, series: "Candles", current: int) -> bool:
        return series is self.series and series.version == self.version and \
            (self.upto is None or current >= self.upto)

    def move(self, current: int) -> None:
        """Take the buckets before ``current``; drop those before ``current - span``."""
        minutes, data = self.series.minutes, self.series.data
        lo = current - self.span
        i = self.next
        while i < len(minutes) and minutes[i] < current:
            b = minutes[i]
            i += 1
            if b < lo:
                continue
            r = data[b]
            self.buckets.append(b)
            self.base += r[V]
            self.quote += r[V] * r[C]
            self.trades += r[N]
            while self.highs and self.highs[-1][1] <= r[H]:
                self.highs.pop()
            self.highs.append((b, r[H]))
            while self.lows and self.lows[-1][1] >= r[L]:
                self.lows.pop()
            self.lows.append((b, r[L]))
        self.next = i
        self.upto = current
        while self.buckets and self.buckets[0] < lo:
            b = self.buckets.popleft()
            r = data[b]
            self.base -= r[V]
            self.quote -= r[V] * r[C]
            self.trades -= r[N]
            if self.highs[0][0] == b:
                self.highs.popleft()
            if self.lows[0][0] == b:
                self.lows.popleft()

    def high(self):
        return self.highs[0][1] if self.highs else None

    def low(self):
        return self.lows[0][1] if self.lows else None
