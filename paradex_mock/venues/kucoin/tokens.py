"""Public WS tokens (``POST /api/v1/bullet-public``): opaque to clients, checkable by the WS side
without shared state (it may run in another process): a serial and a keyed digest of it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import threading

_KEY = b"paradex-mock kucoin bullet-public"
_serial = itertools.count(1)
_lock = threading.Lock()


def _digest(payload: bytes) -> bytes:
    return hmac.new(_KEY, payload, hashlib.sha256).digest()[:18]


def issue() -> str:
    with _lock:
        n = next(_serial)
    payload = b"2neAiuYvAU61ZD" + n.to_bytes(8, "big")
    return base64.urlsafe_b64encode(payload + _digest(payload)).decode().rstrip("=")


def valid(token) -> bool:
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return False
    payload, digest = raw[:-18], raw[-18:]
    return len(payload) > 8 and hmac.compare_digest(digest, _digest(payload))
