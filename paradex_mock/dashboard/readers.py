"""What the dashboard shows, read straight from the engine and the mock's state.

Every function here takes the ``MockState`` (``app.extensions['paradex_mock']``) or the
``Exchange`` and returns plain JSON-able data, Decimals as strings. This is the one module that
knows the engine's attribute names: when the engine changes shape, adapt it here. It depends on
nothing venue-specific (no ``views.py``, no bus payloads), and groups markets by their
``venue`` so a new venue's markets appear on their own.

Reads of exchange state hold ``exchange.lock`` (an RLock: cheap, and consistent with matching).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, List, Optional

SIM_ACCOUNT = "0x0"            # the simulated liquidity's account (engine/models.py); never shown
MINUTE_MS = 60_000
MAX_DEPTH = 50
MAX_CANDLES = 1000
MAX_TRADES = 200
MAX_ACCOUNTS = 25
MAX_ORDERS = 50
MAX_FILLS = 30
MAX_JOURNAL = 500
MAX_BUCKETS = 40


def s(value) -> Optional[str]:
    """A Decimal (or int/float) as a plain decimal string: no exponent, no trailing zeros."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if value == 0:
        return "0"
    out = format(value, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


MONEY = Decimal("0.000001")


def money(value) -> Optional[str]:
    """A derived USD figure (account value, margin, PnL), rounded to 6 places for display:
    mark-to-market arithmetic leaves dozens of digits no one reads."""
    if value is None:
        return None
    return s(Decimal(value).quantize(MONEY))


def venue_of(market) -> str:
    return market.venue


# ------------------------------------------------------------------------------------ overview
def clock(state) -> dict:
    ex = state.exchange
    return {"mode": "manual" if ex.clock.manual else "real", "now_ms": ex.clock.now_ms(),
            "tick_interval": state.config.tick_interval}


def segment(ex, symbol: str, now: int) -> Optional[dict]:
    """The market scenario of ``symbol`` at ``now``, in brief (None when it has none): the active
    segment (index, kind, start_ms, end_ms) and ``left_ms``, the next one, the count, when it ends."""
    sc = getattr(ex, "scenario", None)
    out = sc.summary(symbol, now) if sc is not None else None
    if out is not None and out["active"] is not None:
        out["active"]["left_ms"] = max(0, out["active"]["end_ms"] - now)
    return out


def overview(state) -> dict:
    """The header and the market list: clock, seed, system state, and per venue its markets."""
    ex = state.exchange
    with ex.lock:
        venues: dict = {}
        now = ex.clock.now_ms()
        for sym, m in ex.markets.items():
            seg = segment(ex, sym, now)
            st = ex.states.get(sym)
            book = ex.books.get(sym)
            venues.setdefault(venue_of(m), []).append({
                "symbol": sym,
                "last": s(getattr(st, "last_price", None)),
                "mark": s(getattr(st, "mark_price", None)),
                "index": s(getattr(st, "index_price", None)),
                "held": bool(getattr(st, "frozen", False)),
                "best_bid": s(book.best_bid()) if book else None,
                "best_ask": s(book.best_ask()) if book else None,
                "tick": s(m.tick),
                "segment": seg["active"]["kind"] if seg and seg["active"] else None,   # scenario
            })
        return {
            "clock": clock(state),
            "seed": ex.config.seed,
            "system_state": getattr(ex, "system_state", "ok"),
            "auth_mode": state.config.auth_mode,
            "bus_seq": ex.bus.seq,
            "venues": [{"venue": v, "markets": ms} for v, ms in venues.items()],
        }


# ------------------------------------------------------------------------------------ one market
def _levels(side, n: int) -> List[list]:
    return [[s(p), s(q)] for p, q in side.depth(n)]


def _trade(t) -> dict:
    return {"id": t.id, "side": t.side, "price": s(t.price), "size": s(t.size),
            "created_at": t.created_at, "type": getattr(t, "trade_type", "FILL")}


def recent_trades(ex, symbol: str, n: int) -> List[dict]:
    """The newest ``n`` trades, newest first. Looks back 10 minutes, then 6 hours, then at
    everything, so a busy market does not copy its whole history to show a few rows."""
    now = ex.clock.now_ms()
    trades: list = []
    for back in (10 * MINUTE_MS, 360 * MINUTE_MS, None):
        trades = ex.trades_between(symbol, None if back is None else now - back, None)
        if len(trades) >= n:
            break
    return [_trade(t) for t in trades[:n]]


PRICE_KINDS = ("last", "mark", "index")


def _klines(ex, symbol: str, resolution: int, start: int, end: int, price_kind: str) -> List[list]:
    """Rows ``[t, o, h, l, c, v]``: open-high-low-close of ``price_kind``, volume of the trades
    (mark and index candles carry none of their own)."""
    rows = ex.klines(symbol, resolution, start, end) if price_kind == "last" else \
        ex.klines(symbol, resolution, start, end, price_kind=price_kind)
    if price_kind != "last":
        volume = {r[0]: r[5] for r in ex.klines(symbol, resolution, start, end)}
        rows = [[r[0], r[1], r[2], r[3], r[4], volume.get(r[0], 0)] for r in rows]
    return rows


def market(state, symbol: str, depth: int = 15, resolution: int = 1, candles: int = 300,
           since_ms: Optional[int] = None, trades: int = 40, price_kind: str = "mark") -> dict:
    """One market: its book's top ``depth`` levels, the candles of ``price_kind`` (from
    ``since_ms`` when given, else the last ``candles`` of them) and its newest trades."""
    if price_kind not in PRICE_KINDS:
        price_kind = "mark"
    ex = state.exchange
    depth = max(1, min(depth, MAX_DEPTH))
    candles = max(1, min(candles, MAX_CANDLES))
    trades = max(0, min(trades, MAX_TRADES))
    resolution = max(1, resolution)
    with ex.lock:
        m = ex.market(symbol)          # ExchangeError (404-like) for an unknown market
        st = ex.states[m.symbol]
        book = ex.books[m.symbol]
        now = ex.clock.now_ms()
        width = resolution * MINUTE_MS
        start = since_ms if since_ms is not None else now - (candles - 1) * width
        rows = _klines(ex, m.symbol, resolution, start, now, price_kind)
        if len(rows) > candles:
            rows = rows[-candles:]
        return {
            "symbol": m.symbol,
            "venue": venue_of(m),
            "now_ms": now,
            "last": s(st.last_price),
            "mark": s(st.mark_price),
            "index": s(st.index_price),
            "held": bool(getattr(st, "frozen", False)),
            "tick": s(m.tick),
            "scenario": segment(ex, m.symbol, now),
            "book": {"bids": _levels(book.bids, depth), "asks": _levels(book.asks, depth),
                     "seq_no": getattr(book, "seq_no", None)},
            "resolution": resolution,
            "price_kind": price_kind,
            "candles": [[r[0], s(r[1]), s(r[2]), s(r[3]), s(r[4]), s(r[5])] for r in rows],
            "trades": recent_trades(ex, m.symbol, trades) if trades else [],
        }


# ------------------------------------------------------------------------------------ accounts
def _last_activity(acct) -> int:
    last = acct.created_at
    last = max(last, getattr(acct, "balance_updated_at", 0) or 0)
    if acct.orders:
        o = next(reversed(acct.orders.values()))     # insertion order: the newest order
        last = max(last, o.last_updated_at or o.created_at)
    return last


def _order(o) -> dict:
    return {"id": o.id, "market": o.market, "side": o.side, "type": o.type, "status": o.status,
            "price": s(o.price), "size": s(o.size), "remaining": s(o.remaining),
            "trigger_price": s(o.trigger_price) if o.trigger_price else None,
            "instruction": o.instruction, "client_id": o.client_id, "created_at": o.created_at}


def _fill(f) -> dict:
    return {"id": f.id, "market": f.market, "side": f.side, "liquidity": f.liquidity,
            "price": s(f.price), "size": s(f.size), "fee": s(f.fee), "realized_pnl": s(f.realized_pnl),
            "order_id": f.order_id, "created_at": f.created_at, "type": getattr(f, "fill_type", "FILL")}


def _position(ex, acct, pos, mg) -> dict:
    st = ex.states.get(pos.market)
    mark = st.mark_price if st is not None else None
    try:
        liq = ex.liquidation_price(acct, pos, mg)
    except Exception:       # a reader must never break the page
        liq = None
    return {"market": pos.market, "side": "LONG" if pos.size > 0 else "SHORT", "size": s(pos.size),
            "avg_entry": s(pos.avg_entry), "mark": s(mark),
            "unrealized_pnl": money(pos.size * (mark - pos.avg_entry)) if mark is not None else None,
            "realized_pnl": money(pos.realized_pnl), "liquidation_price": s(liq)}


def account(ex, acct) -> dict:
    """One account, under the caller's ``ex.lock``."""
    mg = ex.margin(acct)
    open_orders = list(acct.open_orders.values())
    fills = acct.fills[-MAX_FILLS:][::-1]
    return {
        "address": acct.address,
        "onboarded": acct.onboarded,
        "balance": s(acct.balance),
        "account_value": money(mg.account_value),
        "free_collateral": money(mg.free_collateral),
        "initial_margin": money(mg.initial_margin_requirement),
        "maintenance_margin": money(mg.maintenance_margin_requirement),
        "status": mg.status,
        "positions": [_position(ex, acct, p, mg) for _, p in sorted(acct.positions.items()) if p.size != 0],
        "open_orders_total": len(open_orders),
        "open_orders": [_order(o) for o in open_orders[::-1][:MAX_ORDERS]],
        "fills_total": len(acct.fills),
        "fills": [_fill(f) for f in fills],
        "last_activity": _last_activity(acct),
    }


def accounts(state, addresses: Optional[Iterable[str]] = None) -> dict:
    """Every client account (the simulated liquidity excluded), most recently active first, at
    most ``MAX_ACCOUNTS`` of them; ``addresses`` narrows it to those."""
    ex = state.exchange
    with ex.lock:
        accts = [a for a in ex.accounts.values() if a.address != SIM_ACCOUNT]
        total = len(accts)
        if addresses is not None:
            wanted = set(addresses)
            accts = [a for a in accts if a.address in wanted]
        accts.sort(key=_last_activity, reverse=True)
        return {"total": total, "results": [account(ex, a) for a in accts[:MAX_ACCOUNTS]]}


# ------------------------------------------------------------------------------------ journal
def journal_seq(state) -> int:
    """The journal's latest sequence number (0 when empty); it never goes back, even on clear."""
    j = state.journal
    seq = getattr(j, "_seq", None)
    if seq is not None:
        return seq
    items = j.list(1)
    return items[-1]["seq"] if items else 0


def _status_matches(status: int, want: str) -> bool:
    want = want.strip().lower()
    if not want:
        return True
    if want.endswith("xx") and want[:1].isdigit():
        return str(status).startswith(want[0])
    if want in ("error", "errors", "!2xx"):
        return status >= 400
    return str(status) == want


def journal(state, limit: int = 200, after: Optional[int] = None, path: str = "", account: str = "",
            status: str = "", faulted: bool = False, kind: str = "") -> dict:
    """The newest ``limit`` journal entries matching the filters (path and account: substrings;
    status: ``200``, ``4xx``, ``error``; kind: ``request``, ``ws``, ``scenario``), newest first;
    ``after`` keeps only newer entries."""
    limit = max(1, min(limit, MAX_JOURNAL))
    path = path.strip()
    account = account.strip().lower()
    out = []
    for e in reversed(state.journal.list()):
        if after is not None and e["seq"] <= after:
            break
        if kind and e.get("kind", "request") != kind:
            continue
        if path and path not in e.get("path", ""):
            continue
        if account and account not in (e.get("account") or "").lower():
            continue
        if status and not _status_matches(int(e.get("status") or 0), status):
            continue
        if faulted and not e.get("faults"):
            continue
        out.append(e)
        if len(out) >= limit:
            break
    return {"seq": journal_seq(state), "results": out}


# ------------------------------------------------------------------------------------ faults, limits
def faults(state) -> dict:
    """The rules and counts (``FaultPlan.public()``), and what the add form may offer."""
    from .. import faults as faults_mod
    out = dict(state.faults.public())
    out["kinds"] = list(getattr(faults_mod, "KINDS", ()))
    out["error_statuses"] = list(getattr(faults_mod, "ERROR_STATUSES", ()))
    return out


def rate_limits(state) -> dict:
    """The configured limits (``RateLimiter.public()``) and the live buckets, emptiest first."""
    rl = state.rate_limiter
    out = dict(rl.public())
    buckets = []
    raw = getattr(rl, "_buckets", None)
    lock = getattr(rl, "_lock", None)
    if raw is not None and lock is not None:
        now = rl.now_ms()
        with lock:
            items = list(raw.items())
        for key, b in items:
            try:
                group, limit, window, key_kind, who = key
                tokens = min(b.capacity, b.tokens + max(0, now - b.updated_ms) * b.refill_per_ms)
            except (TypeError, ValueError, AttributeError):
                continue
            buckets.append({"group": group, "limit": limit, "window_s": window, "key": key_kind,
                            "who": who, "remaining": int(tokens)})
    buckets.sort(key=lambda b: b["remaining"] / max(1, b["limit"]))
    out["buckets_total"] = len(buckets)
    out["buckets"] = buckets[:MAX_BUCKETS]
    return out
