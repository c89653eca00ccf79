"""ccxt, unpatched but for its URLs, reads the mock's public market data (issue: foundation)."""
import pytest

ccxt = pytest.importorskip("ccxt")


@pytest.fixture
def paradex(live_server):
    ex = ccxt.paradex({"timeout": 10_000})
    ex.urls["api"] = {"v1": live_server.url + "/v1", "v2": live_server.url + "/v2",
                      "ws": "ws://127.0.0.1:1/v1"}
    return ex


def test_ccxt_reads_public_market_data(paradex, live_server):
    markets = paradex.load_markets()
    assert "BTC/USD:USDC" in markets
    btc = markets["BTC/USD:USDC"]
    assert btc["id"] == "BTC-USD-PERP" and btc["swap"] and btc["settle"] == "USDC"
    assert btc["precision"]["price"] == 0.1 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 10

    exchange = live_server.app.extensions["paradex_mock"].exchange
    assert paradex.fetch_time() == exchange.clock.now_ms()

    ticker = paradex.fetch_ticker("BTC/USD:USDC")
    book = exchange.books["BTC-USD-PERP"]
    assert ticker["bid"] == float(book.best_bid()) and ticker["ask"] == float(book.best_ask())
    assert ticker["last"] > 0 and ticker["quoteVolume"] > 0

    tickers = paradex.fetch_tickers()
    assert {"BTC/USD:USDC", "ETH/USD:USDC", "SOL/USD:USDC"} <= set(tickers)

    ob = paradex.fetch_order_book("ETH/USD:USDC")
    assert ob["bids"][0][0] < ob["asks"][0][0] and len(ob["bids"]) == 20
    assert ob["nonce"] == exchange.books["ETH-USD-PERP"].seq_no

    trades = paradex.fetch_trades("BTC/USD:USDC", limit=50)
    assert len(trades) == 50 and all(t["price"] > 0 and t["amount"] > 0 for t in trades)
    assert trades[0]["timestamp"] <= trades[-1]["timestamp"]   # ccxt sorts ascending

    now = exchange.clock.now_ms()
    one_min = paradex.fetch_ohlcv("BTC/USD:USDC", "1m", since=now - 60 * 60_000, limit=30)
    assert len(one_min) == 30 and one_min[0][0] >= now - 60 * 60_000
    for ts, o, h, l, c, v in one_min:
        assert l <= min(o, c) <= max(o, c) <= h and v > 0
    hourly = paradex.fetch_ohlcv("BTC/USD:USDC", "1h", since=now - 20 * 3_600_000, limit=10)
    assert len(hourly) == 10 and all(r[0] % 3_600_000 == 0 for r in hourly)
    # price_kind=mark / price_kind=index (ccxt's word for Paradex's "underlying")
    for fetch, kind in ((paradex.fetch_mark_ohlcv, "mark"), (paradex.fetch_index_ohlcv, "index")):
        got = fetch("BTC/USD:USDC", "1m", since=now - 10 * 60_000, limit=10)
        want = {r[0]: [float(x) for x in r[1:]] for r in
                exchange.klines("BTC-USD-PERP", 1, now - 10 * 60_000, now, kind)}
        assert len(got) >= 9 and all(want[r[0]] == r[1:] for r in got), kind   # no tick yet this minute
        assert all(r[5] == 0 for r in got)     # sampled prices carry no volume

    fr = paradex.fetch_funding_rate("BTC/USD:USDC")
    assert fr["symbol"] == "BTC/USD:USDC" and fr["fundingRate"] is not None
    assert fr["markPrice"] > 0 and fr["interval"] == "8h"


def test_ccxt_maps_mock_errors(paradex):
    paradex.load_markets()
    with pytest.raises(ccxt.BadRequest):
        paradex.publicGetOrderbookMarket({"market": "NOPE-USD-PERP"})
