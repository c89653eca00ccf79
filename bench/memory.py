"""Memory: the REST worker's RSS at start, after ``orders`` orders and after ``long_orders``
(permissive IOC orders in batches of 10 through POST /v1/orders/batch, so the fill takes seconds
per 100k, not minutes; each order is closed at once and stays in the account's history until the
retention, ``history_kept``, drops it); the bare Flask worker's RSS under the same gunicorn
settings for scale. The long reading is set against the short one from the same server: with a
bounded history it stays flat once the retention is full."""
from __future__ import annotations

import json
import time

from paradex_mock.config import Config

from .common import RESULTS, Figure, Report, free_port, mock_env, rss_mb, start_gunicorn
from .load import ok_count, run_load, write_requests
from .orders import market_params, permissive_bodies

BATCH = 10


def run(report: Report, gen: str, orders: int = 100_000, connections: int = 16,
        long_orders: int = 1_000_000) -> dict:
    work = RESULTS / "work"
    work.mkdir(parents=True, exist_ok=True)
    raw = {}
    p = free_port()
    bare = start_gunicorn("memory-bare", p, app="bench.baseline_app:create_app()")
    try:
        time.sleep(0.5)
        raw["bare_rss_mb"] = rss_mb(bare.worker_pid())
    finally:
        bare.stop()

    p = free_port()
    mock = start_gunicorn("memory-mock", p, env=mock_env(p))
    try:
        time.sleep(0.5)
        pid = mock.worker_pid()
        raw["start_rss_mb"] = rss_mb(pid)
        params = market_params(mock.url)
        bodies = permissive_bodies(params, BATCH * 50)
        n_req = orders // BATCH
        rows = []
        for i in range(n_req):
            chunk = [json.loads(b) for b in bodies[(i * BATCH) % len(bodies):(i * BATCH) % len(bodies) + BATCH]]
            rows.append(("POST", "/v1/orders/batch", None, json.dumps(chunk, separators=(",", ":"))))
        f = write_requests(work / "memory_batches.txt", rows)
        t0 = time.perf_counter()
        # the pure-Python generator stops at the end of the file (wrk would go on until -d)
        res = run_load(mock.url, f, gen="python", connections=connections, duration=300, cycle=False)
        elapsed = time.perf_counter() - t0
        raw["fill"] = res
        sent = ok_count(res) * BATCH
        raw["orders_sent"] = sent
        raw["after_rss_mb"] = rss_mb(pid)
        raw["fill_orders_per_s"] = sent / elapsed
        # the same file again until long_orders have gone in: the history is full long before
        total, passes = sent, []
        while long_orders > orders and total < long_orders:
            res = run_load(mock.url, f, gen="python", connections=connections, duration=300, cycle=False)
            total += ok_count(res) * BATCH
            passes.append({"orders": total, "rss_mb": rss_mb(pid)})
            print(f"  memory: {total:,} orders, RSS {passes[-1]['rss_mb']:.0f} MB", flush=True)
        raw["long_orders_sent"] = total
        raw["long_passes"] = passes
        raw["long_rss_mb"] = passes[-1]["rss_mb"] if passes else None
        raw["long_seconds"] = time.perf_counter() - t0
    finally:
        mock.stop()
    if raw["long_rss_mb"] is not None:
        long_ok = raw["long_rss_mb"] <= 200 and raw["long_rss_mb"] <= 1.1 * raw["after_rss_mb"] and total >= long_orders
        report.add(Figure("memory", f"RSS after {total:,} orders", raw["long_rss_mb"], "MB", raw["after_rss_mb"],
                          f"RSS after {sent:,} orders", target="<= 200 MB, <= 1.1x", ok=long_ok,
                          higher_is_better=False,
                          note=f"history_kept {Config().history_kept:,} per account; {raw['long_seconds']:.0f} s to send"))
    report.add(Figure("memory", f"RSS after {sent:,} orders", raw["after_rss_mb"], "MB", raw["start_rss_mb"],
                      "mock RSS at start", target="<= 200 MB", ok=raw["after_rss_mb"] <= 200 and sent >= orders,
                      higher_is_better=False, note=f"bare Flask worker {raw['bare_rss_mb']:.0f} MB"))
    report.add(Figure("memory", "RSS at start", raw["start_rss_mb"], "MB", raw["bare_rss_mb"],
                      "bare Flask worker", higher_is_better=False))
    report.add(Figure("memory", "batch order entry during the fill", raw["fill_orders_per_s"], "orders/s",
                      note=f"batches of {BATCH}"))
    (RESULTS / "memory_raw.json").write_text(json.dumps(raw, indent=2))
    return raw
