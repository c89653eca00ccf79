"""Binance spot's REST limits: request weight per IP, 6,000 a minute, each endpoint weighed as
Binance weighs it; ``X-MBX-USED-WEIGHT-1M`` on every answer; 429 with -1003 when over, and 418 (an
IP ban, two minutes here) for a client that keeps sending after its 429s."""
from __future__ import annotations

import threading
from typing import Dict

GROUP = "binance_weight"
WEIGHT_PER_MINUTE = 6000
RATE_LIMITS = {GROUP: [(WEIGHT_PER_MINUTE, 60, "ip")]}

RATE_LIMITS_INFO = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": WEIGHT_PER_MINUTE},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]

# refusals an IP may collect before it is banned (418), and the ban
BAN_AFTER = 5
BAN_MS = 120_000


def weight(path: str, args) -> int:
    """The request weight of a GET below /binance (Binance's documented weights)."""
    p = path.split("/api/v3/", 1)[-1]
    many = "symbol" not in args
    if p == "depth":
        try:
            limit = int(args.get("limit") or 100)
        except ValueError:
            limit = 100
        return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    if p in ("trades", "historicalTrades"):
        return 25
    if p == "exchangeInfo":
        return 20
    if p == "ticker/24hr":
        if "symbols" in args:
            n = args.get("symbols", "").count(",") + 1
            return 2 if n <= 20 else 40 if n <= 100 else 80
        return 80 if many else 2
    if p in ("ticker/price", "ticker/bookTicker"):
        return 4 if many else 2
    if p == "ticker":
        n = args.get("symbols", "").count(",") + 1 if "symbols" in args else 1
        return min(200, 4 * n)
    if p in ("klines", "uiKlines", "aggTrades", "avgPrice"):
        return 2
    return 1


class Bans:
    """Repeat offenders: an IP that is refused BAN_AFTER times within a minute is banned."""

    def __init__(self):
        self._lock = threading.Lock()
        self.refusals: Dict[str, list] = {}
        self.banned_until: Dict[str, int] = {}

    def refused(self, ip: str, now_ms: int) -> bool:
        """Count a 429 for ``ip``; True when it is now banned."""
        with self._lock:
            recent = [t for t in self.refusals.get(ip, []) if t > now_ms - 60_000] + [now_ms]
            self.refusals[ip] = recent
            if len(recent) >= BAN_AFTER:
                self.banned_until[ip] = now_ms + BAN_MS
                self.refusals[ip] = []
                return True
            return False

    def until(self, ip: str, now_ms: int) -> int:
        with self._lock:
            t = self.banned_until.get(ip, 0)
            return t if t > now_ms else 0

    def reset(self) -> None:
        with self._lock:
            self.refusals.clear()
            self.banned_until.clear()
