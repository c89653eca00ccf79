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
