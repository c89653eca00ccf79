#!/usr/bin/env python3
"""Pure-Python HTTP/1.1 load generator (the fallback when ``wrk`` is not installed).

asyncio, ``--connections`` keep-alive connections, each sending its next request as soon as the
previous answer is in (closed loop, like wrk). Requests come from a file in the format of
``requests.lua`` (``METHOD<TAB>PATH<TAB>Name: v|Name: v<TAB>BODY`` per line), shared by all
connections in order, so a body that must be unique is sent once. Bounded: stops after
``--duration`` seconds or when a non-cycling file runs out. Prints one JSON line in the same
shape as ``requests.lua``'s (latencies in microseconds).

    python bench/loadgen.py --url http://127.0.0.1:8080 --file reqs.txt --connections 16 --duration 8
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from typing import List, Optional
from urllib.parse import urlsplit


def load_requests(path: str, host: str) -> List[bytes]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t", 3)
            while len(parts) < 4:
                parts.append("")
            method, target, headers, body = parts
            lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
            for pair in filter(None, headers.split("|")):
                name, _, value = pair.partition(":")
                lines.append(f"{name.strip()}: {value.strip()}")
            data = body.encode()
            if data:
                lines.append("Content-Type: application/json")
            if data or method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(data)}")
            out.append(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    return out


class Source:
    def __init__(self, reqs: List[bytes], cycle: bool):
        self.reqs = reqs
        self.cycle = cycle
        self.i = 0

    def next(self) -> Optional[bytes]:
        if self.i >= len(self.reqs):
            if not self.cycle:
                return None
            self.i = 0
        r = self.reqs[self.i]
        self.i += 1
        return r


async def read_response(reader: asyncio.StreamReader) -> tuple:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    close = False
    for h in lines[1:]:
        name, _, value = h.partition(b":")
        n = name.strip().lower()
        if n == b"content-length":
            length = int(value)
        elif n == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif n == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            body += chunk[:-2]
            if size == 0:
                break
    else:
        body = await reader.readexactly(length) if length else b""
    return status, body, close


async def worker(host: str, port: int, src: Source, deadline: float, lat: List[float], statuses: Counter,
                 errors: Counter, record_bodies: Optional[list]) -> None:
    reader = writer = None
    perf = time.perf_counter
    while perf() < deadline:
        req = src.next()
        if req is None:
            break
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            t0 = perf()
            writer.write(req)
            status, body, close = await asyncio.wait_for(read_response(reader), 30)
            lat.append(perf() - t0)
            statuses[status] += 1
            if record_bodies is not None and len(record_bodies) < 5:
                record_bodies.append(body.decode("utf-8", "replace")[:500])
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError) as e:
            errors[type(e).__name__] += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def run(url: str, file: str, connections: int, duration: float, cycle: bool, warmup: float,
              sample: bool) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    reqs = load_requests(file, f"{host}:{port}")
    src = Source(reqs, cycle)
    if warmup > 0:   # same requests, results discarded (only for cycling files)
        await asyncio.gather(*(worker(host, port, src, time.perf_counter() + warmup, [], Counter(), Counter(), None)
                               for _ in range(connections)))
    lat: List[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    bodies: Optional[list] = [] if sample else None
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(host, port, src, t0 + duration, lat, statuses, errors, bodies)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - t0
    lat.sort()

    def pct(q):
        if not lat:
            return 0
        k = max(0, min(len(lat) - 1, int(round(q / 100.0 * len(lat) + 0.5)) - 1))
        return int(lat[k] * 1e6)

    out = {"requests": len(lat), "duration_s": elapsed, "rps": len(lat) / elapsed if elapsed else 0.0,
           "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99), "max_us": int(lat[-1] * 1e6) if lat else 0,
           "mean_us": (sum(lat) / len(lat) * 1e6) if lat else 0.0,
           "errors_connect": 0, "errors_read": sum(errors.values()), "errors_write": 0,
           "errors_status": sum(v for k, v in statuses.items() if k >= 400), "errors_timeout": errors.get("TimeoutError", 0),
           "exhausted": 0 if cycle or src.i < len(reqs) else 1,
           "statuses": {str(k): v for k, v in statuses.items()}, "generator": "python"}
    if bodies is not None:
        out["sample_bodies"] = bodies
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--warmup", type=float, default=0.0)
    ap.add_argument("--no-cycle", action="store_true", help="send each line once (unique bodies)")
    ap.add_argument("--sample", action="store_true", help="include a few response bodies in the result")
    a = ap.parse_args(argv)
    if a.duration > 600:
        ap.error("--duration is capped at 600 s")
    res = asyncio.run(run(a.url, a.file, a.connections, a.duration, not a.no_cycle, a.warmup, a.sample))
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
