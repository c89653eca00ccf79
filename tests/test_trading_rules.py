"""The exchange rules real traders hit (issue 14): price bands around mark, VWAP protection of
market orders, and what each exchange state (maintenance, cancel_only, post_only) allows."""
from decimal import Decimal

import pytest

from paradex_mock.engine.exchange import PRICE_BAND_REASON, PRICE_PROTECTION_REASON
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
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
    eth = "ETH-USD-PERP"     # its whole book fits in one order (BTC's is deeper than max_order_size)
    m = ex.states[eth].mark_price
    maker = "0xb0b"
    ex.fund(maker, "10000000")
    far = (m * D("1.06")).quantize(D("1"))   # a resting sell beyond the band
    submit(ex, maker, dict(limit("SELL", "1", far), market=eth))
    ex.fund(DEMO_ACCOUNT, "100000000")
    ex.accounts[DEMO_ACCOUNT].max_slippage[eth] = D("1")      # VWAP out of the way: only the band binds
    inside = sum(s for p, s in ex.books[eth].asks.depth(1000) if p < far)
    assert inside + 1 <= ex.markets[eth].max_order_size
    ack = post_order(client, market=eth, side="BUY", type="MARKET", size=str(inside + 1))
    done = order(client, ack["id"])
    assert done["status"] == "CLOSED" and done["cancel_reason"] == "REMAINING_IOC_CANCEL"
    assert D(done["remaining_size"]) == 1                      # the sell beyond the band is untouched
    prices = [D(f.price) for f in ex.accounts[DEMO_ACCOUNT].fills]
    assert prices and max(prices) <= m * D("1.05") and ex.accounts[maker].fills == []
    assert [p for p, _ in ex.books[eth].asks.depth(5)] == [D(far)]


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


def test_backfilled_mark_and_index_are_their_own_series(client):
    now = ex_of(client).clock.now_ms()
    q = f"symbol={BTC}&resolution=1&start_at={now - 25 * 60_000}&end_at={now - 5 * 60_000}"
    rows = {k: get(client, f"/v1/markets/klines?{q}&price_kind={k}")["results"] for k in ("last", "mark", "underlying")}
    assert len(rows["last"]) == len(rows["mark"]) == len(rows["underlying"]) >= 20
    closes = {k: [D(str(r[4])) for r in v] for k, v in rows.items()}
    assert closes["mark"] != closes["last"] and closes["underlying"] != closes["last"]
    assert closes["mark"] != closes["underlying"]
    for k in ("mark", "underlying"):      # close to the trades' prices all the same (a few bp)
        assert all(abs(a - b) / b < D("0.005") for a, b in zip(closes[k], closes["last"]))


def test_derived_amounts_are_quantised_and_cross_leverage_is_the_setting(client):
    post_order(client, market=BTC, side="BUY", type="MARKET", size="0.0123")
    post_order(client, market=BTC, side="BUY", type="MARKET", size="0.0101")
    ex_of(client).advance(seconds=5)
    (p,) = get(client, "/v1/positions")["results"]
    for k in ("average_entry_price", "unrealized_pnl", "unrealized_funding_pnl", "cost", "cached_funding_index"):
        assert len(p[k].partition(".")[2]) <= (12 if k == "cached_funding_index" else 8), (k, p[k])
    assert p["leverage"] == "50"          # BTC imf_base 0.02: the default cross leverage
    call(client, "POST", f"/v1/account/margin/{BTC}", 200, {"leverage": 10, "margin_type": "CROSS"})
    assert get(client, "/v1/positions")["results"][0]["leverage"] == "10"
    acct = get(client, "/v1/account")
    assert all(len(acct[k].partition(".")[2]) <= 8 for k in ("account_value", "free_collateral", "margin_cushion"))
