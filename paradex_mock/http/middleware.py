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


def install(app, state) -> None:
    @app.before_request
    def _before():
        g.t0 = time.perf_counter()
        g.faults = []
        path = request.path
        if path.startswith("/_mock") or request.method == "OPTIONS":
            return None
        if (request.content_length or 0) > MAX_API_BODY:
            return api_error("BINDING_ERROR", "request body too large", 413)
        # faults first: an injected error or drop is what the client sees, limits or not
        for rule in state.faults.http_faults(request.method, path):
            g.faults.append(rule.kind)
            if rule.kind == "latency":
                time.sleep(state.faults.jitter(rule))
            elif rule.kind == "error":
                return fault_response(rule.status)
            elif rule.kind == "drop":
                g.drop = True   # the route never runs; the socket closes after journaling
                return json_response({"message": "connection dropped (injected fault)"}, 503)
            elif rule.kind == "lost_reply":
                g.lost_reply = True
        private = request.blueprint == "private"
        account = None
        if private:
            from .identity import current_account
            try:
                account = current_account()
            except ExchangeError:
                account = None   # the route itself answers the auth error
        verdict = state.rate_limiter.check(group_of(request.method, path, private),
                                           request.remote_addr or "?", account)
        g.rate_verdict = verdict
        if verdict is not None and not verdict.allowed:
            g.faults.append("rate_limited")
            return json_response(rate_limit_body(), 429, verdict.headers())
        return None

    @app.after_request
    def _after(resp):
        verdict = g.get("rate_verdict")
        if verdict is not None and verdict.allowed:
            resp.headers.update(verdict.headers())
        t0 = g.get("t0")
        latency_ms = round((time.perf_counter() - t0) * 1000, 3) if t0 else None
        if t0 is not None:
            resp.headers["Paradigm-Request-Duration"] = f"{latency_ms}ms"
        if not request.path.startswith("/_mock"):
            state.journal.add({
                "at": state.exchange.clock.now_ms(),
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "account": g.get("paradex_account"),
                "status": resp.status_code,
                "latency_ms": latency_ms,
                "faults": list(g.get("faults") or []),
                "ip": request.remote_addr,
            })
        # journal first, then cut: a client that reconnects at once is journaled after this one
        if g.get("lost_reply") or g.get("drop"):
            drop_connection()   # for lost_reply the request took effect; the client never hears of it
        return resp
