"""Order bodies for the load tests: permissive (unsigned, the demo account) and pre-signed ones
(STARK signatures made before the clock starts, in a process pool, so client-side signing is
never what is measured)."""
from __future__ import annotations

import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Dict, List, Tuple

from .common import http_json

NOTIONAL = Decimal("20")          # USD per order: above every market's min_notional (10)


def market_params(base: str) -> Dict[str, dict]:
    """symbol -> {price, size}: a BUY at half the mark price (far below the book: it rests and
    never trades) of about NOTIONAL USD, on the market's tick and size step."""
    status, markets = http_json("GET", base + "/v1/markets")
    assert status == 200, markets
    status, summ = http_json("GET", base + "/v1/markets/summary?market=ALL")
    assert status == 200, summ
    marks = {r["symbol"]: Decimal(r["mark_price"]) for r in summ["results"]}
    out = {}
    for m in markets["results"]:
        sym = m["symbol"]
        tick = Decimal(m["price_tick_size"])
        step = Decimal(m["order_size_increment"])
        price = (marks[sym] / 2 / tick).to_integral_value(ROUND_FLOOR) * tick
        size = (NOTIONAL / price / step).to_integral_value(ROUND_CEILING) * step
        out[sym] = {"price": format(price.normalize(), "f"), "size": format(size.normalize(), "f"),
                    "max_open_orders": int(m.get("max_open_orders", 100))}
    return out


def permissive_bodies(params: Dict[str, dict], n: int, instruction: str = "IOC") -> List[str]:
    """Unsigned LIMIT BUYs far below the market, round-robin over the markets. IOC by default:
    each one is validated, risk-checked, matched (nothing crosses) and closed, so the demo
    account's open orders never reach max_open_orders however long the run."""
    syms = sorted(params)
    out = []
    for i in range(n):
        sym = syms[i % len(syms)]
        p = params[sym]
        out.append(json.dumps({"market": sym, "side": "BUY", "type": "LIMIT", "size": p["size"],
                               "price": p["price"], "instruction": instruction}, separators=(",", ":")))
    return out


def _sign_chunk(job: Tuple[int, str, list]) -> List[str]:
    private_key, chain_id, items = job
    from paradex_mock.venues.paradex.auth.signer import StarkSigner
    signer = StarkSigner(private_key, chain_id=chain_id)
    return [json.dumps(signer.sign_order(body, timestamp_ms=ts), separators=(",", ":")) for body, ts in items]


def signed_setup(base: str, params: Dict[str, dict], n_orders: int, per_market_per_account: int = 80,
                 workers: int = 2, instruction: str = "GTC") -> Tuple[List[Tuple[str, str]], dict]:
    """Create enough accounts (each rests at most ``per_market_per_account`` orders per market,
    under max_open_orders), log each in (JWT), and pre-sign ``n_orders`` BUYs far below the
    market: resting GTC orders by default, or IOC ones (the permissive load's flow: validated,
    risk-checked, matched against nothing and closed). Returns [(jwt, body)] interleaved across
    accounts, and timing info."""
    from paradex_mock.venues.paradex.auth.signer import StarkSigner
    syms = sorted(params)
    per_account = per_market_per_account * len(syms)
    n_accounts = max(1, math.ceil(n_orders / per_account))
    status, cfg = http_json("GET", base + "/v1/system/config")
    chain_id = cfg.get("starknet_chain_id", "PRIVATE_SN_POTC_SEPOLIA")
    t0 = time.perf_counter()
    accounts = []
    keys = {}       # address -> public key: what the bare-Flask-plus-crypto baseline checks against
    for _ in range(n_accounts):
        status, acct = http_json("POST", base + "/_mock/accounts", {"balance": "100000000"})
        assert status in (200, 201), acct
        key = int(acct["private_key"], 16)
        signer = StarkSigner(key, chain_id=chain_id)
        now = int(time.time())
        status, tok = http_json("POST", base + "/v1/auth", None, signer.auth_headers(now, now + 3600))
        assert status == 200, tok
        accounts.append((key, tok["jwt_token"]))
        keys[acct["address"]] = acct["public_key"]
    setup_s = time.perf_counter() - t0
    # orders: account a gets orders a, a+n_accounts, ... (interleaved), markets round-robin
    now_ms = int(time.time() * 1000)
    jobs = []
    for a, (key, _) in enumerate(accounts):
        items = []
        for j in range(per_account):
            k = a + j * n_accounts
            if k >= n_orders:
                break
            sym = syms[j % len(syms)]
            p = params[sym]
            body = {"market": sym, "side": "BUY", "type": "LIMIT", "size": p["size"], "price": p["price"],
                    "instruction": instruction}
            items.append((body, now_ms - k))   # unique signed message per order; ts within the window
        jobs.append((key, chain_id, items))
    t1 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        signed = list(pool.map(_sign_chunk, jobs))
    sign_s = time.perf_counter() - t1
    rows = []
    for j in range(per_account):
        for a in range(n_accounts):
            if j < len(signed[a]):
                rows.append((accounts[a][1], signed[a][j]))
    return rows, {"accounts": n_accounts, "setup_s": setup_s, "sign_s": sign_s, "orders": len(rows),
                  "keys": keys, "chain_id": chain_id}
