"""Transfers (deposits and withdrawals: an account's starting balance and every control-API
funding are on the record) and transactions (each fill's settlement on Paradex Chain)."""
from flask import Blueprint, current_app

from . import views
from ...http.errors import json_response
from .identity import current_account
from .params import int_arg, paginate, str_arg

bp = Blueprint("transfers", __name__)


def ex():
    return current_app.extensions["paradex_mock"].exchange


def _in(ts, start, end) -> bool:
    return (start is None or ts >= start) and (end is None or ts <= end)


@bp.get("/v1/transfers")
def transfers():
    e = ex()
    addr = current_account()
    status = str_arg("status", choices=("PENDING", "AVAILABLE", "COMPLETED", "FAILED"))
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        rows = [t for t in reversed(e.account(addr).transfers)
                if (status is None or t.status == status) and _in(t.created_at, start, end)]
        # ids are hashes: within one millisecond the transfer's number keeps the key decreasing
        return json_response(paginate(rows, lambda t: [t.created_at, t.number], views.transfer))


@bp.get("/v1/transactions")
def transactions():
    e = ex()
    addr = current_account()
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    with e.lock:
        rows = [f for f in reversed(e.account(addr).fills) if _in(f.created_at, start, end)]
        return json_response(paginate(rows, lambda f: [f.created_at, f.id], views.transaction_of_fill))
