"""Snapshot the whole exchange to JSON and restore it: markets, history, books (the simulated
quotes included), accounts, orders, fills, transfers, TWAP algos, market maker protection, the
scenario in force, the clock and the random generator's state, so a restored exchange continues
exactly as the original would have. Keys added after version 1 are optional: an older snapshot
restores with none of that state."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Dict, Type

from .candles import Candles
from .events import FundingSample
from .mmp import Protection
from .models import SIM_ACCOUNT, Account, Algo, Fill, FundingPayment, Order, Position, Trade, Transfer
from .scenario import Scenario, ScenarioError

VERSION = 1


class SnapshotError(ValueError):
    pass


def _decimal_fields(cls) -> set:
    return {f.name for f in dataclasses.fields(cls) if "Decimal" in str(f.type)}


_DEC = {cls: _decimal_fields(cls) for cls in (Order, Fill, Trade, Position, FundingPayment, FundingSample,
                                              Transfer, Algo)}


def _obj(o) -> dict:
    out = {}
    for f in dataclasses.fields(o):
        if f.metadata.get("derived"):
            continue
        v = getattr(o, f.name)
        out[f.name] = str(v) if isinstance(v, Decimal) else (list(v) if isinstance(v, list) else v)
    return out


def _mk(cls: Type, d: dict):
    dec = _DEC[cls]
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: (Decimal(v) if k in dec else v) for k, v in d.items() if k in names}
    return cls(**kwargs)


def dump(ex) -> dict:
    with ex.lock:
        version, internal, gauss = ex.rng.getstate()
        streams = {}
        for name, rng in ex.rngs.items():
            if name:
                v, i, g = rng.getstate()
                streams[name] = [v, list(i), g]
        markets = {}
        for sym, st in ex.states.items():
            book = ex.books[sym]
            markets[sym] = {
                "index_price": str(st.index_price), "premium": st.premium,
                "funding_rate": str(st.funding_rate),
                "funding_rate_override": None if st.funding_rate_override is None else str(st.funding_rate_override),
                "funding_index": str(st.funding_index), "last_price": str(st.last_price),
                "total_volume": str(st.total_volume), "open_interest": str(st.open_interest),
                "frozen": st.frozen, "trade_seq": st.trade_seq,
                "candles": _candle_rows(st.candles),
                "mark_candles": _candle_rows(st.mark_candles),
                "index_candles": _candle_rows(st.index_candles),
                "second_candles": _candle_rows(st.second_candles),
                "trades": [_obj(t) for t in st.trades],
                "funding_history": [_obj(f) for f in st.funding_history],
                "book": {"seq_no": book.seq_no, "last_updated_at": book.last_updated_at,
                         "bids": [_entry(o) for o in book.bids.orders()],
                         "asks": [_entry(o) for o in book.asks.orders()]},
                "triggers": [o.id for o in ex.triggers[sym]],
            }
        accounts = []
        for a in ex.accounts.values():
            accounts.append({
                "address": a.address, "balance": str(a.balance), "public_key": a.public_key,
                "onboarded": a.onboarded, "created_at": a.created_at,
                "balance_updated_at": a.balance_updated_at, "seq_no": a.seq_no,
                "leverage": dict(a.leverage),
                "positions": [_obj(p) for p in a.positions.values()],
                "orders": [o.id for o in a.orders.values()],
                "open_orders": [o.id for o in a.open_orders.values()],
                "client_ids": {cid: o.id for cid, o in a.client_ids.items()},
                "fills": [_obj(f) for f in a.fills],
                "funding_payments": [_obj(p) for p in a.funding_payments],
                "used_signatures": list(a.used_signatures),
                "liquidations": [dict(r) for r in a.liquidations],
                "max_slippage": {m: str(v) for m, v in a.max_slippage.items()},
                "transfers": [_obj(t) for t in a.transfers],
                "algos": [_obj(g) for g in a.algos.values()],
                "history_dropped": [a.transfers_dropped, a.liquidations_dropped],
            })
        return {
            "version": VERSION,
            "seed": ex.config.seed,
            "rng": [version, list(internal), gauss],
            "rngs": streams,
            "clock": {"manual": ex.clock.manual, "now_ms": ex.clock.now_ms()},
            "id_counter": ex._id_counter, "last_seq": ex._last_seq,
            "last_tick_ms": ex.last_tick_ms, "next_funding_ms": ex.next_funding_ms,
            "started_at": ex.started_at, "system_state": ex.system_state,
            "markets": markets,
            "orders": [_obj(o) for o in ex.orders.values()],
            "accounts": accounts,
            "mmp": ex.mmp.dump(),
            "scenario": _scenario(ex.scenario),
        }


def _scenario(sc) -> Any:
    """The scenario in force as the document that installs it again (replay candles inline, so
    no file is needed) and how far each segment has run."""
    if sc is None:
        return None
    markets, run = {}, {}
    for key, segs in sc.markets.items():
        specs = []
        for seg in segs:
            spec = dict(seg.spec)
            if seg.kind == "replay":
                spec.pop("file", None)
                spec["candles"] = [[c.open_ms, str(c.o), str(c.h), str(c.l), str(c.c), str(c.v)] for c in seg.candles]
            specs.append(spec)
        markets[key] = specs
        run[key] = {"pos": sc.pos.get(key, 0), "reported": list(sc.reported.get(key, (0, 0))),
                    "segments": [{"anchor": None if seg.anchor is None else str(seg.anchor),
                                  "printed": str(seg.printed), "expected": str(seg.expected), "done": seg.done}
                                 for seg in segs]}
    return {"start_ms": sc.start_ms, "markets": markets, "run": run}


def _load_scenario(doc, ex, doc_now):
    if doc is None:
        return None
    try:
        sc = Scenario.parse({"start_ms": doc["start_ms"], "markets": doc["markets"]}).install(
            int(doc_now), ex.markets)
    except ScenarioError as e:
        raise SnapshotError(f"the snapshot's scenario: {e}") from None
    for key, r in doc["run"].items():
        sc.pos[key] = pos = int(r["pos"])
        # which transitions were announced; an older snapshot: those up to its time
        rep = r.get("reported")
        sc.reported[key] = (int(rep[0]), int(rep[1])) if rep else \
            (pos, pos + 1 if sc.active_index(key, int(doc_now)) == pos else pos)
        for seg, sr in zip(sc.markets[key], r["segments"]):
            seg.anchor = None if sr["anchor"] is None else Decimal(sr["anchor"])
            seg.printed, seg.expected, seg.done = Decimal(sr["printed"]), Decimal(sr["expected"]), int(sr["done"])
    return sc


def _candle_rows(candles: Candles) -> list:
    return [[b] + [str(x) for x in candles.data[b]] for b in candles.minutes]


def _candles(rows: list, like: Candles) -> Candles:
    out = Candles(like.width, like.keep_ms)
    for row in rows:
        out.minutes.append(row[0])
        r = [Decimal(x) for x in row[1:]]
        r += [Decimal(0)] * (9 - len(r))      # rows of older snapshots carried OHLCV only
        r[6] = int(r[6])                      # the trade count
        out.data[row[0]] = r
    return out


def _entry(o: Order) -> Any:
    """A resting order: clients' orders by id, the market maker's inline (they have no id)."""
    return _obj(o) if o.account == SIM_ACCOUNT else o.id


def load(ex, doc: dict) -> None:
    """Replace the exchange's state with ``doc``. Validates fully before changing anything."""
    if doc.get("version") != VERSION:
        raise SnapshotError(f"unsupported snapshot version {doc.get('version')!r}")
    try:
        markets_doc: Dict[str, dict] = doc["markets"]
        if set(markets_doc) != set(ex.markets):
            raise SnapshotError("the snapshot's markets differ from this server's fixtures")
        orders = {d["id"]: _mk(Order, d) for d in doc["orders"]}
        rng = doc["rng"]
        rng_state = (rng[0], tuple(rng[1]), rng[2])
        stream_states = {k: (v[0], tuple(v[1]), v[2]) for k, v in (doc.get("rngs") or {}).items()}
        built = {}
        for sym, md in markets_doc.items():
            # mark/index candles arrived after this snapshot version: older documents lack them
            st = ex.states[sym]
            candles = (_candles(md["candles"], st.candles), _candles(md.get("mark_candles") or [], st.mark_candles),
                       _candles(md.get("index_candles") or [], st.index_candles),
                       _candles(md.get("second_candles") or [], st.second_candles))
            books = {}
            for side in ("bids", "asks"):
                books[side] = [orders[e] if isinstance(e, str) else _mk(Order, e) for e in md["book"][side]]
            built[sym] = (md, candles, [_mk(Trade, t) for t in md["trades"]], books,
                          [orders[i] for i in md["triggers"]],
                          [_mk(FundingSample, f) for f in md["funding_history"]])
        accounts = []
        for ad in doc["accounts"]:
            a = Account(address=ad["address"], balance=Decimal(ad["balance"]), public_key=ad["public_key"],
                        onboarded=ad["onboarded"], created_at=ad["created_at"],
                        balance_updated_at=ad["balance_updated_at"], seq_no=ad["seq_no"],
                        leverage=dict(ad["leverage"]))
            a.positions = {p["market"]: _mk(Position, p) for p in ad["positions"]}
            a.orders = {i: orders[i] for i in ad["orders"]}
            a.open_orders = {i: orders[i] for i in ad["open_orders"]}
            a.rebuild_open()
            a.client_ids = {c: orders[i] for c, i in ad["client_ids"].items()}
            a.fills = [_mk(Fill, f) for f in ad["fills"]]
            a.funding_payments = [_mk(FundingPayment, p) for p in ad["funding_payments"]]
            a.used_signatures = {k: 1 for k in ad["used_signatures"]}
            a.liquidations = [dict(r) for r in ad.get("liquidations") or []]
            a.max_slippage = {m: Decimal(v) for m, v in (ad.get("max_slippage") or {}).items()}
            a.transfers = [_mk(Transfer, t) for t in ad.get("transfers") or []]
            a.algos = {g["id"]: _mk(Algo, g) for g in ad.get("algos") or []}
            a.transfers_dropped, a.liquidations_dropped = (int(n) for n in ad.get("history_dropped") or (0, 0))
            a.rebuild_closed()
            accounts.append(a)
        mmp = Protection.parse(doc.get("mmp") or [])
        scenario = _load_scenario(doc.get("scenario"), ex, doc["clock"]["now_ms"])
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:
        raise SnapshotError(f"malformed snapshot: {e!r}") from None

    with ex.lock:
        ex.rng.setstate(rng_state)
        for name, state in stream_states.items():
            ex._rng(name).setstate(state)
        ex.clock.set_manual(doc["clock"]["manual"], doc["clock"]["now_ms"] if doc["clock"]["manual"] else None)
        ex._id_counter = doc["id_counter"]
        ex._last_seq = doc["last_seq"]
        ex.last_tick_ms = doc["last_tick_ms"]
        ex.next_funding_ms = doc["next_funding_ms"]
        ex.started_at = doc["started_at"]
        ex.system_state = doc["system_state"]
        ex.orders = orders
        ex.accounts = {a.address: a for a in accounts}
        ex.mmp, ex._mmp_trips = mmp, []
        ex.scenario = scenario
        for sym, (md, candles, trades, books, triggers, funding) in built.items():
            st = ex.states[sym]
            st.index_price = Decimal(md["index_price"])
            st.premium = md["premium"]
            st.funding_rate = Decimal(md["funding_rate"])
            st.funding_rate_override = None if md["funding_rate_override"] is None else Decimal(md["funding_rate_override"])
            st.funding_index = Decimal(md["funding_index"])
            st.last_price = Decimal(md["last_price"])
            st.total_volume = Decimal(md["total_volume"])
            st.open_interest = Decimal(md["open_interest"])
            st.frozen = md["frozen"]
            st.trade_seq = int(md.get("trade_seq", len(trades)))
            st.candles, st.mark_candles, st.index_candles, st.second_candles = candles
            st.trades = trades
            st.funding_history = funding
            st.stats_memo = st.window_memo = None
            book = ex.books[sym]
            book.bids.clear()
            book.asks.clear()
            for o in books["bids"]:
                book.bids.add(o)
            for o in books["asks"]:
                book.asks.add(o)
            book.seq_no = md["book"]["seq_no"]
            book.last_updated_at = md["book"]["last_updated_at"]
            ex.sim_orders[sym] = [o for o in books["bids"] + books["asks"] if o.account == SIM_ACCOUNT]
            ex.triggers[sym] = triggers
        ex._dirty_books.clear()
        ex.bus.reset()
        ex.bus.publish("reset", {"epoch": ex.bus.epoch, "at": ex.clock.now_ms()})
