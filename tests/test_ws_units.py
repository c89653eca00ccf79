"""Pure pieces of the WS side: channel names, book grouping, the hub's de-duplication."""
import asyncio
from decimal import Decimal

import pytest

from paradex_mock.venues.paradex.ws.auth import jwt_shaped
from paradex_mock.engine.events import BookUpdate
from paradex_mock.engine.models import Trade
from paradex_mock.venues.paradex.ws.feed import ParadexFeed, book_levels
from paradex_mock.ws.hub import Hub
from paradex_mock.venues.paradex.ws.protocol import ChannelError, parse_channel, parse_tick
from paradex_mock.ws.sources import split_url

MARKETS = ["BTC-USD-PERP", "ETH-USD-PERP"]


def test_parse_channel_forms():
    c = parse_channel("order_book.BTC-USD-PERP.deltas@15@50ms@0_1", MARKETS)
    assert (c.kind, c.market, c.feed, c.rate_ms, c.tick) == ("order_book", "BTC-USD-PERP", "deltas", 50, Decimal("0.1"))
    assert parse_channel("orderbook.ETH-USD-PERP", MARKETS).book_key == ("ETH-USD-PERP", "snapshot", 100, None)
    assert parse_channel("trades.ALL", MARKETS).market is None
    assert parse_channel("markets_summary", MARKETS).market is None
    assert parse_channel("funding_data.ETH-USD-PERP", MARKETS).market == "ETH-USD-PERP"
    assert parse_channel("orders.BTC-USD-PERP", MARKETS).private
    assert parse_channel("positions", MARKETS).event == "position"
    assert not parse_channel("bbo.BTC-USD-PERP", MARKETS).private
    for bad in ("trades.SOL-USD-PERP", "positions.ALL", "orders", "order_book.BTC-USD-PERP.snapshot@15@100ms@"):
        with pytest.raises(ChannelError):
            parse_channel(bad, MARKETS)
    assert parse_tick("10") == 10 and parse_tick("0_0001") == Decimal("0.0001")


def test_book_levels_grouping():
    view = {"bids": [["100.4", "1"], ["100.1", "2"], ["99.9", "3"]], "asks": [["100.6", "1"], ["101", "2"], ["101.2", "4"]]}
    assert book_levels(view, None) == {"BUY": [("100.4", "1"), ("100.1", "2"), ("99.9", "3")],
                                       "SELL": [("100.6", "1"), ("101", "2"), ("101.2", "4")]}
    assert book_levels(view, Decimal(1)) == {"BUY": [("100", "3"), ("99", "3")], "SELL": [("101", "3"), ("102", "4")]}


class FakeConn:
    def __init__(self):
        self.frames = []

    def push(self, text):
        self.frames.append(text)


def _book(seq: int, bid: str) -> BookUpdate:
    return BookUpdate("BTC-USD-PERP", seq, 1, ((Decimal(bid), Decimal(1)),), ((Decimal("2"), Decimal(1)),))


def _trade(tid: str) -> Trade:
    return Trade(tid, "BTC-USD-PERP", "BUY", Decimal(1), Decimal(2), 1)


def test_hub_deduplicates_and_skips_stale_state():
    async def main():
        hub = Hub()
        feed = ParadexFeed(hub)
        hub.load_snapshot({"seq": 10, "epoch": 1, "markets": {"BTC-USD-PERP": {"venue": "paradex", "book": _book(5, "1")}}},
                          continuous=False)
        conn = FakeConn()
        feed.add(conn, parse_channel("trades.ALL", MARKETS), None)
        feed.add(conn, parse_channel("bbo.BTC-USD-PERP", MARKETS), None)
        assert len(conn.frames) == 1                                  # the bbo's initial state
        hub.apply({"seq": 9, "kind": "trade", "market": "BTC-USD-PERP", "data": _trade("old")})
        hub.apply({"seq": 11, "kind": "trade", "market": "BTC-USD-PERP", "data": _trade("t11")})
        hub.apply({"seq": 11, "kind": "trade", "market": "BTC-USD-PERP", "data": _trade("t11")})
        assert [f for f in conn.frames if "t11" in f] and not [f for f in conn.frames if '"old"' in f]
        assert sum('"t11"' in f for f in conn.frames) == 1
        # a resnapshot after a reset (continuous): state events up to it are stale, trades are not
        hub.load_snapshot({"seq": 20, "epoch": 2, "markets": {"BTC-USD-PERP": {"venue": "paradex", "book": _book(5, "1")}}},
                          continuous=True)
        assert hub.last_seq == 11
        n = len(conn.frames)
        hub.apply({"seq": 14, "kind": "book", "market": "BTC-USD-PERP", "data": _book(1, "0.5")})   # stale
        hub.apply({"seq": 15, "kind": "trade", "market": "BTC-USD-PERP", "data": _trade("t15")})    # news
        assert len(conn.frames) == n + 1 and "t15" in conn.frames[-1]
        assert feed.bbos["BTC-USD-PERP"]["seq_no"] == 5 and hub.books["BTC-USD-PERP"].seq_no == 5
        n = len(conn.frames)
        hub.apply({"seq": 21, "kind": "book", "market": "BTC-USD-PERP", "data": _book(6, "1.5")})
        assert len(conn.frames) == n + 1 and feed.bbos["BTC-USD-PERP"]["bid"] == "1.5"
    asyncio.run(main())


def test_jwt_shape_and_upstream_urls():
    assert not jwt_shaped("valid_mock_token") and not jwt_shaped("a.b.c")
    assert jwt_shaped("eyJhbGciOiJFUzM4NCJ9.e30.sig")
    assert split_url("http://0.0.0.0:8080") == ("127.0.0.1", 8080, "")
    assert split_url("http://localhost:9000/v1/") == ("localhost", 9000, "")
    assert split_url("127.0.0.1:8080/mock") == ("127.0.0.1", 8080, "/mock")
    with pytest.raises(ValueError):
        split_url("https://example.com")


def test_subscriptions_index_shared_streams_and_counts():
    from types import SimpleNamespace

    from paradex_mock.ws.market import Sub, Subscriptions

    class Stream:
        def __init__(self):
            self.subs, self.closed = set(), 0

        def close(self):
            self.closed += 1

    made = []

    def make():
        made.append(Stream())
        return made[-1]

    subs = Subscriptions()
    a, b, c, d = (Sub(object(), SimpleNamespace(name=n)) for n in ("trades.X", "trades.X", "book.X", "book.X"))
    subs.add(a, ("trades", "X"))
    subs.add(b, ("trades", "X"))
    s1 = subs.join(c, ("book", "X"), make)
    assert subs.join(d, ("book", "X"), make) is s1 and len(made) == 1 and s1.subs == {c, d}
    assert subs.get(("trades", "X")) == {a, b} and subs.get(("trades", "Y")) is None
    assert (subs.count(), subs.count("book.X"), subs.count("nope")) == (4, 2, 0)
    subs.remove(a)
    subs.remove(a)                                      # a second remove is a no-op
    subs.remove(c)
    assert subs.get(("trades", "X")) == {b} and s1.closed == 0 and c not in subs
    subs.remove(b)
    subs.remove(d)                                      # the last subscriber closes the stream
    assert subs.index == {} and subs.feeds == {} and s1.closed == 1 and subs.count() == 0
    s2 = subs.join(c, ("book", "X"), make)              # a later subscriber gets a new stream
    assert s2 is not s1 and len(made) == 2
    subs.add(a)                                         # no key: counted, not indexed
    assert subs.count() == 2 and subs.index == {}
    subs.close()
    assert s2.closed == 1
