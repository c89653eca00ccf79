"""Test-only stand-in for ``starknet-crypto-py`` (tradeparadex/starknet-crypto-py, 0.2.x).

Why this exists
---------------
paradex-py 0.8.2 (the official Paradex SDK) depends on ``starknet-crypto-py``, a Rust/PyO3
extension that has no wheel for this platform: pip falls back to its sdist, whose build needs
cargo to fetch crates, which this offline environment cannot do. So paradex-py is installed with
``pip install --no-deps`` and this pure-Python package takes the extension's place.

It is put on ``sys.path`` only by ``tests/test_paradex_py.py`` (never by the mock, never by other
tests), and only when the real extension is not importable.

What it provides: exactly the four functions paradex-py imports
(``paradex_py/account/utils.py``: ``from starknet_crypto_py import get_public_key, pedersen_hash,
sign, verify``), with the real package's signatures (its ``python/starknet_crypto_py/lib.py``):

* ``get_public_key(private_key) -> int``        STARK public key (x-coordinate of k*G)
* ``pedersen_hash(first, second) -> int``       StarkNet Pedersen hash of two felts
* ``sign(private_key, msg_hash, seed) -> (r, s)``  STARK ECDSA with an RFC 6979 k (``seed`` is
  the extra entropy, as in the Rust ``rfc6979_generate_k(msg_hash, priv_key, Some(seed))``)
* ``verify(public_key, msg_hash, r, s) -> bool``

They are built on starknet-py 0.30's crypto (crypto-cpp, via ``starknet_py.hash.utils``) for keys,
hashing and verification. Signing uses ``paradex_mock.venues.paradex.auth.stark.sign``, a pure-Python signer with
the same RFC 6979 k derivation that is ~500x faster than crypto-cpp's (~95 ms a call); it does not
weaken the test, because the mock checks every signature paradex-py sends with crypto-cpp's
independent ``verify``. Without ``paradex_mock`` on the path it falls back to starknet-py's
``message_signature``.
"""
from __future__ import annotations

from starknet_py.hash.utils import pedersen_hash as _pedersen_hash
from starknet_py.hash.utils import private_to_stark_key as _private_to_stark_key
from starknet_py.hash.utils import verify_message_signature as _verify_message_signature

try:  # fast pure-Python signer (identical output to crypto-cpp's)
    from paradex_mock.venues.paradex.auth.stark import sign as _fast_sign
except Exception:  # pragma: no cover - the shim used outside this repository
    _fast_sign = None

__all__ = ["get_public_key", "pedersen_hash", "sign", "verify"]
__version__ = "0.2.0+shim"
IS_SHIM = True


def get_public_key(private_key: int) -> int:
    return int(_private_to_stark_key(int(private_key)))


def pedersen_hash(first: int, second: int) -> int:
    return int(_pedersen_hash(int(first), int(second)))


def sign(private_key: int, msg_hash: int, seed: int) -> tuple[int, int]:
    if _fast_sign is not None:
        r, s = _fast_sign(int(msg_hash), int(private_key), seed)
    else:  # pragma: no cover
        from starknet_py.hash.utils import message_signature

        r, s = message_signature(int(msg_hash), int(private_key), seed)
    return int(r), int(s)


def verify(public_key: int, msg_hash: int, r: int, s: int) -> bool:
    try:
        return bool(_verify_message_signature(int(msg_hash), [int(r), int(s)], int(public_key)))
    except Exception:  # the Rust version returns false (or raises) on out-of-range input
        return False
