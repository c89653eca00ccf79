"""ccxt, driven as a real user drives it (an Ethereum key, nothing patched but its URLs), trades on
the mock (issue 4): it derives its STARK key, authenticates (it never onboards), signs orders,
and every answer matches the server's own state. Runs in permissive and in strict auth mode.

ccxt signs an order with a whole-second timestamp (~35 ms of pure-Python signing each), so two
identical orders in the same second carry the same signed message; Paradex accepts both, and so
does the mock (its strict replay rule is an option, off by default)."""
from decimal import Decimal

import pytest

from paradex_mock.venues.paradex.auth import StarkSigner
from paradex_mock.config import Config
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.http.app import create_app
from paradex_mock.runner import HttpServer

ccxt = pytest.importorskip("ccxt")

# A fixed Ethereum key (web3's documentation example) and its address.
ETH_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ETH_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
SYMBOL, MARKET = "BTC/USD:USDC", "BTC-USD-PERP"


def serve(**overrides):
    cfg = dict(clock="manual", seed=42, http_port=0, ws_port=0, backfill_hours=0.5, control="on")
    app = create_app(Config(**dict(cfg, **overrides)), start_ticker=False)
    return HttpServer(app, "127.0.0.1", 0).start()


def client_for(server):
    ex = ccxt.paradex({"walletAddress": ETH_ADDRESS, "privateKey": ETH_PRIVATE_KEY, "timeout": 10_000})
    ex.urls["api"] = {"v1": server.url + "/v1", "v2": server.url + "/v2", "ws": "ws://127.0.0.1:1/v1"}
    return ex


@pytest.fixture(params=["permissive", "strict"])
def server(request):
    srv = serve(auth_mode=request.param)
    try:
        yield srv
    finally:
        srv.stop()


def test_ccxt_trades_with_its_own_keys(server):
    paradex = client_for(server)
    exchange = server.app.extensions["paradex_mock"].exchange
    paradex.load_markets()

    # ccxt's L1 -> L2 key derivation and the mock's address derivation agree
    stark = paradex.retrieve_account()
    address = hex(int(stark["address"], 16))
    assert StarkSigner(stark["privateKey"]).address_hex == address   # an int in ccxt
    assert address != DEMO_ACCOUNT

    balance = paradex.fetch_balance()              # POST /v1/auth (onboards on the fly), GET /balance
    acct = exchange.accounts[address]
    assert acct.onboarded and int(acct.public_key, 16) == int(stark["publicKey"], 16)
    assert balance["USDC"]["total"] == float(acct.balance) == 100_000

    book = exchange.books[MARKET]
    rest_price = float(int(book.best_bid() * Decimal("0.95")))
    resting = paradex.create_order(SYMBOL, "limit", "buy", 0.01, rest_price)
    assert resting["status"] == "open" and resting["price"] == rest_price and resting["amount"] == 0.01
    server_order = acct.orders[resting["id"]]
    assert server_order.status == "OPEN" and server_order.account == address

    open_orders = paradex.fetch_open_orders(SYMBOL)
    assert [o["id"] for o in open_orders] == [resting["id"]] == list(acct.open_orders)
    fetched = paradex.fetch_order(resting["id"], SYMBOL)
    assert fetched["status"] == "open" and fetched["remaining"] == 0.01 and fetched["filled"] == 0

    edited = paradex.edit_order(resting["id"], SYMBOL, "limit", "buy", 0.02, rest_price - 5)   # ModifyOrder
    assert edited["id"] == resting["id"] and edited["price"] == rest_price - 5 and edited["amount"] == 0.02
    assert server_order.price == Decimal(str(rest_price - 5)) and server_order.size == Decimal("0.02")

    paradex.cancel_order(resting["id"], SYMBOL)
    assert server_order.status == "CLOSED" and server_order.cancel_reason == "USER_CANCELED"
    assert paradex.fetch_order(resting["id"], SYMBOL)["status"] == "canceled"
    assert paradex.fetch_open_orders(SYMBOL) == []

    best_ask = float(book.best_ask())
    taker = paradex.create_order(SYMBOL, "market", "buy", 0.01)
    (fill,) = acct.fills
    assert fill.order_id == taker["id"] and fill.price >= Decimal(str(best_ask))
    filled = paradex.fetch_order(taker["id"], SYMBOL)
    assert filled["status"] == "closed" and filled["filled"] == 0.01 and filled["remaining"] == 0
    assert filled["average"] == float(fill.price)

    (trade,) = paradex.fetch_my_trades(SYMBOL)
    assert trade["id"] == fill.id and trade["order"] == taker["id"] and trade["side"] == "buy"
    assert trade["price"] == float(fill.price) and trade["amount"] == 0.01
    assert trade["takerOrMaker"] == "taker" and trade["fee"]["cost"] == float(fill.fee)

    (position,) = paradex.fetch_positions()
    assert position["symbol"] == SYMBOL and position["side"] == "long" and position["contracts"] == 0.01
    assert position["entryPrice"] == float(acct.positions[MARKET].avg_entry) == float(fill.price)

    assert paradex.fetch_balance()["USDC"]["total"] == float(acct.balance)
    assert acct.balance == 100_000 - fill.fee

    # two identical orders signed in the same second (ccxt's clock pinned): both rest, as on Paradex
    pinned = paradex.nonce()
    paradex.nonce = lambda: pinned
    first = paradex.create_order(SYMBOL, "limit", "buy", 0.01, rest_price - 10)
    second = paradex.create_order(SYMBOL, "limit", "buy", 0.01, rest_price - 10)
    del paradex.nonce
    assert first["id"] != second["id"] and set(acct.open_orders) == {first["id"], second["id"]}
    paradex.cancel_all_orders(SYMBOL)
    assert acct.open_orders == {} and paradex.fetch_open_orders(SYMBOL) == []
    assert {acct.orders[i].cancel_reason for i in (first["id"], second["id"])} == {"USER_CANCELED"}

    # nothing landed on the demo account, and no signed message is remembered (no replay rule)
    assert DEMO_ACCOUNT not in exchange.accounts or exchange.accounts[DEMO_ACCOUNT].orders == {}
    assert acct.used_signatures == {}

    # a crash below the long's liquidation price: ccxt sees the liquidation and the closing fill
    assert paradex.fetch_my_liquidations() == []
    exchange.fund(address, -(acct.balance - 50))           # leave 50 USDC behind the 0.01 BTC long
    liq = Decimal(paradex.fetch_positions()[0]["info"]["liquidation_price"])
    exchange.set_price(MARKET, str(liq - 100))
    (liquidation,) = paradex.fetch_my_liquidations()
    assert liquidation["timestamp"] == exchange.clock.now_ms()
    assert paradex.fetch_positions() == [] or paradex.fetch_positions()[0]["contracts"] == 0
    closing = paradex.fetch_my_trades(SYMBOL)[-1]
    assert closing["side"] == "sell" and closing["amount"] == 0.01 and closing["info"]["fill_type"] == "LIQUIDATION"


def test_ccxt_without_auto_onboard_must_onboard_first():
    server = serve(auth_mode="strict", auto_onboard=False)
    try:
        paradex = client_for(server)
        with pytest.raises(ccxt.BadRequest, match="NOT_ONBOARDED"):
            paradex.fetch_balance()
        paradex.onboarding()                          # ccxt's own onboarding call
        assert paradex.fetch_balance()["USDC"]["total"] == 100_000
        address = hex(int(paradex.retrieve_account()["address"], 16))
        assert server.app.extensions["paradex_mock"].exchange.accounts[address].onboarded
    finally:
        server.stop()


def test_ccxt_sees_a_refused_token_as_an_authentication_error():
    server = serve(auth_mode="strict")
    try:
        paradex = client_for(server)
        paradex.fetch_balance()
        paradex.options["authToken"] = "not.a.jwt"     # what a corrupted cache would send
        with pytest.raises(ccxt.AuthenticationError):
            paradex.fetch_balance()
    finally:
        server.stop()


def _control(server, path: str, body: dict) -> dict:
    import json
    import urllib.request
    req = urllib.request.Request(server.url + "/_mock" + path, method="POST", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def test_ccxt_sees_deposits_and_withdrawals_made_through_the_control_api():
    """The starting balance and every control-API funding are transfers on the record: ccxt's
    fetch_deposits / fetch_withdrawals / fetch_transfers (GET /transfers) see each with its amount,
    currency, status and the exchange-clock time it happened. ccxt 4.5.90's paradex has no
    fetch_ledger (``has['fetchLedger']`` is False)."""
    server = serve(auth_mode="strict")
    try:
        paradex = client_for(server)
        exchange = server.app.extensions["paradex_mock"].exchange
        assert paradex.has["fetchDeposits"] and paradex.has["fetchWithdrawals"] and not paradex.has["fetchLedger"]
        paradex.fetch_balance()                                  # authenticates: the account exists now
        address = hex(int(paradex.retrieve_account()["address"], 16))
        opened = exchange.accounts[address].created_at

        _control(server, "/clock/advance", {"seconds": 60})
        deposited_at = exchange.clock.now_ms()
        assert _control(server, f"/accounts/{address}/fund", {"amount": "2500.5"})["balance"] == "102500.5"
        _control(server, "/clock/advance", {"seconds": 60})
        withdrawn_at = exchange.clock.now_ms()
        assert _control(server, f"/accounts/{address}/fund", {"amount": "-1000"})["balance"] == "101500.5"

        deposits = paradex.fetch_deposits()
        assert [(d["type"], d["amount"], d["currency"], d["status"], d["timestamp"]) for d in deposits] == [
            ("deposit", 100000.0, "USDC", "ok", opened), ("deposit", 2500.5, "USDC", "ok", deposited_at)]
        assert deposits[1]["datetime"] == paradex.iso8601(deposited_at) and deposits[1]["address"] == address
        assert deposits[1]["txid"].startswith("0x") and deposits[1]["id"] != deposits[0]["id"]
        (withdrawal,) = paradex.fetch_withdrawals()
        assert (withdrawal["type"], withdrawal["amount"], withdrawal["currency"], withdrawal["status"],
                withdrawal["timestamp"]) == ("withdrawal", 1000.0, "USDC", "ok", withdrawn_at)
        assert [d["id"] for d in paradex.fetch_deposits(since=deposited_at)] == [deposits[1]["id"]]

        transfers = paradex.fetch_transfers()
        assert [(t["amount"], t["fromAccount"], t["toAccount"]) for t in transfers] == [
            (100000.0, "external", "account"), (2500.5, "external", "account"), (1000.0, "account", "external")]
        assert paradex.fetch_balance()["USDC"]["total"] == 101500.5
    finally:
        server.stop()
