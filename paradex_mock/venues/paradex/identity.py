"""Who is calling: the one seam between HTTP requests and accounts.

``current_account()`` reads ``Authorization: Bearer <JWT>``. A bad, expired, forged or
``alg:none`` token is always refused (401), never replaced by the demo account. With no header,
permissive mode answers as the demo account (so plain curl works) and strict mode refuses, as
Paradex does.
"""
from __future__ import annotations

from typing import Optional

from flask import current_app, request

from .auth import InvalidJwt, parse_signature, verify
from .auth.typed_data import modify_order_message_hash, order_message_hash
from .auth.stark import SignatureFormatError
from ...engine.errors import ExchangeError, short
from .accounts import DEMO_ACCOUNT, DEMO_TOKEN
from ...http.middleware import ACCOUNT_KEY
from .keystore import KEYS, active_subkeys

AUTHENTICATED_KEY = "paradex_mock.authenticated"   # WSGI environ: the account came from a JWT

ORDER_RECV_WINDOW_MS = 300_000   # Paradex's default receive window (5 min)
FUTURE_SKEW_MS = 60_000          # a signature from further in the future than this is refused


class JwtRefused(ExchangeError):
    """401 in the JWT middleware's own style (no ``error`` key)."""

    def __init__(self, message: str):
        super().__init__("UNAUTHORIZED_ERROR", message, 401)

    def body(self) -> dict:
        return {"message": self.message}


def state():
    return current_app.extensions["paradex_mock"]


def current_account() -> str:
    # cached in the WSGI environ, where the request journal (middleware.py) reads it too
    environ = request.environ
    cached = environ.get(ACCOUNT_KEY)
    if cached is not None:
        return cached
    st = state()
    header = environ.get("HTTP_AUTHORIZATION")
    if not header:
        if st.config.auth_mode == "strict":
            raise JwtRefused("missing or malformed jwt")
        environ[ACCOUNT_KEY] = DEMO_ACCOUNT
        environ[AUTHENTICATED_KEY] = False
        return DEMO_ACCOUNT
    parts = header.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
        raise JwtRefused("missing or malformed jwt")
    if parts[1].strip() == DEMO_TOKEN and st.config.auth_mode != "strict":   # as the WS auth method takes it
        environ[ACCOUNT_KEY] = DEMO_ACCOUNT
        environ[AUTHENTICATED_KEY] = False
        return DEMO_ACCOUNT
    ks = st.venue_state.get(KEYS)
    if ks is not None and ks.revoked and parts[1].strip() in ks.revoked:
        raise JwtRefused("invalid or expired jwt: token revoked")
    try:
        claims = st.venue_state["paradex"].jwt_verifier.verify(parts[1].strip(), st.exchange.clock.now_ms() // 1000)
    except InvalidJwt as e:
        raise JwtRefused(f"missing or malformed jwt: {e.reason}") from None
    account = claims["sub"]
    with st.exchange.lock:
        acct = st.exchange.accounts.get(account)
        if acct is None:
            raise JwtRefused("invalid or expired jwt: unknown account")
    environ[ACCOUNT_KEY] = account
    environ[AUTHENTICATED_KEY] = True
    return account


def authenticated() -> bool:
    current_account()
    return bool(request.environ.get(AUTHENTICATED_KEY))


def verify_order_signature(address: str, body: dict, modify: bool = False, defaults: Optional[dict] = None) -> Optional[str]:
    """Check ``signature`` over the Order (or ModifyOrder) typed data for a JWT-authenticated
    account. The demo account of permissive mode trades unsigned; a signature it does send is
    still checked, so an adapter's signing bugs show up either way. Returns the signed message's
    replay key for ``signatures_claimed`` (None when nothing was signed).

    Clients that sign with whole-second timestamps (ccxt) produce the same signed message for two
    identical orders in the same second. Paradex accepts both (its replay protection is the receive
    window, and a duplicate ``client_id`` of an open order); only with ``strict_order_replay`` does
    the mock refuse the second as a replay."""
    if not isinstance(body, dict):
        raise ExchangeError("BINDING_ERROR", "order must be a JSON object")
    signed = body.get("signature") not in (None, "")
    if not authenticated() and not signed:
        return None
    st = state()
    ex = st.exchange
    if not signed:
        raise ExchangeError("INVALID_ORDER_SIGNATURE", "signature is required")
    ts = body.get("signature_timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool) or ts <= 0:
        raise ExchangeError("INVALID_ORDER_SIGNATURE", "signature_timestamp (ms) is required")
    window = body.get("recv_window")
    if window in (None, 0):
        window = ORDER_RECV_WINDOW_MS
    if not isinstance(window, int) or isinstance(window, bool) or window < 10:
        raise ExchangeError("VALIDATION_ERROR", "recv_window must be an integer of at least 10 ms")
    for now in ex.clock.candidates_ms():
        if ts - FUTURE_SKEW_MS <= now <= ts + window:
            break
    else:
        raise ExchangeError("INVALID_TIMESTAMP",
                            f"signature_timestamp {short(str(ts))} is outside the receive window of {short(str(window))} ms")
    # a modification signs its defaults for what the body leaves out; an order signs its body
    merged = dict(defaults, **{k: v for k, v in body.items() if v is not None}) if defaults else body
    try:
        r, s = parse_signature(body["signature"])
    except SignatureFormatError as e:
        raise ExchangeError("INVALID_ORDER_SIGNATURE", f"malformed signature: {short(str(e))}") from None
    with ex.lock:
        acct = ex.accounts.get(address)
        pub = acct.public_key if acct else None
    if not pub:
        raise ExchangeError("NOT_ONBOARDED", "account has no registered public key; call /onboarding")
    otype = merged.get("type") or merged.get("order_type")
    price = merged.get("price")
    if isinstance(otype, str) and "MARKET" in otype:
        price = "0"
    try:
        args = (int(address, 16), st.venue_state["paradex"].chain_id, ts, merged.get("market"),
                merged.get("side"), otype, merged.get("size"), price if price not in (None, "") else "0")
        h = (modify_order_message_hash(*args, str(merged.get("id"))) if modify
             else order_message_hash(*args))
    except (ValueError, TypeError, KeyError) as e:
        raise ExchangeError("INVALID_ORDER_SIGNATURE", f"cannot hash order: {short(str(e))}") from None
    if not verify(h, r, s, int(pub, 16)):
        # a registered, unrevoked subkey signs for its account
        if not any(verify(h, r, s, k) for k in active_subkeys(st, address)):
            raise ExchangeError("INVALID_ORDER_SIGNATURE", "order signature does not match the account's key")
    # Keyed by the signed message, not by (r, s): (r, EC_ORDER - s) verifies too, so a key built
    # from the signature would let a replayer through by flipping s.
    return ReplayKey(f"{'m' if modify else 'o'}{h:x}", ts + window)


class ReplayKey(str):
    """The replay-protection key of one signed order message, with the end of its receive
    window (ms): once every clock has passed it, the window check alone refuses a replay."""

    expires_ms: int

    def __new__(cls, value: str, expires_ms: int):
        key = super().__new__(cls, value)
        key.expires_ms = int(expires_ms)
        return key


PRUNE_FROM = 10_000        # used-signature entries per account before expired ones are swept
PRUNE_EVERY = 1_000        # ... and then a sweep every this many claims
HARD_CAP = 1_000_000       # beyond this the oldest are forgotten whatever their window


class signatures_claimed:
    """Context manager: claims the signed messages (refusing a replay) for the request inside it
    and releases them if the request fails, since a refused request changes nothing. Callers hold
    the exchange lock, so two copies of one signed request cannot both pass."""

    def __init__(self, address: str, keys):
        self.address = address
        # off by default: Paradex accepts the same signed message twice (config strict_order_replay)
        self.keys = [k for k in keys if k] if state().config.strict_order_replay else []

    def __enter__(self):
        ex = state().exchange
        acct = ex.accounts.get(self.address)
        self.acct = acct
        self.ex = ex
        if acct is None or not self.keys:
            return self
        if len(set(self.keys)) != len(self.keys) or any(k in acct.used_signatures for k in self.keys):
            raise ExchangeError("INVALID_ORDER_SIGNATURE", "order signature was already used")
        for k in self.keys:
            acct.used_signatures[str(k)] = getattr(k, "expires_ms", 0)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.acct is None or not self.keys:
            return False
        used = self.acct.used_signatures
        if exc_type is not None:
            for k in self.keys:
                used.pop(str(k), None)
            return False
        n = len(used)
        if n >= PRUNE_FROM and n % PRUNE_EVERY < len(self.keys):
            # forget messages whose receive window has closed on every clock; entries without a
            # known window (restored from a snapshot: 0 or 1) are kept
            cutoff = min(self.ex.clock.candidates_ms())
            for k in [k for k, exp in used.items() if 1 < exp < cutoff]:
                del used[k]
            if len(used) > HARD_CAP:
                for k in list(used)[: len(used) - HARD_CAP]:
                    del used[k]
        return False
