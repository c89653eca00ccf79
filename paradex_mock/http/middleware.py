"""Per-request work around every route: rate limits, injected faults, the request journal."""
import socket
import time

from flask import g, request

from ..engine.errors import ExchangeError
from ..ratelimit import group_of
from .errors import api_error, json_response

MAX_API_BODY = 1 << 20

FAULT_BODIES = {
    500: ("INTERNAL_ERROR", "internal error (injected fault)"),
    502: (None, "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", "service unavailable (injected fault)"),
    504: (None, "Gateway Timeout"),
}


def rate_limit_body() -> dict:
    # No `error` key: ccxt then falls back to the status and raises RateLimitExceeded (fact sheet §8.2)
    return {"message": "rate limit exceeded"}


def fault_response(status: int):
    if status == 429:
        return json_response(rate_limit_body(), 429, {"Retry-After": "1"})
    code, message = FAULT_BODIES[status]
    if code is None:
        return json_response({"message": message}, status)
    return api_error(code, message, status)


def drop_connection() -> None:
    """Close the client's socket under the server's feet (werkzeug or gunicorn)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


ACAO = "Access-Control-Allow-Origin"
PRIVATE_NETWORK_ENVIRON = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"   # the request header, in WSGI


def install(app, state) -> None:
    # Hot path: this runs around every request, so the request and g proxies are resolved once
    # per call (each proxy access costs a context-variable lookup).
    journal = state.journal

    @app.before_request
    def _before():
        gg = g._get_current_object()
        req = request._get_current_object()
        gg.t0 = time.perf_counter()
        gg.faults = []
        path = req.path
        method = req.method
        if path.startswith("/_mock") or method == "OPTIONS":
            return None
        if (req.content_length or 0) > MAX_API_BODY:
            return api_error("BINDING_ERROR", "request body too large", 413)
        # faults first: an injected error or drop is what the client sees, limits or not
        if state.faults.rules:          # nothing to match when no rule is loaded
            for rule in state.faults.http_faults(method, path):
                gg.faults.append(rule.kind)
                if rule.kind == "latency":
                    time.sleep(state.faults.jitter(rule))
                elif rule.kind == "error":
                    return fault_response(rule.status)
                elif rule.kind == "drop":
                    gg.drop = True   # the route never runs; the socket closes after journaling
                    return json_response({"message": "connection dropped (injected fault)"}, 503)
                elif rule.kind == "lost_reply":
                    gg.lost_reply = True
        limiter = state.rate_limiter
        if not limiter.enabled:         # check() would answer None; the route resolves the account
            gg.rate_verdict = None
            return None
        private = req.blueprint == "private"
        account = None
        if private:
            from .identity import current_account
            try:
                account = current_account()
            except ExchangeError:
                account = None   # the route itself answers the auth error
        verdict = limiter.check(group_of(method, path, private), req.remote_addr or "?", account)
        gg.rate_verdict = verdict
        if verdict is not None and not verdict.allowed:
            gg.faults.append("rate_limited")
            return json_response(rate_limit_body(), 429, verdict.headers())
        return None

    @app.after_request
    def _after(resp):
        gg = g._get_current_object()
        req = request._get_current_object()
        headers = resp.headers
        verdict = getattr(gg, "rate_verdict", None)
        if verdict is not None and verdict.allowed:
            headers.update(verdict.headers())
        t0 = getattr(gg, "t0", None)
        latency_ms = round((time.perf_counter() - t0) * 1000, 3) if t0 else None
        if t0 is not None:
            # add, not set: nothing else sets this header, and set() scans the whole list first
            headers.add("Paradigm-Request-Duration", f"{latency_ms}ms")
        path = req.path
        if not path.startswith("/_mock"):
            journal.add({
                "at": state.exchange.clock.now_ms(),
                "method": req.method,
                "path": path,
                "query": req.query_string.decode("latin-1"),
                "account": getattr(gg, "paradex_account", None),
                "status": resp.status_code,
                "latency_ms": latency_ms,
                "faults": list(getattr(gg, "faults", None) or []),
                "ip": req.remote_addr,
            })
        # CORS fast path. flask-cors (CORS(app), default options) answers a request that has no
        # Origin header, is no preflight and asks nothing of private networks with exactly
        # "Access-Control-Allow-Origin: *"; set it here and flask-cors, which runs next and skips
        # a response that already has the header, leaves it as is. Every other request (and error
        # responses, which flask-cors handles before this hook) goes through flask-cors unchanged.
        environ = req.environ
        if (req.method != "OPTIONS" and not environ.get("HTTP_ORIGIN") and PRIVATE_NETWORK_ENVIRON not in environ
                and ACAO not in headers):
            headers.add(ACAO, "*")
        # journal first, then cut: a client that reconnects at once is journaled after this one
        if getattr(gg, "lost_reply", None) or getattr(gg, "drop", None):
            drop_connection()   # for lost_reply the request took effect; the client never hears of it
        return resp
