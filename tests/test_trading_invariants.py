"""Bookkeeping invariants under long random order flow from several accounts, and under
concurrent REST requests. Exact Decimal arithmetic throughout: nothing may drift by a digit."""
import random
import sys
import threading
from collections import defaultdict
from decimal import Decimal

import pytest

from paradex_mock.engine.errors import ExchangeError
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.engine.models import SIM_ACCOUNT
from paradex_mock.venues.paradex.orders import modification, order_request
from test_trading_support import BTC, ETH, SOL, balance, fills, get, trading_app

D = Decimal
ACCOUNTS = [DEMO_ACCOUNT, "0xa11ce", "0xb0b", "0xca401"]
# market -> (size unit, max units): sizes stay above min_notional ($10)
UNITS = {BTC: (D("0.001"), 30), ETH: (D("0.01"), 50), SOL: (D("0.1"), 50)}
TRIGGER_TYPES = ["STOP_MARKET", "STOP_LIMIT", "TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT",
                 "STOP_LOSS_MARKET", "STOP_LOSS_LIMIT"]

KNOWN = lambda market: True   # noqa: E731 - every market of these tests is Paradex's


def check_book_not_crossed(ex, where):
    for sym, book in ex.books.items():
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask, (where, sym, bid, ask)


def check_invariants(ex):
    """Every account's books balance exactly; no order is lost, duplicated or over-filled; every
    fill belongs to an order and every client-vs-client trade has both sides."""
    start = ex.starting_balance
    by_trade = defaultdict(list)
    seen_ids = []
    in_book = {}
    for book in ex.books.values():
        for side in (book.bids, book.asks):
            for o in side.orders():
                assert o.remaining > 0, o
                if o.account != SIM_ACCOUNT:
                    assert o.id not in in_book, f"order {o.id} rests twice"
                    in_book[o.id] = o
    for sym, book in ex.books.items():
        for side in (book.bids, book.asks):   # depth reads incrementally kept level totals
            assert side.totals == side.totals_recounted(), (sym, side.is_bid)
    waiting = {o.id for orders in ex.triggers.values() for o in orders}
    for addr, acct in ex.accounts.items():
        cash = start
        filled = defaultdict(D)
        signed = defaultdict(D)
        for f in acct.fills:
            assert f.account == addr and f.order_id in acct.orders, f
            assert f.remaining_size >= 0 and f.size > 0, f
            assert f.fee == f.size * f.price * (ex.markets[f.market].maker_fee if f.liquidity == "MAKER"
                                                 else ex.markets[f.market].taker_fee)
            cash += f.realized_pnl - f.fee + f.realized_funding
            filled[f.order_id] += f.size
            signed[f.market] += f.size if f.side == "BUY" else -f.size
            by_trade[f.trade_id].append(f)
        cash += sum((p.payment for p in acct.funding_payments), D(0))
        # the margin check reads incrementally kept open-order totals: they must equal a recount
        assert acct.open_totals() == acct.open_totals_recounted(), addr
        assert acct.balance == cash, (addr, acct.balance, cash)
        for sym, pos in acct.positions.items():
            assert pos.size == signed[sym], (addr, sym, pos.size, signed[sym])
        for oid, o in acct.orders.items():
            seen_ids.append(oid)
            assert o.id == oid and o.account == addr and ex.orders.get(oid) is o
            assert D(0) <= o.remaining <= o.size, o
            assert o.remaining == o.size - filled[oid], (o, filled[oid])
            assert (oid in acct.open_orders) == o.is_open, o
            assert o.status != "NEW", o                    # nothing is left half-processed
            if o.status == "OPEN":
                assert in_book.get(oid) is o, o
            else:
                assert oid not in in_book, o
            assert (o.status == "UNTRIGGERED") == (oid in waiting), o
            if o.status == "CLOSED" and o.remaining == 0 and o.size > 0:
                assert o.cancel_reason == "", o              # filled: no reason, as ccxt needs
    assert len(seen_ids) == len(set(seen_ids)) == len(ex.orders), "an order id is lost or duplicated"
    assert set(in_book) <= set(seen_ids)
    pairs = 0
    for tid, fs in by_trade.items():
        assert len(fs) <= 2, tid
        trade = next(t for t in ex.states[fs[0].market].trades[::-1] if t.id == tid)
        for f in fs:
            assert (f.price, f.size, f.market) == (trade.price, trade.size, trade.market)
        if len(fs) == 2:
            a, b = fs
            assert a.side != b.side and {a.liquidity, b.liquidity} == {"MAKER", "TAKER"}
            assert (a.price, a.size) == (b.price, b.size) and a.account != b.account
            taker = a if a.liquidity == "TAKER" else b
            assert trade.side == taker.side
            pairs += 1
    return pairs


def random_flow(ex, seed, steps):
    rng = random.Random(seed)
    stats = defaultdict(int)
    for i in range(steps):
        addr = rng.choice(ACCOUNTS)
        sym = rng.choice(list(UNITS))
        m, st = ex.markets[sym], ex.states[sym]
        unit, most = UNITS[sym]
        mid = st.mark_price
        size = unit * rng.randint(1, most) * rng.choice([1] * 25 + [100, 1000, 3000])   # some overreach margin
        spread = 10000 if rng.random() < 0.5 else 100000                            # bps or tenths of one
        price = (mid * (1 + D(rng.randint(-30, 30)) / spread)).quantize(m.tick)
        body = {"market": sym, "side": rng.choice(["BUY", "SELL"]), "size": str(size)}
        if rng.random() < 0.2:
            body["stp"] = rng.choice(["EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"])
        r = rng.random()
        try:
            if r < 0.30:
                body.update(type="LIMIT", price=str(price),
                            instruction=rng.choice(["GTC", "GTC", "IOC", "POST_ONLY"]))
                if rng.random() < 0.15:
                    body["flags"] = ["REDUCE_ONLY"]
                if rng.random() < 0.3:
                    body["client_id"] = f"c{rng.randint(0, 30)}"
                ex.submit_order(addr, order_request(body, KNOWN))
            elif r < 0.40:
                body["type"] = "MARKET"
                if rng.random() < 0.3:
                    body["flags"] = ["REDUCE_ONLY"]
                ex.submit_order(addr, order_request(body, KNOWN))
            elif r < 0.46:
                t = rng.choice(TRIGGER_TYPES)
                body.update(type=t, trigger_price=str(price))
                if "LIMIT" in t:
                    body["price"] = str(price)
                if t.startswith(("TAKE", "STOP_LOSS")) and rng.random() < 0.5:
                    body.update(size="0", flags=["REDUCE_ONLY"])
                ex.submit_order(addr, order_request(body, KNOWN))
            elif r < 0.60:
                acct = ex.accounts.get(addr)
                if acct and acct.open_orders:
                    ex.cancel_order(addr, rng.choice(list(acct.open_orders)))
            elif r < 0.70:
                acct = ex.accounts.get(addr)
                if acct and acct.open_orders:
                    o = acct.open_orders[rng.choice(list(acct.open_orders))]
                    om, ost = ex.markets[o.market], ex.states[o.market]
                    new_price = (ost.mark_price * (1 + D(rng.randint(-30, 30)) / 10000)).quantize(om.tick)
                    mod = {"size": str(max(o.size + UNITS[o.market][0] * rng.randint(-3, 3), UNITS[o.market][0])),
                           "price": str(new_price) if o.price > 0 else "0"}
                    if o.trigger_price > 0:
                        mod["trigger_price"] = str(new_price)
                    ex.modify_order(addr, o.id, modification(mod, KNOWN))
            elif r < 0.72:
                ex.cancel_all(addr, rng.choice([None, sym]))
            elif r < 0.74:
                ex.cancel_batch(addr, rng.sample(list(ex.accounts[addr].orders), 2)
                                if addr in ex.accounts and len(ex.accounts[addr].orders) > 1 else ["1"],
                                [f"c{rng.randint(0, 30)}"])
            elif r < 0.90:
                ex.advance(ticks=rng.randint(1, 3))
            else:
                # mostly a few bps; now and then a crash or a squeeze that liquidates someone
                bps = rng.randint(-40, 40) if rng.random() < 0.97 else rng.choice([-1000, 1000])
                ex.set_price(sym, str((mid * (1 + D(bps) / 10000)).quantize(m.tick)), hold=rng.random() < 0.5)
        except ExchangeError as e:
            stats[e.code] += 1
        check_book_not_crossed(ex, (i, r))
        for a in ex.accounts.values():
            for o in a.open_orders.values():
                assert o.remaining >= 0, o
            # after every operation: the margin check's incremental totals equal a recount
            assert a.open_totals() == a.open_totals_recounted(), (i, r, a.address)
    return stats


@pytest.mark.parametrize("seed", [1, 2])
def test_random_flow_keeps_the_books_exact(seed):
    # funding every 5 s of clock; the recount below sums every fill and payment: keep them all
    app = trading_app(funding_interval=5.0, seed=seed, history_kept=0)
    ex = app.extensions["paradex_mock"].exchange
    stats = random_flow(ex, seed, 2500)
    pairs = check_invariants(ex)
    # the flow really covered the ground
    reasons = defaultdict(int)
    for a in ex.accounts.values():
        for o in a.orders.values():
            reasons[o.cancel_reason or o.status] += 1
    for r in ("CLOSED", "USER_CANCELED", "POST_ONLY_WOULD_CROSS", "REMAINING_IOC_CANCEL"):
        assert reasons[r] > 20, reasons
    assert reasons["NOT_ENOUGH_MARGIN"] >= 5, reasons
    assert reasons["LIQUIDATION"] + sum(len(a.liquidations) for a in ex.accounts.values()) >= 2   # crashes liquidated
    assert pairs >= 5      # client-vs-client trades happened (the synthetic flow takes most)
    assert sum(len(a.funding_payments) for a in ex.accounts.values()) > 100
    assert sum(len(a.fills) for a in ex.accounts.values()) > 500
    # and REST tells the demo account's part of the same story
    client = app.test_client()
    demo = ex.accounts[DEMO_ACCOUNT]
    assert balance(client) == demo.balance
    assert len(fills(client)) == len(demo.fills)
    assert len(get(client, "/v1/orders")["results"]) == len(demo.open_orders)


def test_concurrent_rest_orders_and_cancels():
    # every venue's markets make each tick of the clock thread slower, which leaves the traders
    # the lock often enough; the recount sums every fill and funding payment: keep them all
    app = trading_app(funding_interval=2.0, venues="all", history_kept=0)
    ex = app.extensions["paradex_mock"].exchange
    statuses = defaultdict(int)
    problems = []
    done = threading.Event()

    def trader(n):
        rng = random.Random(n)
        client = app.test_client()
        mine = []
        for i in range(50):
            sym = rng.choice([BTC, ETH])
            unit, most = UNITS[sym]
            with ex.lock:
                mid, tick = ex.states[sym].mark_price, ex.markets[sym].tick
            r = rng.random()
            if r < 0.45:
                body = {"market": sym, "side": rng.choice(["BUY", "SELL"]), "type": "LIMIT",
                        "size": str(unit * rng.randint(1, most)),
                        "price": str((mid * (1 + D(rng.randint(-20, 20)) / 10000)).quantize(tick)),
                        "instruction": rng.choice(["GTC", "GTC", "IOC", "POST_ONLY"])}
                if rng.random() < 0.2:
                    body["client_id"] = f"t{n}-{rng.randint(0, 5)}"
                resp = client.post("/v1/orders", json=body)
                if resp.status_code == 201:
                    mine.append(resp.get_json()["id"])
            elif r < 0.6:
                resp = client.post("/v1/orders", json={"market": sym, "side": rng.choice(["BUY", "SELL"]),
                                                       "type": "MARKET", "size": str(unit * rng.randint(1, most))})
            elif r < 0.85 and mine:
                resp = client.delete(f"/v1/orders/{mine.pop(rng.randrange(len(mine)))}")
            elif r < 0.9:
                resp = client.delete("/v1/orders/batch", json={"order_ids": mine[:3] or ["1"]})
            elif r < 0.95:
                resp = client.post("/v1/orders/batch", json=[
                    {"market": sym, "side": "BUY", "type": "LIMIT", "size": str(unit),
                     "price": str((mid * D("0.99")).quantize(tick))},
                    {"market": sym, "side": "BUY", "type": "LIMIT", "size": "0", "price": "1"}])
            else:
                resp = client.delete(f"/v1/orders?market={sym}")
            statuses[resp.status_code] += 1
            if resp.status_code >= 500:
                problems.append(resp.get_data(as_text=True))
            elif resp.status_code == 400:
                body = resp.get_json()
                if set(body) != {"error", "message", "data"} or body["error"] not in (
                        "ORDER_IS_CLOSED", "DUPLICATED_CLIENT_ID", "ORDER_ID_NOT_FOUND"):
                    problems.append(body)

    def reader():
        client = app.test_client()
        while not done.is_set():
            acct = client.get("/v1/account").get_json()
            value = D(acct["account_value"])
            if value - D(acct["initial_margin_requirement"]) != D(acct["free_collateral"]) or \
                    value - D(acct["maintenance_margin_requirement"]) != D(acct["margin_cushion"]):
                problems.append(("inconsistent account", acct))
            for o in client.get("/v1/orders").get_json()["results"]:
                if o["status"] not in ("OPEN", "UNTRIGGERED") or D(o["remaining_size"]) <= 0:
                    problems.append(("half-applied order", o))

    def market_clock():
        while not done.is_set():
            ex.advance(ticks=1)
            with ex.lock:
                check_book_not_crossed(ex, "clock")

    def guarded(fn, *args):
        def run():
            try:
                fn(*args)
            except Exception as e:          # a thread's crash must fail the test, not just print
                problems.append(("thread crashed", fn.__name__, repr(e)))
        return threading.Thread(target=run)

    threads = [guarded(trader, n) for n in range(8)]
    side = [guarded(reader), guarded(market_clock)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)             # switch threads often: races show up, not hide
    try:
        for t in threads + side:
            t.start()
        for t in threads:
            t.join(60)
        done.set()
        for t in side:
            t.join(60)
    finally:
        done.set()
        sys.setswitchinterval(switch)
    assert not any(t.is_alive() for t in threads + side)
    assert problems == []
    assert sum(statuses.values()) == 400 and statuses[201] > 100, dict(statuses)
    assert set(statuses) <= {200, 201, 204, 400}, dict(statuses)
    with ex.lock:
        check_book_not_crossed(ex, "end")
        check_invariants(ex)
        demo = ex.accounts[DEMO_ACCOUNT]
        assert len(demo.orders) >= statuses[201]
        assert demo.fills
