"""Writes extras_snapshot_v1.json: ``venues``, the venues' part of a /_mock/snapshot document in the
format of commit 18abc8d (one untyped extras Store, before extras/ became a package), with every
family of Paradex's extras API holding state, and ``answers``, what that code's listings answered
(the body's text, by path). The engine's part (books, accounts) is left out to keep the file
small: test_snapshot_state.py puts ``venues`` into a snapshot of its own app, restores it with
today's code and expects the same answers. Run from a checkout of that commit:

    PYTHONPATH=.:tests python tests/data/make_extras_snapshot_v1.py tests/data/extras_snapshot_v1.json"""
import json
import sys

from paradex_mock.venues.paradex import extras
from test_trading_support import BTC, get, trading_app


def ok(c, method, url, body=None):
    r = c.open(url, method=method, json=body)
    assert r.status_code < 300, (url, r.get_data(as_text=True))
    return r.get_json(silent=True)


def main(path):
    app = trading_app()
    c = app.test_client()
    ex = app.extensions["paradex_mock"].exchange
    ok(c, "PUT", "/v1/account/profile", {"username": "oldsnap", "fills": False})
    ok(c, "POST", "/v1/account/profile/market_max_slippage/" + BTC, {"max_slippage": "0.03"})
    ok(c, "POST", "/v1/account/referrer", {"referral_code": "friend42"})
    ok(c, "POST", "/v1/account/settings/trading_value_display", {"trading_value_display": "SPEND"})
    ok(c, "POST", "/v1/account/compliance", {"action_type": "TOS_ACCEPTED", "action_version": "2"})
    trades = {BTC: {"price": "90000", "size": "0.1", "maker_order": {"side": "SELL", "size": "0.1"}}}
    block = ok(c, "POST", "/v1/block-trades", {"nonce": "7", "trades": trades, "required_signers": ["0xabc"],
                                               "signatures": {}, "block_expiration": ex.clock.now_ms() + 10**9})
    ok(c, "POST", f"/v1/block-trades/{block['block_id']}/offers",
       {"nonce": "8", "trades": {BTC: {"price": "90010", "size": "0.1", "offerer_order": {"side": "SELL"}}}})
    rfq = {"legs": [{"market": BTC, "side": "BUY", "ratio": "1"}], "quantity": "2"}
    made = ok(c, "POST", "/v1/rfqs", rfq)
    ok(c, "POST", "/v1/rfqs", rfq)
    ok(c, "DELETE", f"/v1/rfqs/{made['request_id']}")
    ok(c, "POST", "/v1/rfqs/drafts", dict(rfq, strategy="spread"))
    ok(c, "POST", "/v1/vaults", {"name": "old vault", "description": "from 18abc8d", "profit_share": 20})
    with app.test_request_context():     # the mock awards no XP: a transfer as the store kept one
        s = extras.store()
        s.xp_transfers.append({"id": extras.new_id(), "sender": "0xfeed", "recipient": get(c, "/v1/account")[
            "account"], "amount": 100, "fee": 5, "is_private": False, "season": "s1",
            "created_at": ex.clock.now_ms()})
    ok(c, "POST", "/v1/account/keys/subkeys", {"name": "bot", "public_key": "0x1234abcd"})
    paths = ["/v1/account/profile", "/v1/account/settings", "/v1/account/compliance", "/v1/block-trades",
             f"/v1/block-trades/{block['block_id']}/offers", "/v1/rfqs", "/v1/rfqs/drafts", "/v1/vaults",
             "/v1/vaults/mine", "/v1/xp/transfers", "/v1/xp/public-transfers", "/v1/xp/account-balance",
             "/v1/referrals/summary", "/v1/account/keys/subkeys"]
    answers = {p: c.get(p).get_data(as_text=True) for p in paths}
    doc = {"venues": get(c, "/_mock/snapshot")["venues"], "answers": answers}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)      # key order as the server wrote it
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
