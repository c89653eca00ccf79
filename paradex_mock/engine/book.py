"""A price-time priority order book. Simulated liquidity and clients' orders rest in the same
queues, so one matching path serves both."""
from __future__ import annotations

import bisect
from collections import deque
from decimal import Decimal
from typing import Deque, Dict, Iterator, List, Optional, Tuple

from .models import Order


class BookSide:
    def __init__(self, is_bid: bool):
        self.is_bid = is_bid
        self.levels: Dict[Decimal, Deque[Order]] = {}
        self.prices: List[Decimal] = []   # ascending
        # remaining size per level, kept as orders come, fill and go, so depth() reads it instead
        # of summing a level that may hold thousands of orders
        self.totals: Dict[Decimal, Decimal] = {}

    def best_price(self) -> Optional[Decimal]:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order) -> None:
        q = self.levels.get(order.price)
        if q is None:
            q = self.levels[order.price] = deque()
            bisect.insort(self.prices, order.price)
            self.totals[order.price] = order.remaining
        else:
            self.totals[order.price] += order.remaining
        q.append(order)

    def remove(self, order: Order) -> bool:
        q = self.levels.get(order.price)
        if q is None:
            return False
        try:
            q.remove(order)
        except ValueError:
            return False
        if not q:
            self._drop_level(order.price)
        else:
            self.totals[order.price] -= order.remaining
        return True

    def filled(self, price: Decimal, qty: Decimal) -> None:
        """An order resting at ``price`` traded ``qty`` (the caller lowers its remaining size)."""
        self.totals[price] -= qty

    def _drop_level(self, price: Decimal) -> None:
        del self.levels[price]
        del self.totals[price]
        i = bisect.bisect_left(self.prices, price)
        if i < len(self.prices) and self.prices[i] == price:
            self.prices.pop(i)

    def pop_front(self, price: Decimal) -> None:
        q = self.levels[price]
        o = q.popleft()
        if not q:
            self._drop_level(price)
        else:
            self.totals[price] -= o.remaining

    def iter_prices(self) -> Iterator[Decimal]:
        """Best price first. Iterates over a copy: callers may change the book."""
        return iter(list(reversed(self.prices)) if self.is_bid else list(self.prices))

    def depth(self, n: int) -> List[Tuple[Decimal, Decimal]]:
        out = []
        prices = reversed(self.prices) if self.is_bid else iter(self.prices)
        for p in prices:
            if len(out) >= n:
                break
            total = self.totals[p]
            if total > 0:
                out.append((p, total))
        return out

    def orders(self) -> Iterator[Order]:
        for p in list(self.prices):
            yield from list(self.levels.get(p, ()))

    def totals_recounted(self) -> Dict[Decimal, Decimal]:
        """Each level's remaining size summed afresh: what ``totals`` must equal (tests)."""
        return {p: sum((o.remaining for o in q), Decimal(0)) for p, q in self.levels.items()}

    def clear(self) -> None:
        self.levels.clear()
        self.prices.clear()
        self.totals.clear()


class OrderBook:
    def __init__(self, market: str):
        self.market = market
        self.bids = BookSide(True)
        self.asks = BookSide(False)
        self.seq_no = 0
        self.last_updated_at = 0

    def side_for(self, order: Order) -> BookSide:
        return self.bids if order.side == "BUY" else self.asks

    def opposite(self, order: Order) -> BookSide:
        return self.asks if order.side == "BUY" else self.bids

    def best_bid(self) -> Optional[Decimal]:
        return self.bids.best_price()

    def best_ask(self) -> Optional[Decimal]:
        return self.asks.best_price()

    def touch(self, now_ms: int) -> None:
        self.seq_no += 1
        self.last_updated_at = now_ms
