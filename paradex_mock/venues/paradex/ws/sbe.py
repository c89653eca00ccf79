"""Paradex's SBE (Simple Binary Encoding) frames: the schema, one encoder per message, a decoder.

A connection that asks for ``?sbeSchemaId=1&sbeSchemaVersion=N`` gets the data channels as
binary frames of this schema; JSON-RPC results, errors and acks stay JSON text (``rpc.py``).

**The schema is the table ``MESSAGES`` below**, the one description everything here is built
from: for every (message, negotiated version) ``Layout`` precomputes the fixed block's ``struct``
format and the field converters once, so encoding a frame is one ``struct.pack`` plus the
var-data, and ``decode`` reads frames back with the same table. ``tests/test_ws_sbe.py`` checks
the table field by field (name, type, offset, sinceVersion) against the schema Paradex publishes
(``paradex_py/api/sbe/paradex_1_0.xml``, schema 1:2 released 2026-09-25, vendored by paradex-py
0.8.2 and named by docs.paradex.trade as *the* schema), and every layout against ccxt.pro's own
decoder (ccxt 4.5.90 ``ccxt/pro/paradex.py``).

Wire rules (schema 1): little-endian; an 8-byte header (blockLength, templateId, schemaId,
version: uint16 each); the fixed block; repeating groups (uint16 blockLength, uint16
numInGroup); then var-data strings, each a uint8 length and UTF-8 bytes. Decimals are int64
mantissas with a constant exponent that is not on the wire: -8 for prices, sizes, values and
rates (``Price8``/``Qty8``/``Value8``/``Rate8``), -12 for ``Rate12``; the null of a nullable
one is INT64_MIN. Timestamps are int64 microseconds. Enums and bitsets are uint8 (254 is
NON_REPRESENTABLE). An account address is 32 bytes, big-endian, zero-padded on the left. Fields
a version does not have are left out of its block (``sinceVersion``), var-data too.

Where the sources disagree (and who is right):

* **Versions.** The published schema stops at 1:2 ("negotiable on nightly, testnet and prod"); it
  added TradeEvent.tradeIdStr, OrderEvent.requestStatus/requestType/requestId/requestMessage and
  AccountEvent.lastSeenNotification *in place* at 1:2 (its own words: "the one exception on
  record"). ccxt.pro asks for 1:3 by default and decodes a MarketSummaryEvent of 248 bytes whose
  last field, settlementTwapEstimate (Price8NULL), it says was "appended in 1:3". No Paradex
  document describes 1:3, but the real servers evidently accept ccxt's default URL (ccxt says a
  version above the cap is a 400 and still defaults to 3), so 1:3 here is 1:2 plus that one
  field, taken from ccxt. Versions 0-3 are served; anything else is refused at the handshake.
* **Which channels.** docs.paradex.trade's SBE page says in its prose that "private channel
  payloads remain JSON", and in its table, as the schema does, that orders, fills, positions and
  account are templates 20-23 ("channels not listed here are delivered as JSON"). ccxt.pro
  decodes all four, with version notes (e.g. "126 before the 1:2 request fields") that only
  frames seen on the wire teach. The table, the schema and ccxt agree, the prose sentence is the
  odd one out: private channels go as SBE here too. Channels with no template (balance_events,
  funding_payments, ...) stay JSON on an SBE connection, as the page says.
* **ccxt's comments** put requestStatus/requestType and lastSeenNotification in "1:2", the same
  as the 2026-09-25 schema (an earlier 1:2 draft, 2026-03, had neither): ccxt is right.
* **Funding rate precision.** The schema says a version >= 1 client should read
  MarketSummaryEvent.fundingRatePrecise (Rate12) and fall back to fundingRate (Rate8, truncated
  to 8 places). ccxt.pro reads only the Rate8 one, so a rate with more than 8 decimals comes out
  truncated on ccxt's SBE path and not on its JSON one. That is ccxt's loss, not the wire's:
  both fields are sent, as the schema says.
* **What ccxt leaves out.** Its MarketSummaryEvent decoder skips indexPrice (JSON
  ``underlying_price``), bidSize/askSize and the options fields; its PositionEvent one has no
  ``created_at`` to give (the schema has no such field), so ccxt's SBE position has no
  ``timestamp``. The frames carry what the schema carries; ccxt reads less of it.
* **Positions.** The schema types PositionEvent.side as Side ("BUY=long, SELL=short") and the
  size as absolute; ccxt maps 1/2 to LONG/SHORT and re-signs a short's size. They agree.
* **Trade ids.** TradeEvent.tradeId (int64) is deprecated: "the low 64 bits of the real id,
  reinterpreted as signed". ``tradeId`` below encodes exactly that; tradeIdStr carries the id.

What the mock fills in where its JSON has no value: ``ts`` is the payload's own time (a trade's
``created_at``, a book's ``last_updated_at``, an order's ``published_at``, ...), so the same
seed gives the same bytes; ``seq`` is the payload's ``seq_no`` where it has one, the market's
order-book ``seq_no`` for trades (the schema: "the same counter BboEvent.seq reports") and the
exchange event's sequence number for summaries and funding data.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from ....engine.numbers import fmt

SCHEMA_ID = 1
VERSIONS = (0, 1, 2, 3)
LATEST = 3
HEADER = struct.Struct("<HHHH")
GROUP = struct.Struct("<HH")
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
NON_REPRESENTABLE = 254

# ------------------------------------------------------------------------------------------ types
# name -> (struct code, exponent or None). Exponents are the schema's constant ones.
TYPES: Dict[str, Tuple[str, Optional[int], bool]] = {
    # name        code  exponent  nullable
    "Timestamp": ("q", None, False),
    "int64": ("q", None, False),
    "int64NULL": ("q", None, True),
    "uint64": ("Q", None, False),
    "int16": ("h", None, False),
    "Price8": ("q", -8, False), "Price8NULL": ("q", -8, True),
    "Qty8": ("q", -8, False), "Qty8NULL": ("q", -8, True),
    "Value8": ("q", -8, False), "Value8NULL": ("q", -8, True),
    "Rate8": ("q", -8, False), "Rate8NULL": ("q", -8, True),
    "Rate12": ("q", -12, False), "Rate12NULL": ("q", -12, True),
    "AccountAddress": ("32s", None, False),
}

ENUMS: Dict[str, Dict[str, int]] = {
    "Side": {"BUY": 1, "SELL": 2},
    "PositionSide": {"LONG": 1, "SHORT": 2},          # the schema's Side, read as long/short
    "OrderType": {"LIMIT": 1, "MARKET": 2, "STOP_LIMIT": 3, "STOP_MARKET": 4, "TAKE_PROFIT_LIMIT": 5,
                  "TAKE_PROFIT_MARKET": 6, "STOP_LOSS_LIMIT": 7, "STOP_LOSS_MARKET": 8},
    "OrderStatus": {"NEW": 1, "UNTRIGGERED": 2, "OPEN": 3, "CLOSED": 4},
    "TimeInForce": {"GTC": 1, "IOC": 2, "POST_ONLY": 3, "RPI": 4},
    "FillType": {"FILL": 1, "LIQUIDATION": 2, "UNWIND_TRANSFER": 3, "SETTLE_MARKET": 4, "RPI": 5,
                 "BLOCK_TRADE": 6},
    "PkgType": {"s": 0, "d": 1},                       # SNAPSHOT, DELTA (JSON update_type)
    "LiquiditySide": {"MAKER": 1, "TAKER": 2},
    "STPMode": {"NONE": 0, "EXPIRE_MAKER": 1, "EXPIRE_TAKER": 2, "EXPIRE_BOTH": 3},
    "PositionStatus": {"OPEN": 1, "CLOSED": 2, "UNSPECIFIED": 3},
    "AccountStatus": {"ACTIVE": 1, "LIQUIDATION": 2},
    "RequestStatus": {"UNSPECIFIED": 0, "PENDING": 1, "PROCESSED": 2, "REJECTED": 3, "SUCCESS": 4},
    "RequestType": {"UNSPECIFIED": 0, "MODIFY_ORDER": 1},
}
SETS: Dict[str, Tuple[str, ...]] = {     # bit i -> name ("" for a free bit)
    "OrderFlags": ("REDUCE_ONLY", "STOP_CONDITION_BELOW_TRIGGER", "STOP_CONDITION_ABOVE_TRIGGER", "INTERACTIVE",
                   "TARGET_STRATEGY_VWAP", "MMP"),
    # the JSON feed and REST spell fill flags in lower case; bit 7 is UNKNOWN (a flag with no bit)
    "FillFlags": ("interactive", "rpi", "fastfill", "", "", "", "", "unknown"),
}
SINCE_BITS = {("OrderFlags", "MMP"): 2}      # a set choice that a lower version never sets


@dataclass(frozen=True)
class F:
    """A fixed-block field: schema ``name`` and ``type`` (a TYPES, ENUMS or SETS name), the version
    it appeared in, and where its value comes from in the JSON payload: a key, or a function of
    (payload, ctx); None: always null/zero (the mock has no such value)."""
    name: str
    type: str
    since: int = 0
    src: Any = None


@dataclass(frozen=True)
class D:
    """A var-data string (uint8 length + UTF-8)."""
    name: str
    since: int = 0
    src: Any = None


@dataclass(frozen=True)
class Message:
    template: int
    name: str
    channel: str                 # the channel kind it carries
    fields: Tuple[F, ...]
    data: Tuple[D, ...]
    groups: Tuple[str, ...] = ()     # BookEvent: bids, asks (price Price8, size Qty8 entries)


def _ctx(key):
    return lambda d, ctx: ctx[key]


def _greek(name):
    return lambda d, ctx: (d.get("greeks") or {}).get(name)


def _low64(d, ctx):
    """TradeEvent.tradeId: the low 64 bits of the id, as signed (the schema's words)."""
    try:
        v = int(d["id"]) & 0xFFFFFFFFFFFFFFFF
    except (KeyError, ValueError, TypeError):
        return 0
    return v - (1 << 64) if v >= 1 << 63 else v


def _abs_size(d, ctx):
    s = d.get("size") or "0"
    return s[1:] if s.startswith("-") else s


# ------------------------------------------------------------------------------------------ the schema
MESSAGES: Tuple[Message, ...] = (
    Message(1, "TradeEvent", "trades", (
        F("ts", "Timestamp", 0, "created_at"),
        F("seq", "int64", 0, _ctx("book_seq")),
        F("tradeId", "int64", 0, _low64),
        F("side", "Side", 0, "side"),
        F("price", "Price8", 0, "price"),
        F("size", "Qty8", 0, "size"),
        F("createdAt", "Timestamp", 0, "created_at"),
        F("tradeType", "FillType", 0, "trade_type"),
    ), (D("market", 0, "market"), D("tradeIdStr", 2, "id"))),
    Message(2, "BboEvent", "bbo", (
        F("ts", "Timestamp", 0, "last_updated_at"),
        F("seq", "int64", 0, "seq_no"),
        F("bidPrice", "Price8NULL", 0, "bid"),
        F("bidSize", "Qty8NULL", 0, "bid_size"),
        F("askPrice", "Price8NULL", 0, "ask"),
        F("askSize", "Qty8NULL", 0, "ask_size"),
    ), (D("market", 0, "market"),)),
    Message(3, "BookEvent", "order_book", (
        F("ts", "Timestamp", 0, "last_updated_at"),
        F("seq", "int64", 0, "seq_no"),
        F("pkgType", "PkgType", 0, "update_type"),
        # the interactive feed's best levels (null on the snapshot and deltas feeds)
        F("bestBidPrice", "Price8NULL", 0, lambda d, c: _level(d, "best_bid_interactive", "price")),
        F("bestBidSize", "Qty8NULL", 0, lambda d, c: _level(d, "best_bid_interactive", "size")),
        F("bestAskPrice", "Price8NULL", 0, lambda d, c: _level(d, "best_ask_interactive", "price")),
        F("bestAskSize", "Qty8NULL", 0, lambda d, c: _level(d, "best_ask_interactive", "size")),
        F("relativeSpread", "Rate8NULL", 0, "relative_spread"),
        F("bestBidApiPrice", "Price8NULL", 0, lambda d, c: _level(d, "best_bid_api", "price")),
        F("bestBidApiSize", "Qty8NULL", 0, lambda d, c: _level(d, "best_bid_api", "size")),
        F("bestAskApiPrice", "Price8NULL", 0, lambda d, c: _level(d, "best_ask_api", "price")),
        F("bestAskApiSize", "Qty8NULL", 0, lambda d, c: _level(d, "best_ask_api", "size")),
    ), (D("market", 0, "market"),), groups=("bids", "asks")),
    Message(4, "MarketSummaryEvent", "markets_summary", (
        F("ts", "Timestamp", 0, "created_at"),
        F("seq", "int64", 0, _ctx("seq")),
        F("markPrice", "Price8", 0, "mark_price"),
        F("indexPrice", "Price8", 0, "underlying_price"),
        F("lastPrice", "Price8", 0, "last_traded_price"),
        F("volumeUsd24h", "Value8", 0, "volume_24h"),
        F("openInterest", "Qty8", 0, "open_interest"),
        F("fundingRate", "Rate8", 0, "funding_rate"),
        F("bid", "Price8NULL", 0, "bid"),
        F("ask", "Price8NULL", 0, "ask"),
        F("totalVolume", "Value8", 0, "total_volume"),
        F("priceChangeRate24h", "Rate8", 0, "price_change_rate_24h"),
        F("markIv", "Rate8NULL", 0, "mark_iv"),
        F("bidIv", "Rate8NULL", 0, "bid_iv"),
        F("askIv", "Rate8NULL", 0, "ask_iv"),
        F("lastIv", "Rate8NULL", 0, "last_iv"),
        F("delta", "Rate8NULL", 0, _greek("delta")),
        F("gamma", "Rate8NULL", 0, _greek("gamma")),
        F("vega", "Rate8NULL", 0, _greek("vega")),
        F("theta", "Rate8NULL", 0, _greek("theta")),
        F("rho", "Rate8NULL", 0, _greek("rho")),
        F("volga", "Rate8NULL", 0, _greek("volga")),
        F("vanna", "Rate8NULL", 0, _greek("vanna")),
        F("futureFundingRate", "Rate8NULL", 0, "future_funding_rate"),
        F("externalFairPrice", "Price8NULL", 0, "external_fair_price"),
        F("bidSize", "Qty8NULL", 0, "bid_size"),
        F("askSize", "Qty8NULL", 0, "ask_size"),
        F("forwardRate", "Rate8NULL", 1, "forward_rate"),
        F("riskFreeRate", "Rate8NULL", 1, "risk_free_rate"),
        F("fundingRatePrecise", "Rate12NULL", 1, "funding_rate"),
        F("settlementTwapEstimate", "Price8NULL", 3, "settlement_twap_estimate"),   # 1:3, from ccxt
    ), (D("market", 0, "symbol"),)),
    Message(5, "FundingDataEvent", "funding_data", (
        F("ts", "Timestamp", 0, "created_at"),
        F("seq", "int64", 0, _ctx("seq")),
        F("fundingRate", "Rate8", 0, "funding_rate"),
        F("fundingIndex", "Price8", 0, "funding_index"),
        F("createdAt", "Timestamp", 0, "created_at"),
        F("fundingPremium", "Rate8", 0, "funding_premium"),
        F("fundingRate8h", "Rate8", 0, "funding_rate_8h"),
        F("fundingPeriodHours", "int16", 0, "funding_period_hours"),
        F("impactPremiumRate", "Rate8NULL", 1, "impact_premium_rate"),
    ), (D("market", 0, "market"),)),
    Message(20, "OrderEvent", "orders", (
        F("ts", "Timestamp", 0, "published_at"),
        F("seq", "int64", 0, "seq_no"),
        F("status", "OrderStatus", 0, "status"),
        F("side", "Side", 0, "side"),
        F("orderType", "OrderType", 0, "type"),
        F("timeInForce", "TimeInForce", 0, "instruction"),
        F("price", "Price8NULL", 0, "price"),
        F("triggerPrice", "Price8NULL", 0, "trigger_price"),
        F("size", "Qty8", 0, "size"),
        F("sizeOpen", "Qty8", 0, "remaining_size"),
        F("avgFillPrice", "Price8NULL", 0, "avg_fill_price"),
        F("createdAt", "Timestamp", 0, "created_at"),
        F("updatedAt", "Timestamp", 0, "last_updated_at"),
        F("account", "AccountAddress", 0, "account"),
        F("receivedAt", "Timestamp", 0, "received_at"),
        F("publishedAt", "Timestamp", 0, "published_at"),
        F("stp", "STPMode", 0, "stp"),
        F("flags", "OrderFlags", 0, "flags"),
        F("requestStatus", "RequestStatus", 2, lambda d, c: (d.get("request_info") or {}).get("status")),
        F("requestType", "RequestType", 2, lambda d, c: (d.get("request_info") or {}).get("request_type")),
    ), (D("orderId", 0, "id"), D("clientOrderId", 0, "client_id"), D("market", 0, "market"),
        D("cancelReason", 0, "cancel_reason"),
        D("requestId", 2, lambda d, c: (d.get("request_info") or {}).get("id")),
        D("requestMessage", 2, lambda d, c: (d.get("request_info") or {}).get("message")))),
    Message(21, "FillEvent", "fills", (
        F("ts", "Timestamp", 0, "created_at"),
        F("seq", "int64NULL", 0, "orderbook_seq_no"),
        F("fillType", "FillType", 0, "fill_type"),
        F("side", "Side", 0, "side"),
        F("liquidity", "LiquiditySide", 0, "liquidity"),
        F("price", "Price8", 0, "price"),
        F("size", "Qty8", 0, "size"),
        F("fee", "Value8", 0, "fee"),
        F("realizedPnl", "Value8NULL", 0, "realized_pnl"),
        F("createdAt", "Timestamp", 0, "created_at"),
        F("account", "AccountAddress", 0, "account"),
        F("underlyingPrice", "Price8", 0, "underlying_price"),
        F("realizedFunding", "Value8", 0, "realized_funding"),
        F("flags", "FillFlags", 2, "flags"),
        F("orderbookSeqNo", "uint64", 2, "orderbook_seq_no"),
    ), (D("fillId", 0, "id"), D("orderId", 0, "order_id"), D("clientOrderId", 0, "client_id"),
        D("tradeId", 0, _ctx("trade_id")), D("market", 0, "market"), D("feeCurrency", 2, "fee_currency"))),
    Message(22, "PositionEvent", "positions", (
        F("ts", "Timestamp", 0, "last_updated_at"),
        F("seq", "int64", 0, "seq_no"),
        F("side", "PositionSide", 0, "side"),
        F("size", "Qty8", 0, _abs_size),
        F("avgEntryPrice", "Price8", 0, "average_entry_price"),
        F("unrealizedPnl", "Value8", 0, "unrealized_pnl"),
        F("realizedPnl", "Value8", 0, "realized_positional_pnl"),
        F("markPrice", "Price8NULL", 0, None),        # "always null" (the schema)
        F("liquidationPrice", "Price8NULL", 0, "liquidation_price"),
        F("leverage", "Rate8", 0, "leverage"),
        F("updatedAt", "Timestamp", 0, "last_updated_at"),
        F("account", "AccountAddress", 0, "account"),
        F("avgEntryPriceUsd", "Price8", 0, "average_entry_price_usd"),
        F("cost", "Value8", 0, "cost"),
        F("costUsd", "Value8", 0, "cost_usd"),
        F("cachedFundingIndex", "Price8", 0, "cached_funding_index"),
        F("unrealizedFundingPnl", "Value8", 0, "unrealized_funding_pnl"),
        F("status", "PositionStatus", 0, "status"),
    ), (D("market", 0, "market"), D("lastFillId", 0, "last_fill_id"))),
    Message(23, "AccountEvent", "account", (
        F("ts", "Timestamp", 0, "updated_at"),
        F("seq", "int64", 0, "seq_no"),
        F("totalCollateral", "Value8", 0, "total_collateral"),
        F("freeCollateral", "Value8", 0, "free_collateral"),
        F("initialMarginReq", "Value8", 0, "initial_margin_requirement"),
        F("maintenanceMarginReq", "Value8", 0, "maintenance_margin_requirement"),
        F("accountValue", "Value8", 0, "account_value"),
        F("unrealizedPnl", "Value8NULL", 0, None),    # "always null" (the schema)
        F("updatedAt", "Timestamp", 0, "updated_at"),
        F("account", "AccountAddress", 0, "account"),
        F("marginCushion", "Value8", 0, "margin_cushion"),
        F("status", "AccountStatus", 0, "status"),
        F("lastSeenNotification", "Timestamp", 2, "last_seen_notification"),
    ), (D("settlementAsset", 0, "settlement_asset"),)),
)
BY_TEMPLATE: Dict[int, Message] = {m.template: m for m in MESSAGES}
BY_NAME: Dict[str, Message] = {m.name: m for m in MESSAGES}
# the channel kinds served in SBE, and which message each one's payload is
TEMPLATE_OF_CHANNEL: Dict[str, Message] = {m.channel: m for m in MESSAGES}


def _level(d: dict, key: str, part: str):
    lvl = d.get(key)
    return lvl.get(part) if isinstance(lvl, dict) else None


# ------------------------------------------------------------------------------------------ values
def mantissa(value, exponent: int, nullable: bool) -> int:
    """A decimal (a JSON string like "-95004.6", a Decimal or an int) as an int64 mantissa of
    ``10**exponent``, truncated toward zero (the schema's fixed 8 places "truncate" finer values)
    and saturated at the int64 range; "" / None is the null (nullable) or 0."""
    if value is None or value == "":
        return INT64_MIN if nullable else 0
    places = -exponent
    s = value if value.__class__ is str else str(value)
    if "e" in s or "E" in s:
        m = int((Decimal(s).scaleb(places)).to_integral_value(rounding=ROUND_DOWN))
    else:
        neg = s.startswith("-")
        whole, _, frac = (s[1:] if neg else s).partition(".")
        m = int((whole or "0") + (frac[:places] if len(frac) >= places else frac + "0" * (places - len(frac))))
        if neg:
            m = -m
    if m > INT64_MAX:
        return INT64_MAX
    if m <= INT64_MIN:
        return INT64_MIN + 1
    return m


def decimal_of(m: int, exponent: int) -> str:
    """The JSON-style string of a mantissa ("95004.6", "0")."""
    return fmt(Decimal(m).scaleb(exponent))


def address_bytes(value) -> bytes:
    if not value:
        return bytes(32)
    return int(value, 16).to_bytes(32, "big")


def _converter(type_name: str) -> Tuple[str, Callable[[Any], Any]]:
    """(struct code, JSON value -> packable value) for a schema type."""
    if type_name in ENUMS:
        table = ENUMS[type_name]
        default = 0 if type_name.startswith("Request") else NON_REPRESENTABLE
        return "B", lambda v: default if v is None or v == "" else table.get(v, NON_REPRESENTABLE)
    if type_name in SETS:
        bits = {name: 1 << i for i, name in enumerate(SETS[type_name]) if name}
        if type_name == "FillFlags":
            unknown = bits["unknown"]
            return "B", lambda v: sum(bits.get(str(f).lower(), unknown) for f in set(v or ()))
        return "B", lambda v: sum(bits.get(f, 0) for f in set(v or ()))
    code, exponent, nullable = TYPES[type_name]
    if exponent is not None:
        return code, lambda v: mantissa(v, exponent, nullable)
    if type_name == "Timestamp":
        return code, lambda v: int(v) * 1000 if v not in (None, "") else 0
    if type_name == "AccountAddress":
        return code, address_bytes
    if nullable:
        return code, lambda v: INT64_MIN if v is None or v == "" else int(v)
    return code, lambda v: int(v) if v not in (None, "") else 0


# ------------------------------------------------------------------------------------------ layouts
@dataclass
class Layout:
    """One message at one negotiated version: its block format and field converters."""
    message: Message
    version: int
    fields: List[F] = field(default_factory=list)
    offsets: List[int] = field(default_factory=list)       # of each field, from the block's start
    block: struct.Struct = None
    getters: list = field(default_factory=list)             # (src, convert) per field
    data: List[D] = field(default_factory=list)

    @classmethod
    def build(cls, message: Message, version: int) -> "Layout":
        lay = cls(message, version)
        fmt_codes = "<"
        for f in message.fields:
            if f.since > version:
                continue
            code, convert = _converter(f.type)
            if f.type == "OrderFlags" and version < 2:
                base = convert
                mmp = 1 << SETS["OrderFlags"].index("MMP")
                convert = lambda v, base=base, mmp=mmp: base(v) & ~mmp
            lay.offsets.append(struct.calcsize(fmt_codes))
            fmt_codes += code
            lay.fields.append(f)
            lay.getters.append((f.src, convert))
        lay.block = struct.Struct(fmt_codes)
        lay.data = [d for d in message.data if d.since <= version]
        return lay

    @property
    def block_length(self) -> int:
        return self.block.size

    def encode(self, payload: dict, ctx: dict) -> bytes:
        values = []
        for src, convert in self.getters:
            if src is None:
                raw = None
            elif src.__class__ is str:
                raw = payload.get(src)
            else:
                raw = src(payload, ctx)
            values.append(convert(raw))
        m = self.message
        parts = [HEADER.pack(self.block.size, m.template, SCHEMA_ID, self.version), self.block.pack(*values)]
        if m.groups:
            parts.extend(_book_groups(payload))
        for d in self.data:
            src = d.src
            raw = payload.get(src) if src.__class__ is str else src(payload, ctx)
            b = b"" if raw is None else str(raw).encode()
            if len(b) > 255:
                b = b[:255]
            parts.append(bytes((len(b),)) + b)
        return b"".join(parts)


_ENTRY = struct.Struct("<qq")


def _book_groups(payload: dict) -> List[bytes]:
    """BookEvent's bids and asks groups from a JSON order_book payload: a snapshot's inserts, or a
    delta's inserts and updates with new sizes and deletes with size 0 ("qty=0 means remove")."""
    out = []
    for side in ("BUY", "SELL"):
        rows = [r for key in ("inserts", "updates", "deletes") for r in payload.get(key) or () if r["side"] == side]
        body = b"".join(_ENTRY.pack(mantissa(r["price"], -8, False), mantissa(r["size"], -8, False)) for r in rows)
        out.append(GROUP.pack(_ENTRY.size, len(rows)) + body)
    return out


_LAYOUTS: Dict[Tuple[int, int], Layout] = {}


def layout(template: int, version: int) -> Layout:
    key = (template, version)
    lay = _LAYOUTS.get(key)
    if lay is None:
        lay = _LAYOUTS[key] = Layout.build(BY_TEMPLATE[template], version)
    return lay


def encode(name_or_template, payload: dict, version: int = LATEST, **ctx) -> bytes:
    """One frame: message ``name_or_template`` (``"TradeEvent"`` or 1) of the JSON ``payload``
    at schema version ``version``. ``ctx``: ``seq`` (summaries, funding), ``book_seq``
    (trades), ``trade_id`` (fills), each 0/"" when not given."""
    msg = BY_NAME[name_or_template] if isinstance(name_or_template, str) else BY_TEMPLATE[name_or_template]
    full = {"seq": 0, "book_seq": 0, "trade_id": ""}
    full.update(ctx)
    return layout(msg.template, version).encode(payload, full)


# ------------------------------------------------------------------------------------------ decoding
class SbeError(ValueError):
    pass


_JSON_TS = {"ts", "createdAt", "updatedAt", "receivedAt", "publishedAt", "lastSeenNotification"}


def decode(frame: bytes) -> dict:
    """A frame back into a dict: ``{"template", "message", "schema": "1:N", "block_length",
    "fields": {schema field name: value}, "market", ...}``. Decimals come back as JSON-style
    strings (null as None), timestamps in milliseconds, enums and sets by name, the address as
    0x hex; BookEvent adds ``bids``/``asks`` ``[[price, size], ...]``; var-data by name (a
    trailing one the frame does not carry is absent)."""
    if len(frame) < HEADER.size:
        raise SbeError("frame shorter than the 8-byte header")
    block_length, template, schema_id, version = HEADER.unpack_from(frame, 0)
    if schema_id != SCHEMA_ID:
        raise SbeError(f"schema id {schema_id}, expected {SCHEMA_ID}")
    msg = BY_TEMPLATE.get(template)
    if msg is None:
        raise SbeError(f"unknown template id {template}")
    lay = layout(template, min(version, LATEST))
    if block_length < lay.block.size or len(frame) < HEADER.size + block_length:
        raise SbeError(f"{msg.name}: block of {block_length} bytes, version {version} needs {lay.block.size}")
    raw = lay.block.unpack_from(frame, HEADER.size)
    out: Dict[str, Any] = {}
    for f, v in zip(lay.fields, raw):
        out[f.name] = _decode_value(f.type, v)
    pos = HEADER.size + block_length
    result = {"template": template, "message": msg.name, "schema": f"{schema_id}:{version}",
              "block_length": block_length, "fields": out}
    if msg.groups:
        for g in msg.groups:
            entry_len, count = GROUP.unpack_from(frame, pos)
            pos += GROUP.size
            rows = []
            for _ in range(count):
                p, s = _ENTRY.unpack_from(frame, pos)
                rows.append([decimal_of(p, -8), decimal_of(s, -8)])
                pos += entry_len
            result[g] = rows
    for d in lay.data:
        if pos >= len(frame):
            break
        n = frame[pos]
        if pos + 1 + n > len(frame):
            raise SbeError(f"{msg.name}.{d.name}: var-data runs past the frame")
        out[d.name] = frame[pos + 1:pos + 1 + n].decode()
        pos += 1 + n
    result["market"] = out.get("market")
    result["bytes"] = len(frame)
    return result


def _decode_value(type_name: str, v):
    if type_name in ENUMS:
        for name, code in ENUMS[type_name].items():
            if code == v:
                return name
        return None if v == NON_REPRESENTABLE else v
    if type_name in SETS:
        return [name for i, name in enumerate(SETS[type_name]) if name and v & (1 << i)]
    code, exponent, nullable = TYPES[type_name]
    if type_name == "AccountAddress":
        return hex(int.from_bytes(v, "big"))
    if nullable and v == INT64_MIN:
        return None
    if exponent is not None:
        return decimal_of(v, exponent)
    if type_name == "Timestamp":
        return v // 1000
    return v


def describe(frame: bytes) -> dict:
    """What the journal records for a binary frame: readable, never raw bytes alone."""
    try:
        d = decode(frame)
    except SbeError as e:
        return {"encoding": "sbe", "bytes": len(frame), "error": str(e), "hex": frame[:64].hex()}
    out = {"encoding": "sbe", "schema": d["schema"], "template": d["template"], "message": d["message"],
           "bytes": d["bytes"], "fields": d["fields"]}
    for g in BY_TEMPLATE[d["template"]].groups:
        out[g] = d[g]
    return out
