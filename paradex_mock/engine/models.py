"""The exchange's state objects. Plain data; the rules live in the exchange package (``engine/exchange/``)."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Deque, Dict, List, Optional

from .numbers import ZERO

# The simulated market maker and the synthetic order flow trade under this account.
# It has no balance or positions and is never shown to clients.
SIM_ACCOUNT = "0x0"

OPEN_STATUSES = ("NEW", "UNTRIGGERED", "OPEN")
ORDER_TYPES = ("MARKET", "LIMIT", "STOP_LIMIT", "STOP_MARKET", "TAKE_PROFIT_LIMIT",
               "TAKE_PROFIT_MARKET", "STOP_LOSS_MARKET", "STOP_LOSS_LIMIT")
TRIGGER_TYPES = ORDER_TYPES[2:]
INSTRUCTIONS = ("GTC", "IOC", "POST_ONLY", "RPI")
STP_MODES = ("EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH")
ORDER_FLAGS = ("REDUCE_ONLY", "STOP_CONDITION_BELOW_TRIGGER", "STOP_CONDITION_ABOVE_TRIGGER",
               "INTERACTIVE", "TARGET_STRATEGY_VWAP", "MMP")


@dataclass
class Market:
    """A market's trading rules. ``symbol`` is the engine's key for it, unique across venues
    (``<venue>:<name>``, bare for Paradex whose keys predate venues); ``name`` is the venue's own
    symbol; ``spec`` is the venue's own description of it, which only the venue reads."""
    symbol: str
    tick: Decimal
    step: Decimal
    min_notional: Decimal = ZERO
    max_order_size: Decimal = Decimal("1e12")
    position_limit: Decimal = Decimal("1e12")
    max_open_orders: int = 100
    maker_fee: Decimal = ZERO
    taker_fee: Decimal = ZERO
    imf_base: Decimal = Decimal("0.1")
    mmf_factor: Decimal = Decimal("0.5")
    funding_period_hours: Decimal = Decimal(8)
    max_funding_rate: Decimal = Decimal("0.05")
    max_slippage: Decimal = Decimal("0.05")
    price_band_width: Decimal = ZERO      # aggressive orders trade within mark * (1 ± width); 0: no band
    vwap_protection: bool = False         # market orders' average price is capped (BBO ± max slippage)
    venue: str = ""            # the venue that lists it (its package sets it)
    name: str = ""
    kind: str = "perpetual"           # "perpetual" (mark, index, funding) or "spot"
    base: str = ""
    quote: str = ""
    spec: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.name:
            self.name = self.symbol

    @property
    def is_perpetual(self) -> bool:
        return self.kind == "perpetual"


@dataclass(eq=False)
class Order:
    id: str
    account: str
    market: str
    side: str                 # BUY / SELL
    type: str
    size: Decimal
    price: Decimal            # 0 for market orders
    instruction: str = "GTC"
    flags: List[str] = field(default_factory=list)
    client_id: str = ""
    stp: str = "EXPIRE_TAKER"
    trigger_price: Decimal = ZERO
    status: str = "NEW"
    cancel_reason: str = ""
    remaining: Decimal = ZERO
    filled_notional: Decimal = ZERO
    created_at: int = 0
    last_updated_at: int = 0
    received_at: int = 0
    published_at: int = 0
    timestamp: int = 0        # the request's signature_timestamp
    seq_no: int = 0
    triggered: bool = False
    # derived, not state (snapshots leave it out): this order's share of its account's open
    # exposure as last counted by Account.hold, so releasing it never has to recompute it
    held: Decimal = field(default=ZERO, repr=False, metadata={"derived": True})

    @property
    def is_buy(self) -> bool:
        return self.side == "BUY"

    @property
    def reduce_only(self) -> bool:
        return "REDUCE_ONLY" in self.flags

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def filled(self) -> Decimal:
        return self.size - self.remaining

    @property
    def avg_fill_price(self) -> Optional[Decimal]:
        filled = self.size - self.remaining
        return (self.filled_notional / filled) if filled > 0 else None


@dataclass
class Fill:
    id: str
    account: str
    market: str
    order_id: str
    client_id: str
    side: str
    liquidity: str            # MAKER / TAKER
    price: Decimal
    size: Decimal
    remaining_size: Decimal
    fee: Decimal
    realized_pnl: Decimal
    realized_funding: Decimal
    created_at: int
    underlying_price: Decimal
    trade_id: str
    orderbook_seq_no: int
    fill_type: str = "FILL"


@dataclass
class Trade:
    id: str
    market: str
    side: str                 # taker side
    size: Decimal
    price: Decimal
    created_at: int
    trade_type: str = "FILL"
    seq: int = 0              # its number in its market, from 1 (venues with numeric trade ids use it)


@dataclass
class Position:
    account: str
    market: str
    size: Decimal = ZERO              # signed: negative is short
    avg_entry: Decimal = ZERO
    avg_exit: Decimal = ZERO
    exit_size: Decimal = ZERO         # size closed so far, the weight of avg_exit
    realized_pnl: Decimal = ZERO      # realized positional pnl while this position is open
    realized_funding: Decimal = ZERO
    cached_funding_index: Decimal = ZERO
    last_fill_id: str = ""
    created_at: int = 0
    closed_at: int = 0
    last_updated_at: int = 0
    seq_no: int = 0

    @property
    def status(self) -> str:
        return "OPEN" if self.size != 0 else "CLOSED"


@dataclass
class FundingPayment:
    id: str
    account: str
    market: str
    payment: Decimal
    index: Decimal
    fill_id: str
    created_at: int


@dataclass
class Account:
    address: str                       # 0x hex, no zero padding
    balance: Decimal
    public_key: Optional[str] = None   # 0x hex, set by onboarding
    onboarded: bool = False
    created_at: int = 0
    positions: Dict[str, Position] = field(default_factory=dict)
    orders: Dict[str, Order] = field(default_factory=dict)          # every order, by id
    open_orders: Dict[str, Order] = field(default_factory=dict)     # live ones, by id
    client_ids: Dict[str, Order] = field(default_factory=dict)      # latest order per client_id
    fills: List[Fill] = field(default_factory=list)
    funding_payments: List[FundingPayment] = field(default_factory=list)
    leverage: Dict[str, int] = field(default_factory=dict)
    balance_updated_at: int = 0
    seq_no: int = 0
    used_signatures: Dict[str, int] = field(default_factory=dict)  # replay protection
    liquidations: List[dict] = field(default_factory=list)          # {"id": tx hash, "created_at": ms}
    max_slippage: Dict[str, Decimal] = field(default_factory=dict)  # per market, the account's own setting
    transfers: List["Transfer"] = field(default_factory=list)       # deposits and withdrawals, oldest first
    algos: Dict[str, "Algo"] = field(default_factory=dict)          # TWAP parents, by id
    # How many transfers and liquidations the retention dropped (config history_kept/_hours): their
    # ids count every one ever made, so a dropped one's id is never issued again.
    transfers_dropped: int = 0
    liquidations_dropped: int = 0
    # Derived (rebuild_closed): closed orders and finished TWAPs in the order they closed, oldest
    # first, so the retention drops the oldest in O(1) and never looks at an open order.
    closed: Deque["Order"] = field(default_factory=deque, repr=False)
    closed_algos: Deque["Algo"] = field(default_factory=deque, repr=False)
    # Derived from open_orders and kept up to date by add_open/drop_open/hold, so the margin check
    # on every order costs O(markets), not O(open orders): per market, how many orders are open
    # and the summed remaining size of the open buys and sells that count for margin.
    open_count: Dict[str, int] = field(default_factory=dict, repr=False)
    open_buys: Dict[str, Decimal] = field(default_factory=dict, repr=False)
    open_sells: Dict[str, Decimal] = field(default_factory=dict, repr=False)

    def add_open(self, o: "Order") -> None:
        self.open_orders[o.id] = o
        self.open_count[o.market] = self.open_count.get(o.market, 0) + 1
        self.hold(o)

    def drop_open(self, o: "Order") -> None:
        if self.open_orders.pop(o.id, None) is not None:
            self.open_count[o.market] -= 1
        self.hold(o)

    def hold(self, o: "Order") -> None:
        """Bring ``o``'s share of the open exposure up to date after its remaining size or
        status changed. An untriggered stop holds no margin until it fires."""
        counted = o.id in self.open_orders and (o.triggered or o.status != "UNTRIGGERED")
        new = o.remaining if counted else ZERO
        delta = new - o.held
        if delta:
            book = self.open_buys if o.side == "BUY" else self.open_sells
            book[o.market] = book.get(o.market, ZERO) + delta
            o.held = new

    def rebuild_open(self) -> None:
        """Recount the derived totals from open_orders (after a snapshot is loaded)."""
        self.open_count, self.open_buys, self.open_sells = {}, {}, {}
        for o in self.open_orders.values():
            o.held = ZERO
            self.open_count[o.market] = self.open_count.get(o.market, 0) + 1
            self.hold(o)

    def rebuild_closed(self) -> None:
        """Recount the closed queues from orders and algos (after a snapshot is loaded)."""
        self.closed = deque(sorted((o for o in self.orders.values() if not o.is_open),
                                   key=lambda o: (o.last_updated_at, o.seq_no)))
        self.closed_algos = deque(sorted((a for a in self.algos.values() if a.status == "CLOSED"),
                                         key=lambda a: a.last_updated_at))

    def open_totals_recounted(self) -> tuple:
        """(open_count, open_buys, open_sells) counted afresh, nonzero entries only: what the
        incremental totals must equal (the invariant tests compare them)."""
        count: Dict[str, int] = {}
        buys: Dict[str, Decimal] = {}
        sells: Dict[str, Decimal] = {}
        for o in self.open_orders.values():
            count[o.market] = count.get(o.market, 0) + 1
            if o.status == "UNTRIGGERED" and not o.triggered:
                continue
            book = buys if o.side == "BUY" else sells
            book[o.market] = book.get(o.market, ZERO) + o.remaining
        return ({k: v for k, v in count.items() if v}, {k: v for k, v in buys.items() if v},
                {k: v for k, v in sells.items() if v})

    def open_totals(self) -> tuple:
        """The incremental totals, nonzero entries only (compare with open_totals_recounted)."""
        return ({k: v for k, v in self.open_count.items() if v}, {k: v for k, v in self.open_buys.items() if v},
                {k: v for k, v in self.open_sells.items() if v})


@dataclass(frozen=True)
class Margin:
    """An account's value and margin requirements at mark (``Exchange.margin``)."""
    account_value: Decimal
    total_collateral: Decimal
    unrealized_pnl: Decimal
    unrealized_funding: Decimal
    initial_margin_requirement: Decimal
    maintenance_margin_requirement: Decimal
    free_collateral: Decimal
    margin_cushion: Decimal
    status: str                  # ACTIVE or LIQUIDATION


@dataclass
class Transfer:
    """Collateral moving in or out of an account (a deposit, a withdrawal)."""
    id: str
    account: str
    amount: Decimal              # positive
    kind: str                    # DEPOSIT or WITHDRAWAL
    direction: str               # IN or OUT
    token: str
    status: str
    created_at: int
    txn_hash: str = ""
    number: int = 0              # the account's nth transfer, from 0: orders transfers of one millisecond


@dataclass
class Algo:
    """A TWAP parent order: ``slices`` MARKET child orders, one every ``interval_ms``."""
    id: str
    account: str
    market: str
    side: str
    size: Decimal
    created_at: int
    end_at: int
    interval_ms: int
    slices: int
    status: str = "NEW"          # NEW, OPEN, CLOSED
    cancel_reason: str = ""
    placed: int = 0              # child orders placed so far
    next_at: int = 0
    filled: Decimal = ZERO
    filled_notional: Decimal = ZERO
    last_updated_at: int = 0
    child_ids: List[str] = field(default_factory=list)
