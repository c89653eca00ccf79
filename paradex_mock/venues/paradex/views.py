"""Paradex's wire shapes: the one place that turns engine objects and events into the JSON
dicts REST returns and the WS channels push. Decimals become strings, timestamps integer milliseconds,
unset decimals "" (as Paradex sends them)."""
from __future__ import annotations

import json
import weakref
from decimal import Decimal
from typing import TYPE_CHECKING

from ...engine.numbers import ZERO, fmt
from .errors import cancel_reason

Q8 = Decimal("1e-8")


def q8(d) -> str:
    """A derived amount (an average price, an unrealized PnL, a margin figure: quotients and
    products with up to 40 digits inside) as Paradex prints it: at most 8 decimal places. Ledger
    amounts (balance, fees, realized PnL, funding payments) are exact already and print as kept."""
    if d is None:
        return ""
    return fmt(d.quantize(Q8))


def q12(d) -> str:
    """A funding index (Paradex prints up to 12 decimal places of it)."""
    return fmt(d.quantize(Decimal("1e-12")))

if TYPE_CHECKING:  # pragma: no cover
    from ...engine.events import AccountUpdate, BalanceChange, BookUpdate, FundingSample, MarketStats, PositionUpdate
    from ...engine.models import Account, Fill, FundingPayment, Order, Trade


def order(o: "Order") -> dict:
    filled = o.size - o.remaining
    return {
        "id": o.id,
        "account": o.account,
        "market": o.market,
        "side": o.side,
        "type": o.type,
        "size": fmt(o.size),
        "remaining_size": fmt(o.remaining),
        "price": fmt(o.price),
        "avg_fill_price": q8(o.filled_notional / filled) if filled > 0 else "",   # Order.avg_fill_price
        "status": o.status,
        "cancel_reason": o.cancel_reason,
        "client_id": o.client_id,
        "instruction": o.instruction,
        "flags": list(o.flags),
        "stp": o.stp,
        "trigger_price": fmt(o.trigger_price),
        "timestamp": o.timestamp,
        "created_at": o.created_at,
        "last_updated_at": o.last_updated_at,
        "received_at": o.received_at,
        "published_at": o.published_at,
        "seq_no": o.seq_no,
    }


def trade(t: "Trade") -> dict:
    return {"id": t.id, "market": t.market, "side": t.side, "size": fmt(t.size), "price": fmt(t.price),
            "created_at": t.created_at, "trade_type": t.trade_type}


def fill(f: "Fill") -> dict:
    return {
        "id": f.id, "account": f.account, "market": f.market, "order_id": f.order_id,
        "client_id": f.client_id, "side": f.side, "liquidity": f.liquidity, "price": fmt(f.price),
        "size": fmt(f.size), "remaining_size": fmt(f.remaining_size), "fee": fmt(f.fee),
        "fee_currency": "USDC", "created_at": f.created_at, "fill_type": f.fill_type, "flags": [],
        "realized_pnl": fmt(f.realized_pnl), "realized_funding": fmt(f.realized_funding),
        "underlying_price": fmt(f.underlying_price), "orderbook_seq_no": f.orderbook_seq_no,
    }


def position(u: "PositionUpdate") -> dict:
    p = u.position
    mark = u.mark_price
    unrealized_funding = -p.size * (u.funding_index - p.cached_funding_index) if p.size else ZERO
    unrealized = p.size * (mark - p.avg_entry) + unrealized_funding if p.size else ZERO
    liq = u.liquidation_price
    cost = p.size * p.avg_entry
    return {
        "id": f"{p.account}-{p.market}",
        "account": p.account,
        "market": p.market,
        "status": p.status,
        "side": "SHORT" if p.size < 0 else "LONG",
        "size": fmt(p.size),
        "average_entry_price": q8(p.avg_entry) if p.size else "0",
        "average_entry_price_usd": q8(p.avg_entry) if p.size else "0",
        "average_exit_price": q8(p.avg_exit),
        "cost": q8(cost),
        "cost_usd": q8(cost),
        "unrealized_pnl": q8(unrealized),
        "unrealized_funding_pnl": q8(unrealized_funding),
        "realized_positional_pnl": fmt(p.realized_pnl),
        "realized_positional_funding_pnl": fmt(p.realized_funding),
        "cached_funding_index": q12(p.cached_funding_index),
        "leverage": str(u.leverage) if p.size and u.leverage else "0",
        "liquidation_price": fmt(liq) if liq is not None else "",
        "last_fill_id": p.last_fill_id,
        "created_at": p.created_at,
        "closed_at": p.closed_at if p.size == 0 else 0,
        "last_updated_at": p.last_updated_at,
        "seq_no": p.seq_no,
    }


def balance(acct: "Account") -> dict:
    # USDC is the settlement token, valued at 1 USD (as balance_events' settlement_asset_price): its
    # cost is its size and its average entry price 1. The mock lists no spot markets, so USDC is
    # the only balance there is.
    size = fmt(acct.balance)
    return {"token": "USDC", "size": size, "last_updated_at": acct.balance_updated_at,
            "cost": size, "cost_usd": size, "average_entry_price": "1", "average_entry_price_usd": "1"}


def account_summary(u: "AccountUpdate") -> dict:
    mg = u.margin
    return {
        "account": u.address,
        "account_value": q8(mg.account_value),
        "free_collateral": q8(mg.free_collateral),
        "initial_margin_requirement": q8(mg.initial_margin_requirement),
        "maintenance_margin_requirement": q8(mg.maintenance_margin_requirement),
        "margin_cushion": q8(mg.margin_cushion),
        "total_collateral": q8(mg.total_collateral),
        "settlement_asset": "USDC",
        "status": mg.status,
        "updated_at": u.updated_at,
        "seq_no": u.seq_no,
        "last_seen_notification": 0,
    }


def balance_event(c: "BalanceChange") -> dict:
    f = c.fill
    return {
        "type": "TRANSACTION_FILL", "fill_id": f.id, "market": f.market, "status": "ON_BLOCKCHAIN",
        "settlement_asset_name": "USDC",
        "settlement_asset_address": "0x6f373b346561036d98ea10fb3e60d2f459c872b1933b50b21fe6ef4fda3b75e",
        "settlement_asset_balance_before": fmt(c.before), "settlement_asset_balance_after": fmt(c.after),
        "settlement_asset_price": "1", "funding_index": q12(c.funding_index),
        "realized_pnl": fmt(f.realized_pnl), "fees": fmt(f.fee), "realized_funding": fmt(f.realized_funding),
        "created_at": f.created_at,
    }


def funding_payment(fp: "FundingPayment") -> dict:
    return {"id": fp.id, "account": fp.account, "market": fp.market, "payment": fmt(fp.payment),
            "index": q12(fp.index), "fill_id": fp.fill_id, "created_at": fp.created_at}


def funding_data(f: "FundingSample") -> dict:
    return {
        "market": f.market,
        "funding_index": fmt(f.funding_index),
        "funding_premium": fmt(f.funding_premium),
        "funding_rate": fmt(f.funding_rate),
        "funding_rate_8h": fmt(f.funding_rate_8h),
        "funding_period_hours": f.funding_period_hours,
        "created_at": f.created_at,
    }


# (market, side) -> {price: (total, [price string, size string])}: the levels the last view of
# that side rendered. A book is published on every change, and most changes touch one level, so
# the others' strings are reused (and shared between views: treat them as read-only).
_wire_levels: dict = {}


def _levels(market: str, side: str, rows, depth: int) -> list:
    key = (market, side)
    last = _wire_levels.get(key) or {}
    now = {}
    out = []
    for p, total in rows[:depth]:
        entry = last.get(p)
        if entry is None or entry[0] != total:
            entry = (total, [fmt(p), fmt(total)])
        now[p] = entry
        out.append(entry[1])
    _wire_levels[key] = now     # only the levels shown now: the cache never outgrows the view
    return out


def orderbook(u: "BookUpdate", depth: int) -> dict:
    bids = _levels(u.market, "bids", u.bids, depth)
    asks = _levels(u.market, "asks", u.asks, depth)
    best_bid = bids[0] if bids else []
    best_ask = asks[0] if asks else []
    return {"market": u.market, "seq_no": u.seq_no, "last_updated_at": u.last_updated_at,
            "bids": bids, "asks": asks,
            "best_bid_api": best_bid, "best_ask_api": best_ask,
            "best_bid_interactive": best_bid, "best_ask_interactive": best_ask}


def bbo(u: "BookUpdate") -> dict:
    b = u.bids[:1]
    a = u.asks[:1]
    return {"market": u.market, "seq_no": u.seq_no, "last_updated_at": u.last_updated_at,
            "bid": fmt(b[0][0]) if b else "", "bid_size": fmt(b[0][1]) if b else "",
            "ask": fmt(a[0][0]) if a else "", "ask_size": fmt(a[0][1]) if a else ""}


# MarketStats -> (summary dict, its JSON or None): a stats record is reused until one of its inputs
# changes (Exchange.stats), so its rendering is too
_summaries: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def market_summary(s: "MarketStats") -> dict:
    """The market's summary (treat it as read-only: it is shared until the stats change)."""
    return _summary_entry(s)[0]


def market_summary_json(s: "MarketStats") -> str:
    """``market_summary`` serialised once per stats record, for REST."""
    entry = _summary_entry(s)
    if entry[1] is None:
        entry[1] = json.dumps(entry[0], separators=(",", ":"))
    return entry[1]


def _summary_entry(s: "MarketStats") -> list:
    entry = _summaries.get(s)
    if entry is not None:
        return entry
    change = ((s.last_price - s.open_24h) / s.open_24h) if s.open_24h else ZERO
    summary = {
        "symbol": s.market,
        "mark_price": fmt(s.mark_price),
        "last_traded_price": fmt(s.last_price),
        "bid": fmt(s.bid) if s.bid is not None else "",
        "bid_size": fmt(s.bid_size) if s.bid is not None else "",
        "ask": fmt(s.ask) if s.ask is not None else "",
        "ask_size": fmt(s.ask_size) if s.ask is not None else "",
        "volume_24h": fmt(s.quote_volume_24h.quantize(Decimal("0.01"))),
        "total_volume": fmt(s.total_volume.quantize(Decimal("0.01"))),
        "created_at": s.created_at,
        "underlying_price": fmt(s.index_price),
        "open_interest": fmt(s.open_interest),
        "funding_rate": fmt(s.funding_rate),
        "future_funding_rate": fmt(s.funding_rate),
        "price_change_rate_24h": fmt(change.quantize(Decimal("0.000001"))),
        "external_fair_price": fmt(s.index_price),
        "delta": "1",
        "greeks": {"delta": "1", "gamma": "0", "vega": "0", "rho": "0", "theta": "0",
                   "vanna": "0", "volga": "0"},
        "mark_iv": "", "bid_iv": "", "ask_iv": "", "last_iv": "",
    }
    entry = [summary, None]
    _summaries[s] = entry
    return entry


def algo(a) -> dict:
    return {
        "id": a.id, "account": a.account, "market": a.market, "side": a.side, "algo_type": "TWAP",
        "size": fmt(a.size), "remaining_size": fmt(a.size - a.filled),
        "avg_fill_price": q8(a.filled_notional / a.filled) if a.filled > 0 else "",
        "status": a.status, "cancel_reason": cancel_reason(a.cancel_reason), "created_at": a.created_at,
        "last_updated_at": a.last_updated_at, "end_at": a.end_at,
        "algo_params": {"duration_seconds": str((a.end_at - a.created_at) // 1000),
                        "frequency": str(a.interval_ms // 1000)},
    }


def transfer(t) -> dict:
    return {
        "id": t.id, "account": t.account, "kind": t.kind, "direction": t.direction, "status": t.status,
        "token": t.token, "amount": fmt(t.amount), "txn_hash": t.txn_hash, "created_at": t.created_at,
        "last_updated_at": t.created_at, "bridge": "", "counterparty": "", "external_account": "",
        "external_chain": "", "external_txn_hash": "", "failure_reason": "", "auto_withdrawal_fee": "0",
        "socialized_loss_factor": "0", "vault_address": "", "vault_unwind_completion_percentage": "0",
    }


def transaction_of_fill(f) -> dict:
    """A fill's settlement transaction on Paradex Chain (``GET /transactions``)."""
    import hashlib
    return {"id": f.id, "hash": "0x" + hashlib.sha256(f"fill:{f.id}".encode()).hexdigest()[:63],
            "type": "TRANSACTION_LIQUIDATE" if f.fill_type == "LIQUIDATION" else "TRANSACTION_FILL",
            "state": "ACCEPTED_ON_L2", "created_at": f.created_at, "completed_at": f.created_at}


# A market event's changed_fields: the market object's fields the AsyncAPI schema lists, in its
# types. Those it types as JSON numbers (clamp_rate, max_slippage...) are left out: the market
# object carries them as decimal strings, and the mock does not guess which of the two Paradex sends.
_MARKET_EVENT_STR = ("asset_kind", "base_currency", "market_kind", "max_order_size", "min_notional", "option_type",
                     "order_size_increment", "position_limit", "price_tick_size", "quote_currency",
                     "settlement_currency", "strike_price")
_MARKET_EVENT_INT = ("expiry_at", "max_open_orders", "open_at")
_MARKET_EVENT_OBJ = ("delta1_cross_margin_params", "fee_config", "option_cross_margin_params")


def market_event(d: dict) -> dict:
    """The ``markets`` channel's message for the engine's "markets" event (a market listed anew)."""
    spec = d.get("spec") or {}
    changed = {k: str(spec[k]) for k in _MARKET_EVENT_STR if spec.get(k) not in (None, "")}
    for k in _MARKET_EVENT_INT:
        try:
            changed[k] = int(spec[k])
        except (KeyError, TypeError, ValueError):
            pass
    changed.update({k: spec[k] for k in _MARKET_EVENT_OBJ if isinstance(spec.get(k), dict)})
    return {"symbol": d.get("name") or d["added"], "event_type": "UPDATED" if d.get("replaced") else "CREATED",
            "updated_at": d["at"], "changed_fields": changed}


def rfq_event(d: dict, seq: int) -> dict:
    """The ``rfq`` channel's message for an "rfq" event (``extras/rfqs.py``): ``seq`` is the bus's."""
    out = {"type": d["type"], "account": d["account"], "rfq_id": d["rfq_id"], "seq": seq, "created_at": d["at"]}
    if d["type"] == "RESULT":
        out["result"] = {"status": "SUCCESS", "operation": d["operation"], "request_id": d["request_id"],
                         "http_status": 202, "message": "", "label": d.get("label", "")}
    else:
        rfq = {"state": d["state"], "quantity": d["quantity"]}
        if d.get("close_reason"):
            rfq["close_reason"] = d["close_reason"]
        out["rfq"] = rfq
    return out


def tradebust(d: dict) -> dict:
    return {"account": d["account"], "busted_fill_id": d["busted_fill_id"], "created_at": d["created_at"]}


def render(kind: str, data):
    """A bus event's payload in Paradex's shape (None for kinds Paradex does not send)."""
    fn = RENDERERS.get(kind)
    return fn(data) if fn is not None else None


RENDERERS = {
    "order": order, "trade": trade, "fill": fill, "position": position, "account": account_summary,
    "balance_event": balance_event, "funding_payment": funding_payment, "summary": market_summary,
    "funding_data": funding_data, "transfer": transfer, "transaction": transaction_of_fill,
    "markets": market_event, "tradebust": tradebust,
}


# ------------------------------------------------------------------ market maker protection
def mmp_config(st) -> dict:
    """An account's MMP config for a base asset with its live state (``engine/mmp.MmpState``):
    REST (``/account/mmp``) and the ``mmp`` channel, in paradex-py 0.8.2's ``MmpConfig`` shape
    (no dated options here, so the vega window is 0). A removed config reads as all limits 0
    (every check off), which is what MMP off means."""
    size, delta = st.sums()
    off = getattr(st, "removed", False)
    return {
        "base_asset": st.base, "interval_ms": st.interval_ms, "frozen_time_ms": st.frozen_time_ms,
        "size_limit": "0" if off else fmt(st.size_limit), "delta_limit": "0" if off else fmt(st.delta_limit),
        "vega_limit": "0" if off else fmt(st.vega_limit), "protect_block_trades": st.protect_block_trades,
        "is_frozen": st.frozen and not off, "frozen_until": st.frozen_until if st.frozen and not off else 0,
        "window_size": fmt(size), "window_delta": fmt(delta), "window_vega": "0", "updated_at": st.updated_at,
    }


RENDERERS["mmp"] = mmp_config
