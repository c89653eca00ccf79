"""An adapter test written against the mock's pytest fixture (see README, "Testing your adapter").

Run it with: python -m pytest examples/test_my_adapter.py
"""
import ccxt
import pytest
import requests   # comes with ccxt


@pytest.mark.paradex_mock(seed=7)          # any paradex_mock.config.Config field
def test_resting_order_fills_when_the_market_moves(paradex_mock):
    exchange = ccxt.paradex()                       # your adapter, pointed at the mock
    exchange.urls["api"] = paradex_mock.ccxt_urls()
    bid = exchange.fetch_ticker("BTC/USD:USDC")["bid"]

    # permissive mode (the default): a private call without a JWT acts as the demo account
    order = requests.post(paradex_mock.api_url + "/orders", json={
        "market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.01",
        "price": str(round(bid * 0.99, 1))}).json()

    paradex_mock.advance(seconds=10)                # the clock is manual: only the test moves it
    assert requests.get(f"{paradex_mock.api_url}/orders/{order['id']}").json()["status"] == "OPEN"

    paradex_mock.set_price("BTC-USD-PERP", round(bid * 0.97, 1))   # the market falls through it
    filled = requests.get(f"{paradex_mock.api_url}/orders/{order['id']}").json()
    assert filled["status"] == "CLOSED" and filled["remaining_size"] == "0"
