"""Kraken spot against ccxt 4.5.90 and ccxt.pro, pointed at the mock: every value is checked
against the engine behind it, and each WS v2 book message's CRC32 checksum against a book kept
the way Kraken's guide says a client keeps it. The clock is manual; WS tests move it from a thread."""
import asyncio
import binascii
import json
import threading
from decimal import Decimal

import ccxt
import ccxt.pro as ccxtpro
import pytest
import requests
import websockets

from paradex_mock.engine import candles as cdl
from paradex_mock.testing import ExchangeType, MockParadex, create_mock_server, point_ccxt

START = 1_767_225_600_000          # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def mock():
    with MockParadex(seed=7, start_time_ms=START) as m:
        m.configure_rate_limits(enabled=False)     # the limit has its own test
        yield m


def kr(m, cls=ccxt.kraken):
    return point_ccxt(cls({"enableRateLimit": False}), m.http_url + "/kraken", m.ws_url[:-3] + "/kraken")


def get(m, method, **params):
    return requests.get(f"{m.http_url}/kraken/0/public/{method}", params=params, timeout=10)


def D(x):
    return Decimal(str(x))


def test_load_markets_and_time(mock):
    ex = kr(mock)
    markets = ex.load_markets()
    assert sorted(markets) == ["BTC/USD", "ETH/USD", "SOL/USD"]
    btc = markets["BTC/USD"]
    assert (btc["id"], btc["altname"], btc["wsId"]) == ("XXBTZUSD", "XBTUSD", "XBT/USD")
    assert btc["precision"] == {"amount": 1e-08, "price": 0.1, "cost": None, "base": None, "quote": None} or \
        (btc["precision"]["amount"], btc["precision"]["price"]) == (1e-08, 0.1)
    assert btc["limits"]["amount"]["min"] == 0.00005 and btc["limits"]["cost"]["min"] == 0.5
    assert (btc["taker"], btc["maker"]) == (0.004, 0.0025)
    assert ex.currencies["BTC"]["id"] == "XXBT" and ex.currencies["USD"]["id"] == "ZUSD"
    assert ex.fetch_time() == mock.exchange.clock.now_ms() // 1000 * 1000


def test_ohlcv_agrees_with_trades(mock):
    ex = kr(mock)
    e = mock.exchange
    now = e.clock.now_ms()
    since = now - 30 * 60_000
    rows = ex.fetch_ohlcv("BTC/USD", "1m", since=since, limit=10)
    assert [r[0] for r in rows] == [since + k * 60_000 for k in range(10)]
    for t, o, h, lo, c, v in rows:
        trades = sorted(e.trades_between("kraken:XXBTZUSD", t, t + 59_999), key=lambda x: x.seq)
        assert [D(o), D(h), D(lo), D(c), D(v)] == [trades[0].price, max(x.price for x in trades),
                                                   min(x.price for x in trades), trades[-1].price,
                                                   sum(x.size for x in trades)]
    hours = ex.fetch_ohlcv("ETH/USD", "1h", since=now - 4 * 3_600_000, limit=3)
    assert [r[0] for r in hours] == [now - 4 * 3_600_000 + k * 3_600_000 for k in range(3)]
    for t, o, h, lo, c, v in hours:
        mins = e.candles("kraken:XETHZUSD", cdl.minutes(1), t, t + 3_599_999)
        assert [D(o), D(h), D(lo), D(c), D(v)] == [mins[0][1], max(r[2] for r in mins), min(r[3] for r in mins),
                                                   mins[-1][4], sum(r[5] for r in mins)]
    # the wire: 720 rows at most, ascending, `last` the last closed interval, `since` exclusive
    r = get(mock, "OHLC", pair="XBTUSD").json()["result"]
    assert len(r["XXBTZUSD"]) == 720 and r["last"] == now // 1000 - 60
    assert r["XXBTZUSD"][-1][0] == now // 1000 and r["XXBTZUSD"][-2][0] == r["last"]
    row = r["XXBTZUSD"][-2]
    assert row[1] == format(D(row[1]).quantize(Decimal("0.1")), "f") and len(row[6].split(".")[1]) == 8
    r = get(mock, "OHLC", pair="XXBTZUSD", interval=1, since=now // 1000 - 180).json()["result"]["XXBTZUSD"]
    assert [x[0] for x in r] == [now // 1000 - 120, now // 1000 - 60, now // 1000]


def test_ticker_book_trades_match_engine(mock):
    ex = kr(mock)
    e = mock.exchange
    s = e.stats("kraken:XXBTZUSD")
    tk = ex.fetch_ticker("BTC/USD")
    assert (D(tk["last"]), D(tk["high"]), D(tk["low"])) == (s.last_price, s.high_24h, s.low_24h)
    assert (D(tk["bid"]), D(tk["ask"])) == (s.bid, s.ask) and D(tk["baseVolume"]) == s.volume_24h.quantize(D("1e-8"))
    assert tk["info"]["t"][1] == s.trades_24h
    ob = ex.fetch_order_book("ETH/USD", 25)
    book = e.book_update("kraken:XETHZUSD", 25)
    assert [[D(p), D(q)] for p, q, _ in ob["bids"]] == [list(x) for x in book.bids]
    assert [[D(p), D(q)] for p, q, _ in ob["asks"]] == [list(x) for x in book.asks]
    trades = ex.fetch_trades("SOL/USD", limit=20)
    engine = e.states["kraken:SOLUSD"].trades[-20:]
    assert [int(t["id"]) for t in trades] == [x.seq for x in engine]
    assert [(D(t["price"]), D(t["amount"]), t["side"], t["timestamp"]) for t in trades] == \
        [(x.price, x.size, x.side.lower(), x.created_at) for x in engine]
    r = get(mock, "Trades", pair="SOLUSD", count=2).json()["result"]
    assert r["last"] == str(engine[-1].created_at * 1_000_000) and r["SOLUSD"][-1][6] == engine[-1].seq
    since = get(mock, "Trades", pair="SOLUSD", since=engine[-3].created_at * 1_000_000).json()["result"]["SOLUSD"]
    assert [x[6] for x in since] == [engine[-2].seq, engine[-1].seq]
    spread = get(mock, "Spread", pair="XBTUSD").json()["result"]["XXBTZUSD"]
    assert [D(spread[-1][1]), D(spread[-1][2])] == [s.bid, s.ask]


def test_bad_input_gets_krakens_errors(mock):
    assert get(mock, "Ticker", pair="DOGEUSD").json() == {"error": ["EQuery:Unknown asset pair"]}
    with pytest.raises(ccxt.ExchangeError, match="EQuery:Unknown asset pair"):   # ccxt maps no class to it
        kr(mock).publicGetTicker({"pair": "NOPE"})
    assert get(mock, "OHLC", pair="XBTUSD", interval=2).json() == {"error": ["EGeneral:Invalid arguments"]}
    assert get(mock, "Depth").json() == {"error": ["EGeneral:Invalid arguments"]}
    assert get(mock, "Depth", pair="XBTUSD", count="ten").json() == {"error": ["EGeneral:Invalid arguments"]}
    with pytest.raises(ccxt.BadRequest):
        kr(mock).publicGetDepth({"pair": "XBTUSD", "count": "x"})
    assert get(mock, "Assets", asset="NOPE").json() == {"error": ["EQuery:Unknown asset"]}
    r = get(mock, "Candles")
    assert (r.status_code, r.json()) == (404, {"error": ["EGeneral:Unknown method"]})


def test_rate_limit_and_faults():
    with MockParadex(seed=3) as m:
        statuses = [get(m, "Time").status_code for _ in range(16)]
        assert statuses == [200] * 15 + [429]
        r = get(m, "Time")
        assert r.json() == {"error": ["EGeneral:Too many requests"]}
        with pytest.raises(ccxt.DDoSProtection):
            kr(m).fetch_time()
        m.advance(seconds=2)                  # one call a second comes back
        assert get(m, "Time").status_code == 200
        m.add_faults([{"kind": "error", "target": "/kraken/0/public/Ticker", "status": 503, "count": 1}])
        r = get(m, "Ticker")
        assert (r.status_code, r.json()) == (503, {"error": ["EService:Unavailable"]})
        assert [x["status"] for x in m.journal(limit=2)] == [200, 503]


class Clock:
    def __init__(self, m):
        self.m, self.stop = m, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.m.advance(seconds=1)
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.thread.join()


def test_ccxt_pro_watchers():
    async def run(m):
        ex = kr(m, ccxtpro.kraken)
        try:
            await ex.load_markets()
            with Clock(m):
                prev = None
                for _ in range(6):
                    ob = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 10)
                    assert len(ob["bids"]) == 10 and ob["bids"][0][0] < ob["asks"][0][0]
                    prev = ob["bids"][0]
                trades = await asyncio.wait_for(ex.watch_trades("BTC/USD"), 10)
                t = trades[-1]
                engine = next(x for x in m.exchange.states["kraken:XXBTZUSD"].trades if x.seq == int(t["id"]))
                assert (D(t["price"]), D(t["amount"]), t["side"], t["timestamp"]) == \
                    (engine.price, engine.size, engine.side.lower(), engine.created_at)
                candles = await asyncio.wait_for(ex.watch_ohlcv("ETH/USD", "1m"), 10)
                tk = await asyncio.wait_for(ex.watch_ticker("SOL/USD"), 10)
                assert tk["symbol"] == "SOL/USD" and tk["bid"] < tk["ask"]
            assert prev is not None

            # the minute as Kraken prints it: one with no trade yet (the open candle the ohlc
            # snapshot carries when the subscription lands before the minute's first trade) is
            # flat at the last close with no volume, as REST OHLC has it (fill_gaps)
            def engine_candle(ts):
                rows = m.exchange.candles("kraken:XETHZUSD", cdl.minutes(1), ts, ts, fill_gaps=True)
                return [rows[-1][1 + k] for k in (cdl.O, cdl.H, cdl.L, cdl.C, cdl.V)]
            for _ in range(20):
                if [D(x) for x in candles[-1][1:]] == engine_candle(candles[-1][0]):
                    break
                candles = await asyncio.wait_for(ex.watch_ohlcv("ETH/USD", "1m"), 10)
            assert [D(x) for x in candles[-1][1:]] == engine_candle(candles[-1][0])
            # the book the client kept through the updates is the engine's top ten
            book = m.exchange.book_update("kraken:XXBTZUSD", 10)
            def levels(side):
                return [[D(x[0]), D(x[1])] for x in side]
            for _ in range(20):
                if levels(ob["bids"]) == [list(x) for x in book.bids]:
                    break
                ob = await asyncio.wait_for(ex.watch_order_book("BTC/USD"), 10)
            assert levels(ob["bids"]) == [list(x) for x in book.bids]
            assert levels(ob["asks"]) == [list(x) for x in book.asks]
        finally:
            await ex.close()
    with MockParadex(seed=11) as m:
        asyncio.run(run(m))


def _checksum(bids, asks, pd=1, ld=8):
    """Kraken's guide: top 10 asks low to high, then top 10 bids high to low; price and qty at the
    pair's precision, point removed, leading zeros stripped; CRC32."""
    def part(x, n):
        return format(x.quantize(Decimal(1).scaleb(-n)), "f").replace(".", "").lstrip("0")
    a = sorted(asks.items())[:10]
    b = sorted(bids.items(), reverse=True)[:10]
    return binascii.crc32("".join(part(p, pd) + part(q, ld) for p, q in a + b).encode())


def test_ws_v2_book_checksums_and_protocol():
    async def run(m):
        async with websockets.connect(m.ws_url[:-3] + "/kraken/v2") as ws:
            status = json.loads(await ws.recv())
            assert status["channel"] == "status" and status["data"][0]["api_version"] == "v2"
            await ws.send(json.dumps({"method": "ping", "req_id": 9}))
            pong = json.loads(await ws.recv())
            assert pong["method"] == "pong" and pong["req_id"] == 9
            await ws.send(json.dumps({"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD", "XYZ/USD"],
                                                                         "depth": 25}, "req_id": 1}))
            ack = json.loads(await ws.recv())
            assert ack["success"] and ack["result"] == {"channel": "book", "symbol": "BTC/USD", "depth": 25, "snapshot": True}
            snap = json.loads(await ws.recv(), parse_float=Decimal)
            err = json.loads(await ws.recv())
            assert not err["success"] and err["error"] == "Currency pair not supported XYZ/USD"
            assert snap["type"] == "snapshot"
            bids = {x["price"]: x["qty"] for x in snap["data"][0]["bids"]}
            asks = {x["price"]: x["qty"] for x in snap["data"][0]["asks"]}
            assert _checksum(bids, asks) == snap["data"][0]["checksum"]
            updates = 0
            with Clock(m):
                while updates < 15:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 10), parse_float=Decimal)
                    if msg.get("channel") != "book":
                        continue
                    d = msg["data"][0]
                    for side, levels in ((bids, d["bids"]), (asks, d["asks"])):
                        for x in levels:
                            if x["qty"] == 0:
                                side.pop(x["price"], None)
                            else:
                                side[x["price"]] = x["qty"]
                    for side, rev in ((bids, True), (asks, False)):       # truncate to the depth
                        for p in sorted(side, reverse=rev)[25:]:
                            del side[p]
                    assert _checksum(bids, asks) == d["checksum"], "a checksum the client verifies must verify"
                    updates += 1
            await ws.send(json.dumps({"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD"],
                                                                         "depth": 7}, "req_id": 2}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg.get("req_id") == 2:
                    break
            assert msg["error"] == "Subscription depth not supported" and msg["success"] is False
    with MockParadex(seed=13) as m:
        asyncio.run(run(m))


def test_create_mock_server_at_root_and_same_seed_same_output():
    outs = []
    for _ in range(2):
        server = create_mock_server(ExchangeType.KRAKEN_SPOT, seed=99, start_time_ms=START, rate_limits=False)
        url = server.start()
        try:
            assert server.ws_url.endswith("/kraken/v2")
            ex = point_ccxt(ccxt.kraken({"enableRateLimit": False}), url, server.ws_url[: -len("/v2")])
            ex.load_markets()
            now = server.exchange.clock.now_ms()
            outs.append((ex.fetch_ohlcv("BTC/USD", "1m", since=now - 3_600_000, limit=50),
                         ex.fetch_order_book("SOL/USD", 10)["bids"], ex.fetch_trades("ETH/USD", limit=5)[-1]["id"]))
            assert requests.get(url + "/0/public/Time", timeout=10).json()["result"]["unixtime"] == now // 1000
        finally:
            server.stop()
    assert outs[0] == outs[1] and len(outs[0][0]) == 50


def test_hb_candles_feed_requests(mock):
    """hb-candles-feed 2.4.0's Kraken adapter: REST ``GET /0/public/OHLC?pair=XXBTZUSD&interval=1&since=<s>``
    (Kraken's own), reading rows [time, o, h, l, c, vwap, volume, count]; its WS subscription is the
    v1 protocol's ``{"name": "subscribe", "pair": [...], "subscription": {"name": "ohlc"}}``, which
    the v2 endpoint the mock serves refuses (the real venue wins)."""
    now_s = mock.exchange.clock.now_ms() // 1000
    r = requests.get(mock.http_url + "/kraken/0/public/OHLC",
                     params={"pair": "XXBTZUSD", "interval": "1", "since": now_s - 300}, timeout=10).json()
    rows = [v for k, v in r["result"].items() if k != "last"][0]
    assert len(rows) == 5 and all(len(x) >= 8 for x in rows)
    for t, o, h, lo, c, vwap, vol, n in rows:
        row = mock.exchange.candles("kraken:XXBTZUSD", cdl.minutes(1), t * 1000, t * 1000, fill_gaps=True)[-1]
        assert (D(o), D(c), D(vol), n) == (row[1 + cdl.O], row[1 + cdl.C], row[1 + cdl.V], row[1 + cdl.N])
        assert float(vol) * float(vwap) == pytest.approx(float(row[1 + cdl.QV]), rel=1e-4, abs=1e-6)

    async def ws_side():
        async with websockets.connect(mock.ws_url[:-3] + "/kraken/v2") as ws:
            await ws.recv()                                   # status
            await ws.send(json.dumps({"name": "subscribe", "reqid": 1, "pair": ["XXBTZUSD"],
                                      "subscription": {"name": "ohlc", "interval": 1}}))
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert msg["success"] is False and "error" in msg
    asyncio.run(ws_side())
