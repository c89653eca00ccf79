"""Request bodies as Paradex reads them: the raw bytes, read once from the WSGI input, and the
JSON body parsed leniently (any content type) with Paradex's BINDING_ERROR otherwise."""
import json

from flask import request

from ...engine.errors import ExchangeError


def raw_body() -> bytes:
    """The request body, read once straight from the WSGI input: werkzeug's stream wrappers cost
    more than the read itself on every order. The servers give ``wsgi.input`` already limited to
    Content-Length or de-chunked (``wsgi.input_terminated``); the API's bodies are capped at
    1 MiB before routing (middleware.py)."""
    environ = request.environ
    raw = environ.get("paradex_mock.body")
    if raw is None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        stream = environ.get("wsgi.input")
        if stream is None:
            raw = b""
        elif length >= 0:
            raw = stream.read(length) if length else b""
        else:
            raw = stream.read() if environ.get("wsgi.input_terminated") else b""
        environ["paradex_mock.body"] = raw
    return raw


def json_body(expect=dict):
    """The request's JSON body, parsed leniently (any content type); a Paradex error otherwise."""
    raw = raw_body()
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError):   # RecursionError: absurdly deep nesting
        raise ExchangeError("BINDING_ERROR", "request body is not valid JSON") from None
    if expect is not None and not isinstance(body, expect):
        kind = "a JSON array" if expect is list else "a JSON object"
        raise ExchangeError("BINDING_ERROR", f"request body must be {kind}")
    return body
