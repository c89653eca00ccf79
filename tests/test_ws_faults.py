"""WS faults as a client sees them, and byte-identical WS streams from a replayed run."""
import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from paradex_mock.engine.clock import DEFAULT_MANUAL_START_MS
from paradex_mock.testing import MockParadex
from paradex_mock.ws.testing import RpcClient, rest

BTC = "BTC-USD-PERP"
TRADES = f"trades.{BTC}"
BOOK = f"order_book.{BTC}.snapshot@15@100ms"


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def mock():
    with MockParadex(rate_limits=False, backfill_hours=1.0) as m:
        yield m


def market_order(mock, side="BUY", size="0.01"):
    status, body = rest(mock.http_url, "POST", "/v1/orders",
                        {"market": BTC, "side": side, "type": "MARKET", "size": size})
    assert status == 201, body
    return body


def trade_ids(frames):
    return [f["params"]["data"]["id"] for f in frames if f["params"]["channel"] == TRADES]


def latest_trade_ids(mock, n):
    status, body = rest(mock.http_url, "GET", f"/v1/trades?market={BTC}&page_size={n}")
    return [t["id"] for t in reversed(body["results"])]   # oldest first, as they were sent


def test_ws_drop_loses_exactly_the_matching_message(mock):
    async def main():
        async with RpcClient(mock.ws_url) as c:
            await c.subscribe(TRADES)
            mock.add_faults({"kind": "ws_drop", "target": "trades.*", "count": 1})
            market_order(mock)
            market_order(mock, side="SELL")
            got = trade_ids(await c.barrier())
            sent = latest_trade_ids(mock, 2)
            assert got == sent[1:]          # the first trade never arrived
    run(main())
    assert mock.control.faults()["counts"] == {"ws_drop": 1}
    (entry,) = mock.journal(path=TRADES)
    assert entry["method"] == "WS" and entry["faults"] == ["ws_drop"]


def test_ws_duplicate_and_reorder(mock):
    async def main():
        async with RpcClient(mock.ws_url) as c:
            await c.subscribe(TRADES)
            mock.add_faults({"kind": "ws_duplicate", "target": TRADES, "count": 1})
            market_order(mock)
            first = latest_trade_ids(mock, 1)
            assert trade_ids(await c.barrier()) == first * 2
            mock.clear_faults()
            mock.add_faults({"kind": "ws_reorder", "target": TRADES, "count": 1})
            market_order(mock)
            market_order(mock, side="SELL")
            a, b = latest_trade_ids(mock, 2)
            assert trade_ids(await c.barrier()) == [b, a]
    run(main())


def test_ws_delay_holds_a_message_back(mock):
    async def main():
        async with RpcClient(mock.ws_url) as c:
            await c.subscribe(TRADES)
            mock.add_faults({"kind": "ws_delay", "target": TRADES, "ms": 300, "count": 1})
            t0 = time.monotonic()
            market_order(mock)
            assert trade_ids(await c.barrier()) == []        # not yet
            data = await c.notification(TRADES, timeout=5)
            assert time.monotonic() - t0 >= 0.3
            assert data["id"] == latest_trade_ids(mock, 1)[0]
    run(main())


def test_ws_disconnect_closes_the_client(mock):
    async def main():
        async with RpcClient(mock.ws_url) as c:
            await c.subscribe(TRADES)
            mock.add_faults({"kind": "ws_disconnect", "target": TRADES, "count": 1})
            market_order(mock)
            with pytest.raises(ConnectionClosed) as info:
                for _ in range(10):
                    await c.frame(timeout=5)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1011
        async with RpcClient(mock.ws_url) as again:     # the next connection is served normally
            await again.subscribe(TRADES)
            market_order(mock)
            assert trade_ids(await again.barrier()) == latest_trade_ids(mock, 1)
    run(main())


def test_ws_seq_gap_is_visible_in_seq_no(mock):
    async def main():
        async with RpcClient(mock.ws_url) as c:
            await c.subscribe(BOOK)
            seqs = [(await c.notification(BOOK))["seq_no"]]
            for i in range(4):
                if i == 2:
                    mock.add_faults({"kind": "ws_seq_gap", "target": "order_book.*", "count": 1})
                mock.advance(ticks=1)
                seqs.append((await c.notification(BOOK, where=lambda d: d["seq_no"] > seqs[-1]))["seq_no"])
            steps = [b - a for a, b in zip(seqs, seqs[1:])]
            assert steps[:2] == [1, 1] and steps[2] > 10 and steps[3] == 1
    run(main())
    assert mock.control.faults()["counts"]["ws_seq_gap"] == 1


def test_ws_faults_from_a_scenario_file(tmp_path):
    scenario = tmp_path / "ws.json"
    scenario.write_text(json.dumps([{"kind": "ws_drop", "target": "trades.*", "probability": 1.0}]))
    with MockParadex(faults_file=str(scenario), rate_limits=False, backfill_hours=1.0) as m:
        async def main():
            async with RpcClient(m.ws_url) as c:
                await c.subscribe(TRADES)
                market_order(m)
                assert trade_ids(await c.barrier()) == []
        run(main())


# ---------------------------------------------------------------- deterministic replay, WS included
def _recorded_session(seed: int) -> list:
    """Every notification of a scripted session. The order-book feed is paced by real time
    (Paradex's @100ms), so how many intermediate books it coalesces may vary; what must not vary
    is the book at each step, which is recorded once the feed reaches REST's seq_no."""
    with MockParadex(seed=seed, start_time_ms=DEFAULT_MANUAL_START_MS, rate_limits=False,
                     backfill_hours=2.0) as m:
        async def main():
            out = []

            def keep(frames):
                out.extend(json.dumps(f, sort_keys=True) for f in frames if f["params"]["channel"] != BOOK)

            async with RpcClient(m.ws_url) as c:
                await c.call("auth", {"bearer": "valid_mock_token"})           # permissive: the demo account
                for ch in (TRADES, "orders.ALL", "fills.ALL", BOOK, f"bbo.{BTC}"):
                    await c.subscribe(ch)
                for i in range(4):
                    rest(m.http_url, "POST", "/v1/orders", {"market": BTC, "side": "BUY", "type": "LIMIT",
                                                            "size": "0.01", "price": str(90000 + i)})
                    m.advance(ticks=2)
                    market_order(m, side="SELL" if i % 2 else "BUY")
                    seq = rest(m.http_url, "GET", f"/v1/orderbook/{BTC}")[1]["seq_no"]
                    book = await c.notification(BOOK, where=lambda d: d["seq_no"] == seq)
                    out.append(json.dumps(book, sort_keys=True))
                    keep(await c.barrier())
            return out
        return run(main())


def test_same_seed_same_requests_same_ws_stream():
    first = _recorded_session(11)
    second = _recorded_session(11)
    assert len(first) > 30
    assert first == second
    assert _recorded_session(12) != first
