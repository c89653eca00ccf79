#!/usr/bin/env python3
"""WS fan-out client: N WebSocket connections, each subscribed to the same channels; counts
the messages delivered and their delivery lag (arrival wall clock minus the payload's own
timestamp: ``last_updated_at`` for bbo, ``created_at`` for trades) over a measuring window.

Two clients: ``--client raw`` (default), a lean asyncio protocol per connection, and ``--client
websockets``, the library's own client (compression offered only with ``--compression deflate``).
Client 0 can record what it
receives (``--record``): the bare-broadcast baseline replays exactly
those frames. Bounded: gives up connecting after ``--connect-timeout`` and measures for
``--seconds``. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import sys
import time
from typing import List, Optional
from urllib.parse import urlsplit


def _raise_nofile(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Stats:
    def __init__(self, n: int):
        self.ready = 0
        self.failed = 0
        self.closed_early = 0
        self.measuring = False
        self.lags: List[float] = []
        self.counts = [0] * n
        self.bytes = 0                 # payload bytes of the measured messages
        self.record: Optional[list] = None
        self.t_record0 = 0.0
        self.done = [asyncio.Event() for _ in range(n)]   # subscribed, or failed
        self.stop = asyncio.Event()
        self.n = n


def _stamp(msg: str) -> Optional[float]:
    try:
        data = json.loads(msg)["params"]["data"]
    except (ValueError, KeyError, TypeError):
        return None
    ts = data.get("last_updated_at") or data.get("created_at")
    return float(ts) if isinstance(ts, (int, float)) else None


async def client(i: int, url: str, channels: List[str], st: Stats, open_timeout: float,
                 compression: Optional[str]) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    try:
        async with connect(url, open_timeout=open_timeout, ping_interval=None, close_timeout=1,
                           max_queue=None, compression=compression) as ws:
            for k, ch in enumerate(channels):
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": k + 1, "method": "subscribe",
                                          "params": {"channel": ch}}))
            acked = 0
            while acked < len(channels):
                m = json.loads(await asyncio.wait_for(ws.recv(), open_timeout))
                if "result" in m:
                    acked += 1
                elif "error" in m:
                    raise RuntimeError(f"subscribe refused: {m['error']}")
            st.ready += 1
            st.done[i].set()
            recv = ws.recv
            wall = time.time
            while not st.stop.is_set():
                try:
                    msg = await recv()
                except ConnectionClosed:
                    if not st.stop.is_set():
                        st.closed_early += 1
                    return
                if not st.measuring:
                    continue
                now = wall() * 1000.0
                ts = _stamp(msg)
                st.counts[i] += 1
                if ts is not None:
                    st.lags.append(now - ts)
                if st.record is not None and i == 0:
                    st.record.append((now / 1000.0 - st.t_record0, msg))
    except (OSError, asyncio.TimeoutError, RuntimeError, Exception) as e:  # noqa: B014 - counted, not raised
        if not st.done[i].is_set():
            st.failed += 1
            st.done[i].set()
        if not isinstance(e, (OSError, asyncio.TimeoutError)):
            print(f"client {i}: {type(e).__name__}: {e}", file=sys.stderr)


# ----------------------------------------------------------------------------- the lean client
_STAMP = re.compile(rb'"(?:last_updated_at|created_at)":(\d+)')


def _frame(payload: bytes, opcode: int = 1) -> bytes:
    """A masked client frame (RFC 6455 5.2)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[k & 3] for k, b in enumerate(payload))


class RawClient(asyncio.Protocol):
    """One WS connection as a bare asyncio protocol: handshake, subscribe, then parse frames as
    they arrive and stamp them at once. A few microseconds a message instead of the tens the
    full ``websockets`` client spends (frame objects, a queue, a task wake-up per message), so
    1,000 connections in one process measure the server rather than themselves."""

    def __init__(self, i: int, st: Stats, host: str, port: int, path: str, channels: List[str]):
        self.i, self.st, self.channels = i, st, channels
        self.host, self.port, self.path = host, port, path
        self.buf = bytearray()
        self.upgraded = False
        self.acked = 0
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                         ).encode())

    def connection_lost(self, exc) -> None:
        if not self.st.done[self.i].is_set():
            self.st.failed += 1
            self.st.done[self.i].set()
        elif not self.st.stop.is_set():
            self.st.closed_early += 1

    def data_received(self, data: bytes) -> None:
        now = time.time() * 1000.0
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.transport.close()
                return
            del buf[:end + 4]
            self.upgraded = True
            for k, ch in enumerate(self.channels):
                self.transport.write(_frame(json.dumps({"jsonrpc": "2.0", "id": k + 1, "method": "subscribe",
                                                        "params": {"channel": ch}}).encode()))
        st = self.st
        while len(buf) >= 2:
            opcode, n = buf[0] & 0x0F, buf[1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, off = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, off = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < off + n:
                return
            payload = bytes(buf[off:off + n])
            del buf[:off + n]
            if opcode == 1:
                if self.acked < len(self.channels):
                    if b'"result"' in payload:
                        self.acked += 1
                        if self.acked == len(self.channels):
                            st.ready += 1
                            st.done[self.i].set()
                    elif b'"error"' in payload:
                        print(f"client {self.i}: subscribe refused: {payload[:200]!r}", file=sys.stderr)
                        self.transport.close()
                    continue
                if not st.measuring:
                    continue
                st.counts[self.i] += 1
                st.bytes += n
                m = _STAMP.search(payload)
                if m:
                    st.lags.append(now - int(m.group(1)))
                if st.record is not None and self.i == 0:
                    st.record.append((now / 1000.0 - st.t_record0, payload.decode()))
            elif opcode == 2:       # an SBE frame (?sbeSchemaId=1&...): ts, int64 µs at offset 8
                if not st.measuring:
                    continue
                st.counts[self.i] += 1
                st.bytes += n
                st.lags.append(now - int.from_bytes(payload[8:16], "little", signed=True) / 1000.0)
            elif opcode == 9:       # ping -> pong
                self.transport.write(_frame(payload, 0xA))
            elif opcode == 8:       # close
                self.transport.close()
                return


async def raw_client(i: int, url: str, channels: List[str], st: Stats) -> None:
    u = urlsplit(url)
    loop = asyncio.get_running_loop()
    try:
        transport, proto = await loop.create_connection(
            lambda: RawClient(i, st, u.hostname, u.port, (u.path or "/") + (f"?{u.query}" if u.query else ""),
                              channels), u.hostname, u.port)
    except OSError:
        st.failed += 1
        st.done[i].set()
        return
    try:
        await st.stop.wait()
    finally:
        transport.abort()


async def run(a) -> dict:
    st = Stats(a.clients)
    if a.record:
        st.record = []
    tasks = []
    t_conn = time.perf_counter()
    for lo in range(0, a.clients, a.connect_batch):      # bounded handshake concurrency
        batch = range(lo, min(a.clients, lo + a.connect_batch))
        for i in batch:
            if a.client == "raw":
                tasks.append(asyncio.ensure_future(raw_client(i, a.url, a.channels, st)))
            else:
                tasks.append(asyncio.ensure_future(client(i, a.url, a.channels, st, a.open_timeout,
                                                          None if a.compression == "none" else a.compression)))
        left = a.connect_timeout - (time.perf_counter() - t_conn)
        try:
            await asyncio.wait_for(asyncio.gather(*(st.done[i].wait() for i in batch)), max(0.1, left))
        except asyncio.TimeoutError:
            break
    connect_s = time.perf_counter() - t_conn
    await asyncio.sleep(a.settle)
    st.t_record0 = time.time()
    st.measuring = True
    t0 = time.perf_counter()
    await asyncio.sleep(a.seconds)
    st.measuring = False
    elapsed = time.perf_counter() - t0
    st.stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    lags = sorted(st.lags)

    def pct(q):
        if not lags:
            return None
        return lags[max(0, min(len(lags) - 1, int(round(q / 100.0 * len(lags) + 0.5)) - 1))]

    total = sum(st.counts)
    got = [c for c in st.counts]
    if a.record and st.record is not None:
        with open(a.record, "w") as f:
            json.dump(st.record, f)
    return {"clients": a.clients, "subscribed": st.ready, "failed": st.failed, "closed_early": st.closed_early,
            "connect_s": connect_s, "seconds": elapsed, "messages": total, "msgs_per_s": total / elapsed,
            "per_client_min": min(got) if got else 0, "per_client_max": max(got) if got else 0,
            "lag_p50_ms": pct(50), "lag_p99_ms": pct(99), "lag_max_ms": lags[-1] if lags else None,
            "recorded": len(st.record) if st.record is not None else 0,
            "bytes_per_msg": st.bytes / total if total else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--channels", nargs="+", default=["bbo.BTC-USD-PERP", "trades.BTC-USD-PERP"])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--connect-timeout", type=float, default=60.0)
    ap.add_argument("--connect-batch", type=int, default=50)
    ap.add_argument("--open-timeout", type=float, default=20.0)
    ap.add_argument("--record", help="write client 0's frames [(t, text)] here")
    ap.add_argument("--client", choices=("raw", "websockets"), default="raw",
                    help="raw: a lean asyncio protocol per connection (default; it measures the server); "
                         "websockets: the websockets library's client (heavier per message: with 1,000 "
                         "connections in one process its own queueing dominates the lag it measures)")
    ap.add_argument("--compression", choices=("none", "deflate"), default="none",
                    help="offer permessage-deflate (paradex-py's websockets does; ccxt's aiohttp does not). "
                         "Default none: the client then inflates nothing and measures the server, not itself")
    a = ap.parse_args(argv)
    if a.seconds > 300 or a.clients > 5000:
        ap.error("bounded: --seconds <= 300, --clients <= 5000")
    _raise_nofile(a.clients + 100)
    print(json.dumps(asyncio.run(run(a))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
