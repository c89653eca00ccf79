"""Coinbase Advanced Trade, market data: REST at ``/coinbase/api/v3/brokerage/...`` (and the
Coinbase App ``/coinbase/v2/...`` public paths ccxt reads currencies and time from), WebSocket at
``/coinbase``.

Where things are: markets.py (products from ``fixtures/coinbase/markets.json``), views.py (wire
shapes), rest.py (routes and parameter rules), errors.py, ws.py (channels). Rate limit: the
venue's public REST limit, 10 requests a second per IP; over it, 429 ``rate_limit_exceeded``.
"""
from __future__ import annotations

from ..kit import MarketDataVenue
from .errors import STATUS_CODES, V2_IDS, CoinbaseError

GROUP = "coinbase_public"
RATE_LIMITS = {GROUP: [(10, 1, "ip")]}


class CoinbaseVenue(MarketDataVenue):
    """Advanced Trade sends no rate-limit headers on public answers."""
    name = "coinbase"
    rest_root = "/coinbase"
    ws_root = "/coinbase"
    rate_limits = RATE_LIMITS
    ws_entry = ""
    add_market = "add_product"
    limit_group = GROUP
    ws_class = "CoinbaseWs"
    rest_described = "/coinbase/api/v3/brokerage (and /coinbase/v2)"
    ws_described = "/coinbase"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from flask import has_request_context, request

        from ...http.errors import json_response
        headers = {"Retry-After": "1"} if status == 429 else None
        if has_request_context() and "/v2/" in request.path:
            eid = V2_IDS.get(status, "internal_server_error")
            text = {404: "Not found", 429: "Too many requests"}.get(status, message)
            return json_response({"errors": [{"id": eid, "message": text}]}, status, headers)
        code = STATUS_CODES.get(status, "UNKNOWN")
        text = {404: "Not Found", 405: "Method Not Allowed", 429: "Too many requests"}.get(status, message)
        return json_response({"error": code, "error_details": text, "message": text}, status, headers)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from ...http.errors import json_response
        if isinstance(e, CoinbaseError):
            return json_response(e.body(), e.status)
        if e.reason is Reason.MARKET_NOT_FOUND:
            return json_response(CoinbaseError("NOT_FOUND", "ProductID is invalid", 404).body(), 404)
        return json_response(CoinbaseError("INVALID_ARGUMENT", e.message).body(),
                             503 if e.reason is Reason.UNAVAILABLE else 400)
