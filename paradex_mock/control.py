"""The test author's handle on the exchange: reset, accounts, prices, funding, clock, snapshots,
the request journal, faults and rate limits. The HTTP control API (``/_mock/...``) and the
in-process handle (``paradex_mock.testing``) both call this one class."""
from __future__ import annotations

import collections
import hashlib
import dataclasses
import threading
from decimal import Decimal
from typing import Optional


from .engine import snapshot as snapshot_mod
from .engine.errors import ExchangeError, invalid, short
from .engine.exchange import FAST_FORWARD_AFTER_S
from .engine.numbers import fmt, to_decimal
from .engine.scenario import Scenario, ScenarioError, load_file as load_scenario_file
from .faults import FaultError
from .venues.base import accounts_venue

SYSTEM_STATES = ("ok", "maintenance", "cancel_only", "post_only")
MAX_ADVANCE_S = 86_400        # one call moves the clock at most a day...
MAX_ADVANCE_TICKS = 86_400    # ...and ticks at most this often (a day at the default 1 s tick)
MAX_PRICE = Decimal(10) ** 12   # set_price: far above any market, well inside the engine's precision


def _bad(message: str) -> ExchangeError:
    return ExchangeError("INVALID_REQUEST_PARAMETER", message)


def plain(obj):
    """An engine record as JSON: its fields, Decimals as strings."""
    if dataclasses.is_dataclass(obj):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Decimal):
        return fmt(obj)
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    return obj


JOURNAL_KINDS = ("request", "ws", "scenario")


class Journal:
    """The last ``size`` entries, oldest first, each with a ``kind``: "request" (an HTTP request, or
    one over the REST-over-WS bridge: method, path, account, status, latency and faults applied),
    "ws" (WS faults that hit a notification; the channel as path) or "scenario" (a market
    scenario's segment started or ended, or a scenario installed or cleared; the market as path)."""

    def __init__(self, size: int = 10_000):
        self._lock = threading.Lock()
        self._items = collections.deque(maxlen=size)
        self._seq = 0

    def add(self, entry: dict) -> None:
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._items.append(entry)

    def list(self, limit: Optional[int] = None, path: Optional[str] = None, kind: Optional[str] = None) -> list:
        with self._lock:
            items = [e for e in self._items if (path is None or e["path"].startswith(path))
                     and (kind is None or e.get("kind", "request") == kind)]
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Controller:
    def __init__(self, state):
        self.state = state   # http.app.MockState
        # WS faults fired in this process (the in-process WS server shares the plan) are
        # journaled beside the HTTP requests, as method "WS" with the channel as path
        state.faults.sink = state.journal.add
        # and market scenarios' transitions, interleaved with the requests in the order they happen
        state.exchange.scenario_listeners.append(self._journal_scenario)

    def _journal_scenario(self, ev) -> None:
        c = ev["data"]           # engine.events.SegmentChange
        entry = {"kind": "scenario", "at": c.at, "method": "SCENARIO", "path": c.market, "query": "",
                 "account": None, "status": None, "latency_ms": None, "faults": [], "ip": None,
                 "market": c.market, "change": c.change, "segment": c.kind, "index": c.index,
                 "start_ms": c.start_ms, "end_ms": c.end_ms, "segments": c.segments}
        self.state.journal.add(entry)

    @property
    def exchange(self):
        return self.state.exchange

    # ---------------------------------------------------------------- lifecycle
    def reset(self, seed: Optional[int] = None) -> dict:
        """Back to the fixtures and the seed: markets, history, accounts, faults, limits, journal."""
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise _bad("seed must be an integer")
        ex = self.exchange
        ex.reset(seed)
        self.state.faults.reset(ex.config.seed)
        self.state.rate_limiter.reset()
        for v in self.state.venues:
            v.reset()
        self.state.journal.clear()
        ex.system_state = "ok"
        return {"seed": ex.config.seed, "server_time": ex.clock.now_ms()}

    # ---------------------------------------------------------------- accounts
    def account_id(self, value) -> str:
        """An account a user named, as the engine's account id: canonical through the venue that
        keeps accounts (``Venue.account_id``; Paradex: a Starknet address, else its
        ``INVALID_STARKNET_ADDRESS``), else the value as given (stripped)."""
        venue = accounts_venue(self.state.venues)
        return venue.account_id(value) if venue is not None else str(value).strip()

    def create_account(self, private_key=None, balance=None, address=None) -> dict:
        """A new onboarded account. With no key, one is derived from the seed and a counter, so a
        replay creates the same accounts. The private key comes back for signed flows. The first
        venue served that makes keyed accounts (``Venue.new_account``) makes it; with ``address``
        and no key, a bare engine account."""
        ex = self.exchange
        if address is not None and private_key is None:
            addr = self.account_id(address)
            amount = self._amount(balance, negative=False) if balance is not None else None
            with ex.lock:
                acct = ex._ensure_account(addr)
                if amount is not None:
                    acct.balance = amount
            return {"address": addr, "public_key": None, "private_key": None,
                    "balance": fmt(acct.balance)}
        with ex.lock:
            if private_key is None:
                n = len(ex.accounts)
                digest = hashlib.sha256(f"paradex-mock:{ex.config.seed}:{n}".encode()).digest()
                private_key = int.from_bytes(digest, "big") % (2 ** 250) or 1
            else:
                try:
                    private_key = int(private_key, 0) if isinstance(private_key, str) else int(private_key)
                except (TypeError, ValueError):
                    raise _bad("private_key must be an integer or 0x-hex string") from None
                if not 0 < private_key < 2 ** 251:
                    raise _bad("private_key is out of range")
            amount = self._amount(balance, negative=False) if balance is not None else None
            made = next((m for m in (v.new_account(ex, private_key) for v in self.state.venues) if m is not None),
                        None)
            if made is None:
                raise _bad("no venue served makes accounts with keys: serve one that does, or give an address")
            acct = ex.accounts[made["address"]]
            if amount is not None:
                acct.balance = amount
            return {"address": acct.address, "public_key": acct.public_key,
                    "private_key": hex(private_key), "balance": fmt(acct.balance)}

    @staticmethod
    def _amount(value, negative: bool = True):
        try:
            d = to_decimal(value)
            if d < 0 and not negative:
                raise _bad("balance must not be negative")
            return d
        except ValueError:
            raise _bad(invalid("amount", value, "not a decimal number")) from None

    def fund(self, address: str, amount) -> dict:
        addr = self.account_id(address)
        if addr not in self.exchange.accounts:     # funding creates nothing: POST /_mock/accounts does
            raise ExchangeError("ACCOUNT_NOT_FOUND", f"account {addr[:66]} not found; create it first", 404)
        acct = self.exchange.fund(addr, self._amount(amount))
        return {"address": acct.address, "balance": fmt(acct.balance)}

    def accounts(self) -> dict:
        ex = self.exchange
        with ex.lock:
            return {"results": [{"address": a.address, "public_key": a.public_key, "balance": fmt(a.balance),
                                 "open_orders": len(a.open_orders), "onboarded": a.onboarded}
                                for a in ex.accounts.values()]}

    # ---------------------------------------------------------------- market
    def market_key(self, market: str, venue: Optional[str] = None) -> str:
        """The engine's key for ``market``: as given (``BTC-USD-PERP``, ``binance:BTCUSDT``), or a
        venue's own symbol with ``venue`` (``BTCUSDT`` on ``binance``)."""
        if not isinstance(market, str) or not market:
            raise _bad("market is required")
        if venue is None:
            return market
        v = self.state.venue(venue) if isinstance(venue, str) else None
        if v is None:
            raise _bad("venue is not served: one of " + ", ".join(x.name for x in self.state.venues))
        return v.key(market)

    def set_price(self, market: str, price, hold: bool = True, venue: Optional[str] = None) -> dict:
        key = self.market_key(market, venue)
        tick = self.exchange.market(key).tick     # MARKET_NOT_FOUND first
        try:
            p = to_decimal(price)
        except ValueError:
            raise ExchangeError("VALIDATION_ERROR", "price must be a decimal number") from None
        if p <= 0:
            raise ExchangeError("VALIDATION_ERROR", "price must be positive")
        if p < tick:
            raise ExchangeError("VALIDATION_ERROR", f"price must be at least one price tick ({fmt(tick)})")
        if p > MAX_PRICE:
            raise ExchangeError("VALIDATION_ERROR", f"price must be at most {fmt(MAX_PRICE)}")
        stats = self.exchange.set_price(key, p, hold=hold)
        out = plain(stats)
        out["symbol"] = out["market"]          # the key earlier versions answered with
        return out

    def release_price(self, market: str, venue: Optional[str] = None) -> dict:
        ex = self.exchange
        key = self.market_key(market, venue)
        with ex.lock:
            ex.states[ex.market(key).symbol].frozen = False
            return {"market": key, "frozen": False}

    def set_funding_rate(self, market: str, rate, venue: Optional[str] = None) -> dict:
        return self.exchange.set_funding_rate(self.market_key(market, venue), rate)

    def markets(self) -> dict:
        """Every market the exchange simulates: its key, venue, venue symbol and prices now."""
        ex = self.exchange
        with ex.lock:
            return {"results": [{"market": m.symbol, "venue": m.venue, "symbol": m.name, "kind": m.kind,
                                 "last_price": fmt(ex.states[m.symbol].last_price),
                                 "mark_price": fmt(ex.states[m.symbol].mark_price)}
                                for m in ex.markets.values()]}

    def venues(self) -> dict:
        return {"results": [{"name": v.name, "rest_root": v.rest_root, "ws_root": v.ws_root,
                             "markets": [m.name for m in self.exchange.markets.values() if m.venue == v.name]}
                            for v in self.state.venues]}

    def set_system_state(self, status: str) -> dict:
        if status not in SYSTEM_STATES:
            raise _bad(f"status must be one of {', '.join(SYSTEM_STATES)}")
        self.exchange.system_state = status
        return {"status": status}

    # ---------------------------------------------------------------- clock
    def clock(self) -> dict:
        c = self.exchange.clock
        return {"mode": "manual" if c.manual else "real", "now_ms": c.now_ms(),
                "tick_interval": self.exchange.config.tick_interval}

    def set_clock(self, mode: str, now_ms: Optional[int] = None) -> dict:
        if mode not in ("manual", "real"):
            raise _bad("mode must be 'manual' or 'real'")
        ex = self.exchange
        with ex.lock:
            if mode == "real":
                ex.clock.set_manual(False)
                ex.last_tick_ms = ex.clock.now_ms()
            else:
                if now_ms is not None and now_ms < ex.clock.now_ms():
                    raise _bad("the clock does not go backwards")
                ex.clock.set_manual(True, now_ms)
        return self.clock()

    def advance(self, seconds=None, ticks=None) -> dict:
        ex = self.exchange
        if not ex.clock.manual:
            raise ExchangeError("REQUEST_NOT_ALLOWED", "the clock is real; set it to manual first")
        if (seconds is None) == (ticks is None):
            raise _bad("give exactly one of seconds or ticks")
        try:
            if ticks is not None:
                if isinstance(ticks, bool) or int(ticks) != ticks or ticks < 0:
                    raise ValueError
                n, s = int(ticks), None
            else:
                if isinstance(seconds, bool):
                    raise ValueError
                s = float(seconds)
                if not s >= 0:
                    raise ValueError
                n = s / ex.config.tick_interval
                ff = ex.config.fast_forward_step
                if s > FAST_FORWARD_AFTER_S and ff > ex.config.tick_interval:
                    n = s / ff          # a fast-forward: its steps are what it runs
        except (TypeError, ValueError, OverflowError):
            raise _bad("seconds and ticks must be non-negative numbers") from None
        if n > MAX_ADVANCE_TICKS or (s if s is not None else n * ex.config.tick_interval) > MAX_ADVANCE_S:
            raise _bad(f"one call advances at most {MAX_ADVANCE_S} seconds and {MAX_ADVANCE_TICKS} ticks; "
                       "advance in several calls")
        if s is None:
            ex.advance(ticks=n)
        else:
            ex.advance(seconds=s)
        return self.clock()

    # ---------------------------------------------------------------- snapshots
    def snapshot(self) -> dict:
        with self.exchange.lock:    # the venues' state and the engine's, at one moment
            doc = snapshot_mod.dump(self.exchange)
            venues = {v.name: v.snapshot() for v in self.state.venues}
        doc["faults"] = self.state.faults.public()["faults"]
        doc["venues"] = {name: d for name, d in venues.items() if d is not None}
        return doc

    def restore(self, doc: dict) -> dict:
        if not isinstance(doc, dict):
            raise _bad("a snapshot is a JSON object")
        try:
            if "faults" in doc:   # checked before anything changes
                self.state.faults.parse_listed(doc["faults"])
        except FaultError as e:
            raise _bad(str(e)) from None
        venue_docs = doc.get("venues") or {}
        if not isinstance(venue_docs, dict):
            raise _bad("the snapshot's venues must be an object")
        try:   # checked before anything changes
            parsed = [(v, v.load_snapshot(venue_docs.get(v.name))) for v in self.state.venues]
        except (ValueError, TypeError, KeyError) as e:
            raise _bad(f"malformed snapshot: {short(str(e))}") from None
        try:
            with self.exchange.lock:
                snapshot_mod.load(self.exchange, doc)
                for v, p in parsed:
                    v.apply_snapshot(p)
        except snapshot_mod.SnapshotError as e:
            raise _bad(str(e)) from None
        if "faults" in doc:
            try:   # the rules as the snapshot listed them, ids and fired counts included
                self.state.faults.restore(doc["faults"])
            except FaultError as e:
                raise _bad(str(e)) from None
        return {"restored": True, "server_time": self.exchange.clock.now_ms()}

    # ---------------------------------------------------------------- journal
    def journal(self, limit: Optional[int] = None, path: Optional[str] = None, kind: Optional[str] = None) -> dict:
        """The journal's entries, oldest first: the last ``limit``, those whose path starts with
        ``path``, those of ``kind`` (request, ws, scenario)."""
        if kind is not None and kind not in JOURNAL_KINDS:
            raise _bad(f"kind must be one of {', '.join(JOURNAL_KINDS)}")
        return {"results": self.state.journal.list(limit, path, kind)}

    def clear_journal(self) -> dict:
        self.state.journal.clear()
        return {"results": []}

    # ---------------------------------------------------------------- market scenarios
    def scenario(self) -> dict:
        """The scenario in force: every market's segments on the clock and the one active now."""
        return self.exchange.scenario_state()

    def set_scenario(self, doc) -> dict:
        """Replace the scenario (a JSON object, or a path to a scenario file) from now on. A bad
        one changes nothing: 400 with one line saying what is wrong."""
        try:
            scn = load_scenario_file(doc) if isinstance(doc, str) else Scenario.parse(doc)
            return self.exchange.set_scenario(scn)
        except ScenarioError as e:
            raise _bad(f"scenario: {e}") from None

    def clear_scenario(self) -> dict:
        return self.exchange.set_scenario(None)

    # ---------------------------------------------------------------- faults and limits
    def faults(self) -> dict:
        return self.state.faults.public()

    def add_faults(self, spec) -> dict:
        try:
            self.state.faults.add(spec)
        except FaultError as e:
            raise _bad(str(e)) from None
        return self.faults()

    def set_faults(self, specs) -> dict:
        if not isinstance(specs, list):
            raise _bad("faults must be a list of rules")
        try:
            self.state.faults.replace(specs)
        except FaultError as e:
            raise _bad(str(e)) from None
        return self.faults()

    def clear_faults(self, rule_id: Optional[int] = None) -> dict:
        if self.state.faults.remove(rule_id) == 0 and rule_id is not None:
            raise ExchangeError("NOT_FOUND", f"no fault rule {rule_id}", 404)
        return self.faults()

    def rate_limits(self) -> dict:
        return self.state.rate_limiter.public()

    def configure_rate_limits(self, enabled=None, limits=None) -> dict:
        if enabled is not None and not isinstance(enabled, bool):
            raise _bad("enabled must be true or false")
        if limits is not None and not isinstance(limits, dict):
            raise _bad("limits must be an object of group -> [{limit, window_s}]")
        try:
            self.state.rate_limiter.configure(enabled, limits)
        except (ValueError, KeyError, TypeError) as e:
            raise _bad(f"invalid rate limits: {short(str(e))}") from None
        return self.rate_limits()
