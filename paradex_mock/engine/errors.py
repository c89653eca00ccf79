"""Errors the engine raises; adapters turn them into Paradex error bodies."""


class ExchangeError(Exception):
    """A request the exchange refuses. ``code`` is Paradex's ErrorCode string."""

    def __init__(self, code: str, message: str, status: int = 400, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, "data": self.data}
