#!/usr/bin/env python3
"""Start-up baselines: the same servers with nothing in them.

    python bench/bare_servers.py http PORT     # a bare Flask app on werkzeug (as http_server.py serves)
    python bench/bare_servers.py ws PORT       # a bare websockets server answering subscribe
    python bench/bare_servers.py fixture       # in process: bare Flask on a werkzeug thread + a bare
                                               # websockets thread, like MockExchange; prints JSON timings
"""
from __future__ import annotations

import asyncio
import json
import sys
import threading
import time


def bare_flask():
    from flask import Flask, Response
    app = Flask("bench_bare")

    @app.get("/v1/system/time")
    def t():
        return Response('{"server_time":"0"}', mimetype="application/json")

    return app


async def _ws_handler(ws):
    async for raw in ws:
        m = json.loads(raw)
        if m.get("method") == "subscribe":
            ch = m["params"]["channel"]
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": m.get("id"), "result": {"channel": ch}}))
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "subscription",
                                      "params": {"channel": ch, "data": {}}}))


def serve_ws(port: int) -> None:
    from websockets.asyncio.server import serve

    async def main():
        async with serve(_ws_handler, "127.0.0.1", port):
            await asyncio.Event().wait()
    asyncio.run(main())


class WsThread:
    def __init__(self):
        self.ready = threading.Event()
        self.port = None
        self.loop = None
        self.stop_ev = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        from websockets.asyncio.server import serve

        async def main():
            self.loop = asyncio.get_running_loop()
            self.stop_ev = asyncio.Event()
            async with serve(_ws_handler, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]
                self.ready.set()
                await self.stop_ev.wait()
        asyncio.run(main())

    def stop(self):
        self.loop.call_soon_threadsafe(self.stop_ev.set)
        self.thread.join(5)


def fixture() -> dict:
    t0 = time.perf_counter()
    import flask  # noqa: F401  (imports are timed apart, as for the mock)
    import websockets.asyncio.server  # noqa: F401
    from paradex_mock.runner import HttpServer
    t1 = time.perf_counter()
    out = {"import_s": t1 - t0}
    for label in ("start_s", "start2_s"):
        a = time.perf_counter()
        http = HttpServer(bare_flask(), "127.0.0.1", 0).start()
        ws = WsThread()
        b = time.perf_counter()
        http.server.shutdown()
        http.server.server_close()
        ws.stop()
        c = time.perf_counter()
        out[label] = b - a
        out["stop_s" if label == "start_s" else "stop2_s"] = c - b
    return out


def main(argv) -> int:
    mode = argv[1]
    if mode == "http":
        from werkzeug.serving import make_server
        srv = make_server("127.0.0.1", int(argv[2]), bare_flask(), threaded=True)
        srv.serve_forever()
    elif mode == "ws":
        serve_ws(int(argv[2]))
    elif mode == "fixture":
        print(json.dumps(fixture()), flush=True)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
