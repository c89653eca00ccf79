"""Per-request work around every route: injected faults, the body cap, rate limits, the request
journal, the duration header and CORS for plain requests.

Most of it runs as a WSGI layer around Flask (``RequestHooks``), not as Flask before/after
hooks: it is on every request's path, and a plain function around ``wsgi_app`` costs a fraction
of Flask's hook machinery and its request/g proxies. Two small Flask hooks remain, for what needs
Flask's routing or response handling:

* ``_gate`` (before_request) returns a response the WSGI layer decided on before routing (an
  injected error, a dropped connection's 503, a too-large body), so it goes through Flask's
  normal response path (flask-cors included), and applies rate limits, which need to know
  whether the route is private and whose JWT it carries;
* flask-cors's own after_request, skipped for plain requests (see ``_cors_unless_plain``).

The WSGI layer stores what the journal needs in the WSGI environ (``ACCOUNT_KEY`` is set by
``identity.current_account``).
"""
from __future__ import annotations

import io
import socket
import time

from flask import request

from .errors import error_for, json_response

MAX_API_BODY = 1 << 20

# WSGI environ keys this layer and the routes share
EARLY_KEY = "paradex_mock.early"        # a response decided before routing (_gate returns it)
VERDICT_KEY = "paradex_mock.rate"       # the rate limiter's verdict
ACCOUNT_KEY = "paradex_mock.account"    # the account the request acted as (identity.py)
PLAIN_KEY = "paradex_mock.plain_cors"   # CORS answered here: flask-cors may skip the request

ACAO = "Access-Control-Allow-Origin"
PRIVATE_NETWORK_ENVIRON = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"   # the request header, in WSGI


def fault_response(state, path: str, status: int):
    """An injected error, in the shape of the venue whose path it is."""
    venue = state.error_venue(path)
    return venue.fault_response(status) if venue is not None else error_for(state, path, status, "injected fault")


def drop_connection(environ) -> None:
    """Close the client's socket under the server's feet (werkzeug or gunicorn)."""
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _content_length(environ) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _within_cap(environ) -> bool:
    """A chunked body (no Content-Length) is de-chunked by the server as it is read: read at most
    one byte past the cap, so a body too large is refused without reading the rest, and give the
    route the body read so far with its length (False: over the cap)."""
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    stream = environ.get("wsgi.input")
    if stream is None:
        return True
    parts, size = [], 0
    while size <= MAX_API_BODY:
        part = stream.read(min(64 << 10, MAX_API_BODY + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > MAX_API_BODY:
        return False
    body = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return True


class RequestHooks:
    """The WSGI layer around Flask's ``wsgi_app`` (see the module docstring)."""

    def __init__(self, wsgi_app, state):
        self.wsgi_app = wsgi_app
        self.state = state

    def __call__(self, environ, start_response):
        t0 = time.perf_counter()
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/_mock"):      # the control API: no faults, limits or journal
            return self.wsgi_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        state = self.state
        faults = []
        drop = lost_reply = False
        venue = state.venue_for(path)
        if method != "OPTIONS":
            if _content_length(environ) > MAX_API_BODY or not _within_cap(environ):
                environ[EARLY_KEY] = error_for(state, path, 413, "request body too large")
            # faults first: an injected error or drop is what the client sees, limits or not
            elif state.faults.rules:       # nothing to match when no rule is loaded
                for rule in state.faults.http_faults(method, path):
                    faults.append(rule.kind)
                    if rule.kind == "latency":
                        time.sleep(state.faults.jitter(rule))
                    elif rule.kind == "error":   # http_faults: at most one error or drop, never with a lost_reply
                        environ[EARLY_KEY] = fault_response(state, path, rule.status)
                    elif rule.kind == "drop":
                        drop = True        # the route never runs; the socket closes after journaling
                        environ[EARLY_KEY] = json_response({"message": "connection dropped (injected fault)"}, 503)
                    elif rule.kind == "lost_reply":
                        lost_reply = True
        # CORS fast path. flask-cors (CORS(app), default options) answers a request that has no
        # Origin header, is no preflight and asks nothing of private networks with exactly
        # "Access-Control-Allow-Origin: *"; this layer adds it and flask-cors skips the request.
        # Every other request goes through flask-cors unchanged.
        plain = method != "OPTIONS" and "HTTP_ORIGIN" not in environ and PRIVATE_NETWORK_ENVIRON not in environ
        if plain:
            environ[PLAIN_KEY] = True
        seen = []   # [status, latency_ms] once the route has answered

        duration_header = venue.duration_header if venue is not None else ""

        def hooked_start_response(status, headers, exc_info=None):
            verdict = environ.get(VERDICT_KEY)
            if verdict is not None and verdict.allowed:
                headers.extend(venue.limit_headers(verdict).items())
            latency_ms = round((time.perf_counter() - t0) * 1000, 3)
            if duration_header:
                headers.append((duration_header, f"{latency_ms}ms"))
            if plain and not any(k == ACAO for k, _ in headers):
                headers.append((ACAO, "*"))
            seen[:] = [status, latency_ms]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, hooked_start_response)
        if seen:
            if environ.get("paradex_mock.rate_limited"):
                faults.append("rate_limited")
            state.journal.add({
                "kind": "request",
                "at": state.exchange.clock.now_ms(),
                "method": method,
                "path": path,
                "query": environ.get("QUERY_STRING", ""),
                "account": environ.get(ACCOUNT_KEY),
                "status": int(seen[0].split(" ", 1)[0]),
                "latency_ms": seen[1],
                "faults": faults,
                "ip": environ.get("REMOTE_ADDR"),
                "via": "ws" if environ.get("HTTP_X_PARADEX_MOCK_VIA") == "ws" else "http",   # ws/rest.py
            })
        # journal first, then cut: a client that reconnects at once is journaled after this one
        if drop or lost_reply:
            drop_connection(environ)   # for lost_reply the request took effect; the client never hears of it
        return body


def install(app, state) -> None:
    limiter = state.rate_limiter

    @app.before_request
    def _gate():
        environ = request.environ
        early = environ.pop(EARLY_KEY, None)
        if early is not None:
            return early
        if not limiter.enabled or request.method == "OPTIONS" or request.path.startswith("/_mock"):
            return None
        venue = state.venue_for(request.path)
        if venue is None:
            return None
        refusal = venue.refuse(request)
        if refusal is not None:
            environ["paradex_mock.rate_limited"] = True
            return refusal
        private = venue.is_private(request.blueprint or "")
        account = venue.account_of_request() if private else None
        groups = venue.limit_groups(request.method, request.path, private)
        if not groups:
            return None
        verdict = limiter.check(groups, request.remote_addr or "?", account, venue.request_weight(request))
        environ[VERDICT_KEY] = verdict
        if verdict is not None and not verdict.allowed:
            environ["paradex_mock.rate_limited"] = True
            return venue.rate_limited(verdict)
        return None

    # flask-cors's after_request, which CORS(app) registered first: skipped when this layer has
    # answered CORS for a plain request
    funcs = app.after_request_funcs[None]
    for i, fn in enumerate(funcs):
        if getattr(fn, "__module__", "").startswith("flask_cors"):
            funcs[i] = _cors_unless_plain(fn)
    app.wsgi_app = RequestHooks(app.wsgi_app, state)


def _cors_unless_plain(cors_after_request):
    def cors_unless_plain(resp):
        if request.environ.get(PLAIN_KEY):
            return resp
        return cors_after_request(resp)
    return cors_unless_plain
