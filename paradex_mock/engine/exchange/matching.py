"""Matching: walking the book against a taker (price-time priority, self-trade prevention,
reduce-only and VWAP caps), executing a fill between two orders, filling an account (fees,
realized PnL and funding, the position), printing public trades, and closing orders.
``Matcher`` runs under the exchange's lock."""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING

from .. import mmp as mmp_mod
from ..book import OrderBook
from ..events import BalanceChange
from ..models import SIM_ACCOUNT, Account, Fill, Order, Position, Trade
from ..numbers import ZERO, floor_step
from .accounts import money

if TYPE_CHECKING:
    from .core import Exchange

# Per market, the newest public trades kept (older ones are dropped; candles stay). With every
# venue's markets at ~1 synthetic trade a second each, a larger cap was the mock's main memory
# growth (~1.7 MB a minute, for two days before it levelled off).
TRADES_KEPT = 20_000


def side_sign(side: str) -> int:
    return 1 if side == "BUY" else -1


def crosses(book: OrderBook, order: Order) -> bool:
    """Whether ``order``'s limit price reaches the other side's best price."""
    if order.is_buy:
        best = book.best_ask()
        return best is not None and order.price >= best
    best = book.best_bid()
    return best is not None and order.price <= best


class Matcher:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def match(self, taker: Order, book: OrderBook, limit: Decimal, now: int, vwap: Decimal = ZERO) -> None:
        """Match ``taker`` against the book up to ``limit``; ``vwap`` > 0 caps its average fill
        price (it stops short of the level that would move the average past it)."""
        ex = self.ex
        reduce_capacity = ex.entry.reduce_capacity
        opp = book.opposite(taker)
        taker_acct = ex.accounts.get(taker.account)
        step = ex.markets[taker.market].step if taker.market in ex.markets else None
        for price in opp.iter_prices():
            if taker.remaining <= 0 or taker.status == "CLOSED":
                break
            if limit > 0 and (price > limit if taker.is_buy else price < limit):
                break
            q = opp.levels.get(price)
            while q and taker.remaining > 0:
                maker = q[0]
                if maker.account == taker.account and taker.account != SIM_ACCOUNT:
                    # self-trade prevention
                    if taker.stp in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                        opp.pop_front(price)
                        ex._dirty_books.add(book.market)
                        self.close(maker, now, "SELF_TRADE")
                    if taker.stp in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                        self.close(taker, now, "SELF_TRADE")
                        return
                    continue
                qty = min(taker.remaining, maker.remaining)
                if vwap > 0 and (price > vwap if taker.is_buy else price < vwap):
                    filled, notional = taker.size - taker.remaining, taker.filled_notional
                    room = (vwap * filled - notional) / (price - vwap) if taker.is_buy \
                        else (notional - vwap * filled) / (vwap - price)
                    room = floor_step(room, step) if step else room
                    if room <= 0:
                        return
                    qty = min(qty, room)
                if taker.reduce_only and taker_acct is not None:
                    qty = min(qty, reduce_capacity(taker_acct, taker))
                    if qty <= 0:
                        self.close(taker, now, "REDUCE_ONLY_WOULD_INCREASE")
                        return
                if maker.reduce_only and maker.account != SIM_ACCOUNT:
                    cap = reduce_capacity(ex.accounts[maker.account], maker)
                    if cap <= 0:
                        opp.pop_front(price)
                        ex._dirty_books.add(book.market)
                        self.close(maker, now, "REDUCE_ONLY_WOULD_INCREASE")
                        continue
                    qty = min(qty, cap)
                self.execute(maker, taker, price, qty, now)
                if maker.remaining == 0:
                    opp.pop_front(price)
                    if maker.account != SIM_ACCOUNT:
                        self.close(maker, now, "")
                ex._dirty_books.add(book.market)
                if ex._mmp_trips:   # the maker's protection tripped: its MMP orders go before the next fill
                    ex.mmp_guard.cancel_tripped(now)

    def print_trade(self, market: str, side: str, qty: Decimal, price: Decimal, now: int,
                    trade_type: str = "FILL") -> Trade:
        """A public trade: the market's trade list, candles, last price and volume (published by
        the caller, after the fills it causes)."""
        st = self.ex.states[market]
        st.trade_seq += 1
        trade = Trade(self.ex._new_id(now), market, side, qty, price, now, trade_type=trade_type, seq=st.trade_seq)
        st.trades.append(trade)
        if len(st.trades) > TRADES_KEPT:
            del st.trades[: len(st.trades) - TRADES_KEPT]
        st.candles.add(now, price, qty, side == "BUY")
        st.second_candles.add(now, price, qty, side == "BUY")
        st.last_price = price
        st.total_volume += qty * price
        return trade

    def execute(self, maker: Order, taker: Order, price: Decimal, qty: Decimal, now: int) -> None:
        ex = self.ex
        trade = self.print_trade(taker.market, taker.side, qty, price, now)
        # Paradex reports the book's sequence number after the trade; _flush touches every
        # changed book exactly once at the end of this change set
        book_seq = ex.books[taker.market].seq_no + 1
        ex.books[taker.market].opposite(taker).filled(price, qty)   # the maker rests at price
        for order, liquidity in ((maker, "MAKER"), (taker, "TAKER")):
            order.remaining -= qty
            order.filled_notional += qty * price
            if order.account == SIM_ACCOUNT:
                continue
            acct = ex.accounts[order.account]
            acct.hold(order)
            self.fill_account(acct, order, liquidity, price, qty, trade, book_seq, now)
        ex.bus.publish("trade", trade, trade.market)

    def fill_account(self, acct: Account, order: Order, liquidity: str, price: Decimal,
                     qty: Decimal, trade: Trade, book_seq: int, now: int, fill_type: str = "FILL") -> None:
        ex = self.ex
        st = ex.states[order.market]
        m = st.market
        rate = m.maker_fee if liquidity == "MAKER" else m.taker_fee
        fee = (qty * price * rate)
        pos = acct.positions.get(order.market)
        if pos is None:
            pos = acct.positions[order.market] = Position(acct.address, order.market, created_at=now,
                                                          cached_funding_index=st.funding_index)
        funding = money(-pos.size * (st.funding_index - pos.cached_funding_index))
        pos.cached_funding_index = st.funding_index
        realized = self.apply_to_position(pos, side_sign(order.side) * qty, price, now)
        pos.realized_funding += funding
        before = acct.balance
        acct.balance += realized - fee + funding
        acct.balance_updated_at = now
        fill = Fill(
            id=ex._new_id(now), account=acct.address, market=order.market, order_id=order.id,
            client_id=order.client_id, side=order.side, liquidity=liquidity, price=price, size=qty,
            remaining_size=order.remaining, fee=fee, realized_pnl=realized, realized_funding=funding,
            created_at=now, underlying_price=st.index_price, trade_id=trade.id, orderbook_seq_no=book_seq,
            fill_type=fill_type,
        )
        acct.fills.append(fill)
        if liquidity == "MAKER" and mmp_mod.FLAG in order.flags:
            ex.mmp_guard.fill(acct, m, side_sign(order.side) * qty, now)
        ex.ledger.retain(acct, now)
        pos.last_fill_id = fill.id
        pos.last_updated_at = now
        pos.seq_no = ex.next_seq()
        order.last_updated_at = now
        order.seq_no = ex.next_seq()
        if order.status == "NEW":
            order.status = "OPEN"
        ex.bus.publish("fill", fill, order.market, acct.address)
        if order.remaining > 0:
            ex.bus.publish("order", copy.copy(order), order.market, acct.address)
        mg = ex.margin_model.margin(acct)   # once per fill: the position and account updates both need it
        ex.bus.publish("position", ex.margin_model.position_update(acct, pos, mg), order.market, acct.address)
        ex.bus.publish("balance_event", BalanceChange(fill, st.funding_index, before, acct.balance), order.market,
                       acct.address)
        ex.ledger.publish_account(acct, mg)

    @staticmethod
    def apply_to_position(pos: Position, delta: Decimal, price: Decimal, now: int) -> Decimal:
        """Move a position by signed ``delta`` at ``price``; returns the realized PnL."""
        old = pos.size
        new = old + delta
        realized = ZERO
        if old == 0 or (old > 0) == (delta > 0):
            pos.avg_entry = (abs(old) * pos.avg_entry + abs(delta) * price) / abs(new)
            if old == 0:
                pos.created_at = now
                pos.realized_pnl = ZERO
                pos.realized_funding = ZERO
                pos.avg_exit = ZERO
                pos.exit_size = ZERO
        else:
            closing = min(abs(old), abs(delta))
            realized = money(closing * (price - pos.avg_entry) * (1 if old > 0 else -1))
            pos.realized_pnl += realized
            pos.avg_exit = (pos.exit_size * pos.avg_exit + closing * price) / (pos.exit_size + closing)
            pos.exit_size += closing
            if new == 0:
                pos.closed_at = now
            elif (new > 0) != (old > 0):   # flipped: the rest opens at this price
                pos.avg_entry = price
                pos.created_at = now
        pos.size = new
        return realized

    def close(self, order: Order, now: int, reason: str) -> None:
        """Close ``order`` for ``reason`` ("": filled) and publish it (the caller has taken it off
        the book)."""
        ex = self.ex
        held_margin = order.status == "OPEN"   # resting or partly filled: its margin is released now
        order.status = "CLOSED"
        order.cancel_reason = reason
        if order.account == SIM_ACCOUNT:
            return
        acct = ex.accounts[order.account]
        acct.drop_open(order)
        if order in ex.triggers.get(order.market, ()):
            ex.triggers[order.market].remove(order)
        self.order_changed(order, now)
        acct.closed.append(order)
        ex.ledger.retain(acct, now)
        if held_margin and order.remaining > 0:
            ex.ledger.publish_account(acct)

    def order_changed(self, order: Order, now: int) -> None:
        """Stamp ``order`` as changed now and publish a copy of it."""
        ex = self.ex
        order.last_updated_at = now
        order.published_at = now
        order.seq_no = ex.next_seq()
        ex.bus.publish("order", copy.copy(order), order.market, order.account)
