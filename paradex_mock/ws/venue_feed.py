"""The feed side of a market-data venue's WebSocket app: the skeleton every such venue's feed
repeats, once, with the venue's rendering plugged in as hooks. It knows no venue by name: a feed
is made with the venue's name and hears only of that venue's markets.

* ``VenueFeed``: routes the hub's events (the clock's ticks, resets, and the venue's trades, book
  and statistics changes) to hooks, keeps the venue's open candles, names its markets and sends
  frames through the hub (so WS faults apply).
* ``DiffFeed``: a stream of one market's book as diffs, every change between two pushes folded
  into the next (a level that came and went in between goes out as size 0).
* ``WholeBookFeed``: a stream of one market's book as a whole, pushed when the book moved on.
* ``MarketRules``: the venue's markets (their rules) on the WS side, in-process or not.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

from .market import MarketFeed, OpenCandles, StreamFeed, book_diff
from .venue_app import dumps


class VenueFeed(MarketFeed):
    """A venue's feed on the shared hub. Hooks, each a no-op unless the venue has it:
    ``on_tick()`` after the open candles rolled to the clock, ``on_reset()`` after they were
    reloaded, ``on_trade(market, t)`` (after the trade folded into the candles),
    ``on_book(market, book)``, ``on_summary(market, stats)``, ``candle_closed(market, width, row)``.
    ``frame(name, data)`` renders what ``send`` sends (compact JSON of the data by default)."""

    def __init__(self, hub, venue: str):
        super().__init__(hub)
        self.venue = venue
        self.candles = OpenCandles(hub, self.candle_closed)

    # ------------------------------------------------------------------ names
    def markets(self) -> List[str]:
        """The venue's market keys on the hub."""
        return self.hub.markets_of(self.venue)

    def name_of(self, market: str) -> str:
        """A market's name on the wire: its key without the venue."""
        return market.split(":", 1)[1]

    def known(self) -> Dict[str, str]:
        """Wire name -> market key, for parsing subscriptions."""
        return {self.name_of(m): m for m in self.markets()}

    @staticmethod
    def frame(name: str, data) -> str:
        return dumps(data)

    def send(self, subs, data, sequenced=None) -> None:
        """Through the hub, so WS faults apply; ``sequenced`` as ``Hub.deliver`` takes it."""
        if subs:
            self.hub.deliver(subs, data, self.frame, sequenced)

    # ------------------------------------------------------------------ events in
    def load_candles(self) -> None:
        """The open candles of this venue's markets only (the hub holds every venue's)."""
        self.candles.load()
        self.candles.rows = {m: r for m, r in self.candles.rows.items() if self.hub.venue_of.get(m) == self.venue}

    def on_snapshot(self) -> None:
        self.load_candles()

    def on_event(self, ev: dict) -> None:
        kind, market, data = ev.get("kind"), ev.get("market"), ev.get("data")
        if kind == "tick":
            self.candles.tick(self.hub.now_ms)
            self.on_tick()
            return
        if kind == "reset":
            self.load_candles()
            self.on_reset()
            return
        if market is None or self.hub.venue_of.get(market) != self.venue:
            return
        if kind == "trade":
            self.candles.trade(data)
            self.on_trade(market, data)
        elif kind == "book":
            self.on_book(market, data)
        elif kind == "summary":
            self.on_summary(market, data)

    def on_tick(self) -> None:
        pass

    def on_reset(self) -> None:
        pass

    def on_trade(self, market: str, t) -> None:
        pass

    def on_book(self, market: str, book) -> None:
        pass

    def on_summary(self, market: str, stats) -> None:
        pass

    def candle_closed(self, market: str, width: str, row: list) -> None:
        pass


class DiffFeed(StreamFeed):
    """One market's book as diffs, at most once per ``interval_s``. ``levels`` is the book (its
    top ``depth`` levels; None: all) as of update ``seen``; the subscribers have update ``last``;
    ``pending`` (bids, asks) maps each price changed since then to ``change(size, book)`` (the
    new size by default; 0 for a level gone). The venue's ``emit`` renders ``take()``."""

    def __init__(self, hub, market: str, interval_s: float, depth: Optional[int] = None):
        super().__init__(interval_s)
        self.hub, self.market, self.depth = hub, market, depth
        self.restart()

    def top(self, book) -> tuple:
        return (list(book.bids[:self.depth]), list(book.asks[:self.depth])) if book else ([], [])

    def restart(self) -> None:
        """From the hub's book as it is now, nothing pending."""
        book = self.hub.books.get(self.market)
        self.levels = self.top(book)
        self.last = self.seen = book.seq_no if book else 0
        self.pending = ({}, {})

    def change(self, size, book):
        return size

    def absorb(self, book) -> None:
        """A book update: note what changed since the one before."""
        if book.seq_no <= self.seen:
            return
        new = self.top(book)
        for side in (0, 1):
            for p, q in book_diff(self.levels[side], new[side]):
                self.pending[side][p] = self.change(q, book)
        self.levels, self.seen = new, book.seq_no
        self.throttle.poke()

    def take(self) -> tuple:
        """The changes pending, (bids best first, asks best first); from now on the subscribers
        have update ``seen`` and nothing is pending."""
        bids = sorted(self.pending[0].items(), reverse=True)
        asks = sorted(self.pending[1].items())
        self.last, self.pending = self.seen, ({}, {})
        return bids, asks


class WholeBookFeed(StreamFeed):
    """One market's book as a whole, at most once per ``interval_s`` and only when the book moved
    on since the last push: the venue's ``push(book)`` sends it to ``subs``."""

    def __init__(self, hub, market: str, interval_s: float):
        super().__init__(interval_s)
        self.hub, self.market = hub, market
        self.sent_seq = -1

    def emit(self) -> None:
        book = self.hub.books.get(self.market)
        if book is None or not self.subs or book.seq_no == self.sent_seq:
            return
        self.sent_seq = book.seq_no
        self.push(book)

    def push(self, book) -> None:
        raise NotImplementedError


class MarketRules:
    """The venue's markets (their rules, for wire names and number formats) by key: the engine's
    own in-process (``exchange``); from the fixtures (``load(fixtures_dir)``) in a WS process of
    its own, where a market listed at run time gets ``add(name, 1)``'s rules, ``name`` being its
    key without the venue."""

    def __init__(self, hub, venue: str, exchange, fixtures_dir: str, load: Callable, add: Callable):
        self.hub, self.venue, self.exchange = hub, venue, exchange
        self.fixtures_dir, self.load, self.add = fixtures_dir, load, add
        self.by_key: Dict[str, object] = {}
        self._fixture: Optional[dict] = None

    def sync(self) -> Dict[str, object]:
        """Brought up to the hub's markets of the venue."""
        keys = set(self.hub.markets_of(self.venue))
        if set(self.by_key) == keys:
            return self.by_key
        engine = getattr(self.exchange, "markets", None)
        out = {}
        for k in keys:
            if engine is not None and k in engine:
                out[k] = engine[k]
                continue
            if self._fixture is None:
                self._fixture = {d.market.symbol: d.market for d in self.load(self.fixtures_dir)}
            out[k] = self._fixture[k] if k in self._fixture else self.add(k.split(":", 1)[1], 1).market
        self.by_key = out
        return out
