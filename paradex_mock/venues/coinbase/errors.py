"""Coinbase Advanced Trade's error answers: ``{"error": CODE, "error_details": ..., "message": ...}``
(the gRPC-style codes of its v3 API: INVALID_ARGUMENT 400, NOT_FOUND 404, ...); the Coinbase App
``/v2`` paths answer ``{"errors": [{"id", "message"}]}``."""
from __future__ import annotations

from ...engine.errors import ExchangeError

STATUS_CODES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                405: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "rate_limit_exceeded", 500: "INTERNAL",
                502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
V2_IDS = {400: "invalid_request", 401: "authentication_error", 404: "not_found", 405: "not_found",
          429: "rate_limit_exceeded", 500: "internal_server_error", 503: "internal_server_error"}


class CoinbaseError(ExchangeError):
    def __init__(self, error: str, message: str, status: int = 400):
        super().__init__(error, message, status)
        self.error = error

    def body(self) -> dict:
        return {"error": self.error, "error_details": self.message, "message": self.message}


def invalid(message: str) -> CoinbaseError:
    return CoinbaseError("INVALID_ARGUMENT", message, 400)
