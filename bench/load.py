"""Run one load: wrk with ``requests.lua`` when installed, else ``loadgen.py``; both in their own
process on the client CPU, both returning the same JSON shape."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Optional

from .common import BENCH, CLIENT_CPU, PY, ROOT, pin, run_client, wrk_path

LUA = BENCH / "requests.lua"


def choose_generator(requested: str = "auto") -> str:
    if requested == "wrk" and wrk_path() is None:
        raise SystemExit("--gen wrk: wrk is not installed (Debian: apt-get install wrk)")
    if requested in ("wrk", "python"):
        return requested
    return "wrk" if wrk_path() else "python"


def write_requests(path: Path, rows) -> Path:
    """rows: (method, path, headers dict or None, body str or None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for method, target, headers, body in rows:
            h = "|".join(f"{k}: {v}" for k, v in (headers or {}).items())
            b = body or ""
            if "\t" in b or "\n" in b or "\t" in h:
                raise ValueError("request lines may not contain tabs or newlines")
            f.write(f"{method}\t{target}\t{h}\t{b}\n")
    return path


def run_load(url: str, file: Path, *, gen: str, connections: int = 16, duration: float = 8.0,
             cycle: bool = True, warmup: float = 0.0) -> dict:
    """Closed-loop load for ``duration`` seconds; returns requests, rps, p50/p90/p99/max (us),
    error counts and a status histogram."""
    duration = min(float(duration), 120.0)       # bounded, whatever the caller asks
    if gen == "wrk":
        def wrk(d: float) -> dict:
            cmd = pin([wrk_path(), "-t1", f"-c{connections}", f"-d{max(1, int(round(d)))}s", "--timeout", "10s",
                       "-s", str(LUA), url, "--", str(file), "1", "1" if cycle else "0"], CLIENT_CPU)
            p = subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=d + 60)
            lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
            if p.returncode != 0 or not lines:
                raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr[-2000:]} {p.stdout[-2000:]}")
            out = json.loads(lines[-1])
            out["generator"] = "wrk"
            return out
        if warmup > 0 and cycle:
            wrk(warmup)
        return wrk(duration)
    args = [str(BENCH / "loadgen.py"), "--url", url, "--file", str(file), "--connections", str(connections),
            "--duration", str(duration)]
    if warmup > 0 and cycle:
        args += ["--warmup", str(warmup)]
    if not cycle:
        args.append("--no-cycle")
    return run_client(args, timeout=duration + warmup + 120)


def ok_count(res: dict) -> int:
    """2xx answers (for non-cycling files: the requests that did what they were sent for)."""
    return sum(v for k, v in (res.get("statuses") or {}).items() if str(k).startswith("2"))


def bad_statuses(res: dict) -> dict:
    return {k: v for k, v in (res.get("statuses") or {}).items() if not str(k).startswith("2")}
