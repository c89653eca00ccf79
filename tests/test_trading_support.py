"""Helpers shared by the test_trading_* modules (this module holds no tests).

The trading tests run the app with rate limits off (the limiter runs on the exchange's clock,
which is manual in tests, so a test making a few hundred private calls would run dry) and with
half an hour of backfilled history instead of a day (building it dominated each test's time)."""
import json
from decimal import Decimal
from pathlib import Path

import pytest

from paradex_mock.config import Config
from paradex_mock.http.app import create_app

BTC = "BTC-USD-PERP"
ETH = "ETH-USD-PERP"
SOL = "SOL-USD-PERP"
ZERO = Decimal(0)

_MARKETS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "markets.json").read_text())
_MARKETS = _MARKETS["markets"] if isinstance(_MARKETS, dict) else _MARKETS


class Rules:
    """A market's trading rules, read straight from fixtures/markets.json (not from the engine)."""

    def __init__(self, symbol: str):
        spec = next(m for m in _MARKETS if m["symbol"] == symbol)
        fees = spec["fee_config"]["api_fee"]
        self.symbol = symbol
        self.tick = Decimal(spec["price_tick_size"])
        self.step = Decimal(spec["order_size_increment"])
        self.min_notional = Decimal(spec["min_notional"])
        self.max_order_size = Decimal(spec["max_order_size"])
        self.maker_fee = Decimal(fees["maker_fee"]["fee"])
        self.taker_fee = Decimal(fees["taker_fee"]["fee"])
        self.imf = Decimal(spec["delta1_cross_margin_params"]["imf_base"])
        self.mmf_factor = Decimal(spec["delta1_cross_margin_params"]["mmf_factor"])


def trading_app(**overrides):
    """The tests' usual app (manual clock, seed 42), with the two changes the module docstring gives,
    serving Paradex alone (every tick would also move the other venues' 27 markets)."""
    cfg = dict(clock="manual", start_time_ms=None, seed=42, http_port=0, ws_port=0, control="on",
               rate_limits=False, backfill_hours=0.5, venues="paradex")   # trading needs a book, not a day of candles
    cfg.update(overrides)
    return create_app(Config(**cfg), start_ticker=False)


def call(client, method, url, status, body=None, raw=None):
    kwargs = {}
    if raw is not None:
        kwargs["data"] = raw
        kwargs["content_type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    r = client.open(url, method=method, **kwargs)
    assert r.status_code == status, (method, url, body, r.status_code, r.get_data(as_text=True))
    if status == 204:
        assert r.get_data() == b""
        return None
    return r.get_json()


def get(client, url, status=200):
    return call(client, "GET", url, status)


def post_order(client, status=201, **body):
    return call(client, "POST", "/v1/orders", status, body)


def order(client, order_id):
    return get(client, f"/v1/orders/{order_id}")


def book(client, symbol=BTC, depth=200):
    b = get(client, f"/v1/orderbook/{symbol}?depth={depth}")
    return ([(Decimal(p), Decimal(s)) for p, s in b["bids"]],
            [(Decimal(p), Decimal(s)) for p, s in b["asks"]])


def balance(client) -> Decimal:
    (row,) = get(client, "/v1/balance")["results"]
    assert row["token"] == "USDC"
    return Decimal(row["size"])


def positions(client) -> dict:
    return {p["market"]: p for p in get(client, "/v1/positions")["results"]}


def position_size(client, symbol=BTC) -> Decimal:
    p = positions(client).get(symbol)
    return Decimal(p["size"]) if p else ZERO


def fills(client, query="") -> list:
    return get(client, f"/v1/fills?page_size=1000{query}")["results"]


def open_orders(client, query="") -> list:
    return get(client, f"/v1/orders{query}")["results"]


def history(client, query="") -> list:
    return get(client, f"/v1/orders-history?page_size=1000{query}")["results"]


def snapshot(client) -> dict:
    """Everything a bad request must leave alone, as REST shows it."""
    acct = get(client, "/v1/account")
    for volatile in ("seq_no", "updated_at"):
        acct.pop(volatile)
    return {
        "open": open_orders(client),
        "history": history(client),
        "balance": get(client, "/v1/balance")["results"],
        "positions": get(client, "/v1/positions")["results"],
        "fills": fills(client),
        "account": acct,
        "book": get(client, f"/v1/orderbook/{BTC}?depth=50"),
    }


def assert_error(body, code):
    assert body == {"error": code, "message": body["message"], "data": None}, body
    assert isinstance(body["message"], str) and body["message"]


@pytest.fixture
def app():
    return trading_app()
