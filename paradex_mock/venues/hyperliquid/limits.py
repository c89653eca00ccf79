"""Hyperliquid's REST limit: an aggregated weight of 1200 a minute per IP. ``info`` requests
weigh 2 (l2Book, allMids, clearinghouseState, orderStatus, spotClearinghouseState,
exchangeStatus), 60 (userRole) or 20 (every other type), as Hyperliquid documents them. (The
real venue also adds weight per 20 or 60 items an answer returns; the mock charges the fixed part.)"""
from __future__ import annotations

import json

GROUP = "hyperliquid_weight"
WEIGHT_PER_MINUTE = 1200
RATE_LIMITS = {GROUP: [(WEIGHT_PER_MINUTE, 60, "ip")]}
LIGHT = {"l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState", "exchangeStatus"}


def weight(request) -> int:
    if request.method != "POST" or not request.path.endswith("/info"):
        return 1
    try:
        doc = json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return 20
    t = doc.get("type") if isinstance(doc, dict) else None
    if t in LIGHT:
        return 2
    if t == "userRole":
        return 60
    return 20
