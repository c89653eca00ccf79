"""The event stream: every change the exchange makes, in order, with a gap-free sequence.

Subscribers are called synchronously under the exchange lock, so they must only enqueue.
A bounded history lets a reconnecting consumer (the WS process following ``/_mock/stream``) resume
without gaps.

How much history: the consumer that resumes is ``ws/sources.RemoteSource``, which reconnects
25-50 ms after its stream breaks (backing off to at most 2 s). Anything it cannot resume (the
events are gone, the server restarted or was reset) costs a fresh snapshot instead, so the
history only has to cover a short reconnect. ``HISTORY`` (10 000 events) is about a minute of
market data at 10 ticks a second (several at the default 1) and still about 0.7 s at the heaviest load the benchmark drives
(~15 000 events/s: 7 500 orders/s, each an ``order`` event on entry and one on close). Each event
holds its REST-shaped view (~1.4 KB for an order), so 10 000 of them are ~14 MB; the 50 000
kept before were ~70 MB of a worker's RSS, and that many live objects lengthen every full
garbage collection.
"""
import collections
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Dict, List, Optional, Tuple

from .models import Fill, Margin, Position


class Event(dict):
    """``{"seq": int, "kind": str, "market": str|None, "account": str|None, "data": {...}}``"""


HISTORY = 10_000     # events kept for resuming consumers (see above)


class EventBus:
    def __init__(self, history: int = HISTORY):
        self._lock = threading.Lock()
        self._seq = 0
        self._history = collections.deque(maxlen=history)
        self._subscribers: Dict[int, Callable[[Event], None]] = {}
        self._next_sub = 0
        self.epoch = 0  # bumped on reset so consumers know to resync from a snapshot

    @property
    def seq(self) -> int:
        return self._seq

    def publish(self, kind: str, data: dict, market: Optional[str] = None,
                account: Optional[str] = None) -> Event:
        with self._lock:
            self._seq += 1
            ev = Event(seq=self._seq, kind=kind, market=market, account=account, data=data)
            self._history.append(ev)
            if not self._subscribers:    # the common case under REST load: nobody follows live
                return ev
            subs = list(self._subscribers.values())
        for fn in subs:
            try:
                fn(ev)
            except Exception:  # a broken consumer must not break the exchange
                pass
        return ev

    def subscribe(self, fn: Callable[[Event], None]) -> int:
        with self._lock:
            self._next_sub += 1
            self._subscribers[self._next_sub] = fn
            return self._next_sub

    def unsubscribe(self, token: int) -> None:
        with self._lock:
            self._subscribers.pop(token, None)

    def since(self, seq: int) -> Optional[List[Event]]:
        """Events after ``seq``, or None if some of them are no longer kept."""
        with self._lock:
            if seq >= self._seq:
                return []
            if not self._history or self._history[0]["seq"] > seq + 1:
                return None
            return [e for e in self._history if e["seq"] > seq]

    def reset(self) -> None:
        with self._lock:
            self._history.clear()
            self.epoch += 1


# ------------------------------------------------------------------------------ domain events
# What the bus carries besides control events ("tick", "reset", "faults": small dicts). Each is a
# frozen record of the moment it was published, so a venue may render it later (on the WS loop,
# or in another process after ``engine.codec``) and still say what was true then.
#
#   kind             data                market   account
#   order            Order (a copy)      yes      yes
#   fill             Fill                yes      yes
#   trade            Trade               yes      -
#   position         PositionUpdate      yes      yes
#   account          AccountUpdate       -        yes
#   balance_event    BalanceChange       yes      yes
#   funding_payment  FundingPayment      yes      yes
#   book             BookUpdate          yes      -
#   summary          MarketStats         yes      -
#   funding_data     FundingSample       yes      -
#   transfer         Transfer            -        yes
#   algo             Algo (a copy)       yes      yes
#   markets          {"added", "at", "replaced", "venue", "name", "spec"}: a market listed (anew)
#   scenario         SegmentChange       yes      -        a scenario segment started or ended;
#                                                          a scenario installed or cleared
#
# A venue may publish events of its own lifecycles on the same bus (under the exchange lock), as
# plain dicts of its domain data: Paradex's RFQs publish "rfq" (``venues/paradex/extras/rfqs.py``).

@dataclass(frozen=True)
class BookUpdate:
    """A market's book after a change set: every level, best first (price, size)."""
    market: str
    seq_no: int
    last_updated_at: int
    bids: Tuple[Tuple[Decimal, Decimal], ...]
    asks: Tuple[Tuple[Decimal, Decimal], ...]


@dataclass(frozen=True)
class PositionUpdate:
    position: Position
    mark_price: Decimal
    funding_index: Decimal
    liquidation_price: Optional[Decimal]
    account_value: Decimal
    leverage: int = 0            # the account's leverage setting for the market (cross margin)


@dataclass(frozen=True)
class AccountUpdate:
    address: str
    margin: Margin
    updated_at: int
    seq_no: int


@dataclass(frozen=True)
class BalanceChange:
    fill: Fill
    funding_index: Decimal
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class MarketStats:
    """A market's prices and rolling 24 h statistics, as computed at ``created_at``."""
    market: str
    created_at: int
    mark_price: Decimal
    index_price: Decimal
    last_price: Decimal
    bid: Optional[Decimal]
    bid_size: Optional[Decimal]
    ask: Optional[Decimal]
    ask_size: Optional[Decimal]
    open_24h: Decimal
    high_24h: Decimal
    low_24h: Decimal
    volume_24h: Decimal          # base
    quote_volume_24h: Decimal    # closed minutes valued at their close, plus the live minute's
    trades_24h: int
    total_volume: Decimal        # quote, since start
    open_interest: Decimal
    funding_rate: Decimal


@dataclass(frozen=True)
class FundingSample:
    market: str
    created_at: int
    funding_index: Decimal
    funding_premium: Decimal
    funding_rate: Decimal
    funding_rate_8h: Decimal
    funding_period_hours: int


@dataclass(frozen=True)
class SegmentChange:
    """A market scenario's transition in one market (``engine/scenario.py``), published only when
    something changes, never per tick. ``change``: "started" / "ended" (segment ``index`` of the
    market's list; a segment the clock jumped over starts and ends at the same tick), or
    "installed" / "cleared" (the market's whole scenario: ``start_ms``/``end_ms`` span its
    segments; for "cleared", ``index`` is the segment that was active, if any). ``at``: the
    exchange time of the tick (or call) that made the change."""
    market: str
    change: str
    at: int
    index: Optional[int] = None
    kind: Optional[str] = None
    start_ms: Optional[int] = None
    end_ms: Optional[int] = None
    segments: int = 0
