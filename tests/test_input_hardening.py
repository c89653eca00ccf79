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
