"""Binance spot: ccxt 4.5.90 and ccxt.pro pointed at /binance get real-looking data that agrees
with the engine; Binance's parameter rules, error bodies, weights and bans; the WS protocol."""
import asyncio
import json
import threading
from decimal import Decimal

import ccxt
import ccxt.pro
import pytest
import websockets

from paradex_mock.engine import candles as cdl
from paradex_mock.testing import MockParadex, point_ccxt
from paradex_mock.ws.testing import rest

BTC = "binance:BTCUSDT"
OPTIONS = {"options": {"fetchMarkets": {"types": ["spot"]}}}


@pytest.fixture(scope="module")
def mock():
    with MockParadex(seed=11, rate_limits=False) as m:
        yield m


def roots(m):
    return m.http_url + "/binance", m.ws_url[: -len("/v1")] + "/binance"


def client(m, pro=False):
    rest_root, ws_root = roots(m)
    return point_ccxt((ccxt.pro if pro else ccxt).binance(dict(OPTIONS)), rest_root, ws_root)


def get(m, path):
    status, body = rest(m.http_url, "GET", "/binance" + path)
    return status, body


# ------------------------------------------------------------------ ccxt, REST
def test_ccxt_reads_markets_time_candles_tickers_books_and_trades(mock):
    ex = mock.exchange
    b = client(mock)
    markets = b.load_markets()
    assert set(markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    btc = markets["BTC/USDT"]
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5 and btc["limits"]["amount"]["min"] == 0.00001 and btc["spot"]
    assert b.fetch_time() == ex.clock.now_ms()

    now = ex.clock.now_ms()
    one_min = b.fetch_ohlcv("BTC/USDT", "1m", since=now - 30 * 60_000, limit=10)
    assert len(one_min) == 10 and one_min[0][0] >= now - 30 * 60_000 and one_min[0][0] % 60_000 == 0
    for t, o, h, l, c, v in one_min:             # each candle is the trades behind it
        trades = ex.trades_between(BTC, t, t + 59_999)
        assert v == pytest.approx(float(sum(x.size for x in trades)))
        if trades:
            assert (o, c) == (float(trades[-1].price), float(trades[0].price))      # newest first
            assert (h, l) == (float(max(x.price for x in trades)), float(min(x.price for x in trades)))
    hourly = b.fetch_ohlcv("BTC/USDT", "1h", since=now - 6 * 3_600_000, limit=5)
    assert len(hourly) == 5 and all(r[0] % 3_600_000 == 0 for r in hourly)
    minutes = b.fetch_ohlcv("BTC/USDT", "1m", since=hourly[1][0], limit=60)
    assert hourly[1][2] == max(r[2] for r in minutes) and hourly[1][5] == pytest.approx(sum(r[5] for r in minutes))

    ticker = b.fetch_ticker("BTC/USDT")
    stats = ex.stats(BTC)
    assert ticker["last"] == float(stats.last_price) and ticker["high"] == float(stats.high_24h)
    assert ticker["bid"] == float(stats.bid) and ticker["ask"] == float(stats.ask)
    assert set(b.fetch_tickers()) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}

    book = b.fetch_order_book("BTC/USDT", limit=20)
    engine = ex.book_update(BTC, 20)
    assert book["nonce"] == engine.seq_no
    assert book["bids"] == [[float(p), float(q)] for p, q in engine.bids]
    assert book["asks"] == [[float(p), float(q)] for p, q in engine.asks]

    trades = b.fetch_trades("BTC/USDT", limit=20)                  # aggTrades, oldest first
    last = ex.states[BTC].trades[-20:]
    assert [t["id"] for t in trades] == [str(x.seq) for x in last]
    assert [t["price"] for t in trades] == [float(x.price) for x in last]
    assert [t["side"] for t in trades] == [x.side.lower() for x in last]


def test_rest_shapes_and_windows(mock):
    status, k = get(mock, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3")
    assert status == 200 and len(k) == 3 and all(len(r) == 12 for r in k)
    t, o, h, l, c, v, close_time, qv, n, tbv, tbqv, ignore = k[0]
    assert close_time == t + 59_999 and ignore == "0" and isinstance(n, int)
    assert Decimal(tbv) <= Decimal(v) and Decimal(tbqv) <= Decimal(qv) and o == f"{Decimal(o):.8f}"
    status, w = get(mock, "/api/v3/klines?symbol=BTCUSDT&interval=1w&limit=2")
    assert all((r[0] - 4 * 86_400_000) % (7 * 86_400_000) == 0 for r in w)       # weeks open on Monday
    status, s1 = get(mock, "/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=5")
    assert [r[0] for r in s1] == list(range(s1[0][0], s1[0][0] + 5000, 1000))   # one a second, no gaps
    for path in ("/api/v3/ping", "/api/v3/ticker/price?symbol=ETHUSDT", "/api/v3/ticker/bookTicker?symbol=ETHUSDT",
                 "/api/v3/ticker?symbol=ETHUSDT&windowSize=2h", "/api/v3/avgPrice?symbol=ETHUSDT",
                 "/api/v3/historicalTrades?symbol=ETHUSDT&limit=2&fromId=5", "/api/v3/uiKlines?symbol=ETHUSDT&interval=5m&limit=2",
                 '/api/v3/exchangeInfo?symbols=["BTCUSDT","SOLUSDT"]', "/api/v3/ticker/24hr?symbol=SOLUSDT&type=MINI"):
        assert get(mock, path)[0] == 200, path
    first = mock.exchange.states["binance:ETHUSDT"].trades[0].seq        # the oldest trade kept
    assert [t["id"] for t in get(mock, f"/api/v3/historicalTrades?symbol=ETHUSDT&limit=2&fromId={first + 5}")[1]] == \
        [first + 5, first + 6]
    info = get(mock, '/api/v3/exchangeInfo?symbols=["BTCUSDT","SOLUSDT"]')[1]
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "SOLUSDT"]
    filters = {f["filterType"]: f for f in info["symbols"][0]["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000" and filters["NOTIONAL"]["minNotional"] == "5.00000000"


@pytest.mark.parametrize("path,code", [
    ("/api/v3/klines?symbol=NOPE&interval=1m", -1121),
    ("/api/v3/klines?symbol=btcusdt&interval=1m", -1121),
    ("/api/v3/klines?interval=1m", -1102),
    ("/api/v3/klines?symbol=BTCUSDT", -1102),
    ("/api/v3/klines?symbol=BTCUSDT&interval=2m", -1120),
    ("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1e3", -1100),
    ("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001", -1130),
    ("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=x", -1100),
    ("/api/v3/klines?symbol=BTCUSDT&interval=1m&colour=red", -1104),
    ("/api/v3/klines?symbol=BTCUSDT&symbol=ETHUSDT&interval=1m", -1101),
    ("/api/v3/depth?symbol=BTCUSDT&limit=0", -1130),
    ("/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&startTime=1", -1128),
    ("/api/v3/ticker/24hr?symbol=BTCUSDT&symbols=[\"ETHUSDT\"]", -1128),
    ("/api/v3/exchangeInfo?symbols=BTCUSDT", -1100),
    ("/api/v3/ticker?symbol=BTCUSDT&windowSize=8d", -1130),
    ("/api/v3/ticker/24hr?symbol=BTCUSDT&type=HUGE", -1130),
])
def test_bad_parameters_get_binance_errors_and_change_nothing(mock, path, code):
    before = mock.exchange.bus.seq
    status, body = get(mock, path)
    assert status == 400 and body["code"] == code and isinstance(body["msg"], str) and len(body["msg"]) < 300
    assert mock.exchange.bus.seq == before


def test_unknown_paths_and_engine_refusals(mock):
    status, body = rest(mock.http_url, "GET", "/binance/api/v3/nothing")
    assert status == 404 and body is None                     # Binance's front end: an empty 404
    status, body = rest(mock.http_url, "POST", "/binance/api/v3/klines")
    assert status == 405 and body is None
    b = client(mock)
    with pytest.raises(ccxt.BadSymbol):
        b.load_markets()
        b.fetch_ohlcv("DOGE/USDT", "1m")


# ------------------------------------------------------------------ limits and faults
def test_request_weight_429_and_the_ban():
    with MockParadex(seed=3) as m:
        m.configure_rate_limits(limits={"binance_weight": [{"limit": 60, "window_s": 60}]})
        status, headers, _ = _raw_get(m, "/binance/api/v3/depth?symbol=BTCUSDT&limit=1000")     # weight 50
        assert (status, headers["X-MBX-USED-WEIGHT-1M"]) == (200, "50")
        assert _raw_get(m, "/binance/api/v3/ping")[1]["X-MBX-USED-WEIGHT-1M"] == "51"
        answers = [_raw_get(m, "/binance/api/v3/depth?symbol=BTCUSDT&limit=1000") for _ in range(5)]
        assert [a[0] for a in answers] == [429, 429, 429, 429, 418]     # the fifth refusal bans the IP
        status, headers, body = answers[0]
        assert body["code"] == -1003 and "request weight" in body["msg"] and int(headers["Retry-After"]) >= 1
        status, headers, body = _raw_get(m, "/binance/api/v3/ping")       # banned: even a light request
        assert status == 418 and body["code"] == -1003 and "IP banned until" in body["msg"]
        m.advance(seconds=121)                                 # the ban and the window pass
        assert _raw_get(m, "/binance/api/v3/ping")[0] == 200
        b = client(m)
        b.enableRateLimit = False
        m.configure_rate_limits(limits={"binance_weight": [{"limit": 1, "window_s": 60}]})
        with pytest.raises(ccxt.DDoSProtection):      # ccxt's class for Binance's 429
            b.fetch_time()
            b.fetch_time()


def _raw_get(m, path):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(m.http_url + path) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def test_faults_answer_in_binance_shape_and_are_journaled(mock):
    mock.add_faults({"kind": "error", "target": "GET /binance/api/v3/time", "status": 503, "count": 1})
    try:
        status, body = get(mock, "/api/v3/time")
        assert status == 503 and body == {"code": -1008, "msg": "Server is currently overloaded with other requests. "
                                                                 "Please try again in a few minutes."}
        assert get(mock, "/api/v3/time")[0] == 200
        entry = [e for e in mock.journal(path="/binance/api/v3/time")][-2]
        assert entry["status"] == 503 and entry["faults"] == ["error"]
    finally:
        mock.clear_faults()


# ------------------------------------------------------------------ WS
class Ticking:
    """Moves the manual clock a second at a time in a thread while a coroutine waits for the feed."""

    def __init__(self, m, seconds: float = 1):
        self.m, self.seconds, self.stop = m, seconds, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.05):
            self.m.advance(seconds=self.seconds)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def test_ccxt_pro_watchers(mock):
    async def main():
        p = client(mock, pro=True)
        try:
            await p.load_markets()
            with Ticking(mock):
                ohlcv = await asyncio.wait_for(p.watch_ohlcv("BTC/USDT", "1m"), 20)
                trades = await asyncio.wait_for(p.watch_trades("BTC/USDT"), 20)
                books = []
                for _ in range(5):      # several diffs applied to the REST snapshot, no resync
                    ob = await asyncio.wait_for(p.watch_order_book("BTC/USDT"), 20)
                    # ccxt hands back its one live book: keep what it held at each update
                    books.append({"nonce": ob["nonce"], "bids": [list(x) for x in ob["bids"]],
                                  "asks": [list(x) for x in ob["asks"]]})
                ticker = await asyncio.wait_for(p.watch_ticker("ETH/USDT"), 20)
                tickers = await asyncio.wait_for(p.watch_tickers(["BTC/USDT", "SOL/USDT"]), 20)
            return ohlcv, trades, books, ticker, tickers
        finally:
            await p.close()

    ohlcv, trades, books, ticker, tickers = asyncio.run(main())
    ex = mock.exchange
    last = ohlcv[-1]
    # fill_gaps: a kline pushed on a tick can be the open candle of a minute with no trade yet
    # (flat, as Binance streams it and as its REST klines serve it)
    row = ex.candles(BTC, cdl.minutes(1), last[0], last[0], fill_gaps=True)[0]
    assert last[0] == row[0] and last[1] == float(row[1]) and last[5] <= float(row[5])
    assert trades and all(t["symbol"] == "BTC/USDT" and t["price"] > 0 for t in trades)
    seqs = [b["nonce"] for b in books]
    assert seqs == sorted(seqs) and seqs[-1] > seqs[0]
    for b in books:              # never crossed, ladder sorted: every diff applied cleanly
        assert b["bids"][0][0] < b["asks"][0][0]
        assert [x[0] for x in b["bids"]] == sorted((x[0] for x in b["bids"]), reverse=True)
    final = books[-1]
    engine = ex.book_update(BTC)
    if engine.seq_no == final["nonce"]:
        assert final["bids"][:10] == [[float(p), float(q)] for p, q in engine.bids[:10]]
    assert ticker["symbol"] == "ETH/USDT" and ticker["last"] > 0
    assert set(tickers) <= {"BTC/USDT", "SOL/USDT"} and tickers


def test_depth_diffs_continue_the_rest_snapshot_exactly(mock):
    async def main():
        async with websockets.connect(mock.ws_url[:-3] + "/binance/ws") as ws:
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 7}))
            assert json.loads(await ws.recv()) == {"result": None, "id": 7}
            status, snap = get(mock, "/api/v3/depth?symbol=BTCUSDT&limit=1000")
            book = {"b": {Decimal(p): q for p, q in snap["bids"]}, "a": {Decimal(p): q for p, q in snap["asks"]}}
            last_u, applied = snap["lastUpdateId"], 0
            with Ticking(mock):
                while applied < 6:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
                    assert msg["e"] == "depthUpdate" and msg["s"] == "BTCUSDT"
                    if msg["u"] <= snap["lastUpdateId"]:
                        continue
                    assert msg["U"] <= last_u + 1 <= msg["u"] if applied == 0 else msg["U"] == last_u + 1
                    for side in ("b", "a"):
                        for p, q in msg[side]:
                            if Decimal(q) == 0:
                                book[side].pop(Decimal(p), None)
                            else:
                                book[side][Decimal(p)] = q
                    last_u, applied = msg["u"], applied + 1
            return book, last_u

    book, last_u = asyncio.run(main())
    engine = mock.exchange.book_update(BTC)
    if engine.seq_no == last_u:        # the clock stopped right after the last diff: books are equal
        assert sorted(book["b"]) == sorted(p for p, _ in engine.bids)
        assert sorted(book["a"]) == sorted(p for p, _ in engine.asks)
    assert max(book["b"]) < min(book["a"])


def test_ws_protocol_requests_and_errors(mock):
    async def main():
        url = mock.ws_url[:-3] + "/binance"
        async with websockets.connect(url + "/ws/0") as ws:
            async def ask(msg):
                await ws.send(msg if isinstance(msg, str) else json.dumps(msg))
                return json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert await ask({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@kline_1h"], "id": 1}) == \
                {"result": None, "id": 1}
            assert await ask({"method": "LIST_SUBSCRIPTIONS", "id": 2}) == \
                {"result": ["btcusdt@trade", "ethusdt@kline_1h"], "id": 2}
            assert await ask({"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 3}) == {"result": None, "id": 3}
            assert await ask({"method": "GET_PROPERTY", "params": ["combined"], "id": 4}) == {"result": False, "id": 4}
            assert (await ask({"method": "SUBSCRIBE", "params": ["nope@trade"], "id": 5})) == \
                {"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": 5}
            assert (await ask({"method": "SUBSCRIBE", "params": ["btcusdt@kline_2m"], "id": 6}))["error"]["code"] == 2
            assert (await ask({"method": "FLY", "id": 7}))["error"]["code"] == 2
            assert (await ask({"method": "SUBSCRIBE", "params": [], "id": -1}))["error"]["msg"] == \
                "Invalid request: request ID must be an unsigned integer"
            assert (await ask("{not json"))["error"]["code"] == 3
            assert (await ask("[" * 100_000 + "]" * 100_000))["error"]["code"] == 3      # deep nesting
            assert (await ask({"method": "SET_PROPERTY", "params": ["colour", True], "id": 8})) == \
                {"error": {"code": 0, "msg": "Unknown property"}, "id": 8}
            assert (await ask({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 9}))["error"]["code"] == 1
            assert await ask({"method": "LIST_SUBSCRIPTIONS", "id": 10}) == {"result": ["ethusdt@kline_1h"], "id": 10}
        # combined streams: {"stream", "data"} frames, streams named in the URL
        async with websockets.connect(url + "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker") as ws:
            with Ticking(mock):
                got = {}
                while len(got) < 2:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
                    got[msg["stream"]] = msg["data"]
        assert got["btcusdt@aggTrade"]["e"] == "aggTrade" and got["btcusdt@aggTrade"]["a"] > 0
        assert set(got["btcusdt@bookTicker"]) == {"u", "s", "b", "B", "a", "A"}
        status = None
        try:
            async with websockets.connect(url + "/nowhere"):
                pass
        except websockets.exceptions.InvalidStatus as e:
            status = e.response.status_code
        assert status == 404

    asyncio.run(main())


def test_one_seed_gives_the_same_market_twice():
    def run():
        with MockParadex(seed=21, start_time_ms=1767225600000, venues="binance") as m:
            m.advance(seconds=30)
            return [get(m, p)[1] for p in ("/api/v3/klines?symbol=SOLUSDT&interval=1m&limit=50",
                                           "/api/v3/depth?symbol=SOLUSDT&limit=50",
                                           "/api/v3/trades?symbol=SOLUSDT&limit=100")]
    assert run() == run()
