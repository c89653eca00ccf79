"""Paradex auth primitives: typed-data hashes, STARK ECDSA, JWTs and a client-side signer."""

from .jwt_tokens import ALGORITHM as JWT_ALGORITHM
from .jwt_tokens import InvalidJwt, JwtIssuer, JwtVerifier
from .signer import (
    DUMMY_ETH_ADDRESS,
    TESTNET_ACCOUNT_HASH,
    TESTNET_ACCOUNT_PROXY_HASH,
    TESTNET_CHAIN_ID,
    StarkSigner,
    format_signature,
)
from .stark import (
    SignatureFormatError,
    derive_address,
    parse_signature,
    public_key_from_private,
    recover_account_public_key,
    recover_public_keys,
    verify,
)
from .typed_data import (
    auth_message_hash,
    encode_felt,
    modify_order_message_hash,
    onboarding_message_hash,
    order_message_hash,
    scale_decimal,
    short_string,
)

__all__ = [
    "JWT_ALGORITHM",
    "InvalidJwt",
    "JwtIssuer",
    "JwtVerifier",
    "DUMMY_ETH_ADDRESS",
    "TESTNET_ACCOUNT_HASH",
    "TESTNET_ACCOUNT_PROXY_HASH",
    "TESTNET_CHAIN_ID",
    "StarkSigner",
    "format_signature",
    "SignatureFormatError",
    "derive_address",
    "parse_signature",
    "public_key_from_private",
    "recover_account_public_key",
    "recover_public_keys",
    "verify",
    "auth_message_hash",
    "encode_felt",
    "modify_order_message_hash",
    "onboarding_message_hash",
    "order_message_hash",
    "scale_decimal",
    "short_string",
]
