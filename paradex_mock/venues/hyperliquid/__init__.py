"""Hyperliquid perpetuals, market data: ``POST /hyperliquid/info`` and WebSocket
``/hyperliquid/ws``.

Where things are: markets.py (coins from ``fixtures/hyperliquid/markets.json``), views.py (every
wire shape), rest.py (the info request types and their body rules), limits.py (request weights),
ws.py (subscribe protocol and channels).
"""
from __future__ import annotations

from typing import List

from ..base import Venue
from . import limits


class HyperliquidVenue(Venue):
    name = "hyperliquid"
    rest_root = "/hyperliquid"
    ws_root = "/hyperliquid"
    ws_entry = "/ws"
    rate_limits = limits.RATE_LIMITS

    def market_for(self, name: str, price):
        from . import markets
        return markets.add_coin(name, price)

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        """Hyperliquid's front end answers errors without a route in plain text; unknown paths
        and methods with an empty body."""
        from .rest import text_response
        if status in (404, 405):
            return text_response("", status)
        return text_response(message if status == 400 else "", status)

    def exchange_error(self, e):
        from .rest import text_response
        return text_response(e.message, 422 if e.status < 500 else e.status)

    # ---------------------------------------------------------------- limits
    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        return [limits.GROUP]

    def request_weight(self, request) -> int:
        return limits.weight(request)

    def limit_headers(self, verdict) -> dict:
        return {}

    def rate_limited(self, verdict):
        from .rest import text_response
        return text_response("", 429)

    # ---------------------------------------------------------------- WebSocket
    def ws_app(self, ctx):
        from .ws import HyperliquidWs
        return HyperliquidWs(self, ctx)

    def describe(self, with_ws: bool) -> str:
        ws = "; WS /hyperliquid/ws" if with_ws else ""
        return f"hyperliquid: REST POST /hyperliquid/info{ws}"
