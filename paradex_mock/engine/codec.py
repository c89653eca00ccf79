"""Domain events to JSON and back, for the WS process that follows the HTTP process's event
stream (``/_mock/stream``): a dataclass becomes ``{"__t": name, field: value...}`` with Decimals as
strings; decoding rebuilds it from its field types. Plain dicts (control events) pass through."""
from __future__ import annotations

import dataclasses
import typing
from decimal import Decimal
from typing import Any, Dict

from . import events, mmp, models

TYPES: Dict[str, type] = {c.__name__: c for c in (
    models.Order, models.Fill, models.Trade, models.FundingPayment, models.Position, models.Margin,
    models.Transfer, models.Algo,
    events.BookUpdate, events.PositionUpdate, events.AccountUpdate, events.BalanceChange, events.MarketStats,
    events.FundingSample, events.SegmentChange, mmp.MmpState)}
_HINTS: Dict[type, dict] = {}


def encode(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"__t": type(obj).__name__}
        for f in dataclasses.fields(obj):
            if f.metadata.get("derived"):
                continue
            out[f.name] = encode(getattr(obj, f.name))
        return out
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (list, tuple)):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    return obj


def decode(doc: Any) -> Any:
    if isinstance(doc, dict):
        name = doc.get("__t")
        cls = TYPES.get(name) if isinstance(name, str) else None
        if cls is None:
            return doc
        hints = _HINTS.get(cls)
        if hints is None:
            hints = _HINTS[cls] = typing.get_type_hints(cls)
        kwargs = {f.name: _as(hints[f.name], doc[f.name]) for f in dataclasses.fields(cls) if f.name in doc}
        return cls(**kwargs)
    return doc


def _as(tp, value):
    if value is None:
        return None
    if tp is Decimal:
        return Decimal(value)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:       # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return _as(inner[0], value) if inner else value
    if origin in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return tuple(_as(a, v) for a, v in zip(args, value))
        item = args[0] if args else Any
        seq = [_as(item, v) for v in value]
        return tuple(seq) if origin is tuple else seq
    if dataclasses.is_dataclass(tp):
        return decode(value)
    return value
