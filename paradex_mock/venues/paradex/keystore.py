"""What Paradex keeps per app about an account's keys: its subkeys, API tokens and revoked bearer
tokens (the ``KeyStore``), and the questions asked of them outside the key routes (keys.py): which
subkeys may sign for an account from this request's address (auth, orders), and why one may not."""
from __future__ import annotations

import ast
import ipaddress
from typing import Dict, List

from flask import current_app, request

from ...engine.errors import ExchangeError

KEYS = "paradex_keys"     # the KeyStore's key in the app's venue_state


class KeyStore:
    """Per app: subkeys by account, API tokens by lookup id, revoked bearer tokens."""

    def __init__(self):
        self.subkeys: Dict[str, Dict[str, dict]] = {}     # account -> public key (0x hex) -> subkey
        self.tokens: Dict[str, Dict[str, dict]] = {}      # account -> lookup_id -> token record
        self.revoked: set = set()                         # bearer strings no longer honoured
        self.pending: Dict[tuple, dict] = {}              # (account, public key) -> encrypted_key, eph_public_key
        self.counter = 0

    def to_doc(self) -> dict:
        """The snapshot document: the store's attributes, ``pending`` by account, then public key
        (JSON keys are strings: an (account, public key) key would not come back)."""
        doc = dict(vars(self))
        pending: Dict[str, Dict[str, dict]] = {}
        for (account, key), rec in self.pending.items():
            pending.setdefault(account, {})[key] = rec
        doc["pending"] = pending
        return doc

    @classmethod
    def from_doc(cls, doc) -> "KeyStore":
        store = cls()
        if not isinstance(doc, dict) or set(doc) != set(vars(store)):
            raise ValueError(f"the snapshot's {KEYS} does not match this server's")
        doc = dict(doc)
        doc["pending"] = _pending_from_doc(doc["pending"])
        store.__dict__.update(doc)
        return store


def _pending_from_doc(doc) -> Dict[tuple, dict]:
    """``pending`` as ``to_doc`` writes it (account -> public key -> record), or as snapshots
    written before it did: keyed by the str() of the (account, public key) tuple."""
    if not isinstance(doc, dict):
        raise ValueError(f"the snapshot's {KEYS}.pending is not an object")
    out = {}
    for account, value in doc.items():
        if account.startswith("("):      # the older form
            try:
                pair = ast.literal_eval(account) if len(account) < 300 else None
            except (ValueError, SyntaxError):
                pair = None
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise ValueError(f"the snapshot's {KEYS}.pending has a malformed key")
            out[pair] = value
        elif isinstance(value, dict) and all(isinstance(rec, dict) for rec in value.values()):
            out.update(((account, key), rec) for key, rec in value.items())
        else:
            raise ValueError(f"the snapshot's {KEYS}.pending has a malformed entry")
    return out


def store() -> KeyStore:
    st = current_app.extensions["paradex_mock"]
    ks = st.venue_state.get(KEYS)
    if ks is None:
        ks = st.venue_state[KEYS] = KeyStore()
    return ks


def store_of(state) -> KeyStore:
    return state.venue_state.setdefault(KEYS, KeyStore())


def ip_allowed(cidrs: List[str], ip: str) -> bool:
    if not cidrs:
        return True
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(c) for c in cidrs)


def active_subkeys(state, address: str) -> List[int]:
    """The account's subkeys that may sign (auth and orders) from this request's address."""
    keys = store_of(state).subkeys.get(address, {})
    ip = request.remote_addr if request else ""
    return [int(k, 16) for k, sk in keys.items() if sk["state"] == "active" and ip_allowed(sk["allowed_cidrs"], ip)]


def subkey_refusal(state, address: str, key: int):
    """Why ``key`` may not act for ``address`` (an ExchangeError), or None if it may."""
    sk = store_of(state).subkeys.get(address, {}).get(hex(key))
    if sk is None:
        return ExchangeError("INVALID_SUBKEY", "the key is not a subkey of this account", 401)
    if sk["state"] != "active":
        return ExchangeError("INVALID_SUBKEY", f"subkey is {sk['state']}", 401)
    if not ip_allowed(sk["allowed_cidrs"], request.remote_addr):
        return ExchangeError("IP_NOT_ALLOWED", f"{request.remote_addr} is not in the subkey's allowed CIDRs", 403)
    return None
