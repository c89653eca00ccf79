"""Separate-process mode: the HTTP process's /_mock/stream and the WS server that follows it
(resume, resnapshot, HTTP restart, WS started first)."""
import asyncio
import time
import http.client as httpclient
import json
import socket

import pytest

from paradex_mock.config import Config
from paradex_mock.http.app import create_app
from paradex_mock.http.stream import close_streams
from paradex_mock.runner import HttpServer
from paradex_mock.ws.server import start_remote
from paradex_mock.ws.testing import RpcClient, rest, wait_until
from paradex_mock.engine import codec
from paradex_mock.venues.paradex import views

BTC = "BTC-USD-PERP"
BOOK = f"order_book.{BTC}.snapshot@15@100ms"
FAST = dict(heartbeat=0.1, idle_timeout=1.0, min_backoff=0.02, max_backoff=0.1)


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def config(**kw):
    base = dict(host="127.0.0.1", http_port=0, ws_port=0, clock="manual", backfill_hours=1.0,
                control="on", rate_limits=False)
    base.update(kw)
    return Config(**base)


class Http:
    """An HTTP process stand-in whose stop() also ends its streams, as an exit would."""

    def __init__(self, port=0, **kw):
        self.app = create_app(config(**kw), start_ticker=False)
        self.server = HttpServer(self.app, "127.0.0.1", port).start()
        self.url = self.server.url
        self.port = self.server.port
        self.exchange = self.app.extensions["paradex_mock"].exchange

    def stop(self):
        self.server.stop()
        close_streams(self.app)


@pytest.fixture
def http():
    h = Http()
    yield h
    h.stop()


def stream_lines(port, query=""):
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/_mock/stream" + query)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("application/x-ndjson")

    def lines():
        while True:
            line = resp.readline()
            if not line:
                return
            yield json.loads(line)
    return conn, lines()


def book15(h):
    status, body = rest(h.url, "GET", f"/v1/orderbook/{BTC}?depth=15")
    assert status == 200
    return body


# ------------------------------------------------------------------------------------- the stream itself
def test_stream_snapshot_events_and_resume(http):
    conn, lines = stream_lines(http.port, "?heartbeat=0.05")
    hello = next(lines)
    assert hello["type"] == "hello" and hello["resumed"] is False and hello["version"] == 1
    assert hello["clock"] == "manual" and hello["auth_mode"] == "permissive"
    snap = next(lines)
    assert snap["type"] == "snapshot" and snap["reason"] == "initial" and snap["seq"] == hello["seq"]
    assert set(snap["markets"]) == set(http.exchange.markets)
    book = book15(http)
    streamed = codec.decode(snap["markets"][BTC]["book"])        # every level, as a domain object
    assert views.orderbook(streamed, 15) == book
    http.exchange.advance(ticks=1)
    events = []
    for msg in lines:
        if msg["type"] == "event":
            events.append(msg)
            if msg["kind"] == "tick":
                break
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(hello["seq"] + 1, hello["seq"] + 1 + len(seqs)))     # gap-free
    assert {"book", "summary", "funding_data", "tick"} <= {e["kind"] for e in events}
    beat = next(m for m in lines if m["type"] == "heartbeat")
    assert beat["seq"] == seqs[-1]
    conn.close()

    # resume from the middle: exactly the events after it, no snapshot
    mid = seqs[len(seqs) // 2]
    q = f"?after={mid}&epoch={hello['epoch']}&instance={hello['instance']}&heartbeat=0.05"
    conn, lines = stream_lines(http.port, q)
    h2 = next(lines)
    assert h2["resumed"] is True and h2["instance"] == hello["instance"]
    again = [next(lines) for _ in range(len([s for s in seqs if s > mid]))]
    assert [e["seq"] for e in again] == [s for s in seqs if s > mid] and all(e["type"] == "event" for e in again)
    conn.close()

    # another instance or epoch cannot resume: fresh snapshot
    for q in (f"?after={mid}&epoch={hello['epoch']}&instance=someoneelse",
              f"?after={mid}&epoch={hello['epoch'] + 1}&instance={hello['instance']}",
              f"?after={seqs[-1] + 1000}&epoch={hello['epoch']}&instance={hello['instance']}"):
        conn, lines = stream_lines(http.port, q)
        assert next(lines)["resumed"] is False and next(lines)["type"] == "snapshot"
        conn.close()


def test_stream_resnapshots_after_reset(http):
    conn, lines = stream_lines(http.port, "?heartbeat=0.05")
    next(lines), next(lines)
    http.exchange.reset()
    ev = next(m for m in lines if m["type"] != "heartbeat")
    assert ev["type"] == "event" and ev["kind"] == "reset"
    snap = next(lines)
    assert snap["type"] == "snapshot" and snap["reason"] == "reset" and snap["epoch"] == ev["data"]["epoch"]
    assert snap["markets"][BTC]["book"]["seq_no"] == book15(http)["seq_no"]
    conn.close()


def test_stream_access_policy():
    for control, status in (("loopback", 403), ("off", 403), ("on", 200)):
        app = create_app(config(control=control), start_ticker=False)
        client = app.test_client()
        resp = client.get("/_mock/stream?heartbeat=0.05", environ_base={"REMOTE_ADDR": "10.1.2.3"}, buffered=False)
        assert resp.status_code == status, control
        if status == 200:
            first = json.loads(next(resp.response))
            assert first["type"] == "hello"
        resp.close()
        assert client.get("/_mock/stream?after=x").status_code == 400
        local = client.get("/_mock/stream?heartbeat=0.05", buffered=False)
        assert local.status_code == 200
        local.close()


# ------------------------------------------------------------------------------------- the WS process
def test_remote_ws_agrees_with_rest(http):
    ws = start_remote(config(), upstream=http.url, host="127.0.0.1", port=0, **FAST)
    try:
        async def main():
            async with RpcClient(ws.url) as c:
                await c.call("auth", {"bearer": "valid_mock_token"})
                for ch in (BOOK, f"trades.{BTC}", "orders.ALL"):
                    await c.subscribe(ch)
                snap = await c.notification(BOOK)
                book = book15(http)
                assert snap["seq_no"] == book["seq_no"]
                assert [(r["price"], r["size"]) for r in snap["inserts"] if r["side"] == "BUY"] == \
                    [tuple(x) for x in book["bids"]]
                status, order = rest(http.url, "POST", "/v1/orders",
                                     {"market": BTC, "side": "BUY", "type": "MARKET", "size": "0.01"})
                assert status == 201
                trade = await c.notification(f"trades.{BTC}")
                assert trade["market"] == BTC
                closed = await c.notification("orders.ALL", where=lambda d: d["id"] == order["id"] and d["status"] == "CLOSED")
                assert closed == rest(http.url, "GET", f"/v1/orders/{order['id']}")[1]
                # a JWT issued by the upstream verifies through its JWKS
                acct = "0x77aa"
                http.exchange.account(acct)
                tok = http.app.extensions["paradex_mock"].venue_state["paradex"].jwt_issuer.issue(acct, http.exchange.clock.now_ms() // 1000)
                assert "node_id" in (await c.call("auth", {"bearer": tok}))["result"]
        run(main())
    finally:
        ws.stop()


def test_remote_ws_survives_http_restart():
    h1 = Http()
    port = h1.port
    ws = start_remote(config(), upstream=h1.url, host="127.0.0.1", port=0, **FAST)
    h2 = None
    try:
        async def main():
            nonlocal h2
            async with RpcClient(ws.url) as c:
                await c.subscribe(f"trades.{BTC}")
                await c.subscribe(BOOK)
                await c.notification(BOOK)
                rest(h1.url, "POST", "/v1/orders", {"market": BTC, "side": "BUY", "type": "MARKET", "size": "0.01"})
                await c.notification(f"trades.{BTC}")

                h1.stop()                                          # the HTTP process goes away
                wait_until(lambda: not ws.call(lambda: ws.hub.connected), what="WS notices the upstream is gone")
                h2 = Http(port=port)                               # ... and comes back (a new exchange)
                wait_until(lambda: ws.call(lambda: ws.hub.connected and ws.hub.snapshots_loaded >= 2),
                           what="WS resyncs from the new upstream")
                h2.exchange.advance(ticks=1)
                book = book15(h2)
                snap = await c.notification(BOOK, where=lambda d: d["seq_no"] == book["seq_no"]
                                            and d["last_updated_at"] == book["last_updated_at"])
                assert [r["price"] for r in snap["inserts"] if r["side"] == "SELL"] == [p for p, _ in book["asks"]]
                status, _ = rest(h2.url, "POST", "/v1/orders",
                                 {"market": BTC, "side": "SELL", "type": "MARKET", "size": "0.01"})
                assert status == 201
                t = await c.notification(f"trades.{BTC}", where=lambda d: d["side"] == "SELL")
                assert t in rest(h2.url, "GET", f"/v1/trades?market={BTC}")[1]["results"]
                # the new server signs with a new key: the WS side refetches the JWKS
                acct = "0x88bb"
                h2.exchange.account(acct)
                tok = h2.app.extensions["paradex_mock"].venue_state["paradex"].jwt_issuer.issue(acct, h2.exchange.clock.now_ms() // 1000)
                assert "node_id" in (await c.call("auth", {"bearer": tok}))["result"]
        run(main())
    finally:
        ws.stop()
        if h2 is not None:
            h2.stop()


def test_ws_started_before_http():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ws = start_remote(config(), upstream=f"http://127.0.0.1:{port}", host="127.0.0.1", port=0, **FAST)
    h = None
    try:
        async def main():
            nonlocal h
            async with RpcClient(ws.url) as c:
                # no exchange yet: said at once (not after the readiness timeout), retried behind
                reply = await c.call("subscribe", {"channel": f"bbo.{BTC}"}, id=1, timeout=3)
                assert reply["error"]["data"] == "the exchange is unreachable"
                h = await asyncio.to_thread(Http, port)
                deadline = time.monotonic() + 10
                while "result" not in reply:
                    assert time.monotonic() < deadline, reply
                    await asyncio.sleep(0.02)          # poll interval while the stream connects
                    reply = await c.call("subscribe", {"channel": f"bbo.{BTC}"}, id=1, timeout=10)
                assert reply["id"] == 1 and reply["result"] == {"channel": f"bbo.{BTC}"}
                bbo = await c.notification(f"bbo.{BTC}")
                assert bbo == rest(h.url, "GET", f"/v1/bbo/{BTC}")[1]
        run(main())
    finally:
        ws.stop()
        if h is not None:
            h.stop()


def test_stream_drop_resumes_without_duplicates_or_gaps(http):
    ws = start_remote(config(), upstream=http.url, host="127.0.0.1", port=0, **FAST)
    try:
        def trade_ids():
            return {t["id"] for t in rest(http.url, "GET", f"/v1/trades?market={BTC}&page_size=1000")[1]["results"]}

        async def main():
            async with RpcClient(ws.url) as c:
                await c.subscribe("trades.ALL")
                before = trade_ids()
                for i in range(6):
                    rest(http.url, "POST", "/v1/orders", {"market": BTC, "side": "BUY" if i % 2 else "SELL",
                                                          "type": "MARKET", "size": "0.01"})
                    if i in (1, 3):
                        close_streams(http.app)                  # the stream drops; HTTP stays up
                new = trade_ids() - before
                assert len(new) >= 6
                got = []
                while not new <= set(got):
                    got.append((await c.notification("trades.ALL"))["id"])
                got += [f["params"]["data"]["id"] for f in await c.barrier()]
                assert len(got) == len(set(got)), "duplicate trades"
                assert set(got) == new                                     # none lost, none invented
                assert ws.call(lambda: ws.source.resumes) >= 1
                assert ws.call(lambda: ws.hub.snapshots_loaded) == 1       # resumed, never resnapshotted
        run(main())
    finally:
        ws.stop()


def test_remote_reset_resyncs_order_book(http):
    ws = start_remote(config(), upstream=http.url, host="127.0.0.1", port=0, **FAST)
    ch = f"order_book.{BTC}.deltas@15@50ms"
    try:
        async def main():
            async with RpcClient(ws.url) as c:
                await c.subscribe(ch)
                assert (await c.notification(ch))["update_type"] == "s"
                http.exchange.advance(ticks=2)
                assert (await c.notification(ch))["update_type"] == "d"
                http.exchange.reset()
                book = book15(http)
                s = await c.notification(ch, where=lambda d: d["update_type"] == "s")
                assert s["seq_no"] == book["seq_no"]
                assert [(r["price"], r["size"]) for r in s["inserts"] if r["side"] == "BUY"] == \
                    [tuple(x) for x in book["bids"]]
        run(main())
    finally:
        ws.stop()
