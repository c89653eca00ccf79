"""Block trades (``/block-trades``): a direct block trade between named signers, or one that
collects offers (``/offers``), each an OFFER_BASED block of its own; created, listed, cancelled
and executed (COMPLETED at once: nothing settles). A block is stored as the request's spec
fields, checked for their types first, and echoed back in the response's shape."""
from __future__ import annotations

from dataclasses import asdict

from ....engine.errors import ExchangeError, excerpt
from ....engine.models import ORDER_TYPES
from ....http.errors import json_response
from ..identity import current_account
from ..params import bad_param, paginate, str_arg
from ..request_body import json_body
from .common import known_market, new_id, now_ms, private_bp
from .state import BlockTrade, store


def _blocks():
    return store().block_trades


def _block(block_id: str) -> BlockTrade:
    b = _blocks().trades.get(block_id)
    if b is None:
        raise ExchangeError("BLOCK_TRADE_NOT_FOUND", f"block trade {block_id} not found", 404)
    return b


def _trade_details(trades: dict, counterparty: str = "") -> dict:
    """Request trades in the response's shape (BlockTradeDetailResponse): what a client re-signs
    at execution. An offer's ``offerer_order`` is its maker order, and the side it offers to is
    the parent's initiator (``counterparty``), the opposite order at the offered price and size."""
    out = {}
    for market, t in trades.items():
        if not isinstance(t, dict):
            raise ExchangeError("VALIDATION_ERROR", f"trade for {market!r} must be an object")
        d = {"market": known_market(market)}
        d.update({k: t[k] for k in ("price", "size", "maker_order", "taker_order", "trade_constraints")
                  if isinstance(t.get(k), (str, dict))})
        offered = t.get("offerer_order")
        if isinstance(offered, dict):
            d["maker_order"] = offered
            d["taker_order"] = {"account": counterparty, "market": market,
                                "side": "BUY" if offered.get("side") == "SELL" else "SELL",
                                "type": offered.get("type", "LIMIT"), "size": t.get("size", offered.get("size", "")),
                                "price": t.get("price", offered.get("price", ""))}
        for role in ("maker", "taker"):
            if isinstance(d.get(f"{role}_order"), dict) and d[f"{role}_order"].get("account"):
                d[f"{role}_account"] = d[f"{role}_order"]["account"]
        out[market] = d
    return out


def _block_body(body: dict, initiator: str, kind: str, parent: str = "", counterparty: str = "") -> BlockTrade:
    trades = body.get("trades")
    if not isinstance(trades, dict) or not trades:
        raise ExchangeError("BLOCK_TRADE_MISSING_TRADES", "trades are required")
    _check_block_types(body, trades)
    now = now_ms()
    # stored and echoed back: only the spec's fields (an unknown key would be echoed as it came)
    trades = {m: {k: ({f: v for f, v in x.items() if f in _ORDER_FIELDS} if k.endswith("_order") else
                      {f: v for f, v in x.items() if f in _CONSTRAINTS} if k == "trade_constraints" else x)
                  for k, x in t.items() if k in _TRADE_FIELDS and x is not None} for m, t in trades.items()}
    return BlockTrade(
        block_id=new_id(), block_type=kind, status="CREATED" if not parent else "OFFER_COLLECTION",
        initiator=initiator, nonce=str(body.get("nonce", "")), trades=_trade_details(trades, counterparty),
        required_signers=list(body.get("required_signers") or []), signatures=body.get("signatures") or {},
        block_expiration=int(body.get("block_expiration") or now + 300_000), parent_block_id=parent,
        failure_reason="", created_at=now, last_updated_at=now)


_TRADE_FIELDS = ("maker_order", "taker_order", "offerer_order", "price", "size", "trade_constraints")
_ORDER_FIELDS = ("account", "client_id", "flags", "market", "price", "side", "signature", "signature_timestamp",
                 "size", "type")
_CONSTRAINTS = ("max_price", "max_size", "min_price", "min_size")


def _check_block_types(body: dict, trades: dict) -> None:
    """The request's fields have the spec's types (BlockTradeRequest, BlockTradeInfo,
    BlockTradeOrder): a block is stored and echoed back, so nothing of another type gets in."""
    def want(ok: bool, name: str, kind: str) -> None:
        if not ok:
            raise bad_param(name, f"must be {kind}")

    def opt(d: dict, key: str, default):
        # an optional field sent as null is absent (paradex-py sends client_id: null and the like)
        v = d.get(key)
        return default if v is None else v
    exp = body.get("block_expiration")
    want(exp is None or (isinstance(exp, int) and not isinstance(exp, bool)), "block_expiration", "an integer")
    want(isinstance(opt(body, "nonce", ""), str), "nonce", "a string")
    signers = opt(body, "required_signers", [])
    want(isinstance(signers, list) and all(isinstance(s, str) for s in signers), "required_signers",
         "a list of strings")
    sigs = opt(body, "signatures", {})
    want(isinstance(sigs, dict) and all(isinstance(x, dict) for x in sigs.values()), "signatures", "an object")
    for x in sigs.values():
        want(x.get("signature_type", "STARKNET") in ("STARKNET",), "signature_type", "STARKNET")
    for market, t in trades.items():
        want(isinstance(t, dict), f"trades.{excerpt(market)}", "an object")
        for key in ("price", "size"):
            want(isinstance(opt(t, key, ""), str), f"trades.{excerpt(market)}.{key}", "a string")
        for leg in ("maker_order", "taker_order"):
            o = opt(t, leg, {})
            want(isinstance(o, dict), f"{leg}", "an object")
            want(opt(o, "side", "BUY") in ("BUY", "SELL"), f"{leg}.side", "BUY or SELL")
            want(opt(o, "type", "LIMIT") in ORDER_TYPES, f"{leg}.type", "an order type")
            for key in ("price", "size", "client_id", "market", "account", "signature"):
                want(isinstance(opt(o, key, ""), str), f"{leg}.{key}", "a string")
            ts = opt(o, "signature_timestamp", 0)
            want(isinstance(ts, int) and not isinstance(ts, bool), f"{leg}.signature_timestamp", "an integer")
            flags = opt(o, "flags", [])
            want(isinstance(flags, list) and all(isinstance(f, str) for f in flags), f"{leg}.flags",
                 "a list of strings")
        c = opt(t, "trade_constraints", {})
        want(isinstance(c, dict) and all(isinstance(opt(c, k, ""), str) for k in
                                          ("max_price", "max_size", "min_price", "min_size")),
             "trade_constraints", "an object of strings")


@private_bp.get("/v1/block-trades")
def block_trades():
    addr = current_account()
    s = _blocks()

    def involves(b: BlockTrade) -> bool:    # Paradex: the initiator, a required signer, or an offerer
        return addr == b.initiator or addr in b.required_signers or \
            any(o.initiator == addr for o in s.offers.get(b.block_id, {}).values())
    status = str_arg("status", choices=("CREATED", "OFFER_COLLECTION", "READY_TO_EXECUTE", "EXECUTING", "COMPLETED",
                                        "CANCELLED"))
    market = str_arg("market")
    rows = [b for b in reversed(list(s.trades.values())) if involves(b)
            and (status is None or b.status == status) and (market is None or market in b.trades)]
    return json_response(paginate(rows, lambda b: [b.created_at, b.block_id], asdict))


@private_bp.post("/v1/block-trades")
def create_block_trade():
    addr = current_account()
    b = _block_body(json_body(), addr, "DIRECT")
    _blocks().trades[b.block_id] = b
    return json_response(asdict(b), 201)


@private_bp.get("/v1/block-trades/<block_id>")
def get_block_trade(block_id):
    current_account()
    return json_response(asdict(_block(block_id)))


@private_bp.delete("/v1/block-trades/<block_id>")
def cancel_block_trade(block_id):
    current_account()
    b = _block(block_id)
    if b.status == "CANCELLED":
        raise ExchangeError("BLOCK_TRADE_ALREADY_CANCELLED", "block trade is already cancelled")
    if b.status == "COMPLETED":
        raise ExchangeError("BLOCK_TRADE_INVALID_STATUS", "block trade is completed")
    b.status, b.last_updated_at = "CANCELLED", now_ms()
    return json_response({"block_id": block_id, "status": "CANCELLED"})


def _execute_block(b: BlockTrade) -> dict:
    if b.status in ("CANCELLED", "COMPLETED"):
        raise ExchangeError("BLOCK_TRADE_INVALID_STATUS", f"block trade is {b.status}")
    if b.block_expiration < now_ms():
        raise ExchangeError("BLOCK_TRADE_EXPIRED", "block trade has expired")
    b.status, b.last_updated_at = "COMPLETED", now_ms()
    return asdict(b)


@private_bp.post("/v1/block-trades/<block_id>/execute")
def execute_block_trade(block_id):
    current_account()
    body = json_body()
    if not body.get("execution_nonce"):
        raise ExchangeError("VALIDATION_ERROR", "execution_nonce is required")
    return json_response(_execute_block(_block(block_id)))


@private_bp.get("/v1/block-trades/<block_id>/offers")
def block_offers(block_id):
    current_account()
    _block(block_id)
    return json_response({"results": [asdict(o) for o in _blocks().offers.get(block_id, {}).values()]})


@private_bp.post("/v1/block-trades/<block_id>/offers")
def create_block_offer(block_id):
    addr = current_account()
    parent = _block(block_id)
    if parent.status in ("CANCELLED", "COMPLETED"):
        raise ExchangeError("OFFER_PARENT_NOT_ACCEPTING", f"block trade is {parent.status}")
    body = json_body()
    offer = _block_body(dict(body, required_signers=[body.get("offering_account") or addr]), addr,
                        "OFFER_BASED", parent=block_id, counterparty=parent.initiator)
    _blocks().offers.setdefault(block_id, {})[offer.block_id] = offer
    return json_response(asdict(offer), 201)


def _offer(block_id: str, offer_id: str) -> BlockTrade:
    _block(block_id)
    o = _blocks().offers.get(block_id, {}).get(offer_id)
    if o is None:
        raise ExchangeError("OFFER_NOT_FOUND", f"offer {offer_id} not found", 404)
    return o


@private_bp.get("/v1/block-trades/<block_id>/offers/<offer_id>")
def get_block_offer(block_id, offer_id):
    current_account()
    return json_response(asdict(_offer(block_id, offer_id)))


@private_bp.delete("/v1/block-trades/<block_id>/offers/<offer_id>")
def cancel_block_offer(block_id, offer_id):
    current_account()
    o = _offer(block_id, offer_id)
    if o.status == "CANCELLED":
        raise ExchangeError("OFFER_ALREADY_CANCELLED", "offer is already cancelled")
    o.status, o.last_updated_at = "CANCELLED", now_ms()
    return json_response({"offer_id": offer_id, "status": "CANCELLED"})


@private_bp.post("/v1/block-trades/<block_id>/offers/<offer_id>/execute")
def execute_block_offer(block_id, offer_id):
    current_account()
    json_body()
    return json_response(_execute_block(_offer(block_id, offer_id)))
