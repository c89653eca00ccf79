"""Onboarding, authentication (signed headers -> JWT) and the JWT verification key.

POST /v1/auth (ccxt) and /v1/auth/{public_key} (paradex-py) verify the PARADEX-* headers'
signature over the ``Request`` typed data (path always ``/v1/auth``) and answer an ES384 JWT
valid for 5 minutes; GET /v1/jwks.json publishes its verification key. The same signed request
may be sent again while it is valid (paradex-py resends it right after onboarding): replay
protection belongs to orders, not to auth.

Accounts that authenticate without having onboarded (ccxt never onboards), whatever auth_mode:
* ``auto_onboard`` true (default): onboarded on the fly when the key that signed the request
  (recovered from the signature, or the one named in the path) derives the claimed address with
  the config's class hashes; otherwise ``NOT_ONBOARDED``.
* ``auto_onboard`` false: ``NOT_ONBOARDED``, as Paradex answers; paradex-py then calls
  POST /v1/onboarding and retries.
"""
from flask import Blueprint, current_app, request

from .auth import derive_address, parse_signature, recover_public_keys, verify
from .auth.stark import SignatureFormatError
from .auth.typed_data import auth_message_hash, onboarding_message_hash
from ...engine.errors import ExchangeError, excerpt, short
from .accounts import normalize_address
from ...http.errors import json_response
from .keystore import active_subkeys, subkey_refusal
from .request_body import json_body

bp = Blueprint("auth", __name__)

DEFAULT_EXPIRATION_S = 30 * 60     # Paradex: signature expiration defaults to 30 minutes
MAX_EXPIRATION_S = 7 * 24 * 3600   # and may be at most a week
FUTURE_SKEW_S = 60
NOT_ONBOARDED_MESSAGE = "User has never called /onboarding endpoint"


def st():
    return current_app.extensions["paradex_mock"]


def _header_int(name: str, code: str):
    raw = request.headers.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ExchangeError(code, f"{name} must be an integer (unix seconds)") from None


def _signed_request():
    """The account and (r, s) of a PARADEX-* signed request."""
    account = request.headers.get("PARADEX-STARKNET-ACCOUNT")
    if not account:
        raise ExchangeError("INVALID_STARKNET_ADDRESS", "PARADEX-STARKNET-ACCOUNT header is required")
    address = normalize_address(account)
    raw_sig = request.headers.get("PARADEX-STARKNET-SIGNATURE")
    if not raw_sig:
        raise ExchangeError("INVALID_STARKNET_SIGNATURE", "PARADEX-STARKNET-SIGNATURE header is required")
    try:
        r, s = parse_signature(raw_sig)
    except SignatureFormatError as e:
        raise ExchangeError("INVALID_STARKNET_SIGNATURE", f"malformed signature: {short(str(e))}") from None
    return address, r, s


def _public_key(value: str) -> int:
    try:
        key = int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        raise ExchangeError("PUBLIC_KEY_INVALID", f"invalid public key {excerpt(value)}") from None
    if not 0 < key < 2 ** 252:
        raise ExchangeError("PUBLIC_KEY_INVALID", f"invalid public key {excerpt(value)}")
    return key


def _derives(key: int, address: str) -> bool:
    cfg = st().venue_state["paradex"].system_config
    return derive_address(key, int(cfg["paraclear_account_proxy_hash"], 16),
                          int(cfg["paraclear_account_hash"], 16)) == int(address, 16)


@bp.post("/v1/auth")
@bp.post("/v1/auth/<public_key>")
def auth(public_key=None):
    state = st()
    ex = state.exchange
    address, r, s = _signed_request()
    ts = _header_int("PARADEX-TIMESTAMP", "INVALID_TIMESTAMP")
    if ts is None:
        raise ExchangeError("INVALID_TIMESTAMP", "PARADEX-TIMESTAMP header is required")
    exp = _header_int("PARADEX-SIGNATURE-EXPIRATION", "INVALID_TIMESTAMP")
    signed_exp = exp if exp is not None else ts + DEFAULT_EXPIRATION_S
    nows = [n // 1000 for n in ex.clock.candidates_ms()]
    if all(ts > now + FUTURE_SKEW_S for now in nows):
        raise ExchangeError("INVALID_TIMESTAMP", f"PARADEX-TIMESTAMP {short(str(ts))} is in the future")
    if signed_exp <= ts or signed_exp - ts > MAX_EXPIRATION_S:
        raise ExchangeError("INVALID_TIMESTAMP",
                            "PARADEX-SIGNATURE-EXPIRATION must be after the timestamp and within a week of it")
    if all(signed_exp < now for now in nows):
        raise ExchangeError("INVALID_TIMESTAMP", "the auth signature has expired", 401)
    # the signed message carries the expiration header as sent (0 when absent, as clients sign it)
    h = auth_message_hash(int(address, 16), state.venue_state["paradex"].chain_id, ts, exp if exp is not None else 0)
    path_key = _public_key(public_key) if public_key else None
    with ex.lock:
        acct = ex.accounts.get(address)
        registered = int(acct.public_key, 16) if acct is not None and acct.public_key else None
    if registered is not None:
        if path_key is not None and path_key != registered:
            # a subkey (paradex-py's ParadexSubkey names it in the path): registered, active, from an allowed address
            refusal = subkey_refusal(state, address, path_key)
            if refusal is not None:
                raise refusal
            if not verify(h, r, s, path_key):
                raise ExchangeError("STARKNET_SIGNATURE_VERIFICATION_FAILED", "auth signature does not verify", 401)
        elif not verify(h, r, s, registered) and not (
                path_key is None and any(verify(h, r, s, k) for k in active_subkeys(state, address))):
            raise ExchangeError("STARKNET_SIGNATURE_VERIFICATION_FAILED", "auth signature does not verify", 401)
    else:
        if not state.config.auto_onboard:   # as Paradex: an account must have called /onboarding
            raise ExchangeError("NOT_ONBOARDED", NOT_ONBOARDED_MESSAGE)
        # ccxt posts to plain /v1/auth and never onboards: find the key from the signature itself
        # (paradex-py names it in the path) and onboard on the fly if it derives the address
        candidates = [path_key] if path_key is not None else recover_public_keys(h, r, s)
        good = [k for k in candidates if verify(h, r, s, k)]
        if not good:
            raise ExchangeError("STARKNET_SIGNATURE_VERIFICATION_FAILED", "auth signature does not verify", 401)
        key = next((k for k in good if _derives(k, address)), None)
        if key is None:
            raise ExchangeError("NOT_ONBOARDED", NOT_ONBOARDED_MESSAGE + " (and the key that signed this "
                                "request does not derive the account address, so it cannot be onboarded here)")
        ex.onboard(address, hex(key))
    token = state.venue_state["paradex"].jwt_issuer.issue(address, ex.clock.now_ms() // 1000)
    return json_response({"jwt_token": token})


@bp.post("/v1/onboarding")
def onboarding():
    state = st()
    ex = state.exchange
    address, r, s = _signed_request()
    body = json_body()
    raw_key = body.get("public_key")
    if not isinstance(raw_key, str) or not raw_key:
        raise ExchangeError("PUBLIC_KEY_INVALID", "public_key is required")
    key = _public_key(raw_key)
    if not verify(onboarding_message_hash(int(address, 16), state.venue_state["paradex"].chain_id), r, s, key):
        raise ExchangeError("STARKNET_SIGNATURE_VERIFICATION_FAILED", "onboarding signature does not verify", 401)
    if not _derives(key, address):
        raise ExchangeError("INVALID_STARKNET_ADDRESS",
                            "the account address is not derived from this public key with the config's class hashes")
    with ex.lock:
        acct = ex.accounts.get(address)
        if acct is not None and acct.public_key and int(acct.public_key, 16) != key:
            raise ExchangeError("PUBLIC_KEY_INVALID", "account is onboarded with another key")
        ex.onboard(address, hex(key))
    return "", 200


@bp.get("/v1/onboarding")
def onboarding_status():
    state = st()
    ex = state.exchange
    signer = request.args.get("account_signer_type", "starknet")
    if signer != "starknet":
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "only starknet account signers are simulated")
    raw = request.args.get("public_key")
    if not raw:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "invalid public_key: is required")
    key = _public_key(raw)
    cfg = st().venue_state["paradex"].system_config
    address = hex(derive_address(key, int(cfg["paraclear_account_proxy_hash"], 16),
                                 int(cfg["paraclear_account_hash"], 16)))
    with ex.lock:
        acct = ex.accounts.get(address)
        exists = bool(acct is not None and acct.onboarded)
    return json_response({"account_signer_type": "starknet", "address": address, "exists": exists,
                          "derivation_info": {"class_hash": cfg["paraclear_account_hash"],
                                              "proxy_class_hash": cfg["paraclear_account_proxy_hash"]}})


@bp.get("/v1/jwks.json")
def jwks():
    return json_response(st().venue_state["paradex"].jwt_issuer.jwks())


@bp.post("/v2/auth")
@bp.post("/v2/onboarding")
def evm_not_simulated():
    raise ExchangeError("INVALID_CHAIN", "EVM (SIWE) accounts are not simulated; use a Starknet account")
