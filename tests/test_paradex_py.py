"""paradex-py 0.8.2, the official Paradex SDK, driven the way a user drives it against the mock:
``Paradex(env, l1_address, l2_private_key, api_base_url=..., ws_url_override=...)`` and nothing
else patched. It loads /system/config, derives its account address, authenticates with the
NOT_ONBOARDED -> POST /onboarding -> auth bootstrap (fact sheet §14), reads market data and
account state, trades (limit, modify, cancel, market, batch, bulk cancels) and listens on its
WebSocket client. Every answer is checked against the exchange's own state (``mock.exchange``)
and, where paradex-py ships one, against its own generated response model.

Installing paradex-py: its dependency ``starknet-crypto-py`` is a Rust extension that cannot be
built offline, so paradex-py is installed with ``pip install --no-deps`` and this module puts the
pure-Python stand-in ``tests/shims/starknet_crypto_py`` on ``sys.path`` (only when the real one is
missing; see the shim's docstring). Without paradex-py the module is skipped.

The mock runs with the manual clock, ``auth_mode="strict"`` and ``auto_onboard=False``, as the
real exchange treats a key that never onboarded. paradex-py times its JWT refresh and its 429
back-off by the wall clock, so these tests never move the manual clock far from it; the
rate-limit test runs the mock on the real clock.
"""
import asyncio
import hashlib
import importlib.util
import sys
import time
from decimal import Decimal
from pathlib import Path
from paradex_mock.venues.paradex import views

import pytest

# Stand-ins for the two dependencies that cannot (starknet-crypto-py: a Rust build) or need not
# (ledgereth: hardware wallets) be installed here; appended, so installed packages win.
if importlib.util.find_spec("starknet_crypto_py") is None or importlib.util.find_spec("ledgereth") is None:
    sys.path.append(str(Path(__file__).resolve().parent / "shims"))

try:
    import jwt
    from paradex_py import Paradex
    from paradex_py.api.generated import responses as pyschema
    from paradex_py.api.ws_client import ParadexWebsocketChannel as Channel
    from paradex_py.api.ws_client import WsRpcError
    from paradex_py.common.order import Order, OrderSide, OrderType
except ImportError as exc:  # pragma: no cover - depends on the environment
    pytest.skip(f"paradex-py is not importable ({exc}): python install_deps.py --test installs it",
                allow_module_level=True)

from paradex_mock.venues.paradex import views
from paradex_mock.venues.paradex.auth.stark import EC_ORDER, derive_address, public_key_from_private
from paradex_mock.testing import MockParadex
from support import paradex_markets

MARKET = "BTC-USD-PERP"
L1_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
# web3's documentation key; paradex-py derives its STARK key from it by EIP-712 (eth-account)
ETH_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
MOCK = dict(auth_mode="strict", auto_onboard=False, seed=42, backfill_hours=2.0)


def l2_key(name: str) -> int:
    """A STARK private key of its own for every test: every test trades on a fresh account."""
    return int.from_bytes(hashlib.sha256(f"paradex-py {name}".encode()).digest(), "big") % EC_ORDER


def make_paradex(mock, key: int = None, **kwargs) -> "Paradex":
    kw = dict(env="testnet", l1_address=L1_ADDRESS, api_base_url=mock.api_url,
              ws_url_override=mock.ws_url, ws_direct_url_override=mock.ws_url)
    if key is not None:
        kw["l2_private_key"] = hex(key)
    kw.update(kwargs)
    return Paradex(**kw)


def account_of(mock, paradex):
    return mock.exchange.accounts[hex(paradex.account.l2_address)]


def far_limit(mock, side: OrderSide, size="0.01", factor="0.1", **kw) -> Order:
    """A limit order ``factor`` away from the touch: it rests and never fills."""
    bbo = views.bbo(mock.exchange.book_update(MARKET, 1))
    f = Decimal(factor)
    price = Decimal(bbo["bid"]) * (1 - f) if side == OrderSide.Buy else Decimal(bbo["ask"]) * (1 + f)
    return Order(market=MARKET, order_type=OrderType.Limit, order_side=side, size=Decimal(size),
                 limit_price=price.quantize(Decimal("1")), **kw)


def market_order(side: OrderSide, size="0.01", **kw) -> Order:
    return Order(market=MARKET, order_type=OrderType.Market, order_side=side, size=Decimal(size), **kw)


def conforms(model, obj: dict) -> dict:
    """paradex-py's generated pydantic model accepts the payload (enums, types)."""
    model.model_validate(obj)
    return obj


@pytest.fixture(scope="module")
def mock():
    with MockParadex(**MOCK) as m:
        yield m


@pytest.fixture
def paradex(mock, request):
    return make_paradex(mock, l2_key(request.node.name))


# --------------------------------------------------------------------------- the shim itself
def test_starknet_crypto_py_in_use_matches_reference_vectors():
    """Whichever ``starknet_crypto_py`` paradex-py imported (the shim here) agrees with the real
    package's own test vectors and with starknet-py's crypto-cpp signer."""
    import starknet_crypto_py as scp
    from starknet_py.hash.utils import message_signature, verify_message_signature

    priv = 2708384690123958484688745363115889726043588718997906908187752842753359350371
    pub = 1673729114437878727516854592246827335452530539480870878860719335128967723895
    assert scp.get_public_key(priv) == pub
    assert scp.pedersen_hash(0, 0) == \
        2089986280348253421170679821480865132823066470938446095505822317253594081284
    assert scp.pedersen_hash(1, 1) == \
        1321142004022994845681377299801403567378503530250467610343381590909832171180
    r, s = scp.sign(private_key=priv, msg_hash=4660, seed=123)
    assert (r, s) == tuple(message_signature(4660, priv, seed=123))
    assert verify_message_signature(4660, [r, s], pub)
    assert scp.verify(public_key=pub, msg_hash=4660, r=r, s=s)
    assert not scp.verify(public_key=pub, msg_hash=4661, r=r, s=s)


# --------------------------------------------------------------------------- config and account
def test_system_config_and_account_bootstrap(mock):
    key = l2_key("bootstrap")
    mock.control.clear_journal()
    p = make_paradex(mock, key)
    # paradex-py's strict SystemConfig load and its chain-id enum accepted the mock's config
    cfg = mock.state.venue_state["paradex"].system_config
    assert p.config.starknet_chain_id == cfg["starknet_chain_id"] == "PRIVATE_SN_POTC_SEPOLIA"
    assert p.config.paraclear_decimals == int(cfg["paraclear_decimals"]) == 8
    assert p.config.paraclear_account_proxy_hash == cfg["paraclear_account_proxy_hash"]
    assert [t.symbol for t in p.config.bridged_tokens] == [t["symbol"] for t in cfg["bridged_tokens"]]

    # the address paradex-py derives locally is the one the mock derives and onboarded
    pub = public_key_from_private(key)
    address = derive_address(pub, int(cfg["paraclear_account_proxy_hash"], 16),
                             int(cfg["paraclear_account_hash"], 16))
    assert p.account.l2_public_key == pub and p.account.l2_address == address
    acct = mock.exchange.accounts[hex(address)]
    assert acct.onboarded and int(acct.public_key, 16) == pub

    # fact sheet §14: config, auth -> NOT_ONBOARDED, onboarding, auth again (on /auth/{pubkey})
    calls = [(e["method"], e["path"], e["status"]) for e in mock.journal()]
    assert calls == [("GET", "/v1/system/config", 200),
                     ("POST", f"/v1/auth/{hex(pub)}", 400),
                     ("POST", "/v1/onboarding", 200),
                     ("POST", f"/v1/auth/{hex(pub)}", 200)]

    # the JWT it keeps is the mock's, for this account, and rides on every REST call
    token = p.account.jwt_token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert int(claims["sub"], 16) == address and claims["exp"] - claims["iat"] == 300
    assert p.api_client.client.headers["Authorization"] == f"Bearer {token}"

    # a second client on the same key: the account exists now, so auth succeeds at once
    mock.control.clear_journal()
    again = make_paradex(mock, key)
    assert again.account.l2_address == address
    assert [e["path"] for e in mock.journal()] == ["/v1/system/config", f"/v1/auth/{hex(pub)}"]


def test_bootstrap_pieces_one_by_one(mock):
    """The same bootstrap with ``auto_auth=False``, calling paradex-py's own steps."""
    p = make_paradex(mock, l2_key("pieces"), auto_auth=False)
    with pytest.raises(ValueError, match="NOT_ONBOARDED"):
        p.api_client.auth()
    assert hex(p.account.l2_address) not in mock.exchange.accounts or \
        not mock.exchange.accounts[hex(p.account.l2_address)].onboarded
    p.api_client.onboarding()
    p.api_client.auth()
    assert account_of(mock, p).onboarded
    assert p.api_client.fetch_balances()["results"][0]["size"] == "100000"


def test_l1_key_and_server_derived_address(mock):
    """The two other ways paradex-py finds its account: the STARK key derived from an Ethereum
    key (EIP-712 with eth-account), and ``server_derive_address`` (GET /onboarding first)."""
    p = make_paradex(mock, l1_private_key=ETH_PRIVATE_KEY, auth_params={"token_usage": "interactive"})
    acct = account_of(mock, p)
    assert acct.onboarded and int(acct.public_key, 16) == p.account.l2_public_key
    assert mock.journal(path="/v1/auth")[-1]["query"] == "token_usage=interactive"

    key = l2_key("server-derived")
    mock.control.clear_journal()
    q = make_paradex(mock, key, server_derive_address=True)
    pub = public_key_from_private(key)
    assert [(e["method"], e["path"], e["status"]) for e in mock.journal()][1:] == [
        ("GET", "/v1/onboarding", 200), ("POST", "/v1/onboarding", 200),
        ("POST", f"/v1/auth/{hex(pub)}", 200)]
    assert account_of(mock, q).onboarded
    info = q.api_client.fetch_onboarding({"account_signer_type": "starknet", "public_key": hex(pub)})
    conforms(pyschema.GetOnboardingResp, info)
    assert info["exists"] is True and int(info["address"], 16) == q.account.l2_address


# --------------------------------------------------------------------------- public market data
def test_public_market_data(mock, paradex):
    api, ex = paradex.api_client, mock.exchange
    markets = api.fetch_markets()["results"]
    assert [m["symbol"] for m in markets] == list(paradex_markets(ex))
    for m in markets:
        conforms(pyschema.MarketResp, m)
        spec = ex.markets[m["symbol"]]
        assert Decimal(m["price_tick_size"]) == spec.tick and Decimal(m["order_size_increment"]) == spec.step
    assert api.fetch_markets({"market": MARKET})["results"] == [markets[0]]

    summaries = api.fetch_markets_summary({"market": "ALL"})["results"]
    assert sorted(s["symbol"] for s in summaries) == sorted(paradex_markets(ex))
    (summary,) = api.fetch_markets_summary({"market": MARKET})["results"]
    conforms(pyschema.MarketSummaryResp, summary)
    assert summary == views.market_summary(ex.stats(MARKET))

    book = api.fetch_orderbook(MARKET, {"depth": 5})
    assert book == views.orderbook(ex.book_update(MARKET, 5), 5) and len(book["bids"]) == len(book["asks"]) == 5
    bbo = conforms(pyschema.BBOResp, api.fetch_bbo(MARKET))
    assert bbo == views.bbo(ex.book_update(MARKET, 1))
    assert [bbo["bid"], bbo["bid_size"]] == book["bids"][0] and [bbo["ask"], bbo["ask_size"]] == book["asks"][0]

    page = api.fetch_trades({"market": MARKET, "page_size": 5})
    assert len(page["results"]) == 5 and page["next"]
    expected = [views.trade(t) for t in ex.trades_between(MARKET, None, None)[:5]]
    assert [conforms(pyschema.TradeResult, t) for t in page["results"]] == expected
    more = api.fetch_trades({"market": MARKET, "page_size": 5, "cursor": page["next"]})
    assert [t["id"] for t in more["results"]] == [t.id for t in ex.trades_between(MARKET, None, None)[5:10]]

    now = ex.clock.now_ms()
    klines = api.fetch_klines(symbol=MARKET, resolution="5", start_at=now - 3600_000, end_at=now)["results"]
    rows = ex.klines(MARKET, 5, now - 3600_000, now)
    assert klines == [[r[0]] + [float(x) for x in r[1:]] for r in rows] and len(klines) >= 12
    assert all(len(k) == 6 and k[0] % 300_000 == 0 for k in klines)

    funding = api.fetch_funding_data({"market": MARKET, "page_size": 3})["results"]
    assert funding == [views.funding_data(r) for r in ex.funding_rows(MARKET, None, None)[:3]]
    assert api.fetch_system_state() == {"status": ex.system_state}
    assert api.fetch_system_time() == {"server_time": str(now)}
    conforms(pyschema.InsuranceAccountResp, api.fetch_insurance_fund())


# --------------------------------------------------------------------------- account state
def test_account_summary_balances_positions(mock, paradex):
    api = paradex.api_client
    acct = account_of(mock, paradex)
    summary = api.fetch_account_summary()         # marshmallow AccountSummarySchema, strict
    assert summary.account == acct.address and summary.settlement_asset == "USDC"
    assert summary.status == "ACTIVE" and Decimal(summary.account_value) == acct.balance == 100_000
    assert Decimal(summary.free_collateral) == 100_000 and summary.initial_margin_requirement == "0"
    assert summary.updated_at == mock.exchange.clock.now_ms() and summary.seq_no > 0
    assert api.fetch_balances() == {"results": [views.balance(acct)]}
    assert api.fetch_positions() == {"results": []}
    (info,) = api.fetch_account_info()["results"]
    assert info["account"] == acct.address and int(info["public_key"], 16) == paradex.account.l2_public_key


# --------------------------------------------------------------------------- trading over REST
def test_order_lifecycle(mock, paradex):
    api, ex = paradex.api_client, mock.exchange
    acct = account_of(mock, paradex)

    # a limit far below the market: acknowledged NEW (201), then resting OPEN
    order = far_limit(mock, OrderSide.Buy, client_id="py-limit-1")
    placed = conforms(pyschema.OrderResp, api.submit_order(order))
    oid = placed["id"]
    server = acct.orders[oid]
    assert placed["status"] == "NEW" and placed["account"] == acct.address
    assert placed["side"] == "BUY" and placed["type"] == "LIMIT" and placed["client_id"] == "py-limit-1"
    assert Decimal(placed["price"]) == order.limit_price == server.price and placed["size"] == "0.01"
    assert placed["timestamp"] == order.signature_timestamp     # the signed timestamp comes back
    assert server.status == "OPEN" and list(acct.open_orders) == [oid]

    assert api.fetch_orders({"market": MARKET}) == {"results": [views.order(server)]}
    assert api.fetch_order(oid) == views.order(server)
    assert api.fetch_order_by_client_id("py-limit-1") == views.order(server)

    # modify (PUT, ModifyOrder signature): new size and price, same id
    new_price = order.limit_price - 50
    modified = api.modify_order(oid, Order(
        market=MARKET, order_type=OrderType.Limit, order_side=OrderSide.Buy, size=Decimal("0.02"),
        limit_price=new_price, client_id="py-limit-1", order_id=oid))
    assert modified["id"] == oid and modified["size"] == "0.02" and Decimal(modified["price"]) == new_price
    assert server.size == Decimal("0.02") and server.price == new_price and server.status == "OPEN"

    # cancel: 204 -> None; the order is CLOSED / USER_CANCELED and GET /orders/{id} still finds it
    assert api.cancel_order(oid) is None
    assert server.status == "CLOSED" and server.cancel_reason == "USER_CANCELED"
    assert api.fetch_order(oid)["status"] == "CLOSED" and api.fetch_orders()["results"] == []

    # a market buy: it fills at once against the book's asks
    best_ask = Decimal(views.bbo(ex.book_update(MARKET, 1))["ask"])
    taken = api.submit_order(market_order(OrderSide.Buy, "0.01"))
    mkt = acct.orders[taken["id"]]
    assert taken["status"] == "NEW" and taken["type"] == "MARKET" and taken["price"] == "0"
    assert mkt.status == "CLOSED" and mkt.cancel_reason == "" and mkt.remaining == 0

    fills = api.fetch_fills({"market": MARKET})
    assert fills["results"] == [views.fill(f) for f in reversed(acct.fills)]
    (fill,) = [conforms(pyschema.FillResult, f) for f in fills["results"]]
    assert fill["order_id"] == taken["id"] and fill["liquidity"] == "TAKER" and fill["side"] == "BUY"
    assert Decimal(fill["price"]) == best_ask and fill["size"] == "0.01"

    (pos,) = api.fetch_positions()["results"]
    conforms(pyschema.PositionResp, pos)
    assert pos["market"] == MARKET and pos["side"] == "LONG" and pos["size"] == "0.01"
    assert Decimal(pos["average_entry_price"]) == best_ask == acct.positions[MARKET].avg_entry
    (bal,) = api.fetch_balances()["results"]
    assert Decimal(bal["size"]) == acct.balance == 100_000 - Decimal(fill["fee"])
    summary = api.fetch_account_summary()
    assert Decimal(summary.initial_margin_requirement) > 0 and Decimal(summary.account_value) < 100_000

    history = api.fetch_orders_history({"market": MARKET})
    assert history["next"] is None and [o["id"] for o in history["results"]] == [taken["id"], oid]
    assert [conforms(pyschema.OrderResp, o)["status"] for o in history["results"]] == ["CLOSED", "CLOSED"]
    assert api.fetch_orders_history({"client_id": "py-limit-1"})["results"][0]["cancel_reason"] == "USER_CANCELED"


def test_batches_and_bulk_cancels(mock, paradex):
    api = paradex.api_client
    acct = account_of(mock, paradex)
    orders = [far_limit(mock, OrderSide.Buy, client_id=f"py-batch-{i}", factor=f"0.1{i}") for i in range(3)]
    orders.append(far_limit(mock, OrderSide.Sell, size="0.000001", client_id="py-batch-bad"))
    batch = conforms(pyschema.BatchResponse, api.submit_orders_batch(orders))   # one POST, a JSON array
    assert [o["client_id"] for o in batch["orders"]] == ["py-batch-0", "py-batch-1", "py-batch-2"]
    assert [e["error"] for e in batch["errors"] if e] == ["INVALID_ORDER_SIZE"]
    ids = [o["id"] for o in batch["orders"]]
    assert set(acct.open_orders) == set(ids)

    # DELETE /orders/batch with a JSON body: two by id, one by client id, one unknown
    res = api.cancel_orders_batch(order_ids=ids[:2], client_order_ids=["py-batch-2", "no-such-order"])
    conforms(pyschema.CancelOrderBatchResponse, res)
    by_client = {r.get("client_id"): r["status"] for r in res["results"]}
    assert by_client == {"py-batch-0": "QUEUED_FOR_CANCELLATION", "py-batch-1": "QUEUED_FOR_CANCELLATION",
                         "py-batch-2": "QUEUED_FOR_CANCELLATION", "no-such-order": "NOT_FOUND"}
    assert acct.open_orders == {} and all(acct.orders[i].cancel_reason == "USER_CANCELED" for i in ids)

    # cancel by client id (paradex-py sends no market), then cancel-all for one market
    api.submit_order(far_limit(mock, OrderSide.Sell, client_id="py-cid"))
    assert api.cancel_order_by_client_id("py-cid") is None
    assert acct.client_ids["py-cid"].status == "CLOSED" and acct.open_orders == {}
    for i in range(2):
        api.submit_order(far_limit(mock, OrderSide.Sell, client_id=f"py-all-{i}", factor=f"0.1{i}"))
    assert len(api.fetch_orders()["results"]) == 2
    api.cancel_all_orders({"market": MARKET})
    assert acct.open_orders == {} and api.fetch_orders()["results"] == []


def test_errors_reach_the_user_as_paradex_py_errors(mock, paradex):
    """paradex-py loads every error body with its ApiError schema ({error, message, data})."""
    api = paradex.api_client
    oid = api.submit_order(far_limit(mock, OrderSide.Buy))["id"]
    api.cancel_order(oid)
    with pytest.raises(ValueError, match="ApiError\\(error='ORDER_IS_CLOSED'"):
        api.cancel_order(oid)
    with pytest.raises(ValueError, match="ApiError\\(error='ORDER_ID_NOT_FOUND'"):
        api.fetch_order("1")
    with pytest.raises(ValueError, match="ApiError\\(error='CLIENT_ORDER_ID_NOT_FOUND'"):
        api.fetch_order_by_client_id("never-used")
    with pytest.raises(ValueError, match="ApiError\\(error='INVALID_ORDER_SIZE'"):
        api.submit_order(market_order(OrderSide.Buy, "0.000001"))
    with pytest.raises(ValueError, match="ApiError\\(error='MARKET_NOT_FOUND'"):
        api.fetch_bbo("NOPE-USD-PERP")


def test_rate_limits_are_retried_by_paradex_py():
    """paradex-py's DefaultRetryStrategy waits until X-RateLimit-Reset (unix seconds) on a 429 and
    retries: with 2 private GETs a second, five in a row all succeed, some after a 429."""
    with MockParadex(**dict(MOCK, clock="real", backfill_hours=0.2)) as mock:
        p = make_paradex(mock, l2_key("rate-limits"))
        mock.configure_rate_limits(limits={"private_get": [{"limit": 2, "window_s": 1}]})
        t0 = time.monotonic()
        for _ in range(5):
            assert p.api_client.fetch_balances()["results"][0]["token"] == "USDC"
        assert time.monotonic() - t0 < 10
        statuses = [e["status"] for e in mock.journal(path="/v1/balance")]
        assert statuses.count(429) >= 1 and statuses.count(200) == 5
        assert p.api_client.last_rate_limit.limit == 2


# --------------------------------------------------------------------------- WebSocket
async def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for WebSocket messages")
        await asyncio.sleep(0.01)


def test_ws_client_public_and_private_channels(mock, paradex):
    ex = mock.exchange
    acct = account_of(mock, paradex)
    received = {}

    async def on_message(channel, message):
        assert message["method"] == "subscription" and isinstance(channel, Channel)
        received.setdefault(message["params"]["channel"], []).append(message["params"]["data"])

    async def run():
        ws = paradex.ws_client
        assert await ws.connect()                          # handshake, then the auth RPC
        await ws.subscribe(Channel.TRADES, on_message, {"market": MARKET})
        await ws.subscribe(Channel.ORDER_BOOK, on_message, {"market": MARKET})
        await ws.subscribe(Channel.BBO, on_message, {"market": MARKET})
        await ws.subscribe(Channel.ORDERS, on_message, {"market": "ALL"})
        await ws.subscribe(Channel.FILLS, on_message, {"market": MARKET})
        await ws.subscribe(Channel.POSITIONS, on_message)
        await ws.subscribe(Channel.ACCOUNT, on_message)
        book_ch = f"order_book.{MARKET}.snapshot@15@100ms"
        expected = {f"trades.{MARKET}", book_ch, f"bbo.{MARKET}", "orders.ALL", f"fills.{MARKET}",
                    "positions", "account"}
        await wait_for(lambda: set(ws.get_subscriptions()) == expected)

        # the book and BBO channels start with the current state
        await wait_for(lambda: book_ch in received and f"bbo.{MARKET}" in received)
        snapshot = received[book_ch][0]
        assert snapshot["update_type"] == "s" and snapshot["market"] == MARKET
        view = views.orderbook(ex.book_update(MARKET, 15), 15)
        assert [[lv["price"], lv["size"]] for lv in snapshot["inserts"] if lv["side"] == "BUY"] == view["bids"]
        assert [[lv["price"], lv["size"]] for lv in snapshot["inserts"] if lv["side"] == "SELL"] == view["asks"]
        assert received[f"bbo.{MARKET}"][0] == views.bbo(ex.book_update(MARKET, 1))

        # a market buy over REST shows up on every channel
        taken = await asyncio.to_thread(paradex.api_client.submit_order, market_order(OrderSide.Buy, "0.02"))
        oid = taken["id"]
        await wait_for(lambda: any(o["id"] == oid and o["status"] == "CLOSED" for o in received.get("orders.ALL", ()))
                       and "positions" in received and "account" in received and f"fills.{MARKET}" in received
                       and f"trades.{MARKET}" in received)
        updates = [o for o in received["orders.ALL"] if o["id"] == oid]
        assert [o["status"] for o in updates] == ["NEW", "CLOSED"]
        assert updates[-1] == views.order(acct.orders[oid])
        fills = [f for f in acct.fills if f.order_id == oid]
        assert [f["id"] for f in received[f"fills.{MARKET}"]] == [f.id for f in fills]
        trade_ids = {t["id"] for t in received[f"trades.{MARKET}"]}
        assert {f.trade_id for f in fills} <= trade_ids
        assert received["positions"][-1]["size"] == "0.02" and received["positions"][-1]["side"] == "LONG"
        assert received["account"][-1]["account"] == acct.address

        # the book moved: a later snapshot no longer shows the ask the order took
        mock.advance(seconds=1)
        await wait_for(lambda: received[book_ch][-1]["inserts"] != snapshot["inserts"])

        await ws.unsubscribe_by_name(f"bbo.{MARKET}")
        await ws.close()

    asyncio.run(run())


def test_ws_sbe_negotiation_and_direct_client(mock):
    """``ws_sbe_enabled`` connects with ``?sbeSchemaId=1&sbeSchemaVersion=2``; the mock sends the
    data channels as SBE binary frames, which paradex-py decodes with its own generated decoder
    (schema 1:2) into the same values. The direct client (no account) gets public data and is
    refused private channels."""
    p = make_paradex(mock, l2_key("sbe"), ws_sbe_enabled=True)
    got = {}

    async def on_message(channel, message):
        got.setdefault(message["params"]["channel"], []).append(message["params"]["data"])

    async def run():
        for ws in (p.ws_client, p.ws_direct_client):
            assert await ws.connect()
        await p.ws_client.subscribe(Channel.BBO, on_message, {"market": MARKET})
        await p.ws_direct_client.subscribe(Channel.MARKETS_SUMMARY, on_message)   # markets_summary.ALL
        await p.ws_direct_client.subscribe(Channel.ORDERS, on_message, {"market": "ALL"})
        await wait_for(lambda: f"bbo.{MARKET}" in got and "markets_summary.ALL" in got)
        await asyncio.sleep(0.2)
        assert "orders.ALL" not in p.ws_direct_client.get_subscriptions()
        for ws in (p.ws_client, p.ws_direct_client):
            await ws.close()

    asyncio.run(run())
    bbo, want = got[f"bbo.{MARKET}"][0], views.bbo(mock.exchange.book_update(MARKET, 1))
    assert bbo["market"] == MARKET and bbo["seq_no"] == want["seq_no"] and bbo["timestamp"] == want["last_updated_at"]
    for sbe_key, key in (("bid_price", "bid"), ("bid_size", "bid_size"), ("ask_price", "ask"), ("ask_size", "ask_size")):
        assert Decimal(bbo[sbe_key]) == Decimal(want[key])
    assert {s["market"] for s in got["markets_summary.ALL"]} == set(paradex_markets(mock.exchange))


def test_ws_every_channel_of_the_enum_subscribes(mock, paradex):
    """Every ``ParadexWebsocketChannel`` with paradex-py's default parameters is accepted (the
    mock emits nothing on funding_rate_comparison, block_trades, mmp, tradebusts, transaction and
    transfers, but it must not refuse them)."""
    async def ignore(channel, message):
        pass

    async def run():
        ws = paradex.ws_client
        assert await ws.connect()
        for ch in Channel:
            await ws.subscribe(ch, ignore, {"market": MARKET} if "{market}" in ch.value else {})
        await ws.subscribe_by_name("funding_rate_comparison.ALL@500ms", ignore)
        await ws.subscribe_by_name(f"order_book.{MARKET}.deltas@15@50ms@1", ignore)
        try:
            await wait_for(lambda: set(ws.get_subscriptions()) == set(ws.callbacks))
        finally:
            await ws.close()
        return set(ws.callbacks)

    names = asyncio.run(run())
    assert {"funding_rate_comparison.ALL@1000ms", "block_trades", "mmp", "transaction",
            f"order_book.{MARKET}.snapshot@15@100ms", f"markets_summary.{MARKET}"} <= names


def test_ws_order_rpcs(mock, paradex):
    acct = account_of(mock, paradex)

    async def run():
        ws = paradex.ws_client
        assert await ws.connect()
        try:
            result = await ws.submit_order(far_limit(mock, OrderSide.Buy, client_id="py-ws-1"))
            oid = result["order"]["id"]
            assert acct.orders[oid].status == "OPEN" and result["created_at"] == result["order"]["created_at"]
            conforms(pyschema.OrderResp, result["order"])
            # modify: ModifyOrder signature, same id, new size and price
            order = acct.orders[oid]
            new_price = order.price - 50
            modified = await ws.modify_order(oid, Order(
                market=MARKET, order_type=OrderType.Limit, order_side=OrderSide.Buy, size=Decimal("0.02"),
                limit_price=new_price, client_id="py-ws-1", order_id=oid))
            assert modified["order"]["id"] == oid and order.size == Decimal("0.02") and order.price == new_price
            assert (await ws.cancel_order(oid))["status"] == "QUEUED_FOR_CANCELLATION"
            assert acct.orders[oid].status == "CLOSED"
            # batch (paradex-py sends a bare array), cancel by client id, batch cancel, cancel all
            # (sizes differ: identical orders signed in the same millisecond are one signed message,
            # refused as a replay; the client_id is not signed)
            batch = await ws.submit_orders_batch([far_limit(mock, OrderSide.Buy, size=f"0.0{i + 1}",
                                                            client_id=f"py-ws-b{i}") for i in range(3)])
            ids = [r["order"]["id"] for r in batch["results"]]
            assert [acct.orders[i].client_id for i in ids] == ["py-ws-b0", "py-ws-b1", "py-ws-b2"]
            assert (await ws.cancel_order_by_client_id("py-ws-b0", MARKET))["order_id"] == ids[0]
            results = (await ws.cancel_orders_batch([ids[1]]))["results"]
            assert results == [{"id": ids[1], "market": MARKET, "status": "QUEUED_FOR_CANCELLATION"}]
            assert await ws.cancel_all_orders(MARKET) == {"status": "ok"}
            assert [acct.orders[i].status for i in ids] == ["CLOSED"] * 3 and not acct.open_orders
            assert await ws.cancel_on_disconnect(True) == {"enabled": True}
            # a refusal raises WsRpcError with the Paradex code in its data
            with pytest.raises(WsRpcError) as err:
                await ws.cancel_order("404")
            assert err.value.code == 100 and err.value.data.startswith("ORDER_ID_NOT_FOUND")
        finally:
            await ws.close()

    asyncio.run(run())
