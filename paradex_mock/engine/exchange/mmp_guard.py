"""Market maker protection, the exchange's side of it: configuring, removing and resetting an
account's protection, refusing MMP orders while it is frozen or unconfigured, counting MMP
makers' fills, cancelling a tripped protection's orders and ending freezes when due. The state
model (windows, trips, freezes) is ``engine/mmp.py``. ``MmpGuard`` runs under the exchange's
lock."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, List, Optional

from .. import mmp as mmp_mod
from ..errors import EngineError, Reason
from ..models import Account, Market, Order
from ..numbers import ZERO

if TYPE_CHECKING:
    from .core import Exchange


class MmpGuard:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def mmp_states(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        ex = self.ex
        acct = ex.ledger.account(address)
        self.thaw_due(ex.clock.now_ms())
        now = ex.clock.now_ms()
        out = []
        for st in ex.mmp.of(acct.address):
            if base in (None, st.base):
                if not st.frozen:
                    st.prune(now)
                out.append(st)
        return out

    def set_mmp(self, address: str, base: str, interval_ms: int, frozen_time_ms: int,
                size_limit: Decimal = ZERO, delta_limit: Decimal = ZERO, vega_limit: Decimal = ZERO,
                protect_block_trades: Optional[bool] = None) -> mmp_mod.MmpState:
        ex = self.ex
        acct = ex.ledger.account(address)
        now = ex.clock.now_ms()
        old = ex.mmp.get(acct.address, base)
        st = mmp_mod.MmpState(acct.address, base, int(interval_ms), int(frozen_time_ms), size_limit,
                              delta_limit, vega_limit,
                              bool(protect_block_trades) if protect_block_trades is not None
                              else (old.protect_block_trades if old else False), updated_at=now)
        if old is not None:
            st.frozen, st.tripped_at, st.frozen_until = old.frozen, old.tripped_at, old.frozen_until
            st.window = old.window
        ex.mmp.put(st)
        ex.bus.publish("mmp", mmp_mod.event_copy(st), None, acct.address)
        return st

    def remove_mmp(self, address: str, base: str) -> List[Order]:
        ex = self.ex
        acct = ex.ledger.account(address)
        now = ex.clock.now_ms()
        st = ex.mmp.drop(acct.address, base)
        if st is None:
            return []
        victims = self.orders(acct, base)
        for o in victims:
            ex.order_manager.cancel(o, now, mmp_mod.DISABLED)
        st.updated_at = now
        ex.bus.publish("mmp", mmp_mod.event_copy(st, removed=True), None, acct.address)
        ex._flush(now)
        return victims

    def reset_mmp(self, address: str, base: Optional[str] = None) -> List[mmp_mod.MmpState]:
        ex = self.ex
        acct = ex.ledger.account(address)
        now = ex.clock.now_ms()
        self.thaw_due(now)
        targets = [s for s in ex.mmp.of(acct.address) if base in (None, s.base)]
        refused = [s for s in targets if s.frozen and now - s.tripped_at < mmp_mod.MIN_FREEZE_MS]
        done = [s for s in targets if s not in refused]
        if refused and base is not None:
            raise EngineError(Reason.MMP_FREEZE_NOT_ELAPSED,
                                f"MMP for {base} tripped less than {mmp_mod.MIN_FREEZE_MS} ms ago")
        for s in done:
            mmp_mod.Protection.thaw(s, now)
            ex.bus.publish("mmp", mmp_mod.event_copy(s), None, acct.address)
        if refused:
            raise EngineError(Reason.MMP_FREEZE_NOT_ELAPSED,
                                f"MMP tripped less than {mmp_mod.MIN_FREEZE_MS} ms ago for "
                                + ", ".join(s.base for s in refused),
                                data={"refused": [s.base for s in refused], "reset": [s.base for s in done]})
        return done

    def refusal(self, acct: Account, m: Market, now: int) -> str:
        """Why an arriving MMP order closes at once ("" : it may trade)."""
        st = self.ex.mmp.get(acct.address, m.base)
        if st is None:
            return mmp_mod.NOT_CONFIGURED
        if mmp_mod.Protection.due(st, now):
            self.thaw(st, now)
        return mmp_mod.FROZEN if st.frozen else ""

    def fill(self, acct: Account, m: Market, signed: Decimal, now: int) -> None:
        """Count an MMP maker's fill; a trip is queued on ``ex._mmp_trips`` (cancelled once safe)."""
        st = self.ex.mmp.get(acct.address, m.base)
        if st is None:   # removed while the order rested (removal cancels them; belt and braces)
            return
        if mmp_mod.Protection.due(st, now):
            self.thaw(st, now)
        if mmp_mod.Protection.record(st, signed, now):
            self.ex._mmp_trips.append(st)

    def orders(self, acct: Account, base: str) -> List[Order]:
        return [o for o in list(acct.open_orders.values())
                if mmp_mod.FLAG in o.flags and self.ex.markets[o.market].base == base]

    def cancel_tripped(self, now: int) -> None:
        """Cancel the open MMP orders of every protection that tripped (outside a book walk)."""
        ex = self.ex
        trips, ex._mmp_trips = ex._mmp_trips, []
        for st in trips:
            acct = ex.accounts[st.account]
            for o in self.orders(acct, st.base):
                ex.order_manager.cancel(o, now, mmp_mod.TRIGGERED)
            ex.bus.publish("mmp", mmp_mod.event_copy(st), None, st.account)

    def thaw(self, st: mmp_mod.MmpState, now: int) -> None:
        mmp_mod.Protection.thaw(st, now)
        self.ex.bus.publish("mmp", mmp_mod.event_copy(st), None, st.account)

    def thaw_due(self, now: int) -> None:
        """Freezes whose time is up end now (each tick: subscribers hear of it on time)."""
        for st in self.ex.mmp.frozen():
            if mmp_mod.Protection.due(st, now):
                self.thaw(st, now)
