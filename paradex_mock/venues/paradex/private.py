"""Private REST: account, balance, positions, fills, orders, funding payments."""
from flask import Blueprint, current_app, request

from . import views
from ...engine.errors import ExchangeError, excerpt
from ...http.errors import json_response
from .errors import paradex_error
from .identity import current_account, signatures_claimed, verify_order_signature
from .markets import is_paradex
from .orders import modification, order_request
from .params import _arg, bad_param, int_arg, paginate, str_arg
from .request_body import json_body

# GET /orders-history's type filter (the spec's enum)
HISTORY_TYPES = ("LIMIT", "MARKET", "STOP_LIMIT", "STOP_MARKET", "STOP_LOSS_LIMIT", "STOP_LOSS_MARKET",
                 "TAKE_PROFIT_LIMIT", "TAKE_PROFIT_MARKET")

bp = Blueprint("private", __name__)


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _in_window(ts: int, start, end) -> bool:
    return (start is None or ts >= start) and (end is None or ts <= end)


# ---------------------------------------------------------------- account
@bp.get("/v1/account")
def account():
    e = ex()
    addr = current_account()
    with e.lock:
        return json_response(views.account_summary(e.account_update(e.account(addr))))


@bp.get("/v1/account/summary")
def account_summary_list():
    e = ex()
    addr = current_account()
    with e.lock:
        return json_response({"results": [views.account_summary(e.account_update(e.account(addr)))]})


@bp.get("/v1/account/info")
def account_info():
    e = ex()
    addr = current_account()
    with e.lock:
        a = e.account(addr)
        return json_response({"results": [{
            "account": a.address, "created_at": a.created_at, "derivation_path": "",
            "kind": "main", "parent_account": "", "public_key": a.public_key or "",
            "username": "", "isolated_market": "",
        }]})


@bp.get("/v1/account/margin")
def account_margin():
    e = ex()
    addr = current_account()
    sym = str_arg("market", required=True)
    with e.lock:
        a = e.account(addr)
        if not is_paradex(e, sym):
            raise ExchangeError("MARKET_NOT_FOUND", f"market {excerpt(sym)} not found", 404)
        lev = e.leverage_of(a, sym)
        return json_response({"account": a.address, "margin_methodology": "cross_margin",
                              "configs": [{"market": sym, "leverage": lev, "margin_type": "CROSS",
                                           "isolated_margin_leverage": lev}]})


@bp.post("/v1/account/margin/<market>")
def set_account_margin(market):
    addr = current_account()
    body = json_body()
    if body.get("margin_type", "CROSS") != "CROSS":
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "only CROSS margin is simulated")
    return json_response(ex().set_leverage(addr, market, body.get("leverage")))


@bp.get("/v1/balance")
def balance():
    e = ex()
    addr = current_account()
    with e.lock:
        return json_response({"results": [views.balance(e.account(addr))]})


@bp.get("/v1/positions")
@bp.get("/v1/account/positions")        # the seed design's path
def positions():
    e = ex()
    addr = current_account()
    with e.lock:
        a = e.account(addr)
        mg = e.margin(a)
        return json_response({"results": [views.position(e.position_update(a, p, mg)) for p in a.positions.values()]})


@bp.get("/v1/fills")
@bp.get("/v1/account/fills")            # the seed design's path
def fills():
    e = ex()
    addr = current_account()
    sym = str_arg("market")
    str_arg("asset_kind", choices=("PERP", "PERP_OPTION", "OPTION", "SPOT"))
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        a = e.account(addr)
        rows = [f for f in reversed(a.fills)
                if (sym is None or f.market == sym) and _in_window(f.created_at, start, end)]
    return json_response(paginate(rows, lambda f: [f.created_at, f.id], views.fill))


@bp.get("/v1/funding/payments")
def funding_payments():
    e = ex()
    addr = current_account()
    sym = str_arg("market", required=True)
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        a = e.account(addr)
        rows = [p for p in reversed(a.funding_payments)
                if (sym == "ALL" or p.market == sym) and _in_window(p.created_at, start, end)]
    return json_response(paginate(rows, lambda p: [p.created_at, p.id], views.funding_payment))


@bp.get("/v1/tradebusts")              # no trade is ever busted here (transfers: transfers.py)
def empty_paginated():
    current_account()
    int_arg("page_size", 100, 1, 5000)
    int_arg("start_at", lo=0)
    int_arg("end_at", lo=0)
    if request.path == "/v1/transfers":
        str_arg("status", choices=("PENDING", "AVAILABLE", "COMPLETED", "FAILED"))
    if _arg("cursor"):      # nothing was ever issued here
        raise bad_param("cursor", "not a cursor this server issued")
    return json_response({"next": None, "prev": None, "results": []})


@bp.get("/v1/liquidations")
def liquidations():
    addr = current_account()
    start = int_arg("from", lo=0)      # from/to, not start_at/end_at, on this one endpoint
    end = int_arg("to", lo=0)
    return json_response({"results": ex().liquidations(addr, start, end)})


# ---------------------------------------------------------------- orders
@bp.get("/v1/orders")
@bp.get("/v1/orders/open")              # the seed design's path
def open_orders():
    e = ex()
    addr = current_account()
    sym = str_arg("market")
    with e.lock:
        a = e.account(addr)
        rows = [views.order(o) for o in a.open_orders.values() if sym is None or o.market == sym]
    return json_response({"results": rows})


@bp.get("/v1/orders-history")
def orders_history():
    e = ex()
    addr = current_account()
    sym = str_arg("market")
    cid = str_arg("client_id")
    side = str_arg("side", choices=("BUY", "SELL"))
    status = str_arg("status", choices=("OPEN", "CLOSED", "NEW", "UNTRIGGERED"))
    otype = str_arg("type", choices=HISTORY_TYPES)
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        a = e.account(addr)
        rows = [o for o in reversed(list(a.orders.values()))
                if (sym is None or o.market == sym) and (cid is None or o.client_id == cid)
                and (side is None or o.side == side) and (status is None or o.status == status)
                and (otype is None or o.type == otype) and _in_window(o.created_at, start, end)]
        page = paginate(rows, lambda o: [o.created_at, o.id], views.order)
    return json_response(page)


@bp.post("/v1/orders")
def create_order():
    e = ex()
    addr = current_account()
    body = json_body()
    key = verify_order_signature(addr, body)
    with e.lock, signatures_claimed(addr, [key]):   # the order and its signature's use land together
        order, ack = e.submit_order(addr, order_request(body, lambda m: is_paradex(e, m)))
    return json_response(views.order(ack), 201)


@bp.post("/v1/orders/batch")
def create_orders_batch():
    e = ex()
    addr = current_account()
    body = json_body(list)
    if not 1 <= len(body) <= 10:
        raise ExchangeError("BATCH_SIZE_OUT_OF_RANGE", "a batch holds 1 to 10 orders")
    keys = []
    for item in body:   # basic validation, signatures included, rejects the whole batch
        if not isinstance(item, dict):
            raise ExchangeError("BINDING_ERROR", "every batch item must be a JSON object")
        keys.append(verify_order_signature(addr, item))
    with e.lock, signatures_claimed(addr, keys):
        reqs = []
        for item in body:
            try:
                reqs.append(order_request(item, lambda m: is_paradex(e, m)))
            except ExchangeError as err:
                reqs.append(err)
        acks, errors = e.submit_batch(addr, reqs)
    return json_response({"orders": [views.order(o) for o in acks],
                          "errors": [{"error": err.code, "message": err.message}
                                     for err in map(paradex_error, errors)]}, 201)


# the engine's outcome of a batch cancel -> Paradex's result status
BATCH_CANCEL_STATUS = {"cancelled": "QUEUED_FOR_CANCELLATION", "already_closed": "ALREADY_CLOSED",
                       "not_found": "NOT_FOUND"}


@bp.delete("/v1/orders/batch")
def cancel_orders_batch():
    addr = current_account()
    body = json_body()
    ids = body.get("order_ids") or []
    cids = body.get("client_order_ids") or []
    if not isinstance(ids, list) or not isinstance(cids, list) or \
            not all(isinstance(i, str) for i in ids + cids):
        raise ExchangeError("VALIDATION_ERROR", "order_ids and client_order_ids must be arrays of strings")
    if not ids and not cids:
        raise ExchangeError("VALIDATION_ERROR", "order_ids or client_order_ids is required")
    if len(ids) + len(cids) > 100:
        raise ExchangeError("BATCH_SIZE_OUT_OF_RANGE", "at most 100 orders per batch cancel")
    rows = ex().cancel_batch(addr, ids, cids)
    for row in rows:
        row["status"] = BATCH_CANCEL_STATUS[row["status"]]
    return json_response({"results": rows})


@bp.get("/v1/orders/by_client_id/<path:client_id>")
def order_by_client_id(client_id):
    e = ex()
    addr = current_account()
    with e.lock:
        return json_response(views.order(e.get_order_by_client_id(addr, client_id)))


@bp.delete("/v1/orders/by_client_id/<path:client_id>")
def cancel_by_client_id(client_id):
    addr = current_account()
    sym = str_arg("market")
    e = ex()
    with e.lock:
        o = e.get_order_by_client_id(addr, client_id)
        if sym and o.market != sym:
            raise ExchangeError("CLIENT_ORDER_ID_NOT_FOUND", f"client order id {excerpt(client_id)} not found in {excerpt(sym)}")
        e.cancel_order(addr, order_id=o.id)
    return "", 204


@bp.get("/v1/orders/<order_id:order_id>")
def get_order(order_id):
    e = ex()
    addr = current_account()
    with e.lock:
        return json_response(views.order(e.get_order(addr, order_id)))


@bp.put("/v1/orders/<order_id:order_id>")
def modify_order(order_id):
    e = ex()
    addr = current_account()
    body = json_body()
    with e.lock:
        o = e.get_order(addr, order_id)
        key = verify_order_signature(addr, dict(body, id=order_id), modify=True,
                                     defaults={"market": o.market, "side": o.side, "type": o.type})
        with signatures_claimed(addr, [key]):
            modified = views.order(e.modify_order(addr, order_id, modification(body, lambda m: is_paradex(e, m))))
        return json_response(modified)


@bp.delete("/v1/orders/<order_id:order_id>")
def cancel_order(order_id):
    ex().cancel_order(current_account(), order_id=order_id)
    return "", 204


@bp.delete("/v1/orders")
def cancel_all():
    addr = current_account()
    sym = str_arg("market")
    ex().cancel_all(addr, sym)
    return "", 200
