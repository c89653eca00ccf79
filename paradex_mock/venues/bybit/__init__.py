"""Bybit v5 market data, categories ``spot`` and ``linear`` (USDT perpetuals): REST at
``/bybit/v5/market/...``, WebSocket at ``/bybit/v5/public/spot`` and ``/bybit/v5/public/linear``.

Where things are: markets.py (instruments from ``fixtures/bybit/markets.json``), views.py (wire
shapes), rest.py (routes, parameter rules, retCode 10001 refusals), ws.py (``op`` protocol and
topics). Limits: Bybit's IP limit, 600 requests in any 5 seconds, refused with HTTP 403
"access too frequent" (its documented answer; there are no limit headers on public endpoints).
"""
from __future__ import annotations

from ..kit import MarketDataVenue

GROUP = "bybit_ip"
IP_LIMIT = (600, 5)


class BybitVenue(MarketDataVenue):
    name = "bybit"
    rest_root = "/bybit"
    ws_root = "/bybit"
    rate_limits = {GROUP: [(IP_LIMIT[0], IP_LIMIT[1], "ip")]}
    ws_entry = "/v5/public/spot"
    limit_group = GROUP
    ws_class = "BybitWs"
    rest_described = "/bybit/v5/market"
    ws_described = "/bybit/v5/public/spot and /bybit/v5/public/linear"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from ...http.errors import json_response
        from .rest import envelope
        now = self.clock.now_ms()
        if status in (404, 405):
            return json_response(envelope(10017, "Request path not found or request method is invalid", now), 404)
        if status == 403 or status == 429:
            return self._too_frequent()
        if status >= 500:
            return json_response(envelope(10016, "Internal System Error.", now), status)
        return json_response(envelope(10001, "params error: " + message, now), status)

    def exchange_error(self, e):
        from ...http.errors import json_response
        from ...engine.errors import Reason
        from .rest import envelope
        code = 10001
        msg = "Not supported symbols" if e.reason is Reason.MARKET_NOT_FOUND else e.message
        return json_response(envelope(code, msg, self.clock.now_ms()), 200)

    @staticmethod
    def _too_frequent(headers=None):
        from flask import Response
        resp = Response(b"access too frequent", status=403, content_type="text/plain")
        if headers:
            resp.headers.update(headers)
        return resp

    # ---------------------------------------------------------------- limits
    def rate_limited(self, verdict):
        return self._too_frequent({"Retry-After": str(verdict.retry_after_s)})
