"""Paradex-style ES384 JWTs: issued by the REST server, verifiable elsewhere from its JWKS.

Times are passed in explicitly (``now_s``) because the mock runs on its own
controllable clock; PyJWT's wall-clock checks are disabled and ``exp`` is checked
here with zero leeway (a token is expired once now_s >= exp, as in PyJWT).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Optional, Union

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

__all__ = ["ALGORITHM", "DEFAULT_TTL_S", "InvalidJwt", "JwtIssuer", "JwtVerifier"]

ALGORITHM = "ES384"
DEFAULT_TTL_S = 300

# PyJWT >= 2.10 rejects a non-string sub itself; older versions leave it to our own check.
_SUBJECT_ERRORS = tuple(
    getattr(jwt.exceptions, name) for name in ("InvalidSubjectError",) if hasattr(jwt.exceptions, name)
)


class InvalidJwt(Exception):
    """A rejected token. ``reason`` is one of: malformed, bad_alg, unknown_kid,
    bad_signature, missing_claim, bad_claim, expired."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint (SHA-256 over the required EC members, sorted, no spaces)."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def _format_account(account: Union[int, str]) -> str:
    """0x-prefixed lowercase hex without zero padding, as Paradex prints accounts."""
    value = int(account, 16) if isinstance(account, str) else int(account)
    return hex(value)


class JwtIssuer:
    """Signs access tokens with an EC P-384 key (generated unless a PEM is given)."""

    def __init__(self, private_key_pem: Optional[Union[bytes, str]] = None, kid: Optional[str] = None):
        if private_key_pem is None:
            self._key = ec.generate_private_key(ec.SECP384R1())
        else:
            if isinstance(private_key_pem, str):
                private_key_pem = private_key_pem.encode("ascii")
            key = serialization.load_pem_private_key(private_key_pem, password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP384R1):
                raise ValueError("JwtIssuer needs an EC P-384 private key")
            self._key = key
        public_jwk = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.kid = kid or _jwk_thumbprint(public_jwk)
        self._jwk = {**public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    @property
    def private_key_pem(self) -> bytes:
        """The signing key as unencrypted PKCS#8 PEM (to persist or share with tests)."""
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def issue(self, account_hex: Union[int, str], now_s: int, ttl_s: int = DEFAULT_TTL_S, env: str = "testnet") -> str:
        """A token for ``account_hex`` valid from now_s for ttl_s seconds."""
        now_s = int(now_s)
        claims = {
            "typ": "at+JWT",
            "exp": now_s + int(ttl_s),
            "iat": now_s,
            "iss": f"Paradex {env}",
            "sub": _format_account(account_hex),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"typ": "JWT", "kid": self.kid})

    def jwks(self) -> dict:
        """The public JWKS document served at GET /v1/jwks.json."""
        return {"keys": [dict(self._jwk)]}

    def verifier(self) -> "JwtVerifier":
        return JwtVerifier(self.jwks())


class JwtVerifier:
    """Verifies tokens against the ES384 keys of a JWKS document."""

    CACHE_MAX = 4096   # verified tokens remembered (then forgotten all at once)

    def __init__(self, jwks: dict):
        # token -> its claims, for tokens that passed every check but expiry: those checks depend
        # on the token and this verifier's keys only, and a client sends the same token for
        # minutes, while PyJWT's decoding and the ES384 check cost ~0.5 ms a request.
        self._verified: dict[str, dict] = {}
        self._keys: dict[Optional[str], Any] = {}
        for entry in jwks.get("keys", []):
            if entry.get("kty") != "EC" or entry.get("crv") != "P-384":
                continue  # only ES384 keys can ever verify
            self._keys[entry.get("kid")] = ECAlgorithm.from_jwk(entry)
        if not self._keys:
            raise ValueError("JWKS has no EC P-384 key")

    def _key_for(self, kid: Any):
        if kid is not None and not isinstance(kid, str):
            raise InvalidJwt("malformed", "kid is not a string")
        if kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise InvalidJwt("unknown_kid", f"no key with kid {kid!r}")

    def verify(self, token: Any, now_s: int) -> dict:
        """The claims of a valid token at time now_s; raises InvalidJwt otherwise."""
        cached = self._verified.get(token) if type(token) is str else None
        if cached is not None:
            if now_s >= cached["exp"]:
                raise InvalidJwt("expired", "token has expired")
            return dict(cached)
        if not isinstance(token, str) or token.count(".") != 2:
            raise InvalidJwt("malformed", "token is not a three-part JWT")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidJwt("malformed", str(exc)) from exc
        # Pin the algorithm before touching keys: rejects "none" and HS256-with-public-key.
        if header.get("alg") != ALGORITHM:
            raise InvalidJwt("bad_alg", f"alg {header.get('alg')!r} is not {ALGORITHM}")
        key = self._key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise InvalidJwt("bad_signature", str(exc)) from exc
        except _SUBJECT_ERRORS as exc:
            raise InvalidJwt("bad_claim", str(exc)) from exc
        except Exception as exc:  # PyJWTError or a decoding error it did not wrap
            raise InvalidJwt("malformed", str(exc)) from exc
        for name in ("sub", "exp"):
            if name not in claims:
                raise InvalidJwt("missing_claim", f"missing {name!r} claim")
        for name in ("exp", "iat"):
            value = claims.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidJwt("bad_claim", f"{name} is not a number")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidJwt("bad_claim", "sub is not a non-empty string")
        if len(self._verified) >= self.CACHE_MAX:
            self._verified.clear()
        self._verified[token] = dict(claims)
        if now_s >= claims["exp"]:
            raise InvalidJwt("expired", "token has expired")
        return claims
