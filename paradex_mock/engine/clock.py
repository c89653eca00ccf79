"""The exchange's one clock. Real mode follows the wall clock; manual mode moves only when told,
so a test (or a replay) controls time exactly."""
import threading
import time

DEFAULT_MANUAL_START_MS = 1767225600000  # 2026-01-01T00:00:00Z


class Clock:
    def __init__(self, manual: bool = False, start_ms: int = None):
        self.manual = manual
        self._lock = threading.Lock()
        # a manual clock starts at the wall clock unless told, so real clients' signature
        # timestamps are fresh; a fixed start (e.g. DEFAULT_MANUAL_START_MS) makes runs replayable
        self._now_ms = int(start_ms if start_ms is not None else time.time() * 1000)

    def now_ms(self) -> int:
        if self.manual:
            return self._now_ms
        return int(time.time() * 1000)

    def candidates_ms(self):
        """The times a client's signature timestamp may be judged against: the exchange's, and
        in manual mode the wall clock too (clients sign with real time)."""
        if self.manual:
            return (self._now_ms, int(time.time() * 1000))
        return (self.now_ms(),)

    def advance(self, ms: int) -> int:
        """Manual mode only: move time forward by ``ms``."""
        if not self.manual:
            raise RuntimeError("the clock is real; switch to manual to advance it")
        with self._lock:
            self._now_ms += int(ms)
            return self._now_ms

    def set_manual(self, manual: bool, now_ms: int = None) -> None:
        with self._lock:
            if manual and not self.manual:
                self._now_ms = int(now_ms if now_ms is not None else time.time() * 1000)
            elif manual and now_ms is not None:
                self._now_ms = int(now_ms)
            self.manual = manual
