"""Faults the test author injects on purpose: latency, error replies, dropped connections, lost
replies, and WebSocket message drops, delays, duplicates, reordering, disconnects and sequence gaps.

A fault plan is a list of rules. Each rule names a ``kind``, a ``target`` (an HTTP path pattern
such as ``POST /v1/orders`` or ``/v1/markets*``, or a WS channel pattern such as ``trades.*``;
``*`` for everything), a ``probability`` (default 1) and an optional ``count`` (how many times it
may fire). Every random choice comes from the plan's own seeded generator, so a run replays
exactly and faults never disturb the market's random stream.

Scenario files are JSON (or YAML when PyYAML is installed)::

    {"faults": [
      {"kind": "latency", "target": "GET /v1/markets*", "ms": 200, "jitter_ms": 50},
      {"kind": "error", "target": "POST /v1/orders", "status": 503, "probability": 0.2},
      {"kind": "lost_reply", "target": "POST /v1/orders", "count": 1},
      {"kind": "ws_drop", "target": "trades.*", "probability": 0.1},
      {"kind": "ws_seq_gap", "target": "order_book.*", "count": 1}
    ]}
"""
from __future__ import annotations

import fnmatch
import json
import random
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

HTTP_KINDS = ("latency", "error", "drop", "lost_reply")
WS_KINDS = ("ws_drop", "ws_delay", "ws_duplicate", "ws_reorder", "ws_disconnect", "ws_seq_gap")
KINDS = HTTP_KINDS + WS_KINDS
ERROR_STATUSES = (429, 500, 502, 503, 504)


class FaultError(ValueError):
    """A rule the plan cannot accept."""


@dataclass
class FaultRule:
    kind: str
    target: str = "*"
    probability: float = 1.0
    count: Optional[int] = None          # None: unlimited
    ms: int = 0                          # latency / ws_delay
    jitter_ms: int = 0
    status: int = 503                    # error
    id: int = 0
    fired: int = 0

    @classmethod
    def from_dict(cls, d: dict) -> "FaultRule":
        if not isinstance(d, dict):
            raise FaultError("a fault rule must be an object")
        unknown = set(d) - {"kind", "target", "probability", "count", "ms", "jitter_ms", "status"}
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        kind = d.get("kind")
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {str(kind)[:64]!r}; one of {', '.join(KINDS)}")
        try:
            rule = cls(kind=kind, target=str(d.get("target", "*")),
                       probability=float(d.get("probability", 1.0)),
                       count=None if d.get("count") is None else int(d["count"]),
                       ms=int(d.get("ms", 0)), jitter_ms=int(d.get("jitter_ms", 0)),
                       status=int(d.get("status", 503)))
        except (TypeError, ValueError):
            raise FaultError("probability, count, ms, jitter_ms and status must be numbers") from None
        if not 0 <= rule.probability <= 1:
            raise FaultError("probability must be between 0 and 1")
        if rule.count is not None and rule.count < 0:
            raise FaultError("count must not be negative")
        if rule.ms < 0 or rule.jitter_ms < 0:
            raise FaultError("ms and jitter_ms must not be negative")
        if kind == "error" and rule.status not in ERROR_STATUSES:
            raise FaultError(f"error status must be one of {ERROR_STATUSES}")
        return rule

    def public(self) -> dict:
        return asdict(self)

    def matches_http(self, method: str, path: str) -> bool:
        t = self.target
        if t == "*":
            return True
        if " " in t:
            m, p = t.split(" ", 1)
            return m.upper() == method.upper() and fnmatch.fnmatchcase(path, p)
        return fnmatch.fnmatchcase(path, t)

    def matches_channel(self, channel: str) -> bool:
        return self.target == "*" or fnmatch.fnmatchcase(channel, self.target)


class FaultPlan:
    """Thread-safe rule set with its own seeded random source and counters."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self.rules: List[FaultRule] = []
        self._next_id = 0
        self.seed = seed
        self.rng = random.Random(f"faults-{seed}")
        self.counts: Dict[str, int] = {}
        self.listeners = []   # called with the plan's public dict after every change
        self.sink = None      # called with a journal entry for every WS fault that fires

    def reset(self, seed: Optional[int] = None) -> None:
        with self._lock:
            if seed is not None:
                self.seed = seed
            self.rules = []
            self.rng = random.Random(f"faults-{self.seed}")
            self.counts = {}
        self._changed()

    def add(self, spec) -> List[FaultRule]:
        """Add one rule or a list (all validated before any is added)."""
        return self._install(spec if isinstance(spec, list) else [spec], keep=True)

    def _install(self, specs: list, keep: bool) -> List[FaultRule]:
        rules = [FaultRule.from_dict(s) for s in specs]   # on error nothing changes
        with self._lock:
            if not keep:
                self.rules = []
            for r in rules:
                self._next_id += 1
                r.id = self._next_id
                self.rules.append(r)
        self._changed()
        return rules

    def remove(self, rule_id: Optional[int] = None) -> int:
        with self._lock:
            before = len(self.rules)
            self.rules = [] if rule_id is None else [r for r in self.rules if r.id != rule_id]
            removed = before - len(self.rules)
        self._changed()
        return removed

    def replace(self, specs: list) -> List[FaultRule]:
        """Swap the whole rule set (validated first; on error nothing changes)."""
        return self._install(specs, keep=False)

    @staticmethod
    def parse_listed(rules) -> list:
        """Validate rules as ``public()`` lists them: ``[(FaultRule, {"id", "fired"}), ...]``."""
        if not isinstance(rules, list) or not all(isinstance(d, dict) for d in rules):
            raise FaultError("faults must be a list of rules")
        parsed = []
        for d in rules:
            state = {k: d.get(k, 0) for k in ("id", "fired")}
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in state.values()):
                raise FaultError("a rule's id and fired must be non-negative integers")
            parsed.append((FaultRule.from_dict({k: v for k, v in d.items() if k not in state}), state))
        return parsed

    def restore(self, rules: list) -> List[FaultRule]:
        """Swap the rule set for rules as ``public()`` lists them (a snapshot's): their ids and
        fired counts come back with them (validated first; on error nothing changes)."""
        parsed = self.parse_listed(rules)
        with self._lock:
            self.rules = []
            for rule, state in parsed:
                rule.fired = state["fired"]
                rule.id = state["id"] or self._next_id + 1
                self._next_id = max(self._next_id, rule.id)
                self.rules.append(rule)
        self._changed()
        return [r for r, _ in parsed]

    def public(self) -> dict:
        with self._lock:
            return {"faults": [r.public() for r in self.rules], "counts": dict(self.counts)}

    def _changed(self) -> None:
        for fn in list(self.listeners):
            try:
                fn(self.public())
            except Exception:
                pass

    def _fire(self, rule: FaultRule) -> bool:
        """Decide (under the lock) whether ``rule`` fires now, and count it if so."""
        if rule.count is not None and rule.fired >= rule.count:
            return False
        if rule.probability < 1 and self.rng.random() >= rule.probability:
            return False
        rule.fired += 1
        self.counts[rule.kind] = self.counts.get(rule.kind, 0) + 1
        return True

    def jitter(self, rule: FaultRule) -> float:
        """Seconds of delay for a latency-like rule."""
        with self._lock:
            extra = self.rng.uniform(-rule.jitter_ms, rule.jitter_ms) if rule.jitter_ms else 0.0
        return max(0.0, (rule.ms + extra) / 1000.0)

    def http_faults(self, method: str, path: str) -> List[FaultRule]:
        """The HTTP rules that fire for this request, each of which then happens: at most one
        latency, then at most one of ``error`` / ``drop`` (the request never runs) or else one
        ``lost_reply`` (it runs, and its reply is lost). A rule that cannot happen on this
        request, such as a ``lost_reply`` behind an ``error``, is not drawn and not counted."""
        out, kinds = [], set()
        with self._lock:
            for r in self.rules:
                if r.kind == "lost_reply" or r.kind not in HTTP_KINDS or r.kind in kinds:
                    continue
                if r.kind in ("error", "drop") and kinds & {"error", "drop"}:
                    continue
                if r.matches_http(method, path) and self._fire(r):
                    out.append(r)
                    kinds.add(r.kind)
            if not kinds & {"error", "drop"}:
                for r in self.rules:
                    if r.kind == "lost_reply" and r.matches_http(method, path) and self._fire(r):
                        out.append(r)
                        break
        return out

    def ws_faults(self, channel: str, account: Optional[str] = None, at: Optional[int] = None,
                  journal: bool = True) -> List[FaultRule]:
        """The WS rules that fire for one notification on ``channel``; each firing is journaled
        (method "WS", path = the channel) when a sink is attached, unless ``journal`` is false
        (the caller then calls ``journal_ws`` itself, with the frame)."""
        out, kinds = [], set()
        with self._lock:
            for r in self.rules:
                if r.kind in WS_KINDS and r.kind not in kinds and r.matches_channel(channel) and self._fire(r):
                    out.append(r)
                    kinds.add(r.kind)
        if out and journal:
            self.journal_ws(channel, account, at, [r.kind for r in out])
        return out

    def journal_ws(self, channel: str, account: Optional[str], at: Optional[int], kinds: List[str],
                   frame: Optional[dict] = None) -> None:
        """Journal the WS faults ``kinds`` that hit one notification; ``frame``: a readable account
        of a binary frame (an SBE frame's decoded fields), recorded as ``"frame"``."""
        if self.sink is None:
            return
        entry = {"kind": "ws", "at": at, "method": "WS", "path": channel, "query": "", "account": account,
                 "status": None, "latency_ms": None, "faults": kinds, "ip": None}
        if frame is not None:
            entry["frame"] = frame
        self.sink(entry)

    def load_dict(self, doc) -> None:
        if isinstance(doc, dict):
            doc = doc.get("faults", [])
        if not isinstance(doc, list):
            raise FaultError("a scenario is a list of rules or {\"faults\": [...]}")
        self.add(doc)


def load_scenario(path: str) -> list:
    """Read a JSON (or, with PyYAML installed, YAML) scenario file into a list of rule dicts."""
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml  # optional: only for YAML scenarios
        except ImportError:
            raise FaultError("YAML scenarios need PyYAML (pip install pyyaml); or write the scenario as JSON") from None
        doc = yaml.safe_load(text)
    else:
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise FaultError(f"not valid JSON: {e}") from None
    if isinstance(doc, dict) and set(doc) == {"faults"}:
        doc = doc["faults"]
    if not isinstance(doc, list):   # {"faultz": [...]} or a bare rule is a mistake, not "no faults"
        raise FaultError("a scenario is a list of rules or {\"faults\": [...]}")
    for i, d in enumerate(doc):
        try:
            FaultRule.from_dict(d)
        except FaultError as e:
            raise FaultError(f"rule {i + 1}: {e}") from None
    return doc
