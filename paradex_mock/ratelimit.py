"""Rate limits, the shared machinery: continuously refilling token buckets per limit group, keyed
by account or by IP; each venue names its groups and rules (``Venue.rate_limits``,
``Venue.limit_groups``) and answers a refusal its own way. Time comes from the exchange clock, so
with the manual clock a test exhausts a limit and then advances time to see it recover, with no
sleeping. A request costs one token unless its venue weighs it (Binance's request weights).

A dozen lines of token bucket with an injectable clock fit better here than a general library,
whose clocks are the wall clock.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

@dataclass
class Bucket:
    capacity: float
    refill_per_ms: float
    tokens: float
    updated_ms: int

    def refill(self, now_ms: int) -> None:
        if now_ms > self.updated_ms:
            self.tokens = min(self.capacity, self.tokens + (now_ms - self.updated_ms) * self.refill_per_ms)
            self.updated_ms = now_ms

    def ms_until_token(self, cost: int = 1) -> int:
        return 0 if self.tokens >= cost else int(math.ceil((cost - self.tokens) / self.refill_per_ms))


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int          # unix seconds when a token is next available
    window_s: int
    retry_after_s: int
    used: int = 0         # tokens of the window in use (Binance's X-MBX-USED-WEIGHT)

    def headers(self) -> dict:
        h = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
             "X-RateLimit-Reset": str(self.reset_s), "X-Ratelimit-Window": str(self.window_s)}
        if not self.allowed:
            h["Retry-After"] = str(self.retry_after_s)
        return h


class RateLimiter:
    def __init__(self, now_ms: Callable[[], int], enabled: bool = True, limits=None):
        self.now_ms = now_ms
        self.enabled = enabled
        self.limits = {k: list(v) for k, v in (limits or {}).items()}
        self._buckets: Dict[tuple, Bucket] = {}
        self._lock = threading.Lock()

    def configure(self, enabled: Optional[bool] = None, limits: Optional[dict] = None) -> None:
        with self._lock:
            if enabled is not None:
                self.enabled = bool(enabled)
            if limits:
                for group, rules in limits.items():
                    if group not in self.limits:
                        raise ValueError(f"unknown rate-limit group {group!r}; one of {', '.join(self.limits)}")
                    parsed = []
                    for r in rules:
                        limit, window = int(r["limit"]), int(r["window_s"])
                        if limit < 1 or window < 1:
                            raise ValueError("limit and window_s must be positive")
                        parsed.append((limit, window, r.get("key", self.limits[group][0][2])))
                    self.limits[group] = parsed
            self._buckets.clear()

    def public(self) -> dict:
        return {"enabled": self.enabled,
                "limits": {g: [{"limit": l, "window_s": w, "key": k} for l, w, k in rules]
                           for g, rules in self.limits.items()}}

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def check(self, groups: List[str], ip: str, account: Optional[str], cost: int = 1) -> Optional[Verdict]:
        """Take ``cost`` tokens from every bucket the request counts against; None when disabled.
        A refused request takes nothing, so waiting is enough to recover."""
        if not self.enabled:
            return None
        now = self.now_ms()
        with self._lock:
            chosen = []
            for g in groups:
                for limit, window, key_kind in self.limits.get(g, ()):
                    key = account if key_kind == "account" and account else ip
                    bk = (g, limit, window, key_kind, key)
                    b = self._buckets.get(bk)
                    if b is None:
                        b = self._buckets[bk] = Bucket(limit, limit / (window * 1000.0), float(limit), now)
                    chosen.append((b, limit, window))
            if not chosen:
                return None
            for b, _, _ in chosen:   # refill first, then decide for all buckets at once
                b.refill(now)
            blocked = [(b, l, w) for b, l, w in chosen if b.tokens < cost]
            if blocked:
                b, limit, window = max(blocked, key=lambda x: x[0].ms_until_token(cost))
                wait = b.ms_until_token(cost)
                return Verdict(False, limit, 0, (now + wait + 999) // 1000, window, max(1, (wait + 999) // 1000),
                               used=int(limit - b.tokens))
            for b, _, _ in chosen:
                b.tokens -= cost
            b, limit, window = min(chosen, key=lambda x: x[0].tokens / x[1])
            return Verdict(True, limit, int(b.tokens), (now + b.ms_until_token() + 999) // 1000 or now // 1000,
                           window, 0, used=int(limit - b.tokens))
