"""WS answers to hostile or mistaken input (issue 13): deep nesting, subscription errors and caps,
bearer tokens."""
import asyncio
import logging

import pytest

from paradex_mock.ws.testing import RpcClient, Stack

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
