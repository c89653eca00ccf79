"""Market maker protection (Paradex docs: Trading -> Market Maker Protections; the API's
/account/mmp routes): MMP-flagged orders' maker fills trip the protection, which cancels the
account's MMP orders on the base asset (MMP_TRIGGERED) and closes new ones (MMP_FROZEN) until the
freeze ends or a reset; the `mmp` channel carries each state change. Manual clock throughout."""
import asyncio
from decimal import Decimal

import pytest

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.engine.models import Order
from paradex_mock.ws.testing import RpcClient, Stack, rest
from test_trading_support import BTC, call, get, post_order, trading_app

D = Decimal
TAKER = "0x777"
ETH = "ETH-USD-PERP"


def take(ex, side, size, market=BTC):
    """Another account's market order (the demo account's resting orders are the makers)."""
    req = Order(id="", account="", market=market, side=side, type="MARKET", size=D(size), price=D(0))
    return ex.submit_order(TAKER, req)[0]


def mmp_sell(c, price, size="0.03", mmp=True):
    flags = ["MMP"] if mmp else []
    return post_order(c, market=BTC, side="SELL", type="LIMIT", size=size, price=str(price), flags=flags)


def status(c, order_id):
    o = get(c, f"/v1/orders/{order_id}")
    return o["status"], o["cancel_reason"]


def config(c, base="BTC"):
    rows = get(c, f"/v1/account/mmp?base_asset={base}")["results"]
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_mmp_trips_on_maker_fills_cancels_freezes_and_thaws():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    set_ = call(c, "POST", "/v1/account/mmp/BTC", 200,
                {"interval_ms": 1000, "frozen_time_ms": 5000, "size_limit": "0.05"})
    assert set_ == {"base_asset": "BTC", "interval_ms": 1000, "frozen_time_ms": 5000, "size_limit": "0.05",
                    "delta_limit": "0", "vega_limit": "0", "protect_block_trades": False, "is_frozen": False,
                    "frozen_until": 0, "window_size": "0", "window_delta": "0", "window_vega": "0",
                    "updated_at": ex.clock.now_ms()}
    ask = ex.books[BTC].best_ask()
    p1, p2, p3 = (ask - D("0.3"), ask - D("0.2"), ask - D("0.1"))
    a, b, mmp3 = mmp_sell(c, p1), mmp_sell(c, p2), mmp_sell(c, p3)
    plain = mmp_sell(c, p3, mmp=False)
    # a taker's 0.07 fills 0.03 at p1, then 0.03 at p2: the window holds 0.06 > 0.05, the protection
    # trips, the MMP order at p3 goes before the taker reaches it and the plain one behind it fills
    taker = take(ex, "BUY", "0.07")
    assert taker.remaining == 0
    assert status(c, a["id"]) == status(c, b["id"]) == ("CLOSED", "")
    assert status(c, mmp3["id"]) == ("CLOSED", "MMP_TRIGGERED")
    assert get(c, f"/v1/orders/{mmp3['id']}")["remaining_size"] == "0.03"
    rest_plain = get(c, f"/v1/orders/{plain['id']}")
    assert (rest_plain["status"], rest_plain["remaining_size"]) == ("OPEN", "0.02")
    tripped_at = ex.clock.now_ms()
    cfg = config(c)
    assert (cfg["is_frozen"], cfg["frozen_until"], cfg["window_size"], cfg["window_delta"]) == \
        (True, tripped_at + 5000, "0.06", "-0.06")
    # frozen: a new MMP order is accepted and closed at once; orders without the flag trade on
    frozen = mmp_sell(c, ask + 50)
    assert frozen["status"] == "NEW" and status(c, frozen["id"]) == ("CLOSED", "MMP_FROZEN")
    assert status(c, mmp_sell(c, ask + 50, mmp=False)["id"]) == ("OPEN", "")
    # a reset within a second of the trip is refused
    r = call(c, "POST", "/v1/account/mmp/reset", 400, {"base_asset": "BTC"})
    assert r["error"] == "MMP_MIN_FREEZE_NOT_ELAPSED"
    ex.advance(seconds=4.9)
    assert config(c)["is_frozen"] is True
    ex.advance(seconds=0.1)
    cfg = config(c)
    assert (cfg["is_frozen"], cfg["frozen_until"], cfg["window_size"]) == (False, 0, "0")
    assert status(c, mmp_sell(c, ask + 50)["id"]) == ("OPEN", "")


def test_the_window_slides_and_only_maker_fills_count():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    call(c, "POST", "/v1/account/mmp/BTC", 200, {"interval_ms": 1000, "frozen_time_ms": 0, "delta_limit": "0.04"})
    ask = ex.books[BTC].best_ask()
    first = mmp_sell(c, ask - D("0.1"))
    take(ex, "BUY", "0.03")
    ex.advance(seconds=1)                        # that fill leaves the window
    assert config(c)["window_delta"] == "0"
    second = mmp_sell(c, ask - D("0.1"))
    take(ex, "BUY", "0.03")
    assert config(c)["is_frozen"] is False and status(c, second["id"]) == ("CLOSED", "")
    # an MMP order that crosses the book is not counted (it is the taker)
    post_order(c, market=BTC, side="BUY", type="MARKET", size="0.05", flags=["MMP"])
    assert config(c)["window_delta"] == "-0.03" and status(c, first["id"]) == ("CLOSED", "")
    # a buy maker fill offsets a sell one: the net delta is what trips
    bid = ex.books[BTC].best_bid()
    mmp_buy = post_order(c, market=BTC, side="BUY", type="LIMIT", size="0.01", price=str(bid + D("0.1")),
                         flags=["MMP"])
    take(ex, "SELL", "0.01")
    assert status(c, mmp_buy["id"]) == ("CLOSED", "") and config(c)["window_delta"] == "-0.02"
    resting = mmp_sell(c, ask + 100)
    other = post_order(c, market=ETH, side="SELL", type="LIMIT", size="0.1", price="99999", flags=["MMP"])
    assert status(c, other["id"]) == ("CLOSED", "MMP_NOT_CONFIGURED")   # ETH has no config
    mmp_sell(c, ask - D("0.1"))
    take(ex, "BUY", "0.03")                      # -0.05: |delta| > 0.04
    assert status(c, resting["id"]) == ("CLOSED", "MMP_TRIGGERED")
    cfg = config(c)
    assert cfg["is_frozen"] is True and cfg["frozen_until"] == 0           # frozen_time_ms 0: until a reset
    ex.advance(seconds=5)
    assert config(c)["is_frozen"] is True
    done = call(c, "POST", "/v1/account/mmp/reset", 200, {})
    assert done["results"] == [{"base_asset": "BTC", "reset_at": ex.clock.now_ms()}]
    assert (config(c)["is_frozen"], config(c)["window_delta"]) == (False, "0")
    assert status(c, mmp_sell(c, ask + 100)["id"]) == ("OPEN", "")


def test_removing_the_config_cancels_mmp_orders_with_mmp_disabled():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    assert get(c, "/v1/account/mmp") == {"account": DEMO_ACCOUNT, "enabled": True, "results": []}
    assert status(c, mmp_sell(c, 99999)["id"]) == ("CLOSED", "MMP_NOT_CONFIGURED")
    call(c, "POST", "/v1/account/mmp/ETH", 200, {"interval_ms": 100, "frozen_time_ms": 100, "size_limit": "1"})
    call(c, "POST", "/v1/account/mmp/BTC", 200, {"interval_ms": 100, "frozen_time_ms": 100, "size_limit": "1"})
    assert [r["base_asset"] for r in get(c, "/v1/account/mmp")["results"]] == ["BTC", "ETH"]
    mmp, plain = mmp_sell(c, 99999), mmp_sell(c, 99999, mmp=False)
    call(c, "DELETE", "/v1/account/mmp/BTC", 204)
    assert status(c, mmp["id"]) == ("CLOSED", "MMP_DISABLED") and status(c, plain["id"]) == ("OPEN", "")
    call(c, "DELETE", "/v1/account/mmp/BTC", 204)          # none: still a success
    assert [r["base_asset"] for r in get(c, "/v1/account/mmp")["results"]] == ["ETH"]
    assert ex.mmp.get(DEMO_ACCOUNT, "BTC") is None


@pytest.fixture(scope="module")
def client():
    """One app for the refusals: none of them may change anything."""
    return trading_app().test_client()


@pytest.mark.parametrize("path,body,code", [
    ("/v1/account/mmp/BTC", {"frozen_time_ms": 0, "size_limit": "1"}, "VALIDATION_ERROR"),        # no interval
    ("/v1/account/mmp/BTC", {"interval_ms": 99, "frozen_time_ms": 0, "size_limit": "1"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 3_600_001, "size_limit": "1"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": "100", "frozen_time_ms": 0, "size_limit": "1"}, "BINDING_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": True, "frozen_time_ms": 0, "size_limit": "1"}, "BINDING_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0}, "VALIDATION_ERROR"),       # no limit
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "vega_limit": "1"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": "0.00001"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": "-1"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": "NaN"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": 1}, "BINDING_ERROR"),
    ("/v1/account/mmp/BTC", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": "1",
                             "protect_block_trades": "yes"}, "BINDING_ERROR"),
    ("/v1/account/mmp/NOPE", {"interval_ms": 100, "frozen_time_ms": 0, "size_limit": "1"}, "VALIDATION_ERROR"),
    ("/v1/account/mmp/BTC", ["not", "an", "object"], "BINDING_ERROR"),
    ("/v1/account/mmp/reset", {"base_asset": 7}, "BINDING_ERROR"),
    ("/v1/account/mmp/reset", {"base_asset": "NOPE"}, "VALIDATION_ERROR"),
])
def test_bad_mmp_input_gets_paradex_error_shape(client, path, body, code):
    c = client
    r = call(c, "POST", path, 400, body)
    assert set(r) == {"error", "message", "data"} and r["error"] == code and r["message"]
    assert get(c, "/v1/account/mmp")["results"] == []          # nothing was stored


def test_bad_mmp_json_and_delete_of_unknown_base(client):
    c = client
    assert call(c, "POST", "/v1/account/mmp/BTC", 400, raw="{")["error"] == "BINDING_ERROR"
    assert call(c, "DELETE", "/v1/account/mmp/NOPE", 400)["error"] == "VALIDATION_ERROR"
    assert call(c, "GET", "/v1/account/mmp/BTC", 405) is not None


def test_mmp_channel_carries_the_trip_and_the_thaw():
    async def main(s):
        async with RpcClient(s.ws_url) as ws:
            await ws.call("auth", {"bearer": "valid_mock_token"})
            await ws.subscribe("mmp")
            st, cfg = rest(s.http_url, "POST", "/v1/account/mmp/BTC",
                           {"interval_ms": 1000, "frozen_time_ms": 2000, "size_limit": "0.01"})
            assert st == 200
            assert await ws.notification("mmp") == cfg
            ask = s.exchange.books[BTC].best_ask()
            st, order = rest(s.http_url, "POST", "/v1/orders", {"market": BTC, "side": "SELL", "type": "LIMIT",
                                                                 "size": "0.02", "price": str(ask - D("0.1")),
                                                                 "flags": ["MMP"]})
            assert st == 201
            take(s.exchange, "BUY", "0.011")
            tripped = await ws.notification("mmp", where=lambda d: d["is_frozen"])
            assert tripped["window_size"] == "0.011" and tripped["frozen_until"] == s.exchange.clock.now_ms() + 2000
            assert rest(s.http_url, "GET", f"/v1/orders/{order['id']}")[1]["cancel_reason"] == "MMP_TRIGGERED"
            s.exchange.advance(seconds=2)
            thawed = await ws.notification("mmp", where=lambda d: not d["is_frozen"])
            assert thawed == rest(s.http_url, "GET", "/v1/account/mmp")[1]["results"][0]
    with Stack() as s:
        asyncio.run(asyncio.wait_for(main(s), 30))
