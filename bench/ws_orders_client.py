#!/usr/bin/env python3
"""REST order -> WS ``orders`` event latency at light load.

One WS connection authenticates (``--jwt``, the account the orders belong to) and subscribes to
``orders.ALL``; then ``--orders`` orders are POSTed one at a time, ``--rate`` per second, over one
keep-alive HTTP connection, each with a unique ``client_id``. Latency = arrival of the first
``orders`` event carrying that client_id minus the moment the POST was written; the POST's own
round trip is recorded too (the baseline: what the REST client hears). Prints one JSON line.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

from loadgen import read_response  # same folder (run as a script)


async def run(a) -> dict:
    from websockets.asyncio.client import connect
    bodies = [json.loads(line) for line in open(a.bodies) if line.strip()]
    arrivals = {}
    perf = time.perf_counter
    async with connect(a.ws, ping_interval=None, max_queue=None) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "auth", "params": {"bearer": a.jwt}}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if "error" in m:
            raise SystemExit(f"WS auth refused: {m['error']}")
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "subscribe",
                                  "params": {"channel": "orders.ALL"}}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if "error" in m:
            raise SystemExit(f"WS subscribe refused: {m['error']}")

        async def reader():
            async for raw in ws:
                t = perf()
                msg = json.loads(raw)
                data = (msg.get("params") or {}).get("data") or {}
                cid = data.get("client_id")
                if cid and cid not in arrivals:
                    arrivals[cid] = t

        rtask = asyncio.ensure_future(reader())
        u = urlsplit(a.http)
        r = w = None
        sent = {}
        http_lat = []
        statuses = {}
        tag = f"lat{int(time.time() * 1000) % 10_000_000}"
        interval = 1.0 / a.rate
        t_start = perf()
        for i in range(a.orders):
            body = dict(bodies[i % len(bodies)], client_id=f"{tag}-{i}")
            data = json.dumps(body).encode()
            req = (f"POST /v1/orders HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode() + data
            if w is None:     # (re)connect before the clock starts: werkzeug closes after each reply
                r, w = await asyncio.open_connection(u.hostname, u.port)
            t0 = perf()
            sent[body["client_id"]] = t0
            w.write(req)
            status, _, close = await asyncio.wait_for(read_response(r), 30)
            if close:
                w.close()
                w = None
            http_lat.append(perf() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            nxt = t_start + (i + 1) * interval
            await asyncio.sleep(max(0.0, nxt - perf()))
        await asyncio.sleep(1.0)      # stragglers
        rtask.cancel()
        if w is not None:
            w.close()
    lat = sorted((arrivals[c] - t0) * 1000 for c, t0 in sent.items() if c in arrivals)
    http_ms = sorted(x * 1000 for x in http_lat)

    def pct(xs, q):
        if not xs:
            return None
        return xs[max(0, min(len(xs) - 1, int(round(q / 100.0 * len(xs) + 0.5)) - 1))]

    return {"orders": a.orders, "events": len(lat), "missing": a.orders - len(lat),
            "ws_p50_ms": pct(lat, 50), "ws_p99_ms": pct(lat, 99), "ws_max_ms": lat[-1] if lat else None,
            "http_p50_ms": pct(http_ms, 50), "http_p99_ms": pct(http_ms, 99),
            "statuses": {str(k): v for k, v in statuses.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--http", required=True, help="REST base, e.g. http://127.0.0.1:8080")
    ap.add_argument("--ws", required=True, help="WS URL, e.g. ws://127.0.0.1:8081/v1")
    ap.add_argument("--jwt", required=True)
    ap.add_argument("--bodies", required=True, help="file of order bodies (JSON per line)")
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0)
    a = ap.parse_args(argv)
    if a.orders > 10000 or a.rate <= 0:
        ap.error("bounded: --orders <= 10000, --rate > 0")
    print(json.dumps(asyncio.run(run(a))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
