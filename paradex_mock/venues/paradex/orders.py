"""Paradex order bodies (``POST /orders``, ``PUT /orders/{id}``, batches) into the engine's order
requests. Only the wire is checked here (types, enums, numbers); the market's and the account's
rules (ticks, steps, minimums, limits, exchange state) are the engine's ``check_order``."""
from __future__ import annotations

from typing import Callable

from ...engine.errors import ExchangeError, excerpt, invalid, short
from ...engine.models import INSTRUCTIONS, ORDER_FLAGS, ORDER_TYPES, STP_MODES, TRIGGER_TYPES, Order
from ...engine.numbers import ZERO, fmt, to_decimal

# the module's own strings, not the request's copies: an order keeps them for life, and a hundred
# thousand orders would keep a hundred thousand copies otherwise
_CANONICAL = {s: s for s in ("BUY", "SELL") + ORDER_TYPES + INSTRUCTIONS + STP_MODES}


def order_request(body, known: Callable[[str], bool]) -> Order:
    """A Paradex order body as an engine order request. ``known(market)``: is it a Paradex market."""
    if not isinstance(body, dict):
        raise ExchangeError("VALIDATION_ERROR", "order request must be a JSON object")
    sym = body.get("market")
    if not isinstance(sym, str) or not sym:
        raise ExchangeError("VALIDATION_ERROR", invalid("market", sym, "must be a string"))
    if not known(sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {excerpt(sym)} not found")
    side = body.get("side")
    if side not in ("BUY", "SELL"):
        raise ExchangeError("VALIDATION_ERROR", invalid("side", side, "must be BUY or SELL"))
    otype = body.get("type") or body.get("order_type")   # order_type: the seed's curl example
    if otype not in ORDER_TYPES:
        raise ExchangeError("VALIDATION_ERROR", invalid("type", otype, "not an order type"))
    instruction = body.get("instruction") or "GTC"
    if instruction not in INSTRUCTIONS:
        raise ExchangeError("VALIDATION_ERROR", invalid("instruction", instruction, "one of GTC, POST_ONLY, IOC, RPI"))
    if instruction == "RPI":
        raise ExchangeError("RPI_ACCOUNT_NOT_WHITELISTED", "account is not whitelisted for RPI orders")
    try:
        size = to_decimal(body.get("size"))
    except ValueError:
        raise ExchangeError("INVALID_ORDER_SIZE", invalid("size", body.get("size"), "not a decimal number")) from None
    flags = body.get("flags") or []
    if not isinstance(flags, list) or any(f not in ORDER_FLAGS for f in flags):
        raise ExchangeError("VALIDATION_ERROR", "invalid flags: an array of " + ", ".join(ORDER_FLAGS))
    is_tpsl = otype.startswith(("TAKE_PROFIT", "STOP_LOSS"))
    if size < 0 or (size == 0 and not is_tpsl):
        raise ExchangeError("INVALID_ORDER_SIZE", "size must be positive")
    is_market = "MARKET" in otype
    raw_price = body.get("price")
    if is_market:
        price = ZERO
        if raw_price not in (None, "", "0", 0):
            try:
                to_decimal(raw_price)
            except ValueError:
                raise ExchangeError("VALIDATION_ERROR", invalid("price", raw_price, "not a decimal number")) from None
    else:
        try:
            price = to_decimal(raw_price)
        except ValueError:
            raise ExchangeError("VALIDATION_ERROR", invalid("price", raw_price, "not a decimal number")) from None
        if price <= 0:
            raise ExchangeError("VALIDATION_ERROR", "price must be positive for limit orders")
    if instruction == "POST_ONLY" and is_market:
        raise ExchangeError("VALIDATION_ERROR", "POST_ONLY is not allowed for market orders")
    trigger = ZERO
    raw_trigger = body.get("trigger_price")
    if otype not in TRIGGER_TYPES and raw_trigger not in (None, "", 0):
        try:        # not used by this order type, but it must still be a number
            to_decimal(raw_trigger)
        except ValueError:
            raise ExchangeError("VALIDATION_ERROR", invalid("trigger_price", raw_trigger, "not a decimal number")) from None
    if otype in TRIGGER_TYPES:
        try:
            trigger = to_decimal(raw_trigger)
        except ValueError:
            raise ExchangeError("VALIDATION_ERROR", "trigger_price is required for trigger orders") from None
        if trigger <= 0:
            raise ExchangeError("VALIDATION_ERROR", f"invalid trigger_price {short(fmt(trigger))}: "
                                "a positive multiple of price_tick_size")
    stp = body.get("stp") or "EXPIRE_TAKER"
    if stp not in STP_MODES:
        raise ExchangeError("VALIDATION_ERROR", invalid("stp", stp, "one of " + ", ".join(STP_MODES)))
    client_id = body.get("client_id") or ""
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise ExchangeError("VALIDATION_ERROR", "client_id must be a string of at most 64 characters")
    ts = body.get("signature_timestamp")
    return Order(
        id="", account="", market=sym, side=_CANONICAL[side], type=_CANONICAL[otype],
        size=size, price=price, instruction=_CANONICAL[instruction], flags=list(flags), client_id=client_id,
        stp=_CANONICAL[stp], trigger_price=trigger, remaining=size,
        timestamp=int(ts) if isinstance(ts, int) and not isinstance(ts, bool) else 0,
    )


def modification(body: dict, known: Callable[[str], bool]) -> Callable[[Order], Order]:
    """``PUT /orders/{id}``'s body as the engine's ``modify_order`` builder: the open order's own
    market, side, type and instructions with the body's new price, size and trigger price."""
    def build(o: Order) -> Order:
        if str(body.get("id", o.id)) != o.id:
            raise ExchangeError("VALIDATION_ERROR", "id in body does not match the path")
        for key in ("market", "side", "type"):
            if body.get(key) not in (None, getattr(o, key)):
                raise ExchangeError("VALIDATION_ERROR", f"{key} of an order cannot be modified")
        probe = dict(body, market=o.market, side=o.side, type=o.type, instruction=o.instruction,
                     flags=o.flags, stp=o.stp, client_id="")
        if o.type in TRIGGER_TYPES and "trigger_price" not in body:
            probe["trigger_price"] = fmt(o.trigger_price)
        return order_request(probe, known)
    return build


def submit(ex, address: str, body: dict):
    """Place a Paradex order body directly on the engine (tests and tools; the REST route also
    checks signatures): ``(order, acknowledged copy)``."""
    from .markets import is_paradex
    return ex.submit_order(address, order_request(body, lambda m: is_paradex(ex, m)))
