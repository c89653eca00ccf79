"""The second design document's example, as it is written there: an async fixture that creates a
Binance mock server, adds trading pairs, starts it and stops it; a candle feed (here ccxt, and a
raw WebSocket client subscribing the way hb-candles-feed does) pointed at its own port.

Run it with: python -m pytest examples/test_seed004_binance.py
"""
import asyncio
import json
import threading

import ccxt
import pytest
import websockets

from paradex_mock.testing import ExchangeType, create_mock_server, point_ccxt

pytestmark = pytest.mark.anyio       # anyio's pytest plugin runs the async fixture and tests


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def binance_mock_server():
    """Create and start a Binance mock server for testing."""
    server = create_mock_server(
        exchange_type=ExchangeType.BINANCE_SPOT,
        host="127.0.0.1",
        port=0,                       # the document uses 8080; 0 picks a free port
    )

    # Add some trading pairs
    server.add_trading_pair("BTCUSDT", "1m", 50000.0)
    server.add_trading_pair("ETHUSDT", "1m", 3000.0)

    # Start the server
    url = await server.start()
    assert url == f"http://{server.host}:{server.port}"

    yield server

    # Clean up
    await server.stop()


async def test_candles_feed_with_mock_server(binance_mock_server):
    server = binance_mock_server
    base_url = f"http://{server.host}:{server.port}"
    exchange = point_ccxt(ccxt.binance({"options": {"fetchMarkets": {"types": ["spot"]}}}), base_url)

    candles = exchange.fetch_ohlcv("BTC/USDT", "1m", limit=100)
    assert len(candles) == 100
    assert all(c[0] % 60_000 == 0 for c in candles) and candles == sorted(candles)
    assert 45_000 < candles[-1][4] < 55_000           # around the price the pair was added at

    # the live feed, as hb-candles-feed subscribes to it: exactly /ws, then SUBSCRIBE
    async with websockets.connect(server.ws_url) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m"], "id": 1}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"result": None, "id": 1}
        ticking = threading.Thread(target=server.advance, kwargs={"seconds": 3})   # the manual clock moves
        ticking.start()
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        ticking.join()
    k = event["k"]
    assert event["e"] == "kline" and event["s"] == "BTCUSDT" and k["i"] == "1m"
    assert k["t"] % 60_000 == 0 and k["T"] == k["t"] + 59_999
    assert float(k["l"]) <= float(k["c"]) <= float(k["h"])


async def test_network_conditions_are_seeded_faults(binance_mock_server):
    server = binance_mock_server
    exchange = point_ccxt(ccxt.binance({"options": {"fetchMarkets": {"types": ["spot"]}}}), server.url)
    server.set_network_conditions(error_rate=1.0)
    with pytest.raises(ccxt.OperationFailed):         # Binance's -1001 (a 500): ccxt may retry it
        exchange.fetch_time()
    server.set_network_conditions()                   # all clear
    assert exchange.fetch_time() == server.exchange.clock.now_ms()
