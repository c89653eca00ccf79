"""``GET /_mock/stream``: every exchange event, in order, as NDJSON, for the WS process.

The HTTP process owns the exchange; ``python ws_server.py`` follows this stream and never
computes market data itself. One JSON object per line:

``{"type":"hello", "version":1, "instance":..., "epoch":E, "seq":S, "resumed":bool, "clock":...,
"now_ms":..., "auth_mode":..., "tick_interval":...}``
    always first. ``instance`` names this exchange object (a new one after a restart),
    ``epoch`` counts resets, ``seq`` is the bus sequence at connect time.
``{"type":"snapshot", "reason":"initial"|"reset", "seq":S, "epoch":E, "now_ms":..., "clock":...,
"markets":{market:{"book":..., "summary":..., "funding_data":..., "venue":...}}}``
    the latest public state, consistent with ``seq``. Sent after a non-resumed hello and right
    after every ``reset`` event.
``{"type":"event", "seq":n, "kind":..., "market":..., "account":..., "data":{...}}``
    one bus event (see engine/events.py; domain objects as ``engine.codec`` documents); seqs
    strictly increase within an instance.
``{"type":"heartbeat", "seq":S, "now_ms":..., "clock":...}``
    at least every ``heartbeat`` seconds, so both ends notice a dead peer.

Query: ``after=<seq>&epoch=<E>&instance=<id>`` resumes (events after ``seq``, no snapshot) when
the instance and epoch match and the bus still holds those events; otherwise the stream starts
with a fresh snapshot. ``heartbeat=<s>`` (0.05-30, default 1). A consumer that falls more than
``QUEUE_MAX`` events behind is cut off; it reconnects and, the bus keeping fewer events than that,
starts again from a fresh snapshot.

Access follows the control API's policy: loopback clients always, anyone when ``control`` is
``on`` (the stream carries every account's private events).
"""
from __future__ import annotations

import ipaddress
import json
import queue
import threading
import time
import uuid
import weakref

from flask import Blueprint, Response, current_app, request

from ..engine.errors import ExchangeError
from ..engine import codec
from ..ws.hub import RESYNC_KINDS, build_snapshot

bp = Blueprint("mock_stream", __name__)

VERSION = 1
QUEUE_MAX = 100_000
_CLOSE = object()
_instances: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()
_streams: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # app -> set of open streams


def instance_id(bus) -> str:
    with _instances_lock:
        inst = _instances.get(bus)
        if inst is None:
            inst = _instances[bus] = uuid.uuid4().hex[:16]
        return inst


def _loopback(addr) -> bool:
    try:
        return ipaddress.ip_address((addr or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def _int(name):
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", f"{name} must be an integer") from None


def _line(obj) -> bytes:
    # domain objects go as engine.codec documents; default=str: a value it does not know must
    # not kill the stream, which the WS side would then resume at the same event, forever
    return (json.dumps(codec.encode(obj), separators=(",", ":"), default=str) + "\n").encode("utf-8")


class _Stream:
    def __init__(self, state, after, epoch, instance, heartbeat):
        self.state = state
        self.after = after
        self.epoch = epoch
        self.instance = instance
        self.heartbeat = heartbeat
        self.queue: "queue.Queue" = queue.Queue(maxsize=QUEUE_MAX)
        self.overflow = False

    def close(self) -> None:
        try:
            self.queue.put_nowait(_CLOSE)
        except queue.Full:
            self.overflow = True

    def _on_event(self, ev) -> None:      # under the exchange lock: only enqueue
        if self.overflow:
            return
        try:
            if ev["kind"] in RESYNC_KINDS:    # with the state as of this very event, taken now
                ev = (ev, self._snapshot_line(self.state.exchange, "reset"))
            self.queue.put_nowait(ev)
        except queue.Full:
            self.overflow = True

    def _snapshot_line(self, ex, reason: str) -> bytes:
        with ex.lock:
            snap = build_snapshot(ex)
            snap["faults"] = self.state.faults.public()   # a WS process joining late learns the plan
        snap.update(type="snapshot", reason=reason)
        return _line(snap)

    def lines(self, registry: set):
        ex = self.state.exchange
        bus = ex.bus
        with ex.lock:
            token = bus.subscribe(self._on_event)
            inst = instance_id(bus)
            backlog = None
            if (self.after is not None and self.instance == inst and self.epoch == bus.epoch
                    and self.after <= bus.seq):
                backlog = bus.since(self.after)
            snap = build_snapshot(ex) if backlog is None else None
            if snap is not None:
                snap["faults"] = self.state.faults.public()
            hello = {"type": "hello", "version": VERSION, "instance": inst, "epoch": bus.epoch,
                     "seq": bus.seq, "resumed": backlog is not None,
                     "clock": "manual" if ex.clock.manual else "real", "now_ms": ex.clock.now_ms(),
                     "auth_mode": self.state.config.auth_mode, "tick_interval": self.state.config.tick_interval}
            last = bus.seq if backlog is None else self.after
        registry.add(self)
        try:
            yield _line(hello)
            if snap is not None:
                snap.update(type="snapshot", reason="initial")
                yield _line(snap)
            for ev in backlog or ():
                if ev["seq"] > last:
                    last = ev["seq"]
                    yield _line(dict(ev, type="event"))
                    if ev["kind"] in RESYNC_KINDS:    # resumed past it: the state now will do
                        yield self._snapshot_line(ex, "reset")
            next_beat = time.monotonic() + self.heartbeat
            while not self.overflow:
                timeout = next_beat - time.monotonic()
                try:
                    ev = self.queue.get(timeout=max(0.0, timeout)) if timeout > 0 else None
                except queue.Empty:
                    ev = None
                if ev is _CLOSE:
                    return
                if ev is None:
                    yield _line({"type": "heartbeat", "seq": bus.seq, "now_ms": ex.clock.now_ms(),
                                 "clock": "manual" if ex.clock.manual else "real"})
                    next_beat = time.monotonic() + self.heartbeat
                    continue
                ev, snap_line = ev if isinstance(ev, tuple) else (ev, None)
                if ev["seq"] <= last:
                    continue
                last = ev["seq"]
                yield _line(dict(ev, type="event"))
                if snap_line is not None:
                    yield snap_line
        finally:
            bus.unsubscribe(token)
            registry.discard(self)


@bp.get("/_mock/stream")
def stream():
    state = current_app.extensions["paradex_mock"]
    if state.config.control != "on" and not _loopback(request.remote_addr):
        raise ExchangeError("REQUEST_NOT_ALLOWED", "the event stream is served to loopback clients only "
                                         "(set control=on to open it)", 403)
    after = _int("after")
    epoch = _int("epoch")
    instance = request.args.get("instance") or None
    try:
        heartbeat = min(30.0, max(0.05, float(request.args.get("heartbeat") or 1.0)))
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "heartbeat must be a number of seconds") from None
    app = current_app._get_current_object()
    with _instances_lock:
        registry = _streams.setdefault(app, set())
    s = _Stream(state, after, epoch, instance, heartbeat)
    return Response(s.lines(registry), mimetype="application/x-ndjson", direct_passthrough=True,
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def close_streams(app) -> int:
    """End every open stream of ``app`` (as a process exit would). The in-process HttpServer's
    stop() leaves streaming threads running; call this after it. Returns how many were open."""
    with _instances_lock:
        streams = list(_streams.get(app, ()))
    for s in streams:
        s.close()
    return len(streams)
