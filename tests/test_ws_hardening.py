"""WS answers to hostile or mistaken input (issue 13): deep nesting, subscription errors and caps,
bearer tokens."""
import asyncio
import logging

import pytest

from paradex_mock.ws.testing import RpcClient, Stack, wait_until

BTC = "BTC-USD-PERP"


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def stack():
    with Stack() as s:
        yield s


def error_of(frame):
    assert "result" not in frame, frame
    return frame["error"]


# ---------------------------------------------------------------- item 7
def test_deeply_nested_frame_is_a_parse_error_and_logs_no_frame(stack, caplog):
    deep = "[" * 200_000 + "]" * 200_000

    async def main():
        async with RpcClient(stack.ws_url, max_size=None) as c:
            await c.send(deep)
            err = error_of(await c.reply())
            assert err["code"] == -32700 and err["message"] == "parse error"
            await c.send('{"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": ' + "{\"a\":" * 100_000 +
                         "1" + "}" * 100_000 + "}")
            assert error_of(await c.reply())["code"] == -32700
            assert (await c.call("subscribe", {"channel": f"trades.{BTC}"}))["result"] == {"channel": f"trades.{BTC}"}
    with caplog.at_level(logging.DEBUG):
        run(main())
    assert all(len(r.getMessage()) < 1000 and not r.exc_info for r in caplog.records), \
        [(r.levelname, r.getMessage()[:200]) for r in caplog.records if len(r.getMessage()) >= 1000 or r.exc_info]


# ---------------------------------------------------------------- item 13
@pytest.mark.parametrize("channel,reason", [
    ("trades.NOPE-USD-PERP", "unknown market 'NOPE-USD-PERP'"),
    ("nope.BTC-USD-PERP", "unknown channel 'nope'"),
    (f"order_book.{BTC}.snapshot@15@10ms", "unknown refresh rate '10ms'"),
    (f"order_book.{BTC}.snapshot@15@100ms@0_01", "BTC-USD-PERP has no price grouping 0_01: its price_tick_size is 0.1"),
    (f"order_book.{BTC}.snapshot@15@100ms@5", "unknown price tick '5'"),
    (f"order_book.{BTC}.snapshot@15@100ms@1_0", "unknown price tick '1_0'"),
])
def test_subscribe_errors_say_why(stack, channel, reason):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            err = error_of(await c.call("subscribe", {"channel": channel}))
            assert (err["code"], err["message"]) == (-32600, "invalid subscribe request")
            assert err["data"].startswith(f"invalid channel: {reason}"), err
    run(main())


def test_only_the_groupings_a_market_offers(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            for tick in ("0_1", "1", "10", "100"):
                await c.subscribe(f"order_book.{BTC}.deltas@15@100ms@{tick}")
            assert error_of(await c.call("subscribe", {"channel": f"order_book.{BTC}.deltas@15@100ms@0_0001"}))
    run(main())


def test_subscriptions_per_connection_are_capped(stack, monkeypatch):
    from paradex_mock.venues.paradex.ws import rpc as server_mod
    assert server_mod.MAX_SUBSCRIPTIONS == 1000
    monkeypatch.setattr(server_mod, "MAX_SUBSCRIPTIONS", 3)      # the same rule, reachable in a test
    names = [f"trades.{m}" for m, market in stack.exchange.markets.items() if market.venue == "paradex"]

    async def main():
        async with RpcClient(stack.ws_url) as c:
            for name in names[:3]:
                await c.subscribe(name)
            err = error_of(await c.call("subscribe", {"channel": names[3]}))
            assert err == {"code": -32600, "message": "invalid subscribe request",
                           "data": "too many subscriptions: at most 3 per connection"}
            await c.call("unsubscribe", {"channel": names[0]})
            await c.subscribe(names[3])                          # room again after an unsubscribe
    run(main())
    wait_until(lambda: stack.ws.subscribers(names[3]) == 0, what="subscriptions gone with the connection")


# ---------------------------------------------------------------- item 18
def test_rest_and_ws_agree_on_bearers(stack):
    """The seed's valid_mock_token is the demo account on both transports; any other bearer that is
    not a JWT is refused on both (WS 40110, REST 401)."""
    from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
    from paradex_mock.ws.testing import rest
    status, acct = rest(stack.http_url, "GET", "/v1/account", headers={"Authorization": "Bearer valid_mock_token"})
    assert status == 200 and acct["account"] == DEMO_ACCOUNT
    for bad in ("not-a-jwt", "demo", "valid_mock_token2"):
        status, body = rest(stack.http_url, "GET", "/v1/account", headers={"Authorization": f"Bearer {bad}"})
        assert status == 401 and body["message"].startswith("missing or malformed jwt"), (bad, status, body)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            for bad in ("not-a-jwt", "demo", "valid_mock_token2"):
                err = error_of(await c.call("auth", {"bearer": bad}))
                assert err == {"code": 40110, "message": "malformed bearer token", "data": "bearer is not a JWT"}
            assert "node_id" in (await c.call("auth", {"bearer": "valid_mock_token"}))["result"]
            await c.subscribe("account")           # private: the demo account's
    run(main())


def test_strict_mode_takes_no_mock_token():
    from paradex_mock.ws.testing import rest
    with Stack(auth_mode="strict") as s:
        status, _ = rest(s.http_url, "GET", "/v1/account", headers={"Authorization": "Bearer valid_mock_token"})
        assert status == 401

        async def main():
            async with RpcClient(s.ws_url) as c:
                assert error_of(await c.call("auth", {"bearer": "valid_mock_token"}))["code"] == 40110
        run(main())
