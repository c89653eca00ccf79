"""Start-up figures: time from spawning a server until it serves (HTTP 200 on /v1/system/time;
for WS, the first message of a ``bbo`` subscription), each against the same server with nothing
in it; and the in-process fixture's ``start()``. Median of ``REPEAT`` runs."""
from __future__ import annotations

import statistics

from .common import (BENCH, HOST, SERVER_CPU, Figure, Report, free_port, mock_env, pin, run_client,
                     start_gunicorn, start_script)

REPEAT = 3


def _median_ready(start) -> float:
    times = []
    for _ in range(REPEAT):
        srv = start()
        try:
            times.append(srv.ready_s)
        finally:
            srv.stop()
    return statistics.median(times)


def _fixture(script: str) -> dict:
    runs = [run_client([str(BENCH / script)] + (["fixture"] if script == "bare_servers.py" else []), timeout=120)
            for _ in range(REPEAT)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def run(report: Report) -> dict:
    raw = {}

    def gunicorn_mock():
        p = free_port()
        return start_gunicorn("startup-gunicorn", p, env=mock_env(p))

    def gunicorn_bare():
        p = free_port()
        return start_gunicorn("startup-gunicorn-bare", p, app="bench.baseline_app:create_app()")

    def http_mock():
        p = free_port()
        return start_script("startup-http", ["http_server.py"], f"http://{HOST}:{p}",
                            f"http://{HOST}:{p}/v1/system/time", mock_env(p))

    def http_bare():
        p = free_port()
        return start_script("startup-http-bare", [str(BENCH / "bare_servers.py"), "http", str(p)],
                            f"http://{HOST}:{p}", f"http://{HOST}:{p}/v1/system/time", {})

    def with_ws_mock():
        p, w = free_port(), free_port()
        return start_script("startup-with-ws", ["http_server.py", "--with-ws"], f"http://{HOST}:{p}",
                            f"ws://{HOST}:{w}/v1", mock_env(p, w))

    def ws_bare():
        w = free_port()
        return start_script("startup-ws-bare", [str(BENCH / "bare_servers.py"), "ws", str(w)],
                            f"ws://{HOST}:{w}", f"ws://{HOST}:{w}/v1", {})

    raw["gunicorn"] = _median_ready(gunicorn_mock)
    raw["gunicorn_bare"] = _median_ready(gunicorn_bare)
    raw["http_server"] = _median_ready(http_mock)
    raw["http_bare"] = _median_ready(http_bare)
    raw["with_ws"] = _median_ready(with_ws_mock)
    raw["ws_bare"] = _median_ready(ws_bare)

    # ws_server.py follows a running REST server
    p = free_port()
    env = mock_env(p)
    http = start_gunicorn("startup-ws-upstream", p, env=env)
    try:
        def ws_server():
            w = free_port()
            return start_script("startup-ws-server", ["ws_server.py"], f"ws://{HOST}:{w}/v1", f"ws://{HOST}:{w}/v1",
                                dict(env, PARADEX_MOCK_WS_PORT=str(w), PARADEX_MOCK_UPSTREAM=http.url))
        try:
            raw["ws_server"] = _median_ready(ws_server)
        except Exception as e:   # another engineer's work in progress: report, do not hide the rest
            report.note(f"ws_server.py start-up not measured: {type(e).__name__}: {e}")
    finally:
        http.stop()

    def fig(name, key, base_key, base_name, limit):
        report.add(Figure("startup", name, raw[key], "s", raw[base_key], base_name, target=f"<= {limit} s",
                          ok=raw[key] <= limit, higher_is_better=False))

    fig("gunicorn (REST) ready", "gunicorn", "gunicorn_bare", "gunicorn + bare Flask", 1.0)
    fig("http_server.py ready", "http_server", "http_bare", "werkzeug + bare Flask", 1.0)
    fig("http_server.py --with-ws ready (WS data)", "with_ws", "ws_bare", "bare websockets server", 1.0)
    if "ws_server" in raw:
        fig("ws_server.py ready (WS data)", "ws_server", "ws_bare", "bare websockets server", 1.0)

    raw["fixture"] = fx = _fixture("fixture_startup.py")
    raw["fixture_bare"] = bx = _fixture("bare_servers.py")
    report.add(Figure("startup", "MockExchange.start() first in process", fx["start_s"], "s", bx["start_s"],
                      "bare Flask+websockets threads", target="<= 0.3 s", ok=fx["start_s"] <= 0.3,
                      higher_is_better=False, note=f"imports {fx['import_s']:.2f} s apart"))
    report.add(Figure("startup", "MockExchange.start() again", fx["start2_s"], "s", bx["start2_s"],
                      "bare Flask+websockets threads", target="<= 0.3 s", ok=fx["start2_s"] <= 0.3,
                      higher_is_better=False))
    report.add(Figure("startup", "MockExchange.stop()", fx["stop2_s"], "s", bx["stop2_s"],
                      "bare Flask+websockets threads", higher_is_better=False))
    return raw
