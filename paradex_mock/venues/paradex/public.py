"""Public REST: system, markets, summaries, klines, books, trades, funding, insurance."""
import json

from flask import Blueprint, Response, current_app

from . import views
from ...engine.errors import ExchangeError, excerpt
from ...http.errors import json_response
from .markets import is_paradex, paradex_markets
from .params import int_arg, paginate, str_arg

bp = Blueprint("public", __name__)

RESOLUTIONS = (1, 3, 5, 15, 30, 60)


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _market(e, sym: str) -> str:
    if not is_paradex(e, sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {sym!r} not found")
    return sym


@bp.get("/health")
def health():
    e = ex()
    return json_response({"status": "ok", "markets": len(paradex_markets(e)), "server_time": e.clock.now_ms()})


@bp.get("/v1/system/time")
def system_time():
    return json_response({"server_time": str(ex().clock.now_ms())})


@bp.get("/v1/system/config")
@bp.get("/v1/config")            # the seed design's path
def system_config():
    return json_response(current_app.extensions["paradex_mock"].venue_state["paradex"].system_config)


@bp.get("/v1/system/state")
def system_state():
    return json_response({"status": ex().system_state})


@bp.get("/v1/markets")
def markets():
    e = ex()
    sym = str_arg("market")
    if sym:
        if not is_paradex(e, sym):
            raise ExchangeError("MARKET_NOT_FOUND", f"market {excerpt(sym)} not found", 404)
        return json_response({"results": [e.markets[sym].spec]})
    return json_response({"results": [m.spec for m in paradex_markets(e)]})


@bp.get("/v1/instruments/<symbol>")   # the seed design's path: one market object
def instrument(symbol):
    e = ex()
    if not is_paradex(e, symbol):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {excerpt(symbol)} not found", 404)
    return json_response(e.markets[symbol].spec)


@bp.get("/v1/markets/summary")
def markets_summary():
    e = ex()
    sym = str_arg("market", required=True)
    int_arg("start")
    int_arg("end")
    with e.lock:
        if sym != "ALL":
            _market(e, sym)
        syms = [m.symbol for m in paradex_markets(e)] if sym == "ALL" else (sym,)
        parts = [views.market_summary_json(e.stats(s)) for s in syms]
    return Response('{"results":[' + ",".join(parts) + "]}", content_type="application/json")   # as json_response


@bp.get("/v1/markets/klines")
def klines():
    e = ex()
    sym = str_arg("symbol", required=True)
    resolution = str_arg("resolution", required=True)
    try:
        res = int(resolution)
    except ValueError:
        res = -1
    if res not in RESOLUTIONS:
        raise ExchangeError("INVALID_REQUEST_PARAMETER",
                            f"invalid resolution {excerpt(resolution)}: one of {', '.join(map(str, RESOLUTIONS))}")
    start = int_arg("start_at", required=True, lo=0)
    end = int_arg("end_at", required=True, lo=0)
    if end < start:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "end_at is before start_at")
    # "index" is what ccxt's fetch_index_ohlcv sends for Paradex's "underlying"
    kind = str_arg("price_kind", choices=("last", "mark", "underlying", "index")) or "last"
    rows = e.klines(_market(e, sym), res, start, end, "index" if kind == "underlying" else kind)
    # ccxt reads plain JSON numbers here, unlike everywhere else
    return json_response({"results": [[r[0]] + [float(x) for x in r[1:]] for r in rows]})


BOOK_CACHE_MAX = 64   # (market, depth) entries kept per exchange


def _book_json(e, market: str, depth: int) -> str:
    """The order book's JSON text, serialised once per book version and reused until the book
    changes: building the view costs more than the rest of the request. A version is the book
    object (reset builds new ones), its seq_no and last_updated_at (every change to a book bumps
    them; the WS order-book deltas rely on the same rule) and the bus epoch (a restored snapshot
    may bring an older seq_no back with other contents)."""
    cache = current_app.extensions["paradex_mock"].venue_state["paradex"].book_cache
    with e.lock:
        book = e.books[_market(e, market)]
        version = (book, book.seq_no, book.last_updated_at, e.bus.epoch)
        hit = cache.get((market, depth))
        if hit is not None and hit[0] == version:
            return hit[1]
        text = json.dumps(views.orderbook(e.book_update(market, depth), depth), separators=(",", ":"))
        if len(cache) >= BOOK_CACHE_MAX:
            cache.clear()
        cache[(market, depth)] = (version, text)
        return text


@bp.get("/v1/orderbook/<market>")
def orderbook(market):
    depth = int_arg("depth", 20, 1, 1000)
    str_arg("price_tick")
    return Response(_book_json(ex(), market, depth), content_type="application/json")   # as json_response


@bp.get("/v1/bbo/<market>")
def bbo(market):
    e = ex()
    return json_response(views.bbo(e.book_update(_market(e, market), 1)))


@bp.get("/v1/trades")
def trades():
    e = ex()
    sym = str_arg("market")
    if sym is None:
        base = str_arg("baseAsset")
        if base is None:
            raise ExchangeError("INVALID_REQUEST_PARAMETER", "invalid market: market or baseAsset is required")
        sym = next((m.symbol for m in paradex_markets(e) if m.spec.get("base_currency") == base), None)
        if sym is None:
            raise ExchangeError("MARKET_NOT_FOUND", f"no market with base asset {excerpt(base)}")
    start = int_arg("start_at", lo=0)
    end = int_arg("end_at", lo=0)
    rows = e.trades_between(_market(e, sym), start, end)
    return json_response(paginate(rows, lambda t: [t.created_at, t.id], views.trade, max_page=1000))   # the spec's cap here


@bp.get("/v1/funding/data")
def funding_data():
    e = ex()
    sym = str_arg("market", required=True)
    start = int_arg("start_at", lo=0)
    end = int_arg("end_at", lo=0)
    rows = e.funding_rows(_market(e, sym), start, end)
    return json_response(paginate(rows, lambda r: [r.created_at], views.funding_data, max_page=5000))


@bp.get("/v1/insurance")
def insurance():
    e = ex()
    ins = current_app.extensions["paradex_mock"].venue_state["paradex"].insurance
    return json_response({"account": ins.get("account", "0x1"),
                          "account_value": ins.get("account_value", "0"),
                          "settlement_asset": "USDC", "updated_at": e.clock.now_ms()})
