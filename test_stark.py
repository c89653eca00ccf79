#!/usr/bin/env python3
"""How a Paradex client signs, shown with starknet-py, and proven against paradex-mock.

Walkthrough for adapter authors:
  1. account      - private key -> STARK public key -> Paradex L2 address
  2. order        - the Order typed data (StarkNet revision 0, Pedersen) and its felts
  3. signature    - [r, s] over the typed-data hash
  4. nonce        - signature_timestamp (ms) is the order's nonce
  5. self-check   - this script's signature is checked against starknet-py
  6. self-check   - fixed test vectors (a known key's public key, address, type hashes and
                    order hash, as Paradex's clients compute them): one PASS/FAIL line each

Run:  python test_stark.py [--private-key 0x...] [--chain-id PRIVATE_SN_POTC_SEPOLIA]
Exit status is 0 only when every check passes. Needs no network.
"""

from __future__ import annotations

import argparse
import sys
import time

from starknet_py.constants import EC_ORDER
from starknet_py.hash.address import compute_address
from starknet_py.hash.selector import get_selector_from_name
from starknet_py.hash.utils import verify_message_signature
from starknet_py.net.account.account import Account
from starknet_py.net.full_node_client import FullNodeClient
from starknet_py.net.signer.key_pair import KeyPair
from starknet_py.utils.typed_data import TypedData

from paradex_mock.venues.paradex.auth import stark
from paradex_mock.venues.paradex.auth import typed_data as ptd

# Paradex testnet's account class hashes (GET /v1/system/config), used for address derivation.
ACCOUNT_PROXY_HASH = 0x3530CC4759D78042F1B543BF797F5F3D647CDE0388C33734CF91B7F7B9314A9
ACCOUNT_HASH = 0x41CB0280EBADAA75F996D8D92C6F265F6D040BB3BA442E5F86A554F1765244E
TESTNET = "PRIVATE_SN_POTC_SEPOLIA"
MAINNET = "PRIVATE_SN_PARACLEAR_MAINNET"
KNOWN_CHAINS = (TESTNET, MAINNET, "PRIVATE_SN_PARACLEAR_TESTNET", "PRIVATE_SN_POTC_MOCK_SEPOLIA")

# Fixed test vectors: a known private key and what Paradex's clients derive from it.
V_PRIVATE_KEY = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDE
V_PUBLIC_KEY = 0x2A8249E10DF5670294C078C3A04F32ED60087E5EE8A3457FA29ED0C0E366BFC
V_ADDRESS = 0x3A5E6CA3F7D55722BFB79595C96BD41DBA9980FE2ABF5C0577591A135EC6DC4
V_TYPE_HASHES = {
    "StarkNetDomain": (0x98D1932052FC5137543DE5ED85B7A88555A4CD1FF5D5BFEDB62ED9B9A1F0DB, ptd.DOMAIN_TYPE_HASH),
    "Request": (0x186CDEF6B179923C411C13C11B8A825F12BF34203BDDA0A984DA9D6F2313C2, ptd.REQUEST_TYPE_HASH),
    "Order": (0xA56D5225B97B257C15AE2CB1CC0EA605381A886CD75463DB45FD2EF9FBC255, ptd.ORDER_TYPE_HASH),
    "ModifyOrder": (0x201789BB587C17B251FD38DAF43B14807010EA721C2929A8C2FC33BF15C2E2C, ptd.MODIFY_ORDER_TYPE_HASH),
    "Constant": (0xE84BBCB68E0F7C73A9058BA82B6DA9C1FFDC502EFCF034E78B0C003C22ECC9, ptd.CONSTANT_TYPE_HASH),
}
V_AUTH_HASH = 0x71C14D609005BCC10F58522DF64F4B2A50C360D11793B38428767C097B4325D
V_AUTH_SIGNATURE = (
    '["2550740701893668370899985008319498724206164829435106656870879380923144152379",'
    '"204917582423899556502731363288923654282537465973933878821001039382711642274"]'
)
V_AUTH_HASH_MAINNET = 0x34A1F54E8451631B5A1BFAA5EF4FC7B2429C1850D757CA5A6DEAA2809A32780
V_ONBOARDING_HASH = 0x404780A4CB1F594F0A34BE2929532DA5197620A7A0FD45D9C3EB0F45D658E
V_ORDER_HASH_BTC = 0x1378AEA7D02D0772C7B4574A7747A6DE1413296EF57457A4630078762DBD660
V_ORDER_HASH_ETH = 0x6569942E682A4DD7737058842836A7CBCBDBF4CECB9BEB07817FBA0849B1F7D
V_MODIFY_HASH = 0x627655A83178BC84F675E2E5DB41BA39A3C446B4F802F387A9806D499798FAD
V_ORDER_ID = "1700000000000201703989430000"
V_CHAIN_FELTS = {
    MAINNET: 0x505249564154455F534E5F50415241434C4541525F4D41494E4E4554,
    TESTNET: 0x505249564154455F534E5F504F54435F5345504F4C4941,
    "PRIVATE_SN_PARACLEAR_TESTNET": 0x505249564154455F534E5F50415241434C4541525F544553544E4554,
}

FELT = "felt"
TYPES = {
    "StarkNetDomain": [{"name": n, "type": FELT} for n in ("name", "chainId", "version")],
    "Request": [{"name": n, "type": FELT} for n in ("method", "path", "body", "timestamp", "expiration")],
    "Constant": [{"name": "action", "type": FELT}],
    "Order": [{"name": n, "type": FELT} for n in ("timestamp", "market", "side", "orderType", "size", "price")],
    "ModifyOrder": [
        {"name": n, "type": FELT} for n in ("timestamp", "market", "side", "orderType", "size", "price", "id")
    ],
}


class Checks:
    """Collects PASS/FAIL lines."""

    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def eq(self, name: str, got, want) -> None:
        ok = got == want
        detail = "" if ok else f"  got {_fmt(got)}, want {_fmt(want)}"
        self._line(ok, name + detail)

    def true(self, name: str, ok: bool) -> None:
        self._line(bool(ok), name)

    def _line(self, ok: bool, text: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")


def _fmt(v) -> str:
    return hex(v) if isinstance(v, int) and not isinstance(v, bool) else repr(v)


def section(title: str) -> None:
    print(f"\n== {title} ==")


def paradex_typed_data(chain_id: str, primary: str, message: dict) -> dict:
    """A Paradex typed-data dict in starknet-py's format (revision 0: no 'revision' key)."""
    return {
        "types": {"StarkNetDomain": TYPES["StarkNetDomain"], primary: TYPES[primary]},
        "primaryType": primary,
        # chainId may be the raw string (ccxt) or its hex felt (paradex-py): same felt.
        "domain": {"name": "Paradex", "chainId": chain_id, "version": "1"},
        "message": message,
    }


def paradex_address(public_key: int) -> int:
    """The account proxy deployed with the public key as salt: its address is the Paradex account."""
    return compute_address(
        class_hash=ACCOUNT_PROXY_HASH,
        constructor_calldata=[ACCOUNT_HASH, get_selector_from_name("initialize"), 2, public_key, 0],
        salt=public_key,
        deployer_address=0,
    )


class TimestampNonce:
    """Millisecond timestamps that strictly increase, even within one millisecond."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now_ms: int | None = None) -> int:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        self._last = max(now_ms, self._last + 1)
        return self._last


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Exit status 0 iff all checks pass.")
    p.add_argument(
        "--private-key",
        default=hex(V_PRIVATE_KEY),
        help="L2 (STARK) private key, 0x-hex or decimal (default: the fact-sheet test key)",
    )
    p.add_argument("--chain-id", default=TESTNET, choices=KNOWN_CHAINS, help="starknet_chain_id (default: testnet)")
    args = p.parse_args(argv)
    try:
        args.private_key = int(args.private_key, 0)
    except ValueError:
        p.error("--private-key must be an integer (0x-hex or decimal)")
    if not 1 <= args.private_key < EC_ORDER:
        p.error("--private-key must be in 1..EC_ORDER-1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    chain = args.chain_id
    checks = Checks()

    # 1. Account ---------------------------------------------------------------------
    section("1. account")
    key_pair = KeyPair.from_private_key(args.private_key)
    address = paradex_address(key_pair.public_key)
    # The client is never contacted: signing typed data is local.
    account = Account(
        address=address,
        client=FullNodeClient(node_url="http://127.0.0.1:8080/rpc/v0_9"),
        key_pair=key_pair,
        chain=chain,
    )
    print(f"  chain id      {chain} -> felt {hex(ptd.encode_felt(chain))}")
    print(f"  public key    {hex(key_pair.public_key)}")
    print(f"  address       {hex(account.address)}   (PARADEX-STARKNET-ACCOUNT header)")

    # 2. Order typed data -------------------------------------------------------------
    section("2. order typed data")
    nonce = TimestampNonce()
    order = {"market": "BTC-USD-PERP", "side": "BUY", "type": "LIMIT", "size": "0.1", "price": "30000"}
    ts_ms = nonce.next()
    message = {
        "timestamp": ts_ms,
        "market": order["market"],  # short string; ccxt sends the same felt as 0x-hex
        "side": "1" if order["side"] == "BUY" else "2",
        "orderType": order["type"],
        "size": str(ptd.scale_decimal(order["size"])),  # x 10^8; the JSON body keeps "0.1"
        "price": str(ptd.scale_decimal(None if "MARKET" in order["type"] else order["price"])),
    }
    td = paradex_typed_data(chain, "Order", message)
    print(f"  body          {order}")
    print(f"  timestamp     {ts_ms}  (signature_timestamp, ms)")
    print(f"  market felt   {hex(ptd.encode_felt(message['market']))}  ({message['market']!r} as ASCII bytes)")
    print(f"  side felt     {message['side']}  (BUY=1, SELL=2)")
    print(f"  orderType     {hex(ptd.encode_felt(message['orderType']))}  ({message['orderType']!r})")
    print(f"  size felt     {message['size']}  ({order['size']} x 10^8)")
    print(f"  price felt    {message['price']}  ({order['price']} x 10^8; 0 for any *MARKET type)")
    typed = TypedData.from_dict(td)
    sn_hash = typed.message_hash(account.address)
    print(f"  message hash  {hex(sn_hash)}")

    # 3. Signature --------------------------------------------------------------------
    section("3. signature")
    started = time.perf_counter()
    r, s = account.sign_message(td)  # starknet-py: ~0.1 s, RFC 6979 k
    took_ms = (time.perf_counter() - started) * 1000
    print(f"  [r, s]        [{hex(r)}, {hex(s)}]  ({took_ms:.0f} ms)")
    print(f'  body field    "signature": \'["{r}","{s}"]\'  (decimal or 0x-hex items both accepted)')
    print(f'                "signature_timestamp": {ts_ms}')

    # 4. Timestamp as nonce -----------------------------------------------------------
    section("4. signature_timestamp is the nonce")
    print(
        "  The signed Order has no nonce field: signature_timestamp (ms) is the only thing that\n"
        "  makes two otherwise identical orders hash, and so sign, differently (the signature\n"
        "  is deterministic: RFC 6979 k). So use a strictly increasing ms clock,\n"
        "  max(now_ms, last + 1): a burst within one millisecond still gets distinct stamps.\n"
        "  Server side: a stamp older than recv_window (default 300000 ms) is rejected\n"
        "  (documented by Paradex). A server that also remembers the signatures it accepted\n"
        "  within that window rejects a byte-identical re-post as a replay (mock policy; Paradex\n"
        "  documents only the window). Note: ccxt stamps whole seconds x 1000, so two identical\n"
        "  ccxt orders within one second carry the same signature."
    )
    burst = [nonce.next(now_ms=ts_ms) for _ in range(3)]  # same wall-clock ms three times
    print(f"  burst in one ms -> {burst}")
    checks.true("burst timestamps strictly increase", burst[0] > ts_ms and burst == sorted(set(burst)))
    twin = ptd.order_message_hash(account.address, chain, burst[0], **_order_args(order))
    checks.true("a new timestamp gives a new hash", twin != sn_hash)
    # A toy model of those two server checks.
    seen: set[tuple[int, int]] = set()
    outcomes = [
        model_server_check((r, s), ts_ms, ts_ms + 50, seen),  # first post
        model_server_check((r, s), ts_ms, ts_ms + 80, seen),  # same body again
        model_server_check((r + 1, s), ts_ms, ts_ms + 300_001, seen),  # posted too late
    ]
    for what, outcome in zip(("first post", "replay", "late post"), outcomes):
        print(f"  {what:<11} -> {outcome}")
    checks.eq("model: accept, reject replay, reject stale", outcomes,
              ["accepted", "rejected: replay", "rejected: stale signature_timestamp"])

    # 5. Self-check -------------------------------------------------------------------
    section("5. self-check: this script's signature")
    checks.true("starknet-py verify_message_signature", verify_message_signature(sn_hash, [r, s], key_pair.public_key))
    checks.true("Account.verify_message", account.verify_message(td, [r, s]))
    checks.true("paradex_mock.venues.paradex.auth.stark.verify", stark.verify(sn_hash, r, s, key_pair.public_key))
    checks.true("tampered hash does not verify", not stark.verify(sn_hash ^ 1, r, s, key_pair.public_key))
    checks.eq(
        "paradex_mock order hash == starknet-py TypedData.message_hash",
        ptd.order_message_hash(account.address, chain, ts_ms, **_order_args(order)),
        sn_hash,
    )
    checks.eq("paradex_mock address == starknet-py compute_address",
              stark.derive_address(key_pair.public_key, ACCOUNT_PROXY_HASH, ACCOUNT_HASH), address)
    checks.eq("paradex_mock fast signer == starknet-py signature", stark.sign(sn_hash, args.private_key), (r, s))
    check_typed_data_agreement(checks, chain, account.address)

    section("6. self-check: fixed test vectors")
    check_vectors(checks)

    print(f"\n{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


def model_server_check(sig: tuple[int, int], ts_ms: int, now_ms: int, seen: set, recv_window_ms: int = 300_000) -> str:
    """What a server does with a signed order's timestamp: window first, then replay."""
    if now_ms > ts_ms + recv_window_ms:
        return "rejected: stale signature_timestamp"
    if sig in seen:
        return "rejected: replay"
    seen.add(sig)
    return "accepted"


def _order_args(order: dict) -> dict:
    return {
        "market": order["market"],
        "side": order["side"],
        "order_type": order["type"],
        "size": order["size"],
        "price": None if "MARKET" in order["type"] else order["price"],
    }


def check_typed_data_agreement(checks: Checks, chain: str, account: int) -> None:
    """paradex_mock's hashes equal starknet-py's for every Paradex primary type."""
    cases = [
        (
            "Request",
            {"method": "POST", "path": "/v1/auth", "body": "", "timestamp": 1700000000, "expiration": 1700000180},
            ptd.auth_message_hash(account, chain, 1700000000, 1700000180),
        ),
        ("Constant", {"action": "Onboarding"}, ptd.onboarding_message_hash(account, chain)),
        (
            "ModifyOrder",
            {"timestamp": 1700000000000, "market": "ETH-USD-PERP", "side": "2", "orderType": "STOP_MARKET",
             "size": "150000000", "price": "0", "id": V_ORDER_ID},
            ptd.modify_order_message_hash(account, chain, 1700000000000, "ETH-USD-PERP", "SELL", "STOP_MARKET",
                                          "1.5", "0", V_ORDER_ID),
        ),
    ]
    for primary, message, ours in cases:
        theirs = TypedData.from_dict(paradex_typed_data(chain, primary, message)).message_hash(account)
        checks.eq(f"paradex_mock {primary} hash == starknet-py", ours, theirs)
    # paradex-py passes the chain id as a hex felt, ccxt as the raw string: same hash.
    as_hex = TypedData.from_dict(
        paradex_typed_data(hex(ptd.encode_felt(chain)), "Constant", {"action": "Onboarding"})
    ).message_hash(account)
    checks.eq("chainId as hex felt == chainId as string", as_hex, ptd.onboarding_message_hash(account, chain))


def check_vectors(checks: Checks) -> None:
    public_key = KeyPair.from_private_key(V_PRIVATE_KEY).public_key
    checks.eq("public key", public_key, V_PUBLIC_KEY)
    checks.eq("address", paradex_address(public_key), V_ADDRESS)
    for name, (want, ours) in V_TYPE_HASHES.items():
        primary = "Constant" if name == "StarkNetDomain" else name  # the domain type rides along
        starknet_py_hash = TypedData.from_dict(paradex_typed_data(TESTNET, primary, {})).type_hash(name)
        checks.eq(f"type_hash {name} (paradex_mock)", ours, want)
        checks.eq(f"type_hash {name} (starknet-py)", starknet_py_hash, want)
    for chain, felt in V_CHAIN_FELTS.items():
        checks.eq(f"chain-id felt {chain}", ptd.encode_felt(chain), felt)

    auth = ptd.auth_message_hash(V_ADDRESS, TESTNET, 1700000000, 1700000180)
    checks.eq("auth hash", auth, V_AUTH_HASH)
    r, s = stark.parse_signature(V_AUTH_SIGNATURE)
    checks.true("auth signature verifies (starknet-py)", verify_message_signature(auth, [r, s], V_PUBLIC_KEY))
    checks.true("auth signature verifies (paradex_mock)", stark.verify(auth, r, s, V_PUBLIC_KEY))
    checks.true("public key recovered from the auth signature", V_PUBLIC_KEY in stark.recover_public_keys(auth, r, s))
    checks.eq("auth hash on mainnet chain id",
              ptd.auth_message_hash(V_ADDRESS, MAINNET, 1700000000, 1700000180), V_AUTH_HASH_MAINNET)
    checks.eq("onboarding hash", ptd.onboarding_message_hash(V_ADDRESS, TESTNET), V_ONBOARDING_HASH)
    checks.eq("order hash BTC-USD-PERP BUY LIMIT 0.1 @ 30000",
              ptd.order_message_hash(V_ADDRESS, TESTNET, 1700000000000, "BTC-USD-PERP", "BUY", "LIMIT", "0.1", "30000"),
              V_ORDER_HASH_BTC)
    checks.eq("order hash ETH-USD-PERP SELL MARKET 1.5",
              ptd.order_message_hash(V_ADDRESS, TESTNET, 1700000000000, "ETH-USD-PERP", "SELL", "MARKET", "1.5", None),
              V_ORDER_HASH_ETH)
    checks.eq("modify hash (BTC order + id)",
              ptd.modify_order_message_hash(V_ADDRESS, TESTNET, 1700000000000, "BTC-USD-PERP", "BUY", "LIMIT",
                                            "0.1", "30000", V_ORDER_ID),
              V_MODIFY_HASH)
    # Same vector through starknet-py, with ccxt's hex-encoded market.
    sn_btc = TypedData.from_dict(paradex_typed_data(TESTNET, "Order", {
        "timestamp": 1700000000000, "market": hex(ptd.short_string("BTC-USD-PERP")), "side": "1",
        "orderType": "LIMIT", "size": "10000000", "price": "3000000000000",
    })).message_hash(V_ADDRESS)
    checks.eq("order hash BTC via starknet-py (market as 0x-hex)", sn_btc, V_ORDER_HASH_BTC)


if __name__ == "__main__":
    sys.exit(main())
