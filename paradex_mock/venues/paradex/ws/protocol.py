"""Paradex's JSON-RPC 2.0 dialect over WebSocket: frames, error codes and channel names.

Pure functions and data only (no I/O), so the rules are easy to test and to read against the
fact sheet (§10 of paradex-api.md).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

# ---------------------------------------------------------------------------------------- errors
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
METHOD_ERROR = 100
MALFORMED_BEARER = 40110
INVALID_BEARER = 40111
GEO_BLOCKED = 40112            # never produced by the mock
PERMISSION_DENIED = 40300
RATE_LIMITED = 42901           # order.* over the REST rate limits (ws/orders.py)

NO_ID = object()               # the request had no "id": the reply has none either


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Optional[str] = None):
        super().__init__(f"{code} {message}" + (f" ({data})" if data else ""))
        self.code = code
        self.message = message
        self.data = data

    @classmethod
    def auth_required(cls) -> "RpcError":
        """Private channels and order.* before ``auth``."""
        return cls(PERMISSION_DENIED, "permission denied", "authentication required")

    def error_object(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def now_us() -> int:
    """Wall-clock microseconds, the unit of usIn/usOut in captured Paradex responses."""
    return time.time_ns() // 1000


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


def _envelope(rid: Any) -> dict:
    msg = {"jsonrpc": "2.0"}
    if rid is not NO_ID:
        msg["id"] = rid
    return msg


def result_frame(rid: Any, result: dict, us_in: int) -> str:
    msg = _envelope(rid)
    msg["result"] = result          # never None: paradex-py calls result.get("channel")
    us_out = now_us()
    msg.update(usIn=us_in, usOut=us_out, usDiff=us_out - us_in)
    return dumps(msg)


def error_frame(rid: Any, err: RpcError, us_in: int) -> str:
    msg = _envelope(rid)
    msg["error"] = err.error_object()
    us_out = now_us()
    msg.update(usIn=us_in, usOut=us_out, usDiff=us_out - us_in)
    return dumps(msg)


def notification_frame(channel: str, data: dict) -> str:
    return dumps({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": data}})


def valid_id(value: Any) -> bool:
    """JSON-RPC ids are strings, numbers or null (booleans, objects and arrays are not)."""
    return value is None or isinstance(value, str) or (
        isinstance(value, (int, float)) and not isinstance(value, bool))


# ---------------------------------------------------------------------------------------- channels
ORDER_BOOK_FEEDS = ("snapshot", "deltas", "interactive")
ORDER_BOOK_RATES = {"50ms": 50, "100ms": 100}
ORDER_BOOK_DEPTH = 15

# channel kind -> the key its subscribers are indexed under: the bus event kind that feeds it, or
# a name of feed.py's own ("transaction": rendered from "fill"); None: accepted, never emitted
EVENT_OF = {
    "trades": "trade", "bbo": "bbo", "order_book": "book", "markets_summary": "summary",
    "funding_data": "funding_data", "markets": "markets",
    "orders": "order", "fills": "fill", "positions": "position", "account": "account",
    "balance_events": "balance_event", "funding_payments": "funding_payment",
    "tradebusts": "tradebust", "transaction": "transaction", "transfers": "transfer", "rfq": "rfq",
    # in paradex-py 0.8.2's ParadexWebsocketChannel enum (fact sheet §10.5); never emitted here
    "funding_rate_comparison": None, "block_trades": None, "mmp": None,
}
PRIVATE = frozenset({"orders", "fills", "positions", "account", "balance_events", "funding_payments",
                     "tradebusts", "transaction", "transfers", "rfq", "block_trades", "mmp"})
# the only names of the cross-venue funding channel: the real server's regex is anchored to them
FUNDING_RATE_COMPARISON = ("funding_rate_comparison.ALL@500ms", "funding_rate_comparison.ALL@1000ms")

# how each kind may be named: "market" = kind.{market} required, "market|ALL" also .ALL,
# "bare" = the name alone, "id" = kind.{any id} (rfq.{rfq_id}: kept in Channel.market), combinations allowed
_FORMS = {
    "trades": {"market", "ALL"},
    "bbo": {"market", "ALL"},
    "markets_summary": {"bare", "market", "ALL"},
    "funding_data": {"bare", "market", "ALL"},
    "markets": {"bare", "market", "ALL"},
    "orders": {"market", "ALL"},
    "fills": {"market", "ALL"},
    "funding_payments": {"bare", "market", "ALL"},
    "positions": {"bare"},
    "account": {"bare"},
    "balance_events": {"bare"},
    "tradebusts": {"bare"},
    "transaction": {"bare"},
    "transfers": {"bare"},
    "rfq": {"bare", "id"},
    "block_trades": {"bare"},
    "mmp": {"bare"},
}


class ChannelError(Exception):
    """An unknown or malformed channel name (the reason is for logs; clients see 'invalid channel')."""


@dataclass(frozen=True)
class Channel:
    name: str                       # exactly as the client spelled it (echoed in notifications)
    kind: str                       # key of EVENT_OF
    market: Optional[str] = None    # None: every market (".ALL", bare name) or not market-scoped; rfq: the id
    feed: Optional[str] = None      # order_book: snapshot | deltas | interactive
    rate_ms: Optional[int] = None   # order_book: 50 | 100
    tick: Optional[Decimal] = None  # order_book: price grouping, None = the market's own levels

    @property
    def private(self) -> bool:
        return self.kind in PRIVATE

    @property
    def event(self) -> Optional[str]:
        return EVENT_OF[self.kind]

    @property
    def book_key(self) -> tuple:
        return (self.market, self.feed, self.rate_ms, self.tick)


def parse_tick(text: str) -> Decimal:
    """``0_1`` -> 0.1, ``10`` -> 10 (Paradex writes the decimal point as an underscore)."""
    if not text or not all(c.isdigit() or c == "_" for c in text) or text.count("_") > 1:
        raise ChannelError(f"bad price tick {text!r}")
    try:
        value = Decimal(text.replace("_", "."))
    except InvalidOperation:
        raise ChannelError(f"bad price tick {text!r}") from None
    if value <= 0:
        raise ChannelError("price tick must be positive")
    return value


def parse_channel(name: Any, markets: Iterable[str]) -> Channel:
    """Validate a channel name against the known markets. Raises ChannelError."""
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ChannelError("channel must be a non-empty string")
    markets = set(markets)
    if name.startswith("order_book."):
        parts = name.split(".")
        if len(parts) != 3:
            raise ChannelError("order_book.{market}.{feed}@15@{rate}[@{tick}]")
        _, market, spec = parts
        if market not in markets:
            raise ChannelError(f"unknown market {market!r}")
        bits = spec.split("@")
        if len(bits) not in (3, 4):
            raise ChannelError("order_book.{market}.{feed}@15@{rate}[@{tick}]")
        feed, depth, rate = bits[:3]
        if feed not in ORDER_BOOK_FEEDS:
            raise ChannelError(f"unknown order book feed {feed!r}")
        if depth != str(ORDER_BOOK_DEPTH):
            raise ChannelError("order book depth must be 15")
        if rate not in ORDER_BOOK_RATES:
            raise ChannelError(f"unknown refresh rate {rate!r}")
        tick = parse_tick(bits[3]) if len(bits) == 4 else None
        return Channel(name, "order_book", market, feed, ORDER_BOOK_RATES[rate], tick)
    if name.startswith("orderbook."):          # the seed design's alias of the default book channel
        market = name[len("orderbook."):]
        if market not in markets:
            raise ChannelError(f"unknown market {market!r}")
        return Channel(name, "order_book", market, "snapshot", 100, None)
    if name in FUNDING_RATE_COMPARISON:
        return Channel(name, "funding_rate_comparison")
    kind, dot, rest = name.partition(".")
    forms = _FORMS.get(kind)
    if forms is None:
        raise ChannelError(f"unknown channel {kind!r}")
    if not dot:
        if "bare" not in forms:
            raise ChannelError(f"{kind} needs a market: {kind}.{{market}}")
        return Channel(name, kind)
    if rest == "ALL" and "ALL" in forms:
        return Channel(name, kind)
    if "id" in forms:             # an id the venue issued: unknown ones just never see an event
        if not rest or len(rest) > 100:
            raise ChannelError(f"bad {kind} id")
        return Channel(name, kind, rest)
    if "market" not in forms:
        raise ChannelError(f"{kind} takes no market")
    if rest not in markets:
        raise ChannelError(f"unknown market {rest!r}")
    return Channel(name, kind, rest)


# market maker protection: the engine publishes each MMP state change (config set or removed,
# trip, freeze over, reset) as an "mmp" event for the account
EVENT_OF["mmp"] = "mmp"
