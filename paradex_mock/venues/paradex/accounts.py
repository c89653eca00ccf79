"""Paradex's accounts: the demo account of the fact sheet's test key and the Starknet address rule.

Paradex names an account by its Starknet address; ``normalize_address`` is the one canonical
form (``0x``-hex, no zero padding, lower case), applied wherever an address enters from a
client (auth, onboarding, the control API through ``Venue.account_id``). The engine takes the
result as an opaque id.
"""
from __future__ import annotations

from ...engine.errors import ExchangeError, excerpt

# The account that requests without credentials act as (permissive mode). It is the account of
# the fact sheet's test key (§9.7), so signed flows with that key reach the same account.
DEMO_PRIVATE_KEY = 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcde
DEMO_PUBLIC_KEY = "0x2a8249e10df5670294c078c3a04f32ed60087e5ee8a3457fa29ed0c0e366bfc"
DEMO_ACCOUNT = "0x3a5e6ca3f7d55722bfb79595c96bd41dba9980fe2abf5c0577591a135ec6dc4"
DEMO_TOKEN = "valid_mock_token"   # the seed design's bearer: the demo account, in permissive mode, on REST and WS


def normalize_address(value) -> str:
    """``0x``-hex without zero padding, lower case, as Paradex prints accounts; a Starknet address
    is below 2**251 (else ``INVALID_STARKNET_ADDRESS``)."""
    if isinstance(value, int):
        n = value
    else:
        s = str(value).strip()
        try:
            n = int(s, 16) if s.lower().startswith("0x") else int(s)
        except ValueError:
            raise ExchangeError("INVALID_STARKNET_ADDRESS", f"invalid account address: {excerpt(value)}") from None
    if n < 0 or n >= 2 ** 251:
        raise ExchangeError("INVALID_STARKNET_ADDRESS", f"invalid account address: {excerpt(value)}")
    return hex(n)


def standing_accounts(auth_mode: str) -> list:
    """The accounts every reset opens: the demo account, onboarded with its key (none in strict
    mode: no account whose key is in the source)."""
    return [] if auth_mode == "strict" else [(DEMO_ACCOUNT, DEMO_PUBLIC_KEY)]
