"""Order entry: the rules an order request is checked against, placing orders (one or a batch),
then the risk check, the price band and VWAP protection, post-only and reduce-only enforcement,
and matching or resting (``OrderEntry.process``); stop, take-profit and stop-loss triggers wait
here until the mark reaches them. ``OrderEntry`` runs under the exchange's lock."""
from __future__ import annotations

import copy
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import TYPE_CHECKING, List, Optional, Tuple

from .. import mmp as mmp_mod
from ..book import OrderBook
from ..errors import EngineError, ExchangeError, Reason, excerpt, short
from ..models import TRIGGER_TYPES, Account, Order
from ..numbers import ONE, ZERO, floor_step, fmt, on_step, round_step
from .matching import crosses, side_sign

if TYPE_CHECKING:
    from .core import Exchange

# Exchange states (GET /system/state): what each allows. Orders and cancels are refused in
# maintenance; cancel_only takes cancels only; post_only takes post-only orders and cancels.
# Stop/TP/SL triggers and liquidations run in "ok" only.
SYSTEM_STATES = ("ok", "maintenance", "cancel_only", "post_only")
# In cancel_only and post_only, orders priced through the external fair price (the index) by
# more than this are cancelled on arrival (Paradex: +-5 bps price protection in those modes).
RESTRICTED_PROTECTION = Decimal("0.0005")
# Why an order was closed by the price rules. Paradex documents the rules, not these strings.
PRICE_BAND_REASON = "PRICE_BAND"
PRICE_PROTECTION_REASON = "PRICE_PROTECTION"


class OrderEntry:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def check_order(self, acct: Account, req: Order, now: int, replacing: Optional[Order] = None) -> Order:
        """Apply the market's and the account's rules to an order request (an ``Order`` not yet
        accepted, as a venue parsed it). Raises ExchangeError; changes nothing. ``replacing``:
        the open order a modification replaces."""
        ex = self.ex
        self.check_trading_open()
        m = ex.market_data.market(req.market)
        size, price, trigger, flags = req.size, req.price, req.trigger_price, req.flags
        is_tpsl = req.type.startswith(("TAKE_PROFIT", "STOP_LOSS"))
        if size > m.max_order_size:
            raise EngineError(Reason.ORDER_SIZE,
                                f"size {short(fmt(size))} exceeds max_order_size {fmt(m.max_order_size)}")
        if size > 0 and not _on_grid(size, m.step):
            raise EngineError(Reason.ORDER_SIZE,
                                f"size {short(fmt(size))} is not a multiple of order_size_increment {fmt(m.step)}")
        if price > 0 and not _on_grid(price, m.tick):
            raise EngineError(Reason.ORDER_PRICE,
                                f"price {short(fmt(price))} is not a multiple of price_tick_size {fmt(m.tick)}")
        if req.type in TRIGGER_TYPES and not _on_grid(trigger, m.tick):
            raise EngineError(Reason.ORDER_PRICE, f"invalid trigger_price {short(fmt(trigger))}: "
                                f"a positive multiple of price_tick_size {fmt(m.tick)}")
        if req.client_id:
            prev = acct.client_ids.get(req.client_id)
            if prev is not None and prev.is_open:
                raise EngineError(Reason.CLIENT_ID_IN_USE, f"client_id {excerpt(req.client_id)} is already used by an open order")
        ref_price = price if price > 0 else (trigger if trigger > 0 else ex.states[m.symbol].mark_price)
        if size > 0 and not is_tpsl and size * ref_price < m.min_notional and "REDUCE_ONLY" not in flags:
            raise EngineError(Reason.ORDER_SIZE,
                                f"order notional {short(fmt(size * ref_price))} is below min_notional {fmt(m.min_notional)}")
        open_in_market = acct.open_count.get(m.symbol, 0)
        if replacing is not None and replacing.market == m.symbol and replacing.id in acct.open_orders:
            open_in_market -= 1   # a modified order's own slot does not count against it
        if open_in_market >= m.max_open_orders:
            raise EngineError(Reason.TOO_MANY_OPEN_ORDERS,
                                f"max_open_orders {m.max_open_orders} reached in {m.symbol}")
        if ex.system_state == "cancel_only":
            raise EngineError(Reason.CANCEL_ONLY, "exchange is in cancel-only mode")
        if ex.system_state == "post_only" and req.instruction not in ("POST_ONLY", "RPI"):
            raise EngineError(Reason.POST_ONLY, "exchange is in post-only mode")
        order = copy.copy(req)
        order.account = acct.address
        order.market = m.symbol      # the market's own string: an order keeps it for life
        order.flags = list(flags)
        order.remaining = size
        if not order.timestamp:
            order.timestamp = now
        return order

    def check_trading_open(self) -> None:
        """Maintenance ("trading unavailable", Paradex's system state docs): no order entry and no
        cancels, which cancel_only is for; reads still answer."""
        if self.ex.system_state == "maintenance":
            raise EngineError(Reason.UNAVAILABLE, "exchange is under maintenance")

    def submit_order(self, address: str, req: Order) -> Tuple[Order, Order]:
        ex = self.ex
        acct = ex.ledger.ensure(address)
        now = ex.clock.now_ms()
        order = self.check_order(acct, req, now)
        ack = self.accept(acct, order, now)
        self.process(acct, order, now)
        ex._flush(now)
        return order, ack

    def submit_batch(self, address: str, reqs: List) -> Tuple[List[Order], List[ExchangeError]]:
        ex = self.ex
        acct = ex.ledger.ensure(address)
        now = ex.clock.now_ms()
        acks, errors = [], []
        for req in reqs:
            try:
                if isinstance(req, ExchangeError):
                    raise req
                order = self.check_order(acct, req, now)
            except ExchangeError as e:
                errors.append(e)
                continue
            acks.append(self.accept(acct, order, now))
            self.process(acct, order, now)
        ex._flush(now)
        return acks, errors

    def accept(self, acct: Account, order: Order, now: int) -> Order:
        """Give a checked order its id and publish it as NEW (returns that acknowledgement)."""
        ex = self.ex
        order.id = ex._new_id(now)
        order.created_at = order.received_at = order.last_updated_at = order.published_at = now
        order.status = "NEW"
        order.seq_no = ex.next_seq()
        ex.orders[order.id] = order
        acct.orders[order.id] = order
        acct.add_open(order)
        if order.client_id:
            acct.client_ids[order.client_id] = order
        ack = copy.copy(order)
        ex.bus.publish("order", ack, order.market, acct.address)
        return ack

    def process(self, acct: Account, order: Order, now: int) -> None:
        """Risk check, then trigger wait, post-only check, matching, resting or closing."""
        ex = self.ex
        close = ex.matcher.close
        m = ex.markets[order.market]
        if mmp_mod.FLAG in order.flags:
            refusal = ex.mmp_guard.refusal(acct, m, now)
            if refusal:
                return close(order, now, refusal)
        if order.type in TRIGGER_TYPES and not order.triggered:
            order.status = "UNTRIGGERED"
            acct.hold(order)   # an untriggered stop holds no margin
            ex.triggers[order.market].append(order)
            ex.matcher.order_changed(order, now)
            return
        if order.size == 0:  # a TP/SL "close the position" order fired: size it now
            pos = acct.positions.get(order.market)
            size = abs(pos.size) if pos else ZERO
            if size == 0 or (pos.size > 0) == order.is_buy:
                return close(order, now, "REDUCE_ONLY_POSITION_EMPTY" if size == 0 else "REDUCE_ONLY_WOULD_INCREASE")
            order.size = order.remaining = size
            acct.hold(order)
        if order.reduce_only and self.reduce_capacity(acct, order) <= 0:
            return close(order, now, "REDUCE_ONLY_WOULD_INCREASE")
        pos = acct.positions.get(order.market)
        pos_size = pos.size if pos else ZERO
        new_size = pos_size + side_sign(order.side) * order.remaining
        if abs(new_size) > m.position_limit and abs(new_size) > abs(pos_size):
            return close(order, now, "ORDER_EXCEEDS_POSITION_LIMIT")
        mg, mg_open = None, -1
        if not order.reduce_only:
            # the order is already among the account's open orders (since accept), and margin
            # counts open orders at mark, so this is the account with the order resting
            mg, mg_open = ex.margin_model.margin(acct), len(acct.open_orders)
            if mg.free_collateral < 0 and self.increases_exposure(acct, order):
                return close(order, now, "NOT_ENOUGH_MARGIN")
        book = ex.books[order.market]
        refusal = self.post_only_refusal(order, book)
        if refusal:
            return close(order, now, refusal)
        limit, vwap = self.protection(acct, order, book)
        if limit is None:
            return close(order, now, PRICE_BAND_REASON)
        ex.matcher.match(order, book, limit, now, vwap)
        if order.status == "CLOSED":
            return
        if order.remaining == 0:
            return close(order, now, "")
        if "MARKET" in order.type or order.instruction == "IOC":
            return close(order, now, "REMAINING_IOC_CANCEL")
        order.status = "OPEN"
        book.side_for(order).add(order)
        ex._dirty_books.add(order.market)
        ex.matcher.order_changed(order, now)
        if order.filled == 0:   # it now holds margin (a fill already published the account)
            # nothing traded, and no other order of the account closed (self-trade prevention
            # could have): the margin of the risk check is the account's margin now
            ex.ledger.publish_account(acct, mg if len(acct.open_orders) == mg_open else None)

    def post_only_refusal(self, order: Order, book: OrderBook) -> str:
        """Post-only enforcement: why a POST_ONLY order closes on arrival instead of resting (""
        : it may go on). With the exchange in post_only or cancel_only, one priced through the
        index by more than RESTRICTED_PROTECTION closes (PRICE_PROTECTION); any that would cross
        the book closes (POST_ONLY_WOULD_CROSS). That post_only mode takes post-only orders only
        is ``check_order``'s rule."""
        if order.instruction != "POST_ONLY":
            return ""
        if self.ex.system_state in ("post_only", "cancel_only"):
            fair = self.ex.states[order.market].index_price
            if order.price > fair * (ONE + RESTRICTED_PROTECTION) if order.is_buy \
                    else order.price < fair * (ONE - RESTRICTED_PROTECTION):
                return PRICE_PROTECTION_REASON
        if crosses(book, order):
            return "POST_ONLY_WOULD_CROSS"
        return ""

    def protection(self, acct: Account, order: Order, book: OrderBook):
        """(limit price, VWAP cap) an order trades under; limit None: refused by the price band.

        Price band (width w around mark): an aggressive limit order priced outside it is
        refused, a passive one rests; a market order gets the band's edge as its limit and its
        unfilled rest is cancelled. VWAP protection (market orders, not TP/SL): the average fill
        price may not pass the BBO moved by the account's max slippage for the market (else the
        market's), the mark when that side of the book is empty."""
        m = self.ex.markets[order.market]
        st = self.ex.states[order.market]
        mark = st.mark_price
        is_market = "MARKET" in order.type
        w = m.price_band_width
        vwap = ZERO
        if w <= 0:
            if not is_market:
                return order.price, vwap
            # no band: market orders are protected by the market's max_slippage around mark
            slip = m.max_slippage
            return round_step(mark * (ONE + slip if order.is_buy else ONE - slip), m.tick), vwap
        up, down = mark * (ONE + w), mark * (ONE - w)
        if is_market:
            limit = floor_step(up, m.tick) if order.is_buy else _ceil_step(down, m.tick)
            if m.vwap_protection and not order.type.startswith(("TAKE_PROFIT", "STOP_LOSS")):
                slip = acct.max_slippage.get(m.symbol, m.max_slippage)
                best = book.best_ask() if order.is_buy else book.best_bid()
                ref = best if best is not None else mark
                vwap = ref * (ONE + slip) if order.is_buy else ref * (ONE - slip)
            return limit, vwap
        if crosses(book, order) and (order.price > up if order.is_buy else order.price < down):
            return None, vwap
        return order.price, vwap

    @staticmethod
    def increases_exposure(acct: Account, order: Order) -> bool:
        pos = acct.positions.get(order.market)
        size = pos.size if pos else ZERO
        return size == 0 or (size > 0) == order.is_buy or order.remaining > abs(size)

    @staticmethod
    def reduce_capacity(acct: Account, order: Order) -> Decimal:
        """How much a reduce-only order may still fill without growing or flipping the position."""
        pos = acct.positions.get(order.market)
        size = pos.size if pos else ZERO
        if size == 0 or (size > 0) == order.is_buy:
            return ZERO
        return abs(size)

    # ------------------------------------------------------------------ stop, TP and SL triggers
    def check_triggers(self, sym: str, now: int) -> None:
        """Fire the waiting triggers of ``sym`` the mark has reached: each is processed as if it
        had just arrived."""
        ex = self.ex
        if ex.system_state != "ok":      # TP/SL and stop triggers run in normal trading only
            return
        mark = ex.states[sym].mark_price
        for o in list(ex.triggers[sym]):
            if self.triggered(o, mark):
                ex.triggers[sym].remove(o)
                o.triggered = True
                o.status = "NEW"
                acct = ex.accounts[o.account]
                acct.hold(o)   # fired: it holds margin from now on
                ex.matcher.order_changed(o, now)
                self.process(acct, o, now)

    @staticmethod
    def triggered(o: Order, mark: Decimal) -> bool:
        if "STOP_CONDITION_BELOW_TRIGGER" in o.flags:
            return mark <= o.trigger_price
        if "STOP_CONDITION_ABOVE_TRIGGER" in o.flags:
            return mark >= o.trigger_price
        if o.type.startswith("TAKE_PROFIT"):
            return mark <= o.trigger_price if o.is_buy else mark >= o.trigger_price
        # STOP_* and STOP_LOSS_*: a buy stop fires on the way up, a sell stop on the way down
        return mark >= o.trigger_price if o.is_buy else mark <= o.trigger_price


def _ceil_step(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(ONE, rounding=ROUND_CEILING) * step


def _on_grid(value: Decimal, step: Decimal) -> bool:
    """``on_step`` for client input: a number too large for the working precision (``1e100``
    against a 0.1 tick) makes ``%`` raise DivisionImpossible; it is not a valid price or size."""
    try:
        return on_step(value, step)
    except InvalidOperation:
        return False
