#!/usr/bin/env python3
"""The crypto limit of signed order entry on one core: what the server's signature check costs
per order, measured alone, in one process (run it on the server's CPU).

Per order: ``parse_signature`` + ``typed_data.order_message_hash`` + ``stark.verify``, exactly
the calls ``http/identity.verify_order_signature`` makes. Orders are signed first (not timed).
Prints one JSON line: {"orders": n, "us_per_order": x, "per_s": y}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--chain-id", default="PRIVATE_SN_POTC_SEPOLIA")
    a = ap.parse_args(argv)
    from paradex_mock.venues.paradex.auth.signer import StarkSigner
    from paradex_mock.venues.paradex.auth.stark import parse_signature, verify
    from paradex_mock.venues.paradex.auth.typed_data import order_message_hash

    signer = StarkSigner(0x5EED0F5EED, chain_id=a.chain_id)
    ts0 = int(time.time() * 1000)
    bodies = [signer.sign_order({"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.0005",
                                 "price": "47500.5", "instruction": "GTC"}, timestamp_ms=ts0 - i)
              for i in range(a.orders)]
    pub = signer.public_key
    addr = signer.address
    for rnd in range(2):        # the first round warms caches (account prefix) the server has warm too
        t0 = time.perf_counter()
        for b in bodies:
            r, s = parse_signature(b["signature"])
            h = order_message_hash(addr, a.chain_id, b["signature_timestamp"], b["market"], b["side"], b["type"],
                                   b["size"], b["price"])
            if not verify(h, r, s, pub):
                raise SystemExit("a signature did not verify")
        elapsed = time.perf_counter() - t0
    us = elapsed / len(bodies) * 1e6
    print(json.dumps({"orders": len(bodies), "us_per_order": us, "per_s": 1e6 / us}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
