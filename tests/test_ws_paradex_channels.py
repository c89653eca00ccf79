"""Paradex's AsyncAPI spec, channel by channel: every channel of ``paradex-asyncapi.yaml`` subscribes,
the thing it reports is made to happen, and the message it carries validates against the channel's
payload schema (which forbids undeclared fields). Also ``modify_subscription`` with the scoped
``markets_summary`` mode, and the ordering a pipelining client (paradex-py) relies on."""
import asyncio
import json
import re
from pathlib import Path

import pytest

import openapi
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.ws.testing import RpcClient, Stack, rest

BTC = "BTC-USD-PERP"
ETH = "ETH-USD-PERP"
NEW = "MOCKCOIN-USD-PERP"          # listed during the walk: the markets channel's event
TOKEN = "valid_mock_token"     # permissive mode's demo account


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


# the spec beside the repository if it is there, else the subset kept in tests/data (the same
# channels and schemas, descriptions dropped)
FULL_SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "paradex-asyncapi.yaml"
SUBSET = Path(__file__).resolve().parent / "data" / "paradex-asyncapi.subset.json"


@pytest.fixture(scope="module")
def spec():
    if FULL_SPEC.is_file():
        yaml = pytest.importorskip("yaml")
        return json.loads(json.dumps(yaml.safe_load(FULL_SPEC.read_text())))
    return json.loads(SUBSET.read_text())


@pytest.fixture(scope="module")
def stack():
    with Stack(funding_interval=2.0) as s:
        yield s


def validator(spec, channel: str):
    """A JSON Schema validator for ``channel``'s subscribe payload (the spec's refs resolved)."""
    jsonschema = openapi._jsonschema()
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    registry = Registry().with_resource("asyncapi", Resource.from_contents(spec, default_specification=DRAFT202012))
    payload = spec["channels"][channel]["subscribe"]["message"]["payload"]
    ref = payload.get("$ref")
    schema = {"$ref": "asyncapi" + ref} if ref else payload
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check(spec, channel: str, data: dict) -> None:
    errors = [f"{e.json_path}: {e.message[:200]}" for e in validator(spec, channel).iter_errors(data)]
    assert not errors, (channel, errors, data)


def names(template: str, rfq_id: str) -> list:
    """Channel names a client would subscribe to for a spec channel template."""
    t = template.lstrip("/")
    fills = {"market_symbol": ETH if t.startswith("markets[") else BTC, "feed_type": "snapshot", "refresh_rate": "100ms", "rfq_id": rfq_id}
    variants = {re.sub(r"\[[^\]]*\]", "", t), t.replace("[", "").replace("]", "")}
    variants = {v.replace("@{price_tick}", "") for v in variants} | {v.replace("{price_tick}", "1") for v in variants}
    return sorted({re.sub(r"\{(\w+)\}", lambda m: fills[m.group(1)], v) for v in variants})


def listing(stack, like: str, symbol: str):
    """A Paradex market ``symbol`` made like ``like`` (the venue lists none of its own at run time)."""
    from paradex_mock.engine.exchange import MarketDef
    from paradex_mock.venues.paradex.markets import market_from_spec
    d = next(x for x in stack.exchange.market_defs if x.market.symbol == like)
    spec = dict(d.market.spec, symbol=symbol, base_currency=symbol.split("-")[0])
    return MarketDef(market_from_spec(spec), d.sim, d.stream)


# channels the mock has nothing to report on: no trade is ever busted here
SILENT = {"tradebusts"}


def test_every_asyncapi_channel_subscribes_and_carries_its_payload(spec, stack):
    data_channels = {k: v for k, v in spec["channels"].items() if "publish" not in v}
    assert len(data_channels) == 16, sorted(data_channels)
    # an RFQ exists before the walk, so rfq.{rfq_id} names a real one
    status, body = rest(stack.http_url, "POST", "/v1/rfqs",
                        {"legs": [{"market": BTC, "side": "BUY", "ratio": "1"}], "quantity": "1"},
                        {"Authorization": f"Bearer {TOKEN}"})
    assert status == 202, body
    rfq_id = body["request_id"]
    subs = {}             # channel name -> the spec channel it stands for
    for template in data_channels:
        for name in names(template, rfq_id):
            subs[name] = template
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("auth", {"bearer": TOKEN})
            for name in subs:
                reply = await c.call("subscribe", {"channel": name})
                assert reply.get("result") == {"channel": name}, (name, reply)
            # make each thing happen: a trade of ours (trades, bbo, books, orders, fills, positions,
            # account, balance_events, transaction), funding (funding_data, funding_payments), a
            # deposit (transfers), the RFQ cancelled (rfq), a new listing (markets)
            status, order = rest(stack.http_url, "POST", "/v1/orders",
                                 {"market": BTC, "side": "SELL", "type": "MARKET", "size": "0.05"},
                                 {"Authorization": f"Bearer {TOKEN}"})
            assert status == 201, order
            stack.exchange.advance(ticks=3)
            stack.fund(DEMO_ACCOUNT, "1000")
            status, _ = rest(stack.http_url, "DELETE", f"/v1/rfqs/{rfq_id}", None, {"Authorization": f"Bearer {TOKEN}"})
            assert status == 202
            stack.exchange.add_market(listing(stack, ETH, NEW))     # listed: CREATED
            stack.exchange.add_market(listing(stack, ETH, ETH))     # listed anew: UPDATED
            stack.exchange.advance(ticks=1)
            seen = {}
            for name, template in subs.items():
                kind = template.lstrip("/").split(".")[0].split("[")[0]
                if kind in SILENT:
                    continue
                where = None
                if name == "markets":
                    where = lambda d: d["symbol"] == NEW          # noqa: E731
                elif kind == "rfq":
                    where = lambda d: d["type"] == "RFQ" and d["rfq"]["state"] == "CLOSED"  # noqa: E731
                note = await c.notification(name, where=where, timeout=10)
                check(spec, template, note)
                seen[name] = note
            return seen
    seen = run(main())
    carried = {subs[n] for n in seen}
    assert carried == {t for t in data_channels if t.lstrip("/").split("[")[0] not in SILENT}
    assert seen["markets"]["event_type"] == "CREATED" and seen["markets"]["changed_fields"]["base_currency"] == "MOCKCOIN"
    assert seen[f"markets.{ETH}"]["symbol"] == ETH and seen[f"markets.{ETH}"]["event_type"] == "UPDATED"
    assert seen["transfers"]["kind"] == "DEPOSIT" and seen["transfers"]["amount"] == "1000"
    rfq = seen[f"rfq.{rfq_id}"]
    assert rfq["rfq_id"] == rfq_id and rfq["rfq"] == {"state": "CLOSED", "quantity": "1", "close_reason": "CANCELLED"}


# ------------------------------------------------------------------ scoped markets_summary
def test_scoped_markets_summary_and_modify_subscription(spec, stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            reply = await c.call("subscribe", {"channel": "markets_summary", "markets": [BTC]})
            assert reply["result"] == {"channel": "markets_summary"}
            first = await c.notification("markets_summary")
            assert first["symbol"] == BTC                       # the initial state: the scoped market only
            stack.exchange.advance(ticks=1)
            got = [await c.notification("markets_summary")]
            got += [n["params"]["data"] for n in await c.barrier() if n["params"]["channel"] == "markets_summary"]
            assert {d["symbol"] for d in got} == {BTC}
            # ETH in, BTC out, in place: the ack, then ETH's current summary
            reply = await c.call("modify_subscription", {"channel": "markets_summary", "add": [ETH], "remove": [BTC]})
            assert reply["result"] == {"channel": "markets_summary", "add": [ETH], "remove": [BTC]}
            check(spec, "/modify_subscription", reply["result"])
            assert (await c.notification("markets_summary"))["symbol"] == ETH
            stack.exchange.advance(ticks=1)
            after = {n["params"]["data"]["symbol"] for n in await c.barrier() if n["params"]["channel"] == "markets_summary"}
            assert after == {ETH}
            # the errors: no such subscription, one not scoped, a market that does not exist, scoping another channel
            bad = await c.call("modify_subscription", {"channel": "markets_summary.ALL", "add": [BTC]})
            assert bad["error"]["code"] == -32600 and bad["error"]["data"] == "not subscribed"
            await c.call("subscribe", {"channel": "markets_summary.ALL"})
            bad = await c.call("modify_subscription", {"channel": "markets_summary.ALL", "add": [BTC]})
            assert bad["error"]["code"] == -32600 and "scoped" in bad["error"]["data"]
            bad = await c.call("modify_subscription", {"channel": "markets_summary", "add": ["NOPE-USD-PERP"]})
            assert bad["error"]["code"] == -32602
            bad = await c.call("subscribe", {"channel": f"trades.{BTC}", "markets": [BTC]})
            assert bad["error"]["code"] == -32602
    run(main())


def test_scoped_markets_summary_may_start_empty(stack):
    async def main():
        async with RpcClient(stack.ws_url) as c:
            await c.call("subscribe", {"channel": "markets_summary", "markets": []})
            stack.exchange.advance(ticks=1)
            assert not [n for n in await c.barrier() if n["params"]["channel"] == "markets_summary"]
            await c.call("modify_subscription", {"channel": "markets_summary", "add": [BTC]})
            assert (await c.notification("markets_summary"))["symbol"] == BTC
    run(main())


# ------------------------------------------------------------------ a pipelining client (paradex-py)
def test_pipelined_auth_and_subscribes_keep_their_order(stack):
    """paradex-py sends ``auth`` and then its subscribes without waiting for any reply. However long
    the auth takes (here it gives the loop away many times, as a JWKS fetch would), the subscribes
    are handled after it, each ack comes before its channel's first message, and a trade made
    after the ack reaches the private channel."""
    app = next(a for a in stack.ws.server.apps if a.venue.name == "paradex")
    real = app.auth.account_for

    async def slow(bearer):
        for _ in range(50):
            await asyncio.sleep(0)
        return await real(bearer)

    async def main():
        async with RpcClient(stack.ws_url) as c:
            for i, (method, params) in enumerate((("auth", {"bearer": TOKEN}),
                                                  ("subscribe", {"channel": f"bbo.{BTC}"}),
                                                  ("subscribe", {"channel": "orders.ALL"}))):
                await c.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
            frames = [await c._read(5) for _ in range(4)]
            assert [f.get("id", f.get("params", {}).get("channel")) for f in frames] == [0, 1, f"bbo.{BTC}", 2]
            assert "result" in frames[1] and "result" in frames[3], frames   # no 40300: auth came first
            status, order = rest(stack.http_url, "POST", "/v1/orders",
                                 {"market": BTC, "side": "BUY", "type": "MARKET", "size": "0.01"},
                                 {"Authorization": f"Bearer {TOKEN}"})
            assert status == 201
            note = await c.notification("orders.ALL", where=lambda d: d["id"] == order["id"])
            assert note["account"] == DEMO_ACCOUNT
    app.auth.account_for = slow
    try:
        run(main())
    finally:
        app.auth.account_for = real
