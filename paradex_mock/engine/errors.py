"""Errors: the engine's refusals (``EngineError``, each with a ``Reason``) and the coded errors a
venue or the control API raises in its own vocabulary (``ExchangeError``). A venue renders an
engine refusal in its words (``Venue.refusal``, ``Venue.exchange_error``)."""
from enum import Enum


class ExchangeError(Exception):
    """A refused request in a venue's (or the control API's) vocabulary: ``code``, ``message`` and
    the HTTP ``status`` it is answered with."""
    reason = None   # an engine refusal's ``Reason`` (``EngineError``); a venue's own error has none

    def __init__(self, code: str, message: str, status: int = 400, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "data": self.data}


class Reason(str, Enum):
    """Why the engine refuses a request, in its own words (each venue maps them to its codes)."""
    MARKET_NOT_FOUND = "market_not_found"          # no market has that key: not found
    MARKET_IN_USE = "market_in_use"                # a market cannot be replaced while client orders rest in it
    ACCOUNT_NOT_FOUND = "account_not_found"        # no account has that id (and none is opened): not found
    ORDER_NOT_FOUND = "order_not_found"            # the account has no order of that id: not found
    CLIENT_ID_NOT_FOUND = "client_id_not_found"    # the account has no order of that client id: not found
    ALGO_NOT_FOUND = "algo_not_found"              # the account has no algo order of that id: not found
    ORDER_CLOSED = "order_closed"                  # the order (or algo order) is already closed
    ORDER_SIZE = "order_size"                      # a size off the market's grid, too large, too small or below the filled size
    ORDER_PRICE = "order_price"                    # a price or trigger price off the market's tick grid
    CLIENT_ID_IN_USE = "client_id_in_use"          # an open order of the account already has that client id
    TOO_MANY_OPEN_ORDERS = "too_many_open_orders"  # the market's max_open_orders is reached
    CANCEL_ONLY = "cancel_only"                    # the exchange takes cancels only (system state)
    POST_ONLY = "post_only"                        # the exchange takes post-only orders only (system state)
    UNAVAILABLE = "unavailable"                    # trading is unavailable (maintenance): the one outage, no refusal of the request itself
    LEVERAGE = "leverage"                          # a leverage outside 1 to the market's maximum
    MMP_FREEZE_NOT_ELAPSED = "mmp_freeze_not_elapsed"  # a tripped market maker protection reset before its minimum freeze
    INVALID_VALUE = "invalid_value"                # a control value (price, funding rate) that is no usable number

    def __str__(self) -> str:
        return self.value


class EngineError(ExchangeError):
    """A request the engine refuses: its ``reason`` (a ``Reason``) and a message for the client.
    No venue's code and no HTTP status: ``code`` is the reason's value and ``status`` None until a
    venue renders it (``Venue.refusal``)."""

    def __init__(self, reason: Reason, message: str, data=None):
        super().__init__(reason.value, message, None, data)
        self.reason = reason


EXCERPT = 64   # at most this much of a client's input goes back in a message (or a log line)


def short(text: str, limit: int = EXCERPT) -> str:
    """``text`` cut to ``limit`` characters (marked with "...")."""
    return text if len(text) <= limit else text[:limit] + "..."


def excerpt(value, limit: int = EXCERPT) -> str:
    """A client-sent value as a message may show it: a string in double quotes, cut to ``limit``
    characters; anything else by its JSON type, never as a Python repr."""
    if isinstance(value, str):
        return '"' + short(value, limit) + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "a value"


def invalid(field: str, value, expect: str) -> str:
    """The message for a bad ``field``: "field is required" when absent, else
    'invalid field "<excerpt>": <expect>' (for a string) or "invalid field (an object): <expect>"."""
    if value is None or value == "":
        return f"{field} is required"
    if isinstance(value, str):
        return f"invalid {field} {excerpt(value)}: {expect}"
    return f"invalid {field} ({excerpt(value)}): {expect}"
