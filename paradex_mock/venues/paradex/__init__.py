"""Paradex: the perpetuals DEX on Starknet. REST at ``/v1`` (also ``/paradex/v1``), JSON-RPC
WebSocket at ``/v1`` (also ``/`` and ``/paradex/v1``), STARK-signed auth and orders.

Where things are: markets.py (fixtures to markets), views.py (every wire shape), public.py,
private.py, auth_routes.py (REST routes), orders.py (order bodies), identity.py and auth/ (JWTs,
STARK signatures), params.py (query parameters, pagination), ws/ (JSON-RPC protocol, channels).
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ..base import Venue
from .accounts import normalize_address, standing_accounts
from .errors import paradex_error

# Paradex's documented REST limits (fact sheet §8.2): group -> [(limit, window s, key kind)]
RATE_LIMITS: Dict[str, List[Tuple[int, int, str]]] = {
    "public": [(1500, 60, "ip")],
    "onboarding": [(600, 60, "ip")],
    "auth": [(600, 60, "ip")],
    "orders": [(800, 1, "account"), (17250, 60, "account")],
    "private_get": [(120, 1, "account"), (600, 60, "account")],
    "private_ip": [(1500, 60, "ip")],
}

# injected error statuses -> (error code, message); None: a proxy's bare answer, not the API's
FAULT_BODIES = {
    500: ("INTERNAL_ERROR", "internal error (injected fault)"),
    502: (None, "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", "service unavailable (injected fault)"),
    504: (None, "Gateway Timeout"),
}

PREFIX = "/paradex"     # /paradex/v1/... is /v1/...


def rate_limit_body() -> dict:
    # No `error` key: ccxt then falls back to the status and raises RateLimitExceeded (fact sheet §8.2)
    return {"message": "rate limit exceeded"}


class ParadexVenue(Venue):
    name = "paradex"
    rest_root = PREFIX
    rest_aliases = ("/v1", "/v2", "/health")
    ws_root = PREFIX
    rate_limits = RATE_LIMITS
    duration_header = "Paradigm-Request-Duration"
    mount = ""              # its routes spell out /v1; init_app mounts them under /paradex too
    ws_entry = "/v1"
    answers_unowned = True  # the mock answered in Paradex's shapes before it had other venues
    keeps_accounts = True   # the control API's accounts are Starknet addresses (account_id)

    def __init__(self):
        self.system_config: dict = {}
        self.insurance: dict = {}
        self._state = None       # the app's MockState, once init_app has run
        # what the app keeps for Paradex (``state.venue_state["paradex"]`` is this object)
        self.jwt_issuer = None   # signs the JWTs of /auth (auth_routes.py, keys.py); init_app makes it
        self._verifier = None
        self.book_cache: dict = {}   # GET /orderbook's JSON per book version (public.py)

    def markets(self, fixtures_dir: str) -> list:
        from . import markets
        defs, self.system_config, self.insurance = markets.load(fixtures_dir)
        return defs

    def key(self, name: str) -> str:
        return name          # Paradex's engine keys are its symbols (they predate venues)

    def blueprints(self) -> list:
        from . import algos, auth_routes, extras, keys, mmp, private, public, transfers
        return [public.bp, auth_routes.bp, private.bp, algos.bp, transfers.bp, keys.bp, extras.public_bp,
                extras.private_bp, mmp.bp]

    def url_converters(self) -> dict:
        from .params import OrderIdConverter
        return {"order_id": OrderIdConverter}

    def init_app(self, app, state) -> None:
        from .auth import JwtIssuer
        state.venue_state[self.name] = self
        self._state = state
        self.jwt_issuer = JwtIssuer()      # Paradex's JWTs; its WS app verifies them too (ws_app)
        # the same routes under /paradex, as every venue has its root
        for bp in self.blueprints():
            app.register_blueprint(bp, url_prefix=PREFIX, name="paradex_" + bp.name)

    @property
    def jwt_verifier(self):
        """The verifier of the JWTs this app issued (built once: every private request uses it)."""
        if self._verifier is None:
            self._verifier = self.jwt_issuer.verifier()
        return self._verifier

    @property
    def chain_id(self) -> str:
        """The Starknet chain id the signed messages name (the fixtures' system config)."""
        return self.system_config.get("starknet_chain_id", "PRIVATE_SN_POTC_SEPOLIA")

    # ---------------------------------------------------------------- state beside the engine's
    # what the routes keep per app: subkeys and API tokens (keystore.py), the lifecycles of extras/
    # (extras/state.py); each store's class writes its snapshot document (to_doc) and reads one back
    # (from_doc, a ValueError if it is not one)
    STORES = {"paradex_keys": ("keystore", "KeyStore"), "paradex_extras": ("extras.state", "ExtrasStore")}

    def reset(self) -> None:
        if self._state is None:
            return
        for key in self.STORES:
            self._state.venue_state.pop(key, None)

    def snapshot(self):
        if self._state is None:
            return None
        vs = self._state.venue_state
        return {key: _tagged(vs[key].to_doc()) for key in self.STORES if key in vs}

    def load_snapshot(self, doc):
        import importlib
        doc = doc or {}      # older snapshots carry none of it: restored, there is none
        if not isinstance(doc, dict) or set(doc) - set(self.STORES):
            raise ValueError("the snapshot's paradex state is malformed")
        out = {}
        for key, fields in doc.items():
            module, cls = self.STORES[key]
            out[key] = getattr(importlib.import_module(f".{module}", __name__), cls).from_doc(_untagged(fields))
        return out

    def apply_snapshot(self, parsed) -> None:
        self.reset()
        self._state.venue_state.update(parsed)

    def new_account(self, exchange, secret: int) -> dict:
        """A Paradex account is a STARK key: its address derives from the public key with the
        system config's class hashes; it is onboarded at once."""
        from .auth import StarkSigner
        cfg = self.system_config
        signer = StarkSigner(secret, chain_id=self.chain_id,
                             account_proxy_hash=int(cfg["paraclear_account_proxy_hash"], 16),
                             account_hash=int(cfg["paraclear_account_hash"], 16))
        acct = exchange.onboard(normalize_address(signer.address_hex), signer.public_key_hex)
        return {"address": acct.address, "public_key": acct.public_key}

    def standing_accounts(self, config) -> list:
        """The demo account (``accounts.py``), but in strict auth mode."""
        return standing_accounts(config.auth_mode)

    def account_id(self, value) -> str:
        """A Starknet address, canonical (``normalize_address``: ``INVALID_STARKNET_ADDRESS`` if malformed)."""
        return normalize_address(value)

    def refusal(self, e):
        """The engine's refusals with Paradex's ErrorCode and status (``errors.CODES``)."""
        return paradex_error(e)

    # ---------------------------------------------------------------- errors and limits
    def error_response(self, status: int, message: str):
        from ...http.errors import api_error, json_response
        if status == 429:
            return json_response(rate_limit_body(), 429, {"Retry-After": "1"})
        if status == 404:
            return json_response({"error": "NOT_FOUND", "message": message, "data": None}, 404)
        if status == 405:   # echo's own answer (Paradex's HTTP framework; its JWT 401 is alike)
            return json_response({"message": message}, 405)
        if status == 413:
            return api_error("BINDING_ERROR", message, 413)
        return api_error("INVALID_REQUEST_PARAMETER" if status < 500 else "INTERNAL_ERROR", message, status)

    def bad_request(self, description: str):
        from ...http.errors import api_error
        return api_error("BINDING_ERROR", "malformed request: " + description)

    def fault_response(self, status: int):
        from ...http.errors import api_error, json_response
        if status not in FAULT_BODIES:
            return self.error_response(status, "injected fault")
        code, text = FAULT_BODIES[status]
        if code is None:
            return json_response({"message": text}, status)
        return api_error(code, text, status)

    def rate_limited(self, verdict):
        from ...http.errors import json_response
        return json_response(rate_limit_body(), 429, verdict.headers())

    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        if path.startswith(PREFIX + "/"):
            path = path[len(PREFIX):]
        if path.startswith("/v1/onboarding") and method == "POST":
            return ["onboarding"]
        if path.startswith("/v1/auth"):
            return ["auth"]
        if not private:
            return ["public"]
        if path.startswith(("/v1/orders", "/v1/algo/orders")) and method in ("POST", "PUT", "DELETE"):
            return ["orders", "private_ip"]
        return ["private_get", "private_ip"]

    def account_of_request(self):
        from ...engine.errors import ExchangeError
        from .identity import current_account
        try:
            return current_account()
        except ExchangeError:
            return None   # the route itself answers the auth error

    def is_private(self, blueprint: str) -> bool:
        return blueprint.replace("paradex_", "", 1) in ("private", "algos", "transfers", "keys", "extras_private", "mmp")

    # ---------------------------------------------------------------- WebSocket
    def owns_ws_path(self, path: str) -> bool:
        return path in ("/", "/v1", PREFIX, PREFIX + "/v1")

    def ws_app(self, ctx):
        from .ws.rpc import ParadexWs
        # in-process this is the app's own venue (init_app made its issuer): verify with its key;
        # in the remote mode (no issuer here) the WS app fetches the keys from ctx.upstream's JWKS
        verifier = self.jwt_issuer.verifier() if self.jwt_issuer is not None else None
        return ParadexWs(self, ctx, verifier)

    def describe(self, with_ws: bool) -> str:
        ws = f"; WS /v1 (also / and {PREFIX}/v1)" if with_ws else ""
        return f"paradex: REST /v1 (also {PREFIX}/v1){ws}"


def _tagged(value):
    """Route state as JSON: dicts (string keys), lists and scalars as they are; sets and Decimals
    tagged so ``_untagged`` gives them back."""
    from decimal import Decimal
    if isinstance(value, dict):
        return {str(k): _tagged(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tagged(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted(_tagged(v) for v in value)}
    if isinstance(value, Decimal):
        return {"__dec__": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def _untagged(value):
    from decimal import Decimal
    if isinstance(value, dict):
        if set(value) == {"__set__"}:
            return set(_untagged(v) for v in value["__set__"])
        if set(value) == {"__dec__"}:
            return Decimal(value["__dec__"])
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value
