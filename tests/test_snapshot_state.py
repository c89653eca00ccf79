"""Snapshots carry the state added beside the engine's books and accounts (issue 14): transfers
and transactions, TWAP algos, subkeys and API tokens, the lifecycles of extras/ (block trades,
RFQs, vaults, referrals, profiles), market maker protection and the scenario in force. Set each
up, snapshot, reset, restore: every listing answers as it did before the snapshot."""
import copy
from decimal import Decimal

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.engine.models import Order
from paradex_mock.venues.paradex.auth import StarkSigner
from test_trading_support import BTC, call, get, post_order, trading_app

SUBKEY = StarkSigner(0x777123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789A)

LISTINGS = [
    "/v1/transfers", "/v1/transactions", "/v1/algo/orders", "/v1/algo/orders-history", "/v1/orders",
    "/v1/orders-history", "/v1/fills", "/v1/account/keys/subkeys", "/v1/account/tokens",
    "/v1/account/profile", "/v1/account/settings", "/v1/block-trades", "/v1/rfqs", "/v1/rfqs/drafts",
    "/v1/vaults", "/v1/vaults/mine", "/v1/referrals/summary", "/v1/account/mmp",
]


def ok(c, method, url, body):
    r = c.open(url, method=method, json=body)
    assert r.status_code < 300, (url, r.get_data(as_text=True))
    return r.get_json(silent=True)


def listings(c):
    out = {p: get(c, p) for p in LISTINGS}
    out["/_mock/scenario"] = get(c, "/_mock/scenario")
    return out


def test_snapshot_reset_restore_gives_every_listing_back():
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    ok(c, "POST", f"/_mock/accounts/{DEMO_ACCOUNT}/fund", {"amount": "250"})
    post_order(c, market=BTC, side="BUY", type="MARKET", size="0.01")
    algo = ok(c, "POST", "/v1/algo/orders", {"algo_type": "TWAP", "market": BTC, "side": "BUY",
                                                    "size": "0.04", "type": "MARKET", "duration_seconds": 120})
    ok(c, "POST", "/v1/account/keys/subkeys", {"name": "bot", "public_key": hex(SUBKEY.public_key)})
    token = ok(c, "POST", "/v1/account/tokens", {"name": "ro", "token_type": "read", "expiry_duration": 3600})
    ok(c, "PUT", "/v1/account/profile", {"username": "snapper"})
    ok(c, "POST", "/v1/account/profile/market_max_slippage/" + BTC, {"max_slippage": "0.02"})
    trades = {BTC: {"price": "90000", "size": "0.1", "side": "BUY"}}
    ok(c, "POST", "/v1/block-trades", {"nonce": "1", "trades": trades, "required_signers": [],
                                              "signatures": {}, "block_expiration": ex.clock.now_ms() + 10**9})
    rfq = {"legs": [{"market": BTC, "side": "BUY", "ratio": "1"}], "quantity": "1"}
    ok(c, "POST", "/v1/rfqs", rfq)
    ok(c, "POST", "/v1/rfqs/drafts", rfq)
    ok(c, "POST", "/v1/vaults", {"name": "snap vault", "description": "kept"})
    # MMP: a config, tripped (frozen) by a maker fill
    ok(c, "POST", "/v1/account/mmp/BTC", {"interval_ms": 1000, "frozen_time_ms": 60_000, "size_limit": "0.01"})
    post_order(c, market=BTC, side="SELL", type="LIMIT", size="0.02", price=str(ex.books[BTC].best_ask() - 1),
               flags=["MMP"])
    ex.submit_order("0x777", Order(id="", account="", market=BTC, side="BUY", type="MARKET",
                                   size=Decimal("0.011"), price=Decimal(0)))
    ok(c, "POST", "/_mock/scenario", {"markets": {BTC: [{"kind": "calm", "seconds": 60},
                                                                {"kind": "shock", "move_pct": -5, "seconds": 30}]}})
    ex.advance(seconds=30)                       # a TWAP slice; the calm segment half run
    before = listings(c)
    assert before["/v1/account/mmp"]["results"][0]["is_frozen"] is True
    assert len(before["/v1/algo/orders"]["results"]) == 1 and before["/v1/account/tokens"]["results"]
    assert before["/_mock/scenario"]["markets"][BTC]["active"]["kind"] == "calm"

    snap = get(c, "/_mock/snapshot")
    ok(c, "POST", "/_mock/reset", {})
    assert get(c, "/v1/account/keys/subkeys")["results"] == [] and get(c, "/v1/block-trades")["results"] == []
    assert get(c, "/v1/account/mmp")["results"] == [] and get(c, "/_mock/scenario")["markets"] == {}
    ok(c, "POST", "/_mock/restore", snap)
    assert listings(c) == before
    # the restored state goes on as the original would have: the TWAP's next slice, the scenario's shock
    ex.advance(seconds=31)
    assert len(ex.accounts[DEMO_ACCOUNT].algos[algo["id"]].child_ids) == 3
    assert get(c, "/_mock/scenario")["markets"][BTC]["active"]["kind"] == "shock"
    assert get(c, "/v1/account/tokens")["results"][0]["lookup_id"] == token["api_token"]["lookup_id"]


def test_an_older_snapshot_without_the_new_state_still_restores():
    app = trading_app()
    c = app.test_client()
    ok(c, "POST", "/v1/account/keys/subkeys", {"name": "bot", "public_key": hex(SUBKEY.public_key)})
    ok(c, "POST", "/v1/account/mmp/BTC", {"interval_ms": 1000, "frozen_time_ms": 0, "size_limit": "1"})
    snap = get(c, "/_mock/snapshot")
    old = copy.deepcopy(snap)
    for key in ("mmp", "scenario", "venues"):
        del old[key]
    for a in old["accounts"]:
        for key in ("max_slippage", "transfers", "algos"):
            del a[key]
    ok(c, "POST", "/_mock/restore", old)
    assert get(c, "/v1/account/mmp")["results"] == [] and get(c, "/v1/account/keys/subkeys")["results"] == []
    assert get(c, "/v1/transfers")["results"] == []
    ok(c, "POST", "/_mock/restore", snap)
    assert len(get(c, "/v1/account/mmp")["results"]) == 1
    # a malformed venue part is refused before anything changes
    bad = copy.deepcopy(snap)
    bad["venues"]["paradex"]["paradex_keys"] = {"nope": 1}
    assert call(c, "POST", "/_mock/restore", 400, bad)["error"] == "INVALID_REQUEST_PARAMETER"
    assert len(get(c, "/v1/account/keys/subkeys")["results"]) == 1


def test_a_snapshot_of_the_untyped_extras_store_restores_every_family():
    """tests/data/extras_snapshot_v1.json: a snapshot's venues part written by the code before
    extras/ became a package (commit 18abc8d, one untyped Store; make_extras_snapshot_v1.py), with
    every family holding state. Restored today, every listing answers byte for byte as it did then,
    a new snapshot writes the same document back, and a reset empties every family."""
    import json
    from pathlib import Path
    old = json.loads((Path(__file__).parent / "data" / "extras_snapshot_v1.json").read_text())
    app = trading_app()
    c = app.test_client()
    # the engine's part of the snapshot is this app's: its account holds the slippage as that one's did
    ok(c, "POST", "/v1/account/profile/market_max_slippage/" + BTC, {"max_slippage": "0.03"})
    snap = get(c, "/_mock/snapshot")
    snap["venues"] = old["venues"]
    ok(c, "POST", "/_mock/restore", snap)
    for path, body in old["answers"].items():
        assert c.get(path).get_data(as_text=True) == body, path
    assert get(c, "/_mock/snapshot")["venues"] == old["venues"]
    # a record that is not one (an unknown field) is refused before anything changes
    bad = copy.deepcopy(snap)
    next(iter(bad["venues"]["paradex"]["paradex_extras"]["vaults"].values()))["color"] = "red"
    assert call(c, "POST", "/_mock/restore", 400, bad)["error"] == "INVALID_REQUEST_PARAMETER"
    assert get(c, "/_mock/snapshot")["venues"] == old["venues"]
    ok(c, "POST", "/_mock/reset", {})
    assert get(c, "/_mock/snapshot")["venues"] == {"paradex": {}}
    for path in old["answers"]:
        if "/offers" not in path:
            body = get(c, path)
            assert not body.get("results") and body.get("transferrable_xp", 0) == 0, path
    assert get(c, "/v1/account/profile")["username"] == ""


def test_a_pending_subkeys_encrypted_key_survives_a_snapshot_and_restore():
    """A pending subkey's encrypted key is kept per (account, public key); the snapshot writes it
    by account then key (it used to write the tuple's str(), which no restore could read back),
    and a snapshot in that older form still restores."""
    app = trading_app()
    c = app.test_client()
    key = hex(SUBKEY.public_key)
    ok(c, "POST", "/v1/account/keys/subkeys", {"name": "phone", "public_key": key, "state": "pending",
                                                 "encrypted_key": "0xc1ph3r", "eph_public_key": "0x1234"})
    snap = get(c, "/_mock/snapshot")
    assert snap["venues"]["paradex"]["paradex_keys"]["pending"] == \
        {DEMO_ACCOUNT: {key: {"encrypted_key": "0xc1ph3r", "eph_public_key": "0x1234"}}}
    older = copy.deepcopy(snap)
    older["venues"]["paradex"]["paradex_keys"]["pending"] = \
        {str((DEMO_ACCOUNT, key)): {"encrypted_key": "0xc1ph3r", "eph_public_key": "0x1234"}}
    for doc in (snap, older):
        ok(c, "POST", "/_mock/reset", {})
        assert get(c, "/_mock/snapshot")["venues"]["paradex"].get("paradex_keys", {}).get("pending") in (None, {})
        ok(c, "POST", "/_mock/restore", doc)
        assert get(c, "/_mock/snapshot")["venues"]["paradex"]["paradex_keys"]["pending"] == \
            snap["venues"]["paradex"]["paradex_keys"]["pending"]
    bad = copy.deepcopy(snap)
    bad["venues"]["paradex"]["paradex_keys"]["pending"] = {"(1, 2)": {}}
    assert call(c, "POST", "/_mock/restore", 400, bad)["error"] == "INVALID_REQUEST_PARAMETER"
