"""History retention (config ``history_kept`` / ``history_hours``): an account keeps its newest
closed orders, fills, funding payments, transfers and liquidations, each kind bounded, so memory
stays bounded under steady load; open orders are never dropped, and the indexes (order id, client
id) forget what the history forgets."""
from decimal import Decimal

import pytest

from paradex_mock.config import Config, validate
from paradex_mock.engine import snapshot
from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from test_trading_support import BTC, Rules, book, call, get, post_order, trading_app

R = Rules(BTC)
KEEP = 5


def client_of(**cfg):
    app = trading_app(**cfg)
    return app.test_client(), app.extensions["paradex_mock"].exchange


def far_below(client) -> Decimal:
    bids, _ = book(client)
    return (bids[0][0] / 2).quantize(R.tick)


def size_for(price: Decimal) -> str:
    steps = (R.min_notional / price / R.step).to_integral_value() + 1
    return str(steps * R.step)


def ioc(client, price, **extra):
    """An IOC buy far below the book: accepted, nothing crosses, closed at once."""
    return post_order(client, market=BTC, side="BUY", type="LIMIT", size=size_for(price), price=str(price),
                      instruction="IOC", **extra)


def resting(client, price, **extra):
    return post_order(client, market=BTC, side="BUY", type="LIMIT", size=size_for(price), price=str(price),
                      instruction="GTC", **extra)


def buy_now(client):
    _, asks = book(client)
    return post_order(client, market=BTC, side="BUY", type="MARKET", size=size_for(asks[0][0]))


def all_pages(client, path, page_size=2):
    """Walk a paginated endpoint with its own cursors, newest first."""
    out, url = [], f"{path}?page_size={page_size}"
    while True:
        page = get(client, url)
        out += page["results"]
        if not page["next"]:
            return out
        url = f"{path}?page_size={page_size}&cursor={page['next']}"


def test_closed_orders_beyond_the_count_are_dropped_everywhere_open_ones_never():
    client, ex = client_of(history_kept=KEEP)
    px = far_below(client)
    opened = [resting(client, px, client_id=f"open-{i}")["id"] for i in range(3)]
    closed = [ioc(client, px, client_id=f"ioc-{i}")["id"] for i in range(3 * KEEP)]
    more_open = resting(client, px, client_id="open-late")["id"]
    kept, dropped = closed[-KEEP:], closed[:-KEEP]

    listed = [o["id"] for o in all_pages(client, "/v1/orders-history")]
    assert listed == list(reversed(opened + kept + [more_open]))
    assert [o["id"] for o in get(client, "/v1/orders")["results"]] == opened + [more_open]
    for oid in dropped:
        assert call(client, "GET", f"/v1/orders/{oid}", 400)["error"] == "ORDER_ID_NOT_FOUND"
    for i in range(2 * KEEP):       # the dropped ones' client ids
        assert call(client, "GET", f"/v1/orders/by_client_id/ioc-{i}", 400)["error"] == "CLIENT_ORDER_ID_NOT_FOUND"
    assert get(client, f"/v1/orders/by_client_id/ioc-{3 * KEEP - 1}")["id"] == closed[-1]

    acct = ex.accounts[DEMO_ACCOUNT]
    assert set(acct.orders) == set(opened + kept + [more_open])
    assert set(ex.orders) == set(acct.orders)
    assert set(acct.client_ids) == {f"open-{i}" for i in range(3)} | {"open-late"} | \
        {f"ioc-{i}" for i in range(2 * KEEP, 3 * KEEP)}
    assert [o.id for o in acct.closed] == kept
    assert set(acct.open_orders) == set(opened + [more_open])


def test_history_is_listed_in_order_and_pages_cleanly_within_the_retention():
    client, _ = client_of(history_kept=KEEP)
    px = far_below(client)
    closed = [ioc(client, px)["id"] for i in range(KEEP + 4)]
    walked = [o["id"] for o in all_pages(client, "/v1/orders-history", page_size=2)]
    assert walked == list(reversed(closed[-KEEP:]))
    # a cursor issued before more orders arrive (and older ones are dropped) still pages on
    first = get(client, "/v1/orders-history?page_size=2")
    ioc(client, px)
    rest = get(client, f"/v1/orders-history?page_size=10&cursor={first['next']}")["results"]
    assert [o["id"] for o in rest] == list(reversed(closed[-KEEP + 1:-2]))


def test_a_reused_client_id_keeps_pointing_at_the_newer_order():
    client, ex = client_of(history_kept=2)
    px = far_below(client)
    ioc(client, px, client_id="same")
    newer = resting(client, px, client_id="same")["id"]
    for _ in range(3):               # pushes the first "same" out of the retention
        ioc(client, px)
    assert get(client, "/v1/orders/by_client_id/same")["id"] == newer
    assert ex.accounts[DEMO_ACCOUNT].client_ids["same"].id == newer


def test_fills_are_bounded_newest_kept():
    client, ex = client_of(history_kept=KEEP)
    for _ in range(KEEP + 3):        # each takes the best ask: one fill (at least) each
        buy_now(client)
    acct = ex.accounts[DEMO_ACCOUNT]
    assert len(acct.fills) == KEEP
    fills = all_pages(client, "/v1/fills")
    assert [f["id"] for f in fills] == [f.id for f in reversed(acct.fills)]
    assert [f["id"] for f in all_pages(client, "/v1/transactions")] == [f["id"] for f in fills]


def test_transfers_are_bounded_and_their_ids_never_repeat():
    client, ex = client_of(history_kept=3)
    ids = []
    for i in range(6):
        ex.fund(DEMO_ACCOUNT, "1")
        ids.append(ex.accounts[DEMO_ACCOUNT].transfers[-1].id)
    listed = [t["id"] for t in all_pages(client, "/v1/transfers")]
    assert listed == list(reversed(ids[-3:]))
    assert len(set(ids)) == len(ids)
    assert ex.accounts[DEMO_ACCOUNT].transfers_dropped == 4     # the starting deposit and 3 fundings


def test_closed_orders_and_fills_older_than_history_hours_are_dropped_on_the_clock():
    # 60 s ticks: an hour of exchange time in 60 ticks
    client, ex = client_of(history_hours=1.0, tick_interval=60.0)
    px = far_below(client)
    old = [ioc(client, px)["id"] for _ in range(3)]
    buy_now(client)
    live = resting(client, px)["id"]
    ex.advance(seconds=1800)
    young = ioc(client, px)["id"]
    acct = ex.accounts[DEMO_ACCOUNT]
    assert set(old) <= set(acct.orders) and acct.fills
    ex.advance(seconds=1860)          # the first orders are now older than an hour; young is not
    ids = {o["id"] for o in all_pages(client, "/v1/orders-history", page_size=50)}
    assert not ids & set(old)
    assert live in ids and young in ids
    assert acct.fills == [] and acct.transfers == []   # the market fill and the starting deposit
    assert get(client, f"/v1/orders/{live}")["status"] == "OPEN"


def test_retention_survives_a_snapshot_and_restore():
    client, ex = client_of(history_kept=KEEP)
    px = far_below(client)
    for _ in range(KEEP):
        ioc(client, px)
    ex.fund(DEMO_ACCOUNT, "1")
    snapshot.load(ex, snapshot.dump(ex))
    acct = ex.accounts[DEMO_ACCOUNT]
    assert len(acct.closed) == KEEP and acct.transfers_dropped == 0
    newest = [ioc(client, px)["id"] for _ in range(2)]
    assert len(acct.orders) == KEEP and [o.id for o in acct.closed][-2:] == newest


def test_counts_stay_bounded_under_many_orders():
    client, ex = client_of(history_kept=50)
    px = far_below(client)
    for _ in range(400):
        ioc(client, px)
    acct = ex.accounts[DEMO_ACCOUNT]
    assert len(acct.orders) == len(ex.orders) == len(acct.closed) == 50


def test_default_and_bad_settings():
    assert Config().history_kept == 10000 and Config().history_hours == 0
    for bad in (dict(history_kept=-1), dict(history_hours=-0.5)):
        with pytest.raises(ValueError, match="must not be negative"):
            validate(Config(**bad))


def test_funding_data_rows_are_capped_per_market(monkeypatch):
    from paradex_mock.engine.exchange import funding as exchange_mod   # where the cap is read
    monkeypatch.setattr(exchange_mod, "FUNDING_ROWS_KEPT", 30)
    app = trading_app(backfill_hours=0.1)                 # 7 rows backfilled, below the cap
    ex = app.extensions["paradex_mock"].exchange
    ex.advance(seconds=3600)                              # a row a minute: 60 more
    rows = ex.states[BTC].funding_history
    assert len(rows) == 30 and rows[-1].created_at == ex.clock.now_ms()
    assert [b.created_at - a.created_at for a, b in zip(rows, rows[1:])] == [60_000] * 29
