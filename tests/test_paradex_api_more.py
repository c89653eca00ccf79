"""Behaviour behind the operations added for issue 14: TWAP child orders over the manual clock,
deposits on the record, subkeys that trade and are revoked, API tokens that are revoked."""
from decimal import Decimal

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.venues.paradex.auth import StarkSigner
from test_auth_rest import bearer, get_token, limit_body, new_app, now_ms, now_s
from test_trading_support import BTC, trading_app

D = Decimal


def test_twap_slices_into_market_orders_every_30_seconds():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    algo = c.post("/v1/algo/orders", json={"algo_type": "TWAP", "market": BTC, "side": "BUY", "size": "0.04",
                                           "type": "MARKET", "duration_seconds": 120}).get_json()
    assert algo["status"] == "OPEN" and algo["algo_type"] == "TWAP" and algo["size"] == "0.04"
    acct = ex.accounts[DEMO_ACCOUNT]
    assert len(acct.fills) == 1 and acct.fills[0].size == D("0.01")       # the first slice, at once
    ex.advance(seconds=29)
    assert len(acct.fills) == 1
    ex.advance(seconds=1)
    assert len(acct.fills) == 2
    ex.advance(seconds=60)
    got = c.get(f"/v1/algo/orders/{algo['id']}").get_json()
    assert got["status"] == "CLOSED" and got["remaining_size"] == "0" and got["cancel_reason"] == ""
    assert [f.size for f in acct.fills] == [D("0.01")] * 4
    assert D(got["avg_fill_price"]) == (sum(f.price * f.size for f in acct.fills) / D("0.04")).quantize(D("1e-8"))
    assert c.get("/v1/algo/orders").get_json()["results"] == []
    assert [o["type"] for o in c.get("/v1/orders-history").get_json()["results"]] == ["MARKET"] * 4
    # a cancelled TWAP places nothing more
    algo = c.post("/v1/algo/orders", json={"algo_type": "TWAP", "market": BTC, "side": "SELL", "size": "0.02",
                                           "type": "MARKET", "duration_seconds": 60}).get_json()
    assert c.delete(f"/v1/algo/orders/{algo['id']}").status_code == 204
    ex.advance(seconds=60)
    assert len(acct.fills) == 5
    assert c.get(f"/v1/algo/orders/{algo['id']}").get_json()["cancel_reason"] == "USER_CANCELED"
    assert c.get("/v1/algo/orders/404").get_json()["error"] == "ALGO_ID_NOT_FOUND"


def test_deposits_are_on_the_record():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    ex.fund(DEMO_ACCOUNT, "250")
    ex.fund(DEMO_ACCOUNT, "-50")
    rows = c.get("/v1/transfers").get_json()["results"]
    assert [(r["kind"], r["direction"], r["amount"]) for r in rows] == [
        ("WITHDRAWAL", "OUT", "50"), ("DEPOSIT", "IN", "250"), ("DEPOSIT", "IN", "100000")]
    assert all(r["status"] == "COMPLETED" and r["token"] == "USDC" for r in rows)


def test_a_subkey_trades_for_its_account_until_revoked():
    client = new_app(auth_mode="strict").test_client()
    main = StarkSigner(0x5A5A5A5A0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234)
    sub = StarkSigner(0x0C0C0C0C0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234)
    sub.address = main.address               # the subkey signs for the main account
    auth = bearer(get_token(client, main))
    assert client.post("/v1/account/keys/subkeys", headers=auth,
                       json={"name": "bot", "public_key": hex(sub.public_key)}).status_code == 201
    # /auth signed by the subkey (paradex-py's ParadexSubkey names it in the path): the main account's JWT
    sub_auth = bearer(get_token(client, sub, f"/v1/auth/{hex(sub.public_key)}"))
    placed = client.post("/v1/orders", headers=sub_auth, json=sub.sign_order(limit_body(), now_ms(client)))
    assert placed.status_code == 201 and placed.get_json()["account"] == main.address_hex
    # only from its allowed CIDRs
    client.put(f"/v1/account/keys/subkeys/{hex(sub.public_key)}/allowed-cidrs", headers=auth,
               json={"allowed_cidrs": ["10.0.0.0/8"]})
    ts = now_s(client)
    resp = client.post(f"/v1/auth/{hex(sub.public_key)}", headers=sub.auth_headers(ts, ts + 180))
    assert (resp.status_code, resp.get_json()["error"]) == (403, "IP_NOT_ALLOWED")
    client.put(f"/v1/account/keys/subkeys/{hex(sub.public_key)}/allowed-cidrs", headers=auth,
               json={"allowed_cidrs": []})
    # revoked: neither its /auth nor its orders are accepted
    assert client.delete(f"/v1/account/keys/subkeys/{hex(sub.public_key)}", headers=auth).get_json() == \
        {"public_key": hex(sub.public_key)}
    resp = client.post(f"/v1/auth/{hex(sub.public_key)}", headers=sub.auth_headers(now_s(client), now_s(client) + 180))
    assert (resp.status_code, resp.get_json()["error"]) == (401, "INVALID_SUBKEY")
    refused = client.post("/v1/orders", headers=auth, json=sub.sign_order(limit_body(price="49000"), now_ms(client)))
    assert refused.get_json()["error"] == "INVALID_ORDER_SIGNATURE"
    assert client.get(f"/v1/account/keys/subkeys/{hex(sub.public_key)}", headers=auth).get_json()["state"] == "revoked"


def test_revoked_api_token_is_refused():
    client = new_app(auth_mode="strict").test_client()
    main = StarkSigner(0x5A5A5A5A0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01234)
    auth = bearer(get_token(client, main))
    made = client.post("/v1/account/tokens", headers=auth,
                       json={"name": "ro", "token_type": "read", "expiry_duration": 3600}).get_json()
    token = bearer(made["token"])
    assert client.get("/v1/balance", headers=token).status_code == 200
    lookup = made["api_token"]["lookup_id"]
    assert client.delete(f"/v1/account/tokens/{lookup}", headers=auth).get_json() == {"lookup_id": lookup}
    assert client.get("/v1/balance", headers=token).status_code == 401
    assert client.get("/v1/account/tokens", headers=auth).get_json()["results"][0]["revoked_at"] > 0


# ------------------------------------------------------------------ found by tests/test_schemathesis.py
def test_malformed_query_values_are_refused_not_ignored():
    c = trading_app().test_client()
    for url in ("/v1/account/keys/subkeys?with_revoked=maybe", "/v1/account/tokens?with_invalid=1e300",
                "/v1/block-trades?status=AAA", "/v1/rfqs?state=AAA", "/v1/rfqs?page_size=x"):
        r = c.get(url)
        assert r.status_code == 400 and r.get_json()["error"] == "INVALID_REQUEST_PARAMETER", url
    for url in ("/v1/account/keys/subkeys?with_revoked=true", "/v1/account/tokens?with_invalid=false",
                "/v1/block-trades?status=CREATED", "/v1/rfqs?state=OPEN"):
        assert c.get(url).status_code == 200, url


def test_profile_fields_of_the_wrong_type_are_refused_and_not_stored():
    c = trading_app().test_client()
    before = c.get("/v1/account/profile").get_json()
    for path, body in (("/v1/account/profile/size_currency_display", {"size_currency_display": []}),
                       ("/v1/account/profile/size_currency_display", {}),
                       ("/v1/account/profile/notifications", {"announcements": None}),
                       ("/v1/account/profile", {"fill_sound": {}})):
        r = c.open(path, method="PUT" if path == "/v1/account/profile" else "POST", json=body)
        assert r.status_code == 400, (path, body, r.get_json())
    assert c.get("/v1/account/profile").get_json() == before
    ok = c.post("/v1/account/profile/size_currency_display", json={"size_currency_display": "QUOTE"})
    assert ok.status_code == 200 and ok.get_json()["size_currency_display"] == "QUOTE"


def test_block_trade_fields_are_typed_and_only_the_specs_are_echoed():
    c = trading_app().test_client()
    bad = {"trades": {BTC: {"maker_order": {"type": {}, "side": "BUY"}}}}
    assert c.post("/v1/block-trades", json=bad).status_code == 400
    bad = {"trades": {BTC: {"taker_order": {"signature_timestamp": True}}}}
    assert c.post("/v1/block-trades", json=bad).status_code == 400
    assert c.post("/v1/block-trades", json={"trades": {BTC: {}}, "block_expiration": "soon"}).status_code == 400
    good = {"trades": {BTC: {"price": "1", "size": "1", "junk": 1,
                             "maker_order": {"side": "SELL", "type": "LIMIT", "extra": [1]}}}}
    r = c.post("/v1/block-trades", json=good)
    assert r.status_code == 201
    assert r.get_json()["trades"] == {BTC: {"market": BTC, "price": "1", "size": "1",
                                            "maker_order": {"side": "SELL", "type": "LIMIT"}}}


def test_unknown_ids_answer_the_status_each_operation_documents():
    c = trading_app().test_client()
    # the spec documents 400 (no 404) on these
    for method, url in (("DELETE", "/v1/account/keys/subkeys/0x123"), ("DELETE", "/v1/account/tokens/nope"),
                        ("DELETE", "/v1/rfqs/0"), ("POST", "/v1/rfqs/0/execute"),
                        ("GET", "/v1/vaults/balance?address=0x1"), ("GET", "/v1/vaults/positions?address=0x1")):
        r = c.open(url, method=method, json={"side": "BUY", "price": "1", "quantity": "1"} if method == "POST" else None)
        assert r.status_code == 400, (method, url, r.status_code)
    # and 404 on these
    assert c.get("/v1/account/keys/subkeys/0x123").status_code == 404
    assert c.get("/v1/vaults/analytics?address=0x1").status_code == 404


def test_more_malformed_values_the_big_schemathesis_run_found():
    c = trading_app().test_client()
    for url in ("/v1/algo/orders-history?side=", "/v1/algo/orders-history?type=AAA",
                "/v1/staking/balance/history?resolution=2h", "/v1/staking/balance/history/global?resolution=x",
                "/v1/system/announcements?start_at=false"):
        r = c.get(url)
        assert r.status_code == 400 and r.get_json()["error"] == "INVALID_REQUEST_PARAMETER", url
    r = c.delete("/v1/orders/batch", json={"client_order_ids": [[None]], "order_ids": []})
    assert r.status_code == 400 and r.get_json()["error"] == "VALIDATION_ERROR"
    for url in ("/v1/algo/orders-history?side=BUY&type=MARKET", "/v1/staking/balance/history?resolution=1h",
                "/v1/system/announcements?start_at=0"):
        assert c.get(url).status_code == 200, url


def test_xp_transfer_filters_and_block_trade_signatures_are_checked():
    c = trading_app().test_client()
    for url in ("/v1/xp/transfers?role=", "/v1/xp/public-transfers?start_at=soon", "/v1/xp/public-transfers?page_size=51"):
        r = c.get(url)
        assert r.status_code == 400 and r.get_json()["error"] == "INVALID_REQUEST_PARAMETER", url
    assert c.get("/v1/xp/transfers?role=sender").status_code == 200
    assert c.get("/v1/xp/public-transfers?start_at=0&page_size=50").status_code == 200
    bad = {"trades": {BTC: {}}, "signatures": {"0x1": {"signature_type": "RSA"}}}
    assert c.post("/v1/block-trades", json=bad).status_code == 400


def test_every_engine_refusal_has_a_paradex_code_in_the_spec():
    """Paradex words each of the engine's refusals (engine.errors.Reason) with an ErrorCode of its
    spec (or one newer than it) and a status; one table, venues/paradex/errors.py."""
    from paradex_mock.engine.errors import Reason
    from paradex_mock.venues.paradex.errors import CODES
    from test_input_hardening import NEWER_THAN_THE_SPEC, _spec_error_codes
    assert set(CODES) == set(Reason)
    known = _spec_error_codes() | set(NEWER_THAN_THE_SPEC)
    for reason, (code, status) in CODES.items():
        assert code in known and status in (400, 404, 503), reason
