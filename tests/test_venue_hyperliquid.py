"""Hyperliquid perpetuals against ccxt 4.5.90 and ccxt.pro, pointed at the mock: every value is
checked against the engine behind it. The clock is manual; WS tests move it from a thread."""
import asyncio
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

SWAP = {"options": {"fetchMarkets": {"types": ["swap"]}}, "enableRateLimit": False}
START = 1_767_225_600_000          # 2026-01-01T00:00:00Z: a fixed start, so runs are comparable


@pytest.fixture(scope="module")
def mock():
    with MockParadex(seed=7, start_time_ms=START) as m:
        yield m


def hl(m, cls=ccxt.hyperliquid):
    return point_ccxt(cls(dict(SWAP)), m.http_url + "/hyperliquid", m.ws_url[:-3] + "/hyperliquid")


def info(m, body, raw=None, headers=None):
    return requests.post(m.http_url + "/hyperliquid/info", data=raw if raw is not None else json.dumps(body),
                         headers=headers if headers is not None else {"Content-Type": "application/json"}, timeout=10)


def D(x):
    return Decimal(str(x))


# ------------------------------------------------------------------ REST with ccxt
def test_load_markets_and_time(mock):
    ex = hl(mock)
    markets = ex.load_markets()
    assert sorted(markets) == ["BTC/USDC:USDC", "ETH/USDC:USDC", "SOL/USDC:USDC"]
    btc = markets["BTC/USDC:USDC"]
    assert btc["swap"] and btc["linear"] and btc["settle"] == "USDC" and btc["baseName"] == "BTC"
    assert btc["precision"]["amount"] == 0.00001 and btc["precision"]["price"] == 1
    assert btc["limits"]["leverage"]["max"] == 40 and btc["limits"]["cost"]["min"] == 10
    assert markets["SOL/USDC:USDC"]["precision"]["amount"] == 0.01
    assert ex.fetch_time() == mock.exchange.clock.now_ms()


def _agg(trades):
    trades = sorted(trades, key=lambda t: t.seq)
    return [trades[0].price, max(t.price for t in trades), min(t.price for t in trades), trades[-1].price,
            sum((t.size for t in trades), Decimal(0))]


def test_ohlcv_agrees_with_trades(mock):
    ex = hl(mock)
    e = mock.exchange
    now = e.clock.now_ms()
    rows = ex.fetch_ohlcv("BTC/USDC:USDC", "1m", since=now - 30 * 60_000, limit=10)
    assert len(rows) == 10 and rows[0][0] == now - 30 * 60_000      # the first candle opens at `since`
    assert all(b[0] - a[0] == 60_000 for a, b in zip(rows, rows[1:]))
    for t, o, h, lo, c, v in rows:
        trades = e.trades_between("hyperliquid:BTC", t, t + 59_999)
        assert trades, "the simulator prints trades every minute"
        assert [D(o), D(h), D(lo), D(c), D(v)] == _agg(trades)
    hours = ex.fetch_ohlcv("ETH/USDC:USDC", "1h", since=now - 5 * 3_600_000, limit=3)
    assert [r[0] for r in hours] == [now - 5 * 3_600_000 + k * 3_600_000 for k in (0, 1, 2)]
    for t, o, h, lo, c, v in hours:      # an hour is its minutes (older trades are not kept, candles are)
        mins = e.candles("hyperliquid:ETH", cdl.minutes(1), t, t + 3_599_999)
        assert [D(o), D(h), D(lo), D(c), D(v)] == [mins[0][1], max(r[2] for r in mins), min(r[3] for r in mins),
                                                   mins[-1][4], sum(r[5] for r in mins)]
    # the wire: strings in Hyperliquid's float style, t in [startTime, endTime]
    r = info(mock, {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1h", "startTime": now - 3 * 3_600_000,
                                                       "endTime": now}}).json()
    assert [c["t"] for c in r] == [now - k * 3_600_000 for k in (3, 2, 1, 0)]
    assert r[0]["T"] == r[0]["t"] + 3_599_999 and r[0]["s"] == "BTC" and r[0]["i"] == "1h"
    assert isinstance(r[0]["n"], int) and r[0]["o"].endswith(".0")


def test_ticker_book_mids_match_engine(mock):
    ex = hl(mock)
    e = mock.exchange
    s = e.stats("hyperliquid:BTC")
    tk = ex.fetch_ticker("BTC/USDC:USDC")
    assert D(tk["info"]["markPx"]) == s.mark_price and D(tk["info"]["oraclePx"]) == s.index_price
    assert D(tk["previousClose"]) == s.open_24h and D(tk["info"]["dayBaseVlm"]) == s.volume_24h
    assert (D(tk["bid"]), D(tk["ask"])) == (s.bid, s.ask)
    assert D(tk["info"]["funding"]) == s.funding_rate and D(tk["info"]["openInterest"]) == s.open_interest
    ob = ex.fetch_order_book("ETH/USDC:USDC")
    book = e.book_update("hyperliquid:ETH", 20)
    assert [[D(p), D(q)] for p, q in ob["bids"]] == [list(x) for x in book.bids]
    assert [[D(p), D(q)] for p, q in ob["asks"]] == [list(x) for x in book.asks]
    assert ob["timestamp"] == e.clock.now_ms()
    mids = info(mock, {"type": "allMids"}).json()
    assert D(mids["ETH"]) == (book.bids[0][0] + book.asks[0][0]) / 2
    # nSigFigs groups levels: 3 significant figures of ~3400 -> steps of 10
    grouped = info(mock, {"type": "l2Book", "coin": "ETH", "nSigFigs": 3}).json()["levels"]
    assert all(D(x["px"]) % 10 == 0 for side in grouped for x in side)
    assert D(grouped[0][0]["sz"]) == sum(q for p, q in e.book_update("hyperliquid:ETH").bids
                                           if p >= D(grouped[0][0]["px"]))


def test_funding_history_and_status(mock):
    ex = hl(mock)
    now = mock.exchange.clock.now_ms()
    rows = ex.fetch_funding_rate_history("BTC/USDC:USDC", since=now - 5 * 3_600_000)
    assert [r["timestamp"] for r in rows] == [now - now % 3_600_000 - k * 3_600_000 for k in (5, 4, 3, 2, 1, 0)]
    assert all(r["fundingRate"] == float(mock.exchange.stats("hyperliquid:BTC").funding_rate) for r in rows[-1:])
    assert ex.fetch_status()["status"] == "ok"
    assert info(mock, {"type": "exchangeStatus"}).json() == {"specialStatuses": None, "time": str(now)}


def test_fetch_trades_is_user_fills(mock):
    """ccxt's fetch_trades asks for a user's fills (Hyperliquid has no public REST trades); the mock
    simulates no Hyperliquid accounts, so every address has none. Public trades: recentTrades."""
    ex = hl(mock)
    assert ex.fetch_trades("BTC/USDC:USDC", params={"user": "0x" + "ab" * 20}) == []
    recent = info(mock, {"type": "recentTrades", "coin": "SOL"}).json()
    last = mock.exchange.states["hyperliquid:SOL"].trades[-1]
    assert recent[-1]["tid"] == last.seq and D(recent[-1]["px"]) == last.price and recent[-1]["time"] == last.created_at
    assert recent[-1]["side"] == ("B" if last.side == "BUY" else "A") and len(recent[-1]["users"]) == 2


# ------------------------------------------------------------------ bad input
def test_bad_input_gets_hyperliquids_answers(mock):
    r = info(mock, {"type": "candles"})
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text.startswith("Failed to deserialize the JSON body into the target type: unknown variant `candles`")
    r = info(mock, {"type": "l2Book"})
    assert (r.status_code, r.text) == (422, "Failed to deserialize the JSON body into the target type: missing field "
                                            "`coin` at line 1 column 18")
    r = info(mock, None, raw='{"type":')
    assert r.status_code == 400 and r.text.startswith("Failed to parse the request body as JSON")
    r = info(mock, None, raw='{"type":"meta"}', headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.text) == (415, "Expected request with `Content-Type: application/json`")
    r = info(mock, {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "2m", "startTime": 0}})
    assert r.status_code == 422 and "unknown variant `2m`" in r.text
    r = info(mock, {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": "x"}})
    assert r.status_code == 422 and 'invalid type: string "x", expected u64' in r.text
    assert info(mock, {"type": "l2Book", "coin": "NOPE"}).json() is None       # unknown coin: null
    assert info(mock, {"type": "candleSnapshot", "req": {"coin": "NOPE", "interval": "1m", "startTime": 0}}).json() == []
    r = requests.post(mock.http_url + "/hyperliquid/exchange2", json={}, timeout=10)
    assert (r.status_code, r.text) == (404, "")
    with pytest.raises(ccxt.BaseError):
        hl(mock).fetch_ohlcv("BTC/USDC:USDC", "1m", params={"req": "nope"})


def test_weights_and_429():
    with MockParadex(seed=3) as m:
        m.configure_rate_limits(limits={"hyperliquid_weight": [{"limit": 40, "window_s": 60}]})
        statuses = [info(m, {"type": "l2Book", "coin": "BTC"}).status_code for _ in range(21)]
        assert statuses == [200] * 20 + [429]           # l2Book weighs 2
        m.advance(seconds=30)                           # 20 tokens back: one meta (20)
        assert info(m, {"type": "meta"}).status_code == 200
        assert info(m, {"type": "meta"}).status_code == 429
        assert m.journal(limit=1)[0]["faults"] == ["rate_limited"]


def test_faults_and_journal():
    with MockParadex(seed=3) as m:
        m.add_faults([{"kind": "error", "target": "/hyperliquid/info", "status": 500, "count": 1}])
        r = info(m, {"type": "meta"})
        assert r.status_code == 500 and r.headers["Content-Type"].startswith("text/plain")
        assert info(m, {"type": "meta"}).status_code == 200
        j = m.journal(limit=2)
        assert [x["status"] for x in j] == [500, 200] and j[0]["faults"] == ["error"]


# ------------------------------------------------------------------ WS with ccxt.pro
class Clock:
    """Moves the mock's clock a second at a time from a thread while a test awaits watchers."""

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
        ex = hl(m, ccxtpro.hyperliquid)
        try:
            await ex.load_markets()
            with Clock(m):
                seen = set()
                for _ in range(4):
                    ob = await asyncio.wait_for(ex.watch_order_book("BTC/USDC:USDC"), 10)
                    assert ob["bids"][0][0] < ob["asks"][0][0] and len(ob["bids"]) == 20
                    seen.add(ob["timestamp"])
                assert len(seen) >= 2
                trades = await asyncio.wait_for(ex.watch_trades("BTC/USDC:USDC"), 10)
                t = trades[-1]
                engine = next(x for x in m.exchange.states["hyperliquid:BTC"].trades if x.seq == int(t["id"]))
                assert (D(t["price"]), D(t["amount"]), t["timestamp"]) == (engine.price, engine.size, engine.created_at)
                assert t["side"] == engine.side.lower()
                candles = await asyncio.wait_for(ex.watch_ohlcv("ETH/USDC:USDC", "1m"), 10)
                candles = await asyncio.wait_for(ex.watch_ohlcv("ETH/USDC:USDC", "1m"), 10)
                tk = await asyncio.wait_for(ex.watch_ticker("SOL/USDC:USDC"), 10)
                assert tk["symbol"] == "SOL/USDC:USDC" and tk["bid"] < tk["ask"]
            # the clock stands still now: the last candle and book agree with the engine once the
            # messages on their way have arrived
            def engine_candle(t):
                rows = m.exchange.candles("hyperliquid:ETH", cdl.minutes(1), t, t)
                return [rows[-1][1 + k] for k in (cdl.O, cdl.H, cdl.L, cdl.C, cdl.V)]
            for _ in range(20):
                if [D(x) for x in candles[-1][1:]] == engine_candle(candles[-1][0]):
                    break
                candles = await asyncio.wait_for(ex.watch_ohlcv("ETH/USDC:USDC", "1m"), 10)
            assert [D(x) for x in candles[-1][1:]] == engine_candle(candles[-1][0])
            book = m.exchange.book_update("hyperliquid:BTC", 20)
            def levels(ob):
                return [[D(p), D(q)] for p, q in ob["bids"]]
            for _ in range(10):      # the last book message (prices or only sizes) may still be on its way
                if levels(ob) == [list(x) for x in book.bids]:
                    break
                ob = await asyncio.wait_for(ex.watch_order_book("BTC/USDC:USDC"), 10)
            assert levels(ob) == [list(x) for x in book.bids]
        finally:
            await ex.close()
    with MockParadex(seed=11) as m:
        asyncio.run(run(m))


def test_ws_protocol_frames():
    async def run(m):
        url = m.ws_url[:-3] + "/hyperliquid/ws"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"method": "ping"}))
            assert json.loads(await ws.recv()) == {"channel": "pong"}
            sub = {"method": "subscribe", "subscription": {"type": "bbo", "coin": "ETH"}}
            await ws.send(json.dumps(sub))
            assert json.loads(await ws.recv()) == {"channel": "subscriptionResponse", "data": sub}
            first = json.loads(await ws.recv())
            book = m.exchange.book_update("hyperliquid:ETH", 1)
            assert first["channel"] == "bbo" and D(first["data"]["bbo"][0]["px"]) == book.bids[0][0]
            await ws.send(json.dumps(sub))
            err = json.loads(await ws.recv())
            assert err["channel"] == "error" and err["data"].startswith("Already subscribed")
            await ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "candle", "coin": "BTC",
                                                                              "interval": "2m"}}))
            err = json.loads(await ws.recv())
            assert err["channel"] == "error" and err["data"].startswith("Error parsing JSON into valid websocket request")
            for s in ({"type": "allMids"}, {"type": "activeAssetCtx", "coin": "BTC"}):
                await ws.send(json.dumps({"method": "subscribe", "subscription": s}))
                assert json.loads(await ws.recv())["channel"] == "subscriptionResponse"
                msg = json.loads(await ws.recv())
                if s["type"] == "allMids":
                    assert set(msg["data"]["mids"]) == {"BTC", "ETH", "SOL"}
                else:
                    assert msg["data"]["coin"] == "BTC" and D(msg["data"]["ctx"]["markPx"]) == \
                        m.exchange.stats("hyperliquid:BTC").mark_price
    with MockParadex(seed=5) as m:
        asyncio.run(run(m))


# ------------------------------------------------------------------ seed 004, determinism, hb-candles-feed
def test_create_mock_server_at_root_and_same_seed_same_output():
    outs = []
    for _ in range(2):
        server = create_mock_server(ExchangeType.HYPERLIQUID_PERPETUAL, seed=99, start_time_ms=START)
        url = server.start()
        try:
            assert server.ws_url.endswith("/hyperliquid/ws")
            ex = point_ccxt(ccxt.hyperliquid(dict(SWAP)), url, server.ws_url[: -len("/ws")])
            ex.load_markets()
            now = server.exchange.clock.now_ms()
            outs.append((ex.fetch_ohlcv("BTC/USDC:USDC", "1m", since=now - 3_600_000, limit=50),
                         ex.fetch_order_book("SOL/USDC:USDC")["bids"]))
            r = requests.post(url + "/info", json={"type": "meta"}, timeout=10)   # the root of the port
            assert [u["name"] for u in r.json()["universe"]] == ["BTC", "ETH", "SOL"]
        finally:
            server.stop()
    assert outs[0] == outs[1] and len(outs[0][0]) == 50


def test_hb_candles_feed_requests_meet_the_real_venues_answers(mock):
    """hb-candles-feed 2.4.0's Hyperliquid adapter sends ``{"type": "candles", "coin", "resolution",
    "limit", "startTime"}`` and subscribes with ``{"method": "subscribe", "channel": "candles", ...}``:
    neither is Hyperliquid's API (candleSnapshot; ``subscription: {"type": "candle"}``), so the mock,
    like the venue, refuses both. The real venue wins."""
    r = info(mock, {"type": "candles", "coin": "BTC", "resolution": "1m", "limit": 5, "startTime": START // 1000})
    assert r.status_code == 422 and "unknown variant `candles`" in r.text

    async def ws_side():
        async with websockets.connect(mock.ws_url[:-3] + "/hyperliquid/ws") as ws:
            await ws.send(json.dumps({"method": "subscribe", "channel": "candles", "coin": "BTC", "interval": "1m"}))
            msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert msg["channel"] == "error"
            # what it would have needed, and the fields it reads from a candle
            await ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "candle", "coin": "BTC",
                                                                              "interval": "1m"}}))
            await asyncio.wait_for(ws.recv(), 5)
            c = json.loads(await asyncio.wait_for(ws.recv(), 5))["data"]
            assert {"t", "o", "h", "l", "c", "v"} <= set(c)
    asyncio.run(ws_side())
