"""WS JSON-RPC: every method, every error, ids, ordering, handshake paths and frame limits."""
import asyncio
import json
import re

import pytest
import websockets

from paradex_mock.venues.paradex.auth import JwtIssuer
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.venues.paradex.ws.testing import RpcClient
from paradex_mock.ws.testing import Stack, rest
from paradex_mock.venues.paradex.orders import submit

BTC = "BTC-USD-PERP"


def run(coro, timeout=20):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def stack():
    with Stack() as s:
        yield s


@pytest.fixture(scope="module")
def strict():
    with Stack(auth_mode="strict") as s:
        yield s


def assert_timing(frame):
    assert isinstance(frame["usIn"], int) and isinstance(frame["usOut"], int)
    assert frame["usDiff"] == frame["usOut"] - frame["usIn"] >= 0
    assert len(str(frame["usIn"])) == 16          # microseconds, as in captures


def assert_error(frame, code, message=None, data=None, **id_):
    assert frame["jsonrpc"] == "2.0"
    assert "result" not in frame, frame
    assert frame["error"]["code"] == code, frame
    if message is not None:
        assert frame["error"]["message"] == message, frame
    if data is not None:
        assert frame["error"]["data"] == data, frame
    if "id" in id_:
        assert frame["id"] == id_["id"] and type(frame["id"]) is type(id_["id"]), frame
    assert_timing(frame)


def token_for(stack, account, ttl=300, issuer=None, now_s=None):
    issuer = issuer or stack.state.venue_state["paradex"].jwt_issuer
    now_s = stack.exchange.clock.now_ms() // 1000 if now_s is None else now_s
    return issuer.issue(account, now_s, ttl)


# ------------------------------------------------------------------------------------- auth
def test_auth_non_jwt_bearer_is_demo_account_in_permissive_mode(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            r = await c.call("auth", {"bearer": "valid_mock_token"}, id=1)
            assert r["id"] == 1 and re.fullmatch(r"[0-9a-f]{16}", r["result"]["node_id"])
            assert_timing(r)
            await c.subscribe("orders.ALL")
            status, order = rest(stack.http_url, "POST", "/v1/orders",
                                 {"market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.01", "price": "50000"})
            assert status == 201, order
            data = await c.notification("orders.ALL", where=lambda d: d["id"] == order["id"])
            assert data["account"] == DEMO_ACCOUNT
    run(main())


def test_auth_with_jwt_scopes_private_channels_to_the_account(stack):
    other = "0x5eed0000abc"
    stack.exchange.account(other)
    tok = token_for(stack, other)

    async def main():
        async with RpcClient(stack.ws_url) as mine, RpcClient(stack.ws_url) as demo:
            r = await mine.call("auth", {"bearer": tok})
            assert "node_id" in r["result"]
            await demo.call("auth", {"bearer": "valid_mock_token"})
            await mine.subscribe("orders.ALL")
            await demo.subscribe("orders.ALL")
            submit(stack.exchange, other, {"market": BTC, "side": "SELL", "type": "LIMIT",
                                                "size": "0.01", "price": "200000"})
            rest(stack.http_url, "POST", "/v1/orders",
                 {"market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.01", "price": "50001"})
            mine_frames = await mine.barrier()
            demo_frames = await demo.barrier()
            assert mine_frames and {f["params"]["data"]["account"] for f in mine_frames} == {other}
            assert demo_frames and {f["params"]["data"]["account"] for f in demo_frames} == {DEMO_ACCOUNT}
    run(main())


def test_auth_errors_in_strict_mode(strict):
    foreign = JwtIssuer()
    now = strict.exchange.clock.now_ms() // 1000
    acct = "0xabc123"
    strict.exchange.account(acct)

    async def main():
        async with RpcClient(strict.ws_url) as c:
            assert_error(await c.call("auth", {"bearer": "valid_mock_token"}, id=3), 40110,
                         "malformed bearer token", id=3)
            assert_error(await c.call("auth", {"bearer": "a.b.c"}), 40110)
            assert_error(await c.call("auth", {"bearer": 12345}), 40110)
            assert_error(await c.call("auth", {"bearer": ""}), 40110)
            assert_error(await c.call("auth", {"bearer": foreign.issue(acct, now)}), 40111,
                         "invalid bearer token")
            assert_error(await c.call("auth", {"bearer": token_for(strict, acct, now_s=now - 1000)}), 40111,
                         data="expired")
            assert_error(await c.call("auth", {}), -32602, "invalid params")
            assert_error(await c.call("auth", ["bearer"]), -32602)
            # still unauthenticated: private channels are refused
            assert_error(await c.call("subscribe", {"channel": "orders.ALL"}), 40300, "permission denied")
            ok = await c.call("auth", {"bearer": "Bearer " + token_for(strict, acct)}, id="s1")
            assert ok["id"] == "s1" and "node_id" in ok["result"]
            await c.subscribe("orders.ALL")
            await c.subscribe("account")
    run(main())


def test_tampered_and_alg_none_tokens_refused_even_in_permissive_mode(stack):
    acct = "0xabc124"
    stack.exchange.account(acct)
    good = token_for(stack, acct)
    h, p, s = good.split(".")
    import base64
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["sub"] = DEMO_ACCOUNT
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()

    async def main():
        async with RpcClient(stack.ws_url) as c:
            assert_error(await c.call("auth", {"bearer": f"{h}.{forged_payload}.{s}"}), 40111, data="bad_signature")
            assert_error(await c.call("auth", {"bearer": f"{none_header}.{p}."}), 40111, data="bad_alg")
            assert_error(await c.call("subscribe", {"channel": "positions"}), 40300)
    run(main())


# ------------------------------------------------------------------------------------- malformed input
def test_parse_errors_batches_and_bad_requests_keep_the_connection(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.send("{not json")
            assert_error(await c.reply(), -32700, "parse error", id=None)
            await c.send(b"\xff\xfe\x00")
            assert_error(await c.reply(), -32700, id=None)
            await c.send(json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "auth",
                                      "params": {"bearer": "x"}}]))
            assert_error(await c.reply(), -32600, "invalid request", "batch requests are not supported", id=None)
            await c.send("[]")
            assert_error(await c.reply(), -32600, id=None)
            for raw in ("42", '"subscribe"', "null", "true"):
                await c.send(raw)
                assert_error(await c.reply(), -32600, id=None)
            await c.send(json.dumps({"id": 7, "method": "auth", "params": {"bearer": "x"}}))
            assert_error(await c.reply(), -32600, id=7)                     # no "jsonrpc": "2.0"
            await c.send(json.dumps({"jsonrpc": "1.0", "id": 8, "method": "auth"}))
            assert_error(await c.reply(), -32600, id=8)
            await c.send(json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "auth"}))
            assert_error(await c.reply(), -32600, id=None)
            await c.send(json.dumps({"jsonrpc": "2.0", "id": True, "method": "auth"}))
            assert_error(await c.reply(), -32600, id=None)
            await c.send(json.dumps({"jsonrpc": "2.0", "id": 9}))
            assert_error(await c.reply(), -32600, id=9)
            await c.send(json.dumps({"jsonrpc": "2.0", "id": 10, "method": 5}))
            assert_error(await c.reply(), -32600, id=10)
            # binary frames carrying JSON are read like text ones
            await c.send(json.dumps({"jsonrpc": "2.0", "id": 11, "method": "subscribe",
                                     "params": {"channel": f"trades.{BTC}"}}).encode())
            assert (await c.reply())["result"] == {"channel": f"trades.{BTC}"}
    run(main())


def test_unknown_methods(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            assert_error(await c.call("frobnicate", {}, id=1), -32601, "method does not exist", "frobnicate", id=1)
            assert_error(await c.call("order.create", {"market": BTC}), 40300, "permission denied")
            assert_error(await c.call("order.frobnicate", {}), 40300, "permission denied")
            await c.call("auth", {"bearer": "valid_mock_token"})
            assert_error(await c.call("order.frobnicate", {}), -32601, "method does not exist", "order.frobnicate")
            # order.create is served (tests/test_ws_orders.py): this one lacks side, size and price
            reply = await c.call("order.create", {"market": BTC})
            assert_error(reply, 100, "method error")
            assert reply["error"]["data"].startswith("VALIDATION_ERROR: ")
    run(main())


def test_ids_are_echoed_exactly(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            for rid in (0, 1, 1718179125962419, "abc", "17", None, 2.5):
                r = await c.call("subscribe", {"channel": f"bbo.{BTC}"}, id=rid)
                assert "id" in r and r["id"] == rid and type(r["id"]) is type(rid), r
                await c.call("unsubscribe", {"channel": f"bbo.{BTC}"}, id=rid)
            # ccxt.pro style: no id at all -> a result without an id, and the subscription holds
            r = await c.call("subscribe", {"channel": f"trades.{BTC}"}, omit_id=True)
            assert "id" not in r and r["result"] == {"channel": f"trades.{BTC}"} and "error" not in r
            assert_timing(r)
    run(main())


def test_messages_are_processed_in_order(stack):
    acct = "0xfeed01"
    stack.exchange.account(acct)
    tok = token_for(stack, acct)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            # paradex-py sends auth and then subscribe without waiting
            await c.send({"jsonrpc": "2.0", "id": 1, "method": "auth", "params": {"bearer": tok}})
            await c.send({"jsonrpc": "2.0", "id": 2, "method": "subscribe", "params": {"channel": "orders.ALL"}})
            for i in range(3, 40):
                method = "subscribe" if i % 2 else "unsubscribe"
                await c.send({"jsonrpc": "2.0", "id": i, "method": method, "params": {"channel": f"trades.{BTC}"}})
            replies = [await c.reply() for _ in range(39)]
            assert [r["id"] for r in replies] == list(range(1, 40))
            assert all("result" in r for r in replies), [r for r in replies if "error" in r]
    run(main())


# ------------------------------------------------------------------------------------- subscribe / unsubscribe
BAD_CHANNELS = [
    "nope", "trades", "trades.", "trades.NOPE-USD-PERP", "trades.btc-usd-perp", "bbo", "bbo.XYZ",
    f"order_book.{BTC}", f"order_book.{BTC}.snapshot", f"order_book.{BTC}.snapshot@20@100ms",
    f"order_book.{BTC}.snapshot@15@10ms", f"order_book.{BTC}.full@15@100ms", f"order_book.{BTC}.snapshot@15@100ms@x",
    f"order_book.{BTC}.snapshot@15@100ms@0", f"order_book.{BTC}.snapshot@15@100ms@1@2", "order_book.NOPE.snapshot@15@100ms",
    "orderbook.NOPE", "markets_summary.NOPE", "funding_data.NOPE", f"positions.{BTC}", "account.ALL",
    f"orders.{BTC}.x", "orders", "fills", "", "x" * 300,
]


@pytest.mark.parametrize("channel", BAD_CHANNELS)
def test_invalid_channels(stack, channel):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": "valid_mock_token"})
            r = await c.call("subscribe", {"channel": channel}, id=5)
            if channel == "":
                assert_error(r, -32602, "invalid params", id=5)
            else:
                assert_error(r, -32600, "invalid subscribe request", id=5)
                assert r["error"]["data"].startswith("invalid channel: ")       # and why
    run(main())


def test_subscribe_param_errors(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            assert_error(await c.call("subscribe", None), -32602, "invalid params")
            assert_error(await c.call("subscribe", {}), -32602)
            assert_error(await c.call("subscribe", {"channel": 5}), -32602)
            assert_error(await c.call("subscribe", ["trades.ALL"]), -32602)
            assert_error(await c.call("unsubscribe", {}), -32602)
            # id-less errors still come back (without an id)
            r = await c.call("subscribe", {"channel": "nope"}, omit_id=True)
            assert "id" not in r and r["error"]["code"] == -32600
    run(main())


def test_subscribing_twice_and_unsubscribing_unknown(stack):
    ch = f"trades.{BTC}"

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(ch)
            assert_error(await c.call("subscribe", {"channel": ch}, id=2), -32600, "invalid subscribe request",
                         "already subscribed", id=2)
            # ccxt re-sends id-less subscribes (watch_funding_rate per symbol): acked, not doubled
            r = await c.call("subscribe", {"channel": ch}, omit_id=True)
            assert r["result"] == {"channel": ch} and "error" not in r
            assert stack.ws.subscribers(ch) == 1
            rest(stack.http_url, "POST", "/v1/orders", {"market": BTC, "side": "BUY", "type": "MARKET", "size": "0.01"})
            frames = await c.barrier()
            ids = [f["params"]["data"]["id"] for f in frames]
            assert ids and len(ids) == len(set(ids))          # each trade once
            assert_error(await c.call("unsubscribe", {"channel": f"trades.{'ETH-USD-PERP'}"}, id="u1"), -32600,
                         "invalid unsubscribe request", "not subscribed", id="u1")
            r = await c.call("unsubscribe", {"channel": ch}, id="1718179125962419")   # paradex-py: string id
            assert r["id"] == "1718179125962419" and r["result"] == {"channel": ch}
            assert_timing(r)
            rest(stack.http_url, "POST", "/v1/orders", {"market": BTC, "side": "SELL", "type": "MARKET", "size": "0.01"})
            assert await c.barrier() == []                    # nothing after unsubscribing
            assert_error(await c.call("unsubscribe", {"channel": ch}), -32600, data="not subscribed")
    run(main())


def test_private_channels_need_auth(stack):
    private = ["orders.ALL", f"orders.{BTC}", "fills.ALL", f"fills.{BTC}", "positions", "account",
               "balance_events", "funding_payments", f"funding_payments.{BTC}", "funding_payments.ALL",
               "tradebusts", "transaction", "transfers"]

    async def main():
        async with RpcClient(stack.ws_url) as c:
            for ch in private:
                assert_error(await c.call("subscribe", {"channel": ch}), 40300, "permission denied",
                             "authentication required")
            await c.call("auth", {"bearer": "valid_mock_token"})
            for ch in private:
                await c.subscribe(ch)
    run(main())


def test_never_result_null(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            frames = [await c.call("auth", {"bearer": "valid_mock_token"}),
                      await c.call("subscribe", {"channel": "markets_summary"}),
                      await c.call("unsubscribe", {"channel": "markets_summary"}),
                      await c.call("nope")]
            for f in frames:
                assert f.get("result", {}) is not None and ("result" in f) != ("error" in f)
    run(main())


# ------------------------------------------------------------------------------------- handshake and frames
def test_paths_and_sbe_query(stack):
    base = stack.ws_url[: -len("/v1")]

    async def main():
        for path in ("/v1", "/v1/", "/", "", "/v1?sbeSchemaId=1&sbeSchemaVersion=3", "/?sbeSchemaId=1&sbeSchemaVersion=2"):
            async with RpcClient(base + path) as c:
                r = await c.call("subscribe", {"channel": f"bbo.{BTC}"})
                assert r["result"] == {"channel": f"bbo.{BTC}"}
                data = await c.notification(f"bbo.{BTC}")        # JSON even with the SBE query
                assert data["market"] == BTC
        for path, status in (("/v2", 404), ("/v1/x", 404), ("/v1?sbeSchemaId=1&sbeSchemaVersion=9", 400),
                             ("/v1?sbeSchemaId=2&sbeSchemaVersion=1", 400), ("/v1?sbeSchemaVersion=2", 400)):
            with pytest.raises(websockets.InvalidStatus) as e:
                async with websockets.connect(base + path):
                    pass
            assert e.value.response.status_code == status
    run(main())


def test_oversized_frame_closes_only_that_connection():
    with Stack(ws_max_frame=4096) as s:
        async def main():
            async with RpcClient(s.ws_url) as big, RpcClient(s.ws_url) as other:
                await big.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "auth",
                                           "params": {"bearer": "x" * 5000}}))
                with pytest.raises(websockets.ConnectionClosed) as e:
                    await big.reply()
                assert e.value.rcvd.code == 1009                 # message too big
                r = await other.call("auth", {"bearer": "x" * 3000})     # read and answered (refused)
                assert r["error"]["code"] == 40110
            async with RpcClient(s.ws_url) as again:
                assert "node_id" in (await again.call("auth", {"bearer": "valid_mock_token"}))["result"]
        run(main())
