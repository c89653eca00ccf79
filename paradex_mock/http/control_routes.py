"""The control API under /_mock (JSON in and out). Off, or loopback-only, unless enabled:
``--control on|loopback|off`` (default loopback)."""
import json

from flask import Blueprint, current_app, request

from ..engine.errors import ExchangeError
from .errors import json_response

bp = Blueprint("control", __name__, url_prefix="/_mock")

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


def ctl():
    return current_app.extensions["paradex_mock"].controller


@bp.before_request
def _guard():
    mode = current_app.extensions["paradex_mock"].config.control
    if mode == "off":
        return json_response({"error": "NOT_FOUND", "message": "Not Found", "data": None}, 404)
    if mode == "loopback" and request.remote_addr not in LOOPBACK:
        return json_response({"error": "REQUEST_NOT_ALLOWED",
                              "message": "the control API only answers loopback clients (--control on to open it)",
                              "data": None}, 403)
    return None


def body() -> dict:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):   # RecursionError: absurdly deep nesting
        raise ExchangeError("BINDING_ERROR", "request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise ExchangeError("BINDING_ERROR", "request body must be a JSON object")
    return doc


@bp.post("/reset")
def reset():
    return json_response(ctl().reset(body().get("seed")))


@bp.get("/accounts")
def accounts():
    return json_response(ctl().accounts())


@bp.post("/accounts")
def create_account():
    b = body()
    return json_response(ctl().create_account(b.get("private_key"), b.get("balance"), b.get("address")), 201)


@bp.post("/accounts/<address>/fund")
def fund(address):
    b = body()
    if "amount" not in b:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "amount is required")
    return json_response(ctl().fund(address, b["amount"]))


@bp.post("/markets/<path:market>/price")
def set_price(market):
    b = body()
    if "price" not in b:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "price is required")
    return json_response(ctl().set_price(market, b["price"], bool(b.get("hold", True)), _venue(b)))


@bp.delete("/markets/<path:market>/price")
def release_price(market):
    return json_response(ctl().release_price(market, _venue({})))


@bp.post("/markets/<path:market>/funding")
def set_funding(market):
    b = body()
    if "rate" not in b:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "rate is required (null to return to the simulated rate)")
    return json_response(ctl().set_funding_rate(market, b["rate"], _venue(b)))


@bp.get("/markets")
def markets():
    return json_response(ctl().markets())


@bp.get("/venues")
def venues():
    return json_response(ctl().venues())


def _venue(b: dict):
    """The venue a market name is in: ``?venue=`` or the body's ``venue`` (default: the engine key)."""
    return request.args.get("venue") or b.get("venue")


@bp.post("/system/state")
def system_state():
    return json_response(ctl().set_system_state(body().get("status")))


@bp.get("/clock")
def clock():
    return json_response(ctl().clock())


@bp.post("/clock")
def set_clock():
    b = body()
    return json_response(ctl().set_clock(b.get("mode"), b.get("now_ms")))


@bp.post("/clock/advance")
def advance():
    b = body()
    return json_response(ctl().advance(b.get("seconds"), b.get("ticks")))


@bp.get("/snapshot")
def snapshot():
    return json_response(ctl().snapshot())


@bp.post("/restore")
def restore():
    return json_response(ctl().restore(body()))


@bp.get("/journal")
def journal():
    limit = request.args.get("limit")
    try:
        limit = int(limit) if limit else None
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "limit must be an integer") from None
    return json_response(ctl().journal(limit, request.args.get("path"), request.args.get("kind")))


@bp.delete("/journal")
def clear_journal():
    return json_response(ctl().clear_journal())


@bp.get("/faults")
def faults():
    return json_response(ctl().faults())


@bp.post("/faults")
def add_faults():
    raw = request.get_data(cache=True)
    try:
        doc = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        raise ExchangeError("BINDING_ERROR", "request body is not valid JSON") from None
    if isinstance(doc, dict) and "faults" in doc:
        doc = doc["faults"]
    return json_response(ctl().add_faults(doc))


@bp.put("/faults")
def set_faults():
    b = body()
    return json_response(ctl().set_faults(b.get("faults")))


@bp.delete("/faults")
@bp.delete("/faults/<int:rule_id>")
def clear_faults(rule_id=None):
    return json_response(ctl().clear_faults(rule_id))


@bp.get("/scenario")
def scenario():
    return json_response(ctl().scenario())


@bp.post("/scenario")
def set_scenario():
    return json_response(ctl().set_scenario(body()))


@bp.delete("/scenario")
def clear_scenario():
    return json_response(ctl().clear_scenario())


@bp.get("/rate_limits")
def rate_limits():
    return json_response(ctl().rate_limits())


@bp.post("/rate_limits")
def configure_rate_limits():
    b = body()
    return json_response(ctl().configure_rate_limits(b.get("enabled"), b.get("limits")))
