"""KuCoin spot (``/kucoin``): ccxt 4.5.90's ``kucoin`` and ccxt.pro against the mock (the WS endpoint
and token from ``POST /api/v1/bullet-public``), wire shapes, errors, request weights and 429s,
faults, the journal, level2 sequences continuing the REST snapshot's, ``create_mock_server
(ExchangeType.KUCOIN_SPOT)`` and what hb-candles-feed sends. Values are checked against the engine;
the clock is manual and moves only when a test says."""
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

KEY = "kucoin:BTC-USDT"
OPTIONS = {"options": {"fetchMarkets": {"types": ["spot"]}}}


@pytest.fixture(scope="module")
def mock():
    with MockParadex(seed=7, venues="kucoin") as m:
        yield m


def rest_client(m, cls=ccxt.kucoin):
    return point_ccxt(cls(json.loads(json.dumps(OPTIONS))), m.http_url + "/kucoin")


def call(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
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


def from_trades(ex, key, start_ms, width_ms):
    trades = ex.trades_between(key, start_ms, start_ms + width_ms - 1)[::-1]
    prices = [t.price for t in trades]
    return [start_ms, float(prices[0]), float(max(prices)), float(min(prices)), float(prices[-1]),
            float(sum((t.size for t in trades), Decimal(0)))]


def num(d) -> str:
    return "0" if d == 0 else format(Decimal(d).normalize(), "f")


# ---------------------------------------------------------------------------- ccxt REST
def test_ccxt_load_markets_and_time(mock):
    ex = rest_client(mock)
    markets = ex.load_markets()
    assert set(markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    btc = markets["BTC/USDT"]
    assert btc["id"] == "BTC-USDT" and btc["spot"] and btc["active"]
    assert btc["precision"] == {"amount": 1e-08, "price": 0.1}
    assert btc["limits"]["amount"]["min"] == 1e-05 and btc["limits"]["cost"]["min"] == 0.1
    assert btc["taker"] == 0.001 and btc["maker"] == 0.001          # allTickers' fee rates x coefficients
    assert {"BTC", "ETH", "SOL", "USDT"} <= set(ex.currencies)
    assert ex.fetch_time() == mock.exchange.clock.now_ms()


def test_ccxt_ohlcv(mock):
    ex = rest_client(mock)
    e = mock.exchange
    now = e.clock.now_ms()
    since = (now - 40 * 60_000) // 60_000 * 60_000
    rows = ex.fetch_ohlcv("BTC/USDT", "1m", since=since, limit=5)
    assert [r[0] for r in rows] == [since + i * 60_000 for i in range(5)]
    assert rows == [from_trades(e, KEY, r[0], 60_000) for r in rows]        # candles agree with their trades
    latest = ex.fetch_ohlcv("BTC/USDT", "1m", limit=3)
    assert 2 <= len(latest) <= 3 and latest == [from_trades(e, KEY, r[0], 60_000) for r in latest]
    since_h = (now - 5 * 3600_000) // 3600_000 * 3600_000
    hours = ex.fetch_ohlcv("BTC/USDT", "1h", since=since_h, limit=2)
    assert [r[0] for r in hours] == [since_h, since_h + 3600_000]
    for r in hours:          # trades are kept for the last hour: older hours agree with their minutes
        mins = [m for m in e.candles(KEY, cdl.minutes(1), r[0], r[0] + 3600_000 - 1) if m[0] >= r[0]]
        assert r == [r[0], float(mins[0][1 + cdl.O]), float(max(m[1 + cdl.H] for m in mins)),
                     float(min(m[1 + cdl.L] for m in mins)), float(mins[-1][1 + cdl.C]),
                     float(sum(m[1 + cdl.V] for m in mins))]


def test_ccxt_ticker_book_trades(mock):
    ex = rest_client(mock)
    e = mock.exchange
    s = e.stats(KEY)
    t = ex.fetch_ticker("BTC/USDT")
    assert t["last"] == float(s.last_price) == float(e.states[KEY].trades[-1].price)
    assert (t["bid"], t["ask"]) == (float(s.bid), float(s.ask))
    assert (t["high"], t["low"], t["baseVolume"]) == (float(s.high_24h), float(s.low_24h), float(s.volume_24h))
    assert t["timestamp"] == e.clock.now_ms()
    book = e.book_update(KEY)
    for limit, depth in ((20, 20), (None, 100)):          # level2_20; ccxt without a limit: level2_100
        ob = ex.fetch_order_book("BTC/USDT", limit)
        assert ob["nonce"] == book.seq_no
        assert ob["bids"] == [[float(p), float(q)] for p, q in book.bids[:depth]]
        assert ob["asks"] == [[float(p), float(q)] for p, q in book.asks[:depth]]
    trades = ex.fetch_trades("BTC/USDT")
    want = e.states[KEY].trades[-100:]
    assert [(x["price"], x["amount"], x["side"]) for x in trades] == \
        [(float(w.price), float(w.size), w.side.lower()) for w in want]
    # the wire has nanoseconds; ccxt's float division may land 1 ms off
    assert all(abs(x["timestamp"] - w.created_at) <= 1 for x, w in zip(trades, want))


# ---------------------------------------------------------------------------- wire shapes
def test_wire_shapes(mock):
    base = mock.http_url + "/kucoin"
    e = mock.exchange
    now = e.clock.now_ms()
    status, body, headers = call(base + "/api/v1/timestamp")
    assert status == 200 and body["code"] == "200000" and body["data"] == now
    assert headers["gw-ratelimit-limit"] == "2000"
    _, c, _ = call(f"{base}/api/v1/market/candles?symbol=BTC-USDT&type=5min&startAt={(now - 3600_000) // 1000}")
    rows = c["data"]
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)     # newest first
    r = rows[0]
    engine = [x for x in e.candles(KEY, cdl.minutes(5), int(r[0]) * 1000, now) if x[0] == int(r[0]) * 1000][0]
    assert r == [str(engine[0] // 1000), num(engine[1 + cdl.O]), num(engine[1 + cdl.C]), num(engine[1 + cdl.H]),
                 num(engine[1 + cdl.L]), num(engine[1 + cdl.V]), num(engine[1 + cdl.QV])]    # open, close, high, low
    _, st, _ = call(base + "/api/v1/market/stats?symbol=BTC-USDT")
    assert st["data"]["symbol"] == "BTC-USDT" and st["data"]["last"] == num(e.states[KEY].last_price)
    _, l1, _ = call(base + "/api/v1/market/orderbook/level1?symbol=BTC-USDT")
    book = e.book_update(KEY, 1)
    assert l1["data"]["bestBid"] == num(book.bids[0][0]) and l1["data"]["sequence"] == str(book.seq_no)
    _, h, _ = call(base + "/api/v1/market/histories?symbol=ETH-USDT")
    last = e.states["kucoin:ETH-USDT"].trades[-1]
    assert len(h["data"]) == 100 and h["data"][-1] == {"sequence": str(last.seq), "price": num(last.price),
                                                       "size": num(last.size), "side": last.side.lower(),
                                                       "time": last.created_at * 1_000_000}
    _, at, _ = call(base + "/api/v1/market/allTickers")
    assert [x["symbol"] for x in at["data"]["ticker"]] == ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
    _, sy, _ = call(base + "/api/v2/symbols")
    assert sy["data"][0]["priceIncrement"] == "0.1" and sy["data"][0]["enableTrading"] is True
    status, bullet, _ = call(base + "/api/v1/bullet-public", "POST")
    server = bullet["data"]["instanceServers"][0]
    assert status == 200 and server["endpoint"] == mock.ws_url[: -len("/v1")] + "/kucoin"
    assert server["pingInterval"] == 18000 and bullet["data"]["token"]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("path,status,code", [
    ("/api/v1/market/stats?symbol=DOGE-USDT", 400, "400100"),                 # unknown symbol
    ("/api/v1/market/candles?symbol=NOPE-USDT&type=1min", 400, "400100"),
    ("/api/v1/market/orderbook/level2_20?symbol=BTCUSDT", 400, "400100"),
    ("/api/v1/market/histories", 400, "400100"),                               # missing parameter
    ("/api/v1/market/candles?symbol=BTC-USDT", 400, "400100"),
    ("/api/v1/market/candles?symbol=BTC-USDT&type=1m", 400, "400100"),         # bad interval
    ("/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=yesterday", 400, "400100"),   # bad value
    ("/api/v3/market/orderbook/level2?symbol=BTC-USDT", 401, "400001"),        # the full book is private
    ("/api/v1/no/such/path", 404, "404"),                                       # unknown path
])
def test_bad_input(mock, path, status, code):
    got, body, _ = call(mock.http_url + "/kucoin" + path)
    assert got == status and body["code"] == code and body["msg"]


def test_unknown_symbol_through_ccxt(mock):
    ex = rest_client(mock)
    ex.load_markets()
    with pytest.raises(ccxt.BadSymbol):         # "Unsupported trading pair." is ccxt's BadSymbol
        ex.publicGetMarketStats({"symbol": "DOGE-USDT"})
    with pytest.raises(ccxt.BadRequest):
        ex.publicGetMarketCandles({"symbol": "BTC-USDT", "type": "7min"})


# ---------------------------------------------------------------------------- limits, faults, journal
def test_weights_429_faults_journal():
    with MockParadex(seed=3, venues="kucoin", with_ws=False) as m:
        base = m.http_url + "/kucoin"
        _, _, h = call(base + "/api/v1/market/allTickers")              # weight 15
        assert (h["gw-ratelimit-limit"], h["gw-ratelimit-remaining"]) == ("2000", "1985")
        _, _, h = call(base + "/api/v1/market/stats?symbol=BTC-USDT")   # weight 15
        assert h["gw-ratelimit-remaining"] == "1970" and int(h["gw-ratelimit-reset"]) > 0
        m.configure_rate_limits(limits={"kucoin_public": [{"limit": 9, "window_s": 30}]})
        assert [call(base + "/api/v1/timestamp")[0] for _ in range(3)] == [200] * 3      # 3 x weight 3
        status, body, h = call(base + "/api/v1/timestamp")
        assert status == 429 and body == {"code": "429000", "msg": "Too many requests in a short period of time, "
                                                                  "please retry later."}
        assert h["gw-ratelimit-remaining"] == "0"
        with pytest.raises(ccxt.RateLimitExceeded):
            point_ccxt(ccxt.kucoin(), base).fetch_time()
        m.advance(seconds=11)                                            # 3 of 9 back after a third of 30 s
        assert call(base + "/api/v1/timestamp")[0] == 200
        m.configure_rate_limits(enabled=False)
        m.add_faults({"kind": "error", "target": "GET /kucoin/api/v1/market/*", "status": 503, "count": 1})
        status, body, _ = call(base + "/api/v1/market/allTickers")
        assert status == 503 and body["code"] == "503000"
        assert call(base + "/api/v1/market/allTickers")[0] == 200
        seen = [(j["path"], j["status"]) for j in m.journal(path="/kucoin/api/v1/market/allTickers")]
        assert ("/kucoin/api/v1/market/allTickers", 503) in seen and ("/kucoin/api/v1/market/allTickers", 200) in seen


# ---------------------------------------------------------------------------- ccxt.pro
def test_ccxt_pro_watchers(mock):
    async def run():
        ex = rest_client(mock, ccxtpro.kucoin)
        try:
            await ex.load_markets()
            with ticking(mock):
                ohlcv = await asyncio.wait_for(ex.watch_ohlcv("BTC/USDT", "1m"), 15)
                trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 15)
                ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDT"), 15)
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 20)
                nonces = [book["nonce"]]
                for _ in range(5):            # several diffs applied on the snapshot, no resync
                    book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 15)
                    nonces.append(book["nonce"])
            assert nonces == sorted(nonces) and nonces[-1] > nonces[0]
            e = mock.exchange
            for _ in range(20):               # quiet clock: the client's book is the engine's, at its sequence
                want = e.book_update(KEY)
                if book["nonce"] == want.seq_no:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 0.5)
            assert book["nonce"] == want.seq_no
            assert [b[:2] for b in book["bids"]] == [[float(p), float(q)] for p, q in want.bids]
            assert [a[:2] for a in book["asks"]] == [[float(p), float(q)] for p, q in want.asks]
            t0 = ohlcv[-1][0]
            assert t0 % 60_000 == 0 and ohlcv[-1][2] >= max(ohlcv[-1][1], ohlcv[-1][4])
            by_seq = {str(t.seq): t for t in e.states[KEY].trades[-3000:]}
            assert trades and all(float(by_seq[t["id"]].price) == t["price"] for t in trades)
            assert ticker["symbol"] == "BTC/USDT" and ticker["bid"] < ticker["ask"] and ticker["last"] > 0
        finally:
            await ex.close()
    asyncio.run(run())


async def _token(m):
    return call(m.http_url + "/kucoin/api/v1/bullet-public", "POST")[1]["data"]


async def _next_of(ws, pred):
    while True:
        msg = json.loads(await ws.recv())
        if pred(msg):
            return msg


def test_ws_protocol_and_level2_sequences(mock):
    async def run():
        data = await _token(mock)
        url = data["instanceServers"][0]["endpoint"] + f"?token={data['token']}&connectId=c1"
        async with websockets.connect(url) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"id": "c1", "type": "welcome"}
            await ws.send(json.dumps({"id": "7", "type": "ping"}))
            pong = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert pong["id"] == "7" and pong["type"] == "pong"
            await ws.send(json.dumps({"id": "8", "type": "subscribe", "topic": "/market/level2:BTC-USDT,ETH-USDT",
                                      "privateChannel": False, "response": True}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"id": "8", "type": "ack"}
            snap = call(mock.http_url + "/kucoin/api/v1/market/orderbook/level2_100?symbol=BTC-USDT")[1]["data"]
            seq = int(snap["sequence"])
            book = {"bids": {Decimal(p): Decimal(q) for p, q in snap["bids"]},
                    "asks": {Decimal(p): Decimal(q) for p, q in snap["asks"]}}
            diffs = []
            with ticking(mock):
                while len(diffs) < 8:
                    msg = await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "message"), 10)
                    assert msg["subject"] == "trade.l2update"
                    if msg["data"]["symbol"] == "BTC-USDT":
                        diffs.append(msg["data"])
            applied = [d for d in diffs if d["sequenceEnd"] > seq]
            assert applied[0]["sequenceStart"] <= seq + 1            # continues the REST snapshot
            for a, b in zip(applied, applied[1:]):
                assert b["sequenceStart"] == a["sequenceEnd"] + 1    # no gap, no overlap
            for d in applied:
                for side in ("bids", "asks"):
                    for p, q, s in d["changes"][side]:
                        assert d["sequenceStart"] <= int(s) <= d["sequenceEnd"]
                        if Decimal(q) == 0:
                            book[side].pop(Decimal(p), None)
                        else:
                            book[side][Decimal(p)] = Decimal(q)
            at = applied[-1]["sequenceEnd"]
            engine = mock.exchange.book_update(KEY)
            if engine.seq_no == at:                       # the clock stood still after the last diff
                assert sorted(book["bids"].items(), reverse=True) == list(engine.bids)
                assert sorted(book["asks"].items()) == list(engine.asks)
            await ws.send(json.dumps({"id": "9", "type": "subscribe", "topic": "/market/level2:DOGE-USDT",
                                      "response": True}))
            err = await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "error"), 10)
            assert err["id"] == "9" and err["code"] == 404 and "DOGE-USDT" in err["data"]
            await ws.send(json.dumps({"id": "10", "type": "subscribe", "topic": "/market/nope:BTC-USDT"}))
            err = await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "error"), 10)
            assert err["id"] == "10" and err["code"] == 404
        async with websockets.connect(data["instanceServers"][0]["endpoint"] + "?token=forged&connectId=x") as ws:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert msg["type"] == "error" and msg["code"] == 401
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
    asyncio.run(run())


# ---------------------------------------------------------------------------- seed 004's server
def _run_server_once(**config):
    server = create_mock_server(ExchangeType.KUCOIN_SPOT, start_time_ms=1_767_225_600_000, seed=11, **config)
    url = server.start()
    try:
        ex = point_ccxt(ccxt.kucoin(json.loads(json.dumps(OPTIONS))), url)
        ex.load_markets()
        out = [ex.fetch_time(), ex.fetch_ohlcv("BTC/USDT", "1m", since=1_767_225_600_000 - 600_000, limit=5),
               ex.fetch_order_book("SOL/USDT", 20), [t["timestamp"] for t in ex.fetch_trades("ETH/USDT")]]

        async def ws():
            pro = point_ccxt(ccxtpro.kucoin(json.loads(json.dumps(OPTIONS))), url)
            try:
                await pro.load_markets()
                with ticking(server):
                    trades = await asyncio.wait_for(pro.watch_trades("BTC/USDT"), 15)
                return trades[0]["symbol"], pro.options["urls"]["public"].result().split("?")[0]
            finally:
                await pro.close()
        symbol, endpoint = asyncio.run(ws())
        assert endpoint == server.ws_url                  # the bullet named this server's own WS
        out.append(symbol)
        return out
    finally:
        server.stop()


def test_create_mock_server_and_seed_reproducible():
    first = _run_server_once()
    assert first[0] == 1_767_225_600_000 and len(first[1]) == 5 and first[4] == "BTC/USDT"
    assert first[2]["bids"] and first[2]["nonce"] > 0
    assert _run_server_once(venues="kucoin") == first      # the same seed, this venue alone: the same data


# ---------------------------------------------------------------------------- hb-candles-feed
def test_hb_candles_feed_requests(mock):
    """hb-candles-feed's KuCoin spot adapter with its URLs pointed at the mock: REST
    ``GET /api/v1/market/candles?symbol=BTC-USDT&type=1m&startAt=<ms>&limit=500`` and WS at a fixed URL
    without a bullet token, topic ``/market/candles:BTC-USDT_1m``; it reads ``data.candles`` as
    ``[time, open, close, high, low, volume, turnover]`` on WS. Its interval names ("1m" for "1min"),
    its millisecond ``startAt`` and its token-less connection contradict the venue: the venue wins
    (400100, a 401 error frame). With KuCoin's own names the fields it reads are there."""
    now = mock.exchange.clock.now_ms()
    status, body, _ = call(f"{mock.http_url}/kucoin/api/v1/market/candles?symbol=BTC-USDT&type=1m"
                           f"&startAt={now - 600_000}&limit=500")
    assert status == 400 and body["code"] == "400100"

    async def run():
        endpoint = (await _token(mock))["instanceServers"][0]["endpoint"]
        async with websockets.connect(endpoint) as ws:               # no token
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert msg["type"] == "error" and msg["code"] == 401
        data = await _token(mock)
        async with websockets.connect(endpoint + f"?token={data['token']}") as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "welcome"
            await ws.send(json.dumps({"id": now, "type": "subscribe", "topic": "/market/candles:BTC-USDT_1m",
                                      "privateChannel": False, "response": True}))
            err = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert err["type"] == "error" and err["id"] == now
            await ws.send(json.dumps({"id": now + 1, "type": "subscribe", "topic": "/market/candles:BTC-USDT_1min",
                                      "privateChannel": False, "response": True}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"id": now + 1, "type": "ack"}
            with ticking(mock):
                msg = await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "message"), 10)
            assert msg["topic"] == "/market/candles:BTC-USDT_1min" and msg["subject"] == "trade.candles.update"
            t, o, c, h, low, v, turnover = msg["data"]["candles"]
            assert int(t) % 60 == 0 and float(h) >= max(float(o), float(c)) and float(low) <= min(float(o), float(c))
            assert float(v) > 0 and float(turnover) > 0 and msg["data"]["symbol"] == "BTC-USDT"
    asyncio.run(run())


def test_add_trading_pair():
    server = create_mock_server(ExchangeType.KUCOIN_SPOT, venues="kucoin", seed=5)
    server.start()
    try:
        assert server.add_trading_pair("DOGE-USDT", price=0.2) == {"market": "kucoin:DOGE-USDT", "symbol": "DOGE-USDT"}
        ex = point_ccxt(ccxt.kucoin(json.loads(json.dumps(OPTIONS))), server.url)
        ex.load_markets()
        assert ex.markets["DOGE/USDT"]["precision"]["price"] == 0.0001
        assert abs(ex.fetch_ticker("DOGE/USDT")["last"] - 0.2) < 0.01
        assert len(ex.fetch_ohlcv("DOGE/USDT", "1h", limit=24)) >= 20         # a day of history behind it

        async def ws():
            pro = point_ccxt(ccxtpro.kucoin(json.loads(json.dumps(OPTIONS))), server.url)
            try:
                await pro.load_markets()
                with ticking(server):
                    return await asyncio.wait_for(pro.watch_ticker("DOGE/USDT"), 15)
            finally:
                await pro.close()
        assert abs(asyncio.run(ws())["last"] - 0.2) < 0.01
    finally:
        server.stop()


def test_ws_faults_apply():
    """ws_seq_gap moves the level2 sequence on (a client sees the gap); ws_drop loses matches."""
    with MockParadex(seed=9, venues="kucoin") as m:
        async def run():
            data = await _token(m)
            async with websockets.connect(data["instanceServers"][0]["endpoint"] + f"?token={data['token']}") as ws:
                await asyncio.wait_for(ws.recv(), 10)                                  # welcome
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "topic": "/market/level2:BTC-USDT",
                                          "response": True}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "ack"
                diffs = []
                with ticking(m):
                    while len(diffs) < 2:
                        diffs.append((await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "message"), 10))["data"])
                    m.add_faults({"kind": "ws_seq_gap", "target": "/market/level2:BTC-USDT", "count": 1})
                    while len(diffs) < 4:
                        diffs.append((await asyncio.wait_for(_next_of(ws, lambda x: x.get("type") == "message"), 10))["data"])
                gaps = [b["sequenceStart"] - a["sequenceEnd"] - 1 for a, b in zip(diffs, diffs[1:])]
                assert gaps[0] == 0 and 10 in gaps
        asyncio.run(run())
