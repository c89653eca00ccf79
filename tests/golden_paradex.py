"""Record what Paradex clients see from one seeded run: REST bodies and WS frames, byte for byte.

``python tests/golden_paradex.py > tests/golden/paradex_seed7.json`` writes the record;
``tests/test_golden.py`` replays the same run and compares. The record was taken before the
engine learned other venues, so it pins that Paradex's wire output did not change with them.
Everything time-dependent is driven by the manual clock from a fixed start.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import urllib.request

START_MS = 1767225600000
CHANNELS = ("trades.BTC-USD-PERP", "bbo.BTC-USD-PERP", "markets_summary.BTC-USD-PERP", "funding_data.BTC-USD-PERP", "orders.ALL", "fills.ALL",
            "positions", "account", "balance_events")
PATHS = ("/v1/markets", "/v1/markets/summary?market=ALL", "/v1/orderbook/BTC-USD-PERP?depth=20",
         "/v1/bbo/ETH-USD-PERP", "/v1/trades?market=BTC-USD-PERP&page_size=50",
         "/v1/markets/klines?symbol=BTC-USD-PERP&resolution=5&start_at=%d&end_at=%d" % (START_MS - 7200000, START_MS + 60000),
         "/v1/markets/klines?symbol=SOL-USD-PERP&resolution=1&price_kind=mark&start_at=%d&end_at=%d" % (START_MS - 600000, START_MS + 60000),
         "/v1/funding/data?market=BTC-USD-PERP&page_size=5", "/v1/orders-history", "/v1/fills",
         "/v1/positions", "/v1/account", "/v1/balance", "/v1/funding/payments?market=BTC-USD-PERP")


def _http(method: str, url: str, body=None) -> str:
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.read().decode()


def record() -> dict:
    from paradex_mock.testing import MockParadex
    from paradex_mock.ws.testing import RpcClient

    out = {"rest": {}, "ws": {}}
    with MockParadex(seed=7, start_time_ms=START_MS, rate_limits=False, venues="paradex") as mock:
        api = mock.api_url

        async def run():
            # an unbounded queue: thousands of frames arrive while the clock runs an hour, and a full
            # queue would stop the client reading its socket, pongs included (the server then cuts it)
            async with RpcClient(mock.ws_url, ping_interval=None, max_queue=None) as c:
                await c.call("auth", {"bearer": "valid_mock_token"})
                for ch in CHANNELS:
                    await c.call("subscribe", {"channel": ch})
                await asyncio.sleep(0.3)
                loop = asyncio.get_running_loop()

                def act():
                    bbo = json.loads(_http("GET", api + "/bbo/BTC-USD-PERP"))
                    _http("POST", api + "/orders", {"market": "BTC-USD-PERP", "side": "BUY", "type": "MARKET",
                                                    "size": "0.5"})
                    _http("POST", api + "/orders", {"market": "BTC-USD-PERP", "side": "SELL", "type": "LIMIT",
                                                    "size": "0.2", "price": str(round(float(bbo["ask"]) * 1.001, 1))})
                    mock.advance(seconds=30)
                    mock.set_price("BTC-USD-PERP", round(float(bbo["ask"]) * 1.003, 1))
                    mock.advance(ticks=3700)      # tick by tick (a longer move in seconds fast-forwards)
                await loop.run_in_executor(None, act)
                await asyncio.sleep(1.0)
                frames = []
                while True:
                    try:
                        frames.append(await asyncio.wait_for(c.ws.recv(), 0.5))
                    except asyncio.TimeoutError:
                        break
                return frames

        frames = asyncio.run(run())
        by_channel = {}
        for raw in frames:
            msg = json.loads(raw)
            ch = msg.get("params", {}).get("channel")
            if ch:
                by_channel.setdefault(ch, []).append(raw)
        # a digest per channel (thousands of frames), plus its first frames to read a difference
        out["ws"] = {ch: {"count": len(fs), "sha256": hashlib.sha256("\n".join(fs).encode()).hexdigest(),
                          "first": fs[:3]} for ch, fs in sorted(by_channel.items())}
        for p in PATHS:
            out["rest"][p] = _http("GET", mock.http_url + p)
    return out


if __name__ == "__main__":
    json.dump(record(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
