"""Accounts: who they are (ids as the venue gives them, opaque and already canonical), their
collateral (deposits, withdrawals), their leverage settings, and how much of their history is
kept (retention). ``MONEY_QUANTUM`` lives here too (re-exported by the package).
``Ledger`` runs under the exchange's lock (``core.Exchange``); it never takes it.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from ..errors import EngineError, Reason
from ..models import Account, Margin, Transfer
from ..numbers import ONE, ZERO, to_decimal

if TYPE_CHECKING:
    from .core import Exchange

# Realized PnL and funding are rounded to this before they touch a balance. Average entry prices
# and the funding index are quotients with up to 40 digits; summed into a balance unrounded, the
# balance would drift from the sum of the fills' own amounts in the last digit.
MONEY_QUANTUM = Decimal("1e-12")


def money(amount: Decimal) -> Decimal:
    """``amount`` rounded to ``MONEY_QUANTUM``: what may touch a balance."""
    return amount.quantize(MONEY_QUANTUM)


def _trim(rows: list, keep: int, cutoff: Optional[int]) -> int:
    """Drop the head of an oldest-first list: beyond the newest ``keep`` (0: no count limit) and
    created before ``cutoff`` (None: no age limit). Returns how many were dropped."""
    n = len(rows) - keep if keep and len(rows) > keep else 0
    if cutoff is not None:
        while n < len(rows) and _created(rows[n]) < cutoff:
            n += 1
    if n:
        del rows[:n]
    return n


def _created(row) -> int:
    return row["created_at"] if isinstance(row, dict) else row.created_at


class Ledger:
    """The accounts of one exchange (``ex.accounts``): opening them, moving collateral, leverage,
    publishing an account's margin, and retention. Runs under ``ex.lock``."""

    def __init__(self, ex: "Exchange"):
        self.ex = ex

    def ensure(self, address: str, quiet: bool = False) -> Account:
        """The account at ``address`` (as the venue gives it), opened with the starting balance if new
        (``quiet``: its deposit is not published)."""
        ex = self.ex
        acct = ex.accounts.get(address)
        if acct is None:
            now = ex.clock.now_ms()
            acct = Account(address=address, balance=ZERO, created_at=now, balance_updated_at=now)
            ex.accounts[address] = acct
            if ex.starting_balance:   # its starting balance is a deposit
                self.transfer(acct, ex.starting_balance, now, publish=not quiet)
        return acct

    def transfer(self, acct: Account, amount: Decimal, now: int, publish: bool = True) -> Transfer:
        """Credit (amount > 0: a deposit) or debit (a withdrawal) collateral, on the record."""
        acct.balance += amount
        acct.balance_updated_at = now
        # its own id space: the order/fill id counter must not move (replays stay byte-identical)
        n = len(acct.transfers) + acct.transfers_dropped
        tid = hashlib.sha256(f"{acct.address}:{n}:{now}:{amount}".encode()).hexdigest()[:24]
        t = Transfer(id=tid, account=acct.address, amount=abs(amount),
                     kind="DEPOSIT" if amount > 0 else "WITHDRAWAL", direction="IN" if amount > 0 else "OUT",
                     token="USDC", status="COMPLETED", created_at=now, number=n,
                     txn_hash="0x" + hashlib.sha256(f"{acct.address}:{tid}".encode()).hexdigest()[:63])
        acct.transfers.append(t)
        self.retain(acct, now)
        if publish:
            self.ex.bus.publish("transfer", t, None, acct.address)
        return t

    def account(self, address: str, create: bool = True) -> Account:
        if create:
            return self.ensure(address)
        acct = self.ex.accounts.get(address)
        if acct is None:
            raise EngineError(Reason.ACCOUNT_NOT_FOUND, f"account {address} not found")
        return acct

    def onboard(self, address: str, public_key: str) -> Account:
        acct = self.ensure(address)
        acct.public_key = hex(int(public_key, 16)) if isinstance(public_key, str) else hex(public_key)
        acct.onboarded = True
        return acct

    def fund(self, address: str, amount) -> Account:
        amount = to_decimal(amount)
        acct = self.ensure(address)
        if amount:
            self.transfer(acct, amount, self.ex.clock.now_ms())
        self.publish_account(acct)
        return acct

    def set_leverage(self, address: str, market: str, leverage: int) -> dict:
        acct = self.account(address)
        m = self.ex.market_data.market(market)
        max_lev = int(ONE / m.imf_base)
        if not isinstance(leverage, int) or isinstance(leverage, bool) or not 1 <= leverage <= max_lev:
            raise EngineError(Reason.LEVERAGE, f"leverage must be an integer from 1 to {max_lev}")
        acct.leverage[market] = leverage
        self.publish_account(acct)
        return {"account": acct.address, "market": market, "leverage": leverage, "margin_type": "CROSS"}

    def leverage_of(self, acct: Account, market: str) -> int:
        m = self.ex.market_data.market(market)
        return acct.leverage.get(market) or int(ONE / m.imf_base)

    def publish_account(self, acct: Account, mg: Optional[Margin] = None) -> None:
        self.ex.bus.publish("account", self.ex.margin_model.account_update(acct, mg), None, acct.address)

    # ------------------------------------------------------------------ retention
    def retain(self, acct: Account, now: int) -> None:
        """Drop what the retention no longer keeps (config ``history_kept``, ``history_hours``):
        per account and per kind the oldest closed orders, fills, funding payments, transfers,
        liquidations and finished TWAPs beyond the newest ``history_kept``, and any closed more
        than ``history_hours`` ago on the exchange clock. Open orders and running TWAPs are never
        dropped. Every list is oldest first, so this looks at its head only."""
        ex = self.ex
        keep = ex.config.history_kept
        hours = ex.config.history_hours
        cutoff = now - int(hours * 3600 * 1000) if hours > 0 else None
        q = acct.closed
        while q and ((keep and len(q) > keep) or (cutoff is not None and q[0].last_updated_at < cutoff)):
            o = q.popleft()
            acct.orders.pop(o.id, None)
            ex.orders.pop(o.id, None)
            if o.client_id and acct.client_ids.get(o.client_id) is o:   # a newer order may hold the id
                del acct.client_ids[o.client_id]
        q = acct.closed_algos
        while q and ((keep and len(q) > keep) or (cutoff is not None and q[0].last_updated_at < cutoff)):
            acct.algos.pop(q.popleft().id, None)
        if acct.fills:
            _trim(acct.fills, keep, cutoff)
        if acct.funding_payments:
            _trim(acct.funding_payments, keep, cutoff)
        if acct.transfers:
            acct.transfers_dropped += _trim(acct.transfers, keep, cutoff)
        if acct.liquidations:
            acct.liquidations_dropped += _trim(acct.liquidations, keep, cutoff)

    def retain_all(self, now: int) -> None:
        """The age limit for accounts that are not trading (once a tick; heads only)."""
        if self.ex.config.history_hours > 0:
            for acct in self.ex.accounts.values():
                self.retain(acct, now)
