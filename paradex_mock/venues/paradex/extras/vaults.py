"""Vaults (``/vaults``): created by an account (ACTIVE at once, its address derived from owner and
name), listed, summarised and analysed. Nothing is deposited: every balance, TVL and PnL is zero."""
from __future__ import annotations

import hashlib
from dataclasses import asdict

from ....engine.errors import ExchangeError, excerpt
from ....http.errors import json_response
from ..identity import current_account
from ..params import str_arg
from ..request_body import json_body
from .common import now_ms, private_bp, public_bp
from .state import Vault, store


def _vaults() -> dict:
    return store().vaults.vaults


@public_bp.get("/v1/vaults")
def list_vaults():
    addr = str_arg("address")
    rows = [asdict(v) for v in _vaults().values() if addr in (None, v.address)]
    return json_response({"results": rows})


@private_bp.post("/v1/vaults")
def create_vault():
    addr = current_account()
    body = json_body()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ExchangeError("VALIDATION_ERROR", "name is required")
    if any(v.name == name for v in _vaults().values()):
        raise ExchangeError("VAULT_NAME_IN_USE", f"vault name {name!r} is in use")
    now = now_ms()
    address = "0x" + hashlib.sha256(f"vault:{addr}:{name}".encode()).hexdigest()[:63]
    v = Vault(address=address, name=name, description=body.get("description") or "", owner_account=addr,
              operator_account=addr, status="ACTIVE", kind="user", profit_share=int(body.get("profit_share") or 10),
              lockup_period=int(body.get("lockup_period") or 1), max_tvl=int(body.get("max_tvl") or 0),
              created_at=now, last_updated_at=now, strategies=[], curator_name=body.get("curator_name") or "",
              strategy_description=body.get("strategy_description") or "", token_address=address)
    _vaults()[address] = v
    return json_response(asdict(v), 201)


def _vault(address: str, status: int = 400) -> Vault:
    """``status``: what the operation's spec documents for an unknown vault (400; analytics 404)."""
    v = _vaults().get(address or "")
    if v is None:
        raise ExchangeError("VAULT_NOT_FOUND", f"vault {excerpt(address)} not found", status)
    return v


@private_bp.get("/v1/vaults/mine")
def my_vaults():
    addr = current_account()
    return json_response({"results": [asdict(v) for v in _vaults().values() if v.owner_account == addr]})


@public_bp.get("/v1/vaults/config")
def vaults_config():
    return json_response({"max_lockup_period_days": "4", "max_profit_share_percentage": "50",
                          "min_initial_deposit": "1000", "min_lockup_period_days": "1",
                          "min_owner_share_percentage": "5", "profit_share_period": "30d",
                          "vault_factory_address": "0x" + "0" * 63})


@public_bp.get("/v1/vaults/summary")
def vaults_summary():
    addr = str_arg("address")
    rows = [{"address": v.address, "tvl": "0", "num_depositors": 0, "total_pnl": "0", "total_roi": "0",
             "vtoken_price": "1", "vtoken_supply": "0", "net_deposits": "0", "owner_equity": "0", "volume": "0"}
            for v in _vaults().values() if addr in (None, v.address)]
    return json_response({"results": rows})


@private_bp.get("/v1/vaults/account-summary")
def vaults_account_summary():
    addr = current_account()
    return json_response({"results": [{"address": v.address, "created_at": v.created_at,
                                       "deposited_amount": "0", "vtoken_amount": "0", "total_pnl": "0",
                                       "total_roi": "0", "is_vault_owner": v.owner_account == addr}
                                      for v in _vaults().values() if v.owner_account == addr]})


@public_bp.get("/v1/vaults/analytics")
def vaults_analytics():
    v = _vault(str_arg("address", required=True), 404)
    return json_response({"address": v.address, "as_of": str(now_ms()), "substrategies": []})


@public_bp.get("/v1/vaults/balance")
def vaults_balance():
    _vault(str_arg("address", required=True))
    return json_response({"results": [{"token": "USDC", "size": "0", "last_updated_at": now_ms()}]})


@public_bp.get("/v1/vaults/history")
def vaults_history():
    v = _vault(str_arg("address", required=True))
    str_arg("type", required=True)
    str_arg("resolution", required=True)
    return json_response({"results": [{"address": v.address, "data": [0.0], "timestamps": [now_ms() // 1000]}]})


@public_bp.get("/v1/vaults/positions")
def vaults_positions():
    _vault(str_arg("address", required=True))
    return json_response({"results": []})


@public_bp.get("/v1/vaults/transfers")
def vaults_transfers():
    _vault(str_arg("address", required=True))
    return json_response({"results": []})
