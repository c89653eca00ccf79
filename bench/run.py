#!/usr/bin/env python3
"""The paradex-mock benchmark suite: every figure next to its baseline from the same run.

    python -m bench.run                     # everything, a few minutes
    python -m bench.run --only rest,ws      # sections: rest, ws, startup, memory
    python -m bench.run --quick             # shorter loads (noisier), for a smoke test

It starts and stops its own servers on 127.0.0.1 (gunicorn for REST, as a load user runs it),
runs each load generator in a separate process, prints one line per figure, then a summary
table (Markdown) and writes bench/results/latest.json. It installs nothing: missing optional
tools are named and replaced (wrk -> the pure-Python generator; taskset -> no pinning).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):          # python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench.common import RESULTS, Report, check_python_deps, cpu_count, missing_tools, pinning_note  # noqa: E402
from bench.load import choose_generator  # noqa: E402

SECTIONS = ("startup", "rest", "ws", "memory")


def _loadavg() -> float:
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return 0.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="paradex-mock benchmarks (see bench/README.md)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {', '.join(SECTIONS)}")
    ap.add_argument("--gen", choices=("auto", "wrk", "python"), default="auto",
                    help="HTTP load generator (auto: wrk when installed)")
    ap.add_argument("--duration", type=float, default=8.0, help="seconds per REST load (default 8)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each REST load")
    ap.add_argument("--connections", type=int, default=16, help="concurrent HTTP connections (default 16)")
    ap.add_argument("--ws-clients", type=int, default=1000, help="WS fan-out clients (default 1000)")
    ap.add_argument("--ws-seconds", type=float, default=10.0, help="WS fan-out measuring window (default 10)")
    ap.add_argument("--orders", type=int, default=100_000, help="orders sent before the RSS reading")
    ap.add_argument("--long-orders", type=int, default=1_000_000,
                    help="orders sent before the second RSS reading (default 1,000,000; 0: skip it)")
    ap.add_argument("--quick", action="store_true", help="short loads (3 s), 300 WS clients, 20k/100k orders")
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    a = ap.parse_args(argv)
    if a.quick:
        a.duration, a.warmup, a.ws_clients, a.ws_seconds, a.orders = 3.0, 1.0, 300, 5.0, 20_000
        a.long_orders = min(a.long_orders, 100_000)
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    missing = check_python_deps()
    if missing:
        print(f"missing Python packages: {', '.join(missing)} (python install_deps.py installs them)",
              file=sys.stderr)
        return 2
    for m in missing_tools():
        print(f"missing (optional): {m}", flush=True)
    gen = choose_generator(a.gen)
    report = Report()
    print(f"paradex-mock bench: {cpu_count()} CPU(s), Python {platform.python_version()}, "
          f"generator {gen}; {pinning_note()}", flush=True)
    load_before = _loadavg()
    t0 = time.time()
    for section in SECTIONS:
        if section not in only:
            continue
        print(f"--- {section}", flush=True)
        try:
            if section == "startup":
                from bench import startup
                startup.run(report)
            elif section == "rest":
                from bench import rest
                rest.run(report, gen, a.duration, a.warmup, a.connections)
            elif section == "ws":
                from bench import ws
                ws.run(report, a.ws_clients, a.ws_seconds)
            elif section == "memory":
                from bench import memory
                memory.run(report, gen, a.orders, a.connections, a.long_orders)
        except Exception as e:   # one broken section must not hide the others' figures
            import traceback
            traceback.print_exc()
            report.note(f"section {section} failed: {type(e).__name__}: {e}")
    elapsed = time.time() - t0
    load_after = _loadavg()
    if max(load_before, load_after) > 2.5:
        report.note(f"the machine was busy besides the suite (load average {load_before:.1f} before, "
                    f"{load_after:.1f} after; the suite itself accounts for up to ~2): figures are noisier")
    print(f"\n=== summary ({elapsed:.0f} s; {pinning_note()}; generator {gen})")
    print(report.table())
    for n in report.notes:
        print(f"- {n}")
    meta = {"load_before": load_before, "load_after": load_after, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": cpu_count(), "python": platform.python_version(),
            "generator": gen, "pinning": pinning_note(), "elapsed_s": elapsed, "args": vars(a)}
    report.save(Path(a.out), meta)
    print(f"\nresults: {a.out}")
    misses = [f for f in report.figures if f.ok is False]
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
