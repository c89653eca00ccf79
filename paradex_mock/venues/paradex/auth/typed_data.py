"""StarkNet legacy (revision 0, Pedersen) typed-data hashing as Paradex uses it.

msg_hash = H([shortstr("StarkNet Message"), struct_hash(StarkNetDomain, domain),
              account, struct_hash(Primary, message)])
struct_hash(T, m) = H([type_hash(T), felt(m.f1), ...]) and
H(xs) = pedersen(...pedersen(pedersen(0, x0), x1)..., len(xs)).

Every Paradex field is a ``felt``. One Pedersen call in starknet-py's bundled
crypto-cpp costs ~180 us, so the hashes below reuse cached chain prefixes
(h(0, type_hash), h(h(0, "StarkNet Message"), domain_hash), and the account
step) instead of calling ``compute_hash_on_elements`` from scratch.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Iterable, Sequence, Union

from starknet_py.constants import FIELD_PRIME

from .cpp import pedersen_hash
from .cpp import starknet_keccak as _starknet_keccak

__all__ = [
    "PARACLEAR_DECIMALS",
    "encode_felt",
    "short_string",
    "scale_decimal",
    "side_felt",
    "type_hash",
    "struct_hash",
    "domain_hash",
    "message_hash",
    "auth_message_hash",
    "onboarding_message_hash",
    "order_message_hash",
    "modify_order_message_hash",
    "DOMAIN_TYPE_HASH",
    "REQUEST_TYPE_HASH",
    "CONSTANT_TYPE_HASH",
    "ORDER_TYPE_HASH",
    "MODIFY_ORDER_TYPE_HASH",
]

FeltLike = Union[int, str]
DecimalLike = Union[Decimal, str, int]

PARACLEAR_DECIMALS = 8
_SCALE_EXP = PARACLEAR_DECIMALS
_MAX_FELT_DIGITS = len(str(FIELD_PRIME))  # 76


@functools.lru_cache(maxsize=1024)
def short_string(text: str) -> int:
    """Cairo short string: big-endian ASCII bytes, at most 31 chars; "" -> 0."""
    if len(text) > 31:
        raise ValueError(f"short string longer than 31 characters: {text!r}")
    if not text.isascii():
        raise ValueError(f"short string is not ASCII: {text!r}")
    return int.from_bytes(text.encode("ascii"), "big")


def encode_felt(value: FeltLike) -> int:
    """Felt encoding of a typed-data value, as starknet-py's revision-0 ``parse_felt``.

    ints as-is; "0x.." hex; all-digit strings decimal; other strings short strings.
    Raises ValueError for anything that is not a felt in [0, FIELD_PRIME).
    """
    if isinstance(value, int):  # bool included: True -> 1, as starknet-py does
        felt = value
    elif isinstance(value, str):
        if value.startswith("0x"):
            felt = int(value, 16)  # ValueError on bad hex
        elif value.isascii() and value.isdigit():
            felt = int(value)
        else:
            return short_string(value)  # always < 2**248
    else:
        raise ValueError(f"cannot encode {type(value).__name__} as a felt")
    if not 0 <= felt < FIELD_PRIME:
        raise ValueError(f"felt out of range: {value!r}")
    return felt


def scale_decimal(value: DecimalLike | None, decimals: int = _SCALE_EXP) -> int:
    """value x 10**decimals as an exact non-negative int; None -> 0.

    Raises ValueError when the result is not an integer (too many decimals),
    negative, or not a finite number. Works on the digit tuple so that large
    values are never rounded by the Decimal context.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("bool is not a decimal amount")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"negative amount: {value}")
        return _below_prime(value * 10**decimals, value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError as exc:  # decimal.InvalidOperation
            raise ValueError(f"not a decimal: {value!r}") from exc
    if not isinstance(value, Decimal):
        raise ValueError(f"not a decimal: {value!r}")
    sign, digits, exp = value.as_tuple()
    if not isinstance(exp, int):
        raise ValueError(f"not a finite decimal: {value!r}")
    digits = digits[next((i for i, d in enumerate(digits) if d), len(digits)):]   # drop leading zeros
    if not digits:
        return 0
    e = exp + decimals
    # Bound the work before any power of ten is built: a client-sent "1e999999999" must not make
    # the server compute a billion-digit integer. A felt has at most 76 digits.
    if len(digits) + e > _MAX_FELT_DIGITS:
        raise ValueError(f"amount too large: {value}")
    if -e > len(digits):
        raise ValueError(f"{value} has more than {decimals} decimals")   # a nonzero value below 10**-decimals
    n = int("".join(map(str, digits)))
    if e >= 0:
        n *= 10**e
    else:
        n, rem = divmod(n, 10**-e)
        if rem:
            raise ValueError(f"{value} has more than {decimals} decimals")
    if sign and n:
        raise ValueError(f"negative amount: {value}")
    return _below_prime(n, value)


def _below_prime(n: int, value) -> int:
    if n >= FIELD_PRIME:
        raise ValueError(f"amount too large: {value}")
    return n


def side_felt(side: str) -> int:
    """BUY -> 1, SELL -> 2 (the chain encoding of an order side)."""
    if side == "BUY":
        return 1
    if side == "SELL":
        return 2
    raise ValueError(f"side must be BUY or SELL, got {side!r}")


@functools.lru_cache(maxsize=None)
def type_hash(name: str, fields: tuple[str, ...]) -> int:
    """sn_keccak("Name(f1:felt,f2:felt,...)"); every Paradex field is a felt."""
    encoded = f"{name}(" + ",".join(f"{f}:felt" for f in fields) + ")"
    return _starknet_keccak(encoded.encode("ascii"))


_DOMAIN_FIELDS = ("name", "chainId", "version")
_REQUEST_FIELDS = ("method", "path", "body", "timestamp", "expiration")
_CONSTANT_FIELDS = ("action",)
_ORDER_FIELDS = ("timestamp", "market", "side", "orderType", "size", "price")
_MODIFY_FIELDS = _ORDER_FIELDS + ("id",)

DOMAIN_TYPE_HASH = type_hash("StarkNetDomain", _DOMAIN_FIELDS)
REQUEST_TYPE_HASH = type_hash("Request", _REQUEST_FIELDS)
CONSTANT_TYPE_HASH = type_hash("Constant", _CONSTANT_FIELDS)
ORDER_TYPE_HASH = type_hash("Order", _ORDER_FIELDS)
MODIFY_ORDER_TYPE_HASH = type_hash("ModifyOrder", _MODIFY_FIELDS)

_STARKNET_MESSAGE = short_string("StarkNet Message")


@functools.lru_cache(maxsize=64)
def _chain_start(first: int) -> int:
    """pedersen(0, first): the first step of every H([first, ...]) chain."""
    return pedersen_hash(0, first)


def _hash_chain(first: int, rest: Iterable[int], length: int) -> int:
    """H([first, *rest]) where len == length, reusing the cached first step."""
    acc = _chain_start(first)
    for x in rest:
        acc = pedersen_hash(acc, x)
    return pedersen_hash(acc, length)


def struct_hash(type_hash_value: int, felts: Sequence[int]) -> int:
    """H([type_hash, *felts]) for already-encoded field values."""
    return _hash_chain(type_hash_value, felts, len(felts) + 1)


@functools.lru_cache(maxsize=64)
def domain_hash(chain_id: FeltLike) -> int:
    """struct_hash of StarkNetDomain{name:"Paradex", chainId, version:1}."""
    return struct_hash(DOMAIN_TYPE_HASH, (short_string("Paradex"), encode_felt(chain_id), 1))


@functools.lru_cache(maxsize=64)
def _message_prefix(chain_id: FeltLike) -> int:
    # h(h(0, "StarkNet Message"), domain_hash): fixed per chain.
    return pedersen_hash(_chain_start(_STARKNET_MESSAGE), domain_hash(chain_id))


@functools.lru_cache(maxsize=8192)
def _account_prefix(chain_id: FeltLike, account: int) -> int:
    # One more fixed step per (chain, account); accounts repeat on every order.
    return pedersen_hash(_message_prefix(chain_id), account)


def message_hash(account: FeltLike, chain_id: FeltLike, primary_struct_hash: int) -> int:
    """The final typed-data hash signed by ``account`` on the Paradex domain."""
    acc = _account_prefix(chain_id, encode_felt(account))
    return pedersen_hash(pedersen_hash(acc, primary_struct_hash), 4)


def auth_message_hash(
    account: FeltLike,
    chain_id: FeltLike,
    timestamp: FeltLike,
    expiration: FeltLike,
    method: str = "POST",
    path: str = "/v1/auth",
    body: str = "",
) -> int:
    """Hash of the ``Request`` typed data signed for POST /v1/auth (timestamps in seconds)."""
    s = struct_hash(
        REQUEST_TYPE_HASH,
        (
            encode_felt(method),
            encode_felt(path),
            encode_felt(body),
            encode_felt(timestamp),
            encode_felt(expiration),
        ),
    )
    return message_hash(account, chain_id, s)


@functools.lru_cache(maxsize=1)
def _onboarding_struct_hash() -> int:
    return struct_hash(CONSTANT_TYPE_HASH, (short_string("Onboarding"),))


def onboarding_message_hash(account: FeltLike, chain_id: FeltLike) -> int:
    """Hash of the ``Constant{action:"Onboarding"}`` typed data signed for POST /v1/onboarding."""
    return message_hash(account, chain_id, _onboarding_struct_hash())


def _order_felts(timestamp_ms, market, side, order_type, size, price) -> list[int]:
    return [
        encode_felt(timestamp_ms),
        encode_felt(market),
        side_felt(side),
        encode_felt(order_type),
        scale_decimal(size),
        scale_decimal(price),
    ]


def order_message_hash(
    account: FeltLike,
    chain_id: FeltLike,
    timestamp_ms: FeltLike,
    market: str,
    side: str,
    order_type: str,
    size: DecimalLike,
    price: DecimalLike | None,
) -> int:
    """Hash of the ``Order`` typed data. size and price are plain decimals (scaled here
    by 10**8); pass price "0" or None for MARKET-type orders."""
    felts = _order_felts(timestamp_ms, market, side, order_type, size, price)
    return message_hash(account, chain_id, struct_hash(ORDER_TYPE_HASH, felts))


def modify_order_message_hash(
    account: FeltLike,
    chain_id: FeltLike,
    timestamp_ms: FeltLike,
    market: str,
    side: str,
    order_type: str,
    size: DecimalLike,
    price: DecimalLike | None,
    order_id: FeltLike,
) -> int:
    """Hash of the ``ModifyOrder`` typed data: the Order fields plus the order ``id``."""
    felts = _order_felts(timestamp_ms, market, side, order_type, size, price)
    felts.append(encode_felt(order_id))
    return message_hash(account, chain_id, struct_hash(MODIFY_ORDER_TYPE_HASH, felts))

