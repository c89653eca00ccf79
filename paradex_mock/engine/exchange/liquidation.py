"""Liquidations: finding the accounts below their maintenance margin, closing them out at mark,
and listing an account's liquidations. ``Liquidator`` runs under the exchange's lock."""
from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, List, Optional

from ..models import Account, Order
from ..numbers import ZERO

if TYPE_CHECKING:
    from .core import Exchange

log = logging.getLogger("paradex_mock.engine")


class Liquidator:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def check(self, now: int) -> None:
        """Liquidate every account whose value has fallen below its maintenance margin (in
        normal trading only: not in maintenance, cancel_only or post_only)."""
        ex = self.ex
        if ex.system_state != "ok":
            return
        for acct in list(ex.accounts.values()):
            if not any(p.size != 0 for p in acct.positions.values()):
                continue
            if ex.margin_model.margin(acct).status == "LIQUIDATION":
                self.liquidate(acct, now)

    def liquidate(self, acct: Account, now: int) -> None:
        """Paradex's liquidation, simplified to its outcome: the account's open orders are
        cancelled (reason LIQUIDATION) and each position is closed at mark by the liquidation
        engine, a fill of type LIQUIDATION (taker fee) from a reduce-only MARKET order, printed as
        a public trade of type LIQUIDATION; the book is not touched. GET /liquidations lists it."""
        ex = self.ex
        for o in list(acct.open_orders.values()):
            ex.order_manager.cancel(o, now, "LIQUIDATION")
        for sym, pos in sorted(acct.positions.items()):
            if pos.size == 0:
                continue
            side = "SELL" if pos.size > 0 else "BUY"
            qty = abs(pos.size)
            price = ex.states[sym].mark_price
            order = Order(id="", account=acct.address, market=sym, side=side, type="MARKET", size=qty,
                          price=ZERO, instruction="IOC", flags=["REDUCE_ONLY"], remaining=qty, timestamp=now)
            ex.entry.accept(acct, order, now)
            trade = ex.matcher.print_trade(sym, side, qty, price, now, trade_type="LIQUIDATION")
            order.remaining = ZERO
            order.filled_notional = qty * price
            acct.hold(order)
            ex.matcher.fill_account(acct, order, "TAKER", price, qty, trade, ex.books[sym].seq_no, now,
                                    fill_type="LIQUIDATION")
            ex.bus.publish("trade", trade, sym)
            ex.matcher.close(order, now, "")
        n = len(acct.liquidations) + acct.liquidations_dropped
        digest = hashlib.sha256(f"{acct.address}:{now}:{n}".encode()).hexdigest()
        acct.liquidations.append({"id": "0x" + digest, "created_at": now})
        ex.ledger.retain(acct, now)
        log.info("liquidated %s at %d", acct.address, now)

    def liquidations(self, address: str, start_ms: Optional[int], end_ms: Optional[int]) -> List[dict]:
        """The account's liquidations, newest first."""
        acct = self.ex.ledger.account(address)
        return [dict(r) for r in reversed(acct.liquidations)
                if (start_ms is None or r["created_at"] >= start_ms)
                and (end_ms is None or r["created_at"] <= end_ms)]
