"""The rest of Paradex's REST API, by family, and simple persistent lifecycles (create, list, get,
cancel: state kept per app, nothing settles on a chain). Shapes follow Paradex's OpenAPI spec.

- profile.py: account profile and settings, history, subaccounts, compliance, Paradigm
- market_info.py: markets history, settlement price, interactive book and BBO, impact price,
  announcements, portfolio-margin config, points data, fee tiers
- block_trades.py: block trades and their offers
- rfqs.py: RFQs and drafts (published on the ``rfq`` channel)
- vaults.py: vaults
- rewards.py: staking, XP transfers, referrals
- state.py: the families' typed state, its one accessor ``store()`` and its snapshot document
- common.py: the two blueprints (``public_bp``, ``private_bp``), ids, the market check

Importing this package registers every family's routes on the two blueprints, in this order."""
from . import profile, market_info, block_trades, rfqs, vaults, rewards  # noqa: F401  (registers the routes)
from .common import new_id, private_bp, public_bp
from .market_info import PM_SCENARIOS
from .rewards import XP_FEE
from .state import ExtrasStore, store

Store = ExtrasStore      # the name of the untyped store this replaced

__all__ = ["public_bp", "private_bp", "store", "new_id", "ExtrasStore", "Store", "PM_SCENARIOS", "XP_FEE"]
