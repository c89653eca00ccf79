"""Bad input gets Paradex's answer (issue 13): bodies past the cap, tampered cursors, deep
nesting, absurd numbers, non-ASCII digits, error codes outside the spec, unknown paths, query
values the spec does not allow, and the control API's silent acceptances."""
import json
import socket

import pytest

from paradex_mock.http.middleware import MAX_API_BODY

ORDER = {"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.01", "price": "80000"}


def post(client, url, body=None, status=200):
    r = client.post(url, json=body if body is not None else {})
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True))
    return r.get_json()


def raw_http(port: int, head: bytes, chunks=(), timeout: float = 10.0) -> bytes:
    """Send a request head and body chunks on one socket, then read the reply until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        for c in chunks:
            try:
                s.sendall(c)
            except OSError:      # the server answered and stopped reading
                break
        out = b""
        while True:      # one reply: its head, then Content-Length bytes (the server may keep reading)
            head_end = out.find(b"\r\n\r\n")
            if head_end >= 0:
                length = next((int(line.split(b":", 1)[1]) for line in out[:head_end].split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if len(out) >= head_end + 4 + length:
                    return out
            data = s.recv(65536)
            if not data:
                return out
            out += data


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


# ---------------------------------------------------------------- item 5
def test_chunked_body_is_capped_without_reading_past_the_cap(live_server):
    head = (b"POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    ok = raw_http(live_server.port, head, [chunk(json.dumps(ORDER).encode()), b"0\r\n\r\n"])
    assert ok.startswith(b"HTTP/1.1 201"), ok[:200]
    # past the cap, and never finished: the server answers without waiting for (or reading) the rest
    piece = b" " * (256 << 10)
    reply = raw_http(live_server.port, head, [chunk(piece)] * (MAX_API_BODY // len(piece) + 2))
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1]) == {"error": "BINDING_ERROR", "message": "request body too large",
                                                         "data": None}


# ---------------------------------------------------------------- item 6
def _cursor(payload) -> str:
    import base64
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize("path", ["/v1/trades?market=BTC-USD-PERP", "/v1/funding/data?market=BTC-USD-PERP",
                                  "/v1/fills?market=BTC-USD-PERP", "/v1/orders-history?market=BTC-USD-PERP",
                                  ])
def test_tampered_cursor_is_a_400(client, path):
    post(client, "/v1/orders", dict(ORDER, type="MARKET", price=None), 201)    # some fills and history
    for payload in ({"d": "n", "k": ["x"]}, {"d": "p", "k": [None]}, {"d": "n", "k": [1, {"a": 1}]},
                    {"d": "p", "k": ["x", 1]}):
        r = client.get(f"{path}&cursor={_cursor(payload)}")
        assert r.status_code == 400, (payload, r.get_data(as_text=True))
        assert r.get_json() == {"error": "INVALID_REQUEST_PARAMETER",
                                "message": "invalid cursor: not a cursor this server issued", "data": None}


# ---------------------------------------------------------------- item 7
def test_deeply_nested_control_body_is_a_400(client):
    deep = "[" * 100_000 + "]" * 100_000
    for method, path in (("POST", "/_mock/accounts"), ("POST", "/_mock/faults"), ("POST", "/_mock/restore"),
                         ("POST", "/v1/orders"), ("POST", "/v1/orders/batch")):
        r = client.open(path, method=method, data=deep, content_type="application/json")
        assert r.status_code == 400 and r.get_json()["error"] == "BINDING_ERROR", (path, r.get_data(as_text=True))


# ---------------------------------------------------------------- item 8
def test_absurd_clock_advance_is_refused_and_changes_nothing(client):
    before = client.get("/_mock/clock").get_json()["now_ms"]
    for bad in ({"seconds": 1e12}, {"seconds": 86_401}, {"ticks": 86_401}, {"ticks": 1e12}, {"seconds": "1e400"}):
        r = post(client, "/_mock/clock/advance", bad, 400)
        assert r["error"] == "INVALID_REQUEST_PARAMETER", bad
        assert "at most" in r["message"] or "non-negative" in r["message"], r
    assert client.get("/_mock/clock").get_json()["now_ms"] == before
    assert post(client, "/_mock/clock/advance", {"seconds": 90})["now_ms"] == before + 90_000


def test_control_price_is_bounded_and_at_least_a_tick(client):
    summary = client.get("/v1/markets/summary?market=BTC-USD-PERP").get_json()["results"][0]
    for bad, why in (("1e30", "at most 1000000000000"), ("0.01", "at least one price tick (0.1)"),
                     ("NaN", "a decimal number"), ({"a": 1}, "a decimal number"), ("9" * 400, "at most 1000000000000")):
        r = post(client, "/_mock/markets/BTC-USD-PERP/price", {"price": bad}, 400)
        assert r["error"] == "VALIDATION_ERROR" and why in r["message"] and len(r["message"]) < 100, (bad, r)
    after = client.get("/v1/markets/summary?market=BTC-USD-PERP").get_json()["results"][0]
    assert after["mark_price"] == summary["mark_price"] != "0"
    assert post(client, "/_mock/markets/BTC-USD-PERP/price", {"price": "0.1"})["mark_price"] == "0.1"


# ---------------------------------------------------------------- item 9
@pytest.mark.parametrize("field,value", [("size", "١٢"), ("size", "1_0"), ("size", " 1"), ("size", "１"),
                                         ("price", "５００００"), ("price", "80_000"), ("price", "Infinity"),
                                         ("price", "8e4\n"), ("trigger_price", "NaN"), ("trigger_price", "١")])
def test_only_plain_ascii_decimals_are_numbers(client, field, value):
    r = client.post("/v1/orders", json=dict(ORDER, **{field: value}))
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["error"] in ("INVALID_ORDER_SIZE", "VALIDATION_ERROR")
    assert r.get_json()["message"] == f"invalid {field} \"{value}\": not a decimal number"
    assert client.get("/v1/orders").get_json()["results"] == []      # nothing rests


def test_plain_decimals_still_parse(client):
    for size, price in (("0.01", "80000"), ("1e-2", "8e4"), (".01", "80000.0"), ("+0.01", "80000")):
        r = post(client, "/v1/orders", dict(ORDER, size=size, price=price), 201)
        assert (r["size"], r["price"]) == ("0.01", "80000")


# ---------------------------------------------------------------- item 10
def _spec_error_codes() -> set:
    import openapi
    return set(openapi.load_spec()["components"]["schemas"]["responses.ErrorCode"]["enum"])


@pytest.mark.parametrize("change,code,message", [
    ({"price": None}, "VALIDATION_ERROR", "price is required"),
    ({"price": "90000.05"}, "VALIDATION_ERROR", "price 90000.05 is not a multiple of price_tick_size 0.1"),
    ({"type": "STOP_LIMIT", "trigger_price": "80000.01"}, "VALIDATION_ERROR",
     "invalid trigger_price 80000.01: a positive multiple of price_tick_size 0.1"),
    ({"size": {"a": 1}}, "INVALID_ORDER_SIZE", "invalid size (an object): not a decimal number"),
    ({"market": 5}, "VALIDATION_ERROR", "invalid market (a number): must be a string"),
    ({"market": None}, "VALIDATION_ERROR", "market is required"),
    ({"side": "x" * 500}, "VALIDATION_ERROR", f'invalid side "{"x" * 64}...": must be BUY or SELL'),
    ({"size": "1" + "0" * 308}, "INVALID_ORDER_SIZE", f"size 1{'0' * 63}... exceeds max_order_size 100"),
    ({"market": "Z" * 300}, "MARKET_NOT_FOUND", f'market "{"Z" * 64}..." not found'),
    ({"flags": [{"a": 1}]}, "VALIDATION_ERROR", "invalid flags: an array of REDUCE_ONLY, STOP_CONDITION_BELOW_TRIGGER, "
                                                "STOP_CONDITION_ABOVE_TRIGGER, INTERACTIVE, TARGET_STRATEGY_VWAP, MMP"),
])
def test_order_errors_use_spec_codes_and_no_python_reprs(client, change, code, message):
    r = client.post("/v1/orders", json=dict(ORDER, **change))
    assert r.status_code == 400
    assert r.get_json() == {"error": code, "message": message, "data": None}
    assert code in _spec_error_codes()


# Codes of features newer than the bundled spec, each with where Paradex names it.
NEWER_THAN_THE_SPEC = {
    "MMP_MIN_FREEZE_NOT_ELAPSED": "market maker protection's reset (paradex-py 0.8.2, ParadexApiClient.reset_mmp)",
}


def test_every_error_code_the_mock_sends_is_in_the_spec():
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parents[1] / "paradex_mock"
    sent = set()
    for f in root.rglob("*.py"):
        sent |= set(re.findall(r'(?:ExchangeError|api_error|_ERROR_CODE)\(\s*"([A-Z_]+)"', f.read_text()))
    known = _spec_error_codes() | set(NEWER_THAN_THE_SPEC)
    assert sent and sent <= known, sorted(sent - known)


def test_auth_expiration_errors_use_spec_codes(client):
    r = client.post("/v1/auth", headers={"PARADEX-STARKNET-ACCOUNT": "0x1", "PARADEX-STARKNET-SIGNATURE": '["1","2"]',
                                         "PARADEX-TIMESTAMP": "1", "PARADEX-SIGNATURE-EXPIRATION": "soon"})
    assert r.status_code == 400 and r.get_json()["error"] == "INVALID_TIMESTAMP"


# ---------------------------------------------------------------- item 11
def test_unknown_paths_under_known_prefixes_are_404(client):
    for path in ("/v1/orderbook/BTC-USD-PERP/extra", "/v1/bbo/BTC-USD-PERP/extra",
                 "/v1/instruments/BTC-USD-PERP/x"):
        r = client.get(path)
        assert r.status_code == 404 and r.get_json()["error"] == "NOT_FOUND", (path, r.get_data(as_text=True))


def test_405_names_the_allowed_methods(client):
    r = client.delete("/v1/markets")
    assert r.status_code == 405 and r.get_json() == {"message": "Method Not Allowed"}
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
    r = client.get("/v1/orders/batch")              # not GET /v1/orders/{order_id} with id "batch"
    assert r.status_code == 405 and r.headers["Allow"] == "DELETE, OPTIONS, POST"
    assert sorted(client.options("/v1/orders/batch").headers["Allow"].split(", ")) == ["DELETE", "OPTIONS", "POST"]
    assert client.get("/v1/orders/123").get_json()["error"] == "ORDER_ID_NOT_FOUND"    # ids still route


# ---------------------------------------------------------------- item 12
@pytest.mark.parametrize("path", ["/v1/orders-history?type=AAA", "/v1/orders-history?side=buy",
                                  "/v1/orders-history?status=", "/v1/transfers?status=AAA",
                                  "/v1/orderbook/BTC-USD-PERP?depth=", "/v1/transfers?start_at=null",
                                  "/v1/trades?market=BTC-USD-PERP&start_at=null", "/v1/fills?end_at=",
                                  "/v1/tradebusts?page_size=0", "/v1/trades?market=BTC-USD-PERP&page_size=1001"])
def test_query_values_the_spec_does_not_allow_are_refused(client, path):
    r = client.get(path)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["error"] == "INVALID_REQUEST_PARAMETER"


def test_page_size_up_to_the_specs_5000(client):
    for path in ("/v1/fills", "/v1/orders-history", "/v1/transfers", "/v1/funding/data?market=BTC-USD-PERP"):
        sep = "&" if "?" in path else "?"
        assert client.get(f"{path}{sep}page_size=5000").status_code == 200, path
        assert client.get(f"{path}{sep}page_size=5001").status_code == 400, path
    rows = client.get("/v1/funding/data?market=BTC-USD-PERP&page_size=5000").get_json()["results"]
    assert len(rows) > 1000          # a day of backfilled funding rows, more than the old cap
    assert client.get("/v1/orders-history?type=LIMIT&side=BUY&status=CLOSED").status_code == 200


def test_strict_mode_has_no_demo_account_to_log_in_as():
    from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
    from paradex_mock.http.app import create_app
    from support import make_config
    strict = create_app(make_config(auth_mode="strict", backfill_hours=1), start_ticker=False)
    assert DEMO_ACCOUNT not in strict.extensions["paradex_mock"].exchange.accounts
    c = strict.test_client()
    c.post("/_mock/reset", json={})
    assert DEMO_ACCOUNT not in strict.extensions["paradex_mock"].exchange.accounts
    assert all(a["address"] != DEMO_ACCOUNT for a in c.get("/_mock/accounts").get_json()["results"])
    permissive = create_app(make_config(backfill_hours=1), start_ticker=False)
    assert DEMO_ACCOUNT in permissive.extensions["paradex_mock"].exchange.accounts


# ---------------------------------------------------------------- item 14
def test_control_api_refuses_what_it_used_to_accept_silently(client, exchange):
    unknown = "0x" + "ab" * 31
    r = post(client, f"/_mock/accounts/{unknown}/fund", {"amount": "5"}, 404)
    assert r["error"] == "ACCOUNT_NOT_FOUND" and int(unknown, 16) not in [int(a, 16) for a in exchange.accounts]
    r = client.delete("/_mock/faults/99")
    assert r.status_code == 404 and r.get_json() == {"error": "NOT_FOUND", "message": "no fault rule 99", "data": None}
    n = len(exchange.accounts)
    for body in ({"balance": "-5"}, {"balance": "-1", "address": unknown}):
        r = post(client, "/_mock/accounts", body, 400)
        assert r == {"error": "INVALID_REQUEST_PARAMETER", "message": "balance must not be negative", "data": None}
    assert len(exchange.accounts) == n
    a = post(client, "/_mock/accounts", {"balance": "0"}, 201)
    assert post(client, f"/_mock/accounts/{a['address']}/fund", {"amount": "-1"})["balance"] == "-1"   # a debit


def test_mock_settings_are_checked():
    from paradex_mock.testing import MockParadex
    for kwargs, msg in (({"seed": "abc"}, "seed must be an int, not str"),
                        ({"sead": 7}, "unknown setting(s) sead; the settings are host, "),
                        ({"tick_interval": True}, "tick_interval must be a float, not bool"),
                        ({"starting_balance": "-1"}, "starting_balance must not be negative")):
        with pytest.raises(ValueError) as e:
            MockParadex(**kwargs)
        assert msg in str(e.value), (kwargs, str(e.value))


def test_a_bad_marker_is_one_clear_line(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "conftest.py").write_text("from paradex_mock.pytest_plugin import paradex_mock, pytest_configure\n")
    (tmp_path / "test_marker.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.paradex_mock(seed='abc')\ndef test_seed(paradex_mock):\n    pass\n\n"
        "@pytest.mark.paradex_mock(colour='red')\ndef test_unknown(paradex_mock):\n    pass\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(root)))
    assert r.returncode == 1, r.stdout
    assert "@pytest.mark.paradex_mock: seed must be an int, not str" in r.stdout
    assert "@pytest.mark.paradex_mock: unknown setting(s) colour" in r.stdout
    assert "Traceback" not in r.stdout and "dataclasses.py" not in r.stdout and "2 errors" in r.stdout
