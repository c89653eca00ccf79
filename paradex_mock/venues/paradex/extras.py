"""The rest of Paradex's REST API: account profile and settings, markets history and the
interactive book, system announcements and tiers, and simple persistent lifecycles for block
trades, RFQs, vaults, staking, XP transfers and referrals (create, list, get, cancel: state kept
per app, nothing settles on a chain). Shapes follow Paradex's OpenAPI spec."""
from __future__ import annotations

import hashlib
from decimal import Decimal

from flask import Blueprint, current_app

from . import views
from ...engine.errors import ExchangeError, excerpt
from ...engine.models import ORDER_TYPES
from ...engine.numbers import fmt, to_decimal
from ...http.errors import json_response
from .identity import current_account
from .markets import is_paradex, paradex_markets
from .params import bad_param, int_arg, paginate, str_arg
from .private import json_body

public_bp = Blueprint("extras_public", __name__)
private_bp = Blueprint("extras_private", __name__)

XP_FEE = Decimal("0.05")


class Store:
    def __init__(self):
        self.profiles = {}          # account -> profile dict
        self.settings = {}          # account -> settings dict
        self.compliance = {}        # account -> [actions]
        self.block_trades = {}      # id -> block trade
        self.offers = {}            # block id -> {offer id -> offer}
        self.rfqs = {}              # id -> rfq
        self.drafts = {}            # account -> {id -> draft}
        self.vaults = {}            # address -> vault
        self.xp_transfers = []      # oldest first
        self.counter = 0


def store() -> Store:
    vs = current_app.extensions["paradex_mock"].venue_state
    s = vs.get("paradex_extras")
    if s is None:
        s = vs["paradex_extras"] = Store()
    return s


def ex():
    return current_app.extensions["paradex_mock"].exchange


def now_ms() -> int:
    return ex().clock.now_ms()


def new_id(prefix: str = "") -> str:
    s = store()
    s.counter += 1
    return f"{prefix}{now_ms()}{s.counter:06d}"


def _market(sym):
    if not isinstance(sym, str) or not is_paradex(ex(), sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {sym!r} not found")
    return sym


# ================================================================ account profile and settings
def _profile(addr: str) -> dict:
    p = store().profiles.get(addr)
    if p is None:
        code = hashlib.sha256(addr.encode()).hexdigest()[:8]
        p = store().profiles[addr] = {
            "username": "", "is_username_private": True, "referral_code": code, "referred_by": "",
            "marketed_by": "", "size_currency_display": "BASE", "last_seen_notification": 0,
            "notifications": {"announcements": True, "fills": True, "orders": True, "transfers": True,
                              "fill_sound": True},
            "nfts": [], "twitter_following": {}, "tap_status": "", "ai_agent_url": "",
        }
    with ex().lock:
        acct = ex().account(addr)
        p["market_max_slippage"] = {m: fmt(v) for m, v in acct.max_slippage.items()}
    return p


@private_bp.get("/v1/account/profile")
def get_profile():
    return json_response(_profile(current_account()))


_PROFILE_STRINGS = ("username", "referral_code", "referred_by", "size_currency_display", "ai_agent_url",
                    "trading_value_display", "max_slippage", "tap_share_rate", "xp_share_rate")
_PROFILE_BOOLS = ("is_username_private", "announcements", "fills", "orders", "transfers", "fill_sound")


def _update_profile(addr: str, body: dict) -> dict:
    # every field of the spec's profile bodies is typed: a value of another type (null too) is a
    # 400, before anything is stored (a stored list would break every later profile answer)
    for key in _PROFILE_STRINGS + _PROFILE_BOOLS:
        if key in body and not isinstance(body[key], str if key in _PROFILE_STRINGS else bool):
            raise bad_param(key, f"must be a {'string' if key in _PROFILE_STRINGS else 'boolean'}")
    p = _profile(addr)
    for key in ("username", "is_username_private", "referral_code", "referred_by", "size_currency_display",
                "ai_agent_url"):
        if key in body and body[key] is not None:
            p[key] = body[key]
    for key in ("announcements", "fills", "orders", "transfers", "fill_sound"):
        if key in body and isinstance(body[key], bool):
            p["notifications"][key] = body[key]
    if body.get("trading_value_display"):
        store().settings.setdefault(addr, {})["trading_value_display"] = body["trading_value_display"]
    return _profile(addr)


@private_bp.put("/v1/account/profile")
def put_profile():
    return json_response(_update_profile(current_account(), json_body()))


@private_bp.post("/v1/account/profile/market_max_slippage/<path:market>")
def set_max_slippage(market):
    addr = current_account()
    _market(market)
    try:
        slip = to_decimal(json_body().get("max_slippage"))
    except ValueError:
        raise ExchangeError("VALIDATION_ERROR", "max_slippage must be a decimal string") from None
    if not 0 < slip <= 1:
        raise ExchangeError("VALIDATION_ERROR", "max_slippage must be above 0 and at most 1")
    e = ex()
    with e.lock:
        e.account(addr).max_slippage[market] = slip     # used by market orders' VWAP protection
    return json_response(_profile(addr))


@private_bp.post("/v1/account/profile/notifications")
def set_notifications():
    return json_response(_update_profile(current_account(), json_body()))


@private_bp.post("/v1/account/profile/notifications/last_seen")
def set_last_seen():
    addr = current_account()
    p = _profile(addr)
    p["last_seen_notification"] = now_ms()
    return json_response(p)


@private_bp.post("/v1/account/profile/referral_code")
def set_referral_code():
    addr = current_account()
    body = json_body(None) or {}
    code = body.get("referral_code") if isinstance(body, dict) else None
    if code is not None and (not isinstance(code, str) or not code):
        raise ExchangeError("INVALID_REFERRAL_CODE", "invalid referral code")
    return json_response(_update_profile(addr, {"referral_code": code} if code else {}))


@private_bp.post("/v1/account/profile/username")
def set_username():
    addr = current_account()
    body = json_body(None) or {}
    name = body.get("username") if isinstance(body, dict) else None
    if name:
        for other, p in store().profiles.items():
            if other != addr and p.get("username") == name:
                raise ExchangeError("USERNAME_IN_USE", f"username {name!r} is in use")
    return json_response(_update_profile(addr, {"username": name} if name else {}))


@private_bp.post("/v1/account/referrer")
def set_referrer():
    addr = current_account()
    body = json_body(None) or {}
    code = body.get("referral_code") or body.get("referred_by") if isinstance(body, dict) else None
    p = _profile(addr)
    if p["referred_by"]:
        raise ExchangeError("ACCOUNT_ALREADY_REFERRED", "account already has a referrer")
    if code:
        p["referred_by"] = code
    return json_response(p)


@private_bp.post("/v1/account/profile/size_currency_display")
def set_size_currency():
    body = json_body()
    if "size_currency_display" not in body:        # the one field this operation requires
        raise bad_param("size_currency_display", "is required")
    return json_response(_update_profile(current_account(), body))


@private_bp.post("/v1/account/profile/refresh_inventory")
def refresh_inventory():
    return json_response({"nfts": _profile(current_account())["nfts"]})


@private_bp.get("/v1/account/settings")
def get_settings():
    addr = current_account()
    return json_response({"trading_value_display": store().settings.get(addr, {}).get("trading_value_display",
                                                                                     "SPEND")})


@private_bp.post("/v1/account/settings/trading_value_display")
def set_trading_value_display():
    addr = current_account()
    value = json_body().get("trading_value_display")
    if not isinstance(value, str) or not value:
        raise ExchangeError("VALIDATION_ERROR", "trading_value_display is required")
    store().settings.setdefault(addr, {})["trading_value_display"] = value
    return json_response(_profile(addr))


@private_bp.get("/v1/account/history")
def account_history():
    """Account value (type=value) or PnL (type=pnl): the account now, one point (no history kept)."""
    addr = current_account()
    kind = str_arg("type", required=True, choices=("pnl", "value", "volume", "fee_savings"))
    e = ex()
    with e.lock:
        acct = e.account(addr)
        mg = e.margin(acct)
        value = {"value": mg.account_value, "pnl": mg.unrealized_pnl + sum(
            (p.realized_pnl for p in acct.positions.values()), Decimal(0)),
            "volume": sum((f.size * f.price for f in acct.fills), Decimal(0)), "fee_savings": Decimal(0)}[kind]
        return json_response({"data": [float(value)], "timestamps": [e.clock.now_ms() // 1000]})


@private_bp.get("/v1/account/subaccounts")
def subaccounts():
    current_account()
    return json_response({"results": []})


@private_bp.get("/v1/account/compliance")
def get_compliance():
    addr = current_account()
    return json_response({"results": store().compliance.get(addr, [])})


@private_bp.post("/v1/account/compliance")
def record_compliance():
    addr = current_account()
    body = json_body()
    kind, version = body.get("action_type"), body.get("action_version")
    if not isinstance(kind, str) or not kind or not isinstance(version, str) or not version:
        raise ExchangeError("VALIDATION_ERROR", "action_type and action_version are required")
    store().compliance.setdefault(addr, []).append({"action_type": kind, "action_version": version,
                                                    "created_at": now_ms()})
    return "", 200


@private_bp.post("/v1/account/paradigm/enable")
def paradigm_enable():
    addr = current_account()
    return json_response({"account": addr, "status": "ENABLED", "subkey_public_key": ""})


# ================================================================ markets and system
@public_bp.get("/v1/markets/history")
def markets_history():
    """Listing events: every market listed when the exchange started."""
    e = ex()
    return json_response({"results": [{"market": m.symbol, "event": "LISTED", "created_at": e.started_at}
                                      for m in paradex_markets(e)]})


@public_bp.get("/v1/markets/settlement-price")
def settlement_price():
    sym = str_arg("market", required=True)
    e = ex()
    if not is_paradex(e, sym):
        raise ExchangeError("MARKET_NOT_FOUND", f"market {sym!r} not found", 404)
    raise ExchangeError("MARKET_NOT_SETTLED", f"{sym} is a perpetual: it has no settlement price", 404)


@public_bp.get("/v1/orderbook/<market>/interactive")
def orderbook_interactive(market):
    from .public import _book_json
    from flask import Response
    depth = int_arg("depth", 20, 1, 1000)
    return Response(_book_json(ex(), _market(market), depth), content_type="application/json")


@public_bp.get("/v1/bbo/<market>/interactive")
def bbo_interactive(market):
    e = ex()
    return json_response(views.bbo(e.book_update(_market(market), 1)))


@public_bp.get("/v1/orderbook/<market>/impact-price")
def impact_price(market):
    """The average price of a market order of ``size`` against the book now."""
    e = ex()
    _market(market)
    raw = str_arg("size", required=True)
    side = str_arg("side", choices=("BUY", "SELL")) or "BUY"
    try:
        size = to_decimal(raw)
    except ValueError:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", f"invalid size {raw!r}") from None
    if size <= 0:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "size must be positive")
    u = e.book_update(market)
    levels = u.asks if side == "BUY" else u.bids
    left, notional = size, Decimal(0)
    for price, qty in levels:
        take = min(left, qty)
        notional += take * price
        left -= take
        if left <= 0:
            break
    if left > 0:
        raise ExchangeError("INVALID_REQUEST_PARAMETER", "size exceeds the book's depth")
    return json_response({"market": market, "side": side, "size": fmt(size),
                          "impact_price": views.q8(notional / size)})


@public_bp.get("/v1/system/announcements")
def announcements():
    int_arg("start_at", lo=0)
    int_arg("end_at", lo=0)
    return json_response(paginate([], lambda a: [a["visible_at"]]))


# Paradex docs, Risk -> Portfolio Margin: the 24 SCAN scenarios (spot shock, vol shock, weight),
# vega power 30% under 30 days to expiry and 13% from 30, a 1-day DTE floor, the minimum delta
# requirement (2% of net delta, 1% of hedged delta), MMR at 50% of the net requirement and a
# funding provision over the next 8 hours. min_vol_shock_up is the spec's example value.
PM_SCENARIOS = [(0.16, 0.4, 1), (0.12, 0.4, 1), (0.12, -0.22, 1), (0.08, 0.4, 1), (0.08, -0.22, 1),
                (0.04, 0.4, 1), (0.04, -0.22, 1), (0, 0.4, 1), (0, -0.22, 1), (-0.04, 0.4, 1),
                (-0.04, -0.22, 1), (-0.08, 0.4, 1), (-0.08, -0.22, 1), (-0.12, 0.4, 1), (-0.12, -0.22, 1),
                (-0.16, 0.4, 1), (-0.66, 0.4, 0.24), (-0.33, 0.4, 0.48), (0.5, 0.4, 0.32), (1, 0.4, 0.16),
                (2, 0.4, 0.08), (3, 0.4, 0.0533), (4, 0.4, 0.04), (5, 0.4, 0.032)]


def _pm_params(base: str) -> dict:
    return {"base_asset": base, "funding_provision_hour": 8, "hedged_margin_factor": 0.01,
            "unhedged_margin_factor": 0.02, "mmf_factor": 0.5,
            "scenarios": [{"spot_shock": s, "vol_shock": v, "weight": w} for s, v, w in PM_SCENARIOS],
            "vol_shock_params": {"dte_floor_days": 1, "min_vol_shock_up": 0.4, "vega_power_long_dte": 0.13,
                                 "vega_power_short_dte": 0.3}}


@public_bp.get("/v1/system/portfolio-margin-config")
def portfolio_margin_config():
    """Paradex's published portfolio margin parameters, one entry per base asset listed here (the
    mock margins every account cross, so they are information only)."""
    bases = list(dict.fromkeys(m.base for m in paradex_markets(ex()) if m.base))
    want = str_arg("base_asset")
    if want is not None:
        bases = [b for b in bases if b == want.upper()]
        if not bases:
            raise ExchangeError("PORTFOLIO_MARGIN_CONFIG_NOT_FOUND",
                                f"no portfolio margin config for base asset {want!r}", 404)
    return json_response({"results": [_pm_params(b) for b in bases]})


@private_bp.get("/v1/points_data/<market>/<program>")
def points_data(market, program):
    """Not in Paradex's OpenAPI spec (XP replaced points), but paradex-py 0.8.2's
    ``fetch_points_data`` still calls it: the mock answers as a program with nothing accrued."""
    current_account()
    _market(market)
    return json_response({"results": []})


@public_bp.get("/v1/system/volume-tiers")
def volume_tiers():
    """The fee tier the fixtures' markets charge (one tier: the mock has no volume discounts)."""
    e = ex()
    m = paradex_markets(e)[0]
    return json_response({"results": [{"tier_name": "Tier 1", "kind": "STANDARD", "sort_order": 1,
                                       "min_volume": "0", "min_volume_duration": "30d", "nft_min_volume": "0",
                                       "fee_rates": {"maker": fmt(m.maker_fee), "taker": fmt(m.taker_fee)}}]})


# ================================================================ block trades
def _block(block_id: str) -> dict:
    b = store().block_trades.get(block_id)
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
        d = {"market": _market(market)}
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


def _block_body(body: dict, initiator: str, kind: str, parent: str = "", counterparty: str = "") -> dict:
    trades = body.get("trades")
    if not isinstance(trades, dict) or not trades:
        raise ExchangeError("BLOCK_TRADE_MISSING_TRADES", "trades are required")
    _check_block_types(body, trades)
    now = now_ms()
    # stored and echoed back: only the spec's fields (an unknown key would be echoed as it came)
    trades = {m: {k: ({f: v for f, v in x.items() if f in _ORDER_FIELDS} if k.endswith("_order") else
                      {f: v for f, v in x.items() if f in _CONSTRAINTS} if k == "trade_constraints" else x)
                  for k, x in t.items() if k in _TRADE_FIELDS and x is not None} for m, t in trades.items()}
    return {"block_id": new_id(), "block_type": kind, "status": "CREATED" if not parent else "OFFER_COLLECTION",
            "initiator": initiator, "nonce": str(body.get("nonce", "")), "trades": _trade_details(trades, counterparty),
            "required_signers": list(body.get("required_signers") or []), "signatures": body.get("signatures") or {},
            "block_expiration": int(body.get("block_expiration") or now + 300_000), "parent_block_id": parent,
            "failure_reason": "", "created_at": now, "last_updated_at": now}


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
    s = store()

    def involves(b) -> bool:    # Paradex: the initiator, a required signer, or an offerer
        return addr == b["initiator"] or addr in b["required_signers"] or \
            any(o["initiator"] == addr for o in s.offers.get(b["block_id"], {}).values())
    status = str_arg("status", choices=("CREATED", "OFFER_COLLECTION", "READY_TO_EXECUTE", "EXECUTING", "COMPLETED",
                                        "CANCELLED"))
    market = str_arg("market")
    rows = [b for b in reversed(list(s.block_trades.values())) if involves(b)
            and (status is None or b["status"] == status) and (market is None or market in b["trades"])]
    return json_response(paginate(rows, lambda b: [b["created_at"], b["block_id"]]))


@private_bp.post("/v1/block-trades")
def create_block_trade():
    addr = current_account()
    b = _block_body(json_body(), addr, "DIRECT")
    store().block_trades[b["block_id"]] = b
    return json_response(b, 201)


@private_bp.get("/v1/block-trades/<block_id>")
def get_block_trade(block_id):
    current_account()
    return json_response(_block(block_id))


@private_bp.delete("/v1/block-trades/<block_id>")
def cancel_block_trade(block_id):
    current_account()
    b = _block(block_id)
    if b["status"] == "CANCELLED":
        raise ExchangeError("BLOCK_TRADE_ALREADY_CANCELLED", "block trade is already cancelled")
    if b["status"] == "COMPLETED":
        raise ExchangeError("BLOCK_TRADE_INVALID_STATUS", "block trade is completed")
    b["status"], b["last_updated_at"] = "CANCELLED", now_ms()
    return json_response({"block_id": block_id, "status": "CANCELLED"})


def _execute_block(b: dict) -> dict:
    if b["status"] in ("CANCELLED", "COMPLETED"):
        raise ExchangeError("BLOCK_TRADE_INVALID_STATUS", f"block trade is {b['status']}")
    if b["block_expiration"] < now_ms():
        raise ExchangeError("BLOCK_TRADE_EXPIRED", "block trade has expired")
    b["status"], b["last_updated_at"] = "COMPLETED", now_ms()
    return b


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
    return json_response({"results": list(store().offers.get(block_id, {}).values())})


@private_bp.post("/v1/block-trades/<block_id>/offers")
def create_block_offer(block_id):
    addr = current_account()
    parent = _block(block_id)
    if parent["status"] in ("CANCELLED", "COMPLETED"):
        raise ExchangeError("OFFER_PARENT_NOT_ACCEPTING", f"block trade is {parent['status']}")
    body = json_body()
    offer = _block_body(dict(body, required_signers=[body.get("offering_account") or addr]), addr,
                        "OFFER_BASED", parent=block_id, counterparty=parent["initiator"])
    store().offers.setdefault(block_id, {})[offer["block_id"]] = offer
    return json_response(offer, 201)


def _offer(block_id: str, offer_id: str) -> dict:
    _block(block_id)
    o = store().offers.get(block_id, {}).get(offer_id)
    if o is None:
        raise ExchangeError("OFFER_NOT_FOUND", f"offer {offer_id} not found", 404)
    return o


@private_bp.get("/v1/block-trades/<block_id>/offers/<offer_id>")
def get_block_offer(block_id, offer_id):
    current_account()
    return json_response(_offer(block_id, offer_id))


@private_bp.delete("/v1/block-trades/<block_id>/offers/<offer_id>")
def cancel_block_offer(block_id, offer_id):
    current_account()
    o = _offer(block_id, offer_id)
    if o["status"] == "CANCELLED":
        raise ExchangeError("OFFER_ALREADY_CANCELLED", "offer is already cancelled")
    o["status"], o["last_updated_at"] = "CANCELLED", now_ms()
    return json_response({"offer_id": offer_id, "status": "CANCELLED"})


@private_bp.post("/v1/block-trades/<block_id>/offers/<offer_id>/execute")
def execute_block_offer(block_id, offer_id):
    current_account()
    json_body()
    return json_response(_execute_block(_offer(block_id, offer_id)))


# ================================================================ RFQs
def _legs(body: dict) -> list:
    legs = body.get("legs")
    if not isinstance(legs, list) or not legs:
        raise ExchangeError("VALIDATION_ERROR", "legs are required")
    out = []
    for leg in legs:
        if not isinstance(leg, dict):
            raise ExchangeError("VALIDATION_ERROR", "every leg must be an object")
        _market(leg.get("market"))
        out.append({"market": leg["market"], "side": leg.get("side", "BUY"), "ratio": str(leg.get("ratio", "1"))})
    return out


def _rfq_body(body: dict) -> dict:
    legs = _legs(body)
    qty = body.get("quantity")
    try:
        if to_decimal(qty) <= 0:
            raise ValueError
    except ValueError:
        raise ExchangeError("VALIDATION_ERROR", "quantity must be a positive decimal string") from None
    now = now_ms()
    return {"id": new_id(), "legs": legs, "quantity": str(qty), "strategy": body.get("strategy") or "",
            "created_at": now, "updated_at": now}


def _publish_rfq(r: dict, operation: str, close_reason: str = "") -> None:
    """The RFQ's WS events (``rfq`` channel): the RESULT that acknowledges the REST command (its
    ``request_id`` is the 202's) and the RFQ's own new state, on the exchange's bus like any event."""
    e = ex()
    base = {"account": r["account"], "rfq_id": r["id"], "at": r["updated_at"]}
    with e.lock:    # under the exchange lock, so the events take their place in the bus's order
        e.bus.publish("rfq", dict(base, type="RESULT", operation=operation, request_id=r["id"],
                                  label=r.get("label", "")), None, r["account"])
        e.bus.publish("rfq", dict(base, type="RFQ", state="CLOSED" if close_reason else "OPENED",
                                  quantity=r["quantity"], close_reason=close_reason), None, r["account"])


@private_bp.get("/v1/rfqs")
def list_rfqs():
    addr = current_account()
    str_arg("state", choices=("OPEN", "CLOSED"))
    int_arg("page_size", lo=1)
    return json_response({"next": "", "results": [r for r in store().rfqs.values() if r["account"] == addr]})


@private_bp.post("/v1/rfqs")
def create_rfq():
    addr = current_account()
    r = _rfq_body(json_body())
    r.update(account=addr, state="OPEN", label=r.get("label", ""))
    store().rfqs[r["id"]] = r
    _publish_rfq(r, "RFQ_CREATE")
    return json_response({"request_id": r["id"], "accepted_at": r["created_at"]}, 202)


def _rfq(rfq_id: str, status: int = 404) -> dict:
    """``status``: what the operation's spec documents for an unknown RFQ (404, or only 400)."""
    r = store().rfqs.get(rfq_id)
    if r is None:
        raise ExchangeError("NOT_FOUND", f"rfq {rfq_id} not found", status)
    return r


@private_bp.delete("/v1/rfqs/<rfq_id>")
def cancel_rfq(rfq_id):
    current_account()
    r = _rfq(rfq_id, 400)
    r["state"], r["updated_at"] = "CANCELLED", now_ms()
    _publish_rfq(r, "RFQ_DELETE", "CANCELLED")
    return json_response({"request_id": rfq_id, "accepted_at": r["updated_at"]}, 202)


@private_bp.get("/v1/rfqs/<rfq_id>/bbo")
def rfq_bbo(rfq_id):
    """The RFQ's legs priced at the order books' best bid and ask now."""
    current_account()
    r = _rfq(rfq_id)
    e = ex()
    leg = r["legs"][0]
    st = e.stats(leg["market"])
    return json_response({"rfq_id": rfq_id, "created_at": now_ms(), "legs": [],
                          "best_bid_price": fmt(st.bid) if st.bid is not None else "",
                          "best_bid_quantity": fmt(st.bid_size) if st.bid is not None else "",
                          "best_ask_price": fmt(st.ask) if st.ask is not None else "",
                          "best_ask_quantity": fmt(st.ask_size) if st.ask is not None else "",
                          "mark_price": fmt(st.mark_price), "min_price": "", "max_price": ""})


@private_bp.post("/v1/rfqs/<rfq_id>/execute")
def execute_rfq(rfq_id):
    current_account()
    r = _rfq(rfq_id, 400)
    body = json_body()
    if body.get("side") not in ("BUY", "SELL") or not body.get("price") or not body.get("quantity"):
        raise ExchangeError("VALIDATION_ERROR", "price, quantity and side are required")
    if r["state"] != "OPEN":
        raise ExchangeError("REQUEST_NOT_ALLOWED", f"rfq is {r['state']}")
    r["state"], r["updated_at"] = "FILLED", now_ms()
    _publish_rfq(r, "RFQ_EXECUTE", "FILLED")
    return json_response({"request_id": rfq_id, "accepted_at": r["updated_at"]}, 202)


@private_bp.get("/v1/rfqs/drafts")
def list_drafts():
    addr = current_account()
    return json_response({"results": list(store().drafts.get(addr, {}).values())})


@private_bp.post("/v1/rfqs/drafts")
def create_draft():
    addr = current_account()
    d = _rfq_body(json_body())
    store().drafts.setdefault(addr, {})[d["id"]] = d
    return json_response(d, 201)


@private_bp.delete("/v1/rfqs/drafts/<draft_id>")
def delete_draft(draft_id):
    addr = current_account()
    if store().drafts.get(addr, {}).pop(draft_id, None) is None:
        raise ExchangeError("NOT_FOUND", f"draft {draft_id} not found", 404)
    return "", 204


# ================================================================ vaults
def _vault_view(v: dict) -> dict:
    return {k: v[k] for k in ("address", "name", "description", "owner_account", "operator_account", "status",
                              "kind", "profit_share", "lockup_period", "max_tvl", "created_at", "last_updated_at",
                              "strategies", "curator_name", "strategy_description", "token_address")}


@public_bp.get("/v1/vaults")
def list_vaults():
    addr = str_arg("address")
    rows = [_vault_view(v) for v in store().vaults.values() if addr in (None, v["address"])]
    return json_response({"results": rows})


@private_bp.post("/v1/vaults")
def create_vault():
    addr = current_account()
    body = json_body()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ExchangeError("VALIDATION_ERROR", "name is required")
    if any(v["name"] == name for v in store().vaults.values()):
        raise ExchangeError("VAULT_NAME_IN_USE", f"vault name {name!r} is in use")
    now = now_ms()
    address = "0x" + hashlib.sha256(f"vault:{addr}:{name}".encode()).hexdigest()[:63]
    v = {"address": address, "name": name, "description": body.get("description") or "", "owner_account": addr,
         "operator_account": addr, "status": "ACTIVE", "kind": "user",
         "profit_share": int(body.get("profit_share") or 10), "lockup_period": int(body.get("lockup_period") or 1),
         "max_tvl": int(body.get("max_tvl") or 0), "created_at": now, "last_updated_at": now,
         "strategies": [], "curator_name": body.get("curator_name") or "",
         "strategy_description": body.get("strategy_description") or "", "token_address": address}
    store().vaults[address] = v
    return json_response(_vault_view(v), 201)


def _vault(address: str, status: int = 400) -> dict:
    """``status``: what the operation's spec documents for an unknown vault (400; analytics 404)."""
    v = store().vaults.get(address or "")
    if v is None:
        raise ExchangeError("VAULT_NOT_FOUND", f"vault {excerpt(address)} not found", status)
    return v


@private_bp.get("/v1/vaults/mine")
def my_vaults():
    addr = current_account()
    return json_response({"results": [_vault_view(v) for v in store().vaults.values() if v["owner_account"] == addr]})


@public_bp.get("/v1/vaults/config")
def vaults_config():
    return json_response({"max_lockup_period_days": "4", "max_profit_share_percentage": "50",
                          "min_initial_deposit": "1000", "min_lockup_period_days": "1",
                          "min_owner_share_percentage": "5", "profit_share_period": "30d",
                          "vault_factory_address": "0x" + "0" * 63})


@public_bp.get("/v1/vaults/summary")
def vaults_summary():
    addr = str_arg("address")
    rows = [{"address": v["address"], "tvl": "0", "num_depositors": 0, "total_pnl": "0", "total_roi": "0",
             "vtoken_price": "1", "vtoken_supply": "0", "net_deposits": "0", "owner_equity": "0", "volume": "0"}
            for v in store().vaults.values() if addr in (None, v["address"])]
    return json_response({"results": rows})


@private_bp.get("/v1/vaults/account-summary")
def vaults_account_summary():
    addr = current_account()
    return json_response({"results": [{"address": v["address"], "created_at": v["created_at"],
                                       "deposited_amount": "0", "vtoken_amount": "0", "total_pnl": "0",
                                       "total_roi": "0", "is_vault_owner": v["owner_account"] == addr}
                                      for v in store().vaults.values() if v["owner_account"] == addr]})


@public_bp.get("/v1/vaults/analytics")
def vaults_analytics():
    v = _vault(str_arg("address", required=True), 404)
    return json_response({"address": v["address"], "as_of": str(now_ms()), "substrategies": []})


@public_bp.get("/v1/vaults/balance")
def vaults_balance():
    _vault(str_arg("address", required=True))
    return json_response({"results": [{"token": "USDC", "size": "0", "last_updated_at": now_ms()}]})


@public_bp.get("/v1/vaults/history")
def vaults_history():
    v = _vault(str_arg("address", required=True))
    str_arg("type", required=True)
    str_arg("resolution", required=True)
    return json_response({"results": [{"address": v["address"], "data": [0.0], "timestamps": [now_ms() // 1000]}]})


@public_bp.get("/v1/vaults/positions")
def vaults_positions():
    _vault(str_arg("address", required=True))
    return json_response({"results": []})


@public_bp.get("/v1/vaults/transfers")
def vaults_transfers():
    _vault(str_arg("address", required=True))
    return json_response({"results": []})


# ================================================================ staking
@public_bp.get("/v1/staking/config")
def staking_config():
    return json_response({"dime_fee_discount_pct": "0", "tiers": []})


@private_bp.get("/v1/staking/summary")
def staking_summary():
    addr = current_account()
    return json_response({"account": addr, "active_stakes": 0, "staking_tier": "", "total_staked": "0"})


@private_bp.get("/v1/staking/history")
def staking_history():
    current_account()
    return json_response({"results": []})


@private_bp.get("/v1/staking/balance/history")
def staking_balance_history():
    current_account()
    str_arg("resolution", required=True, choices=("alltime", "1h", "8h"))
    return json_response({"data": [0.0], "timestamps": [now_ms() // 1000]})


@public_bp.get("/v1/staking/balance/history/global")
def staking_balance_history_global():
    str_arg("resolution", required=True, choices=("alltime", "1h", "8h"))
    return json_response({"data": [0.0], "timestamps": [now_ms() // 1000]})


# ================================================================ XP
def _xp_balance(addr: str) -> int:
    s = store()
    out = sum(t["amount"] + t["fee"] for t in s.xp_transfers if t["sender"] == addr)
    got = sum(t["amount"] for t in s.xp_transfers if t["recipient"] == addr)
    return got - out


@private_bp.get("/v1/xp/account-balance")
def xp_balance():
    bal = _xp_balance(current_account())
    return json_response({"earned_xp": 0, "transferrable_xp": max(bal, 0), "xp_delta": bal})


@public_bp.get("/v1/xp/fee-config")
def xp_fee_config():
    return json_response({"fee_percentage": float(XP_FEE)})


@private_bp.post("/v1/xp/transfer")
def xp_transfer():
    addr = current_account()
    body = json_body()
    amount, recipient = body.get("amount"), body.get("recipient")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or not isinstance(recipient, str):
        raise ExchangeError("VALIDATION_ERROR", "amount (a positive integer) and recipient are required")
    fee = int(amount * XP_FEE)
    if _xp_balance(addr) < amount + fee:
        raise ExchangeError("INSUFFICIENT_TRANSFERRABLE_XP", "not enough transferrable XP (the mock awards none)")
    t = {"id": new_id(), "sender": addr, "recipient": recipient, "amount": amount, "fee": fee,
         "is_private": bool(body.get("is_private")), "season": body.get("season") or "", "created_at": now_ms()}
    store().xp_transfers.append(t)
    return json_response({"transfer": t}, 201)


@public_bp.get("/v1/xp/transfer/<transfer_id>")
def xp_transfer_by_id(transfer_id):
    t = next((t for t in store().xp_transfers if t["id"] == transfer_id), None)
    if t is None:
        raise ExchangeError("NOT_FOUND", f"transfer {transfer_id} not found", 404)
    return json_response(t)


@private_bp.get("/v1/xp/transfers")
def xp_transfers():
    addr = current_account()
    role = str_arg("role", choices=("sender", "recipient"))
    rows = [t for t in reversed(store().xp_transfers)
            if (addr == t["sender"] and role != "recipient") or (addr == t["recipient"] and role != "sender")]
    return json_response(paginate(rows, lambda t: [t["created_at"], t["id"]]))


@public_bp.get("/v1/xp/public-transfers")
def xp_public_transfers():
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    rows = [t for t in reversed(store().xp_transfers) if not t["is_private"]
            and (start is None or t["created_at"] >= start) and (end is None or t["created_at"] <= end)]
    return json_response(paginate(rows, lambda t: [t["created_at"], t["id"]], max_page=50, default_page=50))


# ================================================================ referrals
@private_bp.get("/v1/referrals/summary")
def referrals_summary():
    addr = current_account()
    code = _profile(addr)["referral_code"]
    rows = [{"address": a, "referral_code": code, "created_at": now_ms(), "referral_rewards": "0",
             "volume_traded": "0"} for a, p in store().profiles.items() if p.get("referred_by") == code]
    return json_response({"results": rows})


@private_bp.get("/v1/referrals/qr-code")
def referrals_qr_code():
    """A PNG (Paradex: the referral link as a QR code; here a blank 21x21 image, the size of a
    version-1 QR code: no QR encoder is bundled)."""
    import struct
    import zlib
    from flask import Response
    _profile(current_account())
    w = h = 21

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff" * w for _ in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return Response(png, content_type="image/png")
