"""WS connections: slow readers, many clients, keep-alive, graceful shutdown."""
import asyncio
import base64
import os
import socket
import struct
import time

import websockets

from paradex_mock.ws.server import SLOW_CLOSE_CODE
from paradex_mock.ws.testing import RpcClient, Stack, async_wait_until, wait_until
from paradex_mock.venues.paradex.orders import submit

BTC = "BTC-USD-PERP"


def run(coro, timeout=40):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class RawClient:
    """A WebSocket client on a bare socket with a tiny receive buffer that reads only when told:
    the stalled reader (a websockets client would keep reading into its own buffer)."""

    def __init__(self, url: str, rcvbuf: int = 2048):
        host, port = url.split("//")[1].split("/")[0].split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /v1 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def subscribe(self, channel: str) -> None:
        self.send('{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"channel":"%s"}}' % channel)

    def read_until_closed(self, timeout: float = 10.0):
        """Read everything; returns (close code or None, frames read) once the server closes."""
        self.sock.settimeout(timeout)
        buf, frames, code = b"", 0, None
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 2:
                    n = buf[1] & 0x7F
                    off = 2
                    if n == 126:
                        if len(buf) < 4:
                            break
                        n, off = struct.unpack("!H", buf[2:4])[0], 4
                    elif n == 127:
                        if len(buf) < 10:
                            break
                        n, off = struct.unpack("!Q", buf[2:10])[0], 10
                    if len(buf) < off + n:
                        break
                    opcode, payload = buf[0] & 0x0F, buf[off:off + n]
                    buf = buf[off + n:]
                    frames += 1
                    if opcode == 8:
                        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        except (ConnectionResetError, socket.timeout):
            pass
        return code, frames

    def close(self) -> None:
        self.sock.close()


HEAVY = ["markets_summary", "bbo.ALL", "trades.ALL", "funding_data"] + [
    f"order_book.{m}.snapshot@15@50ms" for m in ("BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP",
                                                  "DOGE-USD-PERP", "ARB-USD-PERP")]


def test_stalled_client_does_not_delay_a_fast_one():
    with Stack(ws_queue_size=50) as s:
        ex = s.exchange

        async def main():
            slow = RawClient(s.ws_url)
            for ch in HEAVY:
                slow.subscribe(ch)
            wait_until(lambda: s.ws.subscribers() == len(HEAVY), what="slow client's subscriptions")
            async with RpcClient(s.ws_url) as fast:
                await fast.subscribe(f"bbo.{BTC}")
                await fast.notification(f"bbo.{BTC}")
                latencies, ticks = [], 0
                while s.ws.call(lambda: s.ws.server.slow_disconnects) == 0 or ticks < 20:
                    assert ticks < 2000, "the stalled client was never disconnected"
                    t0 = time.monotonic()
                    ex.advance(ticks=1)
                    ticks += 1
                    seq = ex.books[BTC].seq_no
                    await fast.notification(f"bbo.{BTC}", where=lambda d: d["seq_no"] == seq, timeout=2)
                    latencies.append(time.monotonic() - t0)
                # every tick reached the fast client (each wait above is bounded); typically at
                # once: the median, which one busy moment of a shared machine does not move
                assert sorted(latencies)[len(latencies) // 2] < 0.5, latencies
                assert s.ws.call(lambda: s.ws.server.slow_disconnects) == 1
                # the fast client is still subscribed and served
                ex.advance(ticks=1)
                seq = ex.books[BTC].seq_no
                await fast.notification(f"bbo.{BTC}", where=lambda d: d["seq_no"] == seq)
            code, frames = await asyncio.to_thread(slow.read_until_closed)
            slow.close()
            assert frames > 50
            assert code in (SLOW_CLOSE_CODE, None)    # the close frame, unless aborted before it got out
            wait_until(lambda: s.ws.connections() == 0, what="server forgets both clients")
        run(main())


def test_many_clients_get_the_same_trade():
    with Stack() as s:
        async def main():
            clients = [RpcClient(s.ws_url) for _ in range(25)]
            for c in clients:
                await c.__aenter__()
            try:
                for c in clients:
                    await c.send({"jsonrpc": "2.0", "method": "subscribe", "params": {"channel": f"trades.{BTC}"}})
                for c in clients:
                    assert (await c.reply())["result"] == {"channel": f"trades.{BTC}"}
                assert s.ws.subscribers(f"trades.{BTC}") == 25
                submit(s.exchange, "0x3a5e6ca3f7d55722bfb79595c96bd41dba9980fe2abf5c0577591a135ec6dc4",
                                        {"market": BTC, "side": "BUY", "type": "MARKET", "size": "0.01"})
                got = [await c.notification(f"trades.{BTC}") for c in clients]
                assert all(g == got[0] for g in got)
            finally:
                for c in clients:
                    await c.__aexit__(None, None, None)
            wait_until(lambda: s.ws.connections() == 0 and s.ws.subscribers() == 0, what="cleanup")
        run(main())


def test_stop_closes_clients_with_close_frames_even_with_a_stalled_reader():
    s = Stack(ws_queue_size=100000)
    s.__enter__()
    try:
        async def main():
            stalled = RawClient(s.ws_url)
            for ch in HEAVY:
                stalled.subscribe(ch)
            wait_until(lambda: s.ws.subscribers() == len(HEAVY))
            async with RpcClient(s.ws_url) as c:
                await c.subscribe(f"bbo.{BTC}")
                s.exchange.advance(ticks=200)         # far more than the stalled socket's buffers hold
                t0 = time.monotonic()
                await asyncio.to_thread(s.ws.stop)
                assert time.monotonic() - t0 < 6
                with_close = None
                try:
                    while True:
                        await c.frame(timeout=5)
                except websockets.ConnectionClosed as e:
                    with_close = e.rcvd
                assert with_close is not None and with_close.code == 1001
            stalled.close()
        run(main())
    finally:
        s.__exit__(None, None, None)


def test_ping_keepalive_drops_clients_that_never_pong():
    with Stack(ws_ping_interval=0.1, ws_ping_timeout=0.5) as s:
        async def main():
            async with RpcClient(s.ws_url, ping_interval=None) as good:
                await good.subscribe(f"bbo.{BTC}")
                silent = RawClient(s.ws_url)           # completes the handshake, never answers a ping
                wait_until(lambda: s.ws.connections() == 2)

                def pongs():
                    return s.ws.call(lambda: [c.ws.latency for c in s.ws.server.conns])
                # the silent client is dropped; the good one (its library answers pings) stays
                await async_wait_until(lambda: s.ws.connections() == 1, what="the silent client is dropped")
                assert all(lat > 0 for lat in await asyncio.to_thread(pongs))
                r = await good.call("subscribe", {"channel": "trades.ALL"})
                assert r["result"] == {"channel": "trades.ALL"}
                silent.close()
        run(main())
