"""STARK-curve ECDSA helpers: signature parsing, verification, key/address derivation
and public-key recovery.

StarkWare's ECDSA is textbook ECDSA on y^2 = x^3 + x + beta over the Stark field,
except that ``r`` is the x-coordinate of k*G itself (not reduced mod the group order)
and both r and w = s^-1 must be below 2**251. Public keys are x-coordinates only.

Verification goes through crypto-cpp (starknet-py). Signing and recovery use the
pure-Python curve arithmetic below: crypto-cpp's Sign costs ~95 ms per call, while a
fixed-base window table for G makes k*G cost ~0.1 ms in Python.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Optional

from starknet_py.constants import EC_ORDER, FIELD_PRIME

# crypto-cpp bound directly (see cpp.py): the same results as starknet-py's wrappers, without
# importing sympy and the rest of starknet-py into every server process
from .cpp import compute_address, private_to_stark_key, starknet_keccak
from .cpp import generate_k_rfc6979 as cpp_generate_k_rfc6979
from .cpp import verify_signature

__all__ = [
    "EC_ORDER",
    "FIELD_PRIME",
    "SignatureFormatError",
    "parse_signature",
    "verify",
    "public_key_from_private",
    "derive_address",
    "recover_public_keys",
    "recover_account_public_key",
    "sign",
]

ALPHA = 1
BETA = 0x6F21413EFBE40DE150E596D72F7A8C5609AD26C15C915C1F4CDFCB99CEE9E89
GEN = (
    0x1EF15C18599971B7BECED415A40F0C7DEACFD9B0D1819E03D723D8BC943CFCA,
    0x5668060AA49730B7BE4801DF46EC62DE53ECD11ABE43A32873000C36E8DC1F,
)
MAX_ECDSA_VALUE = 2**251  # r, w and the message hash must be below this
INITIALIZE_SELECTOR = starknet_keccak(b"initialize")   # = get_selector_from_name("initialize")

_P = FIELD_PRIME
_N = EC_ORDER
_HEX = frozenset("0123456789abcdefABCDEF")
_MAX_ITEM_CHARS = 80  # a felt is at most 77 decimal digits; bounds the int() work


class SignatureFormatError(ValueError):
    """A signature value that is not a well-formed ``[r, s]`` pair."""


# --------------------------------------------------------------------------- parsing


def _parse_item(item: Any) -> int:
    if isinstance(item, bool):
        raise SignatureFormatError("signature item is a bool")
    if isinstance(item, int):
        value = item
    elif isinstance(item, str):
        if not item or len(item) > _MAX_ITEM_CHARS:
            raise SignatureFormatError("signature item has a bad length")
        if item[:2] in ("0x", "0X"):
            digits = item[2:]
            if not digits or not _HEX.issuperset(digits):
                raise SignatureFormatError(f"bad hex signature item {item!r}")
            value = int(digits, 16)
        elif item.isascii() and item.isdigit():
            value = int(item)
        else:
            raise SignatureFormatError(f"signature item is not an integer: {item!r}")
    else:
        raise SignatureFormatError(f"signature item has type {type(item).__name__}")
    if not 1 <= value < _N:
        raise SignatureFormatError("signature item out of range 1..EC_ORDER-1")
    return value


def parse_signature(value: Any) -> tuple[int, int]:
    """Parse ``'["r","s"]'`` (JSON string; decimal or 0x-hex items) or a real list into (r, s)."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise SignatureFormatError("signature is not a JSON array") from exc
    if not isinstance(value, (list, tuple)):
        raise SignatureFormatError("signature is not an array")
    if len(value) != 2:
        raise SignatureFormatError(f"signature must have 2 items, got {len(value)}")
    return _parse_item(value[0]), _parse_item(value[1])


# ----------------------------------------------------------------- verify and keys


def verify(msg_hash: int, r: int, s: int, public_key: int) -> bool:
    """True iff (r, s) is a valid signature of msg_hash by public_key. Never raises."""
    try:
        for v in (msg_hash, r, s, public_key):
            if not isinstance(v, int) or isinstance(v, bool):
                return False
        if not (0 <= msg_hash < MAX_ECDSA_VALUE and 1 <= r < MAX_ECDSA_VALUE and 1 <= s < _N):
            return False
        if not 0 < public_key < _P:
            return False
        return bool(verify_signature(msg_hash, r, s, public_key))
    except Exception:  # garbage in must never take down a request handler
        return False


def public_key_from_private(private_key: int) -> int:
    """The STARK public key (x-coordinate of private_key * G)."""
    if not 1 <= private_key < _N:
        raise ValueError("private key out of range 1..EC_ORDER-1")
    return private_to_stark_key(private_key)


@functools.lru_cache(maxsize=4096)
def derive_address(public_key: int, account_proxy_hash: int, account_hash: int) -> int:
    """Paradex L2 account address of a STARK public key (fact sheet 9.6)."""
    return compute_address(
        class_hash=account_proxy_hash,
        constructor_calldata=[account_hash, INITIALIZE_SELECTOR, 2, public_key, 0],
        salt=public_key,
        deployer_address=0,
    )


# ------------------------------------------------------------ curve arithmetic
# Affine points are (x, y) tuples, Jacobian points (X, Y, Z); None is infinity.


def _jac_double(p):
    if p is None:
        return None
    x, y, z = p
    if y == 0:
        return None
    yy = y * y % _P
    s = 4 * x * yy % _P
    zz = z * z % _P
    m = (3 * x * x + ALPHA * zz * zz) % _P
    x3 = (m * m - 2 * s) % _P
    return x3, (m * (s - x3) - 8 * yy * yy) % _P, 2 * y * z % _P


def _jac_add_affine(p, q):
    """Jacobian p + affine q (mixed addition)."""
    if q is None:
        return p
    if p is None:
        return q[0], q[1], 1
    x1, y1, z1 = p
    x2, y2 = q
    z1z1 = z1 * z1 % _P
    u2 = x2 * z1z1 % _P
    s2 = y2 * z1 * z1z1 % _P
    h = (u2 - x1) % _P
    r = (s2 - y1) % _P
    if h == 0:
        return _jac_double(p) if r == 0 else None
    hh = h * h % _P
    hhh = h * hh % _P
    v = x1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    return x3, (r * (v - x3) - y1 * hhh) % _P, z1 * h % _P


def _to_affine(p):
    if p is None:
        return None
    x, y, z = p
    zi = pow(z, -1, _P)
    zi2 = zi * zi % _P
    return x * zi2 % _P, y * zi2 * zi % _P


def _affine_add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    return _to_affine(_jac_add_affine((p[0], p[1], 1), q))


def _neg(p):
    return None if p is None else (p[0], (-p[1]) % _P)


_WINDOW_BITS = 8
_WINDOWS = 32  # 32 * 8 = 256 bits >= any scalar below EC_ORDER


@functools.lru_cache(maxsize=1)
def _gen_table() -> tuple:
    """table[i][j] = j * 256**i * G (affine); built once, ~8k points, ~0.1 s."""
    table = []
    base = GEN
    for _ in range(_WINDOWS):
        row = [None, base]
        acc = base
        for _ in range(2, 1 << _WINDOW_BITS):
            acc = _affine_add(acc, base)
            row.append(acc)
        table.append(tuple(row))
        base = _affine_add(acc, base)  # 256 * base
    return tuple(table)


def _mul_gen(k: int):
    """k * G (Jacobian) using the fixed-base window table."""
    table = _gen_table()
    acc = None
    k %= _N
    i = 0
    while k:
        digit = k & 0xFF
        if digit:
            acc = _jac_add_affine(acc, table[i][digit])
        k >>= _WINDOW_BITS
        i += 1
    return acc


def _mul_point(k: int, point):
    """k * point (Jacobian) for an arbitrary affine point, by double-and-add."""
    acc = None
    for bit in bin(k % _N)[2:]:
        acc = _jac_double(acc)
        if bit == "1":
            acc = _jac_add_affine(acc, point)
    return acc


_SQRT_S = 192  # FIELD_PRIME - 1 = 2**192 * Q with Q odd
_SQRT_Q = (_P - 1) >> _SQRT_S
_SQRT_Z = pow(3, _SQRT_Q, _P)  # 3 generates the multiplicative group, so it is a non-residue


def _sqrt(a: int) -> Optional[int]:
    """A square root of a mod FIELD_PRIME (Tonelli-Shanks), or None if there is none."""
    a %= _P
    if a == 0:
        return 0
    if pow(a, (_P - 1) // 2, _P) != 1:
        return None
    m, c = _SQRT_S, _SQRT_Z
    t = pow(a, _SQRT_Q, _P)
    root = pow(a, (_SQRT_Q + 1) // 2, _P)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % _P
            i += 1
        b = pow(c, 1 << (m - i - 1), _P)
        m, c = i, b * b % _P
        t, root = t * c % _P, root * b % _P
    return root


def _y_for_x(x: int) -> Optional[int]:
    return _sqrt((x * x * x + ALPHA * x + BETA) % _P)


# ------------------------------------------------------------------- sign, recover


def sign(msg_hash: int, private_key: int, seed: Optional[int] = 32) -> tuple[int, int]:
    """STARK ECDSA signature (r, s) with RFC 6979 k.

    Same k derivation, seed default and retry rule as starknet-py's ``message_signature``
    (crypto-cpp) and cairo-lang's ``sign``, so the output is identical, ~500x faster.
    """
    if not 0 <= msg_hash < MAX_ECDSA_VALUE:
        raise ValueError("message hash must be below 2**251")
    if not 1 <= private_key < _N:
        raise ValueError("private key out of range 1..EC_ORDER-1")
    while True:
        k = cpp_generate_k_rfc6979(msg_hash, private_key, seed)
        seed = 1 if seed is None else seed + 1  # next attempt, as cairo-lang does
        point = _to_affine(_mul_gen(k))
        if point is None:
            continue
        r = point[0]
        if not 1 <= r < MAX_ECDSA_VALUE:
            continue
        e = (msg_hash + r * private_key) % _N
        if e == 0:
            continue
        w = k * pow(e, -1, _N) % _N
        if not 1 <= w < MAX_ECDSA_VALUE:
            continue
        return r, pow(w, -1, _N)


def recover_public_keys(msg_hash: int, r: int, s: int) -> list[int]:
    """Public keys (x-coordinates) for which (r, s) verifies msg_hash; usually two.

    Verification accepts x(w*(z*G + r*Q)) == r, i.e. s*R = z*G + r*Q with R = (r, +-y).
    So Q = r^-1 * (s*R - z*G) for each of the two R. Q and -Q share an x-coordinate.
    Each candidate is re-checked with ``verify``.
    """
    if not (0 <= msg_hash < MAX_ECDSA_VALUE and 1 <= r < MAX_ECDSA_VALUE and 1 <= s < _N):
        return []
    y = _y_for_x(r)
    if y is None:
        return []
    r_inv = pow(r, -1, _N)
    u1 = s * r_inv % _N
    u2 = (-msg_hash * r_inv) % _N
    zg = _to_affine(_mul_gen(u2))
    keys: list[int] = []
    for ry in (y, _P - y):
        q = _affine_add(_to_affine(_mul_point(u1, (r, ry))), zg)
        if q is not None and q[0] not in keys and verify(msg_hash, r, s, q[0]):
            keys.append(q[0])
    return keys


def recover_account_public_key(
    msg_hash: int, r: int, s: int, account: int, account_proxy_hash: int, account_hash: int
) -> Optional[int]:
    """The recovered public key whose derived Paradex address is ``account``, else None."""
    for key in recover_public_keys(msg_hash, r, s):
        if derive_address(key, account_proxy_hash, account_hash) == account:
            return key
    return None

