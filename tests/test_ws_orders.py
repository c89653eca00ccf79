"""order.* over the WebSocket: carried out as the REST requests they stand for (venues/paradex/ws/orders.py),
in the single-process server and in the separate ws_server.py."""
import asyncio
import time
from decimal import ROUND_FLOOR, Decimal

import pytest

from paradex_mock.venues.paradex.auth.signer import StarkSigner
from paradex_mock.ws.server import start_remote
from paradex_mock.ws.testing import RpcClient, Stack, rest, wait_until

BTC = "BTC-USD-PERP"


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def stack():
    with Stack() as s:
        yield s


class Trader:
    """A funded, onboarded account with a STARK signer and a JWT on the stack's clock."""

    def __init__(self, stack, ttl=3600):
        acct = stack.create_account(balance="1000000")
        self.address = acct["address"]
        self.signer = StarkSigner(int(acct["private_key"], 16), chain_id=stack.state.venue_state["paradex"].chain_id)
        now_s = stack.exchange.clock.now_ms() // 1000
        self.token = stack.state.venue_state["paradex"].jwt_issuer.issue(self.address, now_s, ttl)
        self.stack = stack
        self._ts = int(time.time() * 1000)

    def order(self, side="BUY", size="0.001", client_id=None, price=None, instruction="GTC", market=BTC):
        """A signed LIMIT order; BUYs at half the mark price rest without trading."""
        if price is None:
            st = self.stack.exchange.states[market]
            price = (st.mark_price / 2 / st.market.tick).to_integral_value(ROUND_FLOOR) * st.market.tick
        body = {"market": market, "side": side, "type": "LIMIT", "size": size, "price": str(price),
                "instruction": instruction}
        if client_id:
            body["client_id"] = client_id
        self._ts -= 1          # a distinct signed message per order, within the receive window
        return self.signer.sign_order(body, timestamp_ms=self._ts)

    def rest(self, method, path, body=None):
        return rest(self.stack.http_url, method, path, body, {"Authorization": f"Bearer {self.token}"})

    def status(self, order_id):
        return self.rest("GET", f"/v1/orders/{order_id}")[1]["status"]


def error_of(reply):
    assert "result" not in reply, reply
    return reply["error"]


def test_order_create_rests_and_streams_like_rest(stack):
    t = Trader(stack)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            assert "result" in await c.call("auth", {"bearer": t.token})
            await c.subscribe("orders.ALL")
            reply = await c.call("order.create", t.order(client_id="ws-1"))
            res = reply["result"]
            order = res["order"]
            assert order["status"] == "NEW" and order["client_id"] == "ws-1" and order["account"] == t.address
            assert res["created_at"] == order["created_at"] and res["received_at"] == order["received_at"] * 10 ** 6
            update = await c.notification("orders.ALL", where=lambda d: d["id"] == order["id"] and d["status"] == "OPEN")
            return order["id"], update
    oid, update = run(main())
    status, fetched = t.rest("GET", f"/v1/orders/{oid}")
    assert status == 200 and fetched["status"] == "OPEN" and fetched["client_id"] == "ws-1"
    assert update["price"] == fetched["price"] and update["size"] == fetched["size"]
    entry = [e for e in stack.journal(path="/v1/orders") if e["method"] == "POST"][-1]
    assert entry["via"] == "ws" and entry["status"] == 201 and entry["account"] == t.address


def test_order_errors_are_json_rpc_errors(stack):
    t = Trader(stack)
    short = Trader(stack, ttl=2)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": t.token})
            unsigned = {k: v for k, v in t.order().items() if k not in ("signature", "signature_timestamp")}
            err = error_of(await c.call("order.create", unsigned))
            assert (err["code"], err["message"]) == (100, "method error")
            assert err["data"].startswith("INVALID_ORDER_SIGNATURE: ")
            signed = t.order()
            first = (await c.call("order.create", signed))["result"]["order"]["id"]
            again = (await c.call("order.create", signed))["result"]["order"]["id"]   # the same signed message
            assert again != first          # again: a second order, as on Paradex (no replay rule)
            assert error_of(await c.call("order.create", ["not", "an", "object"]))["code"] == -32602
            assert error_of(await c.call("order.cancel", {"id": "123"}))["data"].startswith("ORDER_ID_NOT_FOUND")
            assert error_of(await c.call("order.cancel", {"client_id": "x"}))["code"] == -32602
            assert error_of(await c.call("order.modify", {"price": "1"}))["code"] == -32602
            assert error_of(await c.call("order.cancel_batch", {"order_ids": []}))["code"] == -32602
            assert error_of(await c.call("order.cancel_on_disconnect", {"enabled": "yes"}))["code"] == -32602
            # REST's rate limits and injected faults apply to order.* too
            stack.add_faults([{"kind": "error", "target": "POST /v1/orders", "status": 429, "count": 1},
                              {"kind": "error", "target": "DELETE /v1/orders", "status": 503, "count": 1}])
            try:
                assert error_of(await c.call("order.create", t.order()))["code"] == 42901
                err = error_of(await c.call("order.cancel_all", {}))
                assert err["code"] == -32603 and err["data"].startswith("HTTP 503")
            finally:
                stack.clear_faults()
        async with RpcClient(stack.ws_url) as c:          # a JWT that expired after auth
            await c.call("auth", {"bearer": short.token})
            stack.advance(seconds=3)
            err = error_of(await c.call("order.create", short.order()))
            assert err["code"] == 40111
    run(main())


def test_batch_results_are_positional(stack):
    t = Trader(stack)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": t.token})
            tiny = t.order(size="0.00001")                    # signed, but below min_notional
            items = [t.order(client_id="b-1"), tiny, t.order(client_id="b-3")]
            bare = (await c.call("order.create_batch", items))["result"]["results"]   # paradex-py: a bare array
            wrapped = (await c.call("order.create_batch", {"orders": [t.order(client_id="b-4")]}))["result"]
            return bare, wrapped["results"]
    bare, wrapped = run(main())
    assert [r.get("order", {}).get("client_id") for r in bare] == ["b-1", None, "b-3"]
    assert bare[1]["error"].startswith("INVALID_ORDER_SIZE: ")
    assert wrapped[0]["order"]["client_id"] == "b-4" and wrapped[0]["created_at"] == wrapped[0]["order"]["created_at"]
    for r in (bare[0], bare[2], wrapped[0]):
        assert t.status(r["order"]["id"]) == "OPEN"


def test_modify_and_every_cancel(stack):
    t = Trader(stack)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": t.token})
            first = (await c.call("order.create", t.order(client_id="m-1")))["result"]["order"]
            new_price = str(Decimal(first["price"]) - 10)
            body = t.signer.sign_modify({"id": first["id"], "market": BTC, "side": "BUY", "type": "LIMIT",
                                         "size": "0.002", "price": new_price}, timestamp_ms=t._ts - 1000)
            modified = (await c.call("order.modify", body))["result"]["order"]
            assert (modified["id"], modified["price"], modified["size"]) == (first["id"], new_price, "0.002")
            assert (await c.call("order.cancel", {"id": first["id"]}))["result"] == {
                "order_id": first["id"], "status": "QUEUED_FOR_CANCELLATION"}
            second = (await c.call("order.create", t.order(client_id="m-2")))["result"]["order"]
            by_cid = (await c.call("order.cancel", {"client_id": "m-2", "market": BTC}))["result"]
            assert by_cid == {"order_id": second["id"], "status": "QUEUED_FOR_CANCELLATION"}
            third = (await c.call("order.create", t.order()))["result"]["order"]
            batch = (await c.call("order.cancel_batch", {"order_ids": [third["id"], first["id"], "404"]}))["result"]
            assert [r["status"] for r in batch["results"]] == ["QUEUED_FOR_CANCELLATION", "ALREADY_CLOSED", "NOT_FOUND"]
            assert batch["results"][0] == {"id": third["id"], "market": BTC, "status": "QUEUED_FOR_CANCELLATION"}
            for _ in range(2):
                await c.call("order.create", t.order())
            assert (await c.call("order.cancel_all", {"market": BTC}))["result"] == {"status": "ok"}
            return first["id"], second["id"], third["id"]
    ids = run(main())
    assert [t.status(i) for i in ids] == ["CLOSED"] * 3
    assert t.rest("GET", "/v1/orders")[1]["results"] == []


@pytest.mark.parametrize("enabled, close, cancelled", [(True, "abort", True), (True, "normal", False),
                                                       (False, "abort", False)])
def test_cancel_on_disconnect(stack, enabled, close, cancelled):
    t = Trader(stack)

    async def main():
        c = RpcClient(stack.ws_url)
        await c.__aenter__()
        await c.call("auth", {"bearer": t.token})
        assert (await c.call("order.cancel_on_disconnect", {"enabled": enabled}))["result"] == {"enabled": enabled}
        oid = (await c.call("order.create", t.order()))["result"]["order"]["id"]
        if close == "abort":
            c.ws.transport.abort()        # no close frame: the connection is lost
        else:
            await c.ws.close()            # 1000, a client that meant to leave
        return oid
    oid = run(main())
    if cancelled:
        wait_until(lambda: t.status(oid) == "CLOSED", what="cancel on disconnect")
        assert t.rest("GET", f"/v1/orders/{oid}")[1]["cancel_reason"] == "USER_CANCELED"
    else:
        # the server has seen the close and finished any cancel it started
        wait_until(lambda: stack.ws.connections() == 0 and stack.ws.cancels_pending() == 0, what="the close")
        assert t.status(oid) == "OPEN"


def test_the_separate_ws_server_forwards_order_methods_over_http(stack):
    t = Trader(stack)
    ws = start_remote(stack.config, upstream=stack.http_url, host="127.0.0.1", port=0)
    try:
        async def main():
            async with RpcClient(ws.url) as c:
                assert error_of(await c.call("order.create", t.order()))["code"] == 40300
                await c.call("auth", {"bearer": t.token})
                order = (await c.call("order.create", t.order(client_id="remote-1")))["result"]["order"]
                err = error_of(await c.call("order.cancel", {"id": "404"}))
                assert err["data"].startswith("ORDER_ID_NOT_FOUND")
                return order
        order = run(main())
        assert t.status(order["id"]) == "OPEN" and order["client_id"] == "remote-1"
    finally:
        ws.stop()
