"""Market scenarios (issue 17): scripted segments on the exchange clock, bad input refused,
determinism, a scripted day fast-forwarded, and replayed candles coming back from the klines
endpoints. Every run uses the manual clock from a minute-aligned start."""
import json
import math
import time
from decimal import Decimal

import pytest

from paradex_mock.config import Config, validate
from paradex_mock.engine import candles as cdl
from paradex_mock.engine.numbers import floor_step, round_step
from paradex_mock.http.app import create_app
from test_trading_support import call, get, order, post_order

D = Decimal
BTC = "BTC-USD-PERP"
START = 1767225600000          # 2026-01-01 00:00 UTC, on every candle grid
MIN = 60_000


def make_app(**overrides):
    cfg = dict(clock="manual", start_time_ms=START, seed=42, http_port=0, ws_port=0, control="on",
               rate_limits=False, backfill_hours=0.5, venues="paradex")
    cfg.update(overrides)
    return create_app(Config(**cfg), start_ticker=False)


def setup(**overrides):
    app = make_app(**overrides)
    return app, app.extensions["paradex_mock"].exchange, app.test_client()


def post_scenario(client, doc, status=200):
    return call(client, "POST", "/_mock/scenario", status, doc)


def minute_rows(ex, sym, lo, hi, kind="last"):
    return ex.candles(sym, cdl.minutes(1), lo, hi, kind)


# ------------------------------------------------------------------ shock
def test_shock_low_within_a_tick_and_volume_is_multiplier_times_baseline():
    app, ex, client = setup()
    st = ex.states[BTC]
    ex.advance(seconds=600)                        # ten unscripted minutes: the measured baseline
    base_rows = minute_rows(ex, BTC, START, START + 9 * MIN)
    measured = sum(r[5] for r in base_rows) / len(base_rows)
    pre = st.index_price
    t0 = ex.clock.now_ms()
    post_scenario(client, {"markets": {BTC: [{"kind": "shock", "move_pct": -10, "seconds": 60, "volume": 5}]}})
    ex.advance(seconds=60)
    target = round_step(pre * D("0.9"), st.market.tick)
    (row,) = minute_rows(ex, BTC, t0, t0)
    assert row[0] == t0
    assert abs(row[3] - target) <= st.market.tick and row[4] == target      # low and close
    assert st.index_price == target and st.mark_price == target
    # mark is sampled at each tick: the tick at the shock's end opens the next minute
    assert min(r[3] for r in minute_rows(ex, BTC, t0, t0 + MIN, "mark")) == target
    # the baseline: the unscripted flow's expected volume at this tick rate (lam + e^-lam trades of
    # trade_size a tick), which the ten measured minutes agree with
    lam = 6 / 60
    baseline = D(repr(round(60 * (lam + math.exp(-lam)), 12))) * D("0.05")
    assert abs(measured / baseline - 1) < D("0.1"), (measured, baseline)
    # the shock's trades (after the unscripted tick at t0, which opened the minute) are sells at the
    # scripted path, falling, and their volume is 5x the baseline
    trades = [t for t in ex.trades_between(BTC, t0 + 1, t0 + MIN - 1)][::-1]
    assert len(trades) == 60 and {t.side for t in trades} == {"SELL"}
    assert all(a.price >= b.price for a, b in zip(trades, trades[1:]))
    shock_volume = sum(t.size for t in trades)
    assert shock_volume == floor_step(5 * baseline, st.market.step) == D("15.07256")
    at_t0 = sum(t.size for t in ex.trades_between(BTC, t0, t0))
    assert row[5] == shock_volume + at_t0 and at_t0 < D("0.1")
    # GET /_mock/scenario: the tick at its end is the shock's last; then nothing is scripted
    assert get(client, "/_mock/scenario")["markets"][BTC]["active"]["kind"] == "shock"
    ex.advance(seconds=1)
    state = get(client, "/_mock/scenario")
    assert state["markets"][BTC]["active"] is None and state["markets"][BTC]["segments"][0]["kind"] == "shock"


def test_resting_buy_fills_and_stop_triggers_inside_the_crash():
    app, ex, client = setup()
    st = ex.states[BTC]
    pre = st.index_price
    buy_px = round_step(pre * D("0.95"), st.market.tick)
    stop_px = round_step(pre * D("0.93"), st.market.tick)
    buy = post_order(client, market=BTC, side="BUY", type="LIMIT", size="0.1", price=str(buy_px), instruction="GTC")
    stop = post_order(client, market=BTC, side="SELL", type="STOP_MARKET", size="0.1", trigger_price=str(stop_px))
    post_scenario(client, {"markets": {BTC: [{"kind": "shock", "move_pct": -10, "seconds": 60, "volume": 5}]}})
    ex.advance(seconds=20)
    assert order(client, buy["id"])["status"] == "OPEN"          # 20 s in: about -3.5 %
    assert order(client, stop["id"])["status"] == "UNTRIGGERED"
    state = get(client, "/_mock/scenario")["markets"][BTC]["active"]
    assert state["kind"] == "shock" and state["index"] == 0 and state["start_ms"] == START
    ex.advance(seconds=40)
    b, s = order(client, buy["id"]), order(client, stop["id"])
    assert b["status"] == "CLOSED" and b["cancel_reason"] == "" and D(b["avg_fill_price"]) <= buy_px
    assert s["status"] == "CLOSED" and s["remaining_size"] == "0" and D(s["avg_fill_price"]) <= stop_px
    fills = get(client, "/v1/fills")["results"]
    assert sorted(f["side"] for f in fills) == ["BUY", "SELL"]


# ------------------------------------------------------------------ the other segments
def test_gap_halt_hold_trend_calm_volatile():
    app, ex, client = setup()
    st = ex.states[BTC]
    book = ex.books[BTC]
    post_scenario(client, {"markets": {BTC: [
        {"kind": "hold", "price": "90000", "seconds": 30},
        {"kind": "halt", "seconds": 30},
        {"kind": "gap", "move_pct": 5},
        {"kind": "trend", "move_pct": -2, "volatility": 0, "seconds": 120},
        {"kind": "calm", "seconds": 600},
        {"kind": "volatile", "seconds": 600},
    ]}})
    ex.advance(seconds=30)
    assert st.index_price == st.mark_price == D("90000") and st.last_price <= D("90010")
    seq, n = book.seq_no, len(st.trades)
    ex.advance(seconds=30)                          # halted: no trades, the book frozen
    assert book.seq_no == seq and len(st.trades) == n and st.index_price == D("90000")
    assert get(client, "/_mock/scenario")["markets"][BTC]["active"]["kind"] == "halt"
    ex.advance(seconds=1)          # the gap, between two ticks (then the trend's first second)
    assert abs(st.index_price - D(94500 * 0.98 ** (1 / 120))) <= st.market.tick
    ex.advance(seconds=119)                         # a 2 % fall, no noise
    assert abs(st.index_price - round_step(D("94500") * D("0.98"), st.market.tick)) <= 2 * st.market.tick

    def realised(seconds):
        lo = ex.clock.now_ms()
        ex.advance(seconds=seconds)
        rows = minute_rows(ex, BTC, lo + MIN, ex.clock.now_ms() - MIN, "index")
        rets = [math.log(float(r[4]) / float(r[1])) for r in rows]
        vol = sum(r[5] for r in minute_rows(ex, BTC, lo + MIN, ex.clock.now_ms() - MIN))
        return math.sqrt(sum(x * x for x in rets) / len(rets)), vol

    calm_sd, calm_vol = realised(600)
    wild_sd, wild_vol = realised(600)
    assert wild_sd > 4 * calm_sd and wild_vol > 2 * calm_vol


# ------------------------------------------------------------------ determinism
SCRIPT = {"markets": {BTC: [{"kind": "calm", "seconds": 120}, {"kind": "shock", "move_pct": -10, "seconds": 60, "volume": 5},
                            {"kind": "halt", "seconds": 30}, {"kind": "gap", "move_pct": 4},
                            {"kind": "volatile", "seconds": 120}],
                      "ETH-USD-PERP": [{"kind": "trend", "move_pct": 3, "seconds": 300}]}}
WIRE = ("/v1/markets/klines?symbol=BTC-USD-PERP&resolution=1&start_at=%d&end_at=%d" % (START - 1800000, START + 400000),
        "/v1/markets/klines?symbol=ETH-USD-PERP&resolution=1&start_at=%d&end_at=%d" % (START, START + 400000),
        "/v1/trades?market=BTC-USD-PERP&page_size=500", "/v1/orderbook/BTC-USD-PERP?depth=50",
        "/v1/orderbook/ETH-USD-PERP?depth=50", "/v1/markets/summary?market=ALL")


def _scripted_run(client, ex):
    post_scenario(client, SCRIPT)
    ex.advance(seconds=400)
    return [client.get(p).get_data() for p in WIRE]


def test_same_seed_and_scenario_same_bytes_twice_over():
    app1, ex1, c1 = setup()
    app2, ex2, c2 = setup()
    first = _scripted_run(c1, ex1)
    assert first == _scripted_run(c2, ex2)            # two exchanges
    call(c1, "POST", "/_mock/reset", 200, {"seed": 42})
    assert get(c1, "/_mock/scenario")["markets"] == {}  # a reset clears the scenario
    ex1.clock.set_manual(True, START)                # (reset keeps the clock; rewind it for the replay)
    call(c1, "POST", "/_mock/reset", 200, {"seed": 42})
    assert _scripted_run(c1, ex1) == first            # the same exchange, reset
    other = setup(seed=43)
    assert _scripted_run(other[2], other[1]) != first


# ------------------------------------------------------------------ bad input
BAD = [
    ([], "request body must be a JSON object"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": 5}]}, "start": 1}, "unknown scenario field"),
    ({}, "markets must be an object"),
    ({"markets": {}}, "markets must be an object"),
    ({"markets": {"NOPE-USD-PERP": [{"kind": "calm", "seconds": 5}]}}, "unknown market 'NOPE-USD-PERP'"),
    ({"markets": {BTC: []}}, "the segments must be a list, not empty"),
    ({"markets": {BTC: {"kind": "calm"}}}, "the segments must be a list"),
    ({"markets": {BTC: ["calm"]}}, "a segment is an object"),
    ({"markets": {BTC: [{"kind": "crash", "seconds": 5}]}}, "unknown kind 'crash'"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": 5, "speed": 2}]}}, "unknown field(s) for calm: speed"),
    ({"markets": {BTC: [{"kind": "calm"}]}}, "calm needs seconds"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": 0}]}}, "seconds must be above 0"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": "60"}]}}, "seconds must be a number"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": True}]}}, "seconds must be a number"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": 1e12}]}}, "seconds must be at most"),
    ({"markets": {BTC: [{"kind": "shock", "seconds": 60}]}}, "shock needs move_pct"),
    ({"markets": {BTC: [{"kind": "shock", "seconds": 60, "move_pct": -100}]}}, "move_pct must be above -100"),
    ({"markets": {BTC: [{"kind": "shock", "seconds": 60, "move_pct": -5, "volume": -1}]}}, "volume must be at least 0"),
    ({"markets": {BTC: [{"kind": "gap", "move_pct": 5, "seconds": 3}]}}, "unknown field(s) for gap: seconds"),
    ({"markets": {BTC: [{"kind": "trend", "seconds": 60, "move_pct": 1, "drift": 0.5}]}}, "not both"),
    ({"markets": {BTC: [{"kind": "hold", "seconds": 60}]}}, "hold needs price"),
    ({"markets": {BTC: [{"kind": "hold", "seconds": 60, "price": "abc"}]}}, "price must be a decimal number"),
    ({"markets": {BTC: [{"kind": "hold", "seconds": 60, "price": "-1"}]}}, "price must be positive"),
    ({"markets": {BTC: [{"kind": "hold", "seconds": 60, "price": "0.01"}]}}, "price must be at least one tick"),
    ({"markets": {BTC: [{"kind": "replay"}]}}, "replay takes candles"),
    ({"markets": {BTC: [{"kind": "replay", "candles": [[START, 1, 2, 1, 2, 1]], "file": "x.csv"}]}}, "one of them"),
    ({"markets": {BTC: [{"kind": "replay", "file": "/nonexistent/c.csv"}]}}, "does not exist"),
    ({"markets": {BTC: [{"kind": "replay", "candles": [[START, 10, 9, 8, 10, 1]]}]}}, "low <= open, close <= high"),
    ({"markets": {BTC: [{"kind": "replay", "candles": [[START, 10, 11, 9, 10, 1], [START, 10, 11, 9, 10, 1]]}]}},
     "timestamps must increase"),
    ({"markets": {BTC: [{"kind": "replay", "candles": [[START, 10, 11, 9, 10, 1], [START + 7000, 10, 11, 9, 10, 1]]}]}},
     "standard interval"),
    ({"markets": {BTC: [{"kind": "replay", "candles": [[START, "x", 11, 9, 10, 1]]}]}}, "open must be a decimal"),
    ({"markets": {BTC: [{"kind": "calm", "seconds": 5},
                        {"kind": "replay", "candles": [[START, 10, 11, 9, 10, 1]], "interval": "1m", "backfill": 1}]}},
     "backfill needs the replay to be the market's first segment"),
]


@pytest.mark.parametrize("doc,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_scenarios_are_refused_and_change_nothing(doc, message):
    app, ex, client = setup()
    good = {"markets": {BTC: [{"kind": "hold", "price": "90000", "seconds": 60}]}}
    before = post_scenario(client, good)
    price = ex.states[BTC].index_price
    r = client.post("/_mock/scenario", json=doc)
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    assert body["error"] in ("INVALID_REQUEST_PARAMETER", "BINDING_ERROR") and message in body["message"], body
    assert message.startswith("request body") or body["message"].startswith("scenario: ")
    assert "\n" not in body["message"] and len(body["message"]) < 400
    assert get(client, "/_mock/scenario") == before
    assert ex.states[BTC].index_price == price


def test_delete_clears_and_bad_body_is_refused():
    app, ex, client = setup()
    post_scenario(client, {"markets": {BTC: [{"kind": "halt", "seconds": 600}]}})
    assert call(client, "DELETE", "/_mock/scenario", 200)["markets"] == {}
    r = client.post("/_mock/scenario", data="{nope", content_type="application/json")
    assert r.status_code == 400 and get(client, "/_mock/scenario")["markets"] == {}


def test_scenario_file_at_start_and_a_bad_one_is_one_line(tmp_path):
    good = tmp_path / "crash.json"
    good.write_text(json.dumps({"markets": {BTC: [{"kind": "hold", "price": "80000", "seconds": 60}]}}))
    app, ex, client = setup(scenario_file=str(good))
    assert get(client, "/_mock/scenario")["markets"][BTC]["segments"][0]["price"] == "80000"
    ex.advance(seconds=5)
    assert ex.states[BTC].index_price == D("80000")
    for text, message in (("{", "is not valid JSON"),
                          (json.dumps({"markets": {BTC: [{"kind": "hold", "seconds": 60}]}}), "hold needs price")):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(ValueError) as e:
            validate(Config(scenario_file=str(bad)))
        assert message in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ValueError, match="scenario file .* does not exist"):
        validate(Config(scenario_file=str(tmp_path / "missing.json")))


@pytest.mark.paradex_mock(seed=7, start_time_ms=START, venues="paradex", with_ws=False,
                          scenario={"markets": {BTC: [{"kind": "hold", "price": "70000", "seconds": 60}]}})
def test_pytest_marker_installs_a_scenario(paradex_mock):
    paradex_mock.advance(seconds=2)
    assert paradex_mock.scenario()["markets"][BTC]["active"]["kind"] == "hold"
    assert paradex_mock.exchange.states[BTC].mark_price == D("70000")


# ------------------------------------------------------------------ a scripted day, fast-forwarded
def test_a_scripted_day_fast_forwards():
    """A day in one call: the clock fast-forwards a minute at a time (how long it takes is
    ``python -m bench.fast_forward``)."""
    app, ex, client = setup()
    day = [{"kind": "calm", "seconds": 6 * 3600}, {"kind": "trend", "move_pct": 3, "seconds": 6 * 3600},
           {"kind": "shock", "move_pct": -8, "seconds": 600, "volume": 4}, {"kind": "halt", "seconds": 1200},
           {"kind": "volatile", "seconds": 4 * 3600}, {"kind": "hold", "price": "90000", "seconds": 3600},
           {"kind": "free", "seconds": 6 * 3600}]
    post_scenario(client, {"markets": {BTC: day}})
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 86400})
    rows = minute_rows(ex, BTC, START, START + 86400000)
    halt = START + (12 * 3600 + 600) * 1000
    assert [r for r in rows if halt < r[0] < halt + 1200000] == []        # halted: no trades
    assert len(rows) > 1380 and ex.clock.now_ms() == START + 86400000
    shock = [r for r in rows if START + 12 * 3600 * 1000 <= r[0] < halt]
    assert min(r[3] for r in shock) <= shock[0][1] * D("0.93")            # the -8% crash printed
    held_from = halt + 1200000 + 4 * 3600 * 1000
    marks = minute_rows(ex, BTC, held_from + MIN, held_from + 3600 * 1000 - MIN, "mark")
    assert len(marks) > 50 and {r[4] for r in marks} == {D("90000")}      # held: mark at 90000 throughout
    assert ex.states[BTC].index_price != D("90000")                      # free after the hold


# ------------------------------------------------------------------ replay
def _candles(n, start_ms, price=D("95000.0")):
    """Plausible 1-minute candles on BTC's tick (0.1) and step (0.00001) on both venues."""
    rows, p = [], price
    for i in range(n):
        o = p
        c = o + D(((i * 37) % 21) - 10) * D("7.3")
        h = max(o, c) + D((i * 13) % 7) * D("2.1")
        low = min(o, c) - D((i * 11) % 5) * D("3.4")
        v = D("0.5") + D((i * 29) % 17) * D("0.12345")
        rows.append([start_ms + i * MIN, str(o), str(h), str(low), str(c), str(v)])
        p = c + D((i % 3) - 1) * D("0.5")           # the next open: a small gap or none
    return rows


def test_replayed_file_comes_back_from_paradex_and_binance_klines(tmp_path):
    rows = _candles(40, START - 30 * MIN)
    path = tmp_path / "btc_1m.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    seg = {"kind": "replay", "file": str(path), "backfill": 30}
    app, ex, client = setup(venues="paradex,binance")
    post_scenario(client, {"markets": {BTC: [seg], "binance:BTCUSDT": [seg]}})
    assert ex.states[BTC].last_price == D(rows[29][4])                # the history ends at now
    ex.advance(seconds=600)
    lo, hi = rows[0][0], rows[-1][0]
    want = [[r[0]] + [D(x) for x in r[1:]] for r in rows]
    paradex = get(client, f"/v1/markets/klines?symbol={BTC}&resolution=1&start_at={lo}&end_at={hi}")["results"]
    assert [[r[0]] + [float(x) for x in r[1:]] for r in want] == paradex
    binance = get(client, f"/binance/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={lo}&endTime={hi}&limit=1000")
    assert [[r[0]] + [D(x) for x in r[1:6]] for r in binance] == want
    # and the same file as Binance kline rows (JSON) at 5 minutes, read back at 5 minutes
    five = []
    for i in range(0, len(rows), 5):
        part = rows[i:i + 5]
        five.append([part[0][0], part[0][1], str(max(D(x[2]) for x in part)), str(min(D(x[3]) for x in part)),
                     part[-1][4], str(sum(D(x[5]) for x in part)), part[0][0] + 5 * MIN - 1, "0", 0, "0", "0", "0"])
    kl = tmp_path / "btc_5m.json"
    kl.write_text(json.dumps(five))
    app, ex, client = setup(venues="binance")
    call(client, "POST", "/_mock/scenario", 200, {"markets": {"binance:BTCUSDT": [{"kind": "replay", "file": str(kl),
                                                                                   "backfill": 6}]}})
    ex.advance(seconds=600)
    got = get(client, f"/binance/api/v3/klines?symbol=BTCUSDT&interval=5m&startTime={lo}&endTime={hi}&limit=1000")
    assert [[r[0]] + [D(x) for x in r[1:6]] for r in got] == [[r[0]] + [D(x) for x in r[1:6]] for r in five]


# ------------------------------------------------------------------ realism by default
def test_stylised_facts_on_a_simulated_week():
    """Binance's BTCUSDT with its fixture's realism parameters (Student-t innovations, GARCH-like
    variance, volume linked to it and to the hour of day), one market alone, 1-minute ticks."""
    from paradex_mock.engine.exchange import Exchange
    from paradex_mock.venues.binance import markets as binance_markets
    cfg = Config(clock="manual", start_time_ms=START, seed=1, backfill_hours=0, tick_interval=60.0)
    (d,) = [x for x in binance_markets.load(cfg.fixtures_dir) if x.market.symbol == "binance:BTCUSDT"]
    ex = Exchange(cfg, [d])
    assert ex.states["binance:BTCUSDT"].params.realistic
    t = time.perf_counter()
    ex.advance(seconds=7 * 86400)
    print(f"a simulated week, one market at 1-minute ticks: {time.perf_counter() - t:.1f} s")
    end = ex.clock.now_ms()
    closes = [float(r[4]) for r in ex.candles("binance:BTCUSDT", cdl.minutes(1), START, end, "index")]
    vols = {r[0]: float(r[5]) for r in ex.candles("binance:BTCUSDT", cdl.minutes(1), START, end)}
    times = [r[0] for r in ex.candles("binance:BTCUSDT", cdl.minutes(1), START, end, "index")]
    r = [math.log(b / a) for a, b in zip(closes, closes[1:])]
    n = len(r)
    assert n > 10_000
    m = sum(r) / n
    var = sum((x - m) ** 2 for x in r) / n
    kurtosis = sum((x - m) ** 4 for x in r) / n / var ** 2 - 3
    a = [abs(x) for x in r]
    ma = sum(a) / n
    va = sum((x - ma) ** 2 for x in a) / n
    acf = [sum((a[i] - ma) * (a[i + k] - ma) for i in range(n - k)) / n / va for k in (1, 2, 3, 4, 5)]
    v = [vols.get(times[i + 1], 0.0) for i in range(n)]      # the minute the return happened in
    mv = sum(v) / n
    sv = math.sqrt(sum((x - mv) ** 2 for x in v) / n)
    corr = sum((v[i] - mv) * (a[i] - ma) for i in range(n)) / n / sv / math.sqrt(va)
    by_hour = [0.0] * 24
    for t0, x in vols.items():
        by_hour[(t0 // 3_600_000) % 24] += x
    print(f"excess kurtosis {kurtosis:.2f}, acf |r| {[round(x, 3) for x in acf]}, corr(volume, |r|) {corr:.3f}, "
          f"volume 14h/02h {by_hour[14] / by_hour[2]:.2f}")
    assert kurtosis > 1
    assert all(x > 0.05 for x in acf)
    assert corr > 0.1
    assert by_hour[14] > 1.3 * by_hour[2]


def test_paradex_markets_keep_the_plain_walk():
    app, ex, client = setup()
    assert not any(st.params.realistic for st in ex.states.values())
