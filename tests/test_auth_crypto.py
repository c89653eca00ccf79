"""Auth crypto: typed-data hashes (fact sheet 9.7 vectors), STARK ECDSA, JWTs, client signer."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from starknet_py.constants import EC_ORDER, FIELD_PRIME
from starknet_py.hash.utils import message_signature, verify_message_signature

from paradex_mock.venues.paradex.auth import (
    InvalidJwt,
    JwtIssuer,
    JwtVerifier,
    SignatureFormatError,
    StarkSigner,
    auth_message_hash,
    derive_address,
    encode_felt,
    modify_order_message_hash,
    onboarding_message_hash,
    order_message_hash,
    parse_signature,
    public_key_from_private,
    recover_account_public_key,
    recover_public_keys,
    scale_decimal,
    short_string,
    verify,
)
from paradex_mock.venues.paradex.auth import stark, typed_data

ROOT = Path(__file__).resolve().parents[1]

TESTNET = "PRIVATE_SN_POTC_SEPOLIA"
MAINNET = "PRIVATE_SN_PARACLEAR_MAINNET"
PROXY_HASH = 0x3530CC4759D78042F1B543BF797F5F3D647CDE0388C33734CF91B7F7B9314A9
ACCOUNT_HASH = 0x41CB0280EBADAA75F996D8D92C6F265F6D040BB3BA442E5F86A554F1765244E

# Fact sheet 9.7
PRIV = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDE
PUB = 0x2A8249E10DF5670294C078C3A04F32ED60087E5EE8A3457FA29ED0C0E366BFC
ADDR = 0x3A5E6CA3F7D55722BFB79595C96BD41DBA9980FE2ABF5C0577591A135EC6DC4
AUTH_HASH = 0x71C14D609005BCC10F58522DF64F4B2A50C360D11793B38428767C097B4325D
AUTH_R = 2550740701893668370899985008319498724206164829435106656870879380923144152379
AUTH_S = 204917582423899556502731363288923654282537465973933878821001039382711642274
AUTH_SIG = f'["{AUTH_R}","{AUTH_S}"]'
ORDER_ID = "1700000000000201703989430000"


@pytest.fixture(scope="module")
def signer():
    return StarkSigner(PRIV)


# ------------------------------------------------------------------ typed data


def test_type_hashes():
    assert typed_data.DOMAIN_TYPE_HASH == 0x98D1932052FC5137543DE5ED85B7A88555A4CD1FF5D5BFEDB62ED9B9A1F0DB
    assert typed_data.REQUEST_TYPE_HASH == 0x186CDEF6B179923C411C13C11B8A825F12BF34203BDDA0A984DA9D6F2313C2
    assert typed_data.ORDER_TYPE_HASH == 0xA56D5225B97B257C15AE2CB1CC0EA605381A886CD75463DB45FD2EF9FBC255
    assert typed_data.MODIFY_ORDER_TYPE_HASH == 0x201789BB587C17B251FD38DAF43B14807010EA721C2929A8C2FC33BF15C2E2C
    assert typed_data.CONSTANT_TYPE_HASH == 0xE84BBCB68E0F7C73A9058BA82B6DA9C1FFDC502EFCF034E78B0C003C22ECC9
    assert typed_data.type_hash("Order", ("timestamp", "market", "side", "orderType", "size", "price")) == (
        typed_data.ORDER_TYPE_HASH
    )


def test_chain_id_felts():
    assert encode_felt(MAINNET) == 0x505249564154455F534E5F50415241434C4541525F4D41494E4E4554
    assert encode_felt(TESTNET) == 0x505249564154455F534E5F504F54435F5345504F4C4941
    assert encode_felt("PRIVATE_SN_PARACLEAR_TESTNET") == 0x505249564154455F534E5F50415241434C4541525F544553544E4554


def test_auth_hashes():
    assert auth_message_hash(ADDR, TESTNET, 1700000000, 1700000180) == AUTH_HASH
    # Header values arrive as strings; the hex account form is the same felt.
    assert auth_message_hash(hex(ADDR), TESTNET, "1700000000", "1700000180") == AUTH_HASH
    assert auth_message_hash(ADDR, MAINNET, 1700000000, 1700000180) == (
        0x34A1F54E8451631B5A1BFAA5EF4FC7B2429C1850D757CA5A6DEAA2809A32780
    )
    assert auth_message_hash(ADDR, TESTNET, 1700000000, 1700000181) != AUTH_HASH
    # paradex-py's chain id form (hex of the string) gives the same domain.
    assert auth_message_hash(ADDR, hex(encode_felt(TESTNET)), 1700000000, 1700000180) == AUTH_HASH


def test_onboarding_hash():
    assert onboarding_message_hash(ADDR, TESTNET) == 0x404780A4CB1F594F0A34BE2929532DA5197620A7A0FD45D9C3EB0F45D658E


def test_order_hashes():
    btc = 0x1378AEA7D02D0772C7B4574A7747A6DE1413296EF57457A4630078762DBD660
    assert order_message_hash(ADDR, TESTNET, 1700000000000, "BTC-USD-PERP", "BUY", "LIMIT", "0.1", "30000") == btc
    # Decimal inputs, trailing zeros and ccxt's hex market are the same felts.
    assert order_message_hash(
        ADDR, TESTNET, 1700000000000, hex(short_string("BTC-USD-PERP")), "BUY", "LIMIT",
        Decimal("0.100"), Decimal("30000.00000000000"),
    ) == btc
    eth = 0x6569942E682A4DD7737058842836A7CBCBDBF4CECB9BEB07817FBA0849B1F7D
    assert order_message_hash(ADDR, TESTNET, 1700000000000, "ETH-USD-PERP", "SELL", "MARKET", "1.5", None) == eth
    assert order_message_hash(ADDR, TESTNET, 1700000000000, "ETH-USD-PERP", "SELL", "MARKET", "1.5", "0") == eth
    assert order_message_hash(ADDR, TESTNET, 1700000000000, "ETH-USD-PERP", "BUY", "MARKET", "1.5", "0") != eth


def test_modify_hash():
    assert modify_order_message_hash(
        ADDR, TESTNET, 1700000000000, "BTC-USD-PERP", "BUY", "LIMIT", "0.1", "30000", ORDER_ID
    ) == 0x627655A83178BC84F675E2E5DB41BA39A3C446B4F802F387A9806D499798FAD


def test_order_hash_rejects_bad_amounts_and_side():
    args = (ADDR, TESTNET, 1700000000000, "BTC-USD-PERP")
    with pytest.raises(ValueError):
        order_message_hash(*args, "BUY", "LIMIT", "0.000000001", "30000")  # 9 decimals
    with pytest.raises(ValueError):
        order_message_hash(*args, "BUY", "LIMIT", "0.1", "30000.123456789")
    with pytest.raises(ValueError):
        order_message_hash(*args, "buy", "LIMIT", "0.1", "30000")
    with pytest.raises(ValueError):
        order_message_hash(*args, "BUY", "LIMIT", "-0.1", "30000")
    with pytest.raises(ValueError):
        order_message_hash(*args, "BUY", "LIMIT", "abc", "30000")


def test_encode_felt_edge_cases():
    assert encode_felt("") == 0
    assert encode_felt(0) == 0
    assert encode_felt(123) == 123
    assert encode_felt("123") == 123
    assert encode_felt("0x1f") == 31
    assert encode_felt("a") == 0x61
    assert encode_felt("LIMIT") == 0x4C494D4954
    assert encode_felt("/v1/auth") == int.from_bytes(b"/v1/auth", "big")
    assert encode_felt("1.5") == int.from_bytes(b"1.5", "big")  # not all digits: a short string
    assert encode_felt("x" * 31) == int.from_bytes(b"x" * 31, "big")
    assert encode_felt(FIELD_PRIME - 1) == FIELD_PRIME - 1
    for bad in ("x" * 32, "BTC-USD-PERP\u00e9", "\u0661\u0662", "0xZZ", -1, FIELD_PRIME, 1.5, None, b"ab"):
        with pytest.raises(ValueError):
            encode_felt(bad)


def test_scale_decimal():
    assert scale_decimal("0.1") == 10_000_000
    assert scale_decimal("30000") == 3_000_000_000_000
    assert scale_decimal(Decimal("1.50000000000")) == 150_000_000
    assert scale_decimal("0.00000001") == 1
    assert scale_decimal(None) == 0
    assert scale_decimal("0") == 0
    assert scale_decimal(7) == 700_000_000
    # More digits than the default Decimal context precision: must not be rounded.
    assert scale_decimal("123456789012345678901234567890.12345678") == 12345678901234567890123456789012345678
    for bad in ("0.000000001", "1e-9", "NaN", "Infinity", "-1", "", "1,5", True):
        with pytest.raises(ValueError):
            scale_decimal(bad)


# ------------------------------------------------------------------ ECDSA


def test_public_key_and_address():
    assert public_key_from_private(PRIV) == PUB
    assert derive_address(PUB, PROXY_HASH, ACCOUNT_HASH) == ADDR
    assert stark.INITIALIZE_SELECTOR == 0x79DC0DA7C54B95F10AA182AD0A46400DB63156920ADB65ECA2654C0945A463
    with pytest.raises(ValueError):
        public_key_from_private(0)


def test_parse_signature_forms():
    assert parse_signature(AUTH_SIG) == (AUTH_R, AUTH_S)
    assert parse_signature(json.dumps([hex(AUTH_R), hex(AUTH_S)])) == (AUTH_R, AUTH_S)  # ccxt form
    assert parse_signature([str(AUTH_R), hex(AUTH_S)]) == (AUTH_R, AUTH_S)
    assert parse_signature([AUTH_R, AUTH_S]) == (AUTH_R, AUTH_S)
    assert parse_signature(f'[ "{AUTH_R}" , "{AUTH_S}" ]') == (AUTH_R, AUTH_S)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not json",
        "{}",
        '"123"',
        "[]",
        '["1"]',
        '["1","2","3"]',
        '["1", null]',
        '["1", true]',
        '["1", 2.5]',
        '["1", "abc"]',
        '["1", "-5"]',
        '["1", "+5"]',
        '["1", "1_000"]',
        '["1", " 5"]',
        '["1", "0x"]',
        '["1", "0xg1"]',
        '["0", "1"]',
        '["1", "0x0"]',
        f'["1", "{EC_ORDER}"]',
        f'["1", "{hex(2**256)}"]',
        '["1", "' + "9" * 100 + '"]',
        '["1", ["2"]]',
        None,
        123,
        ["1"],
        [1, -1],
        [True, 1],
        {"r": "1", "s": "2"},
    ],
)
def test_parse_signature_rejects(bad):
    with pytest.raises(SignatureFormatError):
        parse_signature(bad)
    assert issubclass(SignatureFormatError, ValueError)


def test_verify_vector_signature():
    assert verify(AUTH_HASH, AUTH_R, AUTH_S, PUB)
    assert verify_message_signature(AUTH_HASH, [AUTH_R, AUTH_S], PUB)


@pytest.mark.parametrize(
    "args",
    [
        (AUTH_HASH, AUTH_R, AUTH_S, PUB + 1),  # wrong key
        (AUTH_HASH ^ 1, AUTH_R, AUTH_S, PUB),  # altered hash
        (AUTH_HASH, AUTH_R, AUTH_S + 1, PUB),
        (AUTH_HASH, AUTH_S, AUTH_R, PUB),  # swapped
        (AUTH_HASH, 0, AUTH_S, PUB),
        (AUTH_HASH, AUTH_R, 0, PUB),
        (AUTH_HASH, AUTH_R, EC_ORDER, PUB),
        (AUTH_HASH, 2**251, AUTH_S, PUB),
        (AUTH_HASH, AUTH_R, AUTH_S, 0),
        (AUTH_HASH, AUTH_R, AUTH_S, -PUB),
        (AUTH_HASH, AUTH_R, AUTH_S, 2**300),
        (2**251, AUTH_R, AUTH_S, PUB),
        (-1, AUTH_R, AUTH_S, PUB),
        (AUTH_HASH, str(AUTH_R), AUTH_S, PUB),
        (AUTH_HASH, AUTH_R, AUTH_S, None),
        (AUTH_HASH, 1.5, AUTH_S, PUB),
        (AUTH_HASH, AUTH_R, AUTH_S, 12345),  # x not on the curve
    ],
)
def test_verify_rejects_without_raising(args):
    assert verify(*args) is False


def test_recover_public_keys():
    keys = recover_public_keys(AUTH_HASH, AUTH_R, AUTH_S)
    assert PUB in keys
    assert 1 <= len(keys) <= 2
    assert all(verify(AUTH_HASH, AUTH_R, AUTH_S, k) for k in keys)
    assert recover_account_public_key(AUTH_HASH, AUTH_R, AUTH_S, ADDR, PROXY_HASH, ACCOUNT_HASH) == PUB
    assert recover_account_public_key(AUTH_HASH, AUTH_R, AUTH_S, ADDR + 1, PROXY_HASH, ACCOUNT_HASH) is None
    # A signature under another key recovers that key, not ours.
    other = StarkSigner(0xC0FFEE)
    h = auth_message_hash(other.address, TESTNET, 1, 2)
    r, s = other.sign_hash(h)
    got = recover_public_keys(h, r, s)
    assert other.public_key in got and PUB not in got


def test_curve_constants():
    gx, gy = stark.GEN
    assert stark._y_for_x(gx) in (gy, FIELD_PRIME - gy)  # G is on the curve; sqrt works
    assert stark._to_affine(stark._mul_gen(PRIV))[0] == PUB
    assert stark._to_affine(stark._mul_point(PRIV, stark.GEN))[0] == PUB
    assert stark._mul_gen(EC_ORDER) is None  # k reduced mod the group order


def test_recover_rejects_garbage():
    assert recover_public_keys(AUTH_HASH, 0, AUTH_S) == []
    assert recover_public_keys(AUTH_HASH, AUTH_R, 0) == []
    assert recover_public_keys(2**251, AUTH_R, AUTH_S) == []
    # r whose x has no point on the curve: nothing to recover.
    r = next(x for x in range(2, 100) if stark._y_for_x(x) is None)
    assert recover_public_keys(AUTH_HASH, r, AUTH_S) == []


def test_fast_sign_matches_starknet_py():
    """The fast signer reproduces starknet-py's deterministic signature (2 slow signings)."""
    assert stark.sign(AUTH_HASH, PRIV) == (AUTH_R, AUTH_S)  # the 9.7 signature is the seed-32 one
    h = order_message_hash(ADDR, TESTNET, 1700000000000, "BTC-USD-PERP", "BUY", "LIMIT", "0.1", "30000")
    assert stark.sign(h, PRIV) == tuple(message_signature(h, PRIV))
    other = 0x5EED
    h2 = auth_message_hash(ADDR, MAINNET, 5, 6)
    assert stark.sign(h2, other) == tuple(message_signature(h2, other))


def test_fast_sign_verifies_with_starknet_py():
    for i, pk in enumerate((PRIV, 1, 2, EC_ORDER - 1, 0xDEADBEEF)):
        pub = public_key_from_private(pk)
        h = order_message_hash(ADDR, TESTNET, 1700000000000 + i, "ETH-USD-PERP", "SELL", "LIMIT", "2", "1999.5")
        r, s = stark.sign(h, pk)
        assert verify_message_signature(h, [r, s], pub)
        assert not verify_message_signature(h + 1, [r, s], pub)
    with pytest.raises(ValueError):
        stark.sign(2**251, PRIV)


# ------------------------------------------------------------------ client signer


def test_signer_identity(signer):
    assert signer.public_key == PUB
    assert signer.address == ADDR
    assert signer.address_hex == hex(ADDR)


def test_signer_auth_headers(signer):
    headers = signer.auth_headers(1700000000, 1700000180)
    assert headers == {
        "PARADEX-STARKNET-ACCOUNT": hex(ADDR),
        "PARADEX-STARKNET-SIGNATURE": AUTH_SIG,  # deterministic k: the 9.7 signature
        "PARADEX-TIMESTAMP": "1700000000",
        "PARADEX-SIGNATURE-EXPIRATION": "1700000180",
    }


def test_signer_onboarding_headers(signer):
    headers = signer.onboarding_headers()
    assert headers["PARADEX-STARKNET-ACCOUNT"] == hex(ADDR)
    assert headers["PARADEX-ETHEREUM-ACCOUNT"].startswith("0x") and len(headers["PARADEX-ETHEREUM-ACCOUNT"]) == 42
    r, s = parse_signature(headers["PARADEX-STARKNET-SIGNATURE"])
    assert verify_message_signature(onboarding_message_hash(ADDR, TESTNET), [r, s], PUB)
    assert signer.onboarding_headers("0x" + "ab" * 20)["PARADEX-ETHEREUM-ACCOUNT"] == "0x" + "ab" * 20
    assert signer.onboarding_body() == {"public_key": hex(PUB)}


def test_signer_sign_order(signer):
    body = {"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.1", "price": "30000",
            "instruction": "GTC", "client_id": "c1"}
    signed = signer.sign_order(body, timestamp_ms=1700000000000)
    assert "signature" not in body  # the input is not modified
    assert {k: signed[k] for k in body} == body
    assert signed["signature_timestamp"] == 1700000000000
    r, s = parse_signature(signed["signature"])
    h = 0x1378AEA7D02D0772C7B4574A7747A6DE1413296EF57457A4630078762DBD660  # 9.7 BTC order
    assert verify_message_signature(h, [r, s], PUB)
    # The body's own signature_timestamp wins over the argument.
    again = signer.sign_order({**body, "signature_timestamp": 1700000000000}, timestamp_ms=1)
    assert again["signature"] == signed["signature"]
    with pytest.raises(ValueError):
        signer.sign_order(body)


def test_signer_sign_market_order_ignores_price(signer):
    body = {"market": "ETH-USD-PERP", "side": "SELL", "type": "MARKET", "size": "1.5", "instruction": "IOC"}
    signed = signer.sign_order(body, timestamp_ms=1700000000000)
    r, s = parse_signature(signed["signature"])
    h = 0x6569942E682A4DD7737058842836A7CBCBDBF4CECB9BEB07817FBA0849B1F7D  # 9.7 ETH market order
    assert verify_message_signature(h, [r, s], PUB)
    with_price = signer.sign_order({**body, "price": "2000"}, timestamp_ms=1700000000000)
    assert with_price["signature"] == signed["signature"]


def test_signer_sign_modify(signer):
    body = {"id": ORDER_ID, "market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.1",
            "price": "30000", "signature_timestamp": 1700000000000}
    signed = signer.sign_modify(body)
    r, s = parse_signature(signed["signature"])
    h = 0x627655A83178BC84F675E2E5DB41BA39A3C446B4F802F387A9806D499798FAD  # 9.7 ModifyOrder
    assert verify_message_signature(h, [r, s], PUB)


# ------------------------------------------------------------------ JWT


@pytest.fixture(scope="module")
def issuer():
    return JwtIssuer()


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parts(token):
    h, p, s = token.split(".")
    pad = lambda x: x + "=" * (-len(x) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(h))), json.loads(base64.urlsafe_b64decode(pad(p))), s


def _reason(verifier, token, now):
    with pytest.raises(InvalidJwt) as exc:
        verifier.verify(token, now)
    return exc.value.reason


def test_jwt_round_trip(issuer):
    token = issuer.issue(hex(ADDR), now_s=1700000000)
    header, claims, _ = _parts(token)
    assert header == {"alg": "ES384", "typ": "JWT", "kid": issuer.kid}
    assert claims == {"typ": "at+JWT", "exp": 1700000300, "iat": 1700000000, "iss": "Paradex testnet",
                      "sub": hex(ADDR)}
    # A verifier in another process only has the JWKS document (as served over HTTP).
    verifier = JwtVerifier(json.loads(json.dumps(issuer.jwks())))
    assert verifier.verify(token, 1700000299) == claims
    # paradex-py decodes without verification and reads exp.
    assert jwt.decode(token, options={"verify_signature": False})["exp"] == 1700000300


def test_jwt_issue_options(issuer):
    _, claims, _ = _parts(issuer.issue(ADDR, now_s=10, ttl_s=60, env="prod"))
    assert claims["sub"] == hex(ADDR) and claims["exp"] == 70 and claims["iss"] == "Paradex prod"
    _, claims, _ = _parts(issuer.issue("0x00AbC", now_s=10))
    assert claims["sub"] == "0xabc"  # unpadded lowercase hex


def test_jwks_document(issuer):
    (key,) = issuer.jwks()["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-384" and key["alg"] == "ES384" and key["use"] == "sig"
    assert key["kid"] == issuer.kid and "d" not in key


def test_jwt_from_pem_is_stable(issuer):
    clone = JwtIssuer(issuer.private_key_pem)
    assert clone.kid == issuer.kid
    assert JwtVerifier(issuer.jwks()).verify(clone.issue(ADDR, 100), 100)["sub"] == hex(ADDR)
    with pytest.raises(ValueError):
        JwtVerifier({"keys": []})


def test_jwt_expired(issuer):
    verifier = issuer.verifier()
    token = issuer.issue(ADDR, now_s=1000)
    assert verifier.verify(token, 1299)["exp"] == 1300
    assert _reason(verifier, token, 1300) == "expired"  # zero leeway
    assert _reason(verifier, token, 5000) == "expired"


def test_jwt_tampered(issuer):
    verifier = issuer.verifier()
    token = issuer.issue(ADDR, now_s=1000)
    h, p, s = token.split(".")
    _, claims, _ = _parts(token)
    forged_payload = _b64({**claims, "sub": "0x1"})
    assert _reason(verifier, f"{h}.{forged_payload}.{s}", 1000) == "bad_signature"
    flipped = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    assert _reason(verifier, f"{h}.{p}.{flipped}", 1000) == "bad_signature"
    other = JwtIssuer(kid=issuer.kid).issue(ADDR, now_s=1000)  # same kid, different key
    assert _reason(verifier, other, 1000) == "bad_signature"


def test_jwt_alg_none(issuer):
    verifier = issuer.verifier()
    claims = {"typ": "at+JWT", "exp": 2000, "iat": 1000, "sub": hex(ADDR)}
    for alg in ("none", "None", "NONE"):
        token = f"{_b64({'alg': alg, 'typ': 'JWT', 'kid': issuer.kid})}.{_b64(claims)}."
        assert _reason(verifier, token, 1000) == "bad_alg"


def test_jwt_wrong_alg_hs256_with_public_key(issuer):
    """The classic key-confusion attack: HMAC keyed with the verifier's public key."""
    verifier = issuer.verifier()
    public_pem = issuer._key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"typ": "at+JWT", "exp": 2000, "iat": 1000, "sub": hex(ADDR)}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.kid})}.{_b64(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert _reason(verifier, f"{signing_input}.{_b64(mac)}", 1000) == "bad_alg"
    es256 = jwt.encode(claims, _p256_key(), algorithm="ES256", headers={"kid": issuer.kid})
    assert _reason(verifier, es256, 1000) == "bad_alg"


def _p256_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def test_jwt_missing_claims(issuer):
    verifier = issuer.verifier()
    key = issuer._key
    headers = {"kid": issuer.kid}
    no_sub = jwt.encode({"exp": 2000, "iat": 1000}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, no_sub, 1000) == "missing_claim"
    no_exp = jwt.encode({"sub": hex(ADDR), "iat": 1000}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, no_exp, 1000) == "missing_claim"
    bad_exp = jwt.encode({"sub": hex(ADDR), "exp": "later"}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, bad_exp, 1000) == "bad_claim"
    bool_exp = jwt.encode({"sub": hex(ADDR), "exp": True}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, bool_exp, 1000) == "bad_claim"
    bad_iat = jwt.encode({"sub": hex(ADDR), "exp": 2000, "iat": "x"}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, bad_iat, 1000) == "bad_claim"
    int_sub = jwt.encode({"sub": 5, "exp": 2000}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, int_sub, 1000) == "bad_claim"
    empty_sub = jwt.encode({"sub": "", "exp": 2000}, key, algorithm="ES384", headers=headers)
    assert _reason(verifier, empty_sub, 1000) == "bad_claim"


def test_jwt_malformed_and_unknown_kid(issuer):
    verifier = issuer.verifier()
    for junk in ("", "abc", "a.b", "a.b.c", "a.b.c.d", None, 42, "!!.??.##"):
        assert _reason(verifier, junk, 1000) == "malformed"
    claims = {"exp": 2000, "sub": hex(ADDR)}
    list_kid = f"{_b64({'alg': 'ES384', 'kid': ['x']})}.{_b64(claims)}.{_b64(b'sig')}"
    assert _reason(verifier, list_kid, 1000) == "malformed"
    not_object = f"{_b64([1])}.{_b64(claims)}.{_b64(b'sig')}"
    assert _reason(verifier, not_object, 1000) == "malformed"
    token = JwtIssuer(kid="someone-else").issue(ADDR, now_s=1000)
    assert _reason(verifier, token, 1000) == "unknown_kid"


# ------------------------------------------------------------------ walkthrough script


def test_stark_script_passes():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "test_stark.py")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    passes = [line for line in lines if line.strip().startswith("PASS")]
    assert len(passes) >= 30
    assert not any(line.strip().startswith("FAIL") for line in lines)
    assert "PASS  auth hash" in proc.stdout and "PASS  modify hash (BTC order + id)" in proc.stdout
    # sections numbered once each, and nothing cited that a user of this repository cannot open
    numbers = [line.split()[1] for line in lines if line.startswith("== ")]
    assert numbers == ["1.", "2.", "3.", "4.", "5.", "6."], numbers
    assert "fact sheet" not in (ROOT / "test_stark.py").read_text().lower()
