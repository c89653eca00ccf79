"""REST figures: reads and order entry (permissive and signed) against the bare-Flask baseline
under the same gunicorn settings, and signed entry against the crypto limit per core."""
from __future__ import annotations

import json
import time

from .common import (BENCH, PY, RESULTS, ROOT, SERVER_CPU, Figure, Report, cpu_seconds, free_port, http_get,
                     http_json, mock_env, pin, start_gunicorn)
from .load import bad_statuses, run_load, write_requests
from .orders import market_params, permissive_bodies, signed_setup

READ_SUMMARY = "/v1/markets/summary?market=BTC-USD-PERP"
READ_BOOK = "/v1/orderbook/BTC-USD-PERP"
READ_KLINES = "/binance/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=500"


ROUNDS = 2


def best(results, count_status=None):
    """The round with the highest throughput (of ``count_status`` answers when given)."""
    def rate(r):
        return (r["statuses"].get(count_status, 0) if count_status else r["requests"]) / r["duration_s"]
    return max(results, key=rate)


def _ms(us) -> float:
    return float(us) / 1000.0


def crypto_limit(orders: int = 300) -> dict:
    """Measured on the server's CPU (nothing else is running then)."""
    import subprocess
    cmd = pin([PY, str(BENCH / "crypto_limit.py"), "--orders", str(orders)], SERVER_CPU)
    p = subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=300,
                       env=dict(__import__("os").environ, PYTHONPATH=str(ROOT)))
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def run(report: Report, gen: str, duration: float, warmup: float, connections: int) -> dict:
    work = RESULTS / "work"
    work.mkdir(parents=True, exist_ok=True)
    raw = {}

    # ------------------------------------------------------------------ the crypto limit, alone
    cl = crypto_limit()
    raw["crypto_limit"] = cl

    # ------------------------------------------------------------------ both servers, same settings
    # Both run at once (pinned to the same CPU) and the loads alternate mock, bare, mock, bare:
    # whatever else the machine does at the time hits both sides alike; each side's best round
    # counts (the least disturbed one).
    port = free_port()
    mock = start_gunicorn("rest-mock", port, env=mock_env(port))
    bare = bare_crypto = None
    base = mock.url
    try:
        payloads = {
            "summary": http_get(base + READ_SUMMARY)[1].decode(),
            "orderbook": http_get(base + READ_BOOK)[1].decode(),
            "klines": http_get(base + READ_KLINES)[1].decode(),
        }
        params = market_params(base)
        perm = permissive_bodies(params, 500)
        status, ack = http_json("POST", base + "/v1/orders", json.loads(perm[0]))
        assert status == 201, ack
        payloads["order_ack"] = json.dumps(ack, separators=(",", ":"))
        (work / "payloads.json").write_text(json.dumps(payloads))
        bport = free_port()
        bare = start_gunicorn("rest-bare", bport, app="bench.baseline_app:create_app()",
                              env={"BENCH_PAYLOADS": str(work / "payloads.json")})

        f_summary = write_requests(work / "summary.txt", [("GET", READ_SUMMARY, None, None)])
        f_book = write_requests(work / "orderbook.txt", [("GET", READ_BOOK, None, None)])
        f_klines = write_requests(work / "klines.txt", [("GET", READ_KLINES, None, None)])
        f_perm = write_requests(work / "orders_permissive.txt", [("POST", "/v1/orders", None, b) for b in perm])
        half = max(1.0, duration / ROUNDS)

        mock_pid, bare_pid = mock.worker_pid(), bare.worker_pid()

        def measured(pid, *a, **kw):
            """run_load, plus the server worker's CPU time per answered request (us): unlike
            throughput, it hardly moves when other processes take CPU time from the server."""
            c0 = cpu_seconds(pid)
            res = run_load(*a, **kw)
            res["cpu_s"] = cpu_seconds(pid) - c0
            return res

        def ab(key, f_mock, f_bare=None, mock_cycle=True, against=None):
            """Alternate mock and baseline rounds; ``against``: (server, pid) of another baseline
            than the bare Flask app."""
            b_srv, b_pid = against or (bare, bare_pid)
            rounds = {"mock": [], "bare": []}
            for i in range(ROUNDS):
                fm = f_mock[i] if isinstance(f_mock, list) else f_mock
                if i == 0 and warmup > 0 and mock_cycle:
                    run_load(base, fm, gen=gen, connections=connections, duration=warmup)
                rounds["mock"].append(measured(mock_pid, base, fm, gen=gen, connections=connections, duration=half,
                                               cycle=mock_cycle))
                if i == 0 and warmup > 0:
                    run_load(b_srv.url, f_bare or fm, gen=gen, connections=connections, duration=warmup)
                rounds["bare"].append(measured(b_pid, b_srv.url, f_bare or fm, gen=gen, connections=connections,
                                               duration=half))
            raw["rounds_" + key] = rounds
            raw["mock_" + key] = best(rounds["mock"], "201" if not mock_cycle else None)
            raw["bare_" + key] = best(rounds["bare"])

        ab("summary", f_summary)
        ab("orderbook", f_book)
        ab("klines", f_klines)
        ab("permissive", f_perm)

        n_signed = int(min(20000, max(600, cl["per_s"] * 1.6 * duration)))
        rows, info = signed_setup(base, params, n_signed)
        raw["signed_setup"] = {k: v for k, v in info.items() if k != "keys"}
        auth_rows = [("POST", "/v1/orders", {"Authorization": f"Bearer {jwt}"}, b) for jwt, b in rows]
        per = len(auth_rows) // ROUNDS
        f_signed = [write_requests(work / f"orders_signed_{i}.txt", auth_rows[i * per:(i + 1) * per])
                    for i in range(ROUNDS)]
        ab("signed", f_signed, f_bare=f_signed[0], mock_cycle=False)

        # the same flow as the permissive load (IOC, nothing rests), signed; its baseline is the
        # framework's floor for signed orders: bare Flask doing only the crypto limit's work
        rows_ioc, info_ioc = signed_setup(base, params, n_signed, instruction="IOC")
        raw["signed_ioc_setup"] = {k: v for k, v in info_ioc.items() if k != "keys"}
        f_ioc = [write_requests(work / f"orders_signed_ioc_{i}.txt",
                                [("POST", "/v1/orders", {"Authorization": f"Bearer {jwt}"}, b)
                                 for jwt, b in rows_ioc[i * per:(i + 1) * per]])
                 for i in range(ROUNDS)]
        keys_file = work / "bare_crypto_keys.json"
        keys_file.write_text(json.dumps({"chain_id": info_ioc["chain_id"], "keys": info_ioc["keys"]}))
        bare_crypto = start_gunicorn("rest-bare-crypto", free_port(), app="bench.baseline_app:create_app()",
                                     env={"BENCH_PAYLOADS": str(work / "payloads.json"),
                                          "BENCH_CRYPTO": str(keys_file)})
        ab("signed_ioc", f_ioc, f_bare=f_ioc[0], mock_cycle=False,
           against=(bare_crypto, bare_crypto.worker_pid()))
    finally:
        mock.stop()
        for srv in (bare, bare_crypto):
            if srv is not None:
                srv.stop()

    # ------------------------------------------------------------------ figures
    def pair(name, key, target_ratio, unit="req/s", count_status=None, baseline="bare Flask"):
        m, bb = raw["mock_" + key], raw["bare_" + key]
        n = m["requests"] if count_status is None else m["statuses"].get(count_status, 0)
        mv = n / m["duration_s"]
        m["cpu_us_per_req"] = m["cpu_s"] / max(1, n) * 1e6
        bb["cpu_us_per_req"] = bb["cpu_s"] / max(1, bb["requests"]) * 1e6
        report.add(Figure("rest", f"{name} throughput", mv, unit, bb["rps"], baseline,
                          target=f">= {target_ratio}x" if target_ratio else "",
                          ok=(mv / bb["rps"] >= target_ratio) if target_ratio else None))
        report.add(Figure("rest", f"{name} server CPU per request", m["cpu_us_per_req"], "us",
                          bb["cpu_us_per_req"], baseline, higher_is_better=False,
                          note="noise-robust cross-check of the throughput ratio"))
        report.add(Figure("rest", f"{name} p50 latency", _ms(m["p50_us"]), "ms", _ms(bb["p50_us"]), baseline,
                          higher_is_better=False))
        report.add(Figure("rest", f"{name} p99 latency", _ms(m["p99_us"]), "ms", _ms(bb["p99_us"]), baseline,
                          higher_is_better=False))
        bad = bad_statuses(m)
        if bad:
            report.note(f"{name}: non-2xx answers from the mock: {bad}")

    pair("GET /markets/summary", "summary", 0.8)
    pair("GET /orderbook/{market}", "orderbook", 0.8)
    pair("GET /binance/api/v3/klines?limit=500", "klines", 0.8)
    pair("POST /orders permissive", "permissive", 0.6, unit="orders/s")
    pair("POST /orders signed (resting GTC)", "signed", None, unit="orders/s", count_status="201")
    pair("POST /orders signed (IOC)", "signed_ioc", None, unit="orders/s", count_status="201",
         baseline="bare Flask + hash+verify")

    def vs_crypto(name, res, target=True):
        rate = res["statuses"].get("201", 0) / res["duration_s"]
        cpu = res["cpu_s"] / max(1, res["statuses"].get("201", 0)) * 1e6
        report.add(Figure("rest", f"{name} vs crypto limit", rate, "orders/s", cl["per_s"], "hash+verify, 1 core",
                          target=">= 0.8x" if target else "", ok=(rate / cl["per_s"] >= 0.8) if target else None,
                          note=f"crypto {cl['us_per_order']:.0f} us/order; the server spent {cpu:.0f} us CPU/order, "
                               f"so crypto is {cl['us_per_order'] / cpu:.2f} of its work"))
        if res.get("exhausted"):
            report.note(f"{name}: the pre-signed orders ran out before the end; raise the count")

    vs_crypto("POST /orders signed (resting GTC)", raw["mock_signed"])
    vs_crypto("POST /orders signed (IOC)", raw["mock_signed_ioc"])
    # the framework's own floor: what bare Flask under the same gunicorn reaches doing nothing but
    # the crypto; the mock's work is the gap between this and the line above
    vs_crypto("bare Flask + hash+verify (the framework floor)", raw["bare_signed_ioc"], target=False)
    bad = bad_statuses(raw["bare_signed_ioc"])
    if bad:
        report.note(f"bare Flask + hash+verify: non-2xx answers: {bad}")
    report.note(f"signed setup: {info['accounts']} accounts, {info['orders']} orders pre-signed in "
                f"{info['sign_s']:.1f} s (not measured), twice (resting GTC, IOC)")
    (RESULTS / "rest_raw.json").write_text(json.dumps(raw, indent=2))
    return raw
