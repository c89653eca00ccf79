"""Kraken spot, market data: REST at ``/kraken/0/public/...`` and WebSocket v2 at ``/kraken/v2``.

Where things are: markets.py (pairs and assets from ``fixtures/kraken/markets.json``), views.py
(every wire shape, the book checksum), rest.py (the public methods and their errors), ws.py (the
v2 protocol and channels).
"""
from __future__ import annotations

from typing import List

from ..base import Venue

GROUP = "kraken_public"
# Kraken limits public calls per IP: about one a second keeps within it; bursts beyond are refused
# for a few seconds. Here: a bucket of 15 calls that refills at one a second.
RATE_LIMITS = {GROUP: [(15, 15, "ip")]}


class KrakenVenue(Venue):
    name = "kraken"
    rest_root = "/kraken"
    ws_root = "/kraken"
    ws_entry = "/v2"
    rate_limits = RATE_LIMITS

    def market_for(self, name: str, price):
        from . import markets
        return markets.add_pair(name, price)

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
        from .rest import fail
        if e.code == "MARKET_NOT_FOUND":
            return fail("EQuery:Unknown asset pair")
        return fail("EGeneral:Internal error" if e.status >= 500 else "EGeneral:Invalid arguments",
                    e.status if e.status >= 500 else 200)

    # ---------------------------------------------------------------- limits
    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        return [GROUP]

    def limit_headers(self, verdict) -> dict:
        return {}

    def rate_limited(self, verdict):
        return self.error_response(429, "")

    # ---------------------------------------------------------------- WebSocket
    def ws_app(self, ctx):
        from .ws import KrakenWs
        return KrakenWs(self, ctx)

    def describe(self, with_ws: bool) -> str:
        ws = "; WS v2 /kraken/v2" if with_ws else ""
        return f"kraken: REST /kraken/0/public{ws}"
