"""OKX v5 (root /okx, SPOT and SWAP): ccxt 4.5.90 and ccxt.pro, unpatched but for their URLs,
read REST and WS market data that agree with the engine (SWAP sizes in contracts of ctVal);
OKX's error codes, per-endpoint limits, WS protocol, books seqId chain and checksum; seed 004's
server; one seed, one output."""
import asyncio
import json
import threading
import zlib
from decimal import Decimal

import pytest
import websockets

from paradex_mock.engine import candles as cdl
from paradex_mock.testing import ExchangeType, MockParadex, create_mock_server, point_ccxt
from paradex_mock.ws.rest import http_call
from paradex_mock.ws.testing import async_wait_until

ccxt = pytest.importorskip("ccxt")
ccxt_pro = pytest.importorskip("ccxt.pro")

START = 1767225600000          # 2026-01-01T00:00:00Z
OPTS = {"options": {"fetchMarkets": {"types": ["spot", "swap"]}}, "timeout": 10_000}
SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
KEYS = {SPOT: "okx:BTC-USDT", PERP: "okx:BTC-USDT-SWAP", "ETH/USDT:USDT": "okx:ETH-USDT-SWAP"}
CT = {SPOT: Decimal(1), PERP: Decimal("0.01"), "ETH/USDT:USDT": Decimal("0.1")}


def mock(**kw):
    return MockParadex(seed=7, venues="okx", start_time_ms=START, **dict({"backfill_hours": 10}, **kw))


@pytest.fixture(scope="module")
def m():
    with mock(rate_limits=False, backfill_hours=26) as mk:     # more than /candles' 1,440 minutes
        mk.advance(seconds=90)
        yield mk


def client(m, cls=None):
    return point_ccxt((cls or ccxt.okx)(dict(OPTS)), m.http_url + "/okx", m.ws_url[:-3] + "/okx")


def get(m, path):
    return http_call(m.http_url, "GET", path)


def f(x):
    return float(Decimal(x))


# ---------------------------------------------------------------------------------------- REST
def test_load_markets_and_time(m):
    ex = client(m)
    markets = ex.load_markets()
    assert {SPOT, "ETH/USDT", "SOL/USDT", PERP, "ETH/USDT:USDT", "SOL/USDT:USDT"} <= set(markets)
    spot, perp = markets[SPOT], markets[PERP]
    assert spot["id"] == "BTC-USDT" and spot["precision"] == {"amount": 1e-08, "price": 0.1}
    assert spot["limits"]["amount"]["min"] == 0.00001
    assert perp["id"] == "BTC-USDT-SWAP" and perp["swap"] and perp["linear"] and perp["contractSize"] == 0.01
    assert perp["settle"] == "USDT" and perp["limits"]["leverage"]["max"] == 100
    assert ex.fetch_time() == m.exchange.clock.now_ms()


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_fetch_ohlcv_agrees_with_trades(m, symbol):
    ex = client(m)
    e, k = m.exchange, KEYS[symbol]
    rows = ex.fetch_ohlcv(symbol, "1m", limit=5)
    now = e.clock.now_ms()
    assert len(rows) == 5 and rows[-1][0] == now - now % 60_000
    for t0, o, h, l, c, v in rows[:-1]:
        trades = e.trades_between(k, t0, t0 + 59_999)[::-1]
        if trades:
            assert o == float(trades[0].price) and c == float(trades[-1].price)
            assert h == float(max(t.price for t in trades)) and l == float(min(t.price for t in trades))
            assert v == pytest.approx(float(sum(t.size for t in trades)))     # ccxt reads volCcy (base) on SWAP
    since = now - now % 3_600_000 - 5 * 3_600_000
    hours = ex.fetch_ohlcv(symbol, "1h", since=since, limit=4)
    engine = e.candles(k, cdl.STANDARD["1h"], since, since + 4 * 3_600_000 - 1)
    assert [r[0] for r in hours] == [since + i * 3_600_000 for i in range(4)]
    assert [r[1:5] for r in hours] == [[float(x) for x in r[1:5]] for r in engine]
    assert [r[5] for r in hours] == pytest.approx([float(r[5]) for r in engine])


def test_candles_wire(m):
    e, k = m.exchange, KEYS[PERP]
    now = e.clock.now_ms()
    _, body = get(m, "/okx/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1m&limit=3")
    rows = body["data"]
    assert body["code"] == "0" and body["msg"] == "" and len(rows) == 3
    assert int(rows[0][0]) == now - now % 60_000 and int(rows[0][0]) > int(rows[1][0]) > int(rows[2][0])
    assert rows[0][8] == "0" and rows[1][8] == "1" and len(rows[0]) == 9       # confirm
    r = e.candles(k, cdl.STANDARD["1m"], int(rows[1][0]), int(rows[1][0]))[0]
    assert rows[1][5] == format((r[5] / Decimal("0.01")).normalize(), "f")      # vol: contracts
    assert f(rows[1][6]) == float(r[5]) and f(rows[1][7]) == float(r[6])         # volCcy base, volCcyQuote
    # before/after as OKX means them: ts > before, ts < after
    t1 = int(rows[1][0])
    _, mid = get(m, f"/okx/api/v5/market/candles?instId=BTC-USDT-SWAP&bar=1m&before={t1 - 180_001}&after={t1}")
    assert [int(x[0]) for x in mid["data"]] == [t1 - 60_000, t1 - 120_000, t1 - 180_000]
    # /candles keeps the latest 1,440 bars; history-candles goes further back
    old = now - now % 60_000 - 1500 * 60_000
    _, recent = get(m, f"/okx/api/v5/market/candles?instId=BTC-USDT&bar=1m&after={old + 60_000}&limit=2")
    _, hist = get(m, f"/okx/api/v5/market/history-candles?instId=BTC-USDT&bar=1m&after={old + 60_000}&limit=2")
    assert recent["data"] == [] and [int(x[0]) for x in hist["data"]] == [old, old - 60_000]
    # 1D opens at 00:00 Hong Kong time (16:00 UTC), 1Dutc at 00:00 UTC
    _, hk = get(m, "/okx/api/v5/market/candles?instId=BTC-USDT&bar=1D&limit=1")
    _, utc = get(m, "/okx/api/v5/market/candles?instId=BTC-USDT&bar=1Dutc&limit=1")
    assert int(hk["data"][0][0]) == START - 8 * 3_600_000 and int(utc["data"][0][0]) == START
    hk_rows = e.candles(KEYS[SPOT], cdl.minutes(60), START - 8 * 3_600_000, now)
    assert f(hk["data"][0][1]) == float(hk_rows[0][1]) and f(hk["data"][0][4]) == float(hk_rows[-1][4])


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_ticker_book_trades_match_engine(m, symbol):
    ex = client(m)
    e, k, ct = m.exchange, KEYS[symbol], CT[symbol]
    t = ex.fetch_ticker(symbol)
    s = e.stats(k)
    assert t["last"] == float(s.last_price) and t["bid"] == float(s.bid) and t["ask"] == float(s.ask)
    assert t["high"] == float(s.high_24h) and t["low"] == float(s.low_24h) and t["open"] == float(s.open_24h)
    assert t["baseVolume"] == pytest.approx(float(s.volume_24h / ct))        # ccxt reads vol24h (contracts on SWAP)
    ob = ex.fetch_order_book(symbol, 20)
    book = e.book_update(k, 20)
    assert [x[:2] for x in ob["bids"]] == [[float(p), float(q / ct)] for p, q in book.bids]
    assert [x[:2] for x in ob["asks"]] == [[float(p), float(q / ct)] for p, q in book.asks]
    trades = ex.fetch_trades(symbol, limit=20)
    last = e.states[k].trades[-20:]
    assert [x["id"] for x in trades] == [str(t.seq) for t in last]
    assert [(x["price"], x["amount"], x["side"]) for x in trades] == \
        [(float(t.price), float(t.size / ct), t.side.lower()) for t in last]


def test_funding_and_mark_price(m):
    ex = client(m)
    s = m.exchange.stats(KEYS[PERP])
    fr = ex.fetch_funding_rate(PERP)
    assert fr["fundingRate"] == float(s.funding_rate) and fr["fundingTimestamp"] == START + 8 * 3_600_000
    assert ex.fetch_mark_price(PERP)["markPrice"] == float(s.mark_price)
    _, body = get(m, "/okx/api/v5/public/mark-price?instType=SWAP")
    assert [r["instId"] for r in body["data"]] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP"]


@pytest.mark.parametrize("path, status, code, msg", [
    ("/okx/api/v5/market/ticker?instId=NOPE-USDT", 200, "51001", "Instrument ID or Spread ID doesn't exist."),
    ("/okx/api/v5/market/books?instId=BTC-USDT-SWAPX", 200, "51001", "Instrument ID or Spread ID doesn't exist."),
    ("/okx/api/v5/market/candles?bar=1m", 400, "50014", "Parameter instId can not be empty."),
    ("/okx/api/v5/public/instruments", 400, "50014", "Parameter instType can not be empty."),
    ("/okx/api/v5/public/instruments?instType=PERP", 400, "51000", "Parameter instType error"),
    ("/okx/api/v5/market/candles?instId=BTC-USDT&bar=2m", 400, "51000", "Parameter bar error"),
    ("/okx/api/v5/market/candles?instId=BTC-USDT&limit=301", 400, "51000", "Parameter limit error"),
    ("/okx/api/v5/market/history-candles?instId=BTC-USDT&limit=101", 400, "51000", "Parameter limit error"),
    ("/okx/api/v5/market/books?instId=BTC-USDT&sz=401", 400, "51000", "Parameter sz error"),
    ("/okx/api/v5/public/funding-rate?instId=BTC-USDT", 200, "51001", "Instrument ID or Spread ID doesn't exist."),
])
def test_bad_input(m, path, status, code, msg):
    got, body = get(m, path)
    assert (got, body) == (status, {"code": code, "data": [], "msg": msg})


def test_bad_input_through_ccxt_and_unknown_path(m):
    ex = client(m)
    ex.load_markets()
    with pytest.raises(ccxt.BadSymbol):
        ex.public_get_market_ticker({"instId": "NOPE-USDT"})
    with pytest.raises(ccxt.BadRequest):
        ex.public_get_market_candles({"instId": "BTC-USDT", "bar": "7m"})
    status, body = get(m, "/okx/api/v5/market/nothing")
    assert status == 404 and body["code"] == "404"


def test_rate_limit_429_50011_then_recovers():
    with mock() as mk:
        codes = [get(mk, "/okx/api/v5/public/time")[0] for _ in range(11)]
        assert codes == [200] * 10 + [429]                       # 10 requests per 2 s, per IP
        status, body = get(mk, "/okx/api/v5/public/time")
        assert status == 429 and body == {"code": "50011", "data": [], "msg": "Too Many Requests"}
        assert get(mk, "/okx/api/v5/market/trades?instId=BTC-USDT")[0] == 200     # another endpoint's limit
        with pytest.raises(ccxt.RateLimitExceeded):
            client(mk).fetch_time()
        mk.advance(seconds=2)
        assert get(mk, "/okx/api/v5/public/time")[0] == 200
        assert any(j["path"] == "/okx/api/v5/public/time" for j in mk.journal())
        mk.add_faults([{"kind": "error", "target": "/okx/api/v5/market/ticker", "status": 503, "count": 1}])
        assert get(mk, "/okx/api/v5/market/ticker?instId=BTC-USDT")[1]["code"] == "50001"


# ---------------------------------------------------------------------------------------- WS
class Pump:
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
    k, ct = KEYS[symbol], CT[symbol]

    async def main():
        ex = client(m, ccxt_pro.okx)
        try:
            with Pump(m):
                candles = await asyncio.wait_for(ex.watch_ohlcv(symbol, "1m"), 10)
                t0, o, h, l, c, v = candles[-1]
                assert t0 % 60_000 == 0 and l <= o <= h and l <= c <= h
                trades = await asyncio.wait_for(ex.watch_trades(symbol), 10)
                by_id = {str(t.seq): t for t in m.exchange.states[k].trades[-300:]}
                tr = trades[-1]
                assert tr["price"] == float(by_id[tr["id"]].price) and tr["amount"] == float(by_id[tr["id"]].size / ct)
                nonces = []
                for _ in range(6):        # snapshot, then updates: ccxt checks prevSeqId == its nonce
                    ob = await asyncio.wait_for(ex.watch_order_book(symbol), 10)
                    nonces.append(ob["nonce"])
                assert nonces == sorted(nonces) and len(set(nonces)) > 3
                ticker = await asyncio.wait_for(ex.watch_ticker(symbol), 10)
                assert ticker["symbol"] == symbol and ticker["high"] >= ticker["low"]
            book = m.exchange.book_update(k, 400)
            want = ([[float(p), float(q / ct)] for p, q in book.bids], [[float(p), float(q / ct)] for p, q in book.asks])
            await async_wait_until(lambda: ex.orderbooks[symbol]["nonce"] == book.seq_no, timeout=5)
            ob = ex.orderbooks[symbol]
            assert (ob["bids"][:], ob["asks"][:]) == want
            s = m.exchange.stats(k)
            await async_wait_until(lambda: ex.tickers[symbol]["last"] == float(s.last_price), timeout=5)
        finally:
            await ex.close()
    asyncio.run(main())


def _crc(book):
    bids = sorted(book["bids"].items(), key=lambda x: -Decimal(x[0]))[:25]
    asks = sorted(book["asks"].items(), key=lambda x: Decimal(x[0]))[:25]
    parts = []
    for i in range(25):
        if i < len(bids):
            parts += list(bids[i])
        if i < len(asks):
            parts += list(asks[i])
    c = zlib.crc32(":".join(parts).encode())
    return c - (1 << 32) if c >= 1 << 31 else c


def test_ws_protocol_books_checksum_and_seq(m):
    base = m.ws_url[:-3] + "/okx/ws/v5"

    async def read(ws):
        raw = await asyncio.wait_for(ws.recv(), 5)
        return raw if raw == "pong" else json.loads(raw)

    async def main():
        loop = asyncio.get_running_loop()
        async with websockets.connect(base + "/public") as ws:
            await ws.send("ping")
            assert await read(ws) == "pong"
            await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "candle1m", "instId": "BTC-USDT"}]}))
            err = await read(ws)
            assert err["event"] == "error" and err["code"] == "60018" and "candle1m" in err["msg"]
            await ws.send("{nope")
            assert (await read(ws))["code"] == "60012"
            arg = {"channel": "books", "instId": "BTC-USDT-SWAP"}
            await ws.send(json.dumps({"id": "7", "op": "subscribe", "args": [arg]}))
            ack = await read(ws)
            assert ack["event"] == "subscribe" and ack["arg"] == arg and ack["id"] == "7" and ack["connId"]
            snap = await read(ws)
            assert snap["action"] == "snapshot" and snap["data"][0]["prevSeqId"] == -1
            d = snap["data"][0]
            book = {"bids": {p: q for p, q, _, _ in d["bids"]}, "asks": {p: q for p, q, _, _ in d["asks"]}}
            assert d["checksum"] == _crc(book)
            seq, updates = d["seqId"], 0
            for _ in range(5):
                await loop.run_in_executor(None, lambda: m.advance(seconds=1))
                target = m.exchange.book_update(KEYS[PERP], 1).seq_no
                while seq < target:
                    msg = await read(ws)
                    u = msg["data"][0]
                    assert msg["action"] == "update" and u["prevSeqId"] == seq and u["seqId"] > seq
                    for side in ("bids", "asks"):
                        for p, q, _, _ in u[side]:
                            if Decimal(q) == 0:
                                book[side].pop(p, None)
                            else:
                                book[side][p] = q
                    assert u["checksum"] == _crc(book)
                    seq, updates = u["seqId"], updates + 1
            assert updates >= 5
            engine = m.exchange.book_update(KEYS[PERP], 400)
            assert sorted(book["bids"].items(), key=lambda x: -Decimal(x[0])) == \
                [(format(p.normalize(), "f"), format((q / Decimal("0.01")).normalize(), "f")) for p, q in engine.bids]
            for channel in ("books5", "bbo-tbt", "funding-rate", "mark-price", "tickers"):
                await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": channel, "instId": "BTC-USDT-SWAP"}]}))
                assert (await read(ws))["event"] == "subscribe"
                first = await read(ws)
                while first["arg"]["channel"] != channel:
                    first = await read(ws)
                data = first["data"][0]
                s = m.exchange.stats(KEYS[PERP])
                if channel == "books5":
                    assert len(data["bids"]) == 5 and data["bids"][0][0] == format(engine.bids[0][0].normalize(), "f")
                elif channel == "bbo-tbt":
                    assert len(data["asks"]) == 1 and data["asks"][0][0] == format(engine.asks[0][0].normalize(), "f")
                elif channel == "funding-rate":
                    assert f(data["fundingRate"]) == float(s.funding_rate) and data["instId"] == "BTC-USDT-SWAP"
                elif channel == "mark-price":
                    assert f(data["markPx"]) == float(s.mark_price)
                else:
                    assert f(data["last"]) == float(s.last_price) and f(data["vol24h"]) == float(s.volume_24h / Decimal("0.01"))
        async with websockets.connect(base + "/business") as ws:
            arg = {"channel": "candle1H", "instId": "ETH-USDT"}
            await ws.send(json.dumps({"op": "subscribe", "args": [arg]}))
            ack = await read(ws)
            assert ack["event"] == "subscribe" and ack["arg"] == arg
            await loop.run_in_executor(None, lambda: m.advance(seconds=1))
            msg = await read(ws)
            while "data" not in msg or msg["data"][0][8] == "1":     # an hour that closed comes first
                msg = await read(ws)
            row = m.exchange.open_candles("okx:ETH-USDT")["1h"]
            assert msg["arg"] == arg and msg["data"][0][0] == str(row[0]) and msg["data"][0][8] == "0"
            assert [f(x) for x in msg["data"][0][1:5]] == [float(x) for x in row[1:5]]
            await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "trades", "instId": "ETH-USDT"}]}))
            assert (await read(ws))["code"] == "60018"
    asyncio.run(main())


# ---------------------------------------------------------------------------------------- seed 004, replay
@pytest.mark.parametrize("kind, symbol", [(ExchangeType.OKX_SPOT, SPOT), (ExchangeType.OKX_PERPETUAL, PERP)])
def test_create_mock_server(kind, symbol):
    server = create_mock_server(exchange_type=kind, venues="okx", backfill_hours=2, start_time_ms=START,
                                clock="manual", rate_limits=False)
    url = server.start()
    try:
        assert server.ws_url.endswith("/okx/ws/v5/public")
        ws_root = server.ws_url[: -len("/ws/v5/public")]
        ex = point_ccxt(ccxt.okx(dict(OPTS)), url, ws_root)
        assert ex.fetch_time() == server.exchange.clock.now_ms()
        assert ex.fetch_ticker(symbol)["last"] == float(server.exchange.stats(KEYS[symbol]).last_price)
        assert len(ex.fetch_ohlcv(symbol, "1m", limit=3)) == 3

        async def watch():
            pro = point_ccxt(ccxt_pro.okx(dict(OPTS)), url, ws_root)
            try:
                with Pump(server):
                    return await asyncio.wait_for(pro.watch_ohlcv(symbol, "1m"), 10)
            finally:
                await pro.close()
        assert asyncio.run(watch())[-1][0] % 60_000 == 0
    finally:
        server.stop()


def test_same_seed_same_output():
    def run():
        with mock(rate_limits=False) as mk:
            mk.advance(seconds=30)
            return [get(mk, p)[1]["data"] for p in (
                "/okx/api/v5/market/candles?instId=ETH-USDT&bar=1m&limit=50",
                "/okx/api/v5/market/books?instId=SOL-USDT-SWAP&sz=50",
                "/okx/api/v5/market/trades?instId=BTC-USDT-SWAP&limit=100",
                "/okx/api/v5/market/tickers?instType=SWAP")]
    assert run() == run()


def test_ws_seq_gap_fault_breaks_the_books_chain():
    """A ws_seq_gap fault on a books channel: the next update's prevSeqId is not the seqId the
    client holds, which ccxt.pro reports as InvalidNonce."""
    with mock(rate_limits=False, backfill_hours=1) as mk:
        async def main():
            loop = asyncio.get_running_loop()
            ex = client(mk, ccxt_pro.okx)
            try:
                await asyncio.wait_for(ex.watch_order_book(SPOT), 10)
                await loop.run_in_executor(None, lambda: mk.add_faults(
                    [{"kind": "ws_seq_gap", "target": "books:BTC-USDT", "count": 1}]))
                with pytest.raises(ccxt.InvalidNonce):
                    for _ in range(20):
                        await loop.run_in_executor(None, lambda: mk.advance(seconds=1))
                        await asyncio.wait_for(ex.watch_order_book(SPOT), 10)
            finally:
                await ex.close()
        asyncio.run(main())


def test_separate_ws_process_mode():
    """``ws_server.py``'s mode: books and candles from the HTTP side's /_mock/stream alone."""
    from paradex_mock.config import Config
    from paradex_mock.ws.server import start_remote
    with mock(rate_limits=False, backfill_hours=1, with_ws=False) as mk:
        handle = start_remote(Config(venues="okx", host="127.0.0.1", ws_port=0), upstream=mk.http_url)
        try:
            async def main():
                loop = asyncio.get_running_loop()
                base = f"ws://127.0.0.1:{handle.port}/okx/ws/v5"
                async with websockets.connect(base + "/public") as pub, websockets.connect(base + "/business") as bus:
                    await pub.send(json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": "ETH-USDT-SWAP"}]}))
                    await bus.send(json.dumps({"op": "subscribe", "args": [{"channel": "candle1m", "instId": "ETH-USDT-SWAP"}]}))
                    assert json.loads(await asyncio.wait_for(pub.recv(), 5))["event"] == "subscribe"
                    assert json.loads(await asyncio.wait_for(bus.recv(), 5))["event"] == "subscribe"
                    snap = json.loads(await asyncio.wait_for(pub.recv(), 5))["data"][0]
                    engine = mk.exchange.book_update("okx:ETH-USDT-SWAP", 400)
                    assert snap["seqId"] == engine.seq_no and snap["bids"][0][:2] == \
                        [format(engine.bids[0][0].normalize(), "f"), format((engine.bids[0][1] * 10).normalize(), "f")]
                    await loop.run_in_executor(None, lambda: mk.advance(seconds=61))
                    update = json.loads(await asyncio.wait_for(pub.recv(), 5))["data"][0]
                    assert update["prevSeqId"] == snap["seqId"]
                    while True:
                        row = json.loads(await asyncio.wait_for(bus.recv(), 5))["data"][0]
                        if row[8] == "1":
                            break
                    want = mk.exchange.candles("okx:ETH-USDT-SWAP", cdl.STANDARD["1m"], int(row[0]), int(row[0]))[0]
                    assert f(row[4]) == float(want[4]) and f(row[6]) == float(want[5])
            asyncio.run(main())
        finally:
            handle.stop()
