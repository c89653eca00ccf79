"""Auth over HTTP (issue 4): onboarding, signed /auth -> JWT, the Bearer seam, signed orders and
every refusal. In-process with the Flask test client; signing with the fast ``StarkSigner``."""
import base64
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starknet_py.constants import FIELD_PRIME

from paradex_mock.venues.paradex.auth import JwtIssuer, JwtVerifier, StarkSigner, stark
from paradex_mock.venues.paradex.auth.typed_data import (auth_message_hash, onboarding_message_hash, order_message_hash,
                                          scale_decimal)
from paradex_mock.config import Config
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.venues.paradex import identity
from paradex_mock.http.app import create_app

KEY_A = 0x5A5A5A5A0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234
KEY_B = 0x0B0B0B0B0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234
MARKET = "BTC-USD-PERP"


@pytest.fixture(scope="module")
def signer_a():
    return StarkSigner(KEY_A)


@pytest.fixture(scope="module")
def signer_b():
    return StarkSigner(KEY_B)


def new_app(**overrides):
    """A manual-clock app; a short history so that it builds in ~20 ms."""
    cfg = dict(clock="manual", seed=42, http_port=0, ws_port=0, backfill_hours=0.5, control="on")
    return create_app(Config(**dict(cfg, **overrides)), start_ticker=False)


@pytest.fixture
def strict_app():
    return new_app(auth_mode="strict")


@pytest.fixture
def strict(strict_app):
    return strict_app.test_client()


def ex_of(client):
    return client.application.extensions["paradex_mock"].exchange


def now_s(client) -> int:
    return ex_of(client).clock.now_ms() // 1000


def now_ms(client) -> int:
    return ex_of(client).clock.now_ms()


def hex_sig(sig: str) -> str:
    """ccxt's form of a signature header: 0x-hex items instead of decimal ones."""
    return json.dumps([hex(int(x)) for x in json.loads(sig)])


def forged_auth_headers(private_key: int, address: int, ts: int, exp: int) -> dict:
    """Auth headers claiming ``address`` but signed with ``private_key``."""
    h = auth_message_hash(address, "PRIVATE_SN_POTC_SEPOLIA", ts, exp)
    r, s = stark.sign(h, private_key)
    return {"PARADEX-STARKNET-ACCOUNT": hex(address), "PARADEX-STARKNET-SIGNATURE": f'["{r}","{s}"]',
            "PARADEX-TIMESTAMP": str(ts), "PARADEX-SIGNATURE-EXPIRATION": str(exp)}


def error_of(resp):
    body = resp.get_json()
    assert set(body) == {"error", "message", "data"}, body
    return resp.status_code, body["error"]


def get_token(client, signer, path=None) -> str:
    ts = now_s(client)
    resp = client.post(path or "/v1/auth", headers=signer.auth_headers(ts, ts + 180))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["jwt_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def limit_body(price="50000", size="0.01", side="BUY", **extra):
    return dict({"market": MARKET, "side": side, "type": "LIMIT", "size": size, "price": price,
                 "instruction": "GTC"}, **extra)


def account_state(client, address: str):
    """What an order could change: balance, every order, open orders, fills, positions, book."""
    ex = ex_of(client)
    with ex.lock:
        a = ex.accounts.get(address)
        book = ex.books[MARKET]
        return (a.balance, sorted(a.orders), sorted(a.open_orders), len(a.fills), sorted(a.positions),
                book.seq_no, dict(a.used_signatures))


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# =============================================================== /auth: the happy paths


def test_auth_paradex_py_style_and_jwt_claims(strict, signer_a):
    """paradex-py: /v1/auth/{public_key}, decimal signature items, expiration now + 24 h."""
    ts = now_s(strict)
    headers = signer_a.auth_headers(ts, ts + 24 * 3600)
    resp = strict.post(f"/v1/auth/{signer_a.public_key_hex}?token_usage=interactive", headers=headers)
    assert resp.status_code == 200 and resp.is_json
    token = resp.get_json()["jwt_token"]
    assert list(resp.get_json()) == ["jwt_token"]

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES384" and header["typ"] == "JWT"
    claims = jwt.decode(token, options={"verify_signature": False})   # as paradex-py reads it
    assert claims["sub"] == signer_a.address_hex
    assert claims["iat"] == ts and claims["exp"] - claims["iat"] == 300
    assert claims["typ"] == "at+JWT" and claims["iss"].startswith("Paradex ")

    # the account was onboarded on the fly with the key that signed (auto_onboard default)
    acct = ex_of(strict).accounts[signer_a.address_hex]
    assert acct.onboarded and int(acct.public_key, 16) == signer_a.public_key

    # paradex-py resends the identical signed /auth (after onboarding): still fine
    again = strict.post(f"/v1/auth/{signer_a.public_key_hex}", headers=headers)
    assert again.status_code == 200
    assert jwt.decode(again.get_json()["jwt_token"], options={"verify_signature": False})["sub"] == claims["sub"]
    assert strict.get("/v1/account", headers=bearer(token)).get_json()["account"] == signer_a.address_hex


def test_auth_ccxt_style(strict, signer_a):
    """ccxt: plain /v1/auth, 0x-hex signature items, expiration now + 180 s, never onboarded."""
    ts = now_s(strict)
    headers = signer_a.auth_headers(ts, ts + 180)
    headers["PARADEX-STARKNET-SIGNATURE"] = hex_sig(headers["PARADEX-STARKNET-SIGNATURE"])
    headers["PARADEX-PARTNER"] = "CCXT"
    resp = strict.post("/v1/auth", headers=headers)
    assert resp.status_code == 200
    token = resp.get_json()["jwt_token"]
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == signer_a.address_hex
    assert strict.get("/v1/balance?", headers=bearer(token)).status_code == 200
    # the same signed headers again, within the window, work too
    assert strict.post("/v1/auth", headers=headers).status_code == 200


def test_jwks_verifies_the_issued_token(strict, signer_a):
    token = get_token(strict, signer_a)
    jwks = strict.get("/v1/jwks.json").get_json()
    (key,) = jwks["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-384" and key["alg"] == "ES384" and "d" not in key
    claims = JwtVerifier(jwks).verify(token, now_s(strict))   # what the WS process does
    assert claims["sub"] == signer_a.address_hex
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]


def test_auth_signed_at_the_window_edges(strict, signer_a):
    ts = now_s(strict)
    # signed a while ago, still unexpired: accepted (clients reuse a signature within its window)
    assert strict.post("/v1/auth", headers=signer_a.auth_headers(ts - 600, ts + 60)).status_code == 200
    # a clock a little ahead of ours (under a minute) is tolerated
    assert strict.post("/v1/auth", headers=signer_a.auth_headers(ts + 30, ts + 210)).status_code == 200
    # a week is the longest allowed validity
    assert strict.post("/v1/auth", headers=signer_a.auth_headers(ts, ts + 7 * 86400)).status_code == 200


# =============================================================== /auth: refusals


def test_auth_refuses_wrong_key(strict, signer_a):
    strict.post("/v1/onboarding", headers=signer_a.onboarding_headers(), json=signer_a.onboarding_body())
    ts = now_s(strict)
    resp = strict.post("/v1/auth", headers=forged_auth_headers(KEY_B, signer_a.address, ts, ts + 180))
    assert error_of(resp) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")


@pytest.mark.parametrize("field", ["PARADEX-TIMESTAMP", "PARADEX-SIGNATURE-EXPIRATION"])
def test_auth_refuses_altered_header(strict, signer_a, field):
    strict.post("/v1/onboarding", headers=signer_a.onboarding_headers(), json=signer_a.onboarding_body())
    ts = now_s(strict)
    headers = signer_a.auth_headers(ts, ts + 180)
    headers[field] = str(int(headers[field]) - 1)     # still inside every window, but not what was signed
    assert error_of(strict.post("/v1/auth", headers=headers)) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")


def test_auth_refuses_expired_window(strict, signer_a):
    ts = now_s(strict)
    resp = strict.post("/v1/auth", headers=signer_a.auth_headers(ts - 3600, ts - 3420))
    assert error_of(resp) == (401, "INVALID_TIMESTAMP")
    assert signer_a.address_hex not in ex_of(strict).accounts


def test_auth_refuses_timestamp_in_the_future(strict, signer_a):
    ts = now_s(strict) + 3600
    assert error_of(strict.post("/v1/auth", headers=signer_a.auth_headers(ts, ts + 180))) == (400, "INVALID_TIMESTAMP")


@pytest.mark.parametrize("ts_delta, exp_delta", [(0, 0), (0, -10), (0, 7 * 86400 + 1)])
def test_auth_refuses_bad_expiration(strict, signer_a, ts_delta, exp_delta):
    ts = now_s(strict) + ts_delta
    resp = strict.post("/v1/auth", headers=signer_a.auth_headers(ts, ts + exp_delta))
    assert error_of(resp) == (400, "INVALID_TIMESTAMP")


@pytest.mark.parametrize("header, value, code", [
    ("PARADEX-STARKNET-ACCOUNT", None, "INVALID_STARKNET_ADDRESS"),
    ("PARADEX-STARKNET-ACCOUNT", "", "INVALID_STARKNET_ADDRESS"),
    ("PARADEX-STARKNET-ACCOUNT", "0xnothex", "INVALID_STARKNET_ADDRESS"),
    ("PARADEX-STARKNET-ACCOUNT", hex(2 ** 251), "INVALID_STARKNET_ADDRESS"),
    ("PARADEX-STARKNET-SIGNATURE", None, "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", "garbage", "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", '["1"]', "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", '["0x", "1"]', "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", '["1", "2", "3"]', "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", '{"r": 1, "s": 2}', "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-STARKNET-SIGNATURE", '["0", "1"]', "INVALID_STARKNET_SIGNATURE"),
    ("PARADEX-TIMESTAMP", None, "INVALID_TIMESTAMP"),
    ("PARADEX-TIMESTAMP", "yesterday", "INVALID_TIMESTAMP"),
    ("PARADEX-TIMESTAMP", "1.5", "INVALID_TIMESTAMP"),
    ("PARADEX-SIGNATURE-EXPIRATION", "soon", "INVALID_TIMESTAMP"),
])
def test_auth_refuses_missing_or_garbage_headers(strict, signer_a, header, value, code):
    ts = now_s(strict)
    headers = signer_a.auth_headers(ts, ts + 180)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    resp = strict.post("/v1/auth", headers=headers)
    assert error_of(resp) == (400, code)
    assert signer_a.address_hex not in ex_of(strict).accounts


def test_auth_with_no_headers_at_all(strict):
    assert error_of(strict.post("/v1/auth")) == (400, "INVALID_STARKNET_ADDRESS")


@pytest.mark.parametrize("mode", ["strict", "permissive"])
def test_unknown_account_without_auto_onboard_is_not_onboarded(signer_a, mode):
    client = new_app(auth_mode=mode, auto_onboard=False).test_client()
    ts = now_s(client)
    headers = signer_a.auth_headers(ts, ts + 24 * 3600)
    for path in ("/v1/auth", f"/v1/auth/{signer_a.public_key_hex}"):
        resp = client.post(path, headers=headers)
        assert error_of(resp) == (400, "NOT_ONBOARDED")
        assert "NOT_ONBOARDED" in resp.get_data(as_text=True)   # what paradex-py's bootstrap looks for
    assert signer_a.address_hex not in ex_of(client).accounts

    # paradex-py's answer: onboard, then resend the very same signed /auth
    resp = client.post("/v1/onboarding", headers=signer_a.onboarding_headers(), json=signer_a.onboarding_body())
    assert resp.status_code == 200 and resp.get_data() == b""
    resp = client.post(f"/v1/auth/{signer_a.public_key_hex}", headers=headers)
    assert resp.status_code == 200
    assert client.post("/v1/auth", headers=headers).status_code == 200


def test_unknown_account_whose_key_does_not_derive_the_address(strict, signer_a, signer_b):
    """auto_onboard on: the key recovered from the signature must derive the claimed address."""
    ts = now_s(strict)
    resp = strict.post("/v1/auth", headers=forged_auth_headers(KEY_B, signer_a.address, ts, ts + 180))
    assert error_of(resp) == (400, "NOT_ONBOARDED")
    # naming the signing key in the path does not help either
    resp = strict.post(f"/v1/auth/{signer_b.public_key_hex}",
                       headers=forged_auth_headers(KEY_B, signer_a.address, ts, ts + 180))
    assert error_of(resp) == (400, "NOT_ONBOARDED")
    # and a path key that did not sign is a bad signature
    resp = strict.post(f"/v1/auth/{signer_b.public_key_hex}", headers=signer_a.auth_headers(ts, ts + 180))
    assert error_of(resp) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")
    assert signer_a.address_hex not in ex_of(strict).accounts


def test_auth_path_key_must_be_the_accounts_key(strict, signer_a, signer_b):
    get_token(strict, signer_a)    # onboards A
    ts = now_s(strict)
    headers = signer_a.auth_headers(ts, ts + 180)
    assert error_of(strict.post(f"/v1/auth/{signer_b.public_key_hex}", headers=headers)) == (401, "INVALID_SUBKEY")
    assert error_of(strict.post("/v1/auth/0xnothex", headers=headers)) == (400, "PUBLIC_KEY_INVALID")
    assert strict.post(f"/v1/auth/{signer_a.public_key_hex}", headers=headers).status_code == 200


# =============================================================== onboarding


def test_onboarding_and_get_onboarding(strict, signer_a):
    cfg = strict.application.extensions["paradex_mock"].venue_state["paradex"].system_config
    query = f"/v1/onboarding?account_signer_type=starknet&public_key={signer_a.public_key_hex}"
    before = strict.get(query)
    assert before.status_code == 200
    assert before.get_json() == {
        "account_signer_type": "starknet", "address": signer_a.address_hex, "exists": False,
        "derivation_info": {"class_hash": cfg["paraclear_account_hash"],
                            "proxy_class_hash": cfg["paraclear_account_proxy_hash"]},
    }
    headers = signer_a.onboarding_headers()
    headers["PARADEX-STARKNET-SIGNATURE"] = hex_sig(headers["PARADEX-STARKNET-SIGNATURE"])  # ccxt's form
    for _ in range(2):   # idempotent
        resp = strict.post("/v1/onboarding", headers=headers, json=signer_a.onboarding_body())
        assert resp.status_code == 200 and resp.get_data() == b""
    assert strict.get(query).get_json()["exists"] is True
    assert strict.get(f"/v1/onboarding?public_key={signer_a.public_key}").get_json()["exists"] is True
    acct = ex_of(strict).accounts[signer_a.address_hex]
    assert acct.onboarded and acct.public_key == signer_a.public_key_hex


def test_onboarding_refuses_bad_signature(strict, signer_a):
    h = onboarding_message_hash(signer_a.address, "PRIVATE_SN_POTC_SEPOLIA")
    r, s = stark.sign(h, KEY_B)                       # signed by another key
    headers = dict(signer_a.onboarding_headers(), **{"PARADEX-STARKNET-SIGNATURE": f'["{r}","{s}"]'})
    resp = strict.post("/v1/onboarding", headers=headers, json=signer_a.onboarding_body())
    assert error_of(resp) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")
    # a signature over another message (the auth one) by the right key
    ts = now_s(strict)
    headers["PARADEX-STARKNET-SIGNATURE"] = signer_a.auth_headers(ts, ts + 180)["PARADEX-STARKNET-SIGNATURE"]
    resp = strict.post("/v1/onboarding", headers=headers, json=signer_a.onboarding_body())
    assert error_of(resp) == (401, "STARKNET_SIGNATURE_VERIFICATION_FAILED")
    assert signer_a.address_hex not in ex_of(strict).accounts


def test_onboarding_refuses_key_that_does_not_derive_the_address(strict, signer_a, signer_b):
    # B really signs A's onboarding message and offers its own key: the signature is fine, the
    # address is not B's
    h = onboarding_message_hash(signer_a.address, "PRIVATE_SN_POTC_SEPOLIA")
    r, s = stark.sign(h, KEY_B)
    headers = dict(signer_a.onboarding_headers(), **{"PARADEX-STARKNET-SIGNATURE": f'["{r}","{s}"]'})
    resp = strict.post("/v1/onboarding", headers=headers, json=signer_b.onboarding_body())
    assert error_of(resp) == (400, "INVALID_STARKNET_ADDRESS")
    assert signer_a.address_hex not in ex_of(strict).accounts


@pytest.mark.parametrize("body, code", [
    ({}, "PUBLIC_KEY_INVALID"),
    ({"public_key": "0xzz"}, "PUBLIC_KEY_INVALID"),
    ({"public_key": 12}, "PUBLIC_KEY_INVALID"),
    ([], "BINDING_ERROR"),
])
def test_onboarding_refuses_bad_body(strict, signer_a, body, code):
    assert error_of(strict.post("/v1/onboarding", headers=signer_a.onboarding_headers(), json=body))[1] == code


def test_get_onboarding_needs_a_public_key(strict):
    assert error_of(strict.get("/v1/onboarding")) == (400, "INVALID_REQUEST_PARAMETER")
    assert error_of(strict.get("/v1/onboarding?public_key=nope")) == (400, "PUBLIC_KEY_INVALID")


# =============================================================== the Bearer seam


def assert_jwt_refused(resp):
    """The JWT middleware's 401: a message and no ``error`` key."""
    assert resp.status_code == 401
    body = resp.get_json()
    assert list(body) == ["message"], body
    assert body["message"].startswith("missing or malformed jwt")


@pytest.fixture(params=["strict", "permissive"])
def any_mode(request):
    return new_app(auth_mode=request.param).test_client()


def test_valid_token_selects_its_account(any_mode, signer_a):
    token = get_token(any_mode, signer_a)
    ex_of(any_mode).fund(signer_a.address_hex, "5")
    resp = any_mode.get("/v1/balance", headers=bearer(token))
    assert resp.status_code == 200 and resp.get_json()["results"][0]["size"] == "100005"
    assert any_mode.get("/v1/account", headers=bearer(token)).get_json()["account"] == signer_a.address_hex


def test_forged_token_is_refused(any_mode, signer_a):
    get_token(any_mode, signer_a)
    issuer = any_mode.application.extensions["paradex_mock"].venue_state["paradex"].jwt_issuer
    now = now_s(any_mode)
    other = JwtIssuer().issue(signer_a.address_hex, now)                    # another key, its own kid
    assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(other)))
    same_kid = JwtIssuer(kid=issuer.kid).issue(signer_a.address_hex, now)    # another key, our kid
    assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(same_kid)))
    # our token with its subject swapped
    h, p, s = issuer.issue(signer_a.address_hex, now).split(".")
    swapped = b64({"typ": "at+JWT", "exp": now + 300, "iat": now, "iss": "Paradex testnet", "sub": DEMO_ACCOUNT})
    assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(f"{h}.{swapped}.{s}")))


def test_expired_token_is_refused(any_mode, signer_a):
    token = get_token(any_mode, signer_a)
    clock = ex_of(any_mode).clock
    clock.advance(299_000)
    assert any_mode.get("/v1/balance", headers=bearer(token)).status_code == 200
    clock.advance(1_000)                                                     # now == exp
    resp = any_mode.get("/v1/balance", headers=bearer(token))
    assert_jwt_refused(resp)
    assert "expired" in resp.get_json()["message"]


def test_alg_none_and_hs256_tokens_are_refused(any_mode, signer_a):
    get_token(any_mode, signer_a)
    issuer = any_mode.application.extensions["paradex_mock"].venue_state["paradex"].jwt_issuer
    now = now_s(any_mode)
    claims = {"typ": "at+JWT", "exp": now + 300, "iat": now, "iss": "Paradex testnet", "sub": signer_a.address_hex}
    for alg in ("none", "None"):
        token = f"{b64({'alg': alg, 'typ': 'JWT', 'kid': issuer.kid})}.{b64(claims)}."
        assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(token)))
    # HS256 with a secret of our own, and keyed with the server's public key (key confusion)
    assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(
        jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256", headers={"kid": issuer.kid}))))
    public_pem = issuer._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.kid})}.{b64(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_jwt_refused(any_mode.get("/v1/balance", headers=bearer(f"{signing_input}.{b64(mac)}")))


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer abc", "Bearer a.b.c", "Bearer ...",
                                   "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJFUzM4NCJ9.e30.AAAA", "token"])
def test_garbage_tokens_are_refused_never_the_demo_account(any_mode, value):
    resp = any_mode.get("/v1/balance", headers={"Authorization": value})
    assert_jwt_refused(resp)
    # and on a write: no order reaches the demo account
    demo = ex_of(any_mode).accounts.get(DEMO_ACCOUNT)     # strict mode has none
    before = len(demo.orders) if demo else 0
    assert_jwt_refused(any_mode.post("/v1/orders", headers={"Authorization": value}, json=limit_body()))
    assert len(demo.orders) == before if demo else DEMO_ACCOUNT not in ex_of(any_mode).accounts


def test_missing_token(strict):
    app = new_app()                                   # permissive: the demo account, as curl needs
    resp = app.test_client().get("/v1/account")
    assert resp.status_code == 200 and resp.get_json()["account"] == DEMO_ACCOUNT
    for path in ("/v1/balance", "/v1/account", "/v1/orders", "/v1/positions", "/v1/fills"):
        resp = strict.get(path)
        assert_jwt_refused(resp)
        assert resp.get_json() == {"message": "missing or malformed jwt"}
    assert_jwt_refused(strict.post("/v1/orders", json=limit_body()))
    assert_jwt_refused(strict.delete("/v1/orders"))


def test_token_of_a_forgotten_account_is_refused(strict, signer_a):
    token = get_token(strict, signer_a)
    with ex_of(strict).lock:
        del ex_of(strict).accounts[signer_a.address_hex]     # e.g. after a reset
    resp = strict.get("/v1/balance", headers=bearer(token))
    assert resp.status_code == 401 and "error" not in resp.get_json()


# =============================================================== order signatures


@pytest.fixture
def trader(strict, signer_a):
    """(client, signer, auth headers) for account A, authenticated in strict mode."""
    return strict, signer_a, bearer(get_token(strict, signer_a))


@pytest.fixture
def replay_trader(signer_a):
    """``trader`` on a mock with ``strict_order_replay`` on (Paradex has no such rule)."""
    client = new_app(auth_mode="strict", strict_order_replay=True).test_client()
    return client, signer_a, bearer(get_token(client, signer_a))


def test_identical_signed_orders_are_both_accepted(trader):
    """Paradex's replay protection is recv_window on signature_timestamp: the same signed order
    sent twice (ccxt in one second, a batch with two equal legs) places two orders."""
    client, signer, auth = trader
    body = signer.sign_order(limit_body(), now_ms(client))
    first = client.post("/v1/orders", headers=auth, json=body)
    second = client.post("/v1/orders", headers=auth, json=body)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    resp = client.post("/v1/orders/batch", headers=auth, json=[body, body])
    assert resp.status_code == 201 and len(resp.get_json()["orders"]) == 2
    acct = ex_of(client).accounts[signer.address_hex]
    assert len(acct.open_orders) == 4 and acct.used_signatures == {}
    # a duplicate client_id of an open order is still refused, signed the same or not
    with_cid = signer.sign_order(limit_body(client_id="dup"), now_ms(client))
    assert client.post("/v1/orders", headers=auth, json=with_cid).status_code == 201
    assert error_of(client.post("/v1/orders", headers=auth, json=with_cid)) == (400, "DUPLICATED_CLIENT_ID")
    assert len(acct.open_orders) == 5


def test_signed_order_is_accepted(trader):
    client, signer, auth = trader
    body = signer.sign_order(limit_body(client_id="c1"), now_ms(client))
    resp = client.post("/v1/orders", headers=auth, json=body)
    assert resp.status_code == 201, resp.get_json()
    order = resp.get_json()
    assert order["account"] == signer.address_hex and order["timestamp"] == body["signature_timestamp"]
    # hex signature items and a PY-style body (nulls, empty client id) work too
    body = signer.sign_order(limit_body(price="50001", recv_window=None, stp=None), now_ms(client))
    body["signature"] = hex_sig(body["signature"])
    assert client.post("/v1/orders", headers=auth, json=body).status_code == 201
    # a market order signs price 0 whatever the body says
    market = signer.sign_order({"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.001"}, now_ms(client))
    assert client.post("/v1/orders", headers=auth, json=market).status_code == 201
    assert len(ex_of(client).accounts[signer.address_hex].fills) == 1


def test_unsigned_order_is_refused_for_a_token(trader):
    client, signer, auth = trader
    before = account_state(client, signer.address_hex)
    for body in (limit_body(), dict(limit_body(), signature="", signature_timestamp=now_ms(client)),
                 dict(signer.sign_order(limit_body(), now_ms(client)), signature_timestamp=None)):
        assert error_of(client.post("/v1/orders", headers=auth, json=body)) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before


def test_order_signed_by_another_key_is_refused(trader, signer_b):
    client, signer, auth = trader
    before = account_state(client, signer.address_hex)
    ts = now_ms(client)
    # B signs the very message A would sign
    h = order_message_hash(signer.address, "PRIVATE_SN_POTC_SEPOLIA", ts, MARKET, "BUY", "LIMIT", "0.01", "50000")
    r, s = stark.sign(h, KEY_B)
    body = dict(limit_body(), signature=f'["{r}","{s}"]', signature_timestamp=ts)
    assert error_of(client.post("/v1/orders", headers=auth, json=body)) == (400, "INVALID_ORDER_SIGNATURE")
    # B's own valid order, sent with A's token
    body = signer_b.sign_order(limit_body(), ts)
    assert error_of(client.post("/v1/orders", headers=auth, json=body)) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before


@pytest.mark.parametrize("field, value", [
    ("price", "50000.1"), ("price", "49999"), ("size", "0.02"), ("side", "SELL"), ("type", "POST_ONLY_NOPE"),
    ("market", "ETH-USD-PERP"), ("signature_timestamp", "+1"),
])
def test_order_altered_after_signing_is_refused(trader, field, value):
    client, signer, auth = trader
    before = account_state(client, signer.address_hex)
    body = signer.sign_order(limit_body(), now_ms(client))
    body[field] = body[field] + 1 if value == "+1" else value
    resp = client.post("/v1/orders", headers=auth, json=body)
    assert error_of(resp) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before


def test_stale_and_future_signatures_are_refused(trader):
    client, signer, auth = trader
    before = account_state(client, signer.address_hex)
    now = now_ms(client)
    for ts, window in ((now - 301_000, None), (now - 2_000, 1_000), (now + 120_000, None)):
        body = signer.sign_order(limit_body(recv_window=window), ts)
        assert error_of(client.post("/v1/orders", headers=auth, json=body)) == (400, "INVALID_TIMESTAMP")
    assert account_state(client, signer.address_hex) == before
    # an old signature inside a longer receive window is fine
    body = signer.sign_order(limit_body(recv_window=600_000), now - 400_000)
    assert client.post("/v1/orders", headers=auth, json=body).status_code == 201
    # recv_window below Paradex's 10 ms minimum
    body = signer.sign_order(limit_body(price="50002", recv_window=5), now)
    assert error_of(client.post("/v1/orders", headers=auth, json=body))[1] == "VALIDATION_ERROR"


def test_replayed_order_is_refused_and_changes_nothing(replay_trader):
    client, signer, auth = replay_trader
    body = signer.sign_order(limit_body(), now_ms(client))
    assert client.post("/v1/orders", headers=auth, json=body).status_code == 201
    before = account_state(client, signer.address_hex)
    resp = client.post("/v1/orders", headers=auth, json=body)
    assert error_of(resp) == (400, "INVALID_ORDER_SIGNATURE") and "already used" in resp.get_json()["message"]
    # the same signed message under the other valid encoding of its signature (r, n - s)
    r, s = json.loads(body["signature"])
    flipped = dict(body, signature=json.dumps([r, str(stark.EC_ORDER - int(s))]))
    assert error_of(client.post("/v1/orders", headers=auth, json=flipped)) == (400, "INVALID_ORDER_SIGNATURE")
    # hex items of the same signature, and a different client_id (not signed) are the same message
    for variant in (dict(body, signature=hex_sig(body["signature"])), dict(body, client_id="x")):
        assert error_of(client.post("/v1/orders", headers=auth, json=variant)) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before


def test_replay_memory_forgets_only_closed_windows(replay_trader, monkeypatch):
    monkeypatch.setattr(identity, "PRUNE_FROM", 3)
    monkeypatch.setattr(identity, "PRUNE_EVERY", 1)
    client, signer, auth = replay_trader
    used = ex_of(client).accounts[signer.address_hex].used_signatures
    now = now_ms(client)
    used.update({"closed-1": now - 1_000, "closed-2": now - 5_000, "open": now + 60_000, "restored": 1})
    body = signer.sign_order(limit_body(), now)
    assert client.post("/v1/orders", headers=auth, json=body).status_code == 201
    assert set(used) - {"open", "restored"} == {k for k, v in used.items() if v == now + 300_000}
    assert len(used) == 3
    assert error_of(client.post("/v1/orders", headers=auth, json=body)) == (400, "INVALID_ORDER_SIGNATURE")


@pytest.mark.parametrize("field, value", [("size", "1e999999999"), ("price", "1E+99999999"), ("size", "1e-99999999")])
def test_absurd_amounts_in_a_signed_order_are_refused_at_once(trader, field, value):
    """Hashing must not build a billion-digit integer (it used to: seconds to forever per request)."""
    client, signer, auth = trader
    body = dict(signer.sign_order(limit_body(), now_ms(client)), **{field: value})
    resp = client.post("/v1/orders", headers=auth, json=body)
    assert error_of(resp)[0] == 400
    oid = client.post("/v1/orders", headers=auth, json=signer.sign_order(limit_body(), now_ms(client))).get_json()["id"]
    change = dict(signer.sign_modify(dict(limit_body(price="50100"), id=oid), now_ms(client)), **{field: value})
    put = client.put(f"/v1/orders/{oid}", headers=auth, json=change)     # modify hashes inside the lock
    assert error_of(put) == (400, "INVALID_ORDER_SIGNATURE")
    for amount in (value, "1e76", str(FIELD_PRIME)):
        with pytest.raises(ValueError):
            scale_decimal(amount)
    assert scale_decimal("0.00000001") == 1 and scale_decimal("1e3") == 100_000_000_000 and scale_decimal("-0") == 0


def test_refused_order_does_not_burn_its_signature(replay_trader):
    client, signer, auth = replay_trader
    body = signer.sign_order(limit_body(size="100000"), now_ms(client))   # far beyond the margin / max size
    first = error_of(client.post("/v1/orders", headers=auth, json=body))
    assert first[1] != "INVALID_ORDER_SIGNATURE"
    assert error_of(client.post("/v1/orders", headers=auth, json=body)) == first
    assert ex_of(client).accounts[signer.address_hex].used_signatures == {}


def test_batch_is_refused_whole_on_one_bad_signature_or_a_duplicate(trader):
    client, signer, auth = trader
    now = now_ms(client)
    good = signer.sign_order(limit_body(price="50000"), now)
    bad = dict(signer.sign_order(limit_body(price="50001"), now), price="50002")
    before = account_state(client, signer.address_hex)
    assert error_of(client.post("/v1/orders/batch", headers=auth, json=[good, bad])) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before


def test_strict_replay_refuses_a_batch_with_two_equal_legs(replay_trader):
    client, signer, auth = replay_trader
    good = signer.sign_order(limit_body(price="50000"), now_ms(client))
    before = account_state(client, signer.address_hex)
    assert error_of(client.post("/v1/orders/batch", headers=auth, json=[good, good])) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before
    other = signer.sign_order(limit_body(price="50001"), now_ms(client))
    resp = client.post("/v1/orders/batch", headers=auth, json=[good, other])
    assert resp.status_code == 201 and len(resp.get_json()["orders"]) == 2
    assert error_of(client.post("/v1/orders/batch", headers=auth, json=[other])) == (400, "INVALID_ORDER_SIGNATURE")


def test_modify_needs_a_modify_order_signature(trader):
    client, signer, auth = trader
    created = client.post("/v1/orders", headers=auth, json=signer.sign_order(limit_body(), now_ms(client))).get_json()
    oid = created["id"]
    before = account_state(client, signer.address_hex)
    change = dict(limit_body(price="50100"), id=oid)
    wrong_kind = signer.sign_order(change, now_ms(client))                       # an Order, not a ModifyOrder
    other_id = signer.sign_modify(dict(change, id=str(int(oid) + 1)), now_ms(client))
    other_id["id"] = oid
    altered = dict(signer.sign_modify(change, now_ms(client)), price="50200")
    for body in (wrong_kind, other_id, altered, dict(change, signature_timestamp=now_ms(client))):
        assert error_of(client.put(f"/v1/orders/{oid}", headers=auth, json=body)) == (400, "INVALID_ORDER_SIGNATURE")
    assert account_state(client, signer.address_hex) == before
    good = signer.sign_modify(change, now_ms(client))
    resp = client.put(f"/v1/orders/{oid}", headers=auth, json=good)
    assert resp.status_code == 200 and resp.get_json()["price"] == "50100"
    again = client.put(f"/v1/orders/{oid}", headers=auth, json=good)    # no replay rule: the same change again
    assert again.status_code == 200 and again.get_json()["price"] == "50100"


def test_demo_account_trades_unsigned_but_a_bad_signature_is_still_refused():
    client = new_app().test_client()                  # permissive, no Authorization header
    assert client.post("/v1/orders", json=limit_body()).status_code == 201
    bad = dict(StarkSigner(KEY_B).sign_order(limit_body(), now_ms(client)))
    assert error_of(client.post("/v1/orders", json=bad)) == (400, "INVALID_ORDER_SIGNATURE")


# =============================================================== account A vs account B


def test_account_cannot_touch_another_accounts_orders(strict, signer_a, signer_b):
    auth_a, auth_b = bearer(get_token(strict, signer_a)), bearer(get_token(strict, signer_b))
    created = strict.post("/v1/orders", headers=auth_a,
                          json=signer_a.sign_order(limit_body(client_id="a-1"), now_ms(strict)))
    assert created.status_code == 201
    oid = created.get_json()["id"]
    before = account_state(strict, signer_a.address_hex)

    assert error_of(strict.get(f"/v1/orders/{oid}", headers=auth_b)) == (400, "ORDER_ID_NOT_FOUND")
    assert error_of(strict.delete(f"/v1/orders/{oid}", headers=auth_b)) == (400, "ORDER_ID_NOT_FOUND")
    assert error_of(strict.get("/v1/orders/by_client_id/a-1", headers=auth_b))[1] == "CLIENT_ORDER_ID_NOT_FOUND"
    assert error_of(strict.delete("/v1/orders/by_client_id/a-1", headers=auth_b))[1] == "CLIENT_ORDER_ID_NOT_FOUND"
    modify = signer_b.sign_modify(dict(limit_body(price="50100"), id=oid), now_ms(strict))
    assert error_of(strict.put(f"/v1/orders/{oid}", headers=auth_b, json=modify)) == (400, "ORDER_ID_NOT_FOUND")
    batch = strict.delete("/v1/orders/batch", headers=auth_b, json={"order_ids": [oid], "client_order_ids": ["a-1"]})
    assert [r["status"] for r in batch.get_json()["results"]] == ["NOT_FOUND", "NOT_FOUND"]
    assert strict.delete(f"/v1/orders?market={MARKET}", headers=auth_b).status_code == 200
    assert strict.delete("/v1/orders", headers=auth_b).status_code == 200
    assert strict.get("/v1/orders", headers=auth_b).get_json()["results"] == []
    assert strict.get("/v1/orders-history", headers=auth_b).get_json()["results"] == []

    assert account_state(strict, signer_a.address_hex) == before
    mine = strict.get(f"/v1/orders/{oid}", headers=auth_a).get_json()
    assert mine["status"] == "OPEN" and mine["cancel_reason"] == ""
    assert [o["id"] for o in strict.get("/v1/orders", headers=auth_a).get_json()["results"]] == [oid]
    assert strict.delete(f"/v1/orders/{oid}", headers=auth_a).status_code == 204
