"""RFQs (``/rfqs``) and their drafts: an RFQ opens, is cancelled or executed (FILLED at once),
each step acknowledged with a 202 and published on the ``rfq`` channel; ``/bbo`` prices the
first leg at the book's best bid and ask now. Drafts are kept per account until deleted."""
from __future__ import annotations

from dataclasses import asdict

from ....engine.errors import ExchangeError
from ....engine.numbers import fmt, to_decimal
from ....http.errors import json_response
from ..identity import current_account
from ..params import int_arg, str_arg
from ..request_body import json_body
from .common import ex, known_market, new_id, now_ms, private_bp
from .state import Rfq, RfqDraft, store


def _rfqs():
    return store().rfqs


def _legs(body: dict) -> list:
    legs = body.get("legs")
    if not isinstance(legs, list) or not legs:
        raise ExchangeError("VALIDATION_ERROR", "legs are required")
    out = []
    for leg in legs:
        if not isinstance(leg, dict):
            raise ExchangeError("VALIDATION_ERROR", "every leg must be an object")
        known_market(leg.get("market"))
        out.append({"market": leg["market"], "side": leg.get("side", "BUY"), "ratio": str(leg.get("ratio", "1"))})
    return out


def _rfq_fields(body: dict) -> dict:
    """The fields of a draft (and of an RFQ, which adds its account, state and label)."""
    legs = _legs(body)
    qty = body.get("quantity")
    try:
        if to_decimal(qty) <= 0:
            raise ValueError
    except ValueError:
        raise ExchangeError("VALIDATION_ERROR", "quantity must be a positive decimal string") from None
    now = now_ms()
    return dict(id=new_id(), legs=legs, quantity=str(qty), strategy=body.get("strategy") or "", created_at=now,
                updated_at=now)


def _publish_rfq(r: Rfq, operation: str, close_reason: str = "") -> None:
    """The RFQ's WS events (``rfq`` channel): the RESULT that acknowledges the REST command (its
    ``request_id`` is the 202's) and the RFQ's own new state, on the exchange's bus like any event."""
    e = ex()
    base = {"account": r.account, "rfq_id": r.id, "at": r.updated_at}
    with e.lock:    # under the exchange lock, so the events take their place in the bus's order
        e.bus.publish("rfq", dict(base, type="RESULT", operation=operation, request_id=r.id, label=r.label),
                      None, r.account)
        e.bus.publish("rfq", dict(base, type="RFQ", state="CLOSED" if close_reason else "OPENED",
                                  quantity=r.quantity, close_reason=close_reason), None, r.account)


@private_bp.get("/v1/rfqs")
def list_rfqs():
    addr = current_account()
    str_arg("state", choices=("OPEN", "CLOSED"))
    int_arg("page_size", lo=1)
    return json_response({"next": "", "results": [asdict(r) for r in _rfqs().rfqs.values() if r.account == addr]})


@private_bp.post("/v1/rfqs")
def create_rfq():
    addr = current_account()
    r = Rfq(**_rfq_fields(json_body()), account=addr, state="OPEN", label="")
    _rfqs().rfqs[r.id] = r
    _publish_rfq(r, "RFQ_CREATE")
    return json_response({"request_id": r.id, "accepted_at": r.created_at}, 202)


def _rfq(rfq_id: str, status: int = 404) -> Rfq:
    """``status``: what the operation's spec documents for an unknown RFQ (404, or only 400)."""
    r = _rfqs().rfqs.get(rfq_id)
    if r is None:
        raise ExchangeError("NOT_FOUND", f"rfq {rfq_id} not found", status)
    return r


@private_bp.delete("/v1/rfqs/<rfq_id>")
def cancel_rfq(rfq_id):
    current_account()
    r = _rfq(rfq_id, 400)
    r.state, r.updated_at = "CANCELLED", now_ms()
    _publish_rfq(r, "RFQ_DELETE", "CANCELLED")
    return json_response({"request_id": rfq_id, "accepted_at": r.updated_at}, 202)


@private_bp.get("/v1/rfqs/<rfq_id>/bbo")
def rfq_bbo(rfq_id):
    """The RFQ's legs priced at the order books' best bid and ask now."""
    current_account()
    r = _rfq(rfq_id)
    e = ex()
    leg = r.legs[0]
    st = e.stats(leg["market"])
    return json_response({"rfq_id": rfq_id, "created_at": now_ms(), "legs": [],
                          "best_bid_price": fmt(st.bid) if st.bid is not None else "",
                          "best_bid_quantity": fmt(st.bid_size) if st.bid is not None else "",
                          "best_ask_price": fmt(st.ask) if st.ask is not None else "",
                          "best_ask_quantity": fmt(st.ask_size) if st.ask is not None else "",
                          "mark_price": fmt(st.mark_price), "min_price": "", "max_price": ""})


@private_bp.post("/v1/rfqs/<rfq_id>/execute")
def execute_rfq(rfq_id):
    current_account()
    r = _rfq(rfq_id, 400)
    body = json_body()
    if body.get("side") not in ("BUY", "SELL") or not body.get("price") or not body.get("quantity"):
        raise ExchangeError("VALIDATION_ERROR", "price, quantity and side are required")
    if r.state != "OPEN":
        raise ExchangeError("REQUEST_NOT_ALLOWED", f"rfq is {r.state}")
    r.state, r.updated_at = "FILLED", now_ms()
    _publish_rfq(r, "RFQ_EXECUTE", "FILLED")
    return json_response({"request_id": rfq_id, "accepted_at": r.updated_at}, 202)


@private_bp.get("/v1/rfqs/drafts")
def list_drafts():
    addr = current_account()
    return json_response({"results": [asdict(d) for d in _rfqs().drafts.get(addr, {}).values()]})


@private_bp.post("/v1/rfqs/drafts")
def create_draft():
    addr = current_account()
    d = RfqDraft(**_rfq_fields(json_body()))
    _rfqs().drafts.setdefault(addr, {})[d.id] = d
    return json_response(asdict(d), 201)


@private_bp.delete("/v1/rfqs/drafts/<draft_id>")
def delete_draft(draft_id):
    addr = current_account()
    if _rfqs().drafts.get(addr, {}).pop(draft_id, None) is None:
        raise ExchangeError("NOT_FOUND", f"draft {draft_id} not found", 404)
    return "", 204
