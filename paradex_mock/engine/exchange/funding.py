"""Funding: the funding index each tick accrues, the funding-data rows (one a minute, backfilled
at a reset), paying funding to positions when a funding interval ends, and the control's funding
rate override. ``Funding`` runs under the exchange's lock."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import EngineError, Reason, invalid
from ..events import FundingSample
from ..models import FundingPayment
from ..numbers import ZERO, fmt, to_decimal
from ..simulator import MarketState
from .accounts import money

if TYPE_CHECKING:
    from .core import Exchange

FUNDING_DATA_EVERY_MS = 60_000   # one funding-data row per minute in history
FUNDING_ROWS_KEPT = 7 * 24 * 60   # per market, a week of funding-data rows (or the backfill, if longer)


class Funding:
    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def backfill(self, st: MarketState, now: int) -> None:
        """The funding-data rows of the backfilled history, at the market's first funding rate."""
        hours = self.ex.config.backfill_hours
        start = now - int(hours * 3600 * 1000)
        start -= start % FUNDING_DATA_EVERY_MS
        rate = st.funding_rate
        index = ZERO
        period_ms = st.market.funding_period_hours * 3600 * 1000
        t = start
        while t <= now:
            index += rate * st.index_price * FUNDING_DATA_EVERY_MS / period_ms
            st.funding_history.append(self.sample(st, t, rate, index))
            t += FUNDING_DATA_EVERY_MS
        st.funding_index = index.quantize(Decimal("1e-12"))

    @staticmethod
    def sample(st: MarketState, t: int, rate: Decimal, index: Decimal) -> FundingSample:
        hours = st.market.funding_period_hours
        return FundingSample(
            market=st.market.symbol, created_at=t,
            funding_index=index.quantize(Decimal("1e-12")),
            funding_premium=(rate * st.index_price).quantize(Decimal("1e-8")),
            funding_rate=rate,
            funding_rate_8h=(rate * 8 / hours).quantize(Decimal("1e-10")),
            funding_period_hours=int(hours),
        )

    def now(self, symbol: str) -> FundingSample:
        """The funding sample as of now (what each tick publishes)."""
        st = self.ex.states[symbol]
        return self.sample(st, self.ex.clock.now_ms(), st.funding_rate, st.funding_index)

    def accrue(self, st: MarketState, now: int, dt_s: float) -> None:
        """A tick of ``dt_s`` in a perpetual: a new funding rate, the index moved by it, and a
        funding-data row if a minute has passed since the last (the oldest beyond what is kept go)."""
        st.update_funding_rate()
        period_ms = st.market.funding_period_hours * 3600 * 1000
        st.funding_index += st.funding_rate * st.mark_price * Decimal(int(dt_s * 1000)) / period_ms
        last_row = st.funding_history[-1].created_at if st.funding_history else 0
        if now - last_row >= FUNDING_DATA_EVERY_MS:
            st.funding_history.append(self.sample(st, now, st.funding_rate, st.funding_index))
            kept = max(FUNDING_ROWS_KEPT, int(self.ex.config.backfill_hours * 60) + 1)
            if len(st.funding_history) > kept:
                del st.funding_history[: len(st.funding_history) - kept]

    def pay_due(self, now: int) -> None:
        """Pay funding if a funding interval has ended by ``now`` (once, however many ended)."""
        ex = self.ex
        if now >= ex.next_funding_ms:
            self.pay(now)
            interval = int(ex.config.funding_interval * 1000)
            while ex.next_funding_ms <= now:
                ex.next_funding_ms += interval

    def pay(self, now: int) -> None:
        """Each open position pays (or receives) the funding accrued since its last payment."""
        ex = self.ex
        for acct in ex.accounts.values():
            changed = False
            for pos in acct.positions.values():
                st = ex.states[pos.market]
                if pos.size == 0:
                    pos.cached_funding_index = st.funding_index
                    continue
                payment = money(-pos.size * (st.funding_index - pos.cached_funding_index))
                pos.cached_funding_index = st.funding_index
                pos.realized_funding += payment
                acct.balance += payment
                acct.balance_updated_at = now
                fp = FundingPayment(ex._new_id(now), acct.address, pos.market, payment,
                                    st.funding_index, pos.last_fill_id, now)
                acct.funding_payments.append(fp)
                ex.ledger.retain(acct, now)
                ex.bus.publish("funding_payment", fp, pos.market, acct.address)
                pos.last_updated_at = now
                pos.seq_no = ex.next_seq()
                ex.bus.publish("position", ex.margin_model.position_update(acct, pos), pos.market, acct.address)
                changed = True
            if changed:
                ex.ledger.publish_account(acct)

    def set_funding_rate(self, symbol: str, rate) -> dict:
        st = self.ex.states[self.ex.market_data.market(symbol).symbol]
        if rate is None:
            st.funding_rate_override = None
        else:
            try:
                st.funding_rate_override = to_decimal(rate)
            except ValueError:
                raise EngineError(Reason.INVALID_VALUE, invalid("rate", rate, "not a decimal number")) from None
        st.update_funding_rate()
        return {"market": symbol, "funding_rate": fmt(st.funding_rate)}
