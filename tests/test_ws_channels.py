"""WS channels: payloads, REST/WS agreement, order-book feeds and cadence, private streams."""
import asyncio
import time
from decimal import Decimal

import pytest

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.ws.testing import RpcClient, Stack, rest
from support import paradex_markets

BTC = "BTC-USD-PERP"
ETH = "ETH-USD-PERP"
BOOK = f"order_book.{BTC}.snapshot@15@100ms"


def run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def stack():
    with Stack() as s:
        yield s


def get(stack, path):
    status, body = rest(stack.http_url, "GET", path)
    assert status == 200, (path, status, body)
    return body


def market_order(stack, side="BUY", size="0.01", market=BTC):
    status, body = rest(stack.http_url, "POST", "/v1/orders",
                        {"market": market, "side": side, "type": "MARKET", "size": size})
    assert status == 201, body
    return body


def rest_book(stack, market=BTC):
    return get(stack, f"/v1/orderbook/{market}?depth=15")


def as_rows(book):
    return ([{"side": "BUY", "price": p, "size": s} for p, s in book["bids"]]
            + [{"side": "SELL", "price": p, "size": s} for p, s in book["asks"]])


# ------------------------------------------------------------------------------------- public
def test_trades_market_and_all(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            for ch in (f"trades.{BTC}", "trades.ALL", f"trades.{ETH}"):
                await c.subscribe(ch)
            market_order(stack)
            t = await c.notification(f"trades.{BTC}")
            t_all = await c.notification("trades.ALL", where=lambda d: d["id"] == t["id"])
            assert t == t_all
            assert set(t) == {"id", "market", "side", "size", "price", "created_at", "trade_type"}
            assert t["market"] == BTC and t["side"] == "BUY" and t["trade_type"] == "FILL"
            latest = get(stack, f"/v1/trades?market={BTC}")["results"]
            assert t in latest
            frames = await c.barrier()
            assert all(f["params"]["channel"] != f"trades.{ETH}" for f in frames)
    run(main())


def test_bbo_initial_and_on_change(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(f"bbo.{BTC}")
            first = await c.notification(f"bbo.{BTC}")
            assert first == get(stack, f"/v1/bbo/{BTC}")
            stack.exchange.advance(ticks=1)
            now = get(stack, f"/v1/bbo/{BTC}")
            assert (await c.notification(f"bbo.{BTC}", where=lambda d: d["seq_no"] == now["seq_no"])) == now
            await c.subscribe("bbo.ALL")
            initial = [await c.notification("bbo.ALL") for _ in paradex_markets(stack.exchange)]
            assert {d["market"] for d in initial} == set(paradex_markets(stack.exchange))
    run(main())


def test_order_book_snapshot_equals_rest_book_at_same_seq(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(BOOK)
            snap = await c.notification(BOOK)
            book = rest_book(stack)
            assert snap["seq_no"] == book["seq_no"] and snap["last_updated_at"] == book["last_updated_at"]
            assert snap["update_type"] == "s" and snap["updates"] == [] and snap["deletes"] == []
            assert snap["inserts"] == as_rows(book) and len(book["bids"]) == 15
            for _ in range(3):
                stack.exchange.advance(ticks=1)
                book = rest_book(stack)
                snap = await c.notification(BOOK, where=lambda d: d["seq_no"] >= book["seq_no"])
                assert snap["seq_no"] == book["seq_no"] and snap["inserts"] == as_rows(book)
    run(main())


def apply_delta(levels, msg):
    if msg["update_type"] == "s":
        levels.clear()
    for row in msg["inserts"] + msg["updates"]:
        levels[(row["side"], row["price"])] = row["size"]
    for row in msg["deletes"]:
        assert row["size"] == "0"
        del levels[(row["side"], row["price"])]


def test_order_book_deltas_rebuild_the_rest_book(stack):
    ch = f"order_book.{BTC}.deltas@15@50ms"

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(ch)
            first = await c.notification(ch)
            assert first["update_type"] == "s"
            levels = {}
            apply_delta(levels, first)
            seen_delta = False
            for i in range(4):
                if i == 2:
                    rest(stack.http_url, "POST", "/v1/orders", {"market": BTC, "side": "BUY", "type": "LIMIT",
                                                                 "size": "0.5", "price": rest_book(stack)["bids"][0][0]})
                else:
                    stack.exchange.advance(ticks=1)
                book = rest_book(stack)
                while True:
                    msg = await c.notification(ch)
                    assert msg["update_type"] == "d"
                    seen_delta = True
                    apply_delta(levels, msg)
                    if msg["seq_no"] >= book["seq_no"]:
                        break
                assert msg["seq_no"] == book["seq_no"]
                assert levels == {(r["side"], r["price"]): r["size"] for r in as_rows(book)}
            assert seen_delta
            # a second subscriber starts from the state the feed last sent
            async with RpcClient(stack.ws_url) as late:
                await late.subscribe(ch)
                s = await late.notification(ch)
                assert s["update_type"] == "s" and s["seq_no"] == book["seq_no"]
                assert {(r["side"], r["price"]): r["size"] for r in s["inserts"]} == levels
    run(main())


def test_order_book_price_grouping_and_interactive_feed(stack):
    grouped = f"order_book.{BTC}.snapshot@15@50ms@10"
    inter = f"order_book.{BTC}.interactive@15@100ms"

    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(grouped)
            await c.subscribe(inter)
            g = await c.notification(grouped)
            i = await c.notification(inter)
            book = rest_book(stack)
            bids = [r for r in g["inserts"] if r["side"] == "BUY"]
            asks = [r for r in g["inserts"] if r["side"] == "SELL"]
            assert bids and asks and len(bids) <= 15
            assert all(Decimal(r["price"]) % 10 == 0 for r in g["inserts"])
            assert [Decimal(r["price"]) for r in bids] == sorted((Decimal(r["price"]) for r in bids), reverse=True)
            assert [Decimal(r["price"]) for r in asks] == sorted(Decimal(r["price"]) for r in asks)
            top_bucket = Decimal(bids[0]["price"])
            expected = sum(Decimal(s) for p, s in book["bids"] if top_bucket <= Decimal(p) < top_bucket + 10)
            assert Decimal(bids[0]["size"]) == expected
            assert Decimal(bids[0]["price"]) <= Decimal(book["bids"][0][0]) < Decimal(bids[0]["price"]) + 10
            assert i["inserts"] == as_rows(book)
            assert i["best_bid_interactive"] == {"side": "BUY", "price": book["bids"][0][0], "size": book["bids"][0][1]}
            assert Decimal(i["relative_spread"]) > 0
    run(main())


def test_order_book_is_sent_at_most_at_its_rate(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(BOOK)
            await c.notification(BOOK)                       # the subscriber's initial snapshot

            def produce():                                   # ~40 book changes within ~0.4 s
                for _ in range(40):
                    stack.exchange.advance(ticks=1)
                    time.sleep(0.01)
                return rest_book(stack)["seq_no"]

            t0 = time.monotonic()
            producer = asyncio.ensure_future(asyncio.to_thread(produce))
            stamps, last = [], None
            while not producer.done() or last["seq_no"] < producer.result():
                try:
                    last = await c.notification(BOOK, timeout=0.5)
                except asyncio.TimeoutError:
                    continue
                stamps.append(time.monotonic())
            final = producer.result()
            assert last["seq_no"] == final and last["inserts"] == as_rows(rest_book(stack))
            elapsed = stamps[-1] - t0
            assert len(stamps) <= elapsed / 0.1 + 2, (len(stamps), elapsed)
            assert len(stamps) >= 3
            # the server's own emission times: never closer than the channel's 100 ms
            times = stack.ws.call(lambda: [list(f.emitted_at) for f in stack.ws.server.app_of("paradex").feed.subs.feeds.values()
                                           if f.key == (BTC, "snapshot", 100, None)][0])
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert len(times) >= len(stamps) and min(gaps) >= 0.099, gaps
    run(main())


def test_markets_summary_variants(stack):
    markets = set(paradex_markets(stack.exchange))

    async def main():
        async with RpcClient(stack.ws_url) as c:
            for ch in ("markets_summary", "markets_summary.ALL", f"markets_summary.{BTC}"):
                await c.subscribe(ch)
            bare = [await c.notification("markets_summary") for _ in markets]
            all_ = [await c.notification("markets_summary.ALL") for _ in markets]
            assert {d["symbol"] for d in bare} == markets == {d["symbol"] for d in all_}
            one = await c.notification(f"markets_summary.{BTC}")
            assert one["symbol"] == BTC
            stack.exchange.advance(ticks=1)
            want = get(stack, f"/v1/markets/summary?market={BTC}")["results"][0]
            got = await c.notification(f"markets_summary.{BTC}", where=lambda d: d["created_at"] == want["created_at"])
            assert got == want
            frames = await c.barrier()
            assert not [f for f in frames if f["params"]["channel"] == f"markets_summary.{BTC}"]
            ticked = [f["params"]["data"]["symbol"] for f in frames if f["params"]["channel"] == "markets_summary"]
            assert set(ticked) == markets
    run(main())


def test_funding_data_variants(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe("funding_data")
            await c.subscribe(f"funding_data.{ETH}")
            bare = [await c.notification("funding_data") for _ in paradex_markets(stack.exchange)]
            assert {d["market"] for d in bare} == set(paradex_markets(stack.exchange))
            eth = await c.notification(f"funding_data.{ETH}")
            assert eth["market"] == ETH and {"funding_rate", "funding_index", "funding_period_hours",
                                             "created_at", "funding_premium", "funding_rate_8h"} <= set(eth)
            stack.exchange.advance(ticks=1)
            now = stack.exchange.clock.now_ms()
            nxt = await c.notification(f"funding_data.{ETH}", where=lambda d: d["created_at"] == now)
            assert nxt["market"] == ETH
    run(main())


def test_seed_orderbook_alias(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(f"orderbook.{BTC}")
            snap = await c.notification(f"orderbook.{BTC}")
            book = rest_book(stack)
            assert snap["update_type"] == "s" and snap["seq_no"] == book["seq_no"]
            assert snap["inserts"] == as_rows(book)
    run(main())


def test_unsubscribe_stops_book_and_summary(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.subscribe(BOOK)
            await c.notification(BOOK)
            await c.call("unsubscribe", {"channel": BOOK})
            assert stack.ws.subscribers(BOOK) == 0
            stack.exchange.advance(ticks=1)
            assert [f for f in await c.barrier() if f["params"]["channel"] == BOOK] == []
    run(main())


# ------------------------------------------------------------------------------------- private
def test_rest_order_yields_orders_event_equal_to_get_order(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": "valid_mock_token"})
            for ch in (f"orders.{BTC}", "orders.ALL", f"orders.{ETH}"):
                await c.subscribe(ch)
            status, ack = rest(stack.http_url, "POST", "/v1/orders",
                               {"market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.01", "price": "60000",
                                "client_id": "ws-test-1"})
            assert status == 201
            got = get(stack, f"/v1/orders/{ack['id']}")
            assert got["status"] == "OPEN"
            first = await c.notification(f"orders.{BTC}", where=lambda d: d["id"] == ack["id"])
            assert first == ack                                    # NEW, as POST answered
            last = await c.notification(f"orders.{BTC}", where=lambda d: d["id"] == ack["id"] and d["status"] == "OPEN")
            assert last == got
            all_ = [await c.notification("orders.ALL", where=lambda d: d["id"] == ack["id"]) for _ in range(2)]
            assert all_ == [first, last]
            status, _ = rest(stack.http_url, "DELETE", f"/v1/orders/{ack['id']}")
            assert status == 204
            closed = await c.notification(f"orders.{BTC}", where=lambda d: d["id"] == ack["id"] and d["status"] == "CLOSED")
            assert closed == get(stack, f"/v1/orders/{ack['id']}") and closed["cancel_reason"] == "USER_CANCELED"
            frames = await c.barrier()
            assert not [f for f in frames if f["params"]["channel"] == f"orders.{ETH}"]
    run(main())


def test_fill_position_account_and_balance_events(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": "valid_mock_token"})
            for ch in ("fills.ALL", f"fills.{BTC}", "positions", "account", "balance_events"):
                await c.subscribe(ch)
            order = market_order(stack, "BUY", "0.02")
            fill = await c.notification(f"fills.{BTC}", where=lambda d: d["order_id"] == order["id"])
            assert fill == await c.notification("fills.ALL", where=lambda d: d["id"] == fill["id"])
            assert fill in get(stack, f"/v1/fills?market={BTC}")["results"]
            assert fill["account"] == DEMO_ACCOUNT and fill["liquidity"] == "TAKER"
            pos = await c.notification("positions", where=lambda d: d["last_fill_id"] == fill["id"])
            rest_pos = [p for p in get(stack, "/v1/positions")["results"] if p["market"] == BTC][0]
            assert pos == rest_pos
            acct = await c.notification("account")
            rest_acct = get(stack, "/v1/account")
            for k in ("account", "account_value", "free_collateral", "initial_margin_requirement",
                      "maintenance_margin_requirement", "total_collateral", "status"):
                assert acct[k] == rest_acct[k], k
            bal = await c.notification("balance_events", where=lambda d: d["fill_id"] == fill["id"])
            assert bal["type"] == "TRANSACTION_FILL" and bal["market"] == BTC
            assert bal["fees"] == fill["fee"] and bal["created_at"] == fill["created_at"]
    run(main())


def test_funding_payments():
    with Stack(funding_interval=2.0) as s:
        async def main():
            async with RpcClient(s.ws_url) as c:
                await c.call("auth", {"bearer": "valid_mock_token"})
                await c.subscribe(f"funding_payments.{BTC}")
                await c.subscribe("funding_payments.ALL")
                await c.subscribe("funding_payments")
                status, _ = rest(s.http_url, "POST", "/v1/orders",
                                 {"market": BTC, "side": "SELL", "type": "MARKET", "size": "0.05"})
                assert status == 201
                s.exchange.advance(ticks=3)
                fp = await c.notification(f"funding_payments.{BTC}")
                assert fp["market"] == BTC and fp["account"] == DEMO_ACCOUNT and Decimal(fp["payment"]) != 0
                assert await c.notification("funding_payments.ALL", where=lambda d: d["id"] == fp["id"]) == fp
                assert await c.notification("funding_payments", where=lambda d: d["id"] == fp["id"]) == fp
                status, body = rest(s.http_url, "GET", f"/v1/funding/payments?market={BTC}")
                assert fp in body["results"]
        run(main())
