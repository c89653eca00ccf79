"""Public REST endpoints: shapes (validated against Paradex's OpenAPI), values, and bad input."""
from decimal import Decimal

import pytest

import openapi
from support import paradex_markets

MINUTE = 60_000


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True))
    return r.get_json()


def test_system_endpoints(client, exchange):
    t = get(client, "/v1/system/time")
    assert t == {"server_time": str(exchange.clock.now_ms())}
    openapi.validate_response("/v1/system/time", "GET", 200, t)
    cfg = get(client, "/v1/system/config")
    assert cfg["starknet_chain_id"] == "PRIVATE_SN_POTC_SEPOLIA"
    assert cfg["paraclear_decimals"] == 8
    openapi.validate_response("/v1/system/config", "GET", 200, cfg)
    assert get(client, "/v1/config") == cfg          # the seed's alias
    assert get(client, "/v1/system/state") == {"status": "ok"}
    h = get(client, "/health")
    assert h["status"] == "ok" and h["markets"] == len(paradex_markets(exchange))


def test_markets_and_alias(client):
    body = get(client, "/v1/markets")
    symbols = [m["symbol"] for m in body["results"]]
    assert {"BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP"} <= set(symbols)
    openapi.validate_response("/v1/markets", "GET", 200, body)
    one = get(client, "/v1/markets?market=ETH-USD-PERP")
    assert [m["symbol"] for m in one["results"]] == ["ETH-USD-PERP"]
    inst = get(client, "/v1/instruments/BTC-USD-PERP")
    assert inst["symbol"] == "BTC-USD-PERP" and inst["price_tick_size"] == "0.1"
    err = get(client, "/v1/markets?market=NOPE-USD-PERP", 404)
    assert err["error"] == "MARKET_NOT_FOUND"
    assert get(client, "/v1/instruments/NOPE", 404)["error"] == "MARKET_NOT_FOUND"


def test_summary_one_and_all(client, exchange):
    body = get(client, "/v1/markets/summary?market=BTC-USD-PERP")
    openapi.validate_response("/v1/markets/summary", "GET", 200, body)
    (s,) = body["results"]
    assert s["symbol"] == "BTC-USD-PERP"
    book = exchange.books["BTC-USD-PERP"]
    assert Decimal(s["bid"]) == book.best_bid() and Decimal(s["ask"]) == book.best_ask()
    assert Decimal(s["volume_24h"]) > 0 and Decimal(s["mark_price"]) > 0
    all_ = get(client, "/v1/markets/summary?market=ALL")
    assert {x["symbol"] for x in all_["results"]} == set(paradex_markets(exchange))
    assert get(client, "/v1/markets/summary", 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert get(client, "/v1/markets/summary?market=XYZ", 400)["error"] == "MARKET_NOT_FOUND"


def test_orderbook_depth_and_invariants(client, exchange):
    body = get(client, "/v1/orderbook/BTC-USD-PERP?depth=5")
    openapi.validate_response("/v1/orderbook/BTC-USD-PERP", "GET", 200, body)
    assert len(body["bids"]) == 5 and len(body["asks"]) == 5
    default = get(client, "/v1/orderbook/BTC-USD-PERP")
    assert len(default["bids"]) == 20                      # Paradex's default depth
    bids = [Decimal(p) for p, _ in body["bids"]]
    asks = [Decimal(p) for p, _ in body["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]
    assert body["seq_no"] == exchange.books["BTC-USD-PERP"].seq_no > 0
    for bad in ("depth=0", "depth=abc", "depth=100000"):
        assert get(client, f"/v1/orderbook/BTC-USD-PERP?{bad}", 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert get(client, "/v1/orderbook/NOPE", 400)["error"] == "MARKET_NOT_FOUND"


def test_book_invariants_hold_every_tick(exchange):
    for _ in range(60):
        exchange.advance(ticks=1)
        for sym, m in paradex_markets(exchange).items():
            book = exchange.books[sym]
            assert book.best_bid() < book.best_ask(), sym
            for side in (book.bids, book.asks):
                for price, size in side.depth(1000):
                    assert price % m.tick == 0, (sym, price)
                    assert size % m.step == 0 and size > 0, (sym, size)


def test_bbo(client, exchange):
    body = get(client, "/v1/bbo/SOL-USD-PERP")
    openapi.validate_response("/v1/bbo/SOL-USD-PERP", "GET", 200, body)
    book = exchange.books["SOL-USD-PERP"]
    assert Decimal(body["bid"]) == book.best_bid() and Decimal(body["ask"]) == book.best_ask()
    assert get(client, "/v1/bbo/NOPE", 400)["error"] == "MARKET_NOT_FOUND"


def test_trades_pagination_newest_first(client):
    first = get(client, "/v1/trades?market=BTC-USD-PERP&page_size=50")
    openapi.validate_response("/v1/trades", "GET", 200, first)
    assert len(first["results"]) == 50 and first["prev"] is None and first["next"]
    ts = [t["created_at"] for t in first["results"]]
    assert ts == sorted(ts, reverse=True)
    second = get(client, f"/v1/trades?market=BTC-USD-PERP&page_size=50&cursor={first['next']}")
    assert second["results"][0]["created_at"] <= ts[-1]
    assert not {t["id"] for t in first["results"]} & {t["id"] for t in second["results"]}
    back = get(client, f"/v1/trades?market=BTC-USD-PERP&page_size=50&cursor={second['prev']}")
    assert [t["id"] for t in back["results"]] == [t["id"] for t in first["results"]]


def test_trades_time_window_and_base_asset(client):
    newest = get(client, "/v1/trades?market=ETH-USD-PERP&page_size=1")["results"][0]["created_at"]
    start = newest - 5 * MINUTE
    body = get(client, f"/v1/trades?market=ETH-USD-PERP&start_at={start}&end_at={newest}&page_size=1000")
    assert body["results"] and all(start <= t["created_at"] <= newest for t in body["results"])
    by_base = get(client, "/v1/trades?baseAsset=ETH&page_size=3")
    assert {t["market"] for t in by_base["results"]} == {"ETH-USD-PERP"}


@pytest.mark.parametrize("query,code", [
    ("", "INVALID_REQUEST_PARAMETER"),
    ("market=BTC-USD-PERP&page_size=0", "INVALID_REQUEST_PARAMETER"),
    ("market=BTC-USD-PERP&page_size=1001", "INVALID_REQUEST_PARAMETER"),
    ("market=BTC-USD-PERP&start_at=yesterday", "INVALID_REQUEST_PARAMETER"),
    ("market=BTC-USD-PERP&cursor=not-a-cursor", "INVALID_REQUEST_PARAMETER"),
    ("market=NOPE", "MARKET_NOT_FOUND"),
])
def test_trades_bad_input(client, query, code):
    assert get(client, f"/v1/trades?{query}", 400)["error"] == code


def test_klines_consistent_with_trades(client, exchange):
    exchange.advance(seconds=180)   # live trades on top of the backfill
    now = exchange.clock.now_ms()
    start = now - 30 * MINUTE
    body = get(client, f"/v1/markets/klines?symbol=BTC-USD-PERP&resolution=1&start_at={start}&end_at={now}")
    candles = body["results"]
    assert len(candles) >= 29
    trades = get(client, f"/v1/trades?market=BTC-USD-PERP&start_at={start - start % MINUTE}"
                         f"&end_at={now}&page_size=1000")["results"]
    by_minute = {}
    for t in reversed(trades):   # oldest first
        by_minute.setdefault(t["created_at"] - t["created_at"] % MINUTE, []).append(t)
    checked = 0
    for ts, o, h, l, c, v in candles:
        ts_trades = by_minute.get(ts)
        if not ts_trades:
            continue
        prices = [Decimal(t["price"]) for t in ts_trades]
        assert Decimal(str(o)) == prices[0] and Decimal(str(c)) == prices[-1]
        assert Decimal(str(h)) == max(prices) and Decimal(str(l)) == min(prices)
        assert Decimal(str(v)).quantize(Decimal("1e-8")) == sum(Decimal(t["size"]) for t in ts_trades)
        checked += 1
    assert checked >= 25


def test_klines_resolutions_and_full_day(client, exchange):
    now = exchange.clock.now_ms()
    day = get(client, f"/v1/markets/klines?symbol=ETH-USD-PERP&resolution=1&start_at={now - 86_400_000}&end_at={now}")
    assert len(day["results"]) >= 1440
    hourly = get(client, f"/v1/markets/klines?symbol=ETH-USD-PERP&resolution=60&start_at={now - 86_400_000}&end_at={now}")
    assert 24 <= len(hourly["results"]) <= 25
    for row in hourly["results"]:
        ts, o, h, l, c, v = row
        assert ts % 3_600_000 == 0 and l <= min(o, c) <= max(o, c) <= h and v > 0
    for res in (3, 5, 15, 30):
        r = get(client, f"/v1/markets/klines?symbol=ETH-USD-PERP&resolution={res}&start_at={now - 3_600_000}&end_at={now}")
        assert all(row[0] % (res * MINUTE) == 0 for row in r["results"])


def test_klines_mark_and_underlying_series(client, exchange):
    exchange.advance(seconds=150)
    now = exchange.clock.now_ms()
    st = exchange.states["BTC-USD-PERP"]

    def series(kind):
        q = f"symbol=BTC-USD-PERP&resolution=1&start_at={now - 10 * MINUTE}&end_at={now}"
        return get(client, f"/v1/markets/klines?{q}" + (f"&price_kind={kind}" if kind else ""))["results"]
    last, mark, index = series(None), series("mark"), series("underlying")
    assert series("index") == index and series("last") == last           # ccxt sends "index"
    # sampled every tick: the current minute closes at the current mark and index
    assert Decimal(str(mark[-1][4])) == st.mark_price and Decimal(str(index[-1][4])) == st.index_price
    assert all(row[5] == 0 for row in mark + index) and all(row[5] > 0 for row in last)
    assert [r[0] for r in mark] == [r[0] for r in index]
    assert mark != last and mark != index    # three series (a premium separates mark from index)
    for ts, o, h, l, c, v in mark + index:
        assert l <= min(o, c) <= max(o, c) <= h
    # the control API's price moves the index series at once
    exchange.set_price("BTC-USD-PERP", "50000")
    assert series("underlying")[-1][4] == 50000.0 and series("mark")[-1][4] == 50000.0


@pytest.mark.parametrize("query", [
    "resolution=1&start_at=0&end_at=1",                        # no symbol
    "symbol=BTC-USD-PERP&start_at=0&end_at=1",                 # no resolution
    "symbol=BTC-USD-PERP&resolution=7&start_at=0&end_at=1",    # unsupported resolution
    "symbol=BTC-USD-PERP&resolution=1&end_at=1",               # no start
    "symbol=BTC-USD-PERP&resolution=1&start_at=5&end_at=1",    # end before start
    "symbol=BTC-USD-PERP&resolution=1&start_at=0&end_at=1&price_kind=vwap",
])
def test_klines_bad_input(client, query):
    assert get(client, f"/v1/markets/klines?{query}", 400)["error"] == "INVALID_REQUEST_PARAMETER"


def test_funding_data(client):
    body = get(client, "/v1/funding/data?market=BTC-USD-PERP&page_size=10")
    openapi.validate_response("/v1/funding/data", "GET", 200, body)
    assert len(body["results"]) == 10 and body["next"]
    row = body["results"][0]
    assert row["market"] == "BTC-USD-PERP" and row["funding_period_hours"] == 8
    assert get(client, "/v1/funding/data", 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert get(client, "/v1/funding/data?market=NOPE", 400)["error"] == "MARKET_NOT_FOUND"


def test_insurance(client):
    body = get(client, "/v1/insurance")
    openapi.validate_response("/v1/insurance", "GET", 200, body)
    assert body["settlement_asset"] == "USDC"


def test_unknown_path_and_wrong_method(client):
    r = client.get("/v1/does/not/exist")
    assert r.status_code == 404 and r.get_json()["error"] == "NOT_FOUND"
    r = client.post("/v1/markets")
    assert r.status_code == 405 and r.get_json()["message"] == "Method Not Allowed"
    assert r.content_type.startswith("application/json")


def test_cors_headers(client):
    """Plain requests get the header from the mock's WSGI layer, everything else from flask-cors:
    the answers must be flask-cors's own (default options) either way."""
    def cors(r):
        return [(k, v) for k, v in r.headers if k.startswith(("Access-Control", "Vary"))]
    assert cors(client.get("/v1/markets")) == [("Access-Control-Allow-Origin", "*")]
    assert cors(client.get("/v1/does/not/exist")) == [("Access-Control-Allow-Origin", "*")]
    assert cors(client.get("/v1/markets", headers={"Origin": "http://example.test"})) == [
        ("Access-Control-Allow-Origin", "http://example.test"), ("Vary", "Origin")]
    pre = client.options("/v1/orders", headers={"Origin": "http://example.test",
                                                "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "authorization,content-type"})
    assert pre.status_code == 200
    h = dict(cors(pre))
    assert h["Access-Control-Allow-Origin"] == "http://example.test"
    assert "POST" in h["Access-Control-Allow-Methods"]
    assert h["Access-Control-Allow-Headers"] == "authorization, content-type"
    pna = client.options("/v1/orders", headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Private-Network": "true"})
    assert dict(cors(pna))["Access-Control-Allow-Private-Network"] == "false"


def test_every_api_answer_carries_its_duration(client):
    for r in (client.get("/v1/markets"), client.get("/v1/does/not/exist"), client.post("/v1/orders", json=[])):
        value = r.headers["Paradigm-Request-Duration"]
        assert value.endswith("ms") and float(value[:-2]) >= 0
    assert "Paradigm-Request-Duration" not in client.get("/_mock/journal").headers   # the control API is not Paradex


def test_same_seed_same_market_data():
    from paradex_mock.engine.clock import DEFAULT_MANUAL_START_MS
    from paradex_mock.http.app import create_app
    from support import make_config

    def run(seed):
        app = create_app(make_config(seed=seed, start_time_ms=DEFAULT_MANUAL_START_MS), start_ticker=False)
        ex = app.extensions["paradex_mock"].exchange
        ex.advance(ticks=20)
        c = app.test_client()
        return (c.get("/v1/orderbook/BTC-USD-PERP").get_data() + c.get("/v1/trades?market=SOL-USD-PERP").get_data()
                + c.get("/v1/markets/summary?market=ALL").get_data())

    assert run(7) == run(7)
    assert run(7) != run(8)
