"""The engine's refusals in Paradex's words: ONE table from each ``engine.errors.Reason`` to
Paradex's ErrorCode and the HTTP status Paradex answers it with. Every place Paradex renders an
engine error (``ParadexVenue.refusal``, the batch results, a TWAP's cancel reason) reads it."""
from __future__ import annotations

from ...engine.errors import EngineError, ExchangeError, Reason

# Reason -> (Paradex ErrorCode, HTTP status)
CODES = {
    Reason.MARKET_NOT_FOUND: ("MARKET_NOT_FOUND", 400),
    Reason.MARKET_IN_USE: ("REQUEST_NOT_ALLOWED", 400),
    Reason.ACCOUNT_NOT_FOUND: ("ACCOUNT_NOT_FOUND", 400),
    Reason.ORDER_NOT_FOUND: ("ORDER_ID_NOT_FOUND", 400),
    Reason.CLIENT_ID_NOT_FOUND: ("CLIENT_ORDER_ID_NOT_FOUND", 400),
    Reason.ALGO_NOT_FOUND: ("ALGO_ID_NOT_FOUND", 404),
    Reason.ORDER_CLOSED: ("ORDER_IS_CLOSED", 400),
    Reason.ORDER_SIZE: ("INVALID_ORDER_SIZE", 400),
    Reason.ORDER_PRICE: ("VALIDATION_ERROR", 400),
    Reason.CLIENT_ID_IN_USE: ("DUPLICATED_CLIENT_ID", 400),
    Reason.TOO_MANY_OPEN_ORDERS: ("REQUEST_NOT_ALLOWED", 400),
    Reason.CANCEL_ONLY: ("SYSTEM_STATUS_CANCEL_ONLY", 400),
    Reason.POST_ONLY: ("SYSTEM_STATUS_POST_ONLY", 400),
    Reason.UNAVAILABLE: ("SERVICE_UNAVAILABLE", 503),
    Reason.LEVERAGE: ("INVALID_REQUEST_PARAMETER", 400),
    Reason.MMP_FREEZE_NOT_ELAPSED: ("MMP_MIN_FREEZE_NOT_ELAPSED", 400),
    Reason.INVALID_VALUE: ("VALIDATION_ERROR", 400),
}


def paradex_error(e: ExchangeError) -> ExchangeError:
    """``e`` as Paradex answers it: an engine refusal with its Paradex code and status; any other
    error (already in Paradex's words) as it is."""
    if not isinstance(e, EngineError):
        return e
    code, status = CODES[e.reason]
    return ExchangeError(code, e.message, status, e.data)


def cancel_reason(reason):
    """A closed order's or algo's cancel reason as Paradex prints it: an engine refusal's reason
    (a TWAP whose child order was refused) as its Paradex code, any other (USER_CANCELED...) as it is."""
    try:
        return CODES[Reason(reason)][0]
    except ValueError:
        return reason
