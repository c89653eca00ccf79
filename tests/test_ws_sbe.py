"""SBE binary frames (issue 15): Paradex's schema 1 as the mock encodes it, checked three ways:
against the schema Paradex publishes (paradex-py's vendored XML), against ccxt.pro's own decoder
(every message type, from engine objects), and against bytes worked out by hand from the
schema; then ccxt.pro at its default options (SBE on) against ccxt.pro with ``sbe: False`` on
the same server, value for value; faults, the journal, the test client and the handshake."""
import asyncio
import importlib.util
import struct
import xml.etree.ElementTree as ET
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.venues.paradex import views
from paradex_mock.venues.paradex.orders import submit
from paradex_mock.venues.paradex.ws import sbe
from paradex_mock.venues.paradex.ws.testing import RpcClient, decode_sbe
from paradex_mock.ws.testing import Stack, async_wait_until, rest

ccxt_pro = pytest.importorskip("ccxt.pro")

SYMBOL, MARKET = "BTC/USD:USDC", "BTC-USD-PERP"
SBE_QUERY = "?sbeSchemaId=1&sbeSchemaVersion=3"
ETH_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ETH_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
E8 = Decimal("1e-8")


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def trunc8(value: str) -> Decimal:
    """What an 8-place SBE decimal holds of a JSON decimal string (truncated toward zero)."""
    return Decimal(value).quantize(E8, rounding=ROUND_DOWN)


# ------------------------------------------------------------------------------------ engine objects
@pytest.fixture(scope="module")
def events():
    """The domain events of a short session on the mock: the demo account buys, then sells more
    than it holds (a short with realized pnl), the market ticks. Latest event of each kind."""
    with Stack(seed=7) as s:
        ex = s.exchange
        got = {}
        token = ex.bus.subscribe(lambda ev: got.__setitem__(ev["kind"], ev))
        try:
            submit(ex, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.02"})
            ex.advance(ticks=2)
            submit(ex, DEMO_ACCOUNT, {"market": MARKET, "side": "SELL", "type": "MARKET", "size": "0.05",
                                      "client_id": "sbe-1"})
            submit(ex, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "LIMIT", "size": "0.01",
                                      "price": "90000.5", "flags": ["REDUCE_ONLY"]})
            ex.advance(ticks=1)
        finally:
            ex.bus.unsubscribe(token)
        yield got


def payload(ev) -> dict:
    return views.render(ev["kind"], ev["data"])


# ccxt.pro's decoder functions, by template id (what ccxt.pro's parse_sbe_message dispatches to)
CCXT = ccxt_pro.paradex()


def ccxt_decode(frame: bytes) -> dict:
    msg = CCXT.parse_sbe_message(frame)
    assert msg is not None and msg["sbe"] is True, "ccxt.pro refused the frame"
    return msg["params"]["data"]


def assert_same_as_json(decoded: dict, json_payload: dict, skip=()):
    """Every field ccxt.pro decoded equals the JSON payload's: decimals to the 8 places the
    schema carries, "" as null, ints whatever ccxt's type, addresses as numbers."""
    for key, got in decoded.items():
        if key in skip:
            continue
        assert key in json_payload or got is None, f"{key}: ccxt decoded {got!r}, the JSON payload has no such field"
        want = json_payload.get(key)
        if want in ("", None):
            assert got in ("", None), (key, got, want)
        elif key == "account":
            assert int(got, 16) == int(want, 16)
        elif isinstance(want, bool) or isinstance(want, list):
            assert got == want, (key, got, want)
        elif isinstance(want, int):
            assert int(got) == want, (key, got, want)
        else:
            try:
                w = Decimal(want)
            except ArithmeticError:
                assert got == want, (key, got, want)
            else:
                if key in ("id", "order_id", "last_fill_id", "client_id"):
                    assert got == want, (key, got, want)
                else:
                    assert Decimal(got) == trunc8(want), (key, got, want)


@pytest.mark.parametrize("kind,template", [("trade", 1), ("summary", 4), ("funding_data", 5), ("order", 20),
                                           ("fill", 21), ("position", 22), ("account", 23)])
def test_engine_objects_round_trip_through_ccxt_decoder(events, kind, template):
    ev = events[kind]
    data = payload(ev)
    ctx = {"seq": ev["seq"], "book_seq": 5, "trade_id": getattr(ev["data"], "trade_id", "")}
    for version in sbe.VERSIONS:
        frame = sbe.encode(template, data, version, **ctx)
        block_length, tid, schema, v = struct.unpack_from("<HHHH", frame)
        assert (tid, schema, v) == (template, 1, version)
        assert block_length == sbe.layout(template, version).block_length
        decoded = ccxt_decode(frame)
        skip = ()
        if version < 2:      # var-data appended at 1:2: a lower version's frame has not got it
            skip = {"trade": ("id",), "fill": ("fee_currency",)}.get(kind, ())
        if kind == "order":
            skip += ("timestamp",)       # ccxt names the frame's ts "timestamp": the publish time
            assert decoded["timestamp"] == data["published_at"]
        assert_same_as_json(decoded, data, skip)
        # our own decoder is the encoder's inverse on every field the frame carries
        back = decode_sbe(frame)["params"]["data"]
        for key, got in back.items():
            if key in data and key not in ("trade_id",):
                want = data[key]
                if isinstance(want, str) and want not in ("",) and key not in ("id", "market", "symbol", "client_id",
                                                                               "order_id", "last_fill_id", "account"):
                    try:
                        assert Decimal(got) == trunc8(want), (key, got, want)
                        continue
                    except ArithmeticError:
                        pass
                if key == "account":
                    assert int(got, 16) == int(want, 16)
                elif want == "":
                    assert got in ("", None)
                else:
                    assert got == want, (key, got, want)
    # the field each ccxt decoder reads beyond the JSON shape, at the latest version
    latest = ccxt_decode(sbe.encode(template, data, 3, **ctx))
    if kind == "trade":
        assert latest["id"] == data["id"]                      # tradeIdStr (1:2)
        assert ccxt_decode(sbe.encode(template, data, 1, **ctx))["id"] is None   # not before 1:2
    if kind == "summary":
        assert latest["settlement_twap_estimate"] is None      # 1:3
    if kind == "position":
        assert latest["side"] == "SHORT" and Decimal(latest["size"]) == Decimal(data["size"]) < 0   # re-signed


def test_book_and_bbo_round_trip(events):
    book = events["book"]["data"]
    view = views.orderbook(book, 15)
    snapshot = {"market": MARKET, "seq_no": view["seq_no"], "last_updated_at": view["last_updated_at"],
                "update_type": "s", "updates": [], "deletes": [],
                "inserts": [{"side": "BUY", "price": p, "size": q} for p, q in view["bids"]]
                + [{"side": "SELL", "price": p, "size": q} for p, q in view["asks"]]}
    decoded = ccxt_decode(sbe.encode("BookEvent", snapshot))
    assert decoded == {**snapshot, "seq_no": str(snapshot["seq_no"])}
    # a delta: ccxt.pro's watch_order_book reads snapshots only (it returns None for a delta); our
    # decoder gives the levels, a deleted one with size 0
    delta = dict(snapshot, update_type="d", inserts=[{"side": "BUY", "price": "1.5", "size": "2"}],
                 deletes=[{"side": "SELL", "price": "3", "size": "0"}])
    assert CCXT.parse_sbe_message(sbe.encode("BookEvent", delta)) is None
    back = sbe.decode(sbe.encode("BookEvent", delta))
    assert back["fields"]["pkgType"] == "d" and back["bids"] == [["1.5", "2"]] and back["asks"] == [["3", "0"]]
    bbo = views.bbo(book)
    back = decode_sbe(sbe.encode("BboEvent", bbo))["params"]["data"]
    assert back == bbo


# ------------------------------------------------------------------------------------ hand-worked bytes
def h(block_length, template, version=3):
    return struct.pack("<HHHH", block_length, template, 1, version)


def s8(text):
    return bytes([len(text)]) + text.encode()


NULL = -(1 << 63)
ADDR = "0x" + "0" * 60 + "abcd"


def test_hand_worked_trade_frame():
    trade = {"id": "1796212191432000000000000360", "market": "BTC-USD-PERP", "side": "SELL", "size": "0.04388",
             "price": "95004.6", "created_at": 1796212191432, "trade_type": "FILL"}
    # header 32 00|01 00|01 00|03 00; ts = 1796212191432000 µs; seq 7; tradeId = the id's low 64
    # bits (0x0280b0b9d3140168); side 02 (SELL); price 9500460000000 (95004.6e8); size 4388000;
    # createdAt; tradeType 01 (FILL); "BTC-USD-PERP"; the 28-digit id (1:2)
    expected = bytes.fromhex(
        "3200" "0100" "0100" "0300"
        "408d9c3da5610600" "0700000000000000" "680114d3b9b08002" "02"
        "00238bffa3080000" "a0f4420000000000" "408d9c3da5610600" "01"
        "0c" + "BTC-USD-PERP".encode().hex() + "1c" + trade["id"].encode().hex())
    assert sbe.encode("TradeEvent", trade, book_seq=7) == expected
    assert int("0x0280b0b9d3140168", 16) == int(trade["id"]) % (1 << 64)
    assert struct.unpack("<q", bytes.fromhex("00238bffa3080000"))[0] == 9500460000000


def test_hand_worked_frames_of_every_other_message():
    ts, us = 1700000000123, 1700000000123000
    bbo = {"market": "ETH-USD-PERP", "seq_no": 9, "last_updated_at": ts, "bid": "3400.5", "bid_size": "2",
           "ask": "", "ask_size": ""}
    assert sbe.encode("BboEvent", bbo) == (h(48, 2) + struct.pack("<qqqqqq", us, 9, 340050000000, 200000000, NULL, NULL)
                                          + s8("ETH-USD-PERP"))

    book = {"market": "BTC-USD-PERP", "seq_no": 12, "last_updated_at": ts, "update_type": "s",
            "inserts": [{"side": "BUY", "price": "100", "size": "1"}, {"side": "SELL", "price": "101.25", "size": "0.5"}],
            "updates": [], "deletes": []}
    assert sbe.encode("BookEvent", book) == (
        h(89, 3) + struct.pack("<qqB", us, 12, 0) + struct.pack("<9q", *[NULL] * 9)
        + struct.pack("<HH", 16, 1) + struct.pack("<qq", 10000000000, 100000000)
        + struct.pack("<HH", 16, 1) + struct.pack("<qq", 10125000000, 50000000) + s8("BTC-USD-PERP"))

    summary = {"symbol": "SOL-USD-PERP", "mark_price": "180", "underlying_price": "179.9", "last_traded_price": "180.1",
               "volume_24h": "1000.25", "open_interest": "7", "funding_rate": "0.0000123456789", "bid": "179.8",
               "ask": "", "total_volume": "5", "price_change_rate_24h": "-0.01", "created_at": ts,
               "mark_iv": "", "bid_iv": "", "ask_iv": "", "last_iv": "", "greeks": {"delta": "1", "gamma": "0"},
               "future_funding_rate": "0.00001", "external_fair_price": "180", "bid_size": "3", "ask_size": ""}
    fixed = [us, 44, 18000000000, 17990000000, 18010000000, 100025000000, 700000000,
             1234,                                   # fundingRate: Rate8 truncates 0.0000123456789
             17980000000, NULL, 500000000, -1000000,
             NULL, NULL, NULL, NULL,                  # markIv bidIv askIv lastIv
             100000000, 0, NULL, NULL, NULL, NULL, NULL,   # delta gamma vega theta rho volga vanna
             1000, 18000000000, 300000000, NULL,      # futureFundingRate externalFairPrice bidSize askSize
             NULL, NULL,                              # forwardRate riskFreeRate (1:1)
             12345678,                                # fundingRatePrecise: Rate12 (1:1)
             NULL]                                    # settlementTwapEstimate (1:3)
    assert sbe.encode("MarketSummaryEvent", summary, seq=44) == h(248, 4) + struct.pack("<31q", *fixed) + s8("SOL-USD-PERP")
    assert sbe.encode("MarketSummaryEvent", summary, 0, seq=44) == (h(216, 4, 0) + struct.pack("<27q", *fixed[:27])
                                                                   + s8("SOL-USD-PERP"))

    funding = {"market": "BTC-USD-PERP", "funding_index": "2.851979166667", "funding_premium": "-0.5",
               "funding_rate": "0.00001", "funding_rate_8h": "0.00001", "funding_period_hours": 8, "created_at": ts}
    assert sbe.encode("FundingDataEvent", funding, seq=3) == (
        h(66, 5) + struct.pack("<qqqqqqqhq", us, 3, 1000, 285197916, us, -50000000, 1000, 8, NULL) + s8("BTC-USD-PERP"))

    order = {"id": "O1", "account": ADDR, "market": "BTC-USD-PERP", "side": "BUY", "type": "STOP_LIMIT", "size": "0.5",
             "remaining_size": "0.25", "price": "90000", "avg_fill_price": "", "status": "OPEN", "cancel_reason": "",
             "client_id": "c-1", "instruction": "POST_ONLY", "flags": ["REDUCE_ONLY", "MMP"], "stp": "EXPIRE_MAKER",
             "trigger_price": "89000", "timestamp": 5, "created_at": ts, "last_updated_at": ts + 1,
             "received_at": ts, "published_at": ts + 2, "seq_no": 77}
    block = (struct.pack("<qqBBBB", us + 2000, 77, 3, 1, 3, 3)
             + struct.pack("<qqqqqqq", 9000000000000, 8900000000000, 50000000, 25000000, NULL, us, us + 1000)
             + bytes(30) + b"\xab\xcd" + struct.pack("<qqBB", us, us + 2000, 1, 0b100001) + b"\x00\x00")
    assert sbe.encode("OrderEvent", order) == h(128, 20) + block + s8("O1") + s8("c-1") + s8("BTC-USD-PERP") + s8("") + s8("") + s8("")
    # at 1:1 the block stops before requestStatus/requestType, MMP (sinceVersion 2) is off, and so
    # is the var-data after cancelReason
    assert sbe.encode("OrderEvent", order, 1) == (h(126, 20, 1) + block[:125] + bytes([0b1]) + s8("O1") + s8("c-1")
                                                 + s8("BTC-USD-PERP") + s8(""))

    fill = {"id": "F1", "account": ADDR, "market": "BTC-USD-PERP", "order_id": "O1", "client_id": "", "side": "SELL",
            "liquidity": "MAKER", "price": "95000.5", "size": "0.01", "remaining_size": "0", "fee": "-0.019",
            "fee_currency": "USDC", "created_at": ts, "fill_type": "LIQUIDATION", "flags": [], "realized_pnl": "1.5",
            "realized_funding": "-0.0000001", "underlying_price": "95001", "orderbook_seq_no": 42}
    assert sbe.encode("FillEvent", fill, trade_id="T9") == (
        h(116, 21) + struct.pack("<qqBBB", us, 42, 2, 2, 1)
        + struct.pack("<qqqqq", 9500050000000, 1000000, -1900000, 150000000, us)
        + bytes(30) + b"\xab\xcd" + struct.pack("<qqBQ", 9500100000000, -10, 0, 42)
        + s8("F1") + s8("O1") + s8("") + s8("T9") + s8("BTC-USD-PERP") + s8("USDC"))

    position = {"id": ADDR + "-BTC-USD-PERP", "account": ADDR, "market": "BTC-USD-PERP", "status": "OPEN",
                "side": "SHORT", "size": "-0.03", "average_entry_price": "95000", "average_entry_price_usd": "95000",
                "cost": "-2850", "cost_usd": "-2850", "unrealized_pnl": "-1.25", "unrealized_funding_pnl": "0",
                "realized_positional_pnl": "0.5", "cached_funding_index": "2.5", "leverage": "0.03",
                "liquidation_price": "", "last_fill_id": "F1", "created_at": ts, "last_updated_at": ts, "seq_no": 6}
    assert sbe.encode("PositionEvent", position) == (
        h(154, 22) + struct.pack("<qqB", us, 6, 2)
        + struct.pack("<qqqqqqqq", 3000000, 9500000000000, -125000000, 50000000, NULL, NULL, 3000000, us)
        + bytes(30) + b"\xab\xcd" + struct.pack("<qqqqqB", 9500000000000, -285000000000, -285000000000, 250000000, 0, 1)
        + s8("BTC-USD-PERP") + s8("F1"))

    account = {"account": ADDR, "account_value": "1000.5", "free_collateral": "900", "initial_margin_requirement": "100",
               "maintenance_margin_requirement": "50", "margin_cushion": "950.5", "total_collateral": "1000",
               "settlement_asset": "USDC", "status": "ACTIVE", "updated_at": ts, "seq_no": 20, "last_seen_notification": 0}
    assert sbe.encode("AccountEvent", account) == (
        h(121, 23) + struct.pack("<qqqqqqqqq", us, 20, 100000000000, 90000000000, 10000000000, 5000000000,
                                 100050000000, NULL, us)
        + bytes(30) + b"\xab\xcd" + struct.pack("<qBq", 95050000000, 1, 0) + s8("USDC"))


def test_decimals_truncate_and_saturate():
    assert sbe.mantissa("0.123456789", -8, False) == 12345678
    assert sbe.mantissa("-0.123456789", -8, False) == -12345678        # toward zero
    assert sbe.mantissa("1e-3", -8, False) == 100000
    assert sbe.mantissa("1e30", -8, False) == sbe.INT64_MAX              # saturates (ccxt: "saturates")
    assert sbe.mantissa("", -8, True) == sbe.INT64_MIN and sbe.mantissa("", -8, False) == 0
    assert sbe.decimal_of(sbe.INT64_MAX, -8) == "92233720368.54775807"


# ------------------------------------------------------------------------------------ the schema itself
def paradex_py_schema():
    spec = importlib.util.find_spec("paradex_py")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("paradex-py (which vendors Paradex's schema) is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "api" / "sbe" / "paradex_1_0.xml"
    if not path.exists():
        pytest.skip("this paradex-py has no SBE schema")
    return ET.parse(path).getroot()


def test_table_matches_the_schema_paradex_publishes():
    """Field for field: names, types, order (so offsets), sinceVersion, var-data; enum codes and
    set bits. The schema stops at 1:2; the one 1:3 field (from ccxt.pro) is checked below."""
    root = paradex_py_schema()
    assert root.get("id") == "1" and root.get("byteOrder") == "littleEndian" and root.get("version") == "2"
    alias = {"PositionSide": "Side", "int64NULL": "int64"}
    seen = set()
    for m in root.iter("{http://fixprotocol.io/2016/sbe}message"):
        tid = int(m.get("id"))
        if tid not in sbe.BY_TEMPLATE:
            assert m.get("name") in ("FundingRateComparisonEvent", "HeartbeatEvent", "SubscribedEvent")
            continue
        ours = sbe.BY_TEMPLATE[tid]
        seen.add(tid)
        assert ours.name == m.get("name")
        theirs = [(f.get("name"), f.get("type"), int(f.get("sinceVersion", 0))) for f in m.findall("field")]
        mine = [(f.name, alias.get(f.type, f.type), f.since) for f in ours.fields if f.since <= 2]
        assert mine == theirs, ours.name
        assert [(d.get("name"), int(d.get("sinceVersion", 0))) for d in m.findall("data")] == \
            [(d.name, d.since) for d in ours.data], ours.name
        assert [g.get("name") for g in m.findall("group")] == list(ours.groups)
    assert seen == set(sbe.BY_TEMPLATE)
    types = root.find("types")
    for e in types.findall("enum"):
        name = e.get("name")
        if name in sbe.ENUMS and name != "PkgType":
            want = {v.get("name"): int(v.text) for v in e.findall("validValue") if v.get("name") != "NON_REPRESENTABLE"}
            assert sbe.ENUMS[name] == want, name
    pkg = {v.get("name"): int(v.text) for v in types.find("enum[@name='PkgType']").findall("validValue")}
    assert pkg == {"SNAPSHOT": sbe.ENUMS["PkgType"]["s"], "DELTA": sbe.ENUMS["PkgType"]["d"]}
    for st in types.findall("set"):
        bits = {c.get("name").lower(): int(c.text) for c in st.findall("choice")}
        assert {n.lower(): i for i, n in enumerate(sbe.SETS[st.get("name")]) if n} == bits
    decimals = {c.get("name"): int(c.find("type[@name='exponent']").text) for c in types.findall("composite")
                if c.find("type[@name='exponent']") is not None}
    assert decimals == {n: t[1] for n, t in sbe.TYPES.items() if t[1] is not None}
    # 1:3 (ccxt.pro): MarketSummaryEvent.settlementTwapEstimate, Price8NULL, last in the block
    summary = sbe.BY_NAME["MarketSummaryEvent"]
    assert [(f.name, f.type) for f in summary.fields if f.since == 3] == [("settlementTwapEstimate", "Price8NULL")]
    assert all(f.since <= 2 for m in sbe.MESSAGES if m is not summary for f in m.fields)


def test_ccxt_block_lengths_and_offsets():
    """The block lengths ccxt.pro's decoder documents per version, and every offset it reads,
    land where the table puts them."""
    assert [sbe.layout(t, 3).block_length for t in (1, 3, 4, 5, 20, 21, 22, 23)] == [50, 89, 248, 66, 128, 116, 154, 121]
    assert [sbe.layout(t, 1).block_length for t in (4, 20, 21, 23)] == [240, 126, 107, 113]

    def frame_offset(message, field):
        lay = sbe.layout(sbe.BY_NAME[message].template, 3)
        return 8 + lay.offsets[[f.name for f in lay.fields].index(field)]
    read_by_ccxt = {   # ccxt.pro 4.5.90 parse_sbe_*: the frame offsets it reads each field at
        ("TradeEvent", "side"): 32, ("TradeEvent", "price"): 33, ("TradeEvent", "size"): 41,
        ("TradeEvent", "createdAt"): 49, ("TradeEvent", "tradeType"): 57,
        ("BookEvent", "ts"): 8, ("BookEvent", "seq"): 16, ("BookEvent", "pkgType"): 24,
        ("MarketSummaryEvent", "markPrice"): 24, ("MarketSummaryEvent", "lastPrice"): 40,
        ("MarketSummaryEvent", "volumeUsd24h"): 48, ("MarketSummaryEvent", "openInterest"): 56,
        ("MarketSummaryEvent", "fundingRate"): 64, ("MarketSummaryEvent", "bid"): 72, ("MarketSummaryEvent", "ask"): 80,
        ("MarketSummaryEvent", "totalVolume"): 88, ("MarketSummaryEvent", "priceChangeRate24h"): 96,
        ("MarketSummaryEvent", "settlementTwapEstimate"): 248,
        ("FundingDataEvent", "fundingRate"): 24, ("FundingDataEvent", "fundingIndex"): 32,
        ("FundingDataEvent", "createdAt"): 40, ("FundingDataEvent", "fundingPremium"): 48,
        ("FundingDataEvent", "fundingRate8h"): 56, ("FundingDataEvent", "fundingPeriodHours"): 64,
        ("OrderEvent", "status"): 24, ("OrderEvent", "side"): 25, ("OrderEvent", "orderType"): 26,
        ("OrderEvent", "timeInForce"): 27, ("OrderEvent", "price"): 28, ("OrderEvent", "triggerPrice"): 36,
        ("OrderEvent", "size"): 44, ("OrderEvent", "sizeOpen"): 52, ("OrderEvent", "avgFillPrice"): 60,
        ("OrderEvent", "createdAt"): 68, ("OrderEvent", "updatedAt"): 76, ("OrderEvent", "account"): 84,
        ("OrderEvent", "receivedAt"): 116, ("OrderEvent", "publishedAt"): 124, ("OrderEvent", "stp"): 132,
        ("OrderEvent", "flags"): 133,
        ("FillEvent", "fillType"): 24, ("FillEvent", "side"): 25, ("FillEvent", "liquidity"): 26,
        ("FillEvent", "price"): 27, ("FillEvent", "size"): 35, ("FillEvent", "fee"): 43, ("FillEvent", "realizedPnl"): 51,
        ("FillEvent", "createdAt"): 59, ("FillEvent", "account"): 67, ("FillEvent", "underlyingPrice"): 99,
        ("FillEvent", "realizedFunding"): 107, ("FillEvent", "flags"): 115, ("FillEvent", "orderbookSeqNo"): 116,
        ("PositionEvent", "side"): 24, ("PositionEvent", "size"): 25, ("PositionEvent", "avgEntryPrice"): 33,
        ("PositionEvent", "unrealizedPnl"): 41, ("PositionEvent", "realizedPnl"): 49,
        ("PositionEvent", "liquidationPrice"): 65, ("PositionEvent", "leverage"): 73, ("PositionEvent", "updatedAt"): 81,
        ("PositionEvent", "account"): 89, ("PositionEvent", "avgEntryPriceUsd"): 121, ("PositionEvent", "cost"): 129,
        ("PositionEvent", "costUsd"): 137, ("PositionEvent", "cachedFundingIndex"): 145,
        ("PositionEvent", "unrealizedFundingPnl"): 153, ("PositionEvent", "status"): 161,
        ("AccountEvent", "totalCollateral"): 24, ("AccountEvent", "freeCollateral"): 32,
        ("AccountEvent", "initialMarginReq"): 40, ("AccountEvent", "maintenanceMarginReq"): 48,
        ("AccountEvent", "accountValue"): 56, ("AccountEvent", "updatedAt"): 72, ("AccountEvent", "account"): 80,
        ("AccountEvent", "marginCushion"): 112, ("AccountEvent", "status"): 120,
        ("AccountEvent", "lastSeenNotification"): 121,
    }
    for (message, field), offset in read_by_ccxt.items():
        assert frame_offset(message, field) == offset, (message, field)


# ------------------------------------------------------------------------------------ on the wire
@pytest.fixture(scope="module")
def stack():
    with Stack(seed=11) as s:
        yield s


def test_handshake_refuses_what_paradex_does_not_serve(stack):
    import websockets
    base = stack.ws_url

    async def main():
        for query in ("?sbeSchemaId=1&sbeSchemaVersion=4", "?sbeSchemaId=2&sbeSchemaVersion=0", "?sbeSchemaId=1",
                      "?sbeSchemaVersion=3", "?sbeSchemaId=1&sbeSchemaVersion=x"):
            with pytest.raises(websockets.InvalidStatus) as e:
                async with websockets.connect(base + query):
                    pass
            assert e.value.response.status_code == 400, query
        for version in sbe.VERSIONS:        # each served version gets frames of its own layout
            async with RpcClient(f"{base}?sbeSchemaId=1&sbeSchemaVersion={version}") as c:
                ack = await c.call("subscribe", {"channel": "markets_summary"})
                assert ack["result"] == {"channel": "markets_summary"} and c.binary_frames == 0   # acks: JSON text
                note = await c.notification("markets_summary")
                assert c.binary_frames >= 1 and note["symbol"] in stack.exchange.markets
                got = (await c.barrier())
                assert all(m["sbe"]["schema"] == f"1:{version}" for m in got)
                assert {m["sbe"]["block_length"] for m in got} == {sbe.layout(4, version).block_length}
                # errors stay JSON text frames too
                err = await c.call("subscribe", {"channel": "nope"})
                assert err["error"]["code"] == -32600
    run(main())


def test_sbe_and_json_connections_get_the_same_content(stack):
    """One JSON and one SBE connection on every SBE channel and two that have no SBE message:
    the same messages in the same order, each SBE one carrying the JSON one's fields."""
    ex = stack.exchange
    public = [f"trades.{MARKET}", f"bbo.{MARKET}", f"order_book.{MARKET}.deltas@15@50ms",
              f"order_book.{MARKET}.interactive@15@100ms", f"markets_summary.{MARKET}", f"funding_data.{MARKET}"]
    private = ["orders.ALL", "fills.ALL", "positions", "account", "balance_events", "funding_payments.ALL"]

    async def main():
        async with RpcClient(stack.ws_url + SBE_QUERY) as b, RpcClient(stack.ws_url) as j:
            for c in (b, j):
                await c.call("auth", {"bearer": "valid_mock_token"})
                for ch in public + private:
                    await c.subscribe(ch)
                await c.barrier()
            before = b.binary_frames
            submit(ex, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.01"})
            ex.advance(ticks=1)
            submit(ex, DEMO_ACCOUNT, {"market": MARKET, "side": "SELL", "type": "MARKET", "size": "0.01"})
            # order books go out on a timer (at most once per rate), to both connections at once:
            # wait until every book feed has sent the final book, then take both streams
            final = ex.book_update(MARKET, 1).seq_no
            feed = stack.ws.server.app_of("paradex").feed
            await async_wait_until(lambda: stack.ws.call(
                lambda: len(feed.subs.feeds) == 2 and all(f.meta[0] == final for f in feed.subs.feeds.values())),
                timeout=10, what="the book feeds' last emission")
            sb, js = await b.barrier(), await j.barrier()
            return sb, js, b.binary_frames - before
    sb, js, binary = run(main())
    assert [m["params"]["channel"] for m in sb] == [m["params"]["channel"] for m in js]
    kinds = {m["params"]["channel"].split(".")[0] for m in sb}
    assert kinds >= {"trades", "bbo", "order_book", "markets_summary", "funding_data", "orders", "fills",
                     "positions", "account", "balance_events"}
    for s_msg, j_msg in zip(sb, js):
        channel = j_msg["params"]["channel"]
        if channel.startswith(("balance_events", "funding_payments")):
            assert "sbe" not in s_msg and s_msg == j_msg            # no SBE message: JSON on both
            continue
        assert "sbe" in s_msg, channel
        data, want = s_msg["params"]["data"], j_msg["params"]["data"]
        for key, got in data.items():
            if key in ("bids", "asks", "trade_id") or key not in want:
                continue
            w = want[key]
            if key == "account":
                assert int(got, 16) == int(w, 16)
            elif isinstance(w, str) and w and key not in ("id", "market", "symbol", "order_id", "client_id",
                                                         "last_fill_id", "update_type", "settlement_asset",
                                                         "fee_currency") and w[0] in "-0123456789":
                assert Decimal(got) == trunc8(w), (channel, key, got, w)
            elif w == "":
                assert got in ("", None), (channel, key, got)
            else:
                assert got == w, (channel, key, got, w)
        if channel.startswith("order_book"):
            if want["update_type"] == "s":
                assert data["inserts"] == want["inserts"]
            else:
                changed = {(r["side"], r["price"]): r["size"] for k in ("inserts", "updates", "deletes") for r in want[k]}
                assert changed == {("BUY", p): q for p, q in data["bids"]} | {("SELL", p): q for p, q in data["asks"]}
    assert binary == sum(1 for m in sb if "sbe" in m)
    # binary frames are smaller than the JSON ones they replace
    sbe_bytes = sum(len(m["sbe"]["raw"]) for m in sb if "sbe" in m)
    assert sbe_bytes < 0.5 * sum(len(str(m)) for m, s in zip(js, sb) if "sbe" in s)


def test_faults_hit_binary_frames_and_the_journal_reads_them(stack):
    trades = f"trades.{MARKET}"

    async def main():
        async with RpcClient(stack.ws_url + SBE_QUERY) as c:
            await c.subscribe(trades)
            stack.add_faults({"kind": "ws_duplicate", "target": trades, "count": 1})
            try:
                submit(stack.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.01"})
                first = await c.barrier()
                stack.clear_faults()
                stack.add_faults({"kind": "ws_drop", "target": trades, "count": 1})
                submit(stack.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "SELL", "type": "MARKET", "size": "0.01"})
                submit(stack.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.01"})
                second = await c.barrier()
            finally:
                stack.clear_faults()
            return first, second
    first, second = run(main())
    latest = [t["id"] for t in reversed(rest(stack.http_url, "GET", f"/v1/trades?market={MARKET}&page_size=3")[1]["results"])]
    assert [m["params"]["data"]["id"] for m in first] == [latest[0]] * 2          # duplicated
    assert first[0]["sbe"]["raw"] == first[1]["sbe"]["raw"]
    assert [m["params"]["data"]["id"] for m in second] == latest[2:]             # the first one dropped
    entries = stack.journal(path=trades)[-2:]
    assert [e["faults"] for e in entries] == [["ws_duplicate"], ["ws_drop"]]
    for entry, trade_id in zip(entries, latest[:2]):
        frame = entry["frame"]
        assert frame["encoding"] == "sbe" and frame["message"] == "TradeEvent" and frame["schema"] == "1:3"
        assert frame["fields"]["tradeIdStr"] == trade_id and frame["fields"]["market"] == MARKET


def test_seq_gap_moves_the_binary_book_seq(stack):
    book = f"order_book.{MARKET}.snapshot@15@50ms"

    async def main():
        async with RpcClient(stack.ws_url + SBE_QUERY) as c:
            await c.subscribe(book)
            first = await c.notification(book)
            stack.add_faults({"kind": "ws_seq_gap", "target": "order_book.*", "count": 1})
            try:
                stack.exchange.advance(ticks=1)
                nxt = await c.notification(book)
            finally:
                stack.clear_faults()
            return first, nxt
    first, nxt = run(main())
    true_seq = stack.exchange.book_update(MARKET, 1).seq_no
    assert nxt["seq_no"] == true_seq + 10 and first["seq_no"] < true_seq


# ------------------------------------------------------------------------------------ ccxt.pro, both ways
def ccxt_client(stack, sbe_on, **extra):
    options = {} if sbe_on else {"options": {"sbe": False}}       # SBE on: ccxt.pro's defaults
    ex = ccxt_pro.paradex({"timeout": 10_000, **options, **extra})
    ex.urls["api"] = {"v1": stack.http_url + "/v1", "v2": stack.http_url + "/v2", "ws": stack.ws_url}
    return ex


def unified(x, drop=("info",)):
    if isinstance(x, dict):
        return {k: unified(v, drop) for k, v in x.items() if k not in drop}
    if isinstance(x, list):
        return [unified(v, drop) for v in x]
    return x


def test_ccxt_pro_default_sbe_equals_json_value_for_value():
    """Two ccxt.pro clients on one server, one at its defaults (SBE, binary frames) and one with
    ``sbe: False`` (JSON), watch the same things: the unified structures agree value for value,
    but for ``info`` (each path's own raw payload) and what the SBE schema does not carry (named
    where it is skipped)."""
    with Stack(seed=42) as s:
        async def main():
            b = ccxt_client(s, True, walletAddress=ETH_ADDRESS, privateKey=ETH_PRIVATE_KEY)
            j = ccxt_client(s, False, walletAddress=ETH_ADDRESS, privateKey=ETH_PRIVATE_KEY)
            assert "sbeSchemaId=1&sbeSchemaVersion=3" in b.get_ws_url() and "sbe" not in j.get_ws_url()
            try:
                await asyncio.gather(b.load_markets(), j.load_markets())
                # ---- order book: the snapshot and several updates
                obs = await asyncio.gather(b.watch_order_book(SYMBOL), j.watch_order_book(SYMBOL))
                assert unified(obs[0]) == unified(obs[1]) and obs[0]["nonce"] > 0 and len(obs[0]["bids"]) == 15
                for _ in range(3):
                    s.exchange.advance(ticks=1)
                    target = rest(s.http_url, "GET", f"/v1/orderbook/{MARKET}?depth=15")[1]["seq_no"]
                    got = []
                    for ex in (b, j):       # the update may be in already: ccxt's own book, else wait
                        while ex.orderbooks.get(SYMBOL) is None or ex.orderbooks[SYMBOL]["nonce"] < target:
                            await ex.watch_order_book(SYMBOL)
                        got.append(unified(ex.orderbooks[SYMBOL].limit()))
                    assert got[0] == got[1] and got[0]["nonce"] == target
                # ---- ticker and funding rate
                tickers = await asyncio.gather(b.watch_ticker(SYMBOL), j.watch_ticker(SYMBOL))
                assert unified(tickers[0]) == unified(tickers[1]) and tickers[0]["last"] > 0
                rates = await asyncio.gather(b.watch_funding_rate(SYMBOL), j.watch_funding_rate(SYMBOL))
                json_rate = rates[1]["info"]["funding_rate"]
                # Rate8: an SBE frame carries 8 places of the rate, and ccxt.pro reads only that field
                assert rates[0]["fundingRate"] == float(trunc8(json_rate))
                assert unified(rates[0], ("info", "fundingRate")) == unified(rates[1], ("info", "fundingRate"))
                # ---- trades
                watching = [asyncio.ensure_future(ex.watch_trades(SYMBOL)) for ex in (b, j)]
                await async_wait_until(lambda: s.ws.subscribers(f"trades.{MARKET}") == 2, timeout=10)
                submit(s.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "SELL", "type": "MARKET", "size": "0.03"})
                trades = await asyncio.gather(*watching)
                assert unified(trades[0]) == unified(trades[1]) and trades[0][-1]["side"] == "sell"

                # ---- private: orders, my trades, positions, balance (signed in over ccxt's auth)
                watchers = [asyncio.ensure_future(w) for ex in (b, j) for w in
                            (ex.watch_orders(SYMBOL), ex.watch_my_trades(SYMBOL), ex.watch_positions([SYMBOL]),
                             ex.watch_balance())]
                for ch in (f"orders.{MARKET}", f"fills.{MARKET}", "positions", "account"):
                    await async_wait_until(lambda ch=ch: s.ws.subscribers(ch) == 2, timeout=15, what=ch)
                account_seq = []          # the seq_no of the last account update the exchange publishes
                token = s.exchange.bus.subscribe(
                    lambda ev: account_seq.append(ev["data"].seq_no) if ev["kind"] == "account" else None)
                ask = float(s.exchange.books[MARKET].best_ask())
                created = await j.create_order(SYMBOL, "limit", "buy", 0.02, round(ask * 1.01, 1))   # takes the ask
                await asyncio.gather(*watchers)
                s.exchange.bus.unsubscribe(token)
                address = hex(int((await b.retrieve_account())["address"], 16))
                acct = s.exchange.accounts[address]
                fills = [f.id for f in acct.fills]
                assert fills and acct.orders[created["id"]].status == "CLOSED"

                def settled(ex):
                    orders = [o for o in (ex.orders or []) if o["id"] == created["id"]]
                    mine = {t["id"] for t in (ex.myTrades or [])}
                    pos = [p for p in (ex.positions or []) if p["symbol"] == SYMBOL]
                    bal = (ex.balance or {}).get("info") or {}
                    return (orders and orders[-1]["status"] == "closed" and set(fills) <= mine and pos
                            and pos[-1]["contracts"] == float(acct.positions[MARKET].size)
                            and int(bal.get("seq_no", -1)) == account_seq[-1])
                for ex in (b, j):
                    await async_wait_until(lambda ex=ex: settled(ex), timeout=15, what="the private channels")
                orders = [unified([o for o in ex.orders if o["id"] == created["id"]][-1]) for ex in (b, j)]
                assert orders[0] == orders[1] and orders[0]["filled"] == 0.02
                my = [unified(sorted((t for t in ex.myTrades if t["id"] in fills), key=lambda t: t["id"])) for ex in (b, j)]
                assert my[0] == my[1] and len(my[0]) == len(fills)
                # the schema's PositionEvent has no created_at, ccxt.pro's position timestamp
                drop = ("info", "timestamp", "datetime")
                pos = [unified([p for p in ex.positions if p["symbol"] == SYMBOL][-1], drop) for ex in (b, j)]
                assert pos[0] == pos[1] and pos[0]["side"] == "long" and pos[0]["contracts"] == 0.02
                assert unified(b.balance) == unified(j.balance) and b.balance["USDC"]["total"] > 0
            finally:
                await asyncio.gather(b.close(), j.close())
        run(main(), timeout=120)
