"""Private trading through REST, whole scenarios: orders, fills, fees, positions, balance, margin,
triggers, funding, modify, batches and the seed's aliases. Every amount is checked Decimal-exact
against fixtures/markets.json; responses are validated against Paradex's OpenAPI schemas."""
from decimal import Decimal
from paradex_mock.venues.paradex.orders import order_request


def req(body):
    return order_request(body, lambda market: True)

import pytest

import openapi
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from test_trading_support import (BTC, ETH, ZERO, Rules, app, balance, book, call, fills, get,  # noqa: F401
                                  history, open_orders, order, position_size, positions, post_order,
                                  trading_app)

D = Decimal
R = Rules(BTC)
B_ACCT = "0xb0b"


def limit(side, size, price, **extra):
    return dict(dict(market=BTC, side=side, type="LIMIT", size=str(size), price=str(price), instruction="GTC"), **extra)


def market(side, size, **extra):
    return dict(market=BTC, side=side, type="MARKET", size=str(size), **extra)


def fills_oldest_first(client, query=""):
    return list(reversed(fills(client, query)))


def order_fills(client, order_id):
    return [f for f in fills_oldest_first(client) if f["order_id"] == order_id]


# ------------------------------------------------------------------ resting, cancel, lookups
def test_rest_far_from_market_then_cancel(client, exchange):
    start = balance(client)
    bids, asks = book(client)
    price = bids[0][0] - 5000
    ack = post_order(client, **limit("BUY", "0.1", price, client_id="rest-1"))
    openapi.validate_response("/v1/orders", "POST", 201, ack, strict=True)
    assert ack["status"] == "NEW" and ack["remaining_size"] == "0.1" and ack["avg_fill_price"] == ""
    assert ack["account"] == DEMO_ACCOUNT and ack["price"] == str(price) and ack["cancel_reason"] == ""
    assert ack["client_id"] == "rest-1" and ack["trigger_price"] == "0" and ack["flags"] == []
    oid = ack["id"]
    assert len(oid) == 28 and oid.isdigit()

    listed = get(client, "/v1/orders")
    openapi.validate_response("/v1/orders", "GET", 200, listed, strict=True)
    (o,) = listed["results"]
    assert o["id"] == oid and o["status"] == "OPEN" and o["remaining_size"] == "0.1"
    assert o["seq_no"] > ack["seq_no"]
    one = order(client, oid)
    openapi.validate_response(f"/v1/orders/{oid}", "GET", 200, one, strict=True)
    assert one == o
    assert get(client, "/v1/orders/by_client_id/rest-1") == o
    assert get(client, f"/v1/orders?market={BTC}")["results"] == [o]
    assert get(client, f"/v1/orders?market={ETH}")["results"] == []
    bids_after, _ = book(client)
    assert (price, D("0.1")) in bids_after

    call(client, "DELETE", f"/v1/orders/{oid}", 204)
    closed = order(client, oid)
    assert closed["status"] == "CLOSED" and closed["cancel_reason"] == "USER_CANCELED"
    assert closed["remaining_size"] == "0.1" and closed["avg_fill_price"] == ""
    assert closed["seq_no"] > o["seq_no"]
    assert open_orders(client) == []
    hist = get(client, "/v1/orders-history")
    openapi.validate_response("/v1/orders-history", "GET", 200, hist, strict=True)
    assert [h["id"] for h in hist["results"]] == [oid] and hist["results"][0] == closed
    assert [h["id"] for h in history(client, "&status=CLOSED")] == [oid]
    assert history(client, "&status=OPEN") == []
    assert (price, D("0.1")) not in book(client)[0]
    assert balance(client) == start and fills(client) == []


def test_cancel_by_client_id(client):
    price = book(client)[0][0][0] - 3000
    post_order(client, **limit("BUY", "0.01", price, client_id="cid-7"))
    call(client, "DELETE", f"/v1/orders/by_client_id/cid-7?market={BTC}", 204)
    o = get(client, "/v1/orders/by_client_id/cid-7")
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "USER_CANCELED"
    # a closed order's client_id may be used again; the lookup then finds the new order
    again = post_order(client, **limit("BUY", "0.02", price, client_id="cid-7"))
    assert get(client, "/v1/orders/by_client_id/cid-7")["id"] == again["id"]


# ------------------------------------------------------------------ crossing the spread
def test_marketable_limit_sweeps_levels(client):
    start = balance(client)
    _, asks = book(client)
    size = asks[0][1] + D("0.1")              # all of the best level and part of the next
    ack = post_order(client, **limit("BUY", size, asks[1][0]))
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "" and o["remaining_size"] == "0"
    expected = [(asks[0][0], asks[0][1]), (asks[1][0], D("0.1"))]
    fs = get(client, "/v1/fills")
    openapi.validate_response("/v1/fills", "GET", 200, fs, strict=True)
    got = list(reversed(fs["results"]))
    assert [(D(f["price"]), D(f["size"])) for f in got] == expected
    total_fee = ZERO
    for f, (p, q) in zip(got, expected):
        assert f["order_id"] == ack["id"] and f["side"] == "BUY" and f["liquidity"] == "TAKER"
        assert f["market"] == BTC and f["fee_currency"] == "USDC" and f["fill_type"] == "FILL"
        assert D(f["fee"]) == q * p * R.taker_fee
        assert f["realized_pnl"] == "0" and f["account"] == DEMO_ACCOUNT
        total_fee += D(f["fee"])
    assert [f["remaining_size"] for f in got] == ["0.1", "0"]
    notional = sum(p * q for p, q in expected)
    assert D(o["avg_fill_price"]) == (notional / size).quantize(D("1e-8"))     # Paradex prints 8 places
    pos = get(client, "/v1/positions")
    openapi.validate_response("/v1/positions", "GET", 200, pos, strict=True)
    (p,) = pos["results"]
    assert p["market"] == BTC and p["side"] == "LONG" and p["status"] == "OPEN"
    assert D(p["size"]) == size and D(p["average_entry_price"]) == (notional / size).quantize(D("1e-8"))
    assert p["id"] == f"{DEMO_ACCOUNT}-{BTC}" and p["last_fill_id"] == got[-1]["id"]
    assert balance(client) == start - total_fee
    # the book lost exactly what was taken
    _, asks_after = book(client)
    assert asks_after[0] == (asks[1][0], asks[1][1] - D("0.1"))


def test_market_order_then_close_realizes_pnl(client, exchange):
    start = balance(client)
    _, asks = book(client)
    size = D("0.2")
    assert asks[0][1] >= size
    ack = post_order(client, **market("BUY", size))
    assert ack["price"] == "0" and ack["type"] == "MARKET"
    entry = asks[0][0]
    (f1,) = fills(client)
    assert D(f1["price"]) == entry and D(f1["size"]) == size
    fee1 = size * entry * R.taker_fee
    assert D(f1["fee"]) == fee1
    bal = get(client, "/v1/balance")
    openapi.validate_response("/v1/balance", "GET", 200, bal, strict=True)
    assert D(bal["results"][0]["size"]) == start - fee1 and bal["results"][0]["last_updated_at"] == f1["created_at"]
    assert order(client, ack["id"])["avg_fill_price"] == str(entry)

    # margin fields at mark, from REST alone
    mark = D(get(client, f"/v1/markets/summary?market={BTC}")["results"][0]["mark_price"])
    acct = get(client, "/v1/account")
    openapi.validate_response("/v1/account", "GET", 200, acct, strict=True)
    upnl = size * (mark - entry)
    value = start - fee1 + upnl
    imr = size * mark * R.imf
    mmr = imr * R.mmf_factor
    assert D(acct["account_value"]) == value
    assert D(acct["total_collateral"]) == start - fee1
    assert D(acct["initial_margin_requirement"]) == imr
    assert D(acct["maintenance_margin_requirement"]) == mmr
    assert D(acct["free_collateral"]) == value - imr
    assert D(acct["margin_cushion"]) == value - mmr
    assert acct["status"] == "ACTIVE" and acct["settlement_asset"] == "USDC" and acct["account"] == DEMO_ACCOUNT
    p = positions(client)[BTC]
    assert D(p["unrealized_pnl"]) == upnl and p["liquidation_price"] == ""
    assert p["leverage"] == str(int(1 / R.imf))       # cross margin: the market's (default) leverage
    assert D(p["cost"]) == size * entry

    # the market moves up; close at the new best bid
    exchange.set_price(BTC, "96000")
    bids, _ = book(client)
    assert bids[0][1] >= size
    exit_ = bids[0][0]
    close = post_order(client, **market("SELL", size))
    f2 = fills(client)[0]
    assert f2["order_id"] == close["id"] and D(f2["price"]) == exit_ and f2["side"] == "SELL"
    realized = size * (exit_ - entry)
    fee2 = size * exit_ * R.taker_fee
    assert D(f2["realized_pnl"]) == realized and D(f2["fee"]) == fee2
    assert balance(client) == start - fee1 + realized - fee2
    p = positions(client)[BTC]
    assert p["status"] == "CLOSED" and D(p["size"]) == 0 and p["side"] == "LONG"
    assert D(p["average_exit_price"]) == exit_ and p["closed_at"] == f2["created_at"]
    acct = get(client, "/v1/account")
    assert D(acct["account_value"]) == balance(client) and D(acct["initial_margin_requirement"]) == 0


def test_short_position_margin_and_liquidation_price(client):
    start = balance(client)
    bids, _ = book(client)
    size = D("0.25")
    post_order(client, **market("SELL", size))
    entry = bids[0][0]
    fee = size * entry * R.taker_fee
    p = positions(client)[BTC]
    assert p["side"] == "SHORT" and D(p["size"]) == -size and D(p["average_entry_price"]) == entry
    assert D(p["cost"]) == -size * entry
    # the mark at which account value meets maintenance margin:
    # (start - fee) - size * (x - entry) = size * x * imf * mmf
    r = R.imf * R.mmf_factor
    x = (start - fee + size * entry) / (size * (1 + r))
    liq = D(p["liquidation_price"])
    assert abs(liq - x) <= R.tick / 2 and liq % R.tick == 0


def test_liquidation_below_maintenance_margin():
    """A long near full leverage: a mark just above its liquidation price leaves it alone; a mark
    below it closes the position at mark (a LIQUIDATION fill from a reduce-only MARKET order, a
    public LIQUIDATION trade), cancels its open orders and lists the liquidation."""
    app = trading_app(starting_balance="3000")
    client, ex = app.test_client(), app.extensions["paradex_mock"].exchange
    size = D("0.5")                                   # ~47k notional on 3k: ~16x
    post_order(client, **market("BUY", size))
    resting = post_order(client, **limit("BUY", "0.01", 50000))
    liq = D(positions(client)[BTC]["liquidation_price"])
    assert liq > 0
    ex.set_price(BTC, str(liq + 20 * R.tick))
    assert D(positions(client)[BTC]["size"]) == size and get(client, "/v1/liquidations")["results"] == []
    assert get(client, "/v1/account")["status"] == "ACTIVE"

    cash_before = balance(client)
    ex.set_price(BTC, str(liq - 20 * R.tick))
    mark = ex.states[BTC].mark_price
    p = positions(client)[BTC]
    assert D(p["size"]) == 0 and p["status"] == "CLOSED"
    last = fills(client)[0]
    assert (last["fill_type"], last["side"], last["liquidity"]) == ("LIQUIDATION", "SELL", "TAKER")
    assert D(last["price"]) == mark and D(last["size"]) == size
    assert D(last["fee"]) == size * mark * R.taker_fee
    assert balance(client) == cash_before + D(last["realized_pnl"]) + D(last["realized_funding"]) - D(last["fee"])
    closer = order(client, last["order_id"])
    assert (closer["type"], closer["status"], closer["flags"], closer["cancel_reason"]) == (
        "MARKET", "CLOSED", ["REDUCE_ONLY"], "")
    gone = order(client, resting["id"])
    assert gone["status"] == "CLOSED" and gone["cancel_reason"] == "LIQUIDATION"
    trade = get(client, f"/v1/trades?market={BTC}")["results"][0]
    assert (trade["trade_type"], trade["side"], D(trade["size"])) == ("LIQUIDATION", "SELL", size)
    liquidations = get(client, "/v1/liquidations")["results"]
    now = ex.clock.now_ms()
    assert len(liquidations) == 1 and liquidations[0]["created_at"] == now
    assert liquidations[0]["id"].startswith("0x") and len(liquidations[0]["id"]) == 66
    assert get(client, f"/v1/liquidations?from={now + 1}")["results"] == []
    assert get(client, "/v1/account")["status"] == "ACTIVE"   # nothing left to liquidate
    ex.advance(ticks=2)
    assert len(get(client, "/v1/liquidations")["results"]) == 1   # and it happens once


def test_market_order_beyond_the_book_closes_remaining(client, exchange):
    # ETH: its whole book (near and deep levels) is below max_order_size and inside the price
    # band; the account's max slippage is opened wide so the VWAP cap does not bind
    rules = Rules(ETH)
    exchange.fund(DEMO_ACCOUNT, "100000000")
    exchange.accounts[DEMO_ACCOUNT].max_slippage[ETH] = D("1")
    _, asks = book(client, ETH, depth=1000)
    depth = sum(q for _, q in asks)
    assert asks[-1][0] < exchange.states[ETH].mark_price * D("1.05") and depth + 1 < rules.max_order_size
    size = (depth + 1).quantize(rules.step)
    ack = post_order(client, **dict(market("BUY", size), market=ETH))
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "REMAINING_IOC_CANCEL"
    taken = sum(D(f["size"]) for f in fills(client))
    assert taken == depth and D(o["remaining_size"]) == size - depth
    assert position_size(client, ETH) == depth
    assert book(client, ETH)[1] == []


def test_partial_fill_then_cancel(client):
    _, asks = book(client)
    size = asks[0][1] + D("0.2")
    ack = post_order(client, **limit("BUY", size, asks[0][0]))
    o = order(client, ack["id"])
    assert o["status"] == "OPEN" and D(o["remaining_size"]) == D("0.2") and o["cancel_reason"] == ""
    assert D(o["avg_fill_price"]) == asks[0][0]
    (f,) = fills(client)
    assert D(f["size"]) == asks[0][1] and D(f["remaining_size"]) == D("0.2")
    bids, asks_after = book(client)
    assert bids[0] == (asks[0][0], D("0.2")) and asks_after[0] == asks[1]
    assert [x["id"] for x in open_orders(client)] == [ack["id"]]

    call(client, "DELETE", f"/v1/orders/{ack['id']}", 204)
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "USER_CANCELED"
    assert D(o["remaining_size"]) == D("0.2") and D(o["avg_fill_price"]) == asks[0][0]
    assert position_size(client) == asks[0][1] and open_orders(client) == []
    assert book(client)[0][0][0] < asks[0][0]


def test_ioc_remainder_is_cancelled(client):
    bids, asks = book(client)
    size = asks[0][1] + D("0.2")
    ack = post_order(client, **limit("BUY", size, asks[0][0], instruction="IOC"))
    assert ack["instruction"] == "IOC"
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "REMAINING_IOC_CANCEL"
    assert D(o["remaining_size"]) == D("0.2")
    assert sum(D(f["size"]) for f in fills(client)) == asks[0][1]
    assert open_orders(client) == [] and book(client)[0][0] == bids[0]


def test_post_only(client):
    start = balance(client)
    bids, asks = book(client)
    ack = post_order(client, **limit("BUY", "0.1", asks[0][0], instruction="POST_ONLY"))
    assert ack["status"] == "NEW"
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "POST_ONLY_WOULD_CROSS"
    assert o["remaining_size"] == "0.1" and o["avg_fill_price"] == ""
    assert fills(client) == [] and balance(client) == start and positions(client) == {}
    assert book(client) == (bids, asks)
    # one that does not cross rests as a maker
    inside = asks[0][0] - R.tick
    ok = post_order(client, **limit("BUY", "0.1", inside, instruction="POST_ONLY"))
    assert order(client, ok["id"])["status"] == "OPEN" and book(client)[0][0] == (inside, D("0.1"))


# ------------------------------------------------------------------ reduce-only
def test_reduce_only_never_flips(client, exchange):
    start = balance(client)
    # on a flat account it does nothing
    flat = post_order(client, **market("SELL", "0.1", flags=["REDUCE_ONLY"]))
    o = order(client, flat["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] != "" and o["remaining_size"] == "0.1"
    assert o["flags"] == ["REDUCE_ONLY"]
    assert fills(client) == [] and balance(client) == start and position_size(client) == 0

    post_order(client, **market("BUY", "0.2"))
    ro = post_order(client, **market("SELL", "0.5", flags=["REDUCE_ONLY"]))
    o = order(client, ro["id"])
    assert position_size(client) == 0
    assert D(o["remaining_size"]) == D("0.3") and o["status"] == "CLOSED" and o["cancel_reason"] != ""
    assert sum(D(f["size"]) for f in order_fills(client, ro["id"])) == D("0.2")

    # a resting reduce-only order outlives its position: it must not open one
    post_order(client, **market("BUY", "0.2"))
    bids, asks = book(client)
    rest = post_order(client, **limit("SELL", "0.2", asks[0][0] + 200, flags=["REDUCE_ONLY"]))
    post_order(client, **market("SELL", "0.2"))              # closes the position first
    assert position_size(client) == 0
    exchange.set_price(BTC, str(asks[0][0] + 1000))          # the market runs through its price
    o = order(client, rest["id"])
    assert o["status"] == "CLOSED" and o["remaining_size"] == "0.2" and o["cancel_reason"] != ""
    assert position_size(client) == 0 and order_fills(client, rest["id"]) == []

    # a resting reduce-only larger than the position fills only the position
    post_order(client, **market("SELL", "0.1"))
    bids, _ = book(client)
    rest = post_order(client, **limit("BUY", "0.3", bids[0][0] - 200, flags=["REDUCE_ONLY"]))
    exchange.set_price(BTC, str(bids[0][0] - 1000))
    assert position_size(client) == 0
    assert sum(D(f["size"]) for f in order_fills(client, rest["id"])) == D("0.1")
    assert order(client, rest["id"])["status"] == "CLOSED"


def test_exits_average_and_fills_carry_the_book_seq_no(client, exchange):
    post_order(client, **market("BUY", "0.3"))
    entry = D(positions(client)[BTC]["average_entry_price"])
    seq = get(client, f"/v1/orderbook/{BTC}")["seq_no"]
    assert fills(client)[0]["orderbook_seq_no"] == seq        # the book after the trade
    exits = []
    for px in ("96000", "97000"):
        exchange.set_price(BTC, px)
        exits.append(book(client)[0][0][0])
        post_order(client, **market("SELL", "0.1"))
        assert fills(client)[0]["orderbook_seq_no"] == get(client, f"/v1/orderbook/{BTC}")["seq_no"]
    p = positions(client)[BTC]
    assert D(p["size"]) == D("0.1") and D(p["average_entry_price"]) == entry
    assert D(p["average_exit_price"]) == (exits[0] + exits[1]) / 2
    realized = sum(D(f["realized_pnl"]) for f in fills(client))
    assert D(p["realized_positional_pnl"]) == realized
    assert abs(realized - D("0.1") * (exits[0] + exits[1] - 2 * entry)) <= D("1e-11")


# ------------------------------------------------------------------ the market moves
def test_resting_limit_fills_when_market_moves_through(client, exchange):
    start = balance(client)
    buy = post_order(client, **limit("BUY", "0.1", "94000"))
    sell = post_order(client, **limit("SELL", "0.05", "97000"))
    assert order(client, buy["id"])["status"] == "OPEN"
    exchange.set_price(BTC, "93000")
    o = order(client, buy["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "" and o["avg_fill_price"] == "94000"
    (f,) = fills(client)
    assert f["liquidity"] == "MAKER" and f["price"] == "94000" and f["size"] == "0.1"
    fee1 = D("0.1") * 94000 * R.maker_fee
    assert D(f["fee"]) == fee1
    assert balance(client) == start - fee1
    p = positions(client)[BTC]
    assert p["size"] == "0.1" and p["average_entry_price"] == "94000"
    assert order(client, sell["id"])["status"] == "OPEN"
    bids, asks = book(client)
    assert bids[0][0] < asks[0][0] < 94000

    exchange.set_price(BTC, "97500")
    f = fills(client)[0]
    assert f["order_id"] == sell["id"] and f["liquidity"] == "MAKER" and f["price"] == "97000"
    fee2 = D("0.05") * 97000 * R.maker_fee
    realized = D("0.05") * (97000 - 94000)
    assert D(f["fee"]) == fee2 and D(f["realized_pnl"]) == realized
    assert balance(client) == start - fee1 - fee2 + realized
    p = positions(client)[BTC]
    assert p["size"] == "0.05" and D(p["realized_positional_pnl"]) == realized
    assert p["average_exit_price"] == "97000" and p["average_entry_price"] == "94000"


def test_resting_order_trades_with_synthetic_flow_over_time(client, exchange):
    """No fill from a price move: with the mark held still, the market's own flow (other
    participants' market orders) reaches an order resting at the touch as the clock runs."""
    exchange.set_price(BTC, "95000")
    bids, asks = book(client)
    ack = post_order(client, **limit("BUY", "0.01", asks[0][0] - R.tick))   # the new best bid
    for _ in range(600):
        exchange.advance(ticks=1)
        if order(client, ack["id"])["status"] == "CLOSED":
            break
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == ""
    (f,) = fills(client)
    assert f["liquidity"] == "MAKER" and D(f["price"]) == asks[0][0] - R.tick


# ------------------------------------------------------------------ trigger orders
@pytest.mark.parametrize("otype,side,trigger,price,quiet,fire", [
    ("STOP_MARKET", "BUY", "96000", None, "95900", "96100"),
    ("STOP_MARKET", "SELL", "94000", None, "94100", "93900"),
    ("STOP_LIMIT", "SELL", "94000", "93800", "94100", "93950"),
    ("STOP_LIMIT", "BUY", "96000", "96200", "95900", "96050"),
    ("TAKE_PROFIT_MARKET", "SELL", "96000", None, "95900", "96100"),
    ("TAKE_PROFIT_LIMIT", "BUY", "94000", "94100", "94100", "93950"),
    ("STOP_LOSS_MARKET", "SELL", "94000", None, "94100", "93900"),
    ("STOP_LOSS_LIMIT", "BUY", "96000", "96200", "95900", "96050"),
])
def test_trigger_orders_wait_then_fire(client, exchange, otype, side, trigger, price, quiet, fire):
    body = dict(market=BTC, side=side, type=otype, size="0.1", trigger_price=trigger, instruction="GTC")
    if price:
        body["price"] = price
    ack = post_order(client, **body)
    assert ack["status"] == "NEW" and ack["trigger_price"] == trigger
    o = order(client, ack["id"])
    assert o["status"] == "UNTRIGGERED" and [x["id"] for x in open_orders(client)] == [ack["id"]]
    assert D(get(client, "/v1/account")["initial_margin_requirement"]) == 0   # waiting costs no margin
    exchange.set_price(BTC, quiet)
    assert order(client, ack["id"])["status"] == "UNTRIGGERED" and fills(client) == []
    exchange.set_price(BTC, fire)
    bids, asks = book(client)
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "" and o["remaining_size"] == "0"
    (f,) = fills(client)
    assert f["liquidity"] == "TAKER" and f["size"] == "0.1"
    # it traded at the touch of the book the new mark produced
    assert D(f["price"]) == (asks[0][0] if side == "BUY" else bids[0][0])
    assert position_size(client) == (D("0.1") if side == "BUY" else D("-0.1"))
    assert open_orders(client) == []


def test_stop_condition_flags(client, exchange):
    below = post_order(client, market=BTC, side="BUY", type="STOP_MARKET", size="0.1", trigger_price="94000",
                       flags=["STOP_CONDITION_BELOW_TRIGGER"])
    exchange.set_price(BTC, "94500")
    assert order(client, below["id"])["status"] == "UNTRIGGERED"
    exchange.set_price(BTC, "93990")
    assert order(client, below["id"])["status"] == "CLOSED" and position_size(client) == D("0.1")


@pytest.mark.parametrize("otype,trigger,move", [
    ("STOP_LOSS_MARKET", "94000", "93900"),
    ("TAKE_PROFIT_MARKET", "96000", "96100"),
    ("STOP_LOSS_LIMIT", "94000", "93950"),
])
def test_tpsl_size_zero_closes_the_position(client, exchange, otype, trigger, move):
    post_order(client, **market("BUY", "0.3"))
    body = dict(market=BTC, side="SELL", type=otype, size="0", trigger_price=trigger, flags=["REDUCE_ONLY"])
    if "LIMIT" in otype:
        body["price"] = str(D(trigger) - 300)
    ack = post_order(client, **body)
    assert ack["size"] == "0"
    assert order(client, ack["id"])["status"] == "UNTRIGGERED"
    post_order(client, **market("BUY", "0.1"))          # the position grows after the order was placed
    exchange.set_price(BTC, move)
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "" and o["size"] == "0.4"
    assert position_size(client) == 0
    assert sum(D(f["size"]) for f in order_fills(client, ack["id"])) == D("0.4")


def test_modify_tpsl_of_size_zero_keeps_it_waiting(client, exchange):
    post_order(client, **market("BUY", "0.2"))
    ack = post_order(client, market=BTC, side="SELL", type="STOP_LOSS_MARKET", size="0", trigger_price="94000",
                     flags=["REDUCE_ONLY"])
    mod = call(client, "PUT", f"/v1/orders/{ack['id']}", 200,
               {"market": BTC, "side": "SELL", "type": "STOP_LOSS_MARKET", "size": "0", "price": "0",
                "trigger_price": "93000"})
    assert mod["status"] == "UNTRIGGERED" and mod["cancel_reason"] == "" and mod["trigger_price"] == "93000"
    exchange.set_price(BTC, "93500")
    assert order(client, ack["id"])["status"] == "UNTRIGGERED" and position_size(client) == D("0.2")
    exchange.set_price(BTC, "92900")
    assert order(client, ack["id"])["status"] == "CLOSED" and position_size(client) == 0


def test_cancel_untriggered(client, exchange):
    ack = post_order(client, market=BTC, side="BUY", type="STOP_MARKET", size="0.1", trigger_price="96000")
    call(client, "DELETE", f"/v1/orders/{ack['id']}", 204)
    assert order(client, ack["id"])["cancel_reason"] == "USER_CANCELED"
    exchange.set_price(BTC, "97000")
    assert fills(client) == [] and position_size(client) == 0


# ------------------------------------------------------------------ two accounts
def test_two_accounts_trade_with_each_other(client, exchange):
    start = balance(client)
    bids, asks = book(client)
    p = asks[0][0] - R.tick                       # A's ask is the new best ask
    a = post_order(client, **limit("SELL", "0.3", p, client_id="a-1"))
    b_order, b_ack = exchange.submit_order(B_ACCT, req(limit("BUY", "0.1", p, client_id="b-1")))
    assert b_ack.status == "NEW" and b_order.status == "CLOSED"

    (fa,) = fills(client)
    b = exchange.account(B_ACCT)
    (fb,) = b.fills
    assert fa["liquidity"] == "MAKER" and fb.liquidity == "TAKER"
    assert D(fa["price"]) == fb.price == p and D(fa["size"]) == fb.size == D("0.1")
    assert fa["side"] == "SELL" and fb.side == "BUY" and fa["client_id"] == "a-1" and fb.client_id == "b-1"
    assert D(fa["fee"]) == D("0.1") * p * R.maker_fee and fb.fee == D("0.1") * p * R.taker_fee
    assert balance(client) == start - D(fa["fee"])
    assert b.balance == exchange.starting_balance - fb.fee
    assert position_size(client) == D("-0.1") and b.positions[BTC].size == D("0.1")
    o = order(client, a["id"])
    assert o["status"] == "OPEN" and o["remaining_size"] == "0.2"
    # the trade is public, at the maker's price, on the taker's side
    t = get(client, f"/v1/trades?market={BTC}&page_size=1")["results"][0]
    assert (t["side"], D(t["price"]), D(t["size"])) == ("BUY", p, D("0.1"))

    # and the other way round: B rests, A takes
    q = bids[0][0] + R.tick
    exchange.submit_order(B_ACCT, req(limit("BUY", "0.05", q)))
    post_order(client, **market("SELL", "0.05"))
    fa2 = fills(client)[0]
    assert fa2["liquidity"] == "TAKER" and D(fa2["price"]) == q
    assert b.fills[-1].liquidity == "MAKER" and b.fills[-1].price == q
    assert b.positions[BTC].size == D("0.15") and position_size(client) == D("-0.15")
    # nobody sees the other's orders or fills
    assert all(f["account"] == DEMO_ACCOUNT for f in fills(client))
    assert {x["id"] for x in open_orders(client)} == {a["id"]}
    r = client.get(f"/v1/orders/{b_order.id}")
    assert r.status_code == 400 and r.get_json()["error"] == "ORDER_ID_NOT_FOUND"


def test_self_trade_is_prevented(client):
    _, asks = book(client)
    p = asks[0][0] - R.tick
    mine = post_order(client, **limit("SELL", "0.1", p))
    taker = post_order(client, **limit("BUY", "0.1", p))
    assert fills(client) == []
    assert order(client, taker["id"])["status"] == "CLOSED"          # EXPIRE_TAKER, the default
    assert order(client, mine["id"])["status"] == "OPEN"


# ------------------------------------------------------------------ funding
def test_funding_payment_long_pays_positive_rate():
    app = trading_app(funding_interval=60.0)
    client, exchange = app.test_client(), app.extensions["paradex_mock"].exchange
    exchange.set_price(BTC, "95000")            # hold the mark still
    post_order(client, **market("BUY", "0.2"))
    before = balance(client)
    index0 = D(positions(client)[BTC]["cached_funding_index"])
    exchange.set_funding_rate(BTC, "0.001")
    assert get(client, f"/v1/funding/payments?market={BTC}")["results"] == []
    exchange.advance(seconds=exchange.config.funding_interval + 1)
    body = get(client, f"/v1/funding/payments?market={BTC}")
    openapi.validate_response("/v1/funding/payments", "GET", 200, body, strict=True)
    (fp,) = body["results"]
    payment = D(fp["payment"])
    pos = positions(client)[BTC]
    index1 = D(pos["cached_funding_index"])
    assert D(fp["index"]) == index1 and fp["market"] == BTC and fp["account"] == DEMO_ACCOUNT
    assert fp["fill_id"] == pos["last_fill_id"]
    assert payment < 0                                   # long pays a positive rate
    # the index is a running quotient; the payment is rounded once, to a fixed number of places
    assert abs(payment - -D("0.2") * (index1 - index0)) <= D("1e-12")
    # one minute of an 8-hour rate of 0.1% on 0.2 BTC at 95000
    mark = D(get(client, f"/v1/markets/summary?market={BTC}")["results"][0]["mark_price"])
    assert mark == 95000
    expected = -D("0.2") * D("0.001") * mark * 60 / (8 * 3600)
    assert abs(payment - expected) < D("1e-9")
    assert balance(client) == before + payment
    assert D(pos["realized_positional_funding_pnl"]) == payment
    assert get(client, "/v1/funding/payments?market=ALL")["results"] == [fp]
    assert get(client, f"/v1/funding/payments?market={ETH}")["results"] == []

    # a short receives it
    post_order(client, **market("SELL", "0.4"))
    n = len(get(client, f"/v1/funding/payments?market={BTC}")["results"])
    before = balance(client)
    exchange.advance(seconds=60)
    latest = get(client, f"/v1/funding/payments?market={BTC}")["results"]
    assert len(latest) == n + 1 and D(latest[0]["payment"]) > 0
    assert balance(client) == before + D(latest[0]["payment"])


# ------------------------------------------------------------------ modify
def test_modify_price_and_size(client):
    bids, _ = book(client)
    price = bids[0][0] - 1000
    ack = post_order(client, **limit("BUY", "0.1", price, client_id="m-1"))
    new_price = price - 10
    body = {"id": ack["id"], "market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.25",
            "price": str(new_price)}
    mod = call(client, "PUT", f"/v1/orders/{ack['id']}", 200, body)
    openapi.validate_response(f"/v1/orders/{ack['id']}", "PUT", 200, mod, strict=True)
    assert mod["id"] == ack["id"] and mod["status"] == "OPEN" and mod["client_id"] == "m-1"
    assert mod["size"] == "0.25" and mod["remaining_size"] == "0.25" and D(mod["price"]) == new_price
    assert order(client, ack["id"]) == mod
    b, _ = book(client)
    assert (new_price, D("0.25")) in b and all(p != price for p, _ in b)
    # modify into the market: it trades as a taker
    _, asks = book(client)
    mod = call(client, "PUT", f"/v1/orders/{ack['id']}", 200,
               {"size": "0.25", "price": str(asks[0][0]), "market": BTC, "side": "BUY", "type": "LIMIT"})
    f = fills(client)[0]
    assert f["order_id"] == ack["id"] and f["liquidity"] == "TAKER" and D(f["price"]) == asks[0][0]
    # a closed order cannot be modified
    assert order(client, ack["id"])["status"] == "CLOSED"
    err = call(client, "PUT", f"/v1/orders/{ack['id']}", 400, body)
    assert err["error"] == "ORDER_IS_CLOSED" and err["data"] is None
    err = call(client, "PUT", "/v1/orders/123456", 400, body)
    assert err["error"] == "ORDER_ID_NOT_FOUND"


def test_modify_partially_filled_and_untriggered(client, exchange):
    _, asks = book(client)
    ack = post_order(client, **limit("BUY", asks[0][1] + D("0.2"), asks[0][0]))
    filled = asks[0][1]
    # below the filled size is refused and changes nothing
    before = order(client, ack["id"])
    err = call(client, "PUT", f"/v1/orders/{ack['id']}", 400, {"size": str(filled - D("0.01")), "price": str(asks[0][0] - 100)})
    assert err["error"] == "INVALID_ORDER_SIZE" and order(client, ack["id"]) == before
    mod = call(client, "PUT", f"/v1/orders/{ack['id']}", 200, {"size": str(filled + D("0.5")), "price": str(asks[0][0] - 100)})
    assert D(mod["remaining_size"]) == D("0.5") and mod["status"] == "OPEN"
    assert D(mod["avg_fill_price"]) == asks[0][0]

    stop = post_order(client, market=BTC, side="SELL", type="STOP_MARKET", size="0.1", trigger_price="94000")
    mod = call(client, "PUT", f"/v1/orders/{stop['id']}", 200, {"size": "0.2", "price": "0", "trigger_price": "93000"})
    assert mod["status"] == "UNTRIGGERED" and mod["trigger_price"] == "93000" and mod["size"] == "0.2"
    exchange.set_price(BTC, "93500")
    assert order(client, stop["id"])["status"] == "UNTRIGGERED"
    exchange.set_price(BTC, "92900")
    assert order(client, stop["id"])["status"] == "CLOSED"


# ------------------------------------------------------------------ batches
def test_batch_create(client):
    bids, _ = book(client)
    p = bids[0][0] - 1000
    body = [limit("BUY", "0.1", p, client_id="b1"),
            dict(limit("BUY", "0.1", p), market="NOPE-USD-PERP"),
            limit("SELL", "0.1", p + 3000, client_id="b2"),
            limit("BUY", "0", p)]
    res = call(client, "POST", "/v1/orders/batch", 201, body)
    openapi.validate_response("/v1/orders/batch", "POST", 201, res, strict=True)
    assert [o["client_id"] for o in res["orders"]] == ["b1", "b2"]
    assert all(o["status"] == "NEW" for o in res["orders"])
    assert [e["error"] for e in res["errors"]] == ["MARKET_NOT_FOUND", "INVALID_ORDER_SIZE"]
    assert all(set(e) == {"error", "message"} for e in res["errors"])
    assert {o["id"] for o in open_orders(client)} == {o["id"] for o in res["orders"]}


def test_batch_cancel(client):
    bids, _ = book(client)
    p = bids[0][0] - 1000
    a = post_order(client, **limit("BUY", "0.1", p, client_id="x-a"))
    b = post_order(client, **limit("BUY", "0.1", p, client_id="x-b"))
    c = post_order(client, **limit("BUY", "0.1", p))
    call(client, "DELETE", f"/v1/orders/{c['id']}", 204)
    res = call(client, "DELETE", "/v1/orders/batch", 200,
               {"order_ids": [a["id"], c["id"], "999"], "client_order_ids": ["x-b", "nope"]})
    openapi.validate_response("/v1/orders/batch", "DELETE", 200, res, strict=True)
    assert res["results"] == [
        {"id": a["id"], "client_id": "x-a", "account": DEMO_ACCOUNT, "market": BTC, "status": "QUEUED_FOR_CANCELLATION"},
        {"id": c["id"], "client_id": "", "account": DEMO_ACCOUNT, "market": BTC, "status": "ALREADY_CLOSED"},
        {"id": "999", "status": "NOT_FOUND"},
        {"id": b["id"], "client_id": "x-b", "account": DEMO_ACCOUNT, "market": BTC, "status": "QUEUED_FOR_CANCELLATION"},
        {"client_id": "nope", "status": "NOT_FOUND"},
    ]
    assert open_orders(client) == []
    assert order(client, b["id"])["cancel_reason"] == "USER_CANCELED"


def test_cancel_all(client):
    p_btc = book(client)[0][0][0] - 1000
    p_eth = book(client, ETH)[0][0][0] - 100
    ids_btc = [post_order(client, **limit("BUY", "0.01", p_btc))["id"] for _ in range(3)]
    ids_eth = [post_order(client, **dict(limit("BUY", "0.1", p_eth), market=ETH))["id"] for _ in range(2)]
    stop = post_order(client, market=ETH, side="BUY", type="STOP_MARKET", size="0.1", trigger_price="4000")["id"]
    call(client, "DELETE", f"/v1/orders?market={BTC}", 200)
    assert {o["id"] for o in open_orders(client)} == set(ids_eth) | {stop}
    assert all(order(client, i)["cancel_reason"] == "USER_CANCELED" for i in ids_btc)
    call(client, "DELETE", "/v1/orders", 200)
    assert open_orders(client) == []
    assert order(client, stop)["status"] == "CLOSED"
    call(client, "DELETE", "/v1/orders", 200)          # nothing left: still fine
    err = call(client, "DELETE", "/v1/orders?market=NOPE", 400)
    assert err["error"] == "MARKET_NOT_FOUND"


# ------------------------------------------------------------------ the seed's aliases
def test_seed_aliases(client):
    p = book(client)[0][0][0] - 1000
    rest = call(client, "POST", "/v1/orders", 201,
                {"market": BTC, "side": "BUY", "order_type": "LIMIT", "size": "0.1", "price": str(p)})
    assert rest["type"] == "LIMIT" and rest["instruction"] == "GTC"
    assert get(client, "/v1/orders/open") == get(client, "/v1/orders")
    post_order(client, market=BTC, side="BUY", order_type="MARKET", size="0.1")
    assert get(client, "/v1/account/positions") == get(client, "/v1/positions")
    assert get(client, "/v1/account/fills") == get(client, "/v1/fills")
    assert len(get(client, "/v1/account/fills")["results"]) >= 1
    call(client, "DELETE", f"/v1/orders/{rest['id']}", 204)
    assert get(client, "/v1/orders/open")["results"] == []


# ------------------------------------------------------------------ fills listing
def test_fills_filters_and_pagination(client, exchange):
    times = []
    for i in range(5):
        post_order(client, **market("BUY", "0.01"))
        post_order(client, **dict(market("BUY", "0.1"), market=ETH))
        times.append(exchange.clock.now_ms())
        exchange.clock.advance(1000)
    allf = fills(client)
    assert len(allf) == 10
    assert [f["created_at"] for f in allf] == sorted((f["created_at"] for f in allf), reverse=True)
    assert {f["market"] for f in fills(client, f"&market={ETH}")} == {ETH}
    assert len(fills(client, f"&market={ETH}")) == 5
    window = fills(client, f"&start_at={times[1]}&end_at={times[3]}")
    assert len(window) == 6 and all(times[1] <= f["created_at"] <= times[3] for f in window)
    # walk forward 3 at a time, then back
    seen, pages, cursor = [], [], None
    while True:
        q = "/v1/fills?page_size=3" + (f"&cursor={cursor}" if cursor else "")
        page = get(client, q)
        openapi.validate_response("/v1/fills", "GET", 200, page, strict=True)
        pages.append(page)
        seen += [f["id"] for f in page["results"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == [f["id"] for f in allf] and len(pages) == 4
    assert pages[0]["prev"] is None and pages[-1]["next"] is None
    back = get(client, f"/v1/fills?page_size=3&cursor={pages[2]['prev']}")
    assert back["results"] == pages[1]["results"]
    # new fills arriving do not shift a cursor's page
    post_order(client, **market("BUY", "0.01"))
    again = get(client, f"/v1/fills?page_size=3&cursor={pages[0]['next']}")
    assert again["results"] == pages[1]["results"]
    assert len(get(client, "/v1/fills?market=BTC-USD-PERP&page_size=2")["results"]) == 2
