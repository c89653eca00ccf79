"""Rewards: staking (config, summary, history: nothing is staked), XP (balances and transfers
between accounts, less the transfer fee; the mock awards no XP, so a balance comes only from a
transfer received) and referrals (who named this account's code, and its QR code)."""
from __future__ import annotations

import struct
import zlib
from dataclasses import asdict
from decimal import Decimal

from flask import Response

from ....engine.errors import ExchangeError
from ....http.errors import json_response
from ..identity import current_account
from ..params import int_arg, paginate, str_arg
from ..request_body import json_body
from .common import new_id, now_ms, private_bp, public_bp
from .profile import profile
from .state import XpTransfer, store

XP_FEE = Decimal("0.05")


# ---------------------------------------------------------------- staking
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


# ---------------------------------------------------------------- XP
def _transfers() -> list:
    return store().xp.transfers


def _xp_balance(addr: str) -> int:
    out = sum(t.amount + t.fee for t in _transfers() if t.sender == addr)
    got = sum(t.amount for t in _transfers() if t.recipient == addr)
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
    t = XpTransfer(id=new_id(), sender=addr, recipient=recipient, amount=amount, fee=fee,
                   is_private=bool(body.get("is_private")), season=body.get("season") or "", created_at=now_ms())
    _transfers().append(t)
    return json_response({"transfer": asdict(t)}, 201)


@public_bp.get("/v1/xp/transfer/<transfer_id>")
def xp_transfer_by_id(transfer_id):
    t = next((t for t in _transfers() if t.id == transfer_id), None)
    if t is None:
        raise ExchangeError("NOT_FOUND", f"transfer {transfer_id} not found", 404)
    return json_response(asdict(t))


@private_bp.get("/v1/xp/transfers")
def xp_transfers():
    addr = current_account()
    role = str_arg("role", choices=("sender", "recipient"))
    rows = [t for t in reversed(_transfers())
            if (addr == t.sender and role != "recipient") or (addr == t.recipient and role != "sender")]
    return json_response(paginate(rows, lambda t: [t.created_at, t.id], asdict))


@public_bp.get("/v1/xp/public-transfers")
def xp_public_transfers():
    start, end = int_arg("start_at", lo=0), int_arg("end_at", lo=0)
    rows = [t for t in reversed(_transfers()) if not t.is_private
            and (start is None or t.created_at >= start) and (end is None or t.created_at <= end)]
    return json_response(paginate(rows, lambda t: [t.created_at, t.id], asdict, max_page=50, default_page=50))


# ---------------------------------------------------------------- referrals
@private_bp.get("/v1/referrals/summary")
def referrals_summary():
    addr = current_account()
    code = profile(addr).referral_code
    rows = [{"address": a, "referral_code": code, "created_at": now_ms(), "referral_rewards": "0",
             "volume_traded": "0"} for a, p in store().profile.profiles.items() if p.referred_by == code]
    return json_response({"results": rows})


@private_bp.get("/v1/referrals/qr-code")
def referrals_qr_code():
    """A PNG (Paradex: the referral link as a QR code; here a blank 21x21 image, the size of a
    version-1 QR code: no QR encoder is bundled)."""
    profile(current_account())
    w = h = 21

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff" * w for _ in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return Response(png, content_type="image/png")
