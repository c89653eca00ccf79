"""Shared plumbing of the benchmark suite: starting and stopping servers, CPU pinning, free ports,
RSS, percentiles, and the figure/table output.

Everything runs on 127.0.0.1. Servers are pinned to CPU 0 and load generators to CPU 1 when
``taskset`` exists and the machine has at least two CPUs (see ``pin()``), so the two do not steal
each other's core; the summary says which.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
HOST = "127.0.0.1"
PY = sys.executable

SERVER_CPU = "0"
CLIENT_CPU = "1"


# ------------------------------------------------------------------------------ environment
def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_pin() -> bool:
    return shutil.which("taskset") is not None and cpu_count() >= 2 and os.environ.get("BENCH_NO_PIN") != "1"


def pin(cmd: Sequence[str], cpu: str) -> List[str]:
    """``cmd`` prefixed with ``taskset -c cpu`` when pinning is possible."""
    return (["taskset", "-c", cpu] if can_pin() else []) + list(cmd)


def pinning_note() -> str:
    if can_pin():
        return f"servers pinned to CPU {SERVER_CPU}, load generators to CPU {CLIENT_CPU} (taskset)"
    return (f"NOT pinned ({cpu_count()} CPU(s) visible or no taskset): servers and load generators "
            "share the CPUs, so absolute figures are lower and noisier; ratios stay comparable")


def wrk_path() -> Optional[str]:
    return shutil.which("wrk")


def missing_tools() -> List[str]:
    """What the suite would like but can do without (it says so and falls back)."""
    out = []
    if wrk_path() is None:
        out.append("wrk (Debian: apt-get install wrk) - falling back to the pure-Python load generator")
    if shutil.which("taskset") is None:
        out.append("taskset (Debian: util-linux) - servers and clients will not be pinned")
    return out


def check_python_deps() -> List[str]:
    """Python packages the suite needs (all are the mock's own runtime dependencies)."""
    missing = []
    for mod, pkg in (("flask", "flask"), ("gunicorn", "gunicorn"), ("websockets", "websockets"),
                     ("starknet_py", "starknet-py"), ("jwt", "PyJWT")):
        try:
            __import__(mod)
        except ImportError:
            missing.append(pkg)
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident set size of one process, MB (from /proc)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc), seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def children_of(pid: int) -> List[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


# ------------------------------------------------------------------------------ servers
def http_get(url: str, timeout: float = 2.0, headers: Optional[dict] = None) -> tuple:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def http_json(method: str, url: str, body=None, headers: Optional[dict] = None, timeout: float = 10.0):
    """``(status, json_or_None)`` for one call: the test helper's ``rest`` on a full URL."""
    from paradex_mock.ws.testing import rest
    return rest(url, method, "", body, headers, timeout)


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None, interval: float = 0.005) -> float:
    """Poll ``url`` until it answers 200; returns the time it took (s). Raises on timeout."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            status, _ = http_get(url, timeout=0.5)
            if status == 200:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def wait_ws(url: str, timeout: float, proc: Optional[subprocess.Popen] = None, interval: float = 0.005,
            probe_channel: Optional[str] = "bbo.BTC-USD-PERP") -> float:
    """Connect to a WS server until it accepts (and, with ``probe_channel``, answers a subscribe
    with the channel's first message): the time until it serves data."""
    import asyncio
    from websockets.asyncio.client import connect

    async def once() -> bool:
        async with connect(url, open_timeout=1, close_timeout=0.2) as ws:
            if probe_channel is None:
                return True
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                                      "params": {"channel": probe_channel}}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 2))
                if msg.get("method") == "subscription":
                    return True
                if "error" in msg:
                    return False

    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            if asyncio.run(once()):
                return time.perf_counter() - t0
        except (OSError, asyncio.TimeoutError, Exception):  # refused, handshake failed, not ready
            pass
        time.sleep(interval)
    raise TimeoutError(f"{url} not ready after {timeout}s")


@dataclass
class Server:
    """A server process of the suite; ``stop()`` ends it (and only it) by its pid."""
    name: str
    proc: subprocess.Popen
    url: str
    ready_s: float = float("nan")
    log_path: Optional[Path] = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def worker_pid(self) -> int:
        """gunicorn: the worker (the process that holds the exchange); others: the process."""
        kids = children_of(self.proc.pid)
        return kids[0] if kids else self.proc.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _env(extra: Dict[str, str]) -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT))
    if str(ROOT) not in env["PYTHONPATH"].split(os.pathsep):
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env["PYTHONPATH"]
    env.update(extra)
    return env


def mock_env(port: int, ws_port: Optional[int] = None, **overrides) -> Dict[str, str]:
    """PARADEX_MOCK_* settings for a benchmark run: no rate limits (they are 1500/min), quiet logs."""
    env = {
        "PARADEX_MOCK_HOST": HOST,
        "PARADEX_MOCK_HTTP_PORT": str(port),
        "PARADEX_MOCK_RATE_LIMITS": "false",
        "PARADEX_MOCK_LOG_LEVEL": "WARNING",
        "PARADEX_MOCK_SEED": "7",
    }
    if ws_port is not None:
        env["PARADEX_MOCK_WS_PORT"] = str(ws_port)
    for k, v in overrides.items():
        env["PARADEX_MOCK_" + k.upper()] = str(v)
    return env


def _spawn(name: str, cmd: List[str], env: Dict[str, str]) -> tuple:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"{name}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=_env(env), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    log.close()
    return proc, log_path


def start_gunicorn(name: str, port: int, app: Optional[str] = None, env: Optional[dict] = None,
                   ready_path: str = "/v1/system/time", timeout: float = 30.0) -> Server:
    """gunicorn -c gunicorn.conf.py (one gthread worker, as a load user would run it); ``app``
    replaces the mock's app factory (the bare-Flask baseline) under the same settings."""
    cmd = [PY, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"{HOST}:{port}"]
    if app:
        cmd.append(app)
    proc, log = _spawn(name, pin(cmd, SERVER_CPU), dict(env or {}, PARADEX_MOCK_HTTP_PORT=str(port)))
    srv = Server(name, proc, f"http://{HOST}:{port}", log_path=log)
    try:
        srv.ready_s = wait_http(srv.url + ready_path, timeout, proc)
    except BaseException:
        srv.stop()
        raise
    return srv


def start_script(name: str, args: List[str], url: str, ready: str, env: dict, timeout: float = 30.0) -> Server:
    """A Python entry point (http_server.py, ws_server.py, a baseline); ``ready`` is an http(s)
    URL to poll or a ws:// URL to subscribe on."""
    proc, log = _spawn(name, pin([PY] + args, SERVER_CPU), env)
    srv = Server(name, proc, url, log_path=log)
    try:
        if ready.startswith("ws"):
            srv.ready_s = wait_ws(ready, timeout, proc)
        else:
            srv.ready_s = wait_http(ready, timeout, proc)
    except BaseException:
        srv.stop()
        raise
    return srv


def run_client(args: List[str], timeout: float, env: Optional[dict] = None) -> dict:
    """Run a load-generator/client script of the suite on the client CPU; its last stdout line
    is its JSON result."""
    cmd = pin([PY] + args, CLIENT_CPU)
    p = subprocess.run(cmd, cwd=str(ROOT), env=_env(env or {}), capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    lines = [ln for ln in p.stdout.strip().splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"{args[0]} printed no result:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------ statistics
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


# ------------------------------------------------------------------------------ figures
@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: Optional[float] = None
    baseline_name: str = ""
    target: str = ""          # human text, e.g. ">= 0.8x" or "<= 10 ms"
    ok: Optional[bool] = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> Optional[float]:
        if self.baseline in (None, 0) or self.value != self.value:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        v = _num(self.value)
        parts = [f"{self.section:<9} {self.name:<44} {v:>10} {self.unit:<8}"]
        if self.baseline is not None:
            r = self.ratio
            parts.append(f"| {self.baseline_name:<26} {_num(self.baseline):>10}  ratio {r:.2f}x" if r is not None
                         else f"| {self.baseline_name:<26} {_num(self.baseline):>10}  ratio   n/a")
        if self.target:
            verdict = "" if self.ok is None else ("PASS" if self.ok else "MISS")
            parts.append(f"| target {self.target} {verdict}")
        if self.note:
            parts.append(f"({self.note})")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {"section": self.section, "name": self.name, "value": self.value, "unit": self.unit,
                "baseline": self.baseline, "baseline_name": self.baseline_name, "ratio": self.ratio,
                "target": self.target, "ok": self.ok, "note": self.note}


def _num(x: Optional[float]) -> str:
    if x is None or x != x:
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


@dataclass
class Report:
    figures: List[Figure] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def add(self, fig: Figure) -> Figure:
        self.figures.append(fig)
        print(fig.line(), flush=True)
        return fig

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"note: {text}", flush=True)

    def table(self) -> str:
        """The summary as a Markdown table (pasteable into README's Performance section)."""
        rows = ["| figure | mock | baseline | ratio | target | |", "|---|---:|---:|---:|---|---|"]
        for f in self.figures:
            r = f.ratio
            base = f"{_num(f.baseline)} ({f.baseline_name})" if f.baseline is not None else ""
            verdict = "" if f.ok is None else ("pass" if f.ok else "**miss**")
            rows.append(f"| {f.section}: {f.name} | {_num(f.value)} {f.unit} | {base} | "
                        f"{'' if r is None else f'{r:.2f}x'} | {f.target} | {verdict} |")
        return "\n".join(rows)

    def save(self, path: Path, meta: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"meta": meta, "figures": [f.as_dict() for f in self.figures],
                                    "notes": self.notes}, indent=2))
