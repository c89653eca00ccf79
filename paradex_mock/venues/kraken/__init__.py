"""Kraken spot, market data: REST at ``/kraken/0/public/...`` and WebSocket v2 at ``/kraken/v2``.

Where things are: markets.py (pairs and assets from ``fixtures/kraken/markets.json``), views.py
(every wire shape, the book checksum), rest.py (the public methods and their errors), ws.py (the
v2 protocol and channels).
"""
from __future__ import annotations

from ..kit import MarketDataVenue

GROUP = "kraken_public"
# Kraken limits public calls per IP: about one a second keeps within it; bursts beyond are refused
# for a few seconds. Here: a bucket of 15 calls that refills at one a second.
RATE_LIMITS = {GROUP: [(15, 15, "ip")]}


class KrakenVenue(MarketDataVenue):
    name = "kraken"
    rest_root = "/kraken"
    ws_root = "/kraken"
    ws_entry = "/v2"
    rate_limits = RATE_LIMITS
    add_market = "add_pair"
    limit_group = GROUP
    ws_class = "KrakenWs"
    rest_described = "/kraken/0/public"
    ws_described = "v2 /kraken/v2"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from .rest import fail
        if status in (404, 405):
            return fail("EGeneral:Unknown method", 404)
        if status == 429:
            return fail("EGeneral:Too many requests", 429)
        if status == 503:
            return fail("EService:Unavailable", 503)
        if status >= 500:
            return fail("EGeneral:Internal error", status)
        return fail("EGeneral:Invalid arguments", status)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from .rest import fail
        if e.reason is Reason.MARKET_NOT_FOUND:
            return fail("EQuery:Unknown asset pair")
        if e.reason is Reason.UNAVAILABLE:
            return fail("EGeneral:Internal error", 503)
        return fail("EGeneral:Invalid arguments", 200)
