"""Drives the simulator from the wall clock: one ``Exchange.tick()`` every ``interval`` seconds.
With the manual clock it does nothing; the control API advances time instead."""
import logging
import threading

log = logging.getLogger("paradex_mock.ticker")


class Ticker:
    def __init__(self, exchange, interval: float):
        self.exchange = exchange
        self.interval = interval
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> "Ticker":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="paradex-mock-ticker", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.exchange.clock.manual:
                continue
            try:
                self.exchange.tick()
            except Exception:  # keep the market alive; the failure is logged for the test author
                log.exception("tick failed")

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
