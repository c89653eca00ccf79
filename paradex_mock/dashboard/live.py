"""``GET /_mock/ui/events``: server-sent events telling the page *what* changed, never the data.

Each open page gets one ``Follower``. It subscribes to the exchange's event bus and keeps, per
burst, the distinct ``(kind, market, account)`` of the events seen (not their payloads, whose
shape belongs to the venue), plus ``journal`` when the request journal moved. At most
``MAX_RATE`` times a second it sends one ``data:`` line listing them::

    data: {"seq": 1234, "events": 57, "changes": [{"kind": "trade", "market": "BTC-USD-PERP",
           "account": null}, ...], "journal": 88, "truncated": false}

and the page fetches what it needs from ``/_mock/ui/api/...``. What a follower holds is bounded
(``MAX_CHANGES`` distinct triples; past that it only remembers that it overflowed and says
``"truncated": true``, which makes the page refresh everything), so a slow page cannot make the
server hold an unbounded queue, and a burst of 10 000 orders is still one line.

The subscriber runs under the exchange lock, so it only records and signals. A stream ends after
``MAX_AGE`` seconds (the browser's EventSource reconnects by itself, ``retry:`` below), so a
response thread never outlives a page that went away without closing its socket for long.
"""
from __future__ import annotations

import json
import threading
import time

from . import readers

MAX_RATE = 5.0          # messages per second per page, at most
MAX_CHANGES = 256       # distinct (kind, market, account) kept per burst
HEARTBEAT_S = 15.0      # an SSE comment when nothing happened, so dead connections are noticed
MAX_AGE_S = 300.0       # then the stream ends and the browser reconnects
POLL_S = 0.25           # how often the journal's sequence number is looked at (an int read)
RETRY_MS = 1000
GATHER_S = 0.05         # after the first change, wait this long for the rest of its burst


class Follower:
    def __init__(self, state):
        self.state = state
        self._cond = threading.Condition(threading.Lock())
        self._changes: dict = {}
        self._events = 0
        self._seq = 0
        self._truncated = False
        self.closed = False

    # under the exchange lock: record and signal, nothing else
    def on_event(self, ev) -> None:
        key = (ev.get("kind"), ev.get("market"), ev.get("account"))
        with self._cond:
            self._events += 1
            self._seq = ev.get("seq", self._seq)
            if key not in self._changes:
                if len(self._changes) < MAX_CHANGES:
                    self._changes[key] = None
                else:
                    self._truncated = True
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify()

    def _take(self):
        changes, events, truncated = self._changes, self._events, self._truncated
        self._changes, self._events, self._truncated = {}, 0, False
        return changes, events, truncated

    def lines(self):
        bus = self.state.exchange.bus
        token = bus.subscribe(self.on_event)
        try:
            journal_seq = readers.journal_seq(self.state)
            hello = {"hello": True, "seq": bus.seq, "journal": journal_seq,
                     "max_rate": MAX_RATE, "clock": readers.clock(self.state)}
            yield f"retry: {RETRY_MS}\ndata: {json.dumps(hello)}\n\n".encode()
            started = last_sent = time.monotonic()
            min_gap = 1.0 / MAX_RATE
            while not self.closed:
                now = time.monotonic()
                if now - started > MAX_AGE_S:
                    return
                with self._cond:
                    if not self._events and not self.closed:
                        self._cond.wait(POLL_S)
                j = readers.journal_seq(self.state)
                with self._cond:
                    pending = self._events or self._truncated
                if not pending and j == journal_seq:
                    if time.monotonic() - last_sent >= HEARTBEAT_S:
                        last_sent = time.monotonic()
                        yield b": keep-alive\n\n"
                    continue
                # coalesce: whatever else arrives meanwhile joins this line (a tick publishes
                # its events within a few ms, so GATHER_S makes one tick one line)
                wait = max(GATHER_S, min_gap - (time.monotonic() - last_sent))
                time.sleep(wait)
                j = readers.journal_seq(self.state)
                with self._cond:
                    changes, events, truncated = self._take()
                    seq = self._seq
                msg = {"seq": seq, "events": events,
                       "changes": [{"kind": k, "market": m, "account": a} for k, m, a in changes],
                       "truncated": truncated}
                if j != journal_seq:
                    msg["journal"] = j
                    journal_seq = j
                last_sent = time.monotonic()
                yield f"data: {json.dumps(msg, separators=(',', ':'))}\n\n".encode()
        finally:
            bus.unsubscribe(token)
