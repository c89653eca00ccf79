"""Paradex's wire shapes: the one place that turns engine objects into the JSON dicts REST
returns and the WS channels push. Decimals become strings, timestamps integer milliseconds,
unset decimals "" (as Paradex sends them)."""
from __future__ import annotations

import json
import weakref
from decimal import Decimal
from typing import TYPE_CHECKING

from .engine.numbers import ZERO, fmt

if TYPE_CHECKING:  # pragma: no cover
    from .engine.exchange import Exchange
    from .engine.models import Account, Fill, FundingPayment, Order, Position, Trade

DAY_MS = 24 * 3600 * 1000


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
        "avg_fill_price": fmt(o.filled_notional / filled) if filled > 0 else "",   # Order.avg_fill_price
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


def position(ex: "Exchange", acct: "Account", p: "Position", mg: dict = None) -> dict:
    """``mg``: the account's ``Exchange.margin`` when the caller has it (it walks every open order)."""
    st = ex.states[p.market]
    mark = st.mark_price
    unrealized_funding = -p.size * (st.funding_index - p.cached_funding_index) if p.size else ZERO
    unrealized = p.size * (mark - p.avg_entry) + unrealized_funding if p.size else ZERO
    if p.size and mg is None:
        mg = ex.margin(acct)
    liq = ex.liquidation_price(acct, p, mg) if p.size else None
    cost = p.size * p.avg_entry
    return {
        "id": f"{acct.address}-{p.market}",
        "account": acct.address,
        "market": p.market,
        "status": p.status,
        "side": "SHORT" if p.size < 0 else "LONG",
        "size": fmt(p.size),
        "average_entry_price": fmt(p.avg_entry) if p.size else "0",
        "average_entry_price_usd": fmt(p.avg_entry) if p.size else "0",
        "average_exit_price": fmt(p.avg_exit),
        "cost": fmt(cost),
        "cost_usd": fmt(cost),
        "unrealized_pnl": fmt(unrealized),
        "unrealized_funding_pnl": fmt(unrealized_funding),
        "realized_positional_pnl": fmt(p.realized_pnl),
        "realized_positional_funding_pnl": fmt(p.realized_funding),
        "cached_funding_index": fmt(p.cached_funding_index),
        "leverage": fmt(_leverage(mg, p, mark)),
        "liquidation_price": fmt(liq) if liq is not None else "",
        "last_fill_id": p.last_fill_id,
        "created_at": p.created_at,
        "closed_at": p.closed_at if p.size == 0 else 0,
        "last_updated_at": p.last_updated_at,
        "seq_no": p.seq_no,
    }


def _leverage(mg: dict, p: "Position", mark: Decimal) -> Decimal:
    """Position notional over account value, as Paradex reports it (0 when flat)."""
    if p.size == 0:
        return ZERO
    value = mg["account_value"]
    if value <= 0:
        return ZERO
    return (abs(p.size) * mark / value).quantize(Decimal("0.01"))


def balance(acct: "Account") -> dict:
    return {"token": "USDC", "size": fmt(acct.balance), "last_updated_at": acct.balance_updated_at}


def account_summary(ex: "Exchange", acct: "Account", mg: dict = None) -> dict:
    mg = mg if mg is not None else ex.margin(acct)
    return {
        "account": acct.address,
        "account_value": fmt(mg["account_value"]),
        "free_collateral": fmt(mg["free_collateral"]),
        "initial_margin_requirement": fmt(mg["initial_margin_requirement"]),
        "maintenance_margin_requirement": fmt(mg["maintenance_margin_requirement"]),
        "margin_cushion": fmt(mg["margin_cushion"]),
        "total_collateral": fmt(mg["total_collateral"]),
        "settlement_asset": "USDC",
        "status": mg["status"],
        "updated_at": ex.clock.now_ms(),
        "seq_no": ex.next_seq(),
        "last_seen_notification": 0,
    }


def balance_event(f: "Fill", st, before: Decimal, after: Decimal) -> dict:
    return {
        "type": "TRANSACTION_FILL", "fill_id": f.id, "market": f.market, "status": "ON_BLOCKCHAIN",
        "settlement_asset_name": "USDC",
        "settlement_asset_address": "0x6f373b346561036d98ea10fb3e60d2f459c872b1933b50b21fe6ef4fda3b75e",
        "settlement_asset_balance_before": fmt(before), "settlement_asset_balance_after": fmt(after),
        "settlement_asset_price": "1", "funding_index": fmt(st.funding_index),
        "realized_pnl": fmt(f.realized_pnl), "fees": fmt(f.fee), "realized_funding": fmt(f.realized_funding),
        "created_at": f.created_at,
    }


def funding_payment(fp: "FundingPayment") -> dict:
    return {"id": fp.id, "account": fp.account, "market": fp.market, "payment": fmt(fp.payment),
            "index": fmt(fp.index), "fill_id": fp.fill_id, "created_at": fp.created_at}


# BookSide -> {price: (total, [price string, size string])}: the levels the last view of that
# side rendered. A book is published on every change, and most changes touch one level, so the
# others' strings are reused (and shared between views: treat them as read-only).
_wire_levels: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _levels(side, depth: int) -> list:
    last = _wire_levels.get(side) or {}
    now = {}
    out = []
    for p, total in side.depth(depth):
        entry = last.get(p)
        if entry is None or entry[0] != total:
            entry = (total, [fmt(p), fmt(total)])
        now[p] = entry
        out.append(entry[1])
    _wire_levels[side] = now     # only the levels shown now: the cache never outgrows the view
    return out


def orderbook(ex: "Exchange", sym: str, depth: int) -> dict:
    book = ex.books[sym]
    bids = _levels(book.bids, depth)
    asks = _levels(book.asks, depth)
    best_bid = bids[0] if bids else []
    best_ask = asks[0] if asks else []
    return {"market": sym, "seq_no": book.seq_no, "last_updated_at": book.last_updated_at,
            "bids": bids, "asks": asks,
            "best_bid_api": best_bid, "best_ask_api": best_ask,
            "best_bid_interactive": best_bid, "best_ask_interactive": best_ask}


def bbo(ex: "Exchange", sym: str) -> dict:
    book = ex.books[sym]
    b = book.bids.depth(1)
    a = book.asks.depth(1)
    return {"market": sym, "seq_no": book.seq_no, "last_updated_at": book.last_updated_at,
            "bid": fmt(b[0][0]) if b else "", "bid_size": fmt(b[0][1]) if b else "",
            "ask": fmt(a[0][0]) if a else "", "ask_size": fmt(a[0][1]) if a else ""}


def market_summary(ex: "Exchange", sym: str) -> dict:
    """The market's summary as last computed. Like Paradex's, it is a computed record whose
    ``created_at`` is when it was computed: it is rebuilt only when one of its inputs changed
    (book, prices, trades, funding, open interest, the minute of the rolling 24 h window, a reset),
    so reads between changes cost nothing. Treat the returned dict as read-only."""
    return _summary_entry(ex, sym)[1]


def market_summary_json(ex: "Exchange", sym: str) -> str:
    """``market_summary`` serialised once per computation, for REST."""
    entry = _summary_entry(ex, sym)
    if entry[2] is None:
        entry[2] = json.dumps(entry[1], separators=(",", ":"))
    return entry[2]


def _summary_entry(ex: "Exchange", sym: str) -> list:
    st = ex.states[sym]
    book = ex.books[sym]
    now = ex.clock.now_ms()
    key = (book, book.seq_no, book.last_updated_at, ex.bus.epoch, st.last_price, st.index_price, st.premium,
           st.funding_rate, st.open_interest, st.total_volume, len(st.candles.minutes), now // 60000)
    entry = getattr(st, "_summary_cache", None)
    if entry is not None and entry[0] == key:
        return entry
    b = book.bids.depth(1)
    a = book.asks.depth(1)
    vol, open_24h = _rolling_24h(st, now)
    change = ((st.last_price - open_24h) / open_24h) if open_24h else ZERO
    summary = {
        "symbol": sym,
        "mark_price": fmt(st.mark_price),
        "last_traded_price": fmt(st.last_price),
        "bid": fmt(b[0][0]) if b else "",
        "bid_size": fmt(b[0][1]) if b else "",
        "ask": fmt(a[0][0]) if a else "",
        "ask_size": fmt(a[0][1]) if a else "",
        "volume_24h": fmt(vol.quantize(Decimal("0.01"))),
        "total_volume": fmt(st.total_volume.quantize(Decimal("0.01"))),
        "created_at": now,
        "underlying_price": fmt(st.index_price),
        "open_interest": fmt(st.open_interest),
        "funding_rate": fmt(st.funding_rate),
        "future_funding_rate": fmt(st.funding_rate),
        "price_change_rate_24h": fmt(change.quantize(Decimal("0.000001"))),
        "external_fair_price": fmt(st.index_price),
        "delta": "1",
        "greeks": {"delta": "1", "gamma": "0", "vega": "0", "rho": "0", "theta": "0",
                   "vanna": "0", "volga": "0"},
        "mark_iv": "", "bid_iv": "", "ask_iv": "", "last_iv": "",
    }
    entry = [key, summary, None]
    st._summary_cache = entry
    return entry


def _rolling_24h(st, now: int):
    """USD volume and the opening price over the last 24 h, from the 1-minute candles.
    Cached per minute: the closed candles of a minute never change."""
    c = st.candles
    minute = now - now % 60000
    cache = getattr(st, "_vol_cache", None)
    if cache is None or cache[0] != minute or cache[3] != len(c.minutes):
        import bisect
        lo = bisect.bisect_left(c.minutes, now - DAY_MS)
        closed = ZERO
        for b in c.minutes[lo:]:
            if b >= minute:
                break
            o, h, l, cl, v = c.data[b]
            closed += v * cl
        open_24h = c.data[c.minutes[lo]][0] if lo < len(c.minutes) else st.last_price
        cache = (minute, closed, open_24h, len(c.minutes))
        st._vol_cache = cache
    live = c.data.get(minute)
    vol = cache[1] + (live[4] * live[3] if live else ZERO)
    return vol, cache[2]


def market(spec: dict) -> dict:
    return spec
