"""KuCoin spot, market data: REST at ``/kucoin/api/...``, WebSocket at ``/kucoin`` (the endpoint
``POST /kucoin/api/v1/bullet-public`` names, with its token).

Where things are: markets.py (symbols and currencies from ``fixtures/kucoin/markets.json``),
views.py (wire shapes), rest.py (routes), errors.py, tokens.py (bullet tokens), ws.py (topics).
Rate limit: KuCoin's public resource pool, 2,000 weight per 30 s per IP, each endpoint weighed as
KuCoin weighs it; ``gw-ratelimit-limit``/``-remaining``/``-reset`` on every answer, 429 with 429000
when over.
"""
from __future__ import annotations

from ..kit import MarketDataVenue
from .errors import STATUS_BODIES, KucoinError

GROUP = "kucoin_public"
POOL = 2000
POOL_WINDOW_S = 30
RATE_LIMITS = {GROUP: [(POOL, POOL_WINDOW_S, "ip")]}

# KuCoin's documented weights of its public spot endpoints
WEIGHTS = {"/api/v1/timestamp": 3, "/api/v1/status": 3, "/api/v3/currencies": 3, "/api/v2/symbols": 4,
           "/api/v1/market/allTickers": 15, "/api/v1/market/stats": 15, "/api/v1/market/orderbook/level1": 2,
           "/api/v1/market/orderbook/level2_20": 2, "/api/v1/market/orderbook/level2_100": 4,
           "/api/v1/market/histories": 3, "/api/v1/market/candles": 3, "/api/v1/bullet-public": 10}


class KucoinVenue(MarketDataVenue):
    name = "kucoin"
    rest_root = "/kucoin"
    ws_root = "/kucoin"
    rate_limits = RATE_LIMITS
    ws_entry = ""
    limit_group = GROUP
    ws_class = "KucoinWs"
    rest_described = "/kucoin/api"
    ws_described = "/kucoin?token=... (endpoint and token from POST /kucoin/api/v1/bullet-public)"

    # ---------------------------------------------------------------- errors
    def error_response(self, status: int, message: str):
        from ...http.errors import json_response
        code, msg = STATUS_BODIES.get(status, ("500000", "Internal Server Error"))
        return json_response({"code": code, "msg": msg}, status)

    def exchange_error(self, e):
        from ...engine.errors import Reason
        from ...http.errors import json_response
        if isinstance(e, KucoinError):
            return json_response(e.body(), e.status)
        if e.reason is Reason.MARKET_NOT_FOUND:
            return json_response({"code": "400100", "msg": "Unsupported trading pair."}, 400)
        return json_response({"code": "400100", "msg": e.message}, 503 if e.reason is Reason.UNAVAILABLE else 400)

    # ---------------------------------------------------------------- limits
    def request_weight(self, request) -> int:
        path = request.path
        if path.startswith(self.rest_root + "/"):
            path = path[len(self.rest_root):]
        return WEIGHTS.get(path, 1)

    def limit_headers(self, verdict) -> dict:
        # the pool refills continuously: the time until it is full again
        reset_ms = (verdict.limit - verdict.remaining) * verdict.window_s * 1000 // verdict.limit
        return {"gw-ratelimit-limit": str(verdict.limit), "gw-ratelimit-remaining": str(verdict.remaining),
                "gw-ratelimit-reset": str(reset_ms)}

    def rate_limited(self, verdict):
        from ...http.errors import json_response
        code, msg = STATUS_BODIES[429]
        return json_response({"code": code, "msg": msg}, 429, self.limit_headers(verdict))
