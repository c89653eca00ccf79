"""Bad input on the private trading endpoints: Paradex's error body, status 400, and no change to
anything (open orders, history, balance, positions, fills, margin, the book)."""
from decimal import Decimal

import pytest

import openapi
from test_trading_support import (BTC, Rules, app, assert_error, balance, book, call, order,  # noqa: F401
                                  post_order, snapshot)

D = Decimal
R = Rules(BTC)


@pytest.fixture
def seeded(client, exchange):
    """Some state to leave alone: a position, a resting order with a client id, a closed order."""
    exchange.set_price(BTC, "95000")
    post_order(client, market=BTC, side="BUY", type="MARKET", size="0.1")
    bids, _ = book(client)
    resting = post_order(client, market=BTC, side="BUY", type="LIMIT", size="0.1",
                         price=str(bids[0][0] - 1000), client_id="open-1")
    closed = post_order(client, market=BTC, side="BUY", type="LIMIT", size="0.1",
                        price=str(bids[0][0] - 1000), client_id="closed-1")
    call(client, "DELETE", f"/v1/orders/{closed['id']}", 204)
    return {"resting": resting["id"], "closed": closed["id"], "bid": bids[0][0]}


def good(**over):
    body = {"market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.1", "price": "90000", "instruction": "GTC"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


BAD_ORDERS = [
    ("unknown market", good(market="NOPE-USD-PERP"), "MARKET_NOT_FOUND"),
    ("no market", good(market=None), "VALIDATION_ERROR"),
    ("bad side", good(side="LONG"), "VALIDATION_ERROR"),
    ("lower-case side", good(side="buy"), "VALIDATION_ERROR"),
    ("no side", good(side=None), "VALIDATION_ERROR"),
    ("bad type", good(type="ICEBERG"), "VALIDATION_ERROR"),
    ("no type", good(type=None), "VALIDATION_ERROR"),
    ("bad instruction", good(instruction="FOK"), "VALIDATION_ERROR"),
    ("bad flag", good(flags=["NOPE"]), "VALIDATION_ERROR"),
    ("flags not a list", good(flags="REDUCE_ONLY"), "VALIDATION_ERROR"),
    ("bad stp", good(stp="NEVER"), "VALIDATION_ERROR"),
    ("long client id", good(client_id="x" * 65), "VALIDATION_ERROR"),
    ("client id not a string", good(client_id=12), "VALIDATION_ERROR"),
    ("post-only market", good(type="MARKET", price=None, instruction="POST_ONLY"), "VALIDATION_ERROR"),
    ("off-tick price", good(price="90000.05"), "VALIDATION_ERROR"),
    ("off-tick trigger", good(type="STOP_MARKET", price=None, trigger_price="96000.01"), "VALIDATION_ERROR"),
    ("no trigger", good(type="STOP_MARKET", price=None), "VALIDATION_ERROR"),
    ("limit without price", good(price=None), "VALIDATION_ERROR"),
    ("zero price", good(price="0"), "VALIDATION_ERROR"),
    ("negative price", good(price="-90000"), "VALIDATION_ERROR"),
    ("non-numeric price", good(price="cheap"), "VALIDATION_ERROR"),
    ("size off the increment", good(size="0.000015"), "INVALID_ORDER_SIZE"),
    ("zero size", good(size="0"), "INVALID_ORDER_SIZE"),
    ("negative size", good(size="-0.1"), "INVALID_ORDER_SIZE"),
    ("non-numeric size", good(size="lots"), "INVALID_ORDER_SIZE"),
    ("no size", good(size=None), "INVALID_ORDER_SIZE"),
    ("NaN size", good(size="NaN"), "INVALID_ORDER_SIZE"),
    ("infinite size", good(size="Infinity"), "INVALID_ORDER_SIZE"),
    ("below min notional", good(size="0.0001"), "INVALID_ORDER_SIZE"),    # 0.0001 * 90000 = 9 < 10
    ("market below min notional", good(type="MARKET", price=None, size="0.0001"), "INVALID_ORDER_SIZE"),
    ("above max order size", good(size="100.00001"), "INVALID_ORDER_SIZE"),
    ("absurd size", good(size="1e100"), "INVALID_ORDER_SIZE"),
    ("absurd size exponent", good(size="1E+999999"), "INVALID_ORDER_SIZE"),
    ("duplicated client id", good(client_id="open-1"), "DUPLICATED_CLIENT_ID"),
]


def test_bad_inputs_fixture_is_sane():
    assert D("0.0001") * 90000 < R.min_notional <= D("0.001") * 90000
    assert R.max_order_size == 100 and R.tick == D("0.1") and R.step == D("0.00001")


@pytest.mark.parametrize("what,body,code", BAD_ORDERS, ids=[b[0] for b in BAD_ORDERS])
def test_bad_order_changes_nothing(client, seeded, what, body, code):
    before = snapshot(client)
    err = call(client, "POST", "/v1/orders", 400, body)
    assert_error(err, code)
    openapi.validate_response("/v1/orders", "POST", 400, err, strict=True)   # every code is in the spec's enum
    assert snapshot(client) == before


def test_absurd_prices_are_refused_not_a_server_error(client, seeded):
    """A price far beyond Decimal's working precision cannot be checked against the tick (the
    remainder raised DivisionImpossible: a 500); it is refused as off the tick grid, and the
    message carries at most a short excerpt of it."""
    before = snapshot(client)
    for body in (good(price="1e100"), good(price="1E+999999"), good(side="SELL", price="1e100"),
                 good(type="STOP_MARKET", price=None, trigger_price="1e100")):
        assert_error(call(client, "POST", "/v1/orders", 400, body), "VALIDATION_ERROR")
    assert snapshot(client) == before


def test_modify_with_bad_input_changes_nothing(client, seeded):
    oid = seeded["resting"]
    base = {"market": BTC, "side": "BUY", "type": "LIMIT", "size": "0.1", "price": "90000"}
    cases = [
        (dict(base, price="90000.05"), "VALIDATION_ERROR"),
        (dict(base, size="0"), "INVALID_ORDER_SIZE"),
        (dict(base, size="0.000015"), "INVALID_ORDER_SIZE"),
        (dict(base, size="-1"), "INVALID_ORDER_SIZE"),
        (dict(base, size="1000"), "INVALID_ORDER_SIZE"),
        (dict(base, side="SELL"), "VALIDATION_ERROR"),
        (dict(base, market="ETH-USD-PERP"), "VALIDATION_ERROR"),
        (dict(base, type="MARKET"), "VALIDATION_ERROR"),
        (dict(base, id="42"), "VALIDATION_ERROR"),
    ]
    before = snapshot(client)
    for body, code in cases:
        assert_error(call(client, "PUT", f"/v1/orders/{oid}", 400, body), code)
        assert snapshot(client) == before, body
    assert_error(call(client, "PUT", f"/v1/orders/{seeded['closed']}", 400, base), "ORDER_IS_CLOSED")
    assert_error(call(client, "PUT", "/v1/orders/1234", 400, base), "ORDER_ID_NOT_FOUND")
    assert_error(call(client, "PUT", f"/v1/orders/{oid}", 400, raw=b"{nope"), "BINDING_ERROR")
    assert_error(call(client, "PUT", f"/v1/orders/{oid}", 400, raw=b"[]"), "BINDING_ERROR")
    assert snapshot(client) == before


def test_unknown_and_closed_orders(client, seeded):
    before = snapshot(client)
    for method, url, code in [
        ("GET", "/v1/orders/1234567890", "ORDER_ID_NOT_FOUND"),
        ("DELETE", "/v1/orders/1234567890", "ORDER_ID_NOT_FOUND"),
        ("GET", "/v1/orders/by_client_id/never-used", "CLIENT_ORDER_ID_NOT_FOUND"),
        ("DELETE", "/v1/orders/by_client_id/never-used", "CLIENT_ORDER_ID_NOT_FOUND"),
        ("DELETE", f"/v1/orders/by_client_id/open-1?market=ETH-USD-PERP", "CLIENT_ORDER_ID_NOT_FOUND"),
        ("DELETE", f"/v1/orders/{seeded['closed']}", "ORDER_IS_CLOSED"),
        ("DELETE", "/v1/orders/by_client_id/closed-1", "ORDER_IS_CLOSED"),
        ("DELETE", "/v1/orders?market=NOPE-USD-PERP", "MARKET_NOT_FOUND"),
    ]:
        err = call(client, method, url, 400)
        assert_error(err, code)
        openapi.validate_response(url.split("?")[0], method, 400, err, strict=True)
        assert snapshot(client) == before, url


@pytest.mark.parametrize("query", ["from=abc", "to=-1", "from=1.5"])
def test_liquidations_bad_window(client, seeded, query):
    before = snapshot(client)
    assert_error(call(client, "GET", f"/v1/liquidations?{query}", 400), "INVALID_REQUEST_PARAMETER")
    assert snapshot(client) == before


def test_malformed_bodies(client, seeded):
    before = snapshot(client)
    for method, url, raw in [
        ("POST", "/v1/orders", b'{"market": "BTC-USD-PERP",'),
        ("POST", "/v1/orders", b"not json at all"),
        ("POST", "/v1/orders", b'[{"market": "BTC-USD-PERP"}]'),
        ("POST", "/v1/orders", b'"a string"'),
        ("POST", "/v1/orders", b"\xff\xfe\x00"),
        ("POST", "/v1/orders", b""),
        ("POST", "/v1/orders", b"[" * 100_000 + b"]" * 100_000),     # nesting deeper than the parser goes
        ("POST", "/v1/orders/batch", b'{"market": "BTC-USD-PERP"}'),
        ("POST", "/v1/orders/batch", b"[1, 2]"),
        ("POST", "/v1/orders/batch", b"[{"),
        ("DELETE", "/v1/orders/batch", b'["1"]'),
        ("DELETE", "/v1/orders/batch", b"{"),
    ]:
        assert_error(call(client, method, url, 400, raw=raw), "BINDING_ERROR")
        assert snapshot(client) == before, (url, raw)


def test_batch_size_out_of_range(client, seeded):
    before = snapshot(client)
    assert_error(call(client, "POST", "/v1/orders/batch", 400, []), "BATCH_SIZE_OUT_OF_RANGE")
    eleven = [good(price=str(90000 - i)) for i in range(11)]
    assert_error(call(client, "POST", "/v1/orders/batch", 400, eleven), "BATCH_SIZE_OUT_OF_RANGE")
    assert snapshot(client) == before
    ten = call(client, "POST", "/v1/orders/batch", 201, eleven[:10])
    assert len(ten["orders"]) == 10 and ten["errors"] == []
    for body in ({}, {"order_ids": "1"}, {"order_ids": [], "client_order_ids": []}):
        assert_error(call(client, "DELETE", "/v1/orders/batch", 400, body), "VALIDATION_ERROR")


def test_batch_with_only_invalid_orders_changes_nothing(client, seeded):
    before = snapshot(client)
    res = call(client, "POST", "/v1/orders/batch", 201,
               [good(price="90000.05"), good(market="NOPE"), good(size="0")])
    assert res["orders"] == []
    assert [e["error"] for e in res["errors"]] == ["VALIDATION_ERROR", "MARKET_NOT_FOUND", "INVALID_ORDER_SIZE"]
    assert snapshot(client) == before


def test_not_enough_margin(client, seeded, exchange):
    """Accepted as NEW, then closed by the risk check: nothing trades, nothing else moves."""
    before = snapshot(client)
    start = balance(client)
    # 60 BTC at ~95000 is ~5.7M of notional; 100k at 2% initial margin carries 5M
    ack = post_order(client, market=BTC, side="BUY", type="LIMIT", size="60", price=str(seeded["bid"] - 10))
    assert ack["status"] == "NEW"
    o = order(client, ack["id"])
    assert o["status"] == "CLOSED" and o["cancel_reason"] == "NOT_ENOUGH_MARGIN" and o["remaining_size"] == "60"
    mkt = post_order(client, market=BTC, side="SELL", type="MARKET", size="60")
    o2 = order(client, mkt["id"])
    assert o2["status"] == "CLOSED" and o2["cancel_reason"] == "NOT_ENOUGH_MARGIN" and o2["avg_fill_price"] == ""
    after = snapshot(client)
    assert after["open"] == before["open"] and after["fills"] == before["fills"]
    assert after["positions"] == before["positions"] and after["balance"] == before["balance"]
    assert after["account"] == before["account"] and after["book"] == before["book"]
    assert [h["id"] for h in after["history"][:2]] == [mkt["id"], ack["id"]]
    assert balance(client) == start
    # what fits still goes through, and reducing the position never needs margin
    ok = post_order(client, market=BTC, side="BUY", type="LIMIT", size="40", price=str(seeded["bid"] - 10))
    assert order(client, ok["id"])["status"] == "OPEN"
    red = post_order(client, market=BTC, side="SELL", type="MARKET", size="0.1")
    assert order(client, red["id"])["cancel_reason"] == ""


def test_error_body_shape_and_content_type(client):
    r = client.post("/v1/orders", json=good(market="NOPE"))
    assert r.status_code == 400 and r.content_type.startswith("application/json")
    assert r.get_json() == {"error": "MARKET_NOT_FOUND", "message": r.get_json()["message"], "data": None}
