"""What a frame costs the WS server to send to one client, JSON text vs SBE binary.

The fan-out builds each channel's frame once and then, per subscriber, frames it and hands it to
the transport (``ws.server.Conn.flush``: ``protocol.send_text``/``send_binary``, then one
``transport.write`` of ``data_to_send()``). That per-client part is what grows with the number of
clients; this times exactly it, with websockets' own protocol object, for the frames one tick of
the mock sends (``bbo`` and ``trades`` of BTC-USD-PERP, as the fan-out benchmark subscribes),
plus the one-off cost of building each frame.

    python -m bench.sbe_cost            # prints one JSON line
"""
from __future__ import annotations

import json
import sys
import time

from websockets.protocol import OPEN
from websockets.server import ServerProtocol

from paradex_mock.venues.paradex.accounts import DEMO_ACCOUNT
from paradex_mock.testing import MockExchange
from paradex_mock.venues.paradex import views
from paradex_mock.venues.paradex.orders import submit
from paradex_mock.venues.paradex.ws import sbe
from paradex_mock.venues.paradex.ws.protocol import notification_frame

MARKET = "BTC-USD-PERP"


def sample_payloads():
    """A bbo and a trade as the mock renders them."""
    with MockExchange(seed=42, backfill_hours=0.1) as m:
        got = {}
        token = m.exchange.bus.subscribe(lambda ev: got.__setitem__(ev["kind"], ev))
        submit(m.exchange, DEMO_ACCOUNT, {"market": MARKET, "side": "BUY", "type": "MARKET", "size": "0.01"})
        m.exchange.bus.unsubscribe(token)
        return [("BboEvent", f"bbo.{MARKET}", views.bbo(got["book"]["data"])),
                ("TradeEvent", f"trades.{MARKET}", views.trade(got["trade"]["data"]))]


class _Transport:
    def __init__(self):
        self.n = 0

    def write(self, data):
        self.n += len(data)


def per_client_ns(frames, binary: bool, clients: int = 2000, rounds: int = 5) -> float:
    """ns to frame and write ``frames`` to one client (best of ``rounds``), per frame."""
    best = None
    for _ in range(rounds):
        protos = []
        for _ in range(clients):
            p = ServerProtocol()
            p.state = OPEN
            protos.append(p)
        tr = _Transport()
        t0 = time.perf_counter_ns()
        for p in protos:
            for f in frames:
                if binary:
                    p.send_binary(f)
                else:
                    p.send_text(f)
            tr.write(b"".join(p.data_to_send()))
        dt = (time.perf_counter_ns() - t0) / (clients * len(frames))
        best = dt if best is None else min(best, dt)
    return best


def build_ns(fn, n: int = 20000) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n


def main() -> int:
    payloads = sample_payloads()
    text = [notification_frame(ch, data).encode() for _, ch, data in payloads]
    binary = [sbe.encode(name, data, 3) for name, _, data in payloads]
    out = {
        "frames": [name for name, _, _ in payloads],
        "json_bytes": [len(f) for f in text], "sbe_bytes": [len(f) for f in binary],
        "json_send_ns_per_client": per_client_ns(text, False),
        "sbe_send_ns_per_client": per_client_ns(binary, True),
        "json_build_ns": [build_ns(lambda ch=ch, d=d: notification_frame(ch, d)) for _, ch, d in payloads],
        "sbe_build_ns": [build_ns(lambda n=n, d=d: sbe.encode(n, d, 3)) for n, _, d in payloads],
    }
    out["send_ratio_sbe_over_json"] = out["sbe_send_ns_per_client"] / out["json_send_ns_per_client"]
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
