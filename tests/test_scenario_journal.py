"""Market scenarios in the bus, the journal and the dashboard's reads (issue 17): each segment's
start and end is one "scenario" event and one journal entry, in order with the requests,
published only on transitions (segments the clock jumps over included), and installing or
clearing a scenario is announced too. Manual clock from a minute-aligned start."""
import copy
from decimal import Decimal

from paradex_mock.control import Journal
from paradex_mock.engine import codec
from paradex_mock.engine.events import SegmentChange
from test_scenarios import BTC, START, post_scenario, setup
from test_trading_support import call, get

ETH = "ETH-USD-PERP"
TWO = {"markets": {BTC: [{"kind": "calm", "seconds": 30},
                         {"kind": "shock", "move_pct": -5, "seconds": 20, "volume": 2}]}}


def scenario_events(ex):
    out = []
    ex.bus.subscribe(lambda ev: out.append(ev) if ev["kind"] == "scenario" else None)
    return out


def brief(entries):
    """(change, index, segment kind, at) of scenario entries; (method, path) of requests."""
    return [(e["change"], e["index"], e["segment"], e["at"]) if e["kind"] == "scenario"
            else (e["method"], e["path"]) for e in entries]


def test_two_segments_are_four_journal_entries_in_order_with_the_requests():
    app, ex, client = setup()
    events = scenario_events(ex)
    post_scenario(client, TWO)                       # the control API itself is not journaled
    get(client, "/v1/system/time")
    ex.advance(ticks=1)                              # the tick at START+1s is calm's first
    ex.advance(seconds=29)                           # ...and the one at START+30s its last
    get(client, "/v1/system/time")
    ex.advance(ticks=1)                              # START+31s: calm over, the shock begins
    ex.advance(seconds=19)
    assert [e["data"].change for e in events] == ["installed", "started", "ended", "started"]
    ex.advance(ticks=1)                              # START+51s: the shock's end is past
    ex.advance(seconds=60)                           # the seeded walk again: nothing more
    journal = get(client, "/_mock/journal")["results"]
    assert brief(journal) == [
        ("installed", None, None, START),
        ("GET", "/v1/system/time"),
        ("started", 0, "calm", START + 1_000),
        ("GET", "/v1/system/time"),
        ("ended", 0, "calm", START + 31_000),
        ("started", 1, "shock", START + 31_000),
        ("ended", 1, "shock", START + 51_000),
    ]
    inst, started = journal[0], journal[2]
    assert (inst["market"], inst["path"], inst["method"], inst["segments"], inst["start_ms"], inst["end_ms"]) == \
        (BTC, BTC, "SCENARIO", 2, START, START + 50_000)
    assert (started["start_ms"], started["end_ms"], started["status"], started["faults"]) == (START, START + 30_000, None, [])
    assert [e["seq"] for e in journal] == sorted(e["seq"] for e in journal)
    # the events carry the same, market-keyed, and only on transitions (not per tick)
    assert len(events) == 5 and {e["market"] for e in events} == {BTC}
    assert events[-1]["data"] == SegmentChange(BTC, "ended", START + 51_000, 1, "shock", START + 30_000,
                                               START + 50_000, 2)
    # filters: kind, and path (the market) as for requests
    assert brief(get(client, "/_mock/journal?kind=scenario&limit=2")["results"]) == \
        [("started", 1, "shock", START + 31_000), ("ended", 1, "shock", START + 51_000)]
    assert [e["kind"] for e in get(client, "/_mock/journal?kind=request")["results"]] == ["request"] * 2
    assert len(get(client, f"/_mock/journal?path={BTC}")["results"]) == 5
    assert get(client, "/_mock/journal?path=/v1")["results"] == journal[1:4:2]
    call(client, "GET", "/_mock/journal?kind=nope", 400)


def test_segments_the_clock_jumps_over_start_and_end_at_that_tick():
    """A calm, a gap and a hold, all passed by one move: each is announced, in order. Holds
    whether the move ticks each second or fast-forwards a minute a step."""
    app, ex, client = setup()
    doc = {"markets": {BTC: [{"kind": "calm", "seconds": 10}, {"kind": "gap", "move_pct": 2},
                             {"kind": "hold", "price": "90000", "seconds": 10}],
                       ETH: [{"kind": "gap", "move_pct": -3}]}}
    post_scenario(client, doc)
    ex.advance(seconds=900)
    entries = get(client, "/_mock/journal?kind=scenario")["results"]
    btc = [(e["change"], e["index"], e["segment"]) for e in entries if e["market"] == BTC]
    assert btc == [("installed", None, None), ("started", 0, "calm"), ("ended", 0, "calm"),
                   ("started", 1, "gap"), ("ended", 1, "gap"), ("started", 2, "hold"), ("ended", 2, "hold")]
    eth = [(e["change"], e["index"], e["segment"]) for e in entries if e["market"] == ETH]
    assert eth == [("installed", None, None), ("started", 0, "gap"), ("ended", 0, "gap")]
    for e in entries:                              # announced at a tick past the boundary, never early
        if e["change"] == "started":
            assert e["at"] > e["start_ms"]
        elif e["change"] == "ended":
            assert e["at"] > e["end_ms"]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    n = len(entries)
    ex.advance(seconds=120)
    assert len(get(client, "/_mock/journal?kind=scenario")["results"]) == n


def test_clear_and_replace_are_announced_and_a_restore_does_not_repeat():
    app, ex, client = setup()
    post_scenario(client, TWO)
    ex.advance(seconds=10)
    snap = get(client, "/_mock/snapshot")
    call(client, "DELETE", "/_mock/scenario", 200)
    post_scenario(client, {"markets": {ETH: [{"kind": "halt", "seconds": 5}]}})
    post_scenario(client, {"markets": {ETH: [{"kind": "halt", "seconds": 5}]}})    # a replace: cleared, installed
    out = [(e["market"], e["change"], e["index"], e["segment"])
           for e in get(client, "/_mock/journal?kind=scenario")["results"]]
    assert out == [(BTC, "installed", None, None), (BTC, "started", 0, "calm"),
                   (BTC, "cleared", 0, "calm"),
                   (ETH, "installed", None, None), (ETH, "cleared", None, None), (ETH, "installed", None, None)]
    # a snapshot taken inside the calm: restored, the calm is not started again; its end is (also
    # from a snapshot of before the announcements were kept: inferred from its time)
    older = copy.deepcopy(snap)
    del older["scenario"]["run"][BTC]["reported"]
    for doc in (snap, older):
        call(client, "POST", "/_mock/restore", 200, doc)
        call(client, "DELETE", "/_mock/journal", 200)
        ex.advance(seconds=25)
        assert brief(get(client, "/_mock/journal?kind=scenario")["results"]) == \
            [("ended", 0, "calm", START + 31_000), ("started", 1, "shock", START + 31_000)]


def test_the_event_survives_the_stream_codec():
    ch = SegmentChange(BTC, "started", START + 1_000, 0, "calm", START, START + 30_000, 2)
    import json
    assert codec.decode(json.loads(json.dumps(codec.encode(ch)))) == ch
    inst = SegmentChange(BTC, "installed", START, None, None, START, START + 50_000, 2)
    assert codec.decode(json.loads(json.dumps(codec.encode(inst)))) == inst


def test_journal_stays_bounded_with_scenario_entries():
    app, ex, client = setup()
    state = app.extensions["paradex_mock"]
    state.journal = Journal(size=4)
    post_scenario(client, {"markets": {BTC: [{"kind": "calm", "seconds": 1}] * 10}})
    ex.advance(seconds=12)
    for _ in range(2):
        get(client, "/v1/system/time")
    entries = get(client, "/_mock/journal")["results"]
    assert len(entries) == 4 and [e["kind"] for e in entries] == ["scenario", "scenario", "request", "request"]
    assert entries[1]["change"] == "ended" and entries[1]["index"] == 9


def test_dashboard_reads_the_active_segment_and_filters_the_journal():
    app, ex, client = setup()
    assert get(client, f"/_mock/ui/api/market/{BTC}?candles=2")["scenario"] is None
    post_scenario(client, TWO)
    doc = get(client, f"/_mock/ui/api/market/{BTC}?candles=2")["scenario"]
    assert doc == {"active": None, "next": {"index": 0, "kind": "calm", "start_ms": START, "end_ms": START + 30_000},
                   "segments": 2, "ends_ms": START + 50_000}
    ex.advance(seconds=12)
    doc = get(client, f"/_mock/ui/api/market/{BTC}?candles=2")["scenario"]
    assert doc["active"] == {"index": 0, "kind": "calm", "start_ms": START, "end_ms": START + 30_000,
                             "left_ms": 18_000}
    assert doc["next"]["kind"] == "shock"
    ov = {m["symbol"]: m["segment"] for v in get(client, "/_mock/ui/api/overview")["venues"] for m in v["markets"]}
    assert ov[BTC] == "calm" and ov[ETH] is None
    rows = get(client, "/_mock/ui/api/journal?kind=scenario")["results"]
    assert [(r["change"], r["segment"]) for r in rows] == [("started", "calm"), ("installed", None)]   # newest first
    ex.advance(seconds=60)
    doc = get(client, f"/_mock/ui/api/market/{BTC}?candles=2")["scenario"]
    assert doc["active"] is None and doc["next"] is None
    assert Decimal(get(client, f"/_mock/ui/api/market/{BTC}?candles=2")["index"]) > 0


def test_a_held_price_does_not_hold_the_announcements():
    """set_price wins over the segments (they do not act), but they still pass on the clock:
    the journal says so at the same ticks as without the hold."""
    app, ex, client = setup()
    post_scenario(client, TWO)
    call(client, "POST", f"/_mock/markets/{BTC}/price", 200, {"price": "91000", "hold": True})
    ex.advance(seconds=55)
    assert brief(get(client, "/_mock/journal?kind=scenario")["results"]) == [
        ("installed", None, None, START), ("started", 0, "calm", START + 1_000),
        ("ended", 0, "calm", START + 31_000), ("started", 1, "shock", START + 31_000),
        ("ended", 1, "shock", START + 51_000)]
    assert ex.states[BTC].index_price == Decimal("91000")
