"""Binance spot, market data: REST at ``/binance/api/v3/...``, WebSocket streams at
``/binance/ws``, ``/binance/ws/<stream>`` and ``/binance/stream?streams=a/b``.

Where things are: markets.py (symbols from ``fixtures/binance/markets.json``), views.py (every wire
shape), rest.py (routes and parameter rules), errors.py, limits.py (request weights, 429/418),
ws.py (SUBSCRIBE protocol and streams).
"""
from __future__ import annotations

from ..kit import MarketDataVenue
from . import limits
from .errors import STATUS_BODIES, BinanceError


class BinanceVenue(MarketDataVenue):
    name = "binance"
    rest_root = "/binance"
    ws_root = "/binance"
    rate_limits = limits.RATE_LIMITS
    ws_entry = "/ws"
    limit_group = limits.GROUP
    ws_class = "BinanceWs"
    rest_described = "/binance/api/v3"
    ws_described = "/binance/ws, /binance/ws/<stream>, /binance/stream?streams=a/b"

    def init_app(self, app, state) -> None:
        super().init_app(app, state)
        self.bans = limits.Bans()
        self.klines_cache: dict = {}        # rest._klines_json

    def reset(self) -> None:
        self.bans.reset()

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from ...http.errors import json_response
        if status in (404, 405):
            return _empty(status)
        if status == 429:
            return json_response({"code": -1003, "msg": "Too many requests queued."}, 429, {"Retry-After": "1"})
        code, msg = STATUS_BODIES.get(status, (-1000, "An unknown error occurred while processing the request."))
        return json_response({"code": code, "msg": msg}, status)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from ...http.errors import json_response
        if isinstance(e, BinanceError):
            return json_response(e.body(), e.status)
        # an engine refusal on a Binance path: the nearest Binance code
        code = {Reason.MARKET_NOT_FOUND: -1121}.get(e.reason, -1000)
        return json_response({"code": code, "msg": "Invalid symbol." if code == -1121 else e.message},
                             503 if e.reason is Reason.UNAVAILABLE else 400)

    # ---------------------------------------------------------------- limits
    def request_weight(self, request) -> int:
        return limits.weight(request.path, request.args)

    def limit_headers(self, verdict) -> dict:
        return {"X-MBX-USED-WEIGHT-1M": str(verdict.used), "X-MBX-USED-WEIGHT": str(verdict.used)}

    def refuse(self, request):
        """A banned IP gets 418 until its ban ends, whatever it asks."""
        from ...http.errors import json_response
        now = self.clock.now_ms()
        until = self.bans.until(request.remote_addr or "?", now)
        if until:
            return json_response({"code": -1003, "msg": f"Way too much request weight used; IP banned until {until}. "
                                                        "Please use WebSocket Streams for live updates to avoid bans."},
                                 418, {"Retry-After": str(max(1, (until - now + 999) // 1000))})
        return None

    def rate_limited(self, verdict):
        from flask import request

        from ...http.errors import json_response
        ip = request.remote_addr or "?"
        if self.bans.refused(ip, self.clock.now_ms()):
            return self.refuse(request)
        return json_response({"code": -1003, "msg": f"Too much request weight used; current limit is "
                                                    f"{limits.WEIGHT_PER_MINUTE} request weight per 1 MINUTE. Please use "
                                                    "WebSocket Streams for live updates to avoid polling the API."},
                             429, dict(self.limit_headers(verdict), **{"Retry-After": str(verdict.retry_after_s)}))


def _empty(status: int):
    """Unknown paths and methods: Binance's front end answers with an empty body."""
    from flask import Response
    return Response(b"", status=status)
