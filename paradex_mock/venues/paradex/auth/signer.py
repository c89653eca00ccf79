"""Client-side Paradex signer for tests and benchmarks (the server never uses it).

Signs with the pure-Python fixed-base signer in ``stark.sign`` (~0.2 ms) instead of
starknet-py's ``message_signature`` (~95 ms inside crypto-cpp); both produce the same
RFC 6979 signature.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from . import stark, typed_data

__all__ = [
    "TESTNET_CHAIN_ID",
    "TESTNET_ACCOUNT_PROXY_HASH",
    "TESTNET_ACCOUNT_HASH",
    "DUMMY_ETH_ADDRESS",
    "StarkSigner",
    "format_signature",
]

TESTNET_CHAIN_ID = "PRIVATE_SN_POTC_SEPOLIA"
TESTNET_ACCOUNT_PROXY_HASH = 0x3530CC4759D78042F1B543BF797F5F3D647CDE0388C33734CF91B7F7B9314A9
TESTNET_ACCOUNT_HASH = 0x41CB0280EBADAA75F996D8D92C6F265F6D040BB3BA442E5F86A554F1765244E
DUMMY_ETH_ADDRESS = "0x000000000000000000000000000000000000dEaD"


def format_signature(r: int, s: int) -> str:
    """The header/body form Paradex expects: a JSON array string of decimal strings."""
    return f'["{r}","{s}"]'


def _as_int(value: Union[int, str]) -> int:
    return int(value, 16) if isinstance(value, str) else value


class StarkSigner:
    """A Paradex L2 account: key pair, derived address and request signing."""

    def __init__(
        self,
        private_key: int,
        chain_id: str = TESTNET_CHAIN_ID,
        account_proxy_hash: Union[int, str] = TESTNET_ACCOUNT_PROXY_HASH,
        account_hash: Union[int, str] = TESTNET_ACCOUNT_HASH,
    ):
        self.private_key = private_key
        self.chain_id = chain_id
        self.public_key = stark.public_key_from_private(private_key)
        self.address = stark.derive_address(self.public_key, _as_int(account_proxy_hash), _as_int(account_hash))

    @property
    def address_hex(self) -> str:
        return hex(self.address)

    @property
    def public_key_hex(self) -> str:
        return hex(self.public_key)

    def sign_hash(self, msg_hash: int) -> tuple[int, int]:
        return stark.sign(msg_hash, self.private_key)

    def auth_headers(self, timestamp_s: int, expiration_s: int) -> dict[str, str]:
        """Headers for POST /v1/auth (and /v1/auth/{public_key})."""
        h = typed_data.auth_message_hash(self.address, self.chain_id, timestamp_s, expiration_s)
        return {
            "PARADEX-STARKNET-ACCOUNT": self.address_hex,
            "PARADEX-STARKNET-SIGNATURE": format_signature(*self.sign_hash(h)),
            "PARADEX-TIMESTAMP": str(int(timestamp_s)),
            "PARADEX-SIGNATURE-EXPIRATION": str(int(expiration_s)),
        }

    def onboarding_headers(self, eth_address: str = DUMMY_ETH_ADDRESS) -> dict[str, str]:
        """Headers for POST /v1/onboarding."""
        h = typed_data.onboarding_message_hash(self.address, self.chain_id)
        return {
            "PARADEX-ETHEREUM-ACCOUNT": eth_address,
            "PARADEX-STARKNET-ACCOUNT": self.address_hex,
            "PARADEX-STARKNET-SIGNATURE": format_signature(*self.sign_hash(h)),
        }

    def onboarding_body(self) -> dict[str, str]:
        return {"public_key": self.public_key_hex}

    def _order_fields(self, body: dict[str, Any], timestamp_ms: Optional[int]) -> tuple[dict[str, Any], tuple]:
        signed = dict(body)
        ts = signed.get("signature_timestamp")
        if ts is None:
            if timestamp_ms is None:
                raise ValueError("body has no signature_timestamp and no timestamp_ms was given")
            ts = timestamp_ms
        signed["signature_timestamp"] = int(ts)
        order_type = signed["type"]
        # Clients sign price 0 for every *MARKET type (ccxt's rule), whatever the body says.
        price = None if "MARKET" in order_type else signed["price"]
        fields = (signed["signature_timestamp"], signed["market"], signed["side"], order_type, signed["size"], price)
        return signed, fields

    def sign_order(self, body: dict[str, Any], timestamp_ms: Optional[int] = None) -> dict[str, Any]:
        """A copy of a POST /v1/orders body with ``signature`` and ``signature_timestamp`` set."""
        signed, fields = self._order_fields(body, timestamp_ms)
        h = typed_data.order_message_hash(self.address, self.chain_id, *fields)
        signed["signature"] = format_signature(*self.sign_hash(h))
        return signed

    def sign_modify(self, body: dict[str, Any], timestamp_ms: Optional[int] = None) -> dict[str, Any]:
        """A copy of a PUT /v1/orders/{id} body (it carries ``id``) signed as ModifyOrder."""
        signed, fields = self._order_fields(body, timestamp_ms)
        h = typed_data.modify_order_message_hash(self.address, self.chain_id, *fields, signed["id"])
        signed["signature"] = format_signature(*self.sign_hash(h))
        return signed
