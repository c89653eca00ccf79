"""What the extras API keeps per app, typed by family: profiles and settings, block trades and
their offers, RFQs and drafts, vaults, XP transfers; one id counter for them all. ``store()`` is
the one way the routes reach it. A snapshot holds it as one flat document, the one the untyped
store of earlier versions wrote (``to_doc``/``from_doc``), so snapshots of either restore in both."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, List

from flask import current_app

EXTRAS = "paradex_extras"    # the ExtrasStore's key in the app's venue_state


# ---------------------------------------------------------------- records (each is its wire shape)
@dataclass
class Profile:
    username: str
    is_username_private: bool
    referral_code: str
    referred_by: str
    marketed_by: str
    size_currency_display: str
    last_seen_notification: int
    notifications: Dict[str, bool]
    nfts: list
    twitter_following: dict
    tap_status: str
    ai_agent_url: str
    market_max_slippage: Dict[str, str] = field(default_factory=dict)   # the account's, when read


@dataclass
class ComplianceAction:
    action_type: str
    action_version: str
    created_at: int


@dataclass
class BlockTrade:
    """A block trade, or an offer on one (``parent_block_id`` set, ``block_type`` OFFER_BASED)."""
    block_id: str
    block_type: str
    status: str
    initiator: str
    nonce: str
    trades: Dict[str, dict]          # market -> the trade's details (BlockTradeDetailResponse)
    required_signers: List[str]
    signatures: Dict[str, dict]
    block_expiration: int
    parent_block_id: str
    failure_reason: str
    created_at: int
    last_updated_at: int


@dataclass
class RfqDraft:
    id: str
    legs: List[Dict[str, str]]       # market, side, ratio
    quantity: str
    strategy: str
    created_at: int
    updated_at: int


@dataclass
class Rfq(RfqDraft):
    account: str
    state: str                       # OPEN, CANCELLED, FILLED
    label: str


@dataclass
class Vault:
    address: str
    name: str
    description: str
    owner_account: str
    operator_account: str
    status: str
    kind: str
    profit_share: int
    lockup_period: int
    max_tvl: int
    created_at: int
    last_updated_at: int
    strategies: list
    curator_name: str
    strategy_description: str
    token_address: str


@dataclass
class XpTransfer:
    id: str
    sender: str
    recipient: str
    amount: int
    fee: int
    is_private: bool
    season: str
    created_at: int


# ---------------------------------------------------------------- one state per family
def _rows(cls, doc: dict) -> dict:
    return {k: cls(**v) for k, v in doc.items()}


def _docs(rows: dict) -> dict:
    return {k: asdict(v) for k, v in rows.items()}


@dataclass
class ProfileState:
    profiles: Dict[str, Profile] = field(default_factory=dict)               # account -> profile
    trading_value_display: Dict[str, str] = field(default_factory=dict)      # account -> its setting
    compliance: Dict[str, List[ComplianceAction]] = field(default_factory=dict)   # account -> actions

    def to_doc(self) -> dict:
        return {"profiles": _docs(self.profiles),
                "settings": {a: {"trading_value_display": v} for a, v in self.trading_value_display.items()},
                "compliance": {a: [asdict(x) for x in xs] for a, xs in self.compliance.items()}}

    @classmethod
    def from_doc(cls, doc: dict) -> "ProfileState":
        return cls(_rows(Profile, doc["profiles"]),
                   {a: s["trading_value_display"] for a, s in doc["settings"].items() if "trading_value_display" in s},
                   {a: [ComplianceAction(**x) for x in xs] for a, xs in doc["compliance"].items()})


@dataclass
class BlockTradeState:
    trades: Dict[str, BlockTrade] = field(default_factory=dict)              # block id -> block trade
    offers: Dict[str, Dict[str, BlockTrade]] = field(default_factory=dict)   # block id -> offer id -> offer

    def to_doc(self) -> dict:
        return {"block_trades": _docs(self.trades), "offers": {b: _docs(os) for b, os in self.offers.items()}}

    @classmethod
    def from_doc(cls, doc: dict) -> "BlockTradeState":
        return cls(_rows(BlockTrade, doc["block_trades"]),
                   {b: _rows(BlockTrade, os) for b, os in doc["offers"].items()})


@dataclass
class RfqState:
    rfqs: Dict[str, Rfq] = field(default_factory=dict)                       # id -> rfq
    drafts: Dict[str, Dict[str, RfqDraft]] = field(default_factory=dict)     # account -> id -> draft

    def to_doc(self) -> dict:
        return {"rfqs": _docs(self.rfqs), "drafts": {a: _docs(ds) for a, ds in self.drafts.items()}}

    @classmethod
    def from_doc(cls, doc: dict) -> "RfqState":
        return cls(_rows(Rfq, doc["rfqs"]), {a: _rows(RfqDraft, ds) for a, ds in doc["drafts"].items()})


@dataclass
class VaultState:
    vaults: Dict[str, Vault] = field(default_factory=dict)                   # address -> vault

    def to_doc(self) -> dict:
        return {"vaults": _docs(self.vaults)}

    @classmethod
    def from_doc(cls, doc: dict) -> "VaultState":
        return cls(_rows(Vault, doc["vaults"]))


@dataclass
class XpState:
    transfers: List[XpTransfer] = field(default_factory=list)                # oldest first

    def to_doc(self) -> dict:
        return {"xp_transfers": [asdict(t) for t in self.transfers]}

    @classmethod
    def from_doc(cls, doc: dict) -> "XpState":
        return cls([XpTransfer(**t) for t in doc["xp_transfers"]])


# ExtrasStore's fields, each one family's state
FAMILIES = {"profile": ProfileState, "block_trades": BlockTradeState, "rfqs": RfqState, "vaults": VaultState,
            "xp": XpState}
# the snapshot document's keys, in the order the untyped store wrote them
DOC_KEYS = ("profiles", "settings", "compliance", "block_trades", "offers", "rfqs", "drafts", "vaults",
            "xp_transfers", "counter")


@dataclass
class ExtrasStore:
    profile: ProfileState = field(default_factory=ProfileState)
    block_trades: BlockTradeState = field(default_factory=BlockTradeState)
    rfqs: RfqState = field(default_factory=RfqState)
    vaults: VaultState = field(default_factory=VaultState)
    xp: XpState = field(default_factory=XpState)
    counter: int = 0                 # the last id handed out (new_id), shared by every family

    def to_doc(self) -> dict:
        doc = {}
        for name in FAMILIES:
            doc.update(getattr(self, name).to_doc())
        doc["counter"] = self.counter
        return {k: doc[k] for k in DOC_KEYS}

    @classmethod
    def from_doc(cls, doc) -> "ExtrasStore":
        """The store a snapshot's document describes; ``ValueError`` if it is not one."""
        if not isinstance(doc, dict) or set(doc) != set(DOC_KEYS):
            raise ValueError(f"the snapshot's {EXTRAS} does not match this server's")
        try:
            families = {name: family.from_doc(doc) for name, family in FAMILIES.items()}
            counter = doc["counter"]
            if not isinstance(counter, int) or isinstance(counter, bool):
                raise TypeError("counter")
        except (AttributeError, KeyError, TypeError) as e:
            raise ValueError(f"the snapshot's {EXTRAS} is malformed ({e})") from None
        return cls(counter=counter, **families)


def store() -> ExtrasStore:
    vs = current_app.extensions["paradex_mock"].venue_state
    s = vs.get(EXTRAS)
    if s is None:
        s = vs[EXTRAS] = ExtrasStore()
    return s
