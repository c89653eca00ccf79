"""The market-data read API: a market by key, its book, its prices and rolling 24 h statistics,
its public trades, candles (and windows and klines of them) and funding-data rows. Reads only;
``MarketData`` runs under the exchange's lock."""
from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Dict, List, Optional

from .. import candles as cdl
from ..errors import EngineError, Reason, excerpt
from ..events import BookUpdate, FundingSample, MarketStats
from ..models import Market, Trade
from ..numbers import ZERO
from ..simulator import MINUTE_MS, MarketState

if TYPE_CHECKING:
    from .core import Exchange

PUBLISHED_DEPTH = 1000    # book levels a side a BookUpdate carries (the deepest any venue serves)
DAY_MS = 24 * 3600 * 1000


class MarketData:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def market(self, symbol: str) -> Market:
        m = self.ex.markets.get(symbol)
        if m is None:
            raise EngineError(Reason.MARKET_NOT_FOUND, f"market {excerpt(symbol)} not found")
        return m

    def book_update(self, symbol: str, depth: int = PUBLISHED_DEPTH) -> BookUpdate:
        """The book now, ``depth`` levels a side (what a ``book`` event carries)."""
        book = self.ex.books[self.market(symbol).symbol]
        return BookUpdate(symbol, book.seq_no, book.last_updated_at,
                          tuple(book.bids.depth(depth)), tuple(book.asks.depth(depth)))

    def stats(self, symbol: str) -> MarketStats:
        """Prices and rolling 24 h statistics now. Recomputed only when an input changed (book,
        prices, trades, funding, open interest, the minute of the window, a reset), so reads
        between changes cost nothing."""
        ex = self.ex
        st = ex.states[self.market(symbol).symbol]
        book = ex.books[symbol]
        now = ex.clock.now_ms()
        key = (book, book.seq_no, book.last_updated_at, ex.bus.epoch, st.last_price, st.index_price,
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
        trades = self.ex.states[self.market(symbol).symbol].trades
        lo, hi = 0, len(trades)
        if start_ms is not None:
            lo = bisect_ts(trades, start_ms)
        if end_ms is not None:
            hi = bisect_ts(trades, end_ms + 1)
        return trades[lo:hi][::-1]

    def candles(self, symbol: str, interval: cdl.Interval, start_ms: int, end_ms: int,
                price_kind: str = "last", fill_gaps: bool = False) -> List[list]:
        """Candle rows ``[open_time, o, h, l, c, volume, quote_volume, trades, taker_buy_volume,
        taker_buy_quote_volume]`` of the buckets of ``interval`` opening in [start, end] (and the
        one holding ``start``), ascending. ``price_kind``: "last", "mark" or "index"."""
        st = self.ex.states[self.market(symbol).symbol]
        series = st.second_candles if interval.base_ms < MINUTE_MS and price_kind == "last" \
            else st.series(price_kind)
        return series.rows(interval, start_ms, end_ms, fill_gaps)

    def window(self, symbol: str, start_ms: int, end_ms: int) -> dict:
        """Open, high, low, close, volumes and trade count over [start, end], from the 1-minute
        candles (so at minute granularity at its start)."""
        rows = self.candles(symbol, cdl.minutes(1), start_ms, end_ms)
        rows = [r for r in rows if r[0] >= start_ms - start_ms % MINUTE_MS]
        if not rows:
            last = self.ex.states[symbol].last_price
            return {"open": last, "high": last, "low": last, "close": last, "volume": ZERO, "quote_volume": ZERO,
                    "trades": 0, "open_time": start_ms, "close_time": end_ms}
        return {"open": rows[0][1 + cdl.O], "high": max(r[1 + cdl.H] for r in rows),
                "low": min(r[1 + cdl.L] for r in rows), "close": rows[-1][1 + cdl.C],
                "volume": sum((r[1 + cdl.V] for r in rows), ZERO), "quote_volume": sum((r[1 + cdl.QV] for r in rows), ZERO),
                "trades": sum(r[1 + cdl.N] for r in rows), "open_time": start_ms, "close_time": end_ms}

    def open_candles(self, symbol: str) -> Dict[str, list]:
        """The candle of each standard width (``candles.STANDARD``) that holds now, as ``candles``
        rows (a flat one at the last price where no trade printed yet)."""
        st = self.ex.states[self.market(symbol).symbol]
        now = self.ex.clock.now_ms()
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
        rows = self.ex.states[self.market(symbol).symbol].funding_history
        return [r for r in reversed(rows)
                if (start_ms is None or r.created_at >= start_ms)
                and (end_ms is None or r.created_at <= end_ms)]


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


def bisect_ts(trades: List[Trade], ts: int) -> int:
    """The index of the first of ``trades`` (oldest first) created at or after ``ts``."""
    return bisect.bisect_left(trades, ts, key=_created_at)


def _created_at(t: Trade) -> int:
    return t.created_at
