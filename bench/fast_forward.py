"""How long ``clock/advance`` takes to move a day, fast-forwarded, against ticking it second by
second (the baseline, measured in the same run on 120 ticks and scaled to a day).

For Paradex's markets alone (the issue's target: a day in at most 2 s), for a scripted day on
them (a crash, a halt, a hold), and for every venue's markets at once. CPU time of this process
is given beside wall time: it barely moves when other processes take the machine.

    python -m bench.fast_forward            # about a minute; prints a table and one JSON line
"""
from __future__ import annotations

import json
import sys
import time

from paradex_mock.config import Config
from paradex_mock.http.app import create_app

DAY_S = 86_400
START = 1767225600000
BASELINE_TICKS = 120
TARGET_S = 2.0
SCRIPT = [{"kind": "calm", "seconds": 6 * 3600}, {"kind": "trend", "move_pct": 3, "seconds": 6 * 3600},
          {"kind": "shock", "move_pct": -8, "seconds": 600, "volume": 4}, {"kind": "halt", "seconds": 1200},
          {"kind": "volatile", "seconds": 4 * 3600}, {"kind": "hold", "price": "90000", "seconds": 3600},
          {"kind": "free", "seconds": 6 * 3600}]


def exchange(venues: str):
    cfg = Config(clock="manual", start_time_ms=START, seed=7, venues=venues, control="on", rate_limits=False)
    return create_app(cfg, start_ticker=False).extensions["paradex_mock"].exchange


def timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def measure(venues: str, scripted: bool = False) -> dict:
    ex = exchange(venues)
    if scripted:
        from paradex_mock.engine.scenario import Scenario
        keys = [k for k, m in ex.markets.items() if m.venue == "paradex"]
        ex.set_scenario(Scenario.parse({"markets": {k: SCRIPT for k in keys}}))
    wall, cpu = timed(lambda: ex.advance(seconds=DAY_S))
    base = exchange(venues)
    b_wall, b_cpu = timed(lambda: base.advance(ticks=BASELINE_TICKS))
    scale = DAY_S / BASELINE_TICKS
    return {"venues": venues, "scripted": scripted, "markets": len(ex.states),
            "day_wall_s": round(wall, 3), "day_cpu_s": round(cpu, 3),
            "tick_by_tick_day_wall_s": round(b_wall * scale, 1), "tick_by_tick_day_cpu_s": round(b_cpu * scale, 1),
            "speedup_cpu": round(b_cpu * scale / cpu, 1)}


def main() -> int:
    rows = [measure("paradex"), measure("paradex", scripted=True), measure("all")]
    print(f"{'markets':>8} {'what':<22} {'day (wall)':>11} {'day (cpu)':>10} {'tick by tick (cpu)':>19} {'ratio':>7}")
    for r in rows:
        what = ("scripted day, " if r["scripted"] else "day, ") + r["venues"]
        print(f"{r['markets']:>8} {what:<22} {r['day_wall_s']:>10.2f}s {r['day_cpu_s']:>9.2f}s "
              f"{r['tick_by_tick_day_cpu_s']:>18.1f}s {r['speedup_cpu']:>6.0f}x")
    met = all(r["day_cpu_s"] <= TARGET_S for r in rows if r["venues"] == "paradex")
    print(f"target: a day of Paradex's markets in at most {TARGET_S:.0f} s of CPU: {'met' if met else 'MISSED'}")
    print(json.dumps({"fast_forward": rows, "target_met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
