"""Margin: an account's value and requirements at mark (its open orders included), the initial
margin fraction its leverage sets, a position's liquidation price, and the account and position
updates that carry them. Reads only; ``MarginModel`` runs under the exchange's lock."""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from ..events import AccountUpdate, PositionUpdate
from ..models import Account, Margin, Market, Position
from ..numbers import ONE, ZERO, round_step

if TYPE_CHECKING:
    from .core import Exchange


class MarginModel:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def imf(self, acct: Account, m: Market) -> Decimal:
        lev = acct.leverage.get(m.symbol)
        if lev:
            return max(m.imf_base, ONE / Decimal(lev))
        return m.imf_base

    def margin(self, acct: Account) -> Margin:
        """Account value and margin requirements at mark, its open orders included.

        Initial margin takes, per market, the worst of the position filled by all open buys or
        by all open sells, so orders that reduce a position need no margin."""
        unrealized = ZERO
        unrealized_funding = ZERO
        imr = ZERO
        mmr = ZERO
        buys = acct.open_buys        # kept up to date as orders open, fill and close
        sells = acct.open_sells
        markets = {k for k, v in buys.items() if v} | {k for k, v in sells.items() if v} | \
            {k for k, p in acct.positions.items() if p.size != 0}
        for sym in markets:
            st = self.ex.states[sym]
            m = st.market
            mark = st.mark_price
            pos = acct.positions.get(sym)
            size = pos.size if pos else ZERO
            if pos and size != 0:
                unrealized += size * (mark - pos.avg_entry)
                unrealized_funding += -size * (st.funding_index - pos.cached_funding_index)
            worst = max(abs(size + buys.get(sym, ZERO)), abs(size - sells.get(sym, ZERO)))
            imf = self.imf(acct, m)
            imr += worst * mark * imf
            mmr += abs(size) * mark * imf * m.mmf_factor
        value = acct.balance + unrealized + unrealized_funding
        return Margin(
            account_value=value, total_collateral=acct.balance, unrealized_pnl=unrealized + unrealized_funding,
            unrealized_funding=unrealized_funding, initial_margin_requirement=imr,
            maintenance_margin_requirement=mmr, free_collateral=value - imr, margin_cushion=value - mmr,
            status="LIQUIDATION" if (mmr > 0 and value < mmr) else "ACTIVE")

    def liquidation_price(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> Optional[Decimal]:
        """Mark price at which account value meets maintenance margin, others held constant.
        ``mg``: the account's current ``margin()``, when the caller already has it."""
        if pos.size == 0:
            return None
        st = self.ex.states[pos.market]
        mg = mg if mg is not None else self.margin(acct)
        q = pos.size
        r = self.imf(acct, st.market) * st.market.mmf_factor
        mark = st.mark_price
        other_mmr = mg.maintenance_margin_requirement - abs(q) * mark * r
        denom = q - abs(q) * r
        if denom == 0:
            return None
        p = (other_mmr + q * mark - mg.account_value) / denom
        if p <= 0:
            return None
        return round_step(p, st.market.tick)

    def account_update(self, acct: Account, mg: Optional[Margin] = None) -> AccountUpdate:
        """The account's margin now, stamped with a fresh sequence number."""
        ex = self.ex
        return AccountUpdate(acct.address, mg if mg is not None else self.margin(acct), ex.clock.now_ms(),
                             ex.next_seq())

    def position_update(self, acct: Account, pos: Position, mg: Optional[Margin] = None) -> PositionUpdate:
        """The position now with what its views derive from the market (``mg``: the account's
        margin when the caller has it; it walks every open order)."""
        st = self.ex.states[pos.market]
        if pos.size and mg is None:
            mg = self.margin(acct)
        liq = self.liquidation_price(acct, pos, mg) if pos.size else None
        return PositionUpdate(copy.copy(pos), st.mark_price, st.funding_index, liq,
                              mg.account_value if mg is not None else ZERO,
                              acct.leverage.get(pos.market) or int(ONE / st.market.imf_base))
