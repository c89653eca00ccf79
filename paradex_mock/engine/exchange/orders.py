"""Order management: looking up an account's orders (by id or client id), cancelling them (one,
all, a batch) and modifying an open one in place. ``OrderManager`` runs under the exchange's
lock."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Optional

from ..errors import EngineError, Reason, excerpt, short
from ..models import Order

if TYPE_CHECKING:
    from .core import Exchange


class OrderManager:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def get_order(self, address: str, order_id: str) -> Order:
        acct = self.ex.ledger.account(address)
        o = acct.orders.get(str(order_id))
        if o is None:
            raise EngineError(Reason.ORDER_NOT_FOUND, f"order {short(str(order_id))} not found")
        return o

    def get_order_by_client_id(self, address: str, client_id: str) -> Order:
        acct = self.ex.ledger.account(address)
        o = acct.client_ids.get(client_id)
        if o is None:
            raise EngineError(Reason.CLIENT_ID_NOT_FOUND, f"client order id {excerpt(client_id)} not found")
        return o

    def cancel_order(self, address: str, order_id: str = None, client_id: str = None) -> Order:
        ex = self.ex
        ex.entry.check_trading_open()
        o = (self.get_order(address, order_id) if order_id is not None
             else self.get_order_by_client_id(address, client_id))
        if not o.is_open:
            raise EngineError(Reason.ORDER_CLOSED, f"order {o.id} is already closed")
        now = ex.clock.now_ms()
        self.cancel(o, now)
        ex._flush(now)
        return o

    def cancel(self, o: Order, now: int, reason: str = "USER_CANCELED") -> None:
        """Take ``o`` off the book (if it rests there) and close it for ``reason``."""
        ex = self.ex
        if o.status == "OPEN":
            ex.books[o.market].side_for(o).remove(o)
            ex._dirty_books.add(o.market)
        ex.matcher.close(o, now, reason)

    def cancel_all(self, address: str, market: Optional[str] = None) -> List[Order]:
        ex = self.ex
        ex.entry.check_trading_open()
        acct = ex.ledger.account(address)
        if market:
            ex.market_data.market(market)
        now = ex.clock.now_ms()
        victims = [o for o in list(acct.open_orders.values()) if market in (None, "", o.market)]
        for o in victims:
            self.cancel(o, now)
        ex._flush(now)
        return victims

    def cancel_batch(self, address: str, order_ids: Iterable[str], client_ids: Iterable[str]) -> List[dict]:
        """Cancel each order named (by id, then by client id): one row per name, its ``status`` the
        outcome ("cancelled", "already_closed" or "not_found"; a venue words it)."""
        ex = self.ex
        ex.entry.check_trading_open()
        acct = ex.ledger.account(address)
        now = ex.clock.now_ms()
        results = []
        for key, lookup in [(i, acct.orders.get) for i in order_ids] + \
                           [(c, acct.client_ids.get) for c in client_ids]:
            o = lookup(str(key))
            if o is None:
                is_id = lookup == acct.orders.get
                results.append({"id": str(key)} if is_id else {"client_id": str(key)})
                results[-1]["status"] = "not_found"
                continue
            if o.is_open:
                self.cancel(o, now)
                status = "cancelled"
            else:
                status = "already_closed"
            results.append({"id": o.id, "client_id": o.client_id, "account": o.account,
                            "market": o.market, "status": status})
        ex._flush(now)
        return results

    def modify_order(self, address: str, order_id: str, build) -> Order:
        ex = self.ex
        acct = ex.ledger.account(address)
        o = acct.orders.get(str(order_id))
        if o is None:
            raise EngineError(Reason.ORDER_NOT_FOUND, f"order {short(str(order_id))} not found")
        if not o.is_open:
            raise EngineError(Reason.ORDER_CLOSED, f"order {o.id} is closed")
        now = ex.clock.now_ms()
        new = ex.entry.check_order(acct, build(o), now, replacing=o)
        if new.size < o.filled:
            raise EngineError(Reason.ORDER_SIZE, "new size is below the filled size")
        if o.status == "OPEN":
            ex.books[o.market].side_for(o).remove(o)
            ex._dirty_books.add(o.market)
        o.price = new.price
        o.trigger_price = new.trigger_price
        o.remaining = new.size - o.filled
        o.size = new.size
        acct.hold(o)
        o.timestamp = new.timestamp
        if o.remaining == 0 and o.size > 0:   # size 0: a TP/SL that closes the whole position
            ex.matcher.close(o, now, "")
        else:
            if o.status == "OPEN":
                o.status = "NEW"
                if o in ex.triggers[o.market]:
                    ex.triggers[o.market].remove(o)
                ex.entry.process(acct, o, now)
            else:
                ex.matcher.order_changed(o, now)
        ex._flush(now)
        return o
