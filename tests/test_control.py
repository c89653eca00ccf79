"""The test author's controls: control API, in-process fixture, snapshots, determinism, faults,
rate limits (issue: controls)."""
import json
import threading
from decimal import Decimal

import pytest

from paradex_mock.engine.clock import DEFAULT_MANUAL_START_MS
from paradex_mock.http.app import create_app
from paradex_mock.testing import MockParadex, create_mock_server

from support import make_config, paradex_markets

ORDER = {"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.01", "price": "80000"}


def post(client, url, body=None, status=200):
    r = client.post(url, json=body if body is not None else {})
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True))
    return r.get_json()


# ---------------------------------------------------------------- control API
def test_reset_restores_fixtures_and_seed(client, exchange):
    book_before = client.get("/v1/orderbook/BTC-USD-PERP").get_data()
    post(client, "/v1/orders", ORDER, 201)
    post(client, "/_mock/clock/advance", {"ticks": 5})
    assert client.get("/v1/orderbook/BTC-USD-PERP").get_data() != book_before
    t0 = exchange.clock.now_ms()
    post(client, "/_mock/reset", {})
    assert client.get("/v1/orders").get_json()["results"] == []
    assert exchange.clock.now_ms() == t0
    # same seed at the same time: the same market (the history is regenerated from the seed)
    assert exchange.books["BTC-USD-PERP"].best_bid() is not None
    other = post(client, "/_mock/reset", {"seed": 99})
    assert other["seed"] == 99
    assert post(client, "/_mock/reset", {"seed": "x"}, 400)["error"] == "INVALID_REQUEST_PARAMETER"


def test_create_and_fund_accounts(client, exchange):
    a = post(client, "/_mock/accounts", {"balance": "2500"}, 201)
    assert a["balance"] == "2500" and a["private_key"].startswith("0x") and a["public_key"]
    acct = exchange.accounts[a["address"]]
    assert acct.onboarded and acct.balance == Decimal("2500")
    f = post(client, f"/_mock/accounts/{a['address']}/fund", {"amount": "100.5"})
    assert f["balance"] == "2600.5"
    # a given key gives the fact sheet's address
    k = post(client, "/_mock/accounts",
             {"private_key": "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcde"}, 201)
    assert k["address"] == "0x3a5e6ca3f7d55722bfb79595c96bd41dba9980fe2abf5c0577591a135ec6dc4"
    listed = {x["address"] for x in client.get("/_mock/accounts").get_json()["results"]}
    assert a["address"] in listed
    assert post(client, "/_mock/accounts", {"balance": "lots"}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, f"/_mock/accounts/{a['address']}/fund", {}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, "/_mock/accounts/nothex/fund", {"amount": "1"}, 400)["error"] == "INVALID_STARKNET_ADDRESS"


def test_manual_clock_resting_order_fills_only_when_told(client, exchange):
    mark = exchange.states["BTC-USD-PERP"].mark_price
    price = str((mark * Decimal("0.99")).quantize(Decimal("0.1")))
    o = post(client, "/v1/orders", dict(ORDER, price=price), 201)
    post(client, "/_mock/clock/advance", {"seconds": 0})
    assert client.get(f"/v1/orders/{o['id']}").get_json()["status"] == "OPEN"
    # nothing moves by itself: the order stays open however long the test takes
    assert client.get(f"/v1/orders/{o['id']}").get_json()["remaining_size"] == "0.01"
    post(client, "/_mock/markets/BTC-USD-PERP/price", {"price": str(mark * Decimal("0.98"))})
    filled = client.get(f"/v1/orders/{o['id']}").get_json()
    assert filled["status"] == "CLOSED" and filled["remaining_size"] == "0" and filled["cancel_reason"] == ""
    assert Decimal(filled["avg_fill_price"]) == Decimal(price)   # a maker fills at its own price
    fills = client.get("/v1/fills").get_json()["results"]
    assert fills[0]["liquidity"] == "MAKER" and fills[0]["order_id"] == o["id"]


def test_clock_modes_and_bad_advance(client, exchange):
    c = client.get("/_mock/clock").get_json()
    assert c["mode"] == "manual"
    t = post(client, "/_mock/clock/advance", {"seconds": 2.5})["now_ms"]
    assert t == c["now_ms"] + 2500
    assert post(client, "/_mock/clock/advance", {"ticks": 3})["now_ms"] == t + 3000
    for bad in ({}, {"seconds": -1}, {"ticks": 1.5}, {"seconds": 1, "ticks": 1}, {"seconds": "soon"}):
        assert post(client, "/_mock/clock/advance", bad, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, "/_mock/clock", {"mode": "sometimes"}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, "/_mock/clock", {"mode": "real"})["mode"] == "real"
    assert post(client, "/_mock/clock/advance", {"ticks": 1}, 400)["error"] == "REQUEST_NOT_ALLOWED"


def test_set_funding_rate_and_system_state(client):
    r = post(client, "/_mock/markets/ETH-USD-PERP/funding", {"rate": "0.0005"})
    assert r == {"market": "ETH-USD-PERP", "funding_rate": "0.0005"}
    s = client.get("/v1/markets/summary?market=ETH-USD-PERP").get_json()["results"][0]
    assert s["funding_rate"] == "0.0005"
    post(client, "/_mock/system/state", {"status": "cancel_only"})
    assert client.get("/v1/system/state").get_json() == {"status": "cancel_only"}
    assert post(client, "/v1/orders", ORDER, 400)["error"] == "SYSTEM_STATUS_CANCEL_ONLY"
    assert post(client, "/_mock/system/state", {"status": "broken"}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, "/_mock/markets/NOPE/price", {"price": "1"}, 400)["error"] == "MARKET_NOT_FOUND"
    assert post(client, "/_mock/markets/BTC-USD-PERP/price", {"price": "-5"}, 400)["error"] == "VALIDATION_ERROR"


def test_snapshot_restore_round_trip(client, exchange):
    post(client, "/v1/orders", ORDER, 201)
    post(client, "/v1/orders", dict(ORDER, type="MARKET", price=None), 201)
    post(client, "/_mock/clock/advance", {"ticks": 3})
    snap = client.get("/_mock/snapshot").get_json()
    before = [client.get(u).get_data() for u in ("/v1/orders", "/v1/positions", "/v1/fills", "/v1/balance",
                                                  "/v1/orderbook/BTC-USD-PERP", "/v1/trades?market=BTC-USD-PERP")]
    post(client, "/_mock/clock/advance", {"ticks": 2})
    after_ticks = client.get("/v1/orderbook/BTC-USD-PERP").get_data()
    post(client, "/v1/orders", dict(ORDER, side="SELL", price="120000"), 201)
    post(client, "/_mock/restore", snap)
    again = [client.get(u).get_data() for u in ("/v1/orders", "/v1/positions", "/v1/fills", "/v1/balance",
                                                 "/v1/orderbook/BTC-USD-PERP", "/v1/trades?market=BTC-USD-PERP")]
    assert again == before
    # derived totals (open-order exposure, book levels) are recounted from the restored state
    assert "held" not in snap["orders"][0]
    for acct in exchange.accounts.values():
        assert acct.open_totals() == acct.open_totals_recounted()
    assert sum(acct.open_count.get("BTC-USD-PERP", 0) for acct in exchange.accounts.values()) == 1
    for side in (exchange.books["BTC-USD-PERP"].bids, exchange.books["BTC-USD-PERP"].asks):
        assert side.totals == side.totals_recounted()
    # the random source was restored too: the same two ticks give the same book
    post(client, "/_mock/clock/advance", {"ticks": 2})
    assert client.get("/v1/orderbook/BTC-USD-PERP").get_data() == after_ticks
    assert post(client, "/_mock/restore", {"version": 1, "markets": {}}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert post(client, "/_mock/restore", {"version": 9}, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert client.get("/v1/orders").get_data() == before[0]   # a refused restore changes nothing


def test_journal_records_requests(client):
    client.get("/v1/markets")
    post(client, "/v1/orders", ORDER, 201)
    client.get("/v1/orders/123")
    entries = client.get("/_mock/journal").get_json()["results"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/v1/markets", 200), ("POST", "/v1/orders", 201), ("GET", "/v1/orders/123", 400)]
    assert entries[1]["account"].startswith("0x") and entries[1]["latency_ms"] >= 0
    assert entries[0]["account"] is None and entries[0]["faults"] == [] and entries[0]["query"] == ""
    only = client.get("/_mock/journal?path=/v1/orders&limit=1").get_json()["results"]
    assert [e["path"] for e in only] == ["/v1/orders/123"]
    client.delete("/_mock/journal")
    assert client.get("/_mock/journal").get_json()["results"] == []


def test_control_api_off_and_loopback():
    off = create_app(make_config(control="off"), start_ticker=False).test_client()
    assert off.post("/_mock/reset").status_code == 404
    loop = create_app(make_config(control="loopback"), start_ticker=False).test_client()
    assert loop.get("/_mock/clock", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    r = loop.get("/_mock/clock", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 403 and r.get_json()["error"] == "REQUEST_NOT_ALLOWED"


# ---------------------------------------------------------------- determinism
def _scripted_run(seed):
    app = create_app(make_config(seed=seed, start_time_ms=DEFAULT_MANUAL_START_MS), start_ticker=False)
    c = app.test_client()
    out = []
    a = post(c, "/_mock/accounts", {"balance": "50000"}, 201)
    out.append(json.dumps(a))
    for i in range(5):
        out.append(c.post("/v1/orders", json=dict(ORDER, price=str(94000 + 100 * i))).get_data())
        out.append(c.post("/_mock/clock/advance", json={"ticks": 2}).get_data())
    out.append(c.post("/v1/orders", json=dict(ORDER, type="MARKET", price=None, size="0.05")).get_data())
    out.append(c.post("/_mock/markets/BTC-USD-PERP/price", json={"price": "93000"}).get_data())
    for url in ("/v1/orders-history", "/v1/fills", "/v1/positions", "/v1/account", "/v1/orderbook/BTC-USD-PERP",
                "/v1/trades?market=BTC-USD-PERP&page_size=200", "/v1/markets/summary?market=ALL",
                f"/v1/markets/klines?symbol=ETH-USD-PERP&resolution=1&start_at=0&end_at={DEFAULT_MANUAL_START_MS + 10**6}"):
        out.append(c.get(url).get_data())
    return out


def test_same_seed_same_requests_same_bytes():
    first, second = _scripted_run(5), _scripted_run(5)
    assert first == second
    assert _scripted_run(6) != first


# ---------------------------------------------------------------- faults and limits, seen by a real client
ccxt = pytest.importorskip("ccxt")


@pytest.fixture
def mock():
    with MockParadex(with_ws=False) as m:
        yield m


def _ccxt(mock):
    ex = ccxt.paradex({"timeout": 5000})
    ex.urls["api"] = mock.ccxt_urls()
    return ex


def test_fixture_urls_isolation_and_cleanup():
    before = {t.name for t in threading.enumerate()}
    with MockParadex(with_ws=False, seed=1) as a, MockParadex(with_ws=False, seed=2) as b:
        assert a.port != b.port and a.api_url.startswith("http://127.0.0.1:")
        a.set_price("BTC-USD-PERP", "50000")
        assert a.exchange.states["BTC-USD-PERP"].index_price == Decimal("50000")
        assert b.exchange.states["BTC-USD-PERP"].index_price != Decimal("50000")
        assert a.exchange is not b.exchange
    assert {t.name for t in threading.enumerate()} - before == set()
    server = create_mock_server(with_ws=False)
    url = server.start()
    try:
        assert url.endswith("/v1") and _ccxt(server).fetch_time() > 0
    finally:
        server.stop()


def test_fixture_stops_when_test_body_fails():
    m = MockParadex(with_ws=False)
    with pytest.raises(RuntimeError):
        with m:
            port = m.port
            raise RuntimeError("test failed")
    import socket
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))   # the port is free again
    finally:
        s.close()


def test_ccxt_sees_injected_503_then_recovers(mock):
    ex = _ccxt(mock)
    mock.add_faults({"kind": "error", "target": "GET /v1/markets", "status": 503, "count": 1})
    with pytest.raises(ccxt.ExchangeError):
        ex.fetch_markets()
    assert len(ex.fetch_markets()) == len(paradex_markets(mock.exchange))
    assert mock.control.faults()["counts"] == {"error": 1}
    statuses = [(e["path"], e["status"], e["faults"]) for e in mock.journal(path="/v1/markets")]
    assert statuses == [("/v1/markets", 503, ["error"]), ("/v1/markets", 200, [])]


def test_ccxt_sees_429_and_recovers_after_clock_moves(mock):
    ex = _ccxt(mock)
    mock.configure_rate_limits(limits={"public": [{"limit": 3, "window_s": 60}]})
    for _ in range(3):
        ex.fetch_time()
    with pytest.raises(ccxt.RateLimitExceeded):
        ex.fetch_time()
    last = mock.journal(limit=1)[0]
    assert last["status"] == 429 and last["faults"] == ["rate_limited"]
    mock.advance(seconds=20)    # one token per 20 s at 3/min
    assert ex.fetch_time() > 0
    with pytest.raises(ccxt.RateLimitExceeded):
        ex.fetch_time()
    mock.configure_rate_limits(enabled=False)
    assert all(ex.fetch_time() for _ in range(10))


def test_rate_limit_headers(mock):
    import urllib.request
    with urllib.request.urlopen(mock.api_url + "/system/time") as r:
        h = r.headers
        assert h["X-RateLimit-Limit"] == "1500" and int(h["X-RateLimit-Remaining"]) == 1499
        assert int(h["X-RateLimit-Reset"]) >= mock.exchange.clock.now_ms() // 1000
        assert h["X-Ratelimit-Window"] == "60"


def test_lost_reply_order_exists_and_can_be_reconciled(mock):
    import http.client
    mock.add_faults({"kind": "lost_reply", "target": "POST /v1/orders", "count": 1})
    conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=5)
    body = json.dumps(dict(ORDER, client_id="lost-1"))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.request("POST", "/v1/orders", body, {"Content-Type": "application/json"})
        conn.getresponse().read()
    conn.close()
    # the adapter reconciles: the order was accepted although its reply never came
    conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=5)
    conn.request("GET", "/v1/orders/by_client_id/lost-1")
    found = json.loads(conn.getresponse().read())
    conn.close()
    assert found["status"] == "OPEN" and found["client_id"] == "lost-1"
    assert mock.journal(path="/v1/orders")[0]["faults"] == ["lost_reply"]


def test_dropped_connection_and_latency(mock):
    import time
    ex = _ccxt(mock)
    mock.add_faults([{"kind": "drop", "target": "/v1/system/time", "count": 1},
                     {"kind": "latency", "target": "GET /v1/system/state", "ms": 150, "count": 1}])
    with pytest.raises(ccxt.NetworkError):
        ex.fetch_time()
    assert ex.fetch_time() > 0
    t0 = time.perf_counter()
    ex.fetch_status()
    assert time.perf_counter() - t0 >= 0.15
    assert mock.control.faults()["counts"] == {"drop": 1, "latency": 1}


def _summary_outcomes(mock, n=20) -> list:
    ex = _ccxt(mock)
    outcomes = []
    for _ in range(n):
        try:
            ex.publicGetMarketsSummary({"market": "BTC-USD-PERP"})
            outcomes.append("ok")
        except ccxt.BaseError:
            outcomes.append("502")
    return outcomes


def test_fault_scenario_file_at_start(tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"faults": [{"kind": "error", "target": "GET /v1/markets/summary",
                                                "status": 502, "probability": 0.5}]}))
    with MockParadex(with_ws=False, faults_file=str(scenario), seed=3) as m:
        outcomes = _summary_outcomes(m)
        assert 3 <= outcomes.count("502") <= 17
        assert m.control.faults()["counts"]["error"] == outcomes.count("502")
    # the draws come from the seeded source: the same seed fails the same calls
    with MockParadex(with_ws=False, faults_file=str(scenario), seed=3) as m:
        assert _summary_outcomes(m) == outcomes


def test_bad_fault_rules_are_refused(client):
    for bad in ({"kind": "explode"}, {"kind": "error", "status": 418}, {"kind": "latency", "ms": -1},
                {"kind": "error", "probability": 2}, {"kind": "error", "colour": "red"}, [1]):
        r = client.post("/_mock/faults", json=bad)
        assert r.status_code == 400 and r.get_json()["error"] == "INVALID_REQUEST_PARAMETER", bad
    assert client.get("/_mock/faults").get_json()["faults"] == []


def test_snapshot_with_fault_rules_restores_them(client):
    """#13 item 2: the README's snapshot/restore line, once fault rules exist (and have fired)."""
    post(client, "/_mock/faults", {"kind": "error", "target": "GET /v1/markets", "status": 503, "count": 2})
    post(client, "/_mock/faults", {"kind": "latency", "target": "GET /v1/bbo/*", "ms": 1})
    assert client.get("/v1/markets").status_code == 503
    snap = client.get("/_mock/snapshot").get_json()
    client.delete("/_mock/faults")
    assert client.get("/v1/markets").status_code == 200
    post(client, "/_mock/restore", snap)
    rules = client.get("/_mock/faults").get_json()["faults"]
    assert [(r["id"], r["kind"], r["fired"], r["count"]) for r in rules] == [(1, "error", 1, 2), (2, "latency", 0, None)]
    assert client.get("/v1/markets").status_code == 503       # the one firing left
    assert client.get("/v1/markets").status_code == 200
    post(client, "/_mock/faults", {"kind": "drop", "target": "/nowhere"})
    assert client.get("/_mock/faults").get_json()["faults"][-1]["id"] == 3    # ids go on after the restored ones
    # a snapshot with a broken rule is refused before anything changes
    bad = dict(snap, faults=[dict(snap["faults"][0], fired="many")])
    assert post(client, "/_mock/restore", bad, 400)["error"] == "INVALID_REQUEST_PARAMETER"
    assert len(client.get("/_mock/faults").get_json()["faults"]) == 3


def _post_order(mock, body):
    """POST /v1/orders on a fresh connection: (status, body), or None when the reply was lost."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=5)
    try:
        conn.request("POST", "/v1/orders", json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    except (http.client.RemoteDisconnected, ConnectionError):
        return None
    finally:
        conn.close()


def test_every_counted_fault_happens(mock):
    """#13 item 3: examples/flaky_orders.json's error and lost_reply on one request. A lost_reply
    behind an error is neither counted nor journaled; it fires (and is seen) on the next request."""
    mock.add_faults([{"kind": "lost_reply", "target": "POST /v1/orders", "count": 1},
                     {"kind": "error", "target": "POST /v1/orders", "status": 503, "count": 1},
                     {"kind": "latency", "target": "POST /v1/orders", "ms": 1, "count": 1}])
    status, body = _post_order(mock, dict(ORDER, client_id="first"))
    assert status == 503 and body["error"] == "SERVICE_UNAVAILABLE"
    assert mock.control.faults()["counts"] == {"error": 1, "latency": 1}
    assert _post_order(mock, dict(ORDER, client_id="second")) is None       # taken, reply lost
    assert mock.control.faults()["counts"] == {"error": 1, "latency": 1, "lost_reply": 1}
    assert [r["fired"] for r in mock.control.faults()["faults"]] == [1, 1, 1]
    assert [(e["status"], e["faults"]) for e in mock.journal(path="/v1/orders")] == \
        [(503, ["error", "latency"]), (201, ["lost_reply"])]
    assert sorted(o.client_id for o in mock.exchange.orders.values() if o.client_id) == ["second"]


def test_every_system_state_acts_on_order_entry(client):
    """#13 item 4: no state the control API offers is cosmetic. maintenance refuses order entry
    (create, batch, modify) with 503 SERVICE_UNAVAILABLE; cancels still go through."""
    resting = post(client, "/v1/orders", ORDER, 201)
    post(client, "/_mock/system/state", {"status": "maintenance"})
    assert client.get("/v1/system/state").get_json() == {"status": "maintenance"}
    assert post(client, "/v1/orders", ORDER, 503) == {"error": "SERVICE_UNAVAILABLE",
                                                      "message": "exchange is under maintenance", "data": None}
    batch = post(client, "/v1/orders/batch", [ORDER], 201)
    assert batch["orders"] == [] and [e["error"] for e in batch["errors"]] == ["SERVICE_UNAVAILABLE"]
    r = client.put(f"/v1/orders/{resting['id']}", json=dict(ORDER, id=resting["id"], price="79000"))
    assert r.status_code == 503 and r.get_json()["error"] == "SERVICE_UNAVAILABLE"
    assert client.get(f"/v1/orders/{resting['id']}").get_json()["price"] == "80000"
    assert len(client.get("/v1/orders").get_json()["results"]) == 1          # nothing was placed
    post(client, "/_mock/system/state", {"status": "post_only"})
    assert post(client, "/v1/orders", ORDER, 400)["error"] == "SYSTEM_STATUS_POST_ONLY"
    post(client, "/v1/orders", dict(ORDER, instruction="POST_ONLY"), 201)
    post(client, "/_mock/system/state", {"status": "maintenance"})
    assert client.delete(f"/v1/orders/{resting['id']}").status_code == 204
    post(client, "/_mock/system/state", {"status": "ok"})
    post(client, "/v1/orders", ORDER, 201)
