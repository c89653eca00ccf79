"""The account's own pages: profile (username, referral code and referrer, notifications, size
display, max slippage per market), settings, value and PnL history, subaccounts, compliance
actions and Paradigm. Profiles are created on first read, with a referral code from the address."""
from __future__ import annotations

import hashlib
from dataclasses import asdict
from decimal import Decimal

from ....engine.errors import ExchangeError
from ....engine.numbers import fmt, to_decimal
from ....http.errors import json_response
from ..identity import current_account
from ..params import bad_param, str_arg
from ..request_body import json_body
from .common import ex, known_market, now_ms, private_bp
from .state import ComplianceAction, Profile, store


def profile(addr: str) -> Profile:
    """The account's profile (made on first use), its max slippage read from the account now."""
    profiles = store().profile.profiles
    p = profiles.get(addr)
    if p is None:
        code = hashlib.sha256(addr.encode()).hexdigest()[:8]
        p = profiles[addr] = Profile(
            username="", is_username_private=True, referral_code=code, referred_by="", marketed_by="",
            size_currency_display="BASE", last_seen_notification=0,
            notifications={"announcements": True, "fills": True, "orders": True, "transfers": True,
                           "fill_sound": True},
            nfts=[], twitter_following={}, tap_status="", ai_agent_url="")
    with ex().lock:
        acct = ex().account(addr)
        p.market_max_slippage = {m: fmt(v) for m, v in acct.max_slippage.items()}
    return p


def _answer(p: Profile):
    return json_response(asdict(p))


@private_bp.get("/v1/account/profile")
def get_profile():
    return _answer(profile(current_account()))


_PROFILE_STRINGS = ("username", "referral_code", "referred_by", "size_currency_display", "ai_agent_url",
                    "trading_value_display", "max_slippage", "tap_share_rate", "xp_share_rate")
_PROFILE_BOOLS = ("is_username_private", "announcements", "fills", "orders", "transfers", "fill_sound")


def _update_profile(addr: str, body: dict) -> Profile:
    # every field of the spec's profile bodies is typed: a value of another type (null too) is a
    # 400, before anything is stored (a stored list would break every later profile answer)
    for key in _PROFILE_STRINGS + _PROFILE_BOOLS:
        if key in body and not isinstance(body[key], str if key in _PROFILE_STRINGS else bool):
            raise bad_param(key, f"must be a {'string' if key in _PROFILE_STRINGS else 'boolean'}")
    p = profile(addr)
    for key in ("username", "is_username_private", "referral_code", "referred_by", "size_currency_display",
                "ai_agent_url"):
        if key in body and body[key] is not None:
            setattr(p, key, body[key])
    for key in ("announcements", "fills", "orders", "transfers", "fill_sound"):
        if key in body and isinstance(body[key], bool):
            p.notifications[key] = body[key]
    if body.get("trading_value_display"):
        store().profile.trading_value_display[addr] = body["trading_value_display"]
    return profile(addr)


@private_bp.put("/v1/account/profile")
def put_profile():
    return _answer(_update_profile(current_account(), json_body()))


@private_bp.post("/v1/account/profile/market_max_slippage/<path:market>")
def set_max_slippage(market):
    addr = current_account()
    known_market(market)
    try:
        slip = to_decimal(json_body().get("max_slippage"))
    except ValueError:
        raise ExchangeError("VALIDATION_ERROR", "max_slippage must be a decimal string") from None
    if not 0 < slip <= 1:
        raise ExchangeError("VALIDATION_ERROR", "max_slippage must be above 0 and at most 1")
    e = ex()
    with e.lock:
        e.account(addr).max_slippage[market] = slip     # used by market orders' VWAP protection
    return _answer(profile(addr))


@private_bp.post("/v1/account/profile/notifications")
def set_notifications():
    return _answer(_update_profile(current_account(), json_body()))


@private_bp.post("/v1/account/profile/notifications/last_seen")
def set_last_seen():
    addr = current_account()
    p = profile(addr)
    p.last_seen_notification = now_ms()
    return _answer(p)


@private_bp.post("/v1/account/profile/referral_code")
def set_referral_code():
    addr = current_account()
    body = json_body(None) or {}
    code = body.get("referral_code") if isinstance(body, dict) else None
    if code is not None and (not isinstance(code, str) or not code):
        raise ExchangeError("INVALID_REFERRAL_CODE", "invalid referral code")
    return _answer(_update_profile(addr, {"referral_code": code} if code else {}))


@private_bp.post("/v1/account/profile/username")
def set_username():
    addr = current_account()
    body = json_body(None) or {}
    name = body.get("username") if isinstance(body, dict) else None
    if name:
        for other, p in store().profile.profiles.items():
            if other != addr and p.username == name:
                raise ExchangeError("USERNAME_IN_USE", f"username {name!r} is in use")
    return _answer(_update_profile(addr, {"username": name} if name else {}))


@private_bp.post("/v1/account/referrer")
def set_referrer():
    addr = current_account()
    body = json_body(None) or {}
    code = body.get("referral_code") or body.get("referred_by") if isinstance(body, dict) else None
    p = profile(addr)
    if p.referred_by:
        raise ExchangeError("ACCOUNT_ALREADY_REFERRED", "account already has a referrer")
    if code:
        p.referred_by = code
    return _answer(p)


@private_bp.post("/v1/account/profile/size_currency_display")
def set_size_currency():
    body = json_body()
    if "size_currency_display" not in body:        # the one field this operation requires
        raise bad_param("size_currency_display", "is required")
    return _answer(_update_profile(current_account(), body))


@private_bp.post("/v1/account/profile/refresh_inventory")
def refresh_inventory():
    return json_response({"nfts": profile(current_account()).nfts})


@private_bp.get("/v1/account/settings")
def get_settings():
    addr = current_account()
    return json_response({"trading_value_display": store().profile.trading_value_display.get(addr, "SPEND")})


@private_bp.post("/v1/account/settings/trading_value_display")
def set_trading_value_display():
    addr = current_account()
    value = json_body().get("trading_value_display")
    if not isinstance(value, str) or not value:
        raise ExchangeError("VALIDATION_ERROR", "trading_value_display is required")
    store().profile.trading_value_display[addr] = value
    return _answer(profile(addr))


@private_bp.get("/v1/account/history")
def account_history():
    """Account value (type=value) or PnL (type=pnl): the account now, one point (no history kept)."""
    addr = current_account()
    kind = str_arg("type", required=True, choices=("pnl", "value", "volume", "fee_savings"))
    e = ex()
    with e.lock:
        acct = e.account(addr)
        mg = e.margin(acct)
        value = {"value": mg.account_value, "pnl": mg.unrealized_pnl + sum(
            (p.realized_pnl for p in acct.positions.values()), Decimal(0)),
            "volume": sum((f.size * f.price for f in acct.fills), Decimal(0)), "fee_savings": Decimal(0)}[kind]
        return json_response({"data": [float(value)], "timestamps": [e.clock.now_ms() // 1000]})


@private_bp.get("/v1/account/subaccounts")
def subaccounts():
    current_account()
    return json_response({"results": []})


@private_bp.get("/v1/account/compliance")
def get_compliance():
    addr = current_account()
    return json_response({"results": [asdict(a) for a in store().profile.compliance.get(addr, [])]})


@private_bp.post("/v1/account/compliance")
def record_compliance():
    addr = current_account()
    body = json_body()
    kind, version = body.get("action_type"), body.get("action_version")
    if not isinstance(kind, str) or not kind or not isinstance(version, str) or not version:
        raise ExchangeError("VALIDATION_ERROR", "action_type and action_version are required")
    store().profile.compliance.setdefault(addr, []).append(ComplianceAction(kind, version, now_ms()))
    return "", 200


@private_bp.post("/v1/account/paradigm/enable")
def paradigm_enable():
    addr = current_account()
    return json_response({"account": addr, "status": "ENABLED", "subkey_public_key": ""})
