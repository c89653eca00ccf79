"""Fast-forward (issue 13 item 19, issue 17): ``clock/advance`` by more than ten minutes steps a
minute of exchange time at a time. Each step is a tick of that length, so candles, funding,
stops, resting orders and liquidations come out as a real-time run at one-minute granularity
would give them, and the same seed gives the same day. How long a day takes is a benchmark
(``python -m bench.fast_forward``), not a test."""
import bisect
import random
from decimal import Decimal

import pytest

from paradex_mock.config import Config
from paradex_mock.engine import candles as cdl
from paradex_mock.http.app import create_app
from test_trading_support import call, get, post_order

D = Decimal
BTC = "BTC-USD-PERP"
ETH = "ETH-USD-PERP"
START = 1767225600000          # 2026-01-01 00:00 UTC
MIN = 60_000
DAY_S = 86_400


def setup(**overrides):
    cfg = dict(clock="manual", start_time_ms=START, seed=42, http_port=0, ws_port=0, control="on",
               rate_limits=False, backfill_hours=0.5, venues="paradex")
    cfg.update(overrides)
    app = create_app(Config(**cfg), start_ticker=False)
    return app, app.extensions["paradex_mock"].exchange, app.test_client()


def ticks_counted(ex):
    seen = []
    ex.bus.subscribe(lambda ev: seen.append(ev["kind"]) if ev["kind"] in ("tick", "resync") else None)
    return seen


# ------------------------------------------------------------------ the 24 h window
def _resum(c: cdl.Candles, now: int):
    """The definition, summed from scratch: the 1,440 closed minutes before the current one."""
    minute = now - now % MIN
    lo = bisect.bisect_left(c.minutes, minute - DAY_S * 1000)
    rows = [c.data[b] for b in c.minutes[lo:] if b < minute]
    if not rows:
        return None, None, D(0), D(0), 0
    return (max(r[cdl.H] for r in rows), min(r[cdl.L] for r in rows), sum(r[cdl.V] for r in rows),
            sum(r[cdl.V] * r[cdl.C] for r in rows), sum(r[cdl.N] for r in rows))


def test_rolling_window_equals_a_resum_as_minutes_pass_and_buckets_move():
    rng = random.Random(5)
    c = cdl.Candles()
    w = None
    now = START
    for i in range(6000):
        now += rng.choice((1_000, 17_000, 60_000, 3_600_000))
        if rng.random() < 0.03:        # a trade in an earlier bucket (a replay): the window restarts
            c.add(now - 5 * MIN, D(rng.randint(900, 1100)), D("0.5"))
        c.add(now, D(rng.randint(900, 1100)) / 10, D(rng.randint(1, 99)) / 100, rng.random() < 0.5)
        minute = now - now % MIN
        if w is None or not w.valid(c, minute):
            w = cdl.RollingWindow(c, DAY_S * 1000)
        w.move(minute)
        assert (w.high(), w.low(), w.base, w.quote, w.trades) == _resum(c, now), i


# ------------------------------------------------------------------ a day
def test_a_day_fast_forwards_a_minute_at_a_time_with_every_candle():
    app, ex, client = setup()
    seen = ticks_counted(ex)
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": DAY_S})
    assert ex.clock.now_ms() == START + DAY_S * 1000
    # one ordinary tick at the end (the feeds' summary, book, tick), then a resync for the WS side
    assert seen == ["tick", "resync"]
    for sym in (BTC, ETH):
        for kind in ("last", "mark", "index"):
            rows = ex.candles(sym, cdl.minutes(1), START + MIN, START + DAY_S * 1000, kind)
            assert [r[0] for r in rows] == list(range(START + MIN, START + DAY_S * 1000 + 1, MIN)), (sym, kind)
        rows = ex.candles(sym, cdl.minutes(1), START + MIN, START + DAY_S * 1000)
        assert all(r[5] > 0 and r[2] >= r[3] for r in rows)
        funding = ex.states[sym].funding_history
        assert [f.created_at for f in funding if f.created_at > START] == \
            list(range(START + MIN, START + DAY_S * 1000 + 1, MIN))
    # the 24 h statistics are those of the day just run
    stats = get(client, f"/v1/markets/summary?market={BTC}")["results"][0]
    day = ex.candles(BTC, cdl.minutes(1), START, START + DAY_S * 1000)
    assert D(stats["volume_24h"]) > 0
    assert stats["last_traded_price"] == str(day[-1][4])
    # the book is the market maker's ladder around mark again, not the one from a day ago
    mark = ex.states[BTC].mark_price
    assert abs(ex.books[BTC].best_bid() - mark) / mark < D("0.001")


def test_a_fast_forwarded_day_is_the_same_day_twice():
    def run():
        app, ex, client = setup(seed=9)
        call(client, "POST", "/_mock/scenario", 200, {"markets": {BTC: [
            {"kind": "calm", "seconds": 3600}, {"kind": "shock", "move_pct": -6, "seconds": 300, "volume": 3}]}})
        call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 20_000})
        return (get(client, f"/v1/markets/klines?symbol={BTC}&resolution=5&start_at={START}&end_at={START + 20_000_000}"),
                get(client, f"/v1/trades?market={BTC}&page_size=500"),
                get(client, f"/v1/orderbook/{ETH}?depth=50"),
                get(client, "/v1/funding/data?market=BTC-USD-PERP&page_size=200"))
    assert run() == run()


def test_ticks_tick_exactly_and_fast_forward_can_be_switched_off():
    app, ex, client = setup(tick_interval=10.0)      # fast_forward_step 60 s: longer than a tick
    seen = ticks_counted(ex)
    call(client, "POST", "/_mock/clock/advance", 200, {"ticks": 70})
    assert len(seen) == 70
    seen.clear()
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 600})    # ten minutes: tick by tick
    assert len(seen) == 60
    seen.clear()
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 610})    # beyond: a step a minute
    assert seen == ["tick", "resync"]
    app, ex, client = setup(tick_interval=10.0, fast_forward_step=0)
    seen = ticks_counted(ex)
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 1200})
    assert len(seen) == 120 and seen[-1] == "tick"


def test_the_cap_counts_fast_forward_steps():
    app, ex, client = setup(tick_interval=0.1)
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": DAY_S})      # 1,440 steps, not 864,000 ticks
    assert ex.clock.now_ms() == START + DAY_S * 1000
    err = call(client, "POST", "/_mock/clock/advance", 400, {"seconds": DAY_S + 1})
    assert err["error"] == "INVALID_REQUEST_PARAMETER"
    assert ex.clock.now_ms() == START + DAY_S * 1000


def test_fast_forward_step_is_checked():
    from paradex_mock.config import validate
    for bad in (-1, 7200):
        with pytest.raises(ValueError, match="fast_forward_step must be from 0 to 3600 s"):
            validate(Config(fast_forward_step=bad))


# ------------------------------------------------------------------ what clients have in the market
def test_funding_is_paid_every_hour_of_a_fast_forwarded_day():
    app, ex, client = setup(funding_interval=3600.0)
    post_order(client, market=BTC, side="BUY", type="MARKET", size="0.5")
    acct = next(a for a in ex.accounts.values() if a.positions.get(BTC) and a.positions[BTC].size)
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": DAY_S})
    paid = [p for p in acct.funding_payments if p.market == BTC]
    assert [p.created_at for p in paid] == [START + h * 3_600_000 for h in range(1, 25)]
    assert acct.positions[BTC].realized_funding == sum(p.payment for p in paid)
    assert len(get(client, f"/v1/funding/payments?market={BTC}&page_size=100")["results"]) == 24


def test_a_crash_inside_a_fast_forward_fills_resting_orders_triggers_stops_and_liquidates():
    app, ex, client = setup()
    mark = ex.states[BTC].mark_price
    buy_at = (mark * D("0.95")).quantize(D("0.1"))
    resting = post_order(client, market=BTC, side="BUY", type="LIMIT", size="0.01", price=str(buy_at))
    stop = post_order(client, market=ETH, side="SELL", type="STOP_MARKET", size="0.1",
                      trigger_price=str((ex.states[ETH].mark_price * D("0.93")).quantize(D("0.01"))))
    # a second account, long ETH with little margin: the crash takes it under maintenance
    victim = call(client, "POST", "/_mock/accounts", 201, {"balance": "400"})["address"]
    from paradex_mock.engine.models import Order
    ex.submit_order(victim, Order(id="", account="", market=ETH, side="BUY", type="MARKET", size=D("1"), price=D(0)))
    assert ex.accounts[victim].positions[ETH].size == 1
    crash = [{"kind": "calm", "seconds": 7200}, {"kind": "shock", "move_pct": -12, "seconds": 600}]
    call(client, "POST", "/_mock/scenario", 200, {"markets": {BTC: crash, ETH: crash}})
    call(client, "POST", "/_mock/clock/advance", 200, {"seconds": 4 * 3600})
    crash_from, crash_to = START + 7200 * 1000, START + 7800 * 1000
    filled = get(client, f"/v1/orders/{resting['id']}")
    assert filled["status"] == "CLOSED" and filled["remaining_size"] == "0"
    fill = next(f for f in get(client, f"/v1/fills?market={BTC}")["results"] if f["order_id"] == resting["id"])
    assert D(fill["price"]) <= buy_at and crash_from < fill["created_at"] <= crash_to
    fired = get(client, f"/v1/orders/{stop['id']}")
    assert fired["status"] == "CLOSED" and fired["remaining_size"] == "0"
    liq = ex.accounts[victim].liquidations
    assert len(liq) == 1 and crash_from < liq[0]["created_at"] <= crash_to
    assert ex.accounts[victim].positions[ETH].size == 0


# ------------------------------------------------------------------ the WebSocket side
def test_ws_feeds_carry_on_from_the_fast_forwarded_state():
    """Nothing of the steps is pushed, but the open candle a kline stream carries afterwards
    holds all of them (the WS side took a fresh snapshot at the end)."""
    import asyncio
    import json

    import websockets

    from paradex_mock.testing import MockParadex
    from paradex_mock.ws.testing import rest

    with MockParadex(seed=3, start_time_ms=START, backfill_hours=0.5, rate_limits=False, venues="binance") as mock:
        async def main():
            async with websockets.connect(mock.ws_url[:-3] + "/binance/ws") as ws:
                await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@kline_1d"], "id": 1}))
                assert json.loads(await ws.recv()) == {"result": None, "id": 1}
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, lambda: mock.advance(seconds=7200))
                await loop.run_in_executor(None, lambda: mock.advance(ticks=1))
                last = None
                while True:
                    try:
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 3.0))   # pushes coalesce over 2 s
                    except asyncio.TimeoutError:
                        return last
                    if msg.get("e") == "kline":
                        last = msg["k"]

        k = asyncio.run(main())
        status, rows = rest(mock.http_url, "GET", "/binance/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=1")
        assert status == 200
        (o_time, o, h, low, c, v) = rows[-1][:6]
        assert o_time == START and k["t"] == START
        assert (k["o"], k["h"], k["l"], k["c"], k["v"]) == (o, h, low, c, v)
        minutes = rest(mock.http_url, "GET", f"/binance/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={START}&limit=1000")[1]
        assert len(minutes) == 121 and D(v) == sum(D(r[5]) for r in minutes)    # every step's volume is in it
