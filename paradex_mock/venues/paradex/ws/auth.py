"""The ``auth`` method: a bearer JWT (issued by the REST server's ``POST /v1/auth``) to an account.

* The seed example's bearer ``"valid_mock_token"`` is the demo account in permissive mode (REST
  takes it too); any other bearer that is not JWT-shaped, and that one in strict mode, is 40110.
* A JWT-shaped bearer is always verified (ES384 against the REST server's JWKS, at the exchange's
  clock): forged, expired or unknown-key tokens get 40111, never the demo account, as on REST.
* In-process the verifier comes straight from the JWT issuer; the separate WS process fetches
  ``/v1/jwks.json`` from the upstream and refetches it when a token names an unknown key (the
  HTTP server was restarted with a new key).
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Callable, Optional

from .protocol import INTERNAL_ERROR, INVALID_BEARER, MALFORMED_BEARER, RpcError

log = logging.getLogger("paradex_mock.ws")

from ..accounts import DEMO_ACCOUNT, DEMO_TOKEN   # the account permissive mode answers as


def jwt_shaped(token: str) -> bool:
    """Three dot-separated parts whose first decodes to a JSON object (a JOSE header)."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        head = parts[0] + "=" * (-len(parts[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(head.encode("ascii")))
    except (ValueError, UnicodeError):
        return False
    return isinstance(header, dict)


def normalize_account(value: str) -> str:
    return hex(int(value, 16)) if isinstance(value, str) and value.lower().startswith("0x") else str(value)


class Authenticator:
    """``await account_for(bearer)`` -> account address, or raises RpcError."""

    def __init__(self, auth_mode: Callable[[], str], now_s: Callable[[], int],
                 verifier=None, jwks_url: Optional[str] = None):
        self._auth_mode = auth_mode
        self._now_s = now_s
        self._verifier = verifier              # a JwtVerifier (in-process) or None (fetch JWKS)
        self._fixed = verifier is not None
        self._jwks_url = jwks_url
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    def forget_keys(self, *_):
        """The upstream changed (restart): fetch its JWKS again on the next JWT."""
        if not self._fixed:
            self._verifier = None

    async def _get_verifier(self, refresh: bool = False):
        if self._fixed:
            return self._verifier
        async with self._lock:
            if self._verifier is not None and not refresh:
                return self._verifier
            if refresh and time.monotonic() - self._fetched_at < 0.5 and self._verifier is not None:
                return self._verifier
            from ..auth.jwt_tokens import JwtVerifier
            from ....ws.sources import JWKS_PATH, get_json
            try:
                jwks = await get_json(self._jwks_url, JWKS_PATH, timeout=5.0)
                self._verifier = JwtVerifier(jwks)
            except Exception as e:
                log.warning("cannot fetch JWKS from %s: %s", self._jwks_url, e)
                raise RpcError(INTERNAL_ERROR, "internal error",
                               "cannot verify the token: the exchange is unreachable") from None
            self._fetched_at = time.monotonic()
            return self._verifier

    async def account_for(self, bearer: str) -> str:
        strict = self._auth_mode() == "strict"
        if not jwt_shaped(bearer):
            if strict or bearer != DEMO_TOKEN:     # only the seed's token is the demo account, as on REST
                raise RpcError(MALFORMED_BEARER, "malformed bearer token", "bearer is not a JWT")
            return DEMO_ACCOUNT
        from ..auth.jwt_tokens import InvalidJwt
        verifier = await self._get_verifier()
        try:
            claims = verifier.verify(bearer, self._now_s())
        except InvalidJwt as e:
            if e.reason == "unknown_kid" and not self._fixed:
                verifier = await self._get_verifier(refresh=True)
                try:
                    claims = verifier.verify(bearer, self._now_s())
                except InvalidJwt as e2:
                    raise self._refusal(e2) from None
            else:
                raise self._refusal(e) from None
        return normalize_account(claims["sub"])

    @staticmethod
    def _refusal(e) -> RpcError:
        if e.reason == "malformed":
            return RpcError(MALFORMED_BEARER, "malformed bearer token", e.reason)
        return RpcError(INVALID_BEARER, "invalid bearer token", e.reason)
