"""OKX v5 market data, instTypes ``SPOT`` and ``SWAP``: REST at ``/okx/api/v5/...``, WebSocket at
``/okx/ws/v5/public`` (trades, books, books5, bbo-tbt, tickers, funding-rate, mark-price) and
``/okx/ws/v5/business`` (candle<bar>).

Where things are: markets.py (instruments from ``fixtures/okx/markets.json``), views.py (wire
shapes, the book checksum), rest.py (routes, parameter rules, OKX error codes), ws.py. Limits:
OKX's per-endpoint IP limits (requests per 2 seconds), refused with HTTP 429
``{"code": "50011", "msg": "Too Many Requests"}``; OKX sends no limit headers.
"""
from __future__ import annotations

from typing import List

from ..kit import MarketDataVenue

# path below /okx -> requests allowed per 2 s and IP (OKX's documented public limits)
LIMITS = {"/api/v5/public/time": 10, "/api/v5/public/instruments": 20, "/api/v5/public/funding-rate": 20,
          "/api/v5/public/mark-price": 10, "/api/v5/market/candles": 40, "/api/v5/market/history-candles": 20,
          "/api/v5/market/ticker": 20, "/api/v5/market/tickers": 20, "/api/v5/market/books": 40,
          "/api/v5/market/trades": 100}


def _group(path: str) -> str:
    return "okx" + path.replace("/api/v5", "").replace("/", "_").replace("-", "_")


class OkxVenue(MarketDataVenue):
    name = "okx"
    rest_root = "/okx"
    ws_root = "/okx"
    rate_limits = {_group(p): [(n, 2, "ip")] for p, n in LIMITS.items()}
    ws_entry = "/ws/v5/public"
    ws_class = "OkxWs"
    rest_described = "/okx/api/v5"
    ws_described = "/okx/ws/v5/public and /okx/ws/v5/business"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from ...http.errors import json_response
        if status in (404, 405):
            return json_response({"code": "404", "data": [], "msg": "Not Found"}, 404)
        if status == 429:
            return json_response({"code": "50011", "data": [], "msg": "Too Many Requests"}, 429)
        if status == 503:
            return json_response({"code": "50001", "data": [], "msg": "Service temporarily unavailable. Try again later"}, 503)
        if status >= 500:
            return json_response({"code": "50026", "data": [], "msg": "System error. Try again later"}, status)
        return json_response({"code": "50000", "data": [], "msg": "Body can not be empty."}, status)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from ...http.errors import json_response
        if e.reason is Reason.MARKET_NOT_FOUND:
            return json_response({"code": "51001", "data": [], "msg": "Instrument ID or Spread ID doesn't exist."}, 200)
        return json_response({"code": "50000", "data": [], "msg": e.message}, 400)

    # ---------------------------------------------------------------- limits
    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        tail = path[len(self.rest_root):] if path.startswith(self.rest_root + "/") else path
        return [_group(tail)] if tail in LIMITS else []
