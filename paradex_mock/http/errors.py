"""Paradex-shaped error responses. Nothing reaches a client as an HTML page or a traceback."""
import json
import logging

from flask import Response

from ..engine.errors import ExchangeError

log = logging.getLogger("paradex_mock.http")


_dumps = json.JSONEncoder(separators=(",", ":")).encode   # json.dumps with these options, minus its per-call setup


def json_response(body, status: int = 200, headers=None) -> Response:
    # content_type as a finished value: a mimetype would be parsed and completed on every response
    resp = Response(_dumps(body), status=status, content_type="application/json")
    if headers:
        resp.headers.update(headers)
    return resp


def api_error(code: str, message: str, status: int = 400) -> Response:
    return json_response({"error": code, "message": message, "data": None}, status)


def jwt_error(message: str) -> Response:
    """The JWT middleware's own 401 style: a message and no ``error`` key (as captured)."""
    return json_response({"message": message}, 401)


def register(app) -> None:
    @app.errorhandler(ExchangeError)
    def _exchange_error(e: ExchangeError):
        return json_response(e.body(), e.status)

    @app.errorhandler(404)
    def _not_found(e):
        return json_response({"error": "NOT_FOUND", "message": "Not Found", "data": None}, 404)

    @app.errorhandler(405)
    def _method(e):
        # Paradex's HTTP framework (echo: its JWT middleware's 401 is the same one-key body)
        # answers a known path with another method this way, naming the methods it has
        allow = ", ".join(sorted(set(getattr(e, "valid_methods", None) or ()) | {"OPTIONS"}))
        return json_response({"message": "Method Not Allowed"}, 405, {"Allow": allow})

    @app.errorhandler(400)
    def _bad_request(e):
        return api_error("BINDING_ERROR", "malformed request: " + str(getattr(e, "description", e)))

    @app.errorhandler(413)
    def _too_large(e):
        return api_error("BINDING_ERROR", "request body too large", 413)

    @app.errorhandler(Exception)
    def _unexpected(e):
        code = getattr(e, "code", None)
        if isinstance(code, int) and 400 <= code < 600:
            return api_error("INVALID_REQUEST_PARAMETER" if code < 500 else "INTERNAL_ERROR",
                             str(getattr(e, "description", e)), code)
        log.exception("unhandled error")
        return api_error("INTERNAL_ERROR", "internal error", 500)
