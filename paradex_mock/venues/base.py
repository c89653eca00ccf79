"""What a venue is: one package under ``paradex_mock/venues/<name>/`` that gives the shared
exchange a dialect. The engine knows no venue; the shared HTTP app, WS server, control API,
faults, journal and rate-limit buckets know venues only through this interface.

A venue provides
  * ``markets(fixtures_dir)``: the engine markets it lists (``engine.exchange.MarketDef``; by
    default its package's ``markets.load(fixtures_dir)``),
  * ``blueprints()``: its REST routes (Flask blueprints, mounted at ``mount``; by default its
    package's ``rest.bp``),
  * ``ws_app(ctx)``: its WebSocket protocol, for connections whose path starts with ``ws_root``,
  * ``error_response(status, message)``: its error body for faults, 404s, 405s and the like,
  * ``rate_limits`` / ``limit_groups(method, path, private)`` / ``rate_limited(verdict)``: its
    own limit rules (the buckets are shared machinery: ``paradex_mock.ratelimit``),
  * ``new_account(exchange, secret)``: an account with the credentials its clients sign with
    (the control API's ``POST /_mock/accounts``),
  * ``standing_accounts(config)``: accounts the engine opens on every reset (Paradex's demo),
  * ``account_id(value)``: an account id a user typed, canonical (``keeps_accounts``: its ids are
    those the control API takes),
  * ``refusal(e)`` / ``exchange_error(e)``: the engine's refusals (``engine.errors.Reason``) in
    its own words.
"""
from __future__ import annotations

import importlib
from typing import List, Optional, Tuple


class Venue:
    name: str = ""
    rest_root: str = ""              # e.g. "/binance": the venue's real paths hang below it
    ws_root: str = ""                # e.g. "/binance"
    rest_aliases: Tuple[str, ...] = ()   # further prefixes that are this venue's (Paradex: "/v1")
    duration_header: str = ""        # a header naming the request's duration, if the venue sends one
    market_stream: str = ""          # the engine random stream its markets draw from (see MarketDef)
    answers_unowned: bool = False    # its error shapes answer paths no venue owns (see MockState.error_venue)
    rate_limits: dict = {}           # group -> [(limit, window seconds, "ip" | "account")]
    ws_entry: str = ""               # the path below ws_root a client connects to (Binance: "/ws")
    keeps_accounts: bool = False     # its account ids are those the control API and dashboard take (see account_id)

    # ---------------------------------------------------------------- markets
    def own(self, module: str):
        """A module of the venue's own package (``markets``, ``rest``...), imported when first
        asked for: the registry imports a venue's package, its routes load only when served."""
        return importlib.import_module(f"{type(self).__module__}.{module}")

    def markets(self, fixtures_dir: str) -> list:
        return self.own("markets").load(fixtures_dir)

    def market_for(self, name: str, price) -> object:
        """A ``MarketDef`` for a market the fixtures do not list (``add_trading_pair``)."""
        raise NotImplementedError(f"{self.name} cannot list new markets")

    def key(self, name: str) -> str:
        """The engine's key of the venue's market ``name``."""
        return f"{self.name}:{name}"

    # ---------------------------------------------------------------- HTTP
    def blueprints(self) -> list:
        return [self.own("rest").bp]

    def url_converters(self) -> dict:
        """Flask URL converters its routes use, by name."""
        return {}

    @property
    def mount(self) -> str:
        """Where its blueprints are registered (their routes hold the venue's real paths)."""
        return self.rest_root

    def is_private(self, blueprint: str) -> bool:
        """Does a route of this blueprint act for an account (rate limits key it by account)."""
        return False

    def owns_path(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in (self.rest_root,) + self.rest_aliases if p)

    def error_response(self, status: int, message: str):
        """The venue's error answer for ``status`` (a Flask response)."""
        raise NotImplementedError

    def exchange_error(self, e):
        """The answer for an ``engine.errors.ExchangeError`` a route raised (by default
        ``refusal(e)``'s ``body()`` as JSON with its status)."""
        from ..http.errors import json_response
        e = self.refusal(e)
        return json_response(e.body(), e.status)

    def refusal(self, e):
        """``e`` in the venue's words: an ``engine.errors.EngineError`` (the engine's refusal, a
        ``Reason`` and no status) as an ``ExchangeError`` with the venue's code and HTTP status;
        any other ``ExchangeError`` as it is. By default ``http.errors.plain_refusal``."""
        from ..http.errors import plain_refusal
        return plain_refusal(e)

    def bad_request(self, description: str):
        """The answer for a request the framework could not parse (HTTP 400; ``description``
        says why)."""
        return self.error_response(400, "malformed request")

    def fault_response(self, status: int):
        """The answer for an injected ``error`` fault of ``status``."""
        return self.error_response(status, "injected fault")

    def limit_groups(self, method: str, path: str, private: bool) -> List[str]:
        return []

    def request_weight(self, request) -> int:
        """How many tokens a request costs (Binance weighs its endpoints); 1 by default."""
        return 1

    def refuse(self, request):
        """A refusal before the limiter counts the request (Binance's IP bans), or None."""
        return None

    def reset(self) -> None:
        """Back to the start (the control API's reset): the venue's own state."""

    def snapshot(self):
        """The venue's own state as JSON for ``/_mock/snapshot`` (None: it keeps none)."""
        return None

    def load_snapshot(self, doc):
        """``doc`` (what ``snapshot`` gave; None: the snapshot has none) checked and parsed,
        nothing changed yet; ``ValueError`` if it is unusable. ``apply_snapshot`` installs it."""
        return None

    def apply_snapshot(self, parsed) -> None:
        """Install what ``load_snapshot`` returned (after the engine's own state is restored)."""

    def new_account(self, exchange, secret: int) -> Optional[dict]:
        """A new account of this venue made from ``secret`` (an integer in [1, 2**251), derived
        from the seed or given to ``POST /_mock/accounts``) and registered on ``exchange`` (the
        caller holds its lock) with the credentials the venue's clients sign with: at least
        ``{"address": <the engine account>, "public_key": ...}``. None (the default): the venue
        makes no keyed accounts."""
        return None

    def standing_accounts(self, config) -> List[Tuple[str, str]]:
        """The accounts (engine account id, public key) the engine opens, onboarded, on every reset
        under ``config`` (``Exchange(standing_accounts=...)``); none by default."""
        return []

    def account_id(self, value) -> str:
        """``value``, an account a user named (the control API, the dashboard), as the engine's
        account id: canonical, or an ``ExchangeError`` if it names none. By default the value,
        stripped, as given. Asked of the venue that ``keeps_accounts``."""
        return str(value).strip()

    def account_of_request(self):
        """The account a private request acts for (rate limits key it), or None."""
        return None

    def rate_limited(self, verdict):
        """The venue's 429 answer for a refused ``verdict``."""
        return self.error_response(429, "rate limit exceeded")

    def limit_headers(self, verdict) -> dict:
        """Headers that go on every answer the limiter counted."""
        return verdict.headers()

    def init_app(self, app, state) -> None:
        """Venue state the app keeps (``state.venue_state[name]``); called once per app."""

    # ---------------------------------------------------------------- WebSocket
    def owns_ws_path(self, path: str) -> bool:
        return bool(self.ws_root) and (path == self.ws_root or path.startswith(self.ws_root + "/"))

    def ws_app(self, ctx) -> Optional[object]:
        """The venue's WS protocol on the shared server (``ws.server.WsContext``), or None."""
        return None

    def describe(self, with_ws: bool) -> str:
        """One start-up line: where the venue is served, as paths below the servers' addresses."""
        ws = f"; WS {self.ws_root}{self.ws_entry}" if with_ws and self.ws_root else ""
        return f"{self.name}: REST {self.rest_root}{ws}"


def accounts_venue(venues: list):
    """The venue among ``venues`` whose account ids the control API takes (``keeps_accounts``), or None."""
    return next((v for v in venues if v.keeps_accounts), None)
