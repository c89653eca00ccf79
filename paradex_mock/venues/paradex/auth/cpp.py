"""The few Starknet crypto primitives the mock needs, bound straight to crypto-cpp.

starknet-py reaches StarkWare's crypto-cpp library (``libcrypto_c_exports``, shipped by the
``crypto_cpp_py`` package) through ``crypto_cpp_py.cpp_bindings``, whose import pulls in sympy
(for one modular inverse) and ``starknet_py.hash.utils`` pulls in the rest of starknet-py: about
0.45 s of start-up and 40 MB of memory in every server process. This module loads the same
library with ctypes and calls the same entry points with the same argument encoding, so every
result (and every error) is the one starknet-py gives; the mapping, each checked against
starknet-py on random inputs when this was written (tests/test_auth_crypto.py and test_stark.py
keep cross-checking signatures and typed-data hashes with starknet-py):

* ``pedersen_hash``            = starknet_py.hash.utils.pedersen_hash
* ``compute_hash_on_elements`` = starknet_py.hash.utils.compute_hash_on_elements
* ``verify_signature``         = starknet_py.hash.utils.verify_message_signature
* ``private_to_stark_key``     = starknet_py.hash.utils.private_to_stark_key
* ``starknet_keccak``          = starknet_py.hash.utils._starknet_keccak
* ``compute_address``          = starknet_py.hash.address.compute_address
* ``generate_k_rfc6979``       = crypto_cpp_py.utils.cpp_generate_k_rfc6979
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.util
import math
import os
import threading
from pathlib import Path
from typing import Optional, Sequence

from starknet_py.constants import CONTRACT_ADDRESS_PREFIX, EC_ORDER, L2_ADDRESS_UPPER_BOUND

__all__ = ["pedersen_hash", "compute_hash_on_elements", "verify_signature", "private_to_stark_key",
           "starknet_keccak", "compute_address", "generate_k_rfc6979"]

OUT_BUFFER_SIZE = 1024          # as crypto_cpp_py: results and error messages land here
MASK_250 = 2 ** 250 - 1

_lib = None
_lib_lock = threading.Lock()


def _library_file() -> str:
    """``libcrypto_c_exports*`` beside the crypto_cpp_py package (where crypto_cpp_py looks),
    found without importing crypto_cpp_py."""
    spec = importlib.util.find_spec("crypto_cpp_py")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("crypto_cpp_py is not installed (it comes with starknet-py)")
    folder = Path(list(spec.submodule_search_locations)[0]).parent
    for name in os.listdir(folder):
        if name.startswith("libcrypto_c_exports"):
            return str(folder / name)
    raise RuntimeError("Couldn't find libcrypto_c_exports")


def _load():
    global _lib
    with _lib_lock:
        if _lib is None:
            lib = ctypes.cdll.LoadLibrary(_library_file())
            lib.Hash.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            lib.Verify.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
            lib.Verify.restype = bool
            lib.GetPublicKey.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            _lib = lib
    return _lib


def pedersen_hash(left: int, right: int) -> int:
    lib = _lib or _load()
    res = ctypes.create_string_buffer(OUT_BUFFER_SIZE)
    if lib.Hash(left.to_bytes(32, "little", signed=False), right.to_bytes(32, "little", signed=False), res) != 0:
        raise ValueError(res.raw.rstrip(b"\00"))
    return int.from_bytes(res.raw[:32], "little", signed=False)


def compute_hash_on_elements(data: Sequence) -> int:
    """h(h(h(h(0, data[0]), data[1]), ...), data[n-1]), n)."""
    return functools.reduce(pedersen_hash, [*data, len(data)], 0)


def verify_signature(msg_hash: int, r: int, s: int, public_key: int) -> bool:
    lib = _lib or _load()
    w = pow(s, -1, EC_ORDER)
    return lib.Verify(public_key.to_bytes(32, "little", signed=False), msg_hash.to_bytes(32, "little", signed=False),
                      r.to_bytes(32, "little", signed=False), w.to_bytes(32, "little", signed=False))


def private_to_stark_key(private_key: int) -> int:
    lib = _lib or _load()
    out = ctypes.create_string_buffer(OUT_BUFFER_SIZE)
    if lib.GetPublicKey(private_key.to_bytes(32, "little", signed=False), out) != 0:
        raise ValueError(out.raw.rstrip(b"\00"))
    return int.from_bytes(out.raw[:32], "little", signed=False)


def starknet_keccak(data: bytes) -> int:
    """Keccak-256 (Ethereum's, not SHA3) masked to 250 bits."""
    from Crypto.Hash import keccak   # pycryptodome, as starknet-py
    k = keccak.new(digest_bits=256)
    k.update(data)
    return int.from_bytes(k.digest(), "big") & MASK_250


def compute_address(*, class_hash: int, constructor_calldata: Sequence[int], salt: int,
                    deployer_address: int = 0) -> int:
    calldata_hash = compute_hash_on_elements(constructor_calldata)
    raw = compute_hash_on_elements([CONTRACT_ADDRESS_PREFIX, deployer_address, salt, class_hash, calldata_hash])
    return raw % L2_ADDRESS_UPPER_BOUND


def generate_k_rfc6979(msg_hash: int, priv_key: int, seed: Optional[int] = None) -> int:
    from ecdsa.rfc6979 import generate_k   # only signing needs it (clients, tests)
    # Pad the message hash, for consistency with the elliptic.js library.
    if 1 <= msg_hash.bit_length() % 8 <= 4 and msg_hash.bit_length() >= 248:
        # Only if we are one-nibble short:
        msg_hash *= 16
    extra_entropy = b"" if seed is None else seed.to_bytes(math.ceil(seed.bit_length() / 8), "big")
    return generate_k(EC_ORDER, priv_key, hashlib.sha256,
                      msg_hash.to_bytes(math.ceil(msg_hash.bit_length() / 8), "big"), extra_entropy=extra_entropy)
