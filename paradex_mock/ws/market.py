"""Market-data machinery every venue's WS feed shares: the candles open now (kept from the hub's
snapshot and the trades that follow), book diffs with update ids that continue the REST
snapshot's, a per-stream throttle on the loop's clock, and the bookkeeping of who is subscribed
to what (``Subscriptions``, kept by every venue's ``MarketFeed``; shared book streams are
``StreamFeed``s). Venues only name and shape them."""
from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from typing import Any, Callable, Dict, Hashable, List, Optional, Set, Tuple

from ..engine import candles as cdl

ZERO = Decimal(0)


class OpenCandles:
    """The candle of each standard width that holds now, per market: from the snapshot's
    ``candles``, then every trade folds in, and a bucket that ends (by a later trade or tick)
    closes. ``on_close(market, width, row)`` hears of each closed candle before the next opens;
    rows are ``[open_time, *candles row]``, the engine's own shape, so they agree with REST."""

    def __init__(self, hub, on_close: Optional[Callable[[str, str, list], None]] = None):
        self.hub = hub
        self.on_close = on_close
        self.rows: Dict[str, Dict[str, list]] = {}        # market -> width -> row
        self.first_trade: Dict[Tuple[str, str], int] = {}  # (market, width) -> first trade seq in it

    def load(self) -> None:
        self.rows = {m: {w: _row(r) for w, r in rows.items()} for m, rows in self.hub.candles.items()}
        self.first_trade.clear()

    def row(self, market: str, width: str) -> Optional[list]:
        return self.rows.get(market, {}).get(width)

    def first_id(self, market: str, width: str) -> int:
        row = self.row(market, width)
        last = self.hub.last_trade.get(market, 0)
        got = self.first_trade.get((market, width))
        if got is not None:
            return got
        n = row[1 + cdl.N] if row else 0
        return last - n + 1 if n else -1

    def last_id(self, market: str, width: str) -> int:
        row = self.row(market, width)
        return self.hub.last_trade.get(market, 0) if row and row[1 + cdl.N] else -1

    def trade(self, t) -> None:
        rows = self.rows.get(t.market)
        if rows is None:
            return
        for width, row in rows.items():
            self._roll(t.market, width, row, t.created_at)
            row = rows[width]
            r = row[1:]
            if r[cdl.N] == 0 and r[cdl.V] == 0:       # its first trade sets the open
                row[1:] = cdl.new_row(t.price, t.size, t.side == "BUY")
                self.first_trade[(t.market, width)] = t.seq
            else:
                cdl.merge(r, cdl.new_row(t.price, t.size, t.side == "BUY"))
                row[1:] = r

    def tick(self, now_ms: int) -> None:
        for market, rows in self.rows.items():
            for width, row in list(rows.items()):
                self._roll(market, width, row, now_ms)

    def _roll(self, market: str, width: str, row: list, ts: int) -> None:
        interval = cdl.STANDARD[width]
        if ts < interval.next(row[0]):
            return
        if self.on_close is not None:
            self.on_close(market, width, row)
        close = row[1 + cdl.C]
        self.rows[market][width] = [interval.start(ts)] + cdl.new_row(close, trades=0)
        self.first_trade.pop((market, width), None)


def _row(r) -> list:
    """A snapshot's candle row as numbers: a separate WS process gets the snapshot as JSON, where
    the decimals arrive as strings."""
    out = [int(r[0])] + [Decimal(x) for x in r[1:]]
    out[1 + cdl.N] = int(out[1 + cdl.N])
    return out


def book_diff(old: List[Tuple[Decimal, Decimal]], new: List[Tuple[Decimal, Decimal]]) -> List[Tuple[Decimal, Decimal]]:
    """The levels that changed from ``old`` to ``new``: new sizes, and size 0 for levels gone."""
    before = dict(old)
    after = dict(new)
    out = [(p, q) for p, q in new if before.get(p) != q]
    out += [(p, ZERO) for p in before if p not in after]
    return out


class Throttle:
    """Calls ``fn`` at most once per ``interval_s`` of loop time, after ``poke()``: the first poke
    after a quiet spell fires at once, later ones coalesce into one call at the interval's end."""

    def __init__(self, interval_s: float, fn: Callable[[], None]):
        self.interval = interval_s
        self.fn = fn
        self.last = -math.inf
        self.handle: Optional[asyncio.TimerHandle] = None

    def poke(self) -> None:
        if self.handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self.last + self.interval - loop.time())
        self.handle = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.handle = None
        self.last = asyncio.get_running_loop().time()
        self.fn()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class Sub:
    """One subscription of one connection: what ``Hub.deliver`` reads (``conn``, ``channel.name``,
    ``account``; None on venues with no private channels)."""
    __slots__ = ("conn", "channel", "account")

    def __init__(self, conn, channel, account: Optional[str] = None):
        self.conn, self.channel, self.account = conn, channel, account


class StreamFeed:
    """A stream one key's subscribers share (a book at one depth and rate, say): its ``subs`` and
    a ``Throttle`` that calls the subclass's ``emit`` at most once per ``interval_s``."""

    def __init__(self, interval_s: float):
        self.subs: Set[Sub] = set()
        self.throttle = Throttle(interval_s, self.emit)

    def emit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.throttle.close()


class Subscriptions:
    """Who is subscribed to what, for one venue's feed. A subscription is either indexed under a
    key the venue picks (``add``; its subscribers are ``get(key)``) or joins the shared stream of a
    key (``join``: made by ``make()`` for the first subscriber, ``close()``d after the last; any
    object with a ``subs`` set and ``close()``). Empty keys are dropped, so ``index`` and ``feeds``
    hold live ones only; read them, change them through these methods."""

    def __init__(self):
        self.index: Dict[Hashable, Set[Any]] = {}     # key -> its subscribers
        self.feeds: Dict[Hashable, Any] = {}          # key -> its shared stream
        self._where: Dict[Any, Tuple[bool, Hashable]] = {}   # sub -> (joined a stream?, key)

    def __contains__(self, sub) -> bool:
        return sub in self._where

    def add(self, sub, key: Hashable = None) -> None:
        """Index ``sub`` under ``key`` (None: count it only)."""
        self._where[sub] = (False, key)
        if key is not None:
            self.index.setdefault(key, set()).add(sub)

    def join(self, sub, key: Hashable, make: Callable[[], Any]):
        """Add ``sub`` to the stream of ``key`` (``make()`` it if there is none) and return it."""
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = make()
        feed.subs.add(sub)
        self._where[sub] = (True, key)
        return feed

    def get(self, key: Hashable) -> Optional[Set[Any]]:
        return self.index.get(key)

    def remove(self, sub) -> None:
        """Forget ``sub`` (a no-op for one not here)."""
        where = self._where.pop(sub, None)
        if where is None or where[1] is None:
            return
        joined, key = where
        if joined:
            feed = self.feeds[key]
            feed.subs.discard(sub)
            if not feed.subs:
                feed.close()
                del self.feeds[key]
        else:
            subs = self.index[key]
            subs.discard(sub)
            if not subs:
                del self.index[key]

    def count(self, name: Optional[str] = None) -> int:
        """Subscriptions, or those of the channel called ``name``."""
        return sum(1 for s in self._where if name is None or s.channel.name == name)

    def close(self) -> None:
        for feed in self.feeds.values():
            feed.close()


class MarketFeed:
    """The base of a venue's feed on the shared hub (``hub.feeds``): its ``subs`` and what the
    server and the hub ask of every feed besides rendering (``remove``, ``subscriber_count``,
    ``close``). A venue adds ``add(conn, channel, account=None) -> Sub`` (indexing or joining the
    subscription under its own keys), ``on_snapshot()`` and ``on_event(ev)``."""

    def __init__(self, hub):
        self.hub = hub
        self.subs = Subscriptions()
        hub.feeds.append(self)

    def remove(self, sub) -> None:
        self.subs.remove(sub)

    def subscriber_count(self, name: Optional[str] = None) -> int:
        return self.subs.count(name)

    def close(self) -> None:
        self.subs.close()
