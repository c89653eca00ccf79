"""Algorithmic orders: TWAP parents that place MARKET child orders on the exchange clock, and
cancelling them. ``Twap`` runs under the exchange's lock."""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import EngineError, Reason
from ..models import Account, Algo, Order
from ..numbers import ZERO, floor_step, fmt

if TYPE_CHECKING:
    from .core import Exchange


class Twap:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def submit_twap(self, address: str, market: str, side: str, size: Decimal, duration_s: int,
                    interval_s: int = 30) -> Algo:
        ex = self.ex
        acct = ex.ledger.ensure(address)
        m = ex.market_data.market(market)
        now = ex.clock.now_ms()
        slices = max(1, duration_s // interval_s)
        probe = Order(id="", account=acct.address, market=m.symbol, side=side, type="MARKET",
                      size=size, price=ZERO, remaining=size)
        ex.entry.check_order(acct, probe, now)
        if floor_step(size / slices, m.step) < m.step:
            raise EngineError(Reason.ORDER_SIZE, f"size {fmt(size)} is too small for {slices} slices")
        algo = Algo(id=ex._new_id(now), account=acct.address, market=m.symbol, side=side, size=size,
                    created_at=now, end_at=now + duration_s * 1000, interval_ms=interval_s * 1000,
                    slices=slices, next_at=now, last_updated_at=now)
        acct.algos[algo.id] = algo
        ex.bus.publish("algo", copy.copy(algo), algo.market, acct.address)
        self.run(acct, algo, now)
        ex._flush(now)
        return algo

    def cancel_algo(self, address: str, algo_id: str) -> Algo:
        ex = self.ex
        ex.entry.check_trading_open()
        acct = ex.ledger.account(address)
        algo = acct.algos.get(str(algo_id))
        if algo is None:
            raise EngineError(Reason.ALGO_NOT_FOUND, f"algo order {algo_id} not found")
        if algo.status == "CLOSED":
            raise EngineError(Reason.ORDER_CLOSED, f"algo order {algo_id} is already closed")
        self.close(algo, ex.clock.now_ms(), "USER_CANCELED")
        return algo

    def close(self, algo: Algo, now: int, reason: str) -> None:
        ex = self.ex
        algo.status = "CLOSED"
        algo.cancel_reason = reason
        algo.last_updated_at = now
        ex.bus.publish("algo", copy.copy(algo), algo.market, algo.account)
        acct = ex.accounts.get(algo.account)
        if acct is not None:
            acct.closed_algos.append(algo)
            ex.ledger.retain(acct, now)

    def run_all(self, now: int) -> None:
        """Every running TWAP places the child orders due by ``now`` (each tick)."""
        for acct in list(self.ex.accounts.values()):
            for algo in list(acct.algos.values()):
                if algo.status != "CLOSED":
                    self.run(acct, algo, now)

    def run(self, acct: Account, algo: Algo, now: int) -> None:
        """Place every child order that is due by ``now`` (one per interval)."""
        ex = self.ex
        m = ex.markets[algo.market]
        while algo.status != "CLOSED" and algo.placed < algo.slices and algo.next_at <= now:
            last = algo.placed == algo.slices - 1
            size = algo.size - floor_step(algo.size / algo.slices, m.step) * (algo.slices - 1) if last \
                else floor_step(algo.size / algo.slices, m.step)
            algo.placed += 1
            algo.next_at += algo.interval_ms
            child = Order(id="", account=acct.address, market=algo.market, side=algo.side, type="MARKET",
                          size=size, price=ZERO, remaining=size, instruction="IOC")
            try:
                child = ex.entry.check_order(acct, child, now)
            except EngineError as e:
                self.close(algo, now, e.reason.value)   # the engine's reason: a venue words it
                return
            ex.entry.accept(acct, child, now)
            ex.entry.process(acct, child, now)
            algo.child_ids.append(child.id)
            algo.filled += child.filled
            algo.filled_notional += child.filled_notional
            algo.status = "OPEN"
            algo.last_updated_at = now
            if algo.placed >= algo.slices:
                self.close(algo, now, "" if algo.filled == algo.size else "REMAINING_IOC_CANCEL")
            else:
                ex.bus.publish("algo", copy.copy(algo), algo.market, acct.address)
