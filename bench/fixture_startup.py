#!/usr/bin/env python3
"""Start-up of the in-process fixture ``paradex_mock.testing.MockExchange`` (REST + WS threads):
imports (timed apart), the first start in a process (cold), stop, and a second start (warm: what
every further test pays). Prints one JSON line."""
import json
import sys
import time


def main() -> int:
    t0 = time.perf_counter()
    from paradex_mock.testing import MockExchange
    t1 = time.perf_counter()
    out = {"import_s": t1 - t0}
    for label in ("start_s", "start2_s"):
        a = time.perf_counter()
        m = MockExchange(seed=7, log_level="WARNING")
        m.start()
        b = time.perf_counter()
        m.stop()
        c = time.perf_counter()
        out[label] = b - a
        out["stop_s" if label == "start_s" else "stop2_s"] = c - b
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
