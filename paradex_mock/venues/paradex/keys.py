"""Subkeys (``/account/keys/subkeys*``) and API tokens (``/account/tokens*``,
``/account/terminal-token``).

A registered subkey is a second STARK key of an account: ``/auth`` signed with it (paradex-py's
ParadexSubkey names it in the path) returns a JWT for the main account, and orders it signs are
accepted; a revoked subkey can do neither (``INVALID_SUBKEY``), and a subkey with allowed CIDRs
authenticates only from those client addresses (``IP_NOT_ALLOWED``). A subkey registered
``pending`` (with its encrypted key and an ephemeral public key) cannot authenticate until
``/activate`` brings the account's signature over pedersen(timestamp, eph_public_key). An API token is a bearer
token for the account until it expires or is revoked; tokens are checked on every request."""
from __future__ import annotations

import hashlib
import ipaddress
from typing import List

from flask import Blueprint, current_app

from ...engine.errors import ExchangeError
from ...http.errors import json_response
from .identity import current_account
from .keystore import store   # the key state and its checks (identity.py and auth_routes.py read them too)
from .params import bool_arg
from .request_body import json_body

bp = Blueprint("keys", __name__)

TOKEN_LIMIT = 20
MAX_TOKEN_S = 365 * 24 * 3600


def _hex(value) -> str:
    try:
        n = int(value, 16) if isinstance(value, str) and value.lower().startswith("0x") else int(value)
    except (TypeError, ValueError):
        raise ExchangeError("PUBLIC_KEY_INVALID", f"invalid public key {value!r}") from None
    if not 0 < n < 2 ** 252:
        raise ExchangeError("PUBLIC_KEY_INVALID", f"invalid public key {value!r}")
    return hex(n)


def _cidrs(value) -> List[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ExchangeError("VALIDATION_ERROR", "allowed_cidrs must be an array of CIDR strings")
    out = []
    for c in value:
        try:
            out.append(str(ipaddress.ip_network(str(c), strict=False)))
        except ValueError:
            raise ExchangeError("VALIDATION_ERROR", f"invalid CIDR {c!r}") from None
    return out


def _now() -> int:
    return current_app.extensions["paradex_mock"].exchange.clock.now_ms()


def _subkey(address: str, public_key: str, status: int = 404) -> dict:
    """``status``: what the operation's spec documents for an unknown key (404, or only 400)."""
    sk = store().subkeys.get(address, {}).get(_hex(public_key))
    if sk is None:
        raise ExchangeError("INVALID_SUBKEY", f"subkey {public_key} not found", status)
    return sk


# ---------------------------------------------------------------- subkeys
@bp.get("/v1/account/keys/subkeys")
def list_subkeys():
    addr = current_account()
    bool_arg("with_revoked")
    return json_response({"results": list(store().subkeys.get(addr, {}).values())})


@bp.post("/v1/account/keys/subkeys")
def register_subkey():
    addr = current_account()
    body = json_body()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ExchangeError("VALIDATION_ERROR", "name is required")
    key = _hex(body.get("public_key"))
    ks = store()
    keys = ks.subkeys.setdefault(addr, {})
    if key in keys and keys[key]["state"] == "active":
        raise ExchangeError("INVALID_SUBKEY", "subkey is already registered")
    state = body.get("state") or "active"
    if state not in ("active", "pending"):
        raise ExchangeError("VALIDATION_ERROR", f"state must be active or pending, got {state!r}")
    if state == "pending":      # the spec: both are required for a pending subkey
        for field in ("encrypted_key", "eph_public_key"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise ExchangeError("VALIDATION_ERROR", f"{field} is required for a pending subkey")
        ks.pending[(addr, key)] = {"encrypted_key": body["encrypted_key"], "eph_public_key": body["eph_public_key"]}
    ks.counter += 1
    now = _now()
    keys[key] = {"id": ks.counter, "account_id": addr, "public_key": key, "name": name, "state": state,
                 "allowed_cidrs": _cidrs(body.get("allowed_cidrs")), "created_at": now, "updated_at": now,
                 "revoked_at": 0}
    return "", 201


@bp.post("/v1/account/keys/subkeys/activate")
def activate_subkey():
    body = json_body()
    addr = current_account()
    account = body.get("account_id") or addr
    sk = store().subkeys.get(str(account), {}).get(_hex(body.get("public_key")))
    if sk is None:
        raise ExchangeError("SUBKEY_NOT_ACTIVATABLE", "no such subkey to activate", 404)
    if sk["state"] == "revoked":
        raise ExchangeError("SUBKEY_NOT_ACTIVATABLE", "a revoked subkey cannot be activated")
    pending = store().pending.get((str(account), sk["public_key"]))
    if sk["state"] == "pending" and pending is not None:
        # the spec: a signature by the account's own key over pedersen(timestamp, eph_public_key)
        from .auth.cpp import pedersen_hash
        from .auth.stark import SignatureFormatError, parse_signature, verify
        owner = current_app.extensions["paradex_mock"].exchange.accounts.get(str(account))
        try:
            r, s_ = parse_signature(body.get("signature"))
            msg = pedersen_hash(int(body.get("timestamp")), int(pending["eph_public_key"], 16))
        except (SignatureFormatError, TypeError, ValueError, OverflowError):
            raise ExchangeError("INVALID_STARKNET_SIGNATURE", "signature must be [r, s] and timestamp an integer") \
                from None
        if owner is None or not owner.public_key or not verify(msg, r, s_, int(owner.public_key, 16)):
            raise ExchangeError("STARKNET_SIGNATURE_VERIFICATION_FAILED",
                                "the signature is not the account's over pedersen(timestamp, eph_public_key)")
    if isinstance(body.get("name"), str) and body["name"]:
        sk["name"] = body["name"]
    sk["state"] = "active"
    sk["updated_at"] = _now()
    return json_response({"encrypted_key": pending["encrypted_key"] if pending else ""})


@bp.get("/v1/account/keys/subkeys/<public_key>")
def get_subkey(public_key):
    return json_response(_subkey(current_account(), public_key))


@bp.put("/v1/account/keys/subkeys/<public_key>")
def update_subkey(public_key):
    sk = _subkey(current_account(), public_key)
    name = json_body().get("name")
    if not isinstance(name, str) or not name:
        raise ExchangeError("VALIDATION_ERROR", "name is required")
    sk["name"] = name
    sk["updated_at"] = _now()
    return json_response(sk)


@bp.put("/v1/account/keys/subkeys/<public_key>/allowed-cidrs")
def subkey_cidrs(public_key):
    sk = _subkey(current_account(), public_key)
    sk["allowed_cidrs"] = _cidrs(json_body().get("allowed_cidrs"))
    sk["updated_at"] = _now()
    return json_response(sk)


@bp.delete("/v1/account/keys/subkeys/<public_key>")
def revoke_subkey(public_key):
    sk = _subkey(current_account(), public_key, 400)
    sk["state"] = "revoked"
    sk["revoked_at"] = sk["updated_at"] = _now()
    return json_response({"public_key": sk["public_key"]})


# ---------------------------------------------------------------- API tokens
def _token_view(t: dict) -> dict:
    return {k: v for k, v in t.items() if k != "bearer"}


@bp.get("/v1/account/tokens")
def list_tokens():
    addr = current_account()
    bool_arg("with_invalid")
    return json_response({"results": [_token_view(t) for t in store().tokens.get(addr, {}).values()]})


@bp.post("/v1/account/tokens")
def create_token():
    addr = current_account()
    body = json_body()
    name, kind, ttl = body.get("name"), body.get("token_type"), body.get("expiry_duration")
    if not isinstance(name, str) or not name:
        raise ExchangeError("VALIDATION_ERROR", "name is required")
    if not isinstance(kind, str) or not kind:
        raise ExchangeError("INVALID_TOKEN_SCOPE", "token_type is required")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= MAX_TOKEN_S:
        raise ExchangeError("VALIDATION_ERROR", "expiry_duration must be 1 to 31536000 seconds")
    ks = store()
    mine = ks.tokens.setdefault(addr, {})
    if sum(1 for t in mine.values() if not t["revoked_at"]) >= TOKEN_LIMIT:
        raise ExchangeError("TOKEN_LIMIT_REACHED", f"at most {TOKEN_LIMIT} active tokens")
    st = current_app.extensions["paradex_mock"]
    now = _now()
    bearer = st.venue_state["paradex"].jwt_issuer.issue(addr, now // 1000, ttl)
    ks.counter += 1
    lookup = hashlib.sha256(f"{addr}:{ks.counter}:{now}".encode()).hexdigest()[:16]
    rec = {"lookup_id": lookup, "token_id": str(ks.counter), "name": name, "kind": kind,
           "allowed_cidrs": _cidrs(body.get("allowed_cidrs")), "created_at": now, "last_updated_at": now,
           "expiry_at": now + ttl * 1000, "revoked_at": 0, "bearer": bearer}
    mine[lookup] = rec
    return json_response({"token": bearer, "api_token": _token_view(rec)})


def _token(addr: str, lookup_id: str, status: int = 404) -> dict:
    """``status``: what the operation's spec documents for an unknown token (404, or only 400)."""
    t = store().tokens.get(addr, {}).get(lookup_id)
    if t is None:
        raise ExchangeError("INVALID_TOKEN", f"token {lookup_id} not found", status)
    return t


@bp.delete("/v1/account/tokens/<lookup_id>")
def revoke_token(lookup_id):
    t = _token(current_account(), lookup_id, 400)
    t["revoked_at"] = t["last_updated_at"] = _now()
    store().revoked.add(t["bearer"])
    return json_response({"lookup_id": lookup_id})


@bp.put("/v1/account/tokens/<lookup_id>/allowed-cidrs")
def token_cidrs(lookup_id):
    t = _token(current_account(), lookup_id)
    t["allowed_cidrs"] = _cidrs(json_body().get("allowed_cidrs"))
    t["last_updated_at"] = _now()
    return json_response(_token_view(t))


@bp.post("/v1/account/terminal-token")
def terminal_token():
    addr = current_account()
    st = current_app.extensions["paradex_mock"]
    return json_response({"jwt_token": st.venue_state["paradex"].jwt_issuer.issue(addr, _now() // 1000)})
