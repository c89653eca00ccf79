"""Error responses, each in its venue's shape. Nothing reaches a client as an HTML page or a traceback."""
import json
import logging

from flask import Response

from ..engine.errors import EngineError, ExchangeError, Reason

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


def plain_refusal(e):
    """An engine refusal in no venue's words (``Venue.refusal``'s default, and the control API's
    with no venue answering paths no venue owns): the reason's name as its code, 503 for ``UNAVAILABLE``, else
    400. Any other ``ExchangeError`` as it is."""
    if not isinstance(e, EngineError):
        return e
    status = 503 if e.reason is Reason.UNAVAILABLE else 400
    return ExchangeError(e.reason.name, e.message, status, e.data)


def error_for(state, path: str, status: int, message: str) -> Response:
    """An error answer in the shape of the venue that owns ``path`` (for paths no venue owns,
    that of the venue serving them, ``Venue.answers_unowned``)."""
    venue = state.error_venue(path)
    if venue is None:
        return json_response({"error": status, "message": message}, status)
    return venue.error_response(status, message)


def register(app) -> None:
    from flask import current_app, request

    def venue_error(status: int, message: str) -> Response:
        return error_for(current_app.extensions["paradex_mock"], request.path, status, message)

    @app.errorhandler(ExchangeError)
    def _exchange_error(e: ExchangeError):
        state = current_app.extensions["paradex_mock"]
        venue = state.venue_for(request.path)
        if venue is not None:
            return venue.exchange_error(e)
        # the control API's own paths: an engine refusal in the words of the venue answering
        # paths no venue owns (Paradex's), else in none
        words = state.error_venue(request.path)
        e = (words.refusal if words is not None else plain_refusal)(e)
        return json_response(e.body(), e.status)

    @app.errorhandler(404)
    def _not_found(e):
        return venue_error(404, "Not Found")

    @app.errorhandler(405)
    def _method(e):
        # a known path with another method: the venue's answer, naming the methods it has
        resp = venue_error(405, "Method Not Allowed")
        resp.headers["Allow"] = ", ".join(sorted(set(getattr(e, "valid_methods", None) or ()) | {"OPTIONS"}))
        return resp

    @app.errorhandler(400)
    def _bad_request(e):
        venue = current_app.extensions["paradex_mock"].error_venue(request.path)
        if venue is None:
            return venue_error(400, "malformed request")
        return venue.bad_request(str(getattr(e, "description", e)))

    @app.errorhandler(413)
    def _too_large(e):
        return venue_error(413, "request body too large")

    @app.errorhandler(Exception)
    def _unexpected(e):
        code = getattr(e, "code", None)
        if isinstance(code, int) and 400 <= code < 600:
            return venue_error(code, str(getattr(e, "description", e)))
        log.exception("unhandled error")
        return venue_error(500, "internal error")
