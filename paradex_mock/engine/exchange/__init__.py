"""The exchange: markets, books, matching, accounts, positions, margin, funding and the simulator.

It knows no venue and no transport. Every venue's markets live here side by side (their keys are
unique: see ``Market``), driven by one clock and by random sources all derived from one seed.

The locking contract: ``Exchange`` (``core.py``) owns all the state and one re-entrant lock,
``Exchange.lock``. Its public methods take the lock and delegate to a collaborator, which
validates everything before it changes anything and publishes what changed on ``Exchange.bus``
as domain events (``engine/events.py``); each venue renders them in its own shapes. The
collaborators are small classes built with the exchange; they reach the state and each other
through it and never take the lock themselves.

The modules, one responsibility each:
  core.py         the ``Exchange`` facade: the state, the lock, the bus, the clock, ``reset``,
                  ``add_market``, ids and sequence numbers, ``_flush``; ``MarketDef``
  accounts.py     ``Ledger``: accounts (ids as the venue gives them), collateral transfers,
                  leverage, retention; ``MONEY_QUANTUM``
  margin.py       ``MarginModel``: margin, initial margin fraction, liquidation price, the
                  account and position updates
  funding.py      ``Funding``: the funding index and data rows, paying funding, the rate override
  entry.py        ``OrderEntry``: order rules, placing orders, risk, price band and VWAP
                  protection, post-only and reduce-only enforcement, stop/TP/SL triggers
  orders.py       ``OrderManager``: looking up, cancelling and modifying client orders
  matching.py     ``Matcher``: the book walk, fills, positions, public trades, closing orders
  algos.py        ``Twap``: TWAP orders
  mmp_guard.py    ``MmpGuard``: the exchange's side of market maker protection (state: ``engine/mmp.py``)
  liquidation.py  ``Liquidator``: liquidation checks and liquidations
  drive.py        ``Drive``: the clock's drive: tick, advance, fast-forward, quotes, synthetic flow
  playback.py     ``Playback``: scenario playback and the control's price override
  market_data.py  ``MarketData``: the read API: book, stats, trades, candles, funding rows
"""
from .accounts import MONEY_QUANTUM
from .core import Exchange, MarketDef
from .drive import FAST_FORWARD_AFTER_S, expected_trades
from .entry import PRICE_BAND_REASON, PRICE_PROTECTION_REASON, RESTRICTED_PROTECTION, SYSTEM_STATES
from .funding import FUNDING_DATA_EVERY_MS, FUNDING_ROWS_KEPT
from .market_data import DAY_MS, PUBLISHED_DEPTH
from .matching import TRADES_KEPT

__all__ = [
    "DAY_MS", "FAST_FORWARD_AFTER_S",
    "FUNDING_DATA_EVERY_MS", "FUNDING_ROWS_KEPT", "MONEY_QUANTUM", "PRICE_BAND_REASON", "PRICE_PROTECTION_REASON",
    "PUBLISHED_DEPTH", "RESTRICTED_PROTECTION", "SYSTEM_STATES", "TRADES_KEPT", "Exchange", "MarketDef",
    "expected_trades",
]
