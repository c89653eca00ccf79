"""Market maker protection (MMP): per account and base asset, a sliding window over the maker
fills of the account's MMP-flagged orders on that base asset's markets.

When the window's summed fill size exceeds the size limit, or the absolute net delta (buys
positive, sells negative: a perpetual's delta is its size) exceeds the delta limit, the
protection trips: the exchange cancels the account's open MMP orders on the base asset
(``TRIGGERED``) and closes new ones on arrival (``FROZEN``) until the freeze ends,
``frozen_time_ms`` after the trip (0: until a reset). A limit of 0 is a check switched off. An
MMP order with no config for its base asset closes with ``NOT_CONFIGURED``; removing a config
cancels its open MMP orders (``DISABLED``). Only maker fills count: an MMP order that crosses
the book is not protected and does not offset the window.

This module keeps the state and decides; ``Exchange`` (which owns the orders) does the
cancelling and publishes each state change as an ``"mmp"`` event carrying an ``MmpState``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

from .numbers import ZERO

FLAG = "MMP"                          # the order flag that opts an order in
TRIGGERED = "MMP_TRIGGERED"           # cancel reasons
FROZEN = "MMP_FROZEN"
DISABLED = "MMP_DISABLED"
NOT_CONFIGURED = "MMP_NOT_CONFIGURED"
MIN_FREEZE_MS = 1000                  # a reset within this long of a trip is refused


@dataclass
class MmpState:
    """One account's config for one base asset, and its live state."""
    account: str
    base: str
    interval_ms: int
    frozen_time_ms: int
    size_limit: Decimal = ZERO
    delta_limit: Decimal = ZERO
    vega_limit: Decimal = ZERO
    protect_block_trades: bool = False
    frozen: bool = False
    tripped_at: int = 0                # when it last tripped (0: never)
    frozen_until: int = 0              # while frozen: when the freeze ends (0: at a reset)
    window: List[Tuple[int, Decimal]] = field(default_factory=list)   # (time, signed size) maker fills
    updated_at: int = 0
    removed: bool = False              # set on the event that says the config is gone

    def prune(self, now: int) -> None:
        """Drop the fills that left the window ``(now - interval_ms, now]``."""
        start = now - self.interval_ms
        i = 0
        while i < len(self.window) and self.window[i][0] <= start:
            i += 1
        if i:
            del self.window[:i]

    def sums(self) -> Tuple[Decimal, Decimal]:
        """(summed fill size, net delta) of the window."""
        size = sum((abs(q) for _, q in self.window), ZERO)
        delta = sum((q for _, q in self.window), ZERO)
        return size, delta

    def breached(self) -> bool:
        size, delta = self.sums()
        return (self.size_limit > 0 and size > self.size_limit) or \
            (self.delta_limit > 0 and abs(delta) > self.delta_limit)


class Protection:
    """Every account's MMP states: ``states[account][base]``."""

    def __init__(self):
        self.states: Dict[str, Dict[str, MmpState]] = {}

    def get(self, account: str, base: str) -> Optional[MmpState]:
        return self.states.get(account, {}).get(base)

    def of(self, account: str) -> List[MmpState]:
        """The account's states, by base asset."""
        return [s for _, s in sorted(self.states.get(account, {}).items())]

    def put(self, state: MmpState) -> None:
        self.states.setdefault(state.account, {})[state.base] = state

    def drop(self, account: str, base: str) -> Optional[MmpState]:
        st = self.states.get(account, {}).pop(base, None)
        if account in self.states and not self.states[account]:
            del self.states[account]
        return st

    def frozen(self) -> List[MmpState]:
        return [s for by in self.states.values() for s in by.values() if s.frozen]

    @staticmethod
    def thaw(st: MmpState, now: int) -> None:
        """End a freeze (its time is up, or a reset): a fresh window."""
        st.frozen = False
        st.frozen_until = 0
        st.window.clear()
        st.updated_at = now

    @staticmethod
    def due(st: MmpState, now: int) -> bool:
        """Is a timed freeze over at ``now``?"""
        return st.frozen and st.frozen_until > 0 and now >= st.frozen_until

    @staticmethod
    def record(st: MmpState, signed_size: Decimal, now: int) -> bool:
        """A maker fill of an MMP order. True when it trips the protection."""
        if st.frozen:
            return False
        st.window.append((now, signed_size))
        st.prune(now)
        st.updated_at = now
        if not st.breached():
            return False
        st.frozen = True
        st.tripped_at = now
        st.frozen_until = now + st.frozen_time_ms if st.frozen_time_ms else 0
        return True

    # ---------------------------------------------------------------- snapshots
    def dump(self) -> list:
        out = []
        for by in self.states.values():
            for s in by.values():
                d = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in vars(s).items() if k != "window"}
                d["window"] = [[t, str(q)] for t, q in s.window]
                out.append(d)
        return out

    @staticmethod
    def parse(rows: list) -> "Protection":
        p = Protection()
        for d in rows:
            d = dict(d)
            window = [(int(t), Decimal(q)) for t, q in d.pop("window", [])]
            for k in ("size_limit", "delta_limit", "vega_limit"):
                d[k] = Decimal(d[k])
            p.put(MmpState(window=window, **d))
        return p


def event_copy(st: MmpState, removed: bool = False) -> MmpState:
    """The state as an event carries it (a copy: the live one keeps changing)."""
    ev = copy.copy(st)
    ev.window = list(st.window)
    ev.removed = removed
    return ev
