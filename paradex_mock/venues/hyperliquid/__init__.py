"""Hyperliquid perpetuals, market data: ``POST /hyperliquid/info`` and WebSocket
``/hyperliquid/ws``.

Where things are: markets.py (coins from ``fixtures/hyperliquid/markets.json``), views.py (every
wire shape), rest.py (the info request types and their body rules), limits.py (request weights),
ws.py (subscribe protocol and channels).
"""
from __future__ import annotations

from ..kit import MarketDataVenue
from . import limits


class HyperliquidVenue(MarketDataVenue):
    name = "hyperliquid"
    rest_root = "/hyperliquid"
    ws_root = "/hyperliquid"
    ws_entry = "/ws"
    rate_limits = limits.RATE_LIMITS
    add_market = "add_coin"
    limit_group = limits.GROUP
    ws_class = "HyperliquidWs"
    rest_described = "POST /hyperliquid/info"
    ws_described = "/hyperliquid/ws"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        """Hyperliquid's front end answers errors without a route in plain text; unknown paths
        and methods with an empty body."""
        from .rest import text_response
        if status in (404, 405):
            return text_response("", status)
        return text_response(message if status == 400 else "", status)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from .rest import text_response
        return text_response(e.message, 503 if e.reason is Reason.UNAVAILABLE else 422)

    # ---------------------------------------------------------------- limits
    def request_weight(self, request) -> int:
        return limits.weight(request)

    def rate_limited(self, verdict):
        from .rest import text_response
        return text_response("", 429)
