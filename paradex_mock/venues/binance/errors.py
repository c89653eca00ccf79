"""Binance's error answers: HTTP 400 (or 429/418/5xx) with ``{"code": <negative int>, "msg": ...}``."""
from __future__ import annotations

from ...engine.errors import ExchangeError

# Binance's own texts for the statuses the mock answers without a route (faults, limits, 404s)
STATUS_BODIES = {
    500: (-1001, "Internal error; unable to process your request. Please try again."),
    502: (-1001, "Internal error; unable to process your request. Please try again."),
    503: (-1008, "Server is currently overloaded with other requests. Please try again in a few minutes."),
    504: (-1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
    413: (-1000, "An unknown error occurred while processing the request."),
    400: (-1000, "An unknown error occurred while processing the request."),
}


class BinanceError(ExchangeError):
    """A refusal in Binance's terms: ``code`` is Binance's negative error number."""

    def __init__(self, code: int, msg: str, status: int = 400):
        super().__init__(str(code), msg, status)
        self.binance_code = code

    def body(self) -> dict:
        return {"code": self.binance_code, "msg": self.message}
