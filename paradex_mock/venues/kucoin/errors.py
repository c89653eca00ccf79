"""KuCoin's error answers: ``{"code": "<6 digits>", "msg": ...}``; a bad parameter is 400100 (HTTP
400), an unknown symbol 400100 "Unsupported trading pair.", too many requests 429000 (HTTP 429)."""
from __future__ import annotations

from ...engine.errors import ExchangeError

STATUS_BODIES = {
    400: ("400100", "Parameter error"),
    401: ("400003", "KC-API-KEY not exists"),
    404: ("404", "Not Found"),
    405: ("405", "Method Not Allowed"),
    413: ("400100", "Request entity too large"),
    415: ("415000", "Unsupported Media Type"),
    429: ("429000", "Too many requests in a short period of time, please retry later."),
    500: ("500000", "Internal Server Error"),
    502: ("500000", "Internal Server Error"),
    503: ("503000", "Service Unavailable"),
    504: ("500000", "Internal Server Error"),
}


class KucoinError(ExchangeError):
    def __init__(self, code: str, msg: str, status: int = 400):
        super().__init__(code, msg, status)
        self.kucoin_code = code

    def body(self) -> dict:
        return {"code": self.kucoin_code, "msg": self.message}


def param(msg: str) -> KucoinError:
    return KucoinError("400100", msg)
