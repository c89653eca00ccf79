"""Query-string parsing and Paradex's cursor pagination."""
import base64
import json
from typing import Callable, List, Optional

from flask import request
from werkzeug.routing import BaseConverter

from ...engine.errors import ExchangeError, excerpt


def bad_param(name: str, why: str) -> ExchangeError:
    return ExchangeError("INVALID_REQUEST_PARAMETER", f"invalid {name}: {why}")


def _arg(name: str) -> Optional[str]:
    """``request.args.get(name)``, without werkzeug raising (and catching) a KeyError for every
    absent parameter, which costs more than the rest of the parsing."""
    args = request.args
    return args.get(name) if name in args else None


def int_arg(name: str, default: Optional[int] = None, lo: Optional[int] = None,
            hi: Optional[int] = None, required: bool = False) -> Optional[int]:
    raw = _arg(name)
    if raw is None:
        if required:
            raise bad_param(name, "is required")
        return default
    if raw == "":               # given, but empty: not an integer either
        raise bad_param(name, "is empty")
    try:
        value = int(raw)
    except ValueError:
        raise bad_param(name, f"{excerpt(raw)} is not an integer") from None
    if lo is not None and value < lo:
        raise bad_param(name, f"must be at least {lo}")
    if hi is not None and value > hi:
        raise bad_param(name, f"must be at most {hi}")
    return value


def str_arg(name: str, required: bool = False, choices=None) -> Optional[str]:
    raw = _arg(name)
    if raw is None or (raw == "" and choices is None):
        if required:
            raise bad_param(name, "is required")
        return None
    if choices is not None and raw not in choices:
        raise bad_param(name, f"{excerpt(raw)} is not one of {', '.join(choices)}")
    return raw


_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
          "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def bool_arg(name: str, default: Optional[bool] = None) -> Optional[bool]:
    """A boolean query parameter: the spellings Go's strconv.ParseBool takes (Paradex's API is Go)."""
    raw = _arg(name)
    if raw is None:
        return default
    if raw not in _BOOLS:
        raise bad_param(name, f"{excerpt(raw)} is not a boolean")
    return _BOOLS[raw]


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode(cursor: str) -> dict:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        if not isinstance(payload, dict) or payload.get("d") not in ("n", "p") or \
                not isinstance(payload.get("k"), list) or \
                not all(isinstance(x, (int, str)) and not isinstance(x, bool) for x in payload["k"]):
            raise ValueError
        return payload
    except Exception:
        raise bad_param("cursor", "not a cursor this server issued") from None


def paginate(items: List, key: Callable, view: Optional[Callable] = None, max_page: int = 5000,
             default_page: int = 100) -> dict:
    """Page a newest-first list with opaque cursors that hold the boundary item's key, so a page
    stays stable while new items arrive at the front. ``key(item)`` must be a JSON list that
    decreases along ``items``; ``view`` turns the page's items into their wire shape."""
    page_size = int_arg("page_size", default_page, 1, max_page)
    cursor = _arg("cursor")
    start = 0
    if cursor:
        c = _decode(cursor)
        k = c["k"]
        try:
            if c["d"] == "n":   # older than k
                start = next((i for i, it in enumerate(items) if key(it) < k), len(items))
            else:               # newer than k: the page just before
                end = next((i for i, it in enumerate(items) if key(it) <= k), len(items))
                start = max(0, end - page_size)
                return _page(items, items[start:end], start, key, view)
        except TypeError:       # a key of another shape: tampered with, or another endpoint's
            raise bad_param("cursor", "not a cursor this server issued") from None
    return _page(items, items[start:start + page_size], start, key, view)


def _page(items, page, start, key, view) -> dict:
    nxt = _encode({"d": "n", "k": key(page[-1])}) if page and start + len(page) < len(items) else None
    prv = _encode({"d": "p", "k": key(page[0])}) if page and start > 0 else None
    return {"next": nxt, "prev": prv, "results": [view(x) for x in page] if view else page}


class OrderIdConverter(BaseConverter):
    """``/v1/orders/<order_id>`` is not ``/v1/orders/batch`` nor ``/v1/orders/by_client_id``:
    those paths have methods of their own (405, ``Allow`` and ``OPTIONS`` list only theirs)."""
    regex = r"(?!batch$|by_client_id$)[^/]+"
