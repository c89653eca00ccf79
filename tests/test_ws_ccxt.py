"""ccxt.pro, unpatched but for its URLs (with its default SBE option or without), reads the
mock's WebSocket API: order book, trades and ticker, and, authenticated with an Ethereum key as a
real user does, watch_orders shows an order it created over REST."""
import asyncio

import pytest

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.ws.testing import Stack, async_wait_until, rest
from paradex_mock.venues.paradex.orders import submit

ccxt_pro = pytest.importorskip("ccxt.pro")

ETH_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ETH_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
SYMBOL, MARKET = "BTC/USD:USDC", "BTC-USD-PERP"


@pytest.fixture(scope="module", params=["permissive", "strict"])
def stack(request):
    with Stack(auth_mode=request.param) as s:
        yield s


def client(stack, sbe=False, **extra):
    ex = ccxt_pro.paradex({"options": {"sbe": sbe}, "timeout": 10_000, **extra})
    ex.urls["api"] = {"v1": stack.http_url + "/v1", "v2": stack.http_url + "/v2", "ws": stack.ws_url}
    return ex


# sbe=True is ccxt.pro's default: it connects with ?sbeSchemaId=1&sbeSchemaVersion=3 and gets
# the data channels as SBE binary frames (tests/test_ws_sbe.py compares the two paths value for value)
@pytest.mark.parametrize("sbe", [False, True])
def test_ccxt_pro_public_watchers(stack, sbe):
    async def main():
        ex = client(stack, sbe=sbe)
        try:
            ob = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 15)
            status, book = rest(stack.http_url, "GET", f"/v1/orderbook/{MARKET}?depth=15")
            assert ob["nonce"] == book["seq_no"] and ob["symbol"] == SYMBOL
            assert ob["bids"][:15] == [[float(p), float(s)] for p, s in book["bids"]]
            assert ob["asks"][:15] == [[float(p), float(s)] for p, s in book["asks"]]

            ticker = await asyncio.wait_for(ex.watch_ticker(SYMBOL), 10)
            status, summary = rest(stack.http_url, "GET", f"/v1/markets/summary?market={MARKET}")
            s = summary["results"][0]
            assert ticker["symbol"] == SYMBOL and ticker["bid"] == float(s["bid"]) and ticker["ask"] == float(s["ask"])
            assert ticker["last"] == float(s["last_traded_price"])

            watching = asyncio.ensure_future(ex.watch_trades(SYMBOL))
            await async_wait_until(lambda: stack.ws.subscribers(f"trades.{MARKET}") == 1, timeout=10)
            submit(stack.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET",
                                                       "size": "0.01"})          # someone else trades
            trades = await asyncio.wait_for(watching, 10)
            latest = rest(stack.http_url, "GET", f"/v1/trades?market={MARKET}")[1]["results"]
            assert trades and trades[-1]["id"] in {t["id"] for t in latest}
            assert trades[-1]["symbol"] == SYMBOL and trades[-1]["side"] == "buy"

            # the book moves: the next watch_order_book shows the new REST book
            stack.exchange.advance(ticks=1)
            book = rest(stack.http_url, "GET", f"/v1/orderbook/{MARKET}?depth=15")[1]
            while ob["nonce"] < book["seq_no"]:
                ob = await asyncio.wait_for(ex.watch_order_book(SYMBOL), 10)
            assert ob["nonce"] == book["seq_no"] and ob["bids"][0] == [float(x) for x in book["bids"][0]]
        finally:
            await ex.close()
    asyncio.run(main())


def test_ccxt_pro_watch_orders_with_auth(stack):
    async def main():
        ex = client(stack, walletAddress=ETH_ADDRESS, privateKey=ETH_PRIVATE_KEY)
        try:
            await ex.load_markets()
            watching = asyncio.ensure_future(ex.watch_orders(SYMBOL))
            await async_wait_until(lambda: stack.ws.subscribers(f"orders.{MARKET}") == 1, timeout=15,
                                   what="ccxt's authenticated orders subscription")
            price = float(int(float(stack.exchange.books[MARKET].best_bid()) * 0.9))
            created = await ex.create_order(SYMBOL, "limit", "buy", 0.01, price)      # signed, over REST
            orders = await asyncio.wait_for(watching, 10)
            assert created["id"] in [o["id"] for o in orders]

            def latest():     # ccxt's cache of what the orders channel delivered
                return [o for o in ex.orders if o["id"] == created["id"]][-1]
            await async_wait_until(lambda: latest()["info"]["status"] == "OPEN", timeout=10)
            mine = latest()
            status, got = rest(stack.http_url, "GET", f"/v1/orders/{created['id']}",
                               headers={"Authorization": f"Bearer {await ex.authenticate_rest()}"})
            assert status == 200 and mine["info"] == got
            assert mine["status"] == "open" and mine["symbol"] == SYMBOL
            assert mine["price"] == price and mine["amount"] == 0.01
            await ex.cancel_order(created["id"], SYMBOL)
            await async_wait_until(lambda: latest()["status"] == "canceled", timeout=10)
            assert latest()["info"]["cancel_reason"] == "USER_CANCELED"
        finally:
            await ex.close()
    asyncio.run(main())
