"""Bybit v5 (root /bybit, categories spot and linear): ccxt 4.5.90 and ccxt.pro, unpatched but for
their URLs, read REST and WS market data that agree with the engine; Bybit's error envelopes,
IP limit, WS protocol and book sequence; hb-candles-feed's requests; seed 004's server."""
import asyncio
import json
import threading
from decimal import Decimal

import pytest
import websockets

from paradex_mock.engine import candles as cdl
from paradex_mock.testing import ExchangeType, MockParadex, create_mock_server, point_ccxt
from paradex_mock.ws.rest import http_call
from paradex_mock.ws.testing import async_wait_until

ccxt = pytest.importorskip("ccxt")
ccxt_pro = pytest.importorskip("ccxt.pro")

START = 1767225600000          # 2026-01-01T00:00:00Z: funding settles at 00, 08, 16 UTC
OPTS = {"options": {"fetchMarkets": {"types": ["spot", "linear"]}}, "timeout": 10_000}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
KEYS = {SPOT: "bybit:spot:BTCUSDT", PERP: "bybit:linear:BTCUSDT", "ETH/USDT": "bybit:spot:ETHUSDT",
        "SOL/USDT:USDT": "bybit:linear:SOLUSDT"}


def mock(**kw):
    return MockParadex(seed=7, venues="bybit", start_time_ms=START, **dict({"backfill_hours": 10}, **kw))


@pytest.fixture(scope="module")
def m():
    with mock(rate_limits=False) as mk:
        mk.advance(seconds=90)
        yield mk


def rest_client(m, cls=None):
    return point_ccxt((cls or ccxt.bybit)(dict(OPTS)), m.http_url + "/bybit", m.ws_url[:-3] + "/bybit")


def get(m, path):
    return http_call(m.http_url, "GET", path)


def f(x):
    return float(Decimal(x))


# ---------------------------------------------------------------------------------------- REST
def test_load_markets_and_time(m):
    ex = rest_client(m)
    markets = ex.load_markets()
    assert {SPOT, "ETH/USDT", "SOL/USDT", PERP, "ETH/USDT:USDT", "SOL/USDT:USDT"} <= set(markets)
    spot, perp = markets[SPOT], markets[PERP]
    assert spot["spot"] and spot["id"] == "BTCUSDT" and spot["precision"] == {"amount": 1e-06, "price": 0.01}
    assert spot["limits"]["amount"]["min"] == 0.000048 and spot["limits"]["cost"]["min"] == 1
    assert perp["swap"] and perp["linear"] and perp["settle"] == "USDT" and perp["contractSize"] == 1
    assert perp["precision"] == {"amount": 0.001, "price": 0.1} and perp["limits"]["leverage"]["max"] == 100
    assert perp["limits"]["cost"]["min"] == 5
    assert ex.fetch_time() == m.exchange.clock.now_ms()


def test_instruments_cursor_pages(m):
    status, first = get(m, "/bybit/v5/market/instruments-info?category=linear&limit=2")
    assert status == 200 and first["retCode"] == 0 and first["retMsg"] == "OK"
    page1 = first["result"]
    assert [r["symbol"] for r in page1["list"]] == ["BTCUSDT", "ETHUSDT"] and page1["nextPageCursor"]
    _, second = get(m, "/bybit/v5/market/instruments-info?category=linear&limit=2&cursor=" + page1["nextPageCursor"])
    assert [r["symbol"] for r in second["result"]["list"]] == ["SOLUSDT"] and second["result"]["nextPageCursor"] == ""
    _, pre = get(m, "/bybit/v5/market/instruments-info?category=linear&status=PreLaunch")
    assert pre["result"]["list"] == []


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_fetch_ohlcv_agrees_with_trades(m, symbol):
    ex = rest_client(m)
    e, k = m.exchange, KEYS[symbol]
    rows = ex.fetch_ohlcv(symbol, "1m", limit=5)
    now = e.clock.now_ms()
    assert len(rows) == 5 and rows[-1][0] == now - now % 60_000
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)      # ccxt sorts Bybit's newest-first list
    for t0, o, h, l, c, v in rows[:-1]:
        trades = e.trades_between(k, t0, t0 + 59_999)[::-1]         # oldest first
        if trades:
            assert o == float(trades[0].price) and c == float(trades[-1].price)
            assert h == float(max(t.price for t in trades)) and l == float(min(t.price for t in trades))
            assert v == pytest.approx(float(sum(t.size for t in trades)))
    # 1h with since and limit: the hours from `since` on, as the engine's own candles
    since = now - now % 3_600_000 - 5 * 3_600_000
    hours = ex.fetch_ohlcv(symbol, "1h", since=since, limit=4)
    engine = e.candles(k, cdl.STANDARD["1h"], since, since + 4 * 3_600_000 - 1)
    assert [r[0] for r in hours] == [since + i * 3_600_000 for i in range(4)]
    assert [r[1:6] for r in hours] == [[float(x) for x in r[1:6]] for r in engine]


def test_kline_wire_newest_first_and_mark_index(m):
    _, body = get(m, "/bybit/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&limit=3")
    rows = body["result"]["list"]
    assert body["result"]["symbol"] == "BTCUSDT" and len(rows) == 3
    assert int(rows[0][0]) > int(rows[1][0]) > int(rows[2][0]) and all(isinstance(x, str) for x in rows[0])
    _, mark = get(m, "/bybit/v5/market/mark-price-kline?category=linear&symbol=BTCUSDT&interval=1&limit=2")
    _, index = get(m, "/bybit/v5/market/index-price-kline?category=linear&symbol=BTCUSDT&interval=1&limit=2")
    e = m.exchange
    now = e.clock.now_ms()
    want = e.candles(KEYS[PERP], cdl.STANDARD["1m"], now - 60_000, now, price_kind="mark")[-1]
    assert len(mark["result"]["list"][0]) == 5 and f(mark["result"]["list"][0][4]) == float(want[4])
    assert len(index["result"]["list"]) == 2


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_ticker_book_trades_match_engine(m, symbol):
    ex = rest_client(m)
    e, k = m.exchange, KEYS[symbol]
    t = ex.fetch_ticker(symbol)
    s = e.stats(k)
    assert t["last"] == float(s.last_price) and t["bid"] == float(s.bid) and t["ask"] == float(s.ask)
    assert t["high"] == float(s.high_24h) and t["low"] == float(s.low_24h) and t["open"] == float(s.open_24h)
    assert t["baseVolume"] == pytest.approx(float(s.volume_24h))
    if symbol == PERP:
        assert t["markPrice"] == float(s.mark_price.quantize(Decimal("0.01")))
        assert t["indexPrice"] == float(s.index_price.quantize(Decimal("0.01")))
        fr = ex.fetch_funding_rate(symbol)
        assert fr["fundingRate"] == float(s.funding_rate.quantize(Decimal("1e-8")))
        oi = ex.fetch_open_interest(symbol)
        assert oi["openInterestAmount"] == float(s.open_interest)
    ob = ex.fetch_order_book(symbol, 20)
    book = e.book_update(k, 20)
    assert ob["bids"] == [[float(p), float(q)] for p, q in book.bids]
    assert ob["asks"] == [[float(p), float(q)] for p, q in book.asks]
    trades = ex.fetch_trades(symbol, limit=20)
    last = e.states[k].trades[-20:]
    # ccxt sorts by time; trades printed in one millisecond keep Bybit's newest-first order
    assert sorted((x["timestamp"], x["price"], x["amount"], x["side"]) for x in trades) == \
        sorted((t.created_at, float(t.price), float(t.size), t.side.lower()) for t in last)


def test_funding_history(m):
    ex = rest_client(m)
    rows = ex.fetch_funding_rate_history(PERP)
    assert [r["timestamp"] for r in rows] == [START - 8 * 3_600_000, START]   # the 8h settlements in 10h of history
    _, body = get(m, "/bybit/v5/market/funding/history?category=linear&symbol=BTCUSDT")
    assert body["result"]["list"][0] == {"symbol": "BTCUSDT", "fundingRate": "0.0001", "fundingRateTimestamp": str(START)}


@pytest.mark.parametrize("path, msg", [
    ("/bybit/v5/market/kline?category=spot&symbol=NOPEUSDT&interval=1", "Not supported symbols"),
    ("/bybit/v5/market/tickers?category=linear&symbol=BTCUSD", "Not supported symbols"),
    ("/bybit/v5/market/kline?category=spot&interval=1", "params error: symbol invalid"),
    ("/bybit/v5/market/kline?category=spot&symbol=BTCUSDT&interval=2", "Invalid period!"),
    ("/bybit/v5/market/kline?category=spot&symbol=BTCUSDT", "Invalid period!"),
    ("/bybit/v5/market/orderbook?category=futures&symbol=BTCUSDT", "Illegal category"),
    ("/bybit/v5/market/orderbook?symbol=BTCUSDT", "Illegal category"),
    ("/bybit/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=201", "params error: limit invalid"),
    ("/bybit/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&start=yesterday", "params error: start invalid"),
    ("/bybit/v5/market/funding/history?category=spot&symbol=BTCUSDT", "Illegal category"),
])
def test_bad_input_gets_retcode_10001(m, path, msg):
    status, body = get(m, path)
    assert status == 200 and body["retCode"] == 10001 and body["retMsg"] == msg
    assert body["result"] == {} and body["retExtInfo"] == {} and isinstance(body["time"], int)


def test_bad_input_through_ccxt(m):
    ex = rest_client(m)
    ex.load_markets()
    with pytest.raises(ccxt.BadSymbol):
        ex.public_get_v5_market_tickers({"category": "spot", "symbol": "NOPEUSDT"})
    with pytest.raises(ccxt.BadRequest):
        ex.public_get_v5_market_kline({"category": "spot", "symbol": "BTCUSDT", "interval": "7"})


def test_unknown_path(m):
    status, body = get(m, "/bybit/v5/market/nothing")
    assert status == 404 and body["retCode"] == 10017


def test_ip_limit_403_then_recovers():
    with mock() as mk:
        mk.configure_rate_limits(limits={"bybit_ip": [{"limit": 3, "window_s": 5}]})
        codes = [http_call(mk.http_url, "GET", "/bybit/v5/market/time")[0] for _ in range(4)]
        assert codes == [200, 200, 200, 403]
        ex = rest_client(mk)
        with pytest.raises(ccxt.RateLimitExceeded):
            ex.fetch_time()
        mk.advance(seconds=5)
        assert http_call(mk.http_url, "GET", "/bybit/v5/market/time")[0] == 200
        assert any(j["path"] == "/bybit/v5/market/time" for j in mk.journal())


def test_injected_fault_in_bybit_shape():
    with mock(rate_limits=False) as mk:
        mk.add_faults([{"kind": "error", "target": "/bybit/v5/market/tickers", "status": 503, "count": 1}])
        status, body = get(mk, "/bybit/v5/market/tickers?category=spot")
        assert status == 503 and body["retCode"] == 10016
        assert get(mk, "/bybit/v5/market/tickers?category=spot")[0] == 200


# ---------------------------------------------------------------------------------------- WS
class Pump:
    """Advances the mock's clock from a thread while ccxt.pro watchers are awaited."""

    def __init__(self, m, step=1.0):
        self.m, self.step, self.stop_ = m, step, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_.wait(0.02):
            self.m.advance(seconds=self.step)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_.set()
        self.thread.join(5)


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_ccxt_pro_watchers(m, symbol):
    k = KEYS[symbol]

    async def main():
        ex = rest_client(m, ccxt_pro.bybit)
        try:
            with Pump(m):
                candles = await asyncio.wait_for(ex.watch_ohlcv(symbol, "1m"), 10)
                t0, o, h, l, c, v = candles[-1]
                assert t0 % 60_000 == 0 and l <= o <= h and l <= c <= h
                trades = await asyncio.wait_for(ex.watch_trades(symbol), 10)
                seq = {t.created_at: t for t in m.exchange.states[k].trades[-200:]}
                assert trades[-1]["timestamp"] in seq and trades[-1]["price"] == float(seq[trades[-1]["timestamp"]].price)
                for _ in range(6):         # a snapshot, then deltas applied on it
                    await asyncio.wait_for(ex.watch_order_book(symbol), 10)
                ticker = await asyncio.wait_for(ex.watch_ticker(symbol), 10)
                ticker = await asyncio.wait_for(ex.watch_ticker(symbol), 10)
                assert ticker["symbol"] == symbol and ticker["last"] > 0 and ticker["high"] >= ticker["low"]
            # the clock stopped: the book ccxt built from the deltas is the engine's top 50
            book = m.exchange.book_update(k, 50)
            want = ([[float(p), float(q)] for p, q in book.bids], [[float(p), float(q)] for p, q in book.asks])
            await async_wait_until(lambda: (ex.orderbooks[symbol]["bids"][:], ex.orderbooks[symbol]["asks"][:]) == want,
                                   timeout=5, what="ccxt's book to equal the engine's")
            s = m.exchange.stats(k)
            await async_wait_until(lambda: ex.tickers[symbol]["last"] == float(s.last_price), timeout=5)
        finally:
            await ex.close()
    asyncio.run(main())


def test_ws_protocol_and_book_sequence(m):
    url = m.ws_url[:-3] + "/bybit/v5/public/linear"

    async def read(ws):
        return json.loads(await asyncio.wait_for(ws.recv(), 5))

    async def main():
        loop = asyncio.get_running_loop()
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"op": "ping", "req_id": "p1"}))
            pong = await read(ws)
            assert pong["op"] == "ping" and pong["ret_msg"] == "pong" and pong["success"] and pong["req_id"] == "p1"
            await ws.send(json.dumps({"op": "subscribe", "req_id": "s1", "args": ["orderbook.40.BTCUSDT"]}))
            bad = await read(ws)
            assert bad == {"success": False, "ret_msg": "error:handler not found,topic:orderbook.40.BTCUSDT",
                           "conn_id": bad["conn_id"], "req_id": "s1", "op": "subscribe"}
            await ws.send(json.dumps({"op": "subscribe", "req_id": "s2", "args": ["tickers.NOPEUSDT"]}))
            assert (await read(ws))["ret_msg"] == "Invalid symbol :[tickers.NOPEUSDT]"
            await ws.send(json.dumps({"op": "subscribe", "req_id": "s3", "args": ["orderbook.50.BTCUSDT"]}))
            ack = await read(ws)
            assert ack["success"] and ack["op"] == "subscribe" and ack["req_id"] == "s3"
            snap = await read(ws)
            assert snap["type"] == "snapshot" and snap["topic"] == "orderbook.50.BTCUSDT"
            _, rest = get(m, "/bybit/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50")
            assert rest["result"]["u"] == snap["data"]["u"] and rest["result"]["b"] == snap["data"]["b"]
            book = {"b": dict(snap["data"]["b"]), "a": dict(snap["data"]["a"])}
            last_u = snap["data"]["u"]
            deltas = 0
            for _ in range(5):
                await loop.run_in_executor(None, lambda: m.advance(seconds=1))
                want = m.exchange.book_update("bybit:linear:BTCUSDT", 1).seq_no
                while last_u < want:
                    msg = await read(ws)
                    assert msg["type"] == "delta" and msg["data"]["u"] > last_u and msg["data"]["seq"] == msg["data"]["u"]
                    for side in ("b", "a"):
                        for p, q in msg["data"][side]:
                            if Decimal(q) == 0:
                                book[side].pop(p)          # a removal names a level the client holds
                            else:
                                book[side][p] = q
                    last_u = msg["data"]["u"]
                    deltas += 1
            assert deltas >= 5
            _, rest = get(m, "/bybit/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50")
            assert rest["result"]["u"] == last_u
            bids = sorted(book["b"].items(), key=lambda x: -Decimal(x[0]))
            asks = sorted(book["a"].items(), key=lambda x: Decimal(x[0]))
            assert [list(x) for x in bids] == rest["result"]["b"] and [list(x) for x in asks] == rest["result"]["a"]
            await ws.send("not json")
            assert (await read(ws))["success"] is False
    asyncio.run(main())


def test_hb_candles_feed_requests(m):
    """hb-candles-feed's Bybit adapter: REST kline with start and limit (and limit=100 for its
    initial fill), WS /v5/public/spot with a subscribe without req_id."""
    e, k = m.exchange, KEYS[SPOT]
    now = e.clock.now_ms()
    start = now - now % 60_000 - 10 * 60_000
    _, body = get(m, f"/bybit/v5/market/kline?symbol=BTCUSDT&interval=1&limit=5&category=spot&start={start}")
    rows = body["result"]["list"][::-1]
    engine = e.candles(k, cdl.STANDARD["1m"], start, start + 4 * 60_000)
    assert [int(r[0]) for r in rows] == [start + i * 60_000 for i in range(5)]
    assert [[f(x) for x in r[1:7]] for r in rows] == [[float(x) for x in r[1:7]] for r in engine]
    _, fill = get(m, "/bybit/v5/market/kline?symbol=BTCUSDT&interval=1&limit=100&category=spot")
    assert len(fill["result"]["list"]) == 100

    async def main():
        loop = asyncio.get_running_loop()
        async with websockets.connect(m.ws_url[:-3] + "/bybit/v5/public/spot") as ws:
            await ws.send(json.dumps({"op": "subscribe", "args": ["kline.1.BTCUSDT"]}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert ack["success"] and ack["ret_msg"] == "subscribe" and "req_id" not in ack
            await loop.run_in_executor(None, lambda: m.advance(seconds=1))
            fields = ("open", "high", "low", "close", "volume", "turnover")
            while True:       # a candle that closed in this second comes first, confirmed
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                c = msg["data"][0]
                assert msg["topic"] == "kline.1.BTCUSDT" and c["interval"] == "1" and c["end"] == c["start"] + 59_999
                if not c["confirm"]:
                    break
                row = e.candles(k, cdl.STANDARD["1m"], c["start"], c["start"])[0]
                assert [f(c[x]) for x in fields] == [float(row[1 + i]) for i in (cdl.O, cdl.H, cdl.L, cdl.C, cdl.V, cdl.QV)]
            row = e.open_candles(k)["1m"]
            assert c["start"] == row[0] and [f(c[x]) for x in fields] == \
                [float(row[1 + i]) for i in (cdl.O, cdl.H, cdl.L, cdl.C, cdl.V, cdl.QV)]
    asyncio.run(main())


# ---------------------------------------------------------------------------------------- seed 004, replay
@pytest.mark.parametrize("kind, symbol", [(ExchangeType.BYBIT_SPOT, SPOT), (ExchangeType.BYBIT_PERPETUAL, PERP)])
def test_create_mock_server(kind, symbol):
    server = create_mock_server(exchange_type=kind, venues="bybit", backfill_hours=2, start_time_ms=START,
                                clock="manual", rate_limits=False)
    url = server.start()
    try:
        assert server.ws_url.endswith("/bybit/v5/public/spot")
        ex = point_ccxt(ccxt.bybit(dict(OPTS)), url, server.ws_url[: -len("/v5/public/spot")])
        assert ex.fetch_time() == server.exchange.clock.now_ms()
        assert ex.fetch_ticker(symbol)["last"] == float(server.exchange.stats(KEYS[symbol]).last_price)
        assert len(ex.fetch_ohlcv(symbol, "1m", limit=3)) == 3

        async def watch():
            pro = point_ccxt(ccxt_pro.bybit(dict(OPTS)), url, server.ws_url[: -len("/v5/public/spot")])
            try:
                with Pump(server):
                    return await asyncio.wait_for(pro.watch_trades(symbol), 10)
            finally:
                await pro.close()
        assert asyncio.run(watch())[-1]["symbol"] == symbol
    finally:
        server.stop()


def test_same_seed_same_output():
    def run():
        with mock(rate_limits=False) as mk:
            mk.advance(seconds=30)
            return [get(mk, p)[1]["result"] for p in (
                "/bybit/v5/market/kline?category=spot&symbol=ETHUSDT&interval=1&limit=50",
                "/bybit/v5/market/orderbook?category=linear&symbol=SOLUSDT&limit=50",
                "/bybit/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=100",
                "/bybit/v5/market/tickers?category=linear")]
    assert run() == run()


def test_ws_faults_apply_to_bybit_topics():
    """WS fault rules match Bybit topic names: a ws_seq_gap moves the orderbook's u on by 10."""
    with mock(rate_limits=False, backfill_hours=1) as mk:
        async def main():
            loop = asyncio.get_running_loop()
            async with websockets.connect(mk.ws_url[:-3] + "/bybit/v5/public/spot") as ws:
                await ws.send(json.dumps({"op": "subscribe", "args": ["orderbook.50.ETHUSDT"]}))
                json.loads(await asyncio.wait_for(ws.recv(), 5))
                snap = json.loads(await asyncio.wait_for(ws.recv(), 5))
                await loop.run_in_executor(None, lambda: mk.add_faults(
                    [{"kind": "ws_seq_gap", "target": "orderbook.50.ETHUSDT", "count": 1}]))
                await loop.run_in_executor(None, lambda: mk.advance(seconds=1))
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                engine_u = mk.exchange.book_update("bybit:spot:ETHUSDT", 1).seq_no
                assert msg["type"] == "delta" and msg["data"]["u"] == engine_u + 10 > snap["data"]["u"]
        asyncio.run(main())


def test_separate_ws_process_mode():
    """``ws_server.py``'s mode (the WS side fed by the HTTP side's /_mock/stream, with no engine of
    its own): topics render from the fixtures' rules, and candles roll over a minute."""
    from paradex_mock.config import Config
    from paradex_mock.ws.server import start_remote
    with mock(rate_limits=False, backfill_hours=1, with_ws=False) as mk:
        handle = start_remote(Config(venues="bybit", host="127.0.0.1", ws_port=0), upstream=mk.http_url)
        try:
            async def main():
                loop = asyncio.get_running_loop()
                async with websockets.connect(f"ws://127.0.0.1:{handle.port}/bybit/v5/public/linear") as ws:
                    await ws.send(json.dumps({"op": "subscribe", "args": ["kline.1.BTCUSDT", "orderbook.50.BTCUSDT"]}))
                    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["success"]
                    snap = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    _, rest = get(mk, "/bybit/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50")
                    assert snap["data"]["b"] == rest["result"]["b"] and snap["data"]["u"] == rest["result"]["u"]
                    await loop.run_in_executor(None, lambda: mk.advance(seconds=61))
                    confirmed = None
                    while confirmed is None:
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                        if msg["topic"].startswith("kline") and msg["data"][0]["confirm"]:
                            confirmed = msg["data"][0]
                    row = mk.exchange.candles("bybit:linear:BTCUSDT", cdl.STANDARD["1m"], confirmed["start"],
                                              confirmed["start"])[0]
                    assert f(confirmed["close"]) == float(row[4]) and f(confirmed["volume"]) == float(row[5])
            asyncio.run(main())
        finally:
            handle.stop()
