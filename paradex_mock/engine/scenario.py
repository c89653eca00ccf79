"""Market scenarios: the test author directs a market on the exchange clock.

A scenario is, per market (engine key: ``BTC-USD-PERP``, ``<venue>:<symbol>``...), a list of
segments that follow one another from the scenario's start::

    {"start_ms": 1767225600000,                      # optional; default: now when installed
     "markets": {"BTC-USD-PERP": [
        {"kind": "calm", "seconds": 600},             # quieter: volatility x0.3, volume x0.5
        {"kind": "shock", "move_pct": -10, "seconds": 60, "volume": 5},   # a crash, 5x the volume
        {"kind": "halt", "seconds": 300},             # no synthetic trades, the book frozen
        {"kind": "gap", "move_pct": 3},               # a jump between two ticks
        {"kind": "trend", "seconds": 3600, "move_pct": 2, "volatility": 0.4},
        {"kind": "volatile", "seconds": 600},          # volatility x3, volume x2
        {"kind": "hold", "price": "90000", "seconds": 600},
        {"kind": "free", "seconds": 600},              # the seeded simulator, unscripted
        {"kind": "replay", "candles": [[t, o, h, l, c, v], ...], "interval": "1m"}
     ]}}

After a market's last segment, and in every market not named, the seeded simulator runs as
without a scenario. The engine's tick consults the active segment (``Exchange.tick``): the price
process (``MarketState.step_price``), the synthetic flow's volume and whether the maker requotes.
Nothing here draws randomness of its own, so the same seed and scenario give the same candles,
trades and books.

Timing: a segment covers ``(start, end]`` of the clock; the tick at time ``now`` acts for the
segment holding ``now`` (the tick at a segment's end is its last). ``shock`` and ``replay`` print
their trades at the scripted prices (``path`` segments); the others act through the simulator.
The baseline volume is the market's expected flow, ``trades_per_minute x trade_size`` a minute.

Each segment's start and end is announced once, by the clock (``Scenario.changes``): the exchange
publishes a "scenario" event (``events.SegmentChange``) at the tick that sees it, and the request
journal records it (``control.py``); installing or clearing a scenario is announced too.
"""
from __future__ import annotations

import bisect
import copy
import csv
import io
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Dict, List, Optional, Tuple

KINDS = ("trend", "shock", "gap", "calm", "volatile", "halt", "hold", "free", "replay")
PATH_KINDS = ("shock", "replay")
MAX_SECONDS = 366 * 86_400          # one segment lasts at most a year
MAX_SEGMENTS = 10_000
MAX_REPLAY_ROWS = 200_000
_FIELDS = {
    "trend": {"seconds", "move_pct", "drift", "volatility", "volume"},
    "shock": {"seconds", "move_pct", "volume"},
    "gap": {"move_pct"},
    "calm": {"seconds", "factor", "volume"},
    "volatile": {"seconds", "factor", "volume"},
    "halt": {"seconds"},
    "hold": {"seconds", "price", "volume"},
    "free": {"seconds"},
    "replay": {"candles", "file", "interval", "backfill"},
}
_DEFAULTS = {"calm": (0.3, 0.5), "volatile": (3.0, 2.0)}   # (volatility factor, volume multiplier)
_INTERVALS = {"1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
              "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
              "12h": 43_200_000, "1d": 86_400_000}


class ScenarioError(ValueError):
    """A scenario the engine cannot accept (one line, naming where)."""


@dataclass
class Candle:
    open_ms: int          # as in the file (replay rebases it to the clock)
    o: Decimal
    h: Decimal
    l: Decimal            # noqa: E741
    c: Decimal
    v: Decimal


@dataclass
class Segment:
    kind: str
    spec: dict                          # as given
    seconds: float = 0.0
    move: float = 0.0                   # fraction (shock, gap, trend)
    volume: float = 1.0                 # synthetic flow multiplier
    volatility: Optional[float] = None  # annualised (trend)
    factor: float = 1.0                 # volatility multiplier (calm, volatile)
    drift: Optional[float] = None       # annualised (trend)
    price: Optional[Decimal] = None     # hold
    candles: List[Candle] = field(default_factory=list)   # replay
    interval_ms: int = 0
    backfill: int = 0                   # replay: the first n candles become history
    # placed on the clock by Scenario.install
    start_ms: int = 0
    end_ms: int = 0
    # what a run has done so far
    anchor: Optional[Decimal] = None    # the index when the segment began
    printed: Decimal = Decimal(0)       # shock: volume printed so far
    expected: Decimal = Decimal(0)      # shock: the baseline's expected trades so far
    done: int = 0                       # replay: prints made; gap: applied (1)

    def public(self) -> dict:
        out = {"kind": self.kind, "start_ms": self.start_ms, "end_ms": self.end_ms}
        out.update({k: v for k, v in self.spec.items() if k != "candles"})
        if self.kind == "replay":
            out["candles"] = len(self.candles)
        return out


def _num(where: str, d: dict, key: str, default=None, lo=None, hi=None, strict_lo=False) -> Optional[float]:
    if key not in d:
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ScenarioError(f"{where}: {key} must be a number")
    if lo is not None and (v <= lo if strict_lo else v < lo):
        raise ScenarioError(f"{where}: {key} must be {'above' if strict_lo else 'at least'} {lo}")
    if hi is not None and v > hi:
        raise ScenarioError(f"{where}: {key} must be at most {hi}")
    return float(v)


def _dec(where: str, value, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ScenarioError(f"{where}: {what} must be a decimal number")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ScenarioError(f"{where}: {what} must be a decimal number, not {str(value)[:32]!r}") from None
    if not d.is_finite():
        raise ScenarioError(f"{where}: {what} must be a finite decimal number")
    return d


def parse_segment(where: str, d) -> Segment:
    if not isinstance(d, dict):
        raise ScenarioError(f"{where}: a segment is an object with a kind")
    kind = d.get("kind")
    if kind not in KINDS:
        raise ScenarioError(f"{where}: unknown kind {str(kind)[:32]!r}; one of {', '.join(KINDS)}")
    unknown = set(d) - _FIELDS[kind] - {"kind"}
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) for {kind}: {', '.join(sorted(map(str, unknown)))[:200]}")
    seg = Segment(kind=kind, spec=dict(d))
    if kind not in ("gap", "replay"):
        if "seconds" not in d:
            raise ScenarioError(f"{where}: {kind} needs seconds (its duration)")
        seg.seconds = _num(where, d, "seconds", lo=0, hi=MAX_SECONDS, strict_lo=True)
    if "move_pct" in d:
        seg.move = _num(where, d, "move_pct", lo=-100, hi=10_000, strict_lo=True) / 100.0
    elif kind in ("shock", "gap"):
        raise ScenarioError(f"{where}: {kind} needs move_pct (e.g. -10 for a 10% fall)")
    if kind in ("calm", "volatile"):
        f0, v0 = _DEFAULTS[kind]
        seg.factor = _num(where, d, "factor", f0, lo=0, hi=100)
        seg.volume = _num(where, d, "volume", v0, lo=0, hi=1000)
    else:
        seg.volume = _num(where, d, "volume", 1.0, lo=0, hi=1000)
    if kind == "trend":
        if "drift" in d and "move_pct" in d:
            raise ScenarioError(f"{where}: trend takes drift (annualised) or move_pct (over the segment), not both")
        seg.drift = _num(where, d, "drift", None, lo=-1000, hi=1000)
        seg.volatility = _num(where, d, "volatility", None, lo=0, hi=100)
    if kind == "hold":
        if "price" not in d:
            raise ScenarioError(f"{where}: hold needs price")
        seg.price = _dec(where, d["price"], "price")
        if seg.price <= 0:
            raise ScenarioError(f"{where}: price must be positive")
    if kind == "replay":
        _parse_replay(where, d, seg)
    return seg


def _parse_replay(where: str, d: dict, seg: Segment) -> None:
    if ("candles" in d) == ("file" in d):
        raise ScenarioError(f"{where}: replay takes candles (rows) or file (a CSV or JSON path), one of them")
    if "file" in d:
        if not isinstance(d["file"], str):
            raise ScenarioError(f"{where}: file must be a path")
        rows = read_candle_file(d["file"], where)
    else:
        rows = d["candles"]
        if not isinstance(rows, list):
            raise ScenarioError(f"{where}: candles must be a list of [timestamp, open, high, low, close, volume]")
    seg.candles = parse_candles(where, rows)
    gaps = {b.open_ms - a.open_ms for a, b in zip(seg.candles, seg.candles[1:])}
    if "interval" in d:
        if d["interval"] not in _INTERVALS:
            raise ScenarioError(f"{where}: interval must be one of {', '.join(_INTERVALS)}")
        seg.interval_ms = _INTERVALS[d["interval"]]
        if gaps and gaps != {seg.interval_ms}:
            raise ScenarioError(f"{where}: the candles are not {d['interval']} apart")
    else:
        if len(gaps) != 1 or next(iter(gaps)) not in _INTERVALS.values():
            raise ScenarioError(f"{where}: the candles must be evenly spaced at a standard interval "
                                "(or give interval)")
        seg.interval_ms = next(iter(gaps))
    b = d.get("backfill", 0)
    if isinstance(b, bool) or not isinstance(b, int) or not 0 <= b <= len(seg.candles):
        raise ScenarioError(f"{where}: backfill must be a whole number of candles, 0 to {len(seg.candles)}")
    seg.backfill = b
    seg.seconds = (len(seg.candles) - b) * seg.interval_ms / 1000.0


def parse_candles(where: str, rows: list) -> List[Candle]:
    """Rows ``[timestamp, open, high, low, close, volume, ...]`` (the common exchange kline rows qualify:
    the extra columns are ignored) or objects with those keys. Timestamps in ms (or s: below 1e11)."""
    if not rows:
        raise ScenarioError(f"{where}: no candles")
    if len(rows) > MAX_REPLAY_ROWS:
        raise ScenarioError(f"{where}: at most {MAX_REPLAY_ROWS} candles")
    out: List[Candle] = []
    for i, r in enumerate(rows):
        w = f"{where}: candle {i}"
        if isinstance(r, dict):
            try:
                r = [r["timestamp"], r["open"], r["high"], r["low"], r["close"], r["volume"]]
            except KeyError as e:
                raise ScenarioError(f"{w}: missing {e.args[0]}") from None
        if not isinstance(r, (list, tuple)) or len(r) < 6:
            raise ScenarioError(f"{w}: a row is [timestamp, open, high, low, close, volume]")
        try:
            ts = int(Decimal(str(r[0])))
        except (InvalidOperation, ValueError):
            raise ScenarioError(f"{w}: timestamp must be a number") from None
        if ts < 100_000_000_000:
            ts *= 1000
        o, h, l, c, v = (_dec(w, x, name) for x, name in zip(r[1:6], ("open", "high", "low", "close", "volume")))
        if min(o, h, l, c) <= 0 or v < 0:
            raise ScenarioError(f"{w}: prices must be positive and volume not negative")
        if not (l <= min(o, c) and h >= max(o, c)):
            raise ScenarioError(f"{w}: low <= open, close <= high does not hold")
        if out and ts <= out[-1].open_ms:
            raise ScenarioError(f"{w}: timestamps must increase")
        out.append(Candle(ts, o, h, l, c, v))
    return out


def read_candle_file(path: str, where: str = "replay") -> list:
    """Rows of a CSV (``timestamp,open,high,low,close,volume``; a header line is skipped) or a
    JSON file (a list of rows or objects, e.g. an exchange's klines answer)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{where}: file {path[:200]} does not exist")
    text = p.read_text()
    if p.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
        try:
            doc = json.loads(text)
        except ValueError:
            raise ScenarioError(f"{where}: {path[:200]} is not valid JSON") from None
        if not isinstance(doc, list):
            raise ScenarioError(f"{where}: {path[:200]} must hold a list of candles")
        return doc
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(x.strip() for x in r)]
    if rows and not rows[0][0].strip().lstrip("-").replace(".", "").isdigit():
        rows = rows[1:]      # the header
    return [[x.strip() for x in r] for r in rows]


class Scenario:
    """Segments per market, placed on the clock from ``start_ms``."""

    def __init__(self, markets: Dict[str, List[Segment]], start_ms: Optional[int] = None, spec: dict = None):
        self.markets = markets
        self.start_ms = start_ms
        self.spec = spec or {}
        self.pos: Dict[str, int] = {k: 0 for k in markets}
        # per market, what has been announced (``changes``): segments [0, ended) ended, [0, started) started
        self.reported: Dict[str, Tuple[int, int]] = {k: (0, 0) for k in markets}
        self._ends: Dict[str, List[int]] = {}

    @classmethod
    def parse(cls, doc) -> "Scenario":
        if not isinstance(doc, dict):
            raise ScenarioError("a scenario is an object: {\"markets\": {\"<market>\": [segments]}}")
        unknown = set(doc) - {"markets", "start_ms"}
        if unknown:
            raise ScenarioError(f"unknown scenario field(s): {', '.join(sorted(map(str, unknown)))[:200]}")
        start = doc.get("start_ms")
        if start is not None and (isinstance(start, bool) or not isinstance(start, int) or start < 0):
            raise ScenarioError("start_ms must be a non-negative integer (unix ms)")
        markets = doc.get("markets")
        if not isinstance(markets, dict) or not markets:
            raise ScenarioError("markets must be an object of market -> [segments], not empty")
        out: Dict[str, List[Segment]] = {}
        total = 0
        for key, segs in markets.items():
            if not isinstance(segs, list) or not segs:
                raise ScenarioError(f"{str(key)[:64]}: the segments must be a list, not empty")
            total += len(segs)
            if total > MAX_SEGMENTS:
                raise ScenarioError(f"at most {MAX_SEGMENTS} segments")
            out[key] = [parse_segment(f"{str(key)[:64]} segment {i} ({str(s.get('kind'))[:16] if isinstance(s, dict) else '?'})", s)
                        for i, s in enumerate(segs)]
        return cls(out, start, doc)

    def install(self, now_ms: int, markets: dict) -> "Scenario":
        """A copy placed on the clock (``start_ms`` or now), checked against the exchange's markets
        (``markets``: key -> Market)."""
        for key in self.markets:
            if key not in markets:
                raise ScenarioError(f"unknown market {str(key)[:64]!r}; the markets are engine keys "
                                    f"such as {', '.join(list(markets)[:4])}")
        sc = Scenario(copy.deepcopy(self.markets), self.start_ms if self.start_ms is not None else now_ms, self.spec)
        for key, segs in sc.markets.items():
            t = sc.start_ms
            for i, s in enumerate(segs):
                if s.kind == "hold" and s.price < markets[key].tick:
                    raise ScenarioError(f"{key} segment {i} (hold): price must be at least one tick")
                if s.kind == "replay" and s.backfill:
                    if i != 0 or sc.start_ms > now_ms:
                        raise ScenarioError(f"{key} segment {i} (replay): backfill needs the replay to be "
                                            "the market's first segment, starting now")
                    t -= t % s.interval_ms     # its history ends on the grid point at or before now
                elif s.kind == "replay":
                    t += (-t) % s.interval_ms          # a replay opens on its interval's grid
                s.start_ms = t
                t = s.end_ms = t + int(round(s.seconds * 1000))
        return sc

    def current(self, key: str, now: int) -> Tuple[Optional[Segment], List[Segment]]:
        """The segment acting at the tick at ``now`` and the gaps passed since the last call."""
        segs = self.markets.get(key)
        if not segs:
            return None, []
        i = self.pos[key]
        gaps = []
        while i < len(segs) and segs[i].end_ms < now:
            if segs[i].kind == "gap" and not segs[i].done:
                gaps.append(segs[i])
            i += 1
        self.pos[key] = i
        if i < len(segs) and segs[i].start_ms < now <= segs[i].end_ms:
            return segs[i], gaps
        return None, gaps

    def changes(self, key: str, now: int) -> List[Tuple[int, str]]:
        """The transitions of ``key``'s market by the tick at ``now``, in order, as
        ``(segment index, "started"|"ended")``, each announced once: the segments over by now
        ended (started first, if the clock jumped over all of it, as a gap always is), then the
        one in force started. By the clock alone, so a price held by ``set_price`` (which stops
        the segments acting) does not stop them being announced. A tick that changes nothing
        costs two comparisons."""
        segs = self.markets.get(key)
        if not segs:
            return []
        ended, started = self.reported[key]
        ends = self._ends_of(key)
        n = len(segs)
        if (ended >= n or ends[ended] >= now) and (started >= n or segs[started].start_ms >= now):
            return []
        pos = bisect.bisect_left(ends, now, lo=ended)      # segments before it are over
        act = pos if pos < n and segs[pos].start_ms < now else None
        out = []
        for j in range(ended, pos):
            if j >= started:
                out.append((j, "started"))
            out.append((j, "ended"))
        started = max(started, pos)
        if act is not None and started <= act:
            out.append((act, "started"))
            started = act + 1
        self.reported[key] = (pos, started)
        return out

    def _ends_of(self, key: str) -> List[int]:
        ends = self._ends.get(key)
        if ends is None:         # placed segments follow one another: their ends never decrease
            ends = self._ends[key] = [s.end_ms for s in self.markets[key]]
        return ends

    def active_index(self, key: str, now: int) -> Optional[int]:
        """The index of the segment in force at ``now`` (a read: nothing moves), by bisection."""
        segs = self.markets.get(key)
        if not segs:
            return None
        i = bisect.bisect_left(self._ends_of(key), now)     # the first segment not over by now
        if i < len(segs) and segs[i].start_ms < now:
            return i
        return None

    def active(self, key: str, now: int) -> Optional[Segment]:
        """The segment in force at ``now`` (a read: nothing moves)."""
        i = self.active_index(key, now)
        return None if i is None else self.markets[key][i]

    def summary(self, key: str, now: int) -> Optional[dict]:
        """One market's scenario at ``now`` in brief (None when it has none): the active segment
        (with its index, or None), the next one to start, the count and when the last ends."""
        segs = self.markets.get(key)
        if not segs:
            return None
        i = self.active_index(key, now)
        # the next to start: after the active one, else the first not over by now (a gap at now
        # counts: it applies at the next tick)
        nxt = bisect.bisect_left(self._ends[key], now) if i is None else i + 1

        def brief(j: int) -> dict:
            s = segs[j]
            return {"index": j, "kind": s.kind, "start_ms": s.start_ms, "end_ms": s.end_ms}
        return {"active": None if i is None else brief(i),
                "next": brief(nxt) if nxt < len(segs) else None,
                "segments": len(segs), "ends_ms": segs[-1].end_ms}

    def public(self, now: int) -> dict:
        out = {}
        for key, segs in self.markets.items():
            i = self.active_index(key, now)
            out[key] = {"active": None if i is None else dict(segs[i].public(), index=i),
                        "segments": [s.public() for s in segs],
                        "ends_ms": segs[-1].end_ms}
        return {"start_ms": self.start_ms, "now_ms": now, "markets": out}


def load_file(path: str) -> Scenario:
    """A scenario file (JSON, or YAML when PyYAML is installed), parsed and validated."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"scenario file {path[:200]} does not exist")
    text = p.read_text()
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ScenarioError("YAML scenarios need PyYAML (pip install pyyaml); or use JSON") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ScenarioError(f"scenario file {path[:200]} is not valid YAML") from None
    else:
        try:
            doc = json.loads(text)
        except ValueError:
            raise ScenarioError(f"scenario file {path[:200]} is not valid JSON") from None
    if isinstance(doc, dict) and isinstance(doc.get("markets"), dict):   # replay files: beside it
        for segs in doc["markets"].values():
            for s in segs if isinstance(segs, list) else ():
                if isinstance(s, dict) and isinstance(s.get("file"), str) and not Path(s["file"]).is_absolute():
                    s["file"] = str(p.parent / s["file"])
    return Scenario.parse(doc)
