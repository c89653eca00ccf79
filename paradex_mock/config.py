"""One configuration object for every part of the mock.

Values come from (lowest to highest precedence): defaults, environment variables
(``PARADEX_MOCK_*``), command-line flags. ``python http_server.py --help`` lists them.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

# paradex_mock/fixtures links to the repository's fixtures/, and is packaged as real files by
# `pip install .`, so the default works from a checkout and from an installed package alike.
DEFAULT_FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Config:
    host: str = "127.0.0.1"
    http_port: int = 8080
    ws_port: int = 8081
    fixtures_dir: str = str(DEFAULT_FIXTURES)
    seed: int = 42
    tick_interval: float = 1.0          # seconds of clock time between market-data ticks
    fast_forward_step: float = 60.0     # clock/advance beyond 10 minutes steps this long (0: never)
    log_level: str = "INFO"
    clock: str = "real"                 # "real" or "manual" (nothing moves unless told)
    start_time_ms: Optional[int] = None  # manual clock start; default: wall clock at start
    auth_mode: str = "permissive"       # "permissive" (no header => demo account) or "strict"
    auto_onboard: bool = True           # onboard unknown accounts on /auth when the key derives the address
    strict_order_replay: bool = False   # refuse a signed order message seen before (Paradex does not)
    starting_balance: str = "100000"    # USDC credited to every new account
    funding_interval: float = 3600.0    # seconds between funding payments
    backfill_hours: float = 24.0        # history generated at start (candles)
    history_kept: int = 10000           # per account: closed orders, fills... kept, newest (0: all)
    history_hours: float = 0.0          # per account: closed orders, fills... older are dropped (0: no age limit)
    control: str = "loopback"           # control API /_mock: "on", "loopback" (127.0.0.1 only) or "off"
    rate_limits: bool = True
    faults_file: Optional[str] = None   # JSON/YAML fault scenario loaded at start
    scenario_file: Optional[str] = None  # JSON/YAML market scenario installed at start
    upstream: Optional[str] = None      # ws_server: URL of the HTTP process that owns the state
    ws_queue_size: int = 2000           # per-client outbound queue before a slow client is dropped
    ws_max_frame: int = 1 << 20         # largest incoming WS frame in bytes
    ws_ping_interval: float = 55.0
    ws_ping_timeout: float = 5.0
    venues: str = "all"                 # comma-separated venue names (paradex,binance) or "all"
    root_venue: str = ""                # a venue also served at the HTTP root (/api/v3/... for binance)

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)


_HELP = {
    "host": "interface to bind (default 127.0.0.1)",
    "http_port": "REST port (default 8080)",
    "ws_port": "WebSocket port (default 8081)",
    "fixtures_dir": "folder with markets.json, simulation.json, system_config.json (Paradex) and a folder per venue",
    "seed": "seed of the one random source: same seed, same market data",
    "tick_interval": "seconds between market-data ticks (default 1.0, min 0.05)",
    "fast_forward_step": "a manual clock advanced more than 10 minutes at once steps this many seconds at a time "
                         "(default 60; 0: tick by tick)",
    "log_level": "DEBUG, INFO, WARNING, ERROR",
    "clock": "'real' (wall clock) or 'manual' (time moves only via the control API)",
    "start_time_ms": "manual clock start, unix ms (default: the wall clock at start; fix it, "
                     "e.g. 1767225600000, for byte-identical replays)",
    "auth_mode": "'permissive': a request without Authorization acts as the demo account; "
                 "'strict': every private call needs a valid JWT, as on Paradex",
    "auto_onboard": "onboard an account on /auth when its signature's key derives the address "
                    "(ccxt never onboards); 'false' answers NOT_ONBOARDED as Paradex does",
    "strict_order_replay": "refuse a signed order whose exact signed message was already accepted "
                           "(default false: as on Paradex, only recv_window and client_id apply)",
    "starting_balance": "USDC balance of every new account (default 100000)",
    "funding_interval": "seconds between funding payments on open positions (default 3600)",
    "backfill_hours": "hours of 1-minute history generated at start (default 24)",
    "history_kept": "per account, how many closed orders, fills, funding payments, transfers, liquidations "
                    "and finished TWAPs are kept, each kind its newest (default 10000; 0: keep all, memory grows)",
    "history_hours": "per account, closed orders, fills... older than this on the exchange clock are dropped "
                     "(default 0: no age limit, only history_kept applies)",
    "control": "control API under /_mock: 'on', 'loopback' (default: 127.0.0.1 clients only) or 'off'",
    "rate_limits": "enforce Paradex's rate limits (default true; 'false' turns them off)",
    "faults_file": "JSON or YAML fault scenario applied at start",
    "scenario_file": "JSON or YAML market scenario (trend, shock, gap, halt, replay...) installed at start",
    "upstream": "ws_server only: base URL of the HTTP server that owns the state "
                "(default http://HOST:HTTP_PORT)",
    "ws_queue_size": "messages queued per WS client before a slow client is disconnected",
    "ws_max_frame": "largest accepted incoming WS frame, bytes",
    "ws_ping_interval": "seconds between protocol pings (Paradex: 55)",
    "ws_ping_timeout": "seconds to wait for a pong before dropping the client",
    "venues": "venues to serve, comma-separated (paradex,binance) or 'all' (default)",
    "root_venue": "also serve this venue's REST paths at the root of the HTTP port (e.g. binance: /api/v3/...)",
}


def _parse_bool(value: str) -> bool:
    v = str(value).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {value!r}")


def _caster(f: dataclasses.Field):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if "bool" in kind:
        return _parse_bool
    if "int" in kind:
        return int
    if "float" in kind:
        return float
    return str


def env_name(name: str) -> str:
    return "PARADEX_MOCK_" + name.upper()


def from_env(base: Optional[Config] = None, environ=None) -> Config:
    environ = os.environ if environ is None else environ
    cfg = base or Config()
    changes = {}
    for f in dataclasses.fields(Config):
        raw = environ.get(env_name(f.name))
        if raw is not None and raw != "":
            try:
                changes[f.name] = _caster(f)(raw)
            except (ValueError, argparse.ArgumentTypeError):
                kind = {int: "an integer", float: "a number", _parse_bool: "true or false"}.get(_caster(f), "valid")
                raise ValueError(f"{env_name(f.name)}={raw[:64]!r} is not {kind}") from None
    return cfg.replace(**changes)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A bad option or setting is one line on stderr (no usage block) and exit status 2."""
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


def build_parser(description: str, only: Optional[set] = None) -> argparse.ArgumentParser:
    parser = _Parser(
        description=description,
        epilog="Every flag can also be set by an environment variable PARADEX_MOCK_<NAME> "
               "(e.g. PARADEX_MOCK_SEED=7). Flags win over the environment.",
    )
    for f in dataclasses.fields(Config):
        if only is not None and f.name not in only:
            continue
        flag = "--" + f.name.replace("_", "-")
        parser.add_argument(flag, dest=f.name, type=_caster(f), default=None,
                            metavar=f.name.upper(),
                            help=f"{_HELP.get(f.name, '')} [env {env_name(f.name)}]")
    return parser


def from_args(argv=None, description: str = "paradex-mock", only: Optional[set] = None) -> Config:
    parser = build_parser(description, only)
    ns = parser.parse_args(argv)
    cfg = from_env()
    changes = {k: v for k, v in vars(ns).items() if v is not None}
    cfg = cfg.replace(**changes)
    validate(cfg, parser)
    return cfg


_FIELD_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}


def check_fields(values: dict) -> None:
    """Keyword settings (a pytest marker, ``MockExchange(**kw)``): every name a Config field and
    every value of its type (an int is a float; ``None`` where the field is optional).
    Raises ValueError naming each problem."""
    fields = {f.name: f for f in dataclasses.fields(Config)}
    problems = []
    unknown = sorted(set(values) - set(fields))
    if unknown:
        problems.append(f"unknown setting(s) {', '.join(unknown)}; the settings are {', '.join(fields)}")
    for name, value in values.items():
        f = fields.get(name)
        if f is None:
            continue
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        if value is None and "Optional" in kind:
            continue
        base = next((k for k in ("bool", "int", "float", "str") if k in kind), None)
        ok = isinstance(value, _FIELD_TYPES[base]) if base else True
        if ok and base in ("int", "float") and isinstance(value, bool):
            ok = False
        if not ok:
            problems.append(f"{name} must be {'an' if base == 'int' else 'a'} {base}, not {type(value).__name__}")
    if problems:
        raise ValueError("; ".join(problems))


def validate(cfg: Config, parser: Optional[argparse.ArgumentParser] = None) -> None:
    problems = []
    for name in ("http_port", "ws_port"):
        if not 0 <= getattr(cfg, name) <= 65535:
            problems.append(f"{name} must be between 0 and 65535 (0: any free port)")
    if str(cfg.log_level).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    try:
        from .engine.numbers import to_decimal
        if to_decimal(cfg.starting_balance) < 0:
            problems.append("starting_balance must not be negative")
    except ValueError:
        problems.append("starting_balance must be a decimal number")
    if cfg.faults_file is not None:
        if not Path(cfg.faults_file).is_file():
            problems.append(f"faults_file {cfg.faults_file} does not exist")
        else:
            from .faults import load_scenario
            try:
                load_scenario(cfg.faults_file)
            except Exception as e:     # not JSON/YAML, wrong shape, a bad rule
                problems.append(f"faults_file {cfg.faults_file}: {str(e)[:200]}")
    if cfg.scenario_file is not None:
        from .engine.scenario import load_file
        try:
            load_file(cfg.scenario_file)
        except ValueError as e:
            problems.append(str(e)[:300])
    if cfg.clock not in ("real", "manual"):
        problems.append("clock must be 'real' or 'manual'")
    if cfg.auth_mode not in ("permissive", "strict"):
        problems.append("auth_mode must be 'permissive' or 'strict'")
    if cfg.control not in ("on", "loopback", "off"):
        problems.append("control must be 'on', 'loopback' or 'off'")
    if cfg.history_kept < 0:
        problems.append("history_kept must not be negative (0: keep all)")
    if cfg.history_hours < 0:
        problems.append("history_hours must not be negative (0: no age limit)")
    if cfg.tick_interval < 0.05:
        problems.append("tick_interval must be at least 0.05 s")
    if not 0 <= cfg.fast_forward_step <= 3600:
        problems.append("fast_forward_step must be from 0 to 3600 s")
    if not Path(cfg.fixtures_dir, "markets.json").is_file():
        problems.append(f"no markets.json in fixtures dir {cfg.fixtures_dir}")
    from . import venues
    try:
        served = venues.parse(cfg.venues)
        if cfg.root_venue and cfg.root_venue not in served:
            problems.append(f"root_venue {cfg.root_venue!r} is not among the venues served ({', '.join(served)})")
    except ValueError as e:
        problems.append(str(e))
    if problems:
        msg = "; ".join(problems)
        if parser is not None:
            parser.error(msg)
        raise ValueError(msg)
