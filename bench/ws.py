"""WebSocket figures: REST order -> WS ``orders`` event latency, and the fan-out of ``bbo``/``trades``
at 10 Hz to many clients against a bare ``websockets`` broadcast of the same frames.

Two ways to run the mock, both measured when they start:
* one process: ``python http_server.py --with-ws`` (the README's quick start);
* two processes: gunicorn (REST, owns the exchange) + ``python ws_server.py`` following it.
Both with ``--tick-interval 0.1`` (10 Hz market data) and rate limits off.
"""
from __future__ import annotations

import json
import time

from .common import (BENCH, HOST, RESULTS, Figure, Report, free_port, http_json, mock_env, run_client, start_gunicorn,
                     start_script)
from .orders import market_params, permissive_bodies

TICK = "0.1"
ORDERS = 200
RATE = 20.0


def demo_jwt(base: str) -> str:
    """A JWT for the demo account (the account permissive orders land in), via POST /v1/auth."""
    from paradex_mock.venues.paradex.auth.signer import StarkSigner
    from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT, DEMO_PRIVATE_KEY
    status, cfg = http_json("GET", base + "/v1/system/config")
    signer = StarkSigner(DEMO_PRIVATE_KEY, chain_id=cfg.get("starknet_chain_id", "PRIVATE_SN_POTC_SEPOLIA"),
                         account_proxy_hash=int(cfg["paraclear_account_proxy_hash"], 16),
                         account_hash=int(cfg["paraclear_account_hash"], 16))
    if int(signer.address_hex, 16) != int(DEMO_ACCOUNT, 16):
        raise RuntimeError("the demo key does not derive the demo account with this system config")
    now = int(time.time())
    status, tok = http_json("POST", base + "/v1/auth", None, signer.auth_headers(now, now + 3600))
    if status != 200:
        raise RuntimeError(f"/v1/auth refused the demo key: {tok}")
    return tok["jwt_token"]


def measure(report: Report, label: str, http_base: str, ws_url: str, clients: int, seconds: float,
            record=None) -> dict:
    work = RESULTS / "work"
    work.mkdir(parents=True, exist_ok=True)
    out = {}
    params = market_params(http_base)
    bodies = work / "ws_order_bodies.jsonl"
    bodies.write_text("\n".join(permissive_bodies(params, 50)) + "\n")
    jwt = demo_jwt(http_base)
    out["orders"] = o = run_client([str(BENCH / "ws_orders_client.py"), "--http", http_base, "--ws", ws_url,
                                    "--jwt", jwt, "--bodies", str(bodies), "--orders", str(ORDERS),
                                    "--rate", str(RATE)], timeout=ORDERS / RATE + 120)
    report.add(Figure("ws", f"REST->WS orders p50 [{label}]", o["ws_p50_ms"] or float("nan"), "ms",
                      o["http_p50_ms"], "REST reply of the same POST", higher_is_better=False))
    report.add(Figure("ws", f"REST->WS orders p99 [{label}]", o["ws_p99_ms"] or float("nan"), "ms",
                      o["http_p99_ms"], "REST reply of the same POST", target="<= 10 ms",
                      ok=o["ws_p99_ms"] is not None and o["ws_p99_ms"] <= 10 and not o["missing"],
                      higher_is_better=False, note=f"{ORDERS} orders at {RATE:.0f}/s; {o['missing']} events missing"))
    args = [str(BENCH / "ws_fanout_client.py"), "--url", ws_url, "--clients", str(clients),
            "--seconds", str(seconds)]
    if record:
        args += ["--record", str(record)]
    out["fanout"] = run_client(args, timeout=seconds + 240)
    return out


def _fanout_figures(report: Report, label: str, f: dict, bare: dict, clients: int) -> None:
    report.add(Figure("ws", f"fan-out {clients} clients msgs/s [{label}]", f["msgs_per_s"], "msg/s",
                      bare["msgs_per_s"], "bare websockets broadcast", target=">= 0.8x",
                      ok=f["msgs_per_s"] >= 0.8 * bare["msgs_per_s"] and f["subscribed"] == clients,
                      note=f"{f['subscribed']}/{clients} subscribed, {f['closed_early']} dropped"))
    report.add(Figure("ws", f"fan-out p99 delivery lag [{label}]", f["lag_p99_ms"] or float("nan"), "ms",
                      bare["lag_p99_ms"], "bare websockets broadcast", target="<= 50 ms",
                      ok=f["lag_p99_ms"] is not None and f["lag_p99_ms"] <= 50, higher_is_better=False))
    report.add(Figure("ws", f"fan-out p50 delivery lag [{label}]", f["lag_p50_ms"] or float("nan"), "ms",
                      bare["lag_p50_ms"], "bare websockets broadcast", higher_is_better=False))


def _sbe_figures(report: Report, raw: dict) -> None:
    """SBE against JSON on the same server: the fan-out, and the per-client send cost."""
    f, j = raw["inproc_sbe"], raw["inproc"]["fanout"]
    report.add(Figure("ws", "fan-out msgs/s [--with-ws, SBE]", f["msgs_per_s"], "msg/s", j["msgs_per_s"],
                      "the same fan-out in JSON", note=f"{f['subscribed']} subscribed; "
                      f"{f['bytes_per_msg'] or 0:.0f} B/msg vs {j['bytes_per_msg'] or 0:.0f} B JSON"))
    report.add(Figure("ws", "fan-out p99 delivery lag [--with-ws, SBE]", f["lag_p99_ms"] or float("nan"), "ms",
                      j["lag_p99_ms"], "the same fan-out in JSON", higher_is_better=False))
    cost = raw["sbe_cost"] = run_client(["-m", "bench.sbe_cost"], timeout=300)
    report.add(Figure("ws", "send cost per client per frame [SBE]", cost["sbe_send_ns_per_client"] / 1000, "µs",
                      cost["json_send_ns_per_client"] / 1000, "JSON text frames", higher_is_better=False,
                      note=f"bbo+trade: {sum(cost['sbe_bytes'])} B vs {sum(cost['json_bytes'])} B"))


def run(report: Report, clients: int = 1000, seconds: float = 10.0) -> dict:
    raw = {}
    record = RESULTS / "work" / "fanout_record.json"
    (RESULTS / "work").mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- one process: --with-ws
    hp, wp = free_port(), free_port()
    srv = start_script("ws-inproc", ["http_server.py", "--with-ws"], f"http://{HOST}:{hp}",
                       f"ws://{HOST}:{wp}/v1", mock_env(hp, wp, tick_interval=TICK))
    try:
        raw["inproc"] = measure(report, "--with-ws", srv.url, f"ws://{HOST}:{wp}/v1", clients, seconds, record)
        # the same fan-out with every client on SBE (ccxt.pro's default): binary frames
        raw["inproc_sbe"] = run_client([str(BENCH / "ws_fanout_client.py"), "--url",
                                        f"ws://{HOST}:{wp}/v1?sbeSchemaId=1&sbeSchemaVersion=3",
                                        "--clients", str(clients), "--seconds", str(seconds)], timeout=seconds + 240)
        # Binance's kline stream to as many clients, on the same server and the same ticks
        raw["inproc_binance_kline"] = run_client([str(BENCH / "ws_fanout_client.py"), "--url",
                                                  f"ws://{HOST}:{wp}/binance/ws", "--protocol", "binance",
                                                  "--channels", "btcusdt@kline_1m", "--clients", str(clients),
                                                  "--seconds", str(seconds)], timeout=seconds + 240)
    finally:
        srv.stop()
    _sbe_figures(report, raw)
    k = raw["inproc_binance_kline"]
    report.add(Figure("ws", f"Binance kline stream fan-out, {clients} clients: p99 lag", k["lag_p99_ms"], "ms",
                      raw["inproc"]["fanout"]["lag_p99_ms"], "Paradex's fan-out, same run",
                      higher_is_better=False, target="<= 50 ms", ok=k["lag_p99_ms"] <= 50 and k["subscribed"] == clients,
                      note=f"{k['subscribed']}/{clients} subscribed, {k['msgs_per_s']:.0f} msg/s"))

    # ---------------------------------------------------------------- the baseline: bare broadcast
    bp = free_port()
    bare = start_script("ws-bare", [str(BENCH / "bare_broadcast.py"), "--port", str(bp), "--record", str(record),
                                    "--max-seconds", str(seconds + 240)],
                        f"ws://{HOST}:{bp}", f"ws://{HOST}:{bp}", {})
    try:
        raw["bare"] = run_client([str(BENCH / "ws_fanout_client.py"), "--url", f"ws://{HOST}:{bp}",
                                  "--clients", str(clients), "--seconds", str(seconds)], timeout=seconds + 240)
    finally:
        bare.stop()
    _fanout_figures(report, "--with-ws", raw["inproc"]["fanout"], raw["bare"], clients)

    # ---------------------------------------------------------------- two processes: gunicorn + ws_server.py
    hp, wp = free_port(), free_port()
    env = mock_env(hp, wp, tick_interval=TICK)
    http = start_gunicorn("ws-gunicorn", hp, env=env)
    ws = None
    try:
        ws = start_script("ws-server", ["ws_server.py"], f"ws://{HOST}:{wp}/v1", f"ws://{HOST}:{wp}/v1",
                          dict(env, PARADEX_MOCK_UPSTREAM=http.url))
        raw["separate"] = measure(report, "gunicorn+ws_server.py", http.url, f"ws://{HOST}:{wp}/v1", clients, seconds)
        _fanout_figures(report, "gunicorn+ws_server.py", raw["separate"]["fanout"], raw["bare"], clients)
    finally:
        if ws is not None:
            ws.stop()
        http.stop()
    (RESULTS / "ws_raw.json").write_text(json.dumps(raw, indent=2))
    return raw
