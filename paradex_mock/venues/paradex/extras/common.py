"""What every family of the extras API shares: its two blueprints (public routes, and private ones
that need an account), the exchange and its clock, ids, and the market check."""
from __future__ import annotations

from flask import Blueprint, current_app

from ....engine.errors import ExchangeError
from ..markets import is_paradex
from .state import store

public_bp = Blueprint("extras_public", __name__)
private_bp = Blueprint("extras_private", __name__)


def ex():
    return current_app.extensions["paradex_mock"].exchange


def now_ms() -> int:
    return ex().clock.now_ms()


def new_id(prefix: str = "") -> str:
    s = store()
    s.counter += 1
    return f"{prefix}{now_ms()}{s.counter:06d}"


def known_market(sym):
    """``sym`` if it is one of Paradex's markets; MARKET_NOT_FOUND otherwise."""
    if not isinstance(sym, str) or not is_paradex(ex(), sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {sym!r} not found")
    return sym
