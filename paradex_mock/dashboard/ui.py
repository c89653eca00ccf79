"""The live dashboard: ``GET /_mock/ui`` (issue 16).

One static page (``static/index.html``, ``app.js``, ``style.css`` and the vendored chart library)
and the few JSON reads it needs, all under ``/_mock/ui``:

==============================================  ===============================================
``GET /_mock/ui``                               the page
``GET /_mock/ui/static/...``                    its files
``GET /_mock/ui/api/overview``                  clock, seed, system state, venues and markets
``GET /_mock/ui/api/market/<m>``                book (``depth``), candles (``resolution`` in
                                                minutes, ``candles`` or ``since`` ms, ``price``
                                                last/mark/index), trades, the scenario segment
``GET /_mock/ui/api/accounts``                  balances, positions, open orders, fills
``GET /_mock/ui/api/journal``                   ``limit``, ``after`` (seq), ``path``,
                                                ``account``, ``status``, ``faulted``, ``kind``
``GET /_mock/ui/api/faults``                    the fault rules and counts
``GET /_mock/ui/api/rate_limits``               the limits and the live buckets
``GET /_mock/ui/events``                        server-sent events: what changed (live.py)
==============================================  ===============================================

Everything the page *does* (move a price, advance the clock, add or clear faults, reset) it does
through the control API itself, ``/_mock/...``: there is no second code path. Access is the
control API's: the same guard runs first (``--control``: loopback clients only by default).
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from ..engine.errors import ExchangeError
from ..http.control_routes import _guard as control_guard
from . import live, readers

bp = Blueprint("dashboard", __name__, url_prefix="/_mock/ui", static_folder="static",
               static_url_path="/static")
bp.before_request(control_guard)


def _state():
    return current_app.extensions["paradex_mock"]


def _json(doc, status: int = 200) -> Response:
    resp = Response(json.dumps(doc, separators=(",", ":")), status=status, content_type="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _int(name: str, default=None, lo: int = 0, hi: int = 10 ** 15):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(lo, min(hi, int(raw)))
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", f"{name} must be an integer") from None


@bp.get("")
@bp.get("/")
def page():
    resp = bp.send_static_file("index.html")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/api/overview")
def overview():
    return _json(readers.overview(_state()))


@bp.get("/api/market/<path:symbol>")
def market(symbol):
    return _json(readers.market(_state(), symbol, depth=_int("depth", 15, 1),
                                resolution=_int("resolution", 1, 1, 1440),
                                candles=_int("candles", 300, 1), since_ms=_int("since"),
                                trades=_int("trades", 40), price_kind=request.args.get("price", "mark")))


@bp.get("/api/accounts")
def accounts():
    wanted = request.args.get("address")
    return _json(readers.accounts(_state(), wanted.split(",") if wanted else None))


@bp.get("/api/journal")
def journal():
    a = request.args
    return _json(readers.journal(_state(), limit=_int("limit", 200, 1), after=_int("after"),
                                 path=a.get("path", ""), account=a.get("account", ""),
                                 status=a.get("status", ""), faulted=a.get("faulted") in ("1", "true"),
                                 kind=a.get("kind", "")))


@bp.get("/api/faults")
def faults():
    return _json(readers.faults(_state()))


@bp.get("/api/rate_limits")
def rate_limits():
    return _json(readers.rate_limits(_state()))


@bp.get("/events")
def events():
    follower = live.Follower(_state())
    return Response(follower.lines(), mimetype="text/event-stream", direct_passthrough=True,
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
