"""Coinbase Advanced Trade (``/coinbase``): ccxt 4.5.90's ``coinbase`` and ccxt.pro against the mock,
the wire shapes and error answers of the REST and WS APIs, rate limits, faults, the journal,
``create_mock_server(ExchangeType.COINBASE_ADVANCED_TRADE)`` and what hb-candles-feed sends.
Every value is checked against the engine; the clock is manual and moves only when a test says."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal

import ccxt
import ccxt.pro as ccxtpro
import pytest
import websockets

from paradex_mock.engine import candles as cdl
from paradex_mock.testing import ExchangeType, MockParadex, create_mock_server, point_ccxt

KEY = "coinbase:BTC-USD"


@pytest.fixture(scope="module")
def mock():
    with MockParadex(seed=7, venues="coinbase", rate_limits=False) as m:
        yield m


def rest_client(m, cls=ccxt.coinbase):
    ex = cls({"options": {"fetchTime": "v3PublicGetBrokerageTime"}})
    return point_ccxt(ex, m.http_url + "/coinbase", m.ws_url[: -len("/v1")] + "/coinbase")


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, json.loads(body) if body else None, dict(e.headers)


@contextlib.contextmanager
def ticking(m, step_s: float = 1.0, pace_s: float = 0.02):
    """Advance the mock's clock from a thread while the body awaits WS messages."""
    stop = threading.Event()

    def run():
        while not stop.is_set():
            m.advance(seconds=step_s)
            stop.wait(pace_s)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join(10)


def engine_candle_from_trades(ex, key, start_ms, width_ms):
    trades = ex.trades_between(key, start_ms, start_ms + width_ms - 1)[::-1]     # oldest first
    prices = [t.price for t in trades]
    return [start_ms, prices[0], max(prices), min(prices), prices[-1], sum((t.size for t in trades), Decimal(0))]


# ---------------------------------------------------------------------------- ccxt REST
def test_ccxt_load_markets_and_time(mock):
    ex = rest_client(mock)
    markets = ex.load_markets()          # ccxt's defaults: currencies from /v2 too
    assert {"BTC/USD", "ETH/USD", "SOL/USD"} <= set(markets)
    btc = markets["BTC/USD"]
    assert btc["id"] == "BTC-USD" and btc["spot"] and btc["active"]
    assert btc["precision"] == {"amount": 1e-08, "price": 0.01}
    assert btc["limits"]["amount"] == {"min": 1e-08, "max": 3400.0}
    assert btc["limits"]["cost"] == {"min": 1.0, "max": 150000000.0}
    assert ex.fetch_time() == mock.exchange.clock.now_ms() // 1000 * 1000
    assert "BTC" in ex.currencies and "USD" in ex.currencies


def test_ccxt_ohlcv_agrees_with_trades(mock):
    ex = rest_client(mock)
    e = mock.exchange
    now = e.clock.now_ms()
    since = (now - 30 * 60_000) // 60_000 * 60_000
    rows = ex.fetch_ohlcv("BTC/USD", "1m", since=since, limit=5)
    assert len(rows) == 5 and rows[0][0] == since
    assert [r[0] for r in rows] == [since + i * 60_000 for i in range(5)]      # ccxt sorts ascending
    for r in rows:
        want = engine_candle_from_trades(e, KEY, r[0], 60_000)
        assert r == [want[0]] + [float(x) for x in want[1:]]
    latest = ex.fetch_ohlcv("BTC/USD", "1m", limit=3)      # start = ccxt's wall clock - 3 min
    assert 2 <= len(latest) <= 3 and latest[-1][0] <= now   # no candle for a minute nothing traded in
    for r in latest:
        want = engine_candle_from_trades(e, KEY, r[0], 60_000)
        assert r == [want[0]] + [float(x) for x in want[1:]]
    since_h = (now - 6 * 3600_000) // 3600_000 * 3600_000
    hours = ex.fetch_ohlcv("BTC/USD", "1h", since=since_h, limit=2)
    assert [r[0] for r in hours] == [since_h, since_h + 3600_000]
    for r in hours:          # trades are kept for the last hour: older hours agree with their minutes
        mins = [m for m in e.candles(KEY, cdl.minutes(1), r[0], r[0] + 3600_000 - 1) if m[0] >= r[0]]
        assert len(mins) == 60
        assert r == [r[0], float(mins[0][1 + cdl.O]), float(max(m[1 + cdl.H] for m in mins)),
                     float(min(m[1 + cdl.L] for m in mins)), float(mins[-1][1 + cdl.C]),
                     float(sum(m[1 + cdl.V] for m in mins))]


def test_ccxt_ticker_book_trades(mock):
    ex = rest_client(mock)
    e = mock.exchange
    last = e.states[KEY].trades[-1]
    book = e.book_update(KEY)
    t = ex.fetch_ticker("BTC/USD")
    assert t["last"] == float(last.price) and t["timestamp"] == last.created_at
    assert t["bid"] == float(book.bids[0][0]) and t["ask"] == float(book.asks[0][0])
    ob = ex.fetch_order_book("BTC/USD", 10)
    assert ob["bids"] == [[float(p), float(q)] for p, q in book.bids[:10]]
    assert ob["asks"] == [[float(p), float(q)] for p, q in book.asks[:10]]
    full = ex.fetch_order_book("ETH/USD")
    eth = e.book_update("coinbase:ETH-USD")
    assert len(full["bids"]) == len(eth.bids) and full["asks"][0] == [float(eth.asks[0][0]), float(eth.asks[0][1])]
    trades = ex.fetch_trades("BTC/USD", limit=20)
    want = e.states[KEY].trades[-20:]
    assert [tr["id"] for tr in trades] == [str(x.seq) for x in want]
    assert [(tr["price"], tr["amount"], tr["side"], tr["timestamp"]) for tr in trades] == \
        [(float(x.price), float(x.size), x.side.lower(), x.created_at) for x in want]


# ---------------------------------------------------------------------------- wire shapes
def test_wire_shapes(mock):
    base = mock.http_url + "/coinbase/api/v3/brokerage"
    e = mock.exchange
    now = e.clock.now_ms()
    status, body, _ = get(base + "/time")
    assert status == 200 and body["epochMillis"] == str(now) and body["epochSeconds"] == str(now // 1000)
    assert body["iso"].endswith("Z")
    status, body, _ = get(base + "/market/products")
    assert status == 200 and body["num_products"] == 3
    p = body["products"][0]
    assert p["product_id"] == "BTC-USD" and p["product_type"] == "SPOT" and p["status"] == "online"
    assert p["price"] == format(e.states[KEY].last_price.normalize(), "f")
    assert p["base_increment"] == "0.00000001" and p["price_increment"] == "0.01" and p["quote_min_size"] == "1"
    _, one, _ = get(base + "/market/products/BTC-USD")
    assert one == p
    _, fut, _ = get(base + "/market/products?product_type=FUTURE")
    assert fut == {"products": [], "num_products": 0}
    _, two, _ = get(base + "/market/products?product_ids=ETH-USD&product_ids=SOL-USD")
    assert [x["product_id"] for x in two["products"]] == ["ETH-USD", "SOL-USD"]
    start = (now - 3600_000) // 1000
    _, c, _ = get(f"{base}/market/products/BTC-USD/candles?granularity=FIVE_MINUTE&start={start}&end={now // 1000}")
    starts = [int(x["start"]) for x in c["candles"]]
    assert starts == sorted(starts, reverse=True) and all(s % 300 == 0 for s in starts)      # newest first
    assert set(c["candles"][0]) == {"start", "low", "high", "open", "close", "volume"}
    assert all(isinstance(v, str) for v in c["candles"][0].values())
    _, c1, _ = get(f"{base}/market/products/BTC-USD/candles?granularity=FIVE_MINUTE&start={start}&end={now // 1000}&limit=2")
    assert c1["candles"] == c["candles"][:2]
    _, tk, _ = get(base + "/market/products/BTC-USD/ticker?limit=3")
    assert [x["trade_id"] for x in tk["trades"]] == [str(t.seq) for t in e.states[KEY].trades[-3:][::-1]]
    assert tk["trades"][0]["time"].endswith("Z") and tk["trades"][0]["side"] in ("BUY", "SELL")
    _, pb, _ = get(base + "/market/product_book?product_id=BTC-USD&limit=2")
    book = e.book_update(KEY, 2)
    assert pb["pricebook"]["bids"] == [{"price": format(p.normalize(), "f"), "size": format(q.normalize(), "f")}
                                       for p, q in book.bids]
    assert Decimal(pb["spread_absolute"]) == book.asks[0][0] - book.bids[0][0]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("path,status,error", [
    ("/market/products/DOGE-USD", 404, "NOT_FOUND"),                                             # unknown product
    ("/market/products/DOGE-USD/candles?granularity=ONE_MINUTE&start=1&end=60", 404, "NOT_FOUND"),
    ("/market/product_book?product_id=NOPE-USD", 404, "NOT_FOUND"),
    ("/market/product_book", 400, "INVALID_ARGUMENT"),                                           # missing parameter
    ("/market/products/BTC-USD/ticker", 400, "INVALID_ARGUMENT"),                                # limit is required
    ("/market/products/BTC-USD/candles?start=1&end=60", 400, "INVALID_ARGUMENT"),                # no granularity
    ("/market/products/BTC-USD/candles?granularity=60&start=1&end=60", 400, "INVALID_ARGUMENT"),  # bad interval
    ("/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=abc&end=60", 400, "INVALID_ARGUMENT"),
    ("/market/products/BTC-USD/candles?granularity=ONE_MINUTE&start=0&end=60000", 400, "INVALID_ARGUMENT"),  # > 350
    ("/market/products/BTC-USD/ticker?limit=0", 400, "INVALID_ARGUMENT"),
    ("/market/products?product_type=OPTION", 400, "INVALID_ARGUMENT"),
    ("/no/such/path", 404, "NOT_FOUND"),                                                         # unknown path
])
def test_bad_input(mock, path, status, error):
    code, body, _ = get(mock.http_url + "/coinbase/api/v3/brokerage" + path)
    assert code == status
    assert body["error"] == error and body["message"] and body["error_details"] == body["message"]


def test_bad_input_through_ccxt(mock):
    ex = rest_client(mock)
    ex.load_markets()
    with pytest.raises(ccxt.ExchangeError, match="INVALID_ARGUMENT"):
        ex.fetch_ohlcv("BTC/USD", "1m", since=0, params={"end": "600000"})     # more than 350 candles
    status, body, _ = get(mock.http_url + "/coinbase/v2/nope")
    assert status == 404 and body == {"errors": [{"id": "not_found", "message": "Not found"}]}


# ---------------------------------------------------------------------------- limits, faults, journal
def test_rate_limit_faults_journal():
    with MockParadex(seed=3, venues="coinbase", with_ws=False) as m:
        url = m.http_url + "/coinbase/api/v3/brokerage/time"
        assert [get(url)[0] for _ in range(10)] == [200] * 10       # 10 requests a second per IP
        status, body, headers = get(url)
        assert status == 429 and body["error"] == "rate_limit_exceeded" and headers["Retry-After"] == "1"
        ex = point_ccxt(ccxt.coinbase({"options": {"fetchTime": "v3PublicGetBrokerageTime"}}), m.http_url + "/coinbase")
        with pytest.raises(ccxt.RateLimitExceeded):
            ex.fetch_time()
        m.advance(seconds=1)
        assert get(url)[0] == 200
        m.add_faults({"kind": "error", "target": "GET /coinbase/api/v3/brokerage/market/*", "status": 503, "count": 1})
        status, body, _ = get(m.http_url + "/coinbase/api/v3/brokerage/market/products")
        assert status == 503 and body["error"] == "UNAVAILABLE"
        assert get(m.http_url + "/coinbase/api/v3/brokerage/market/products")[0] == 200
        paths = [(j["path"], j["status"]) for j in m.journal(path="/coinbase/api/v3/brokerage/market/products")]
        assert ("/coinbase/api/v3/brokerage/market/products", 503) in paths
        assert ("/coinbase/api/v3/brokerage/market/products", 200) in paths


# ---------------------------------------------------------------------------- ccxt.pro
def test_ccxt_pro_watchers(mock):
    async def run():
        ex = rest_client(mock, ccxtpro.coinbase)
        try:
            await ex.load_markets()
            with ticking(mock):
                trades = await asyncio.wait_for(ex.watch_trades("BTC/USD"), 15)
                trades = await asyncio.wait_for(ex.watch_trades("BTC/USD"), 15)     # an update after the snapshot
                ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USD"), 15)
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 15)
                for _ in range(5):               # several updates applied on the first snapshot
                    book = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 15)
            # quiet clock: the book the client built from the updates is the engine's
            e = mock.exchange
            for _ in range(20):
                want = e.book_update(KEY)
                if book["bids"] == [[float(p), float(q)] for p, q in want.bids] and \
                        book["asks"] == [[float(p), float(q)] for p, q in want.asks]:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    book = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 0.5)
            else:
                pytest.fail("the client's level2 book never matched the engine's")
            by_id = {str(t.seq): t for t in e.states[KEY].trades[-2000:]}
            assert trades and all(float(by_id[t["id"]].price) == t["price"] for t in trades)
            assert ticker["symbol"] == "BTC/USD" and ticker["last"] > 0 and ticker["bid"] < ticker["ask"]
        finally:
            await ex.close()
    asyncio.run(run())


def _ws(m):
    return m.ws_url[: -len("/v1")] + "/coinbase"


def test_ws_protocol_sequence_and_candles(mock):
    async def run():
        async with websockets.connect(_ws(mock)) as ws:
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "candles"}))
            await ws.send(json.dumps({"type": "subscribe", "channel": "heartbeats"}))
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["ETH-USD"], "channel": "level2"}))
            msgs = []
            with ticking(mock):
                while len(msgs) < 12:
                    msgs.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            assert [x["sequence_num"] for x in msgs] == list(range(len(msgs)))        # per connection, no gaps
            channels = {x["channel"] for x in msgs}
            assert {"candles", "subscriptions", "heartbeats", "l2_data"} <= channels
            subs = [x for x in msgs if x["channel"] == "subscriptions"][-1]["events"][0]["subscriptions"]
            assert subs == {"candles": ["BTC-USD"], "heartbeats": [], "level2": ["ETH-USD"]}
            candle = [x for x in msgs if x["channel"] == "candles"][-1]["events"][0]["candles"][0]
            assert candle["product_id"] == "BTC-USD" and int(candle["start"]) % 300 == 0
            snap = next(x for x in msgs if x["channel"] == "l2_data")["events"][0]
            assert snap["type"] == "snapshot" and {u["side"] for u in snap["updates"]} == {"bid", "offer"}
            beats = [x["events"][0]["heartbeat_counter"] for x in msgs if x["channel"] == "heartbeats"]
            assert beats == sorted(beats) and len(set(beats)) == len(beats)
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["DOGE-USD"], "channel": "ticker"}))
            err = json.loads(await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "error"), 10))
            assert "DOGE-USD" in err["message"]
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "nope"}))
            err = json.loads(await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "error"), 10))
            assert "nope" in err["message"]
    asyncio.run(run())


async def _next_of(ws, pred):
    while True:
        raw = await ws.recv()
        if pred(json.loads(raw)):
            return raw


# ---------------------------------------------------------------------------- seed 004's server
def _run_server_once(**config):
    # rate limits off: 10 requests a second of a clock that stands still would stop ccxt here
    server = create_mock_server(ExchangeType.COINBASE_ADVANCED_TRADE, start_time_ms=1_767_225_600_000, seed=11,
                                rate_limits=False, **config)
    url = server.start()
    try:
        assert url == server.url and server.ws_url.endswith("/coinbase")
        ex = point_ccxt(ccxt.coinbase({"options": {"fetchTime": "v3PublicGetBrokerageTime"}}), url, server.ws_url)
        ex.load_markets()
        out = [ex.fetch_time(), ex.fetch_ohlcv("BTC/USD", "1m", since=1_767_225_600_000 - 600_000, limit=5),
               ex.fetch_order_book("SOL/USD", 5), [t["id"] for t in ex.fetch_trades("ETH/USD", limit=5)]]
        async def ws():
            pro = point_ccxt(ccxtpro.coinbase({}), url, server.ws_url)
            try:
                await pro.load_markets()
                with ticking(server):
                    return (await asyncio.wait_for(pro.watch_ticker("BTC/USD"), 15))["symbol"]
            finally:
                await pro.close()
        out.append(asyncio.run(ws()))
        return out
    finally:
        server.stop()


def test_create_mock_server_and_seed_reproducible():
    first = _run_server_once()
    assert first[0] == 1_767_225_600_000 and len(first[1]) == 5 and first[4] == "BTC/USD"
    # the same seed again, this venue alone: the same output (a venue draws from its own stream)
    assert _run_server_once(venues="coinbase") == first


# ---------------------------------------------------------------------------- hb-candles-feed
def test_hb_candles_feed_requests(mock):
    """hb-candles-feed's Coinbase adapter, its URLs pointed at the mock: REST
    ``GET <candles url>?granularity=60&start=<s>`` (granularity in seconds, no ``end``) and WS
    ``{"type": "subscribe", "product_ids": [...], "channel": "candles", "granularity": 60}``, reading
    ``events[].candles[].{open,high,low,close,volume}`` and the message's ``timestamp``. The REST
    request contradicts the venue (granularity names; start and end required): the venue wins."""
    now_s = mock.exchange.clock.now_ms() // 1000
    status, body, _ = get(f"{mock.http_url}/coinbase/api/v3/brokerage/market/products/BTC-USD/candles"
                          f"?granularity=60&start={now_s - 3000}")
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"

    async def run():
        async with websockets.connect(_ws(mock)) as ws:
            await ws.send(json.dumps({"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "candles",
                                      "granularity": 60}))
            with ticking(mock):
                msg = json.loads(await asyncio.wait_for(_next_of(ws, lambda x: x.get("channel") == "candles"), 10))
            assert msg["timestamp"].endswith("Z")
            c = msg["events"][0]["candles"][0]
            row = [float(c[k]) for k in ("open", "high", "low", "close", "volume")]
            assert row[1] >= max(row[0], row[3]) and row[2] <= min(row[0], row[3]) and row[4] >= 0
    asyncio.run(run())


def test_add_trading_pair():
    server = create_mock_server(ExchangeType.COINBASE_ADVANCED_TRADE, venues="coinbase", seed=5, rate_limits=False)
    server.start()
    try:
        assert server.add_trading_pair("DOGE-USD", price=0.2) == {"market": "coinbase:DOGE-USD", "symbol": "DOGE-USD"}
        ex = point_ccxt(ccxt.coinbase({"options": {"fetchTime": "v3PublicGetBrokerageTime"}}), server.url)
        ex.load_markets()
        assert ex.markets["DOGE/USD"]["precision"]["price"] == 0.0001
        assert abs(ex.fetch_ticker("DOGE/USD")["last"] - 0.2) < 0.01
        assert len(ex.fetch_ohlcv("DOGE/USD", "1h", limit=24)) >= 20

        async def ws():
            pro = point_ccxt(ccxtpro.coinbase({}), server.url, server.ws_url)
            try:
                await pro.load_markets()
                with ticking(server):
                    return await asyncio.wait_for(pro.watch_ticker("DOGE/USD"), 15)
            finally:
                await pro.close()
        assert abs(asyncio.run(ws())["last"] - 0.2) < 0.01
    finally:
        server.stop()


def test_ws_drop_fault_shows_as_a_sequence_gap():
    with MockParadex(seed=9, venues="coinbase") as m:
        async def run():
            async with websockets.connect(_ws(m)) as ws:
                await ws.send(json.dumps({"type": "subscribe", "channel": "heartbeats"}))
                m.add_faults({"kind": "ws_drop", "target": "heartbeats", "count": 1})
                msgs = []
                with ticking(m):
                    while len(msgs) < 5:
                        msgs.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
                nums = [x["sequence_num"] for x in msgs]
                assert nums == sorted(nums) and len(nums) == len(set(nums))
                assert any(b - a == 2 for a, b in zip(nums, nums[1:]))        # the dropped one is missing
        asyncio.run(run())
