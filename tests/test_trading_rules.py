"""The exchange rules real traders hit (issue 14): price bands around mark, VWAP protection of
market orders, and what each exchange state (maintenance, cancel_only, post_only) allows."""
from decimal import Decimal

import pytest

from paradex_mock.engine.exchange import DEMO_ACCOUNT, PRICE_BAND_REASON, PRICE_PROTECTION_REASON
from paradex_mock.venues.paradex.orders import submit
from test_trading_support import BTC, assert_error, call, get, order, post_order, trading_app

D = Decimal


@pytest.fixture
def client():
    return trading_app().test_client()


def ex_of(client):
    return client.application.extensions["paradex_mock"].exchange


def limit(side, size, price, **extra):
    return dict(dict(market=BTC, side=side, type="LIMIT", size=str(size), price=str(price), instruction="GTC"), **extra)


def mark(client) -> Decimal:
    return ex_of(client).states[BTC].mark_price


def test_aggressive_order_outside_the_band_is_refused_and_a_passive_one_rests(client):
    ex = ex_of(client)
    m = mark(client)
    width = ex.markets[BTC].price_band_width
    assert width == D("0.05")            # fixtures/markets.json price_bands_width
    up = m * (1 + width)
    # a buy 6% over mark crosses the whole ask side: aggressive, outside the band -> refused
    ack = post_order(client, **limit("BUY", "0.01", (up * D("1.01")).quantize(D("1"))))
    closed = order(client, ack["id"])
    assert closed["status"] == "CLOSED" and closed["cancel_reason"] == PRICE_BAND_REASON
    assert closed["remaining_size"] == "0.01" and ex.accounts[DEMO_ACCOUNT].fills == []
    # a buy 6% under mark does not cross: passive, it rests
    ack = post_order(client, **limit("BUY", "0.01", (m * D("0.94")).quantize(D("1"))))
    assert order(client, ack["id"])["status"] == "OPEN"
    # a sell 6% under mark crosses the bids: refused; inside the band it trades
    ack = post_order(client, **limit("SELL", "0.01", (m * D("0.94")).quantize(D("1"))))
    assert order(client, ack["id"])["cancel_reason"] == PRICE_BAND_REASON
    ack = post_order(client, **limit("SELL", "0.01", (m * D("0.99")).quantize(D("1"))))
    done = order(client, ack["id"])
    assert done["status"] == "CLOSED" and done["cancel_reason"] == "" and done["remaining_size"] == "0"


def test_market_order_stops_at_the_band_edge(client):
    ex = ex_of(client)
    m = mark(client)
    maker = "0xb0b"
    ex.fund(maker, "10000000")
    far = (m * D("1.06")).quantize(D("1"))   # a resting sell beyond the band
    submit(ex, maker, limit("SELL", "1", far))
    ex.fund(DEMO_ACCOUNT, "100000000")
    ex.accounts[DEMO_ACCOUNT].max_slippage[BTC] = D("1")      # VWAP out of the way: only the band binds
    ladder = sum(s for _, s in ex.books[BTC].asks.depth(1000)) - 1
    ack = post_order(client, market=BTC, side="BUY", type="MARKET", size=str(ladder + 1))
    done = order(client, ack["id"])
    assert done["status"] == "CLOSED" and done["cancel_reason"] == "REMAINING_IOC_CANCEL"
    assert D(done["remaining_size"]) == 1                      # the sell beyond the band is untouched
    prices = [D(f.price) for f in ex.accounts[DEMO_ACCOUNT].fills]
    assert prices and max(prices) <= m * D("1.05") and ex.accounts[maker].fills == []


def test_market_order_average_price_is_capped_by_max_slippage(client):
    ex = ex_of(client)
    ex.fund(DEMO_ACCOUNT, "100000000")
    best_ask = ex.books[BTC].best_ask()
    acct = ex.accounts[DEMO_ACCOUNT]
    acct.max_slippage[BTC] = D("0.0002")                       # 2 bp over the best ask
    ack = post_order(client, market=BTC, side="BUY", type="MARKET", size="50")
    done = order(client, ack["id"])
    filled = D(done["size"]) - D(done["remaining_size"])
    assert 0 < filled < 50 and done["cancel_reason"] == "REMAINING_IOC_CANCEL"
    notional = sum(f.price * f.size for f in acct.fills)
    assert sum(f.size for f in acct.fills) == filled
    cap = best_ask * D("1.0002")
    assert notional / filled <= cap
    # it stopped for the cap, not for want of liquidity inside the band: one more step at the
    # next ask would have passed the cap
    step, nxt = ex.markets[BTC].step, ex.books[BTC].best_ask()
    assert nxt <= ex.states[BTC].mark_price * D("1.05")
    assert (notional + step * nxt) / (filled + step) > cap


def test_maintenance_refuses_orders_and_cancels_but_answers_reads(client):
    resting = post_order(client, **limit("BUY", "0.01", (mark(client) * D("0.9")).quantize(D("1"))))
    call(client, "POST", "/_mock/system/state", 200, {"status": "maintenance"})
    assert get(client, "/v1/system/state") == {"status": "maintenance"}
    assert_error(post_order(client, 503, **limit("BUY", "0.01", "50000")), "SERVICE_UNAVAILABLE")
    assert_error(call(client, "DELETE", f"/v1/orders/{resting['id']}", 503), "SERVICE_UNAVAILABLE")
    assert_error(call(client, "DELETE", "/v1/orders", 503), "SERVICE_UNAVAILABLE")
    assert order(client, resting["id"])["status"] == "OPEN"
    assert get(client, "/v1/balance")["results"]


def test_cancel_only_and_post_only(client):
    ex = ex_of(client)
    resting = post_order(client, **limit("BUY", "0.01", (mark(client) * D("0.9")).quantize(D("1"))))
    call(client, "POST", "/_mock/system/state", 200, {"status": "cancel_only"})
    assert_error(post_order(client, 400, **limit("BUY", "0.01", "50000", instruction="POST_ONLY")),
                 "SYSTEM_STATUS_CANCEL_ONLY")
    assert call(client, "DELETE", f"/v1/orders/{resting['id']}", 204) is None
    call(client, "POST", "/_mock/system/state", 200, {"status": "post_only"})
    assert_error(post_order(client, 400, **limit("BUY", "0.01", "50000")), "SYSTEM_STATUS_POST_ONLY")
    fair = ex.states[BTC].index_price
    ok = post_order(client, **limit("BUY", "0.01", (fair * D("0.99")).quantize(D("1")), instruction="POST_ONLY"))
    assert order(client, ok["id"])["status"] == "OPEN"
    # priced through the fair price by more than 5 bps: cancelled by the price protection
    bad = post_order(client, **limit("BUY", "0.01", (fair * D("1.001")).quantize(D("1")), instruction="POST_ONLY"))
    assert order(client, bad["id"])["cancel_reason"] == PRICE_PROTECTION_REASON
    bad = post_order(client, **limit("SELL", "0.01", (fair * D("0.999")).quantize(D("1")), instruction="POST_ONLY"))
    assert order(client, bad["id"])["cancel_reason"] == PRICE_PROTECTION_REASON
    assert [o.id for o in ex.accounts[DEMO_ACCOUNT].open_orders.values()] == [ok["id"]]


def test_stops_and_liquidations_wait_for_normal_trading(client):
    ex = ex_of(client)
    m = mark(client)
    stop = post_order(client, market=BTC, side="SELL", type="STOP_MARKET", size="0.01",
                      trigger_price=str((m * D("0.97")).quantize(D("1"))))
    call(client, "POST", "/_mock/system/state", 200, {"status": "post_only"})
    ex.set_price(BTC, str((m * D("0.95")).quantize(D("1"))))
    assert order(client, stop["id"])["status"] == "UNTRIGGERED"
    call(client, "POST", "/_mock/system/state", 200, {"status": "ok"})
    ex.set_price(BTC, str((m * D("0.95")).quantize(D("1"))))
    assert order(client, stop["id"])["status"] == "CLOSED"
