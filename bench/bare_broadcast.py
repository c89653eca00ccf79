#!/usr/bin/env python3
"""The WS fan-out baseline: a bare ``websockets`` server broadcasting the mock's own frames.

It answers JSON-RPC ``subscribe`` with a result (so the fan-out client runs unchanged) and then
replays a recording made by ``ws_fanout_client.py --record`` on the mock (the same payloads at
the same moments, in a loop) to every connection with ``websockets.broadcast``, rewriting each
frame's timestamp (``last_updated_at`` / ``created_at``) to the send time, as the mock stamps
its events when it makes them. Same library, same defaults (compression included) as the mock.
Bounded by ``--max-seconds``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time


async def main_async(a) -> None:
    from websockets.asyncio.server import broadcast, serve

    with open(a.record) as f:
        rec = json.load(f)
    if not rec:
        raise SystemExit("empty recording")
    frames = [(t, json.loads(text)) for t, text in rec]
    period = max(rec[-1][0] + 0.1, 0.1)
    clients = set()

    async def handler(ws):
        try:
            async for raw in ws:
                m = json.loads(raw)
                if m.get("method") == "subscribe":
                    await ws.send(json.dumps({"jsonrpc": "2.0", "id": m.get("id"),
                                              "result": {"channel": m["params"]["channel"]}}))
                    clients.add(ws)
        finally:
            clients.discard(ws)

    async with serve(handler, a.host, a.port, ping_interval=None, max_queue=None):
        print(f"bare broadcast on ws://{a.host}:{a.port} ({len(frames)} frames per {period:.1f} s)", flush=True)
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + a.max_seconds
        cycle = 0
        while loop.time() < deadline:
            for t, msg in frames:
                at = start + cycle * period + t
                delay = at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                data = msg["params"]["data"]
                key = "last_updated_at" if "last_updated_at" in data else "created_at"
                data[key] = int(time.time() * 1000)
                broadcast(clients, json.dumps(msg, separators=(",", ":")))
            cycle += 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    a = ap.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 10000)), hard))
    try:
        asyncio.run(main_async(a))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
