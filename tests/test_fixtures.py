"""Consistency checks for fixtures/ (see fixtures/README.md).

The OpenAPI checks skip when shared/reference/paradex-openapi.json (or
jsonschema) is missing; the plain consistency checks always run.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from tests import openapi
except ImportError:  # tests/ itself is on sys.path (pytest rootdir-less import)
    import openapi  # type: ignore[no-redef]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

EXPECTED_MARKETS = ["BTC-USD-PERP", "ETH-USD-PERP", "SOL-USD-PERP", "DOGE-USD-PERP", "ARB-USD-PERP"]
INSTRUMENT_FILES = ["BTC-USD-PERP", "ETH-USD-PERP"]
# MarketResp properties that only options carry; perps omit them (an empty
# option_type would break the spec's PUT/CALL enum).
OPTION_ONLY_FIELDS = {"option_type", "strike_price", "option_cross_margin_params"}

MARKET_DECIMAL_FIELDS = [
    "order_size_increment", "price_tick_size", "min_notional", "max_order_size", "position_limit",
    "price_bands_width", "max_slippage", "max_tob_spread", "clamp_rate", "interest_rate",
    "oracle_ewma_factor", "max_funding_rate", "max_funding_rate_change", "iv_bands_width",
]

# paradex-py 0.8.2's SystemConfig schema refuses to load without these (fact sheet §4.1).
PY_REQUIRED_CONFIG = {
    "starknet_fullnode_rpc_url": str,
    "starknet_fullnode_rpc_base_url": str,
    "starknet_chain_id": str,
    "block_explorer_url": str,
    "paraclear_address": str,
    "paraclear_decimals": int,
    "paraclear_account_proxy_hash": str,
    "paraclear_account_hash": str,
    "oracle_address": str,
    "bridged_tokens": list,
    "l1_core_contract_address": str,
    "l1_operator_address": str,
    "l1_chain_id": str,
    "liquidation_fee": str,
}
BRIDGED_TOKEN_FIELDS = {
    "name": str, "symbol": str, "decimals": int, "l1_token_address": str,
    "l1_bridge_address": str, "l2_token_address": str, "l2_bridge_address": str,
}
# The only chain ids paradex-py's CustomStarknetChainId accepts (fact sheet §9.3).
ALLOWED_CHAIN_IDS = {
    "PRIVATE_SN_PARACLEAR_MAINNET",
    "PRIVATE_SN_POTC_SEPOLIA",
    "PRIVATE_SN_PARACLEAR_TESTNET",
    "PRIVATE_SN_POTC_MOCK_SEPOLIA",
}
HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")


def _load(name: str):
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return json.load(fh)


def _dec(value, what: str) -> Decimal:
    assert isinstance(value, str), f"{what}: decimal must be a JSON string, got {value!r}"
    try:
        d = Decimal(value)
    except InvalidOperation:  # pragma: no cover - message only
        pytest.fail(f"{what}: {value!r} is not a decimal string")
    assert d.is_finite(), f"{what}: {value!r}"
    return d


def _on_step(value: Decimal, step: Decimal) -> bool:
    return step > 0 and value % step == 0


MARKETS = _load("markets.json")["markets"]
BY_SYMBOL = {m["symbol"]: m for m in MARKETS}


# --------------------------------------------------------------------------
# markets.json


def test_markets_file_shape():
    data = _load("markets.json")
    assert set(data) == {"markets"}
    assert isinstance(data["markets"], list)
    symbols = [m["symbol"] for m in MARKETS]
    assert len(symbols) == len(set(symbols)), "duplicate symbols"
    assert symbols == EXPECTED_MARKETS


@pytest.mark.parametrize("symbol", EXPECTED_MARKETS)
def test_market_validates_against_openapi(symbol):
    market = BY_SYMBOL[symbol]
    required = [f for f in openapi.schema_properties("responses.MarketResp") if f not in OPTION_ONLY_FIELDS]
    openapi.validate(market, "responses.MarketResp", strict=True, require=required)
    for sub in ("delta1_cross_margin_params",):
        openapi.validate(market[sub], "responses.Delta1CrossMarginParams", strict=True, require=True)
    openapi.validate(market["fee_config"], "responses.MarketFeeConfig", strict=True, require=True)
    for kind in ("api_fee", "interactive_fee", "rpi_fee"):
        openapi.validate(market["fee_config"][kind], "responses.MakerTakerFee", strict=True, require=True)
        for side in ("maker_fee", "taker_fee"):
            openapi.validate(market["fee_config"][kind][side], "responses.FeeWithCap", strict=True, require=True)


def test_markets_list_response_validates():
    openapi.validate_response("/v1/markets", "GET", 200, {"results": MARKETS}, strict=True)


@pytest.mark.parametrize("symbol", EXPECTED_MARKETS)
def test_market_values_are_consistent(symbol):
    m = BY_SYMBOL[symbol]
    assert not OPTION_ONLY_FIELDS & set(m), "perps carry no option fields"
    base = symbol.split("-")[0]
    assert (m["base_currency"], m["quote_currency"], m["settlement_currency"]) == (base, "USD", "USDC")
    assert (m["asset_kind"], m["market_kind"], m["trading_mode"]) == ("PERP", "cross", "STANDARD")
    assert m["expiry_at"] == 0
    for f in ("max_open_orders", "open_at", "expiry_at"):
        assert type(m[f]) is int, f
    assert m["open_at"] > 1_600_000_000_000
    assert m["max_open_orders"] > 0
    assert m["funding_period_hours"] == 8
    assert isinstance(m["funding_multiplier"], (int, float)) and not isinstance(m["funding_multiplier"], bool)
    assert isinstance(m["tags"], list) and all(isinstance(t, str) for t in m["tags"])
    assert m["price_feed_id"]

    d = {f: _dec(m[f], f"{symbol}.{f}") for f in MARKET_DECIMAL_FIELDS}
    for f in ("order_size_increment", "price_tick_size", "min_notional", "max_order_size", "position_limit"):
        assert d[f] > 0, f
    assert _on_step(d["max_order_size"], d["order_size_increment"])
    assert _on_step(d["position_limit"], d["order_size_increment"])
    assert d["position_limit"] >= d["max_order_size"]
    assert 0 < d["max_funding_rate_change"] <= d["max_funding_rate"]

    margin = {k: _dec(v, f"{symbol}.delta1.{k}") for k, v in m["delta1_cross_margin_params"].items()}
    assert Decimal("0.02") <= margin["imf_base"] <= Decimal("0.1")
    assert margin["mmf_factor"] == Decimal("0.5")
    max_leverage = 1 / margin["imf_base"]
    assert max_leverage == (50 if base in ("BTC", "ETH") else 20)

    fees = m["fee_config"]
    assert _dec(fees["api_fee"]["maker_fee"]["fee"], "api maker") == Decimal("0.00003")
    assert _dec(fees["api_fee"]["taker_fee"]["fee"], "api taker") == Decimal("0.0002")
    for kind in fees.values():
        for side in kind.values():
            for k, v in side.items():
                _dec(v, f"{symbol}.fee_config.{k}")


def test_precisions_from_the_brief():
    assert (BY_SYMBOL["BTC-USD-PERP"]["price_tick_size"], BY_SYMBOL["BTC-USD-PERP"]["order_size_increment"]) == ("0.1", "0.00001")
    assert BY_SYMBOL["BTC-USD-PERP"]["min_notional"] == "10"
    assert (BY_SYMBOL["ETH-USD-PERP"]["price_tick_size"], BY_SYMBOL["ETH-USD-PERP"]["order_size_increment"]) == ("0.01", "0.0001")
    assert (BY_SYMBOL["SOL-USD-PERP"]["price_tick_size"], BY_SYMBOL["SOL-USD-PERP"]["order_size_increment"]) == ("0.001", "0.01")


@pytest.mark.parametrize("symbol", INSTRUMENT_FILES)
def test_instrument_file_equals_markets_entry(symbol):
    assert _load(f"{symbol}.json") == BY_SYMBOL[symbol]


def test_ccxt_parses_markets():
    ccxt = pytest.importorskip("ccxt")
    exchange = ccxt.paradex()
    parsed = {p["id"]: p for p in exchange.parse_markets(MARKETS)}
    btc = parsed["BTC-USD-PERP"]
    assert btc["symbol"] == "BTC/USD:USDC"
    assert btc["precision"]["amount"] == pytest.approx(0.00001)
    assert btc["precision"]["price"] == pytest.approx(0.1)
    assert btc["limits"]["cost"]["min"] == pytest.approx(10)
    assert btc["swap"] and btc["linear"]
    fee = exchange.parse_trading_fee(BY_SYMBOL["BTC-USD-PERP"])
    assert (fee["maker"], fee["taker"]) == (pytest.approx(0.00003), pytest.approx(0.0002))


# --------------------------------------------------------------------------
# system_config.json

CONFIG = _load("system_config.json")


def test_system_config_validates_against_openapi():
    openapi.validate(CONFIG, "responses.SystemConfigResponse", strict=True, require=True)
    for token in CONFIG["bridged_tokens"]:
        openapi.validate(token, "responses.BridgedToken", strict=True, require=True)
    openapi.validate_response("/v1/system/config", "GET", 200, CONFIG, strict=True)


def test_system_config_has_paradex_py_fields():
    for field, typ in PY_REQUIRED_CONFIG.items():
        assert field in CONFIG, field
        assert type(CONFIG[field]) is typ, f"{field} must be {typ.__name__}"
    assert CONFIG["bridged_tokens"], "bridged_tokens must not be empty"
    for token in CONFIG["bridged_tokens"]:
        for field, typ in BRIDGED_TOKEN_FIELDS.items():
            assert type(token.get(field)) is typ, f"bridged_tokens[].{field}"
    usdc = [t for t in CONFIG["bridged_tokens"] if t["symbol"] == "USDC"]
    assert len(usdc) == 1 and usdc[0]["decimals"] == 6
    assert CONFIG["bridged_tokens"][0]["symbol"] == "USDC", "old paradex-py code takes bridged_tokens[0] as USDC"


def test_system_config_chain_and_addresses():
    assert CONFIG["starknet_chain_id"] in ALLOWED_CHAIN_IDS
    assert CONFIG["paraclear_decimals"] == 8
    assert CONFIG["l1_chain_id"].isdigit()
    _dec(CONFIG["liquidation_fee"], "liquidation_fee")
    for field in ("paraclear_address", "paraclear_account_proxy_hash", "paraclear_account_hash", "oracle_address",
                  "l1_core_contract_address", "l1_operator_address"):
        assert HEX_RE.match(CONFIG[field]), field


def test_system_config_urls_stay_local():
    base = CONFIG["starknet_fullnode_rpc_base_url"]
    assert CONFIG["starknet_fullnode_rpc_url"].startswith(base + "/rpc/v")
    # paradex-py derives the base by stripping /rpc/vX_Y when the base is missing.
    assert re.sub(r"/rpc/v\d+[._]\d+.*$", "", CONFIG["starknet_fullnode_rpc_url"]) == base
    for field, value in CONFIG.items():
        if field.endswith("_url") and value:
            assert urlsplit(value).hostname in ("127.0.0.1", "localhost"), f"{field} must stay on loopback: {value}"


def test_paradex_py_loads_system_config():
    models = pytest.importorskip("paradex_py.api.models")
    cfg = models.SystemConfigSchema().load(CONFIG)
    assert cfg.starknet_chain_id == CONFIG["starknet_chain_id"]
    assert cfg.bridged_tokens[0].symbol == "USDC"


# --------------------------------------------------------------------------
# simulation.json

SIM = _load("simulation.json")
SIM_FIELDS = {
    "start_price", "volatility", "drift", "spread_bps", "book_levels", "level_size",
    "trades_per_minute", "trade_size", "funding_rate", "open_interest", "depth_levels", "depth_gap_bps",
}


def test_simulation_covers_every_market():
    assert set(SIM["markets"]) == set(BY_SYMBOL)


@pytest.mark.parametrize("symbol", EXPECTED_MARKETS)
def test_simulation_market_parameters(symbol):
    p = SIM["markets"][symbol]
    m = BY_SYMBOL[symbol]
    assert set(p) == SIM_FIELDS
    tick = _dec(m["price_tick_size"], "tick")
    inc = _dec(m["order_size_increment"], "increment")
    price = _dec(p["start_price"], "start_price")
    assert price > 0 and _on_step(price, tick), f"start_price {price} is not on the tick {tick}"
    for f in ("level_size", "trade_size", "open_interest"):
        size = _dec(p[f], f)
        assert size > 0 and _on_step(size, inc), f"{f} {size} is not a multiple of {inc}"
    level, trade = _dec(p["level_size"], "level_size"), _dec(p["trade_size"], "trade_size")
    min_notional = _dec(m["min_notional"], "min_notional")
    assert trade * price >= min_notional, "a typical trade must meet min_notional"
    assert level * price >= min_notional
    assert level <= _dec(m["max_order_size"], "max_order_size")
    for f in ("volatility", "drift", "spread_bps", "trades_per_minute"):
        assert isinstance(p[f], (int, float)) and not isinstance(p[f], bool), f
    assert p["volatility"] > 0 and p["spread_bps"] > 0 and p["trades_per_minute"] > 0
    assert type(p["book_levels"]) is int and p["book_levels"] >= 1
    # the synthetic spread must be at least one tick wide at the start price
    assert price * Decimal(str(p["spread_bps"])) / Decimal(10_000) >= tick
    assert abs(_dec(p["funding_rate"], "funding_rate")) <= _dec(m["max_funding_rate"], "max_funding_rate")


def test_simulation_top_level():
    assert set(SIM) == {"markets", "insurance", "default_balance"}
    assert _dec(SIM["default_balance"], "default_balance") > 0
    ins = SIM["insurance"]
    assert HEX_RE.match(ins["account"])
    assert _dec(ins["account_value"], "insurance.account_value") > 0
    openapi.validate(ins, "responses.InsuranceAccountResp", strict=True)


# --------------------------------------------------------------------------
# the helper itself: the spec's response schemas have no `required` lists, so
# make sure validation is not vacuous.


def test_openapi_helper_rejects_bad_values():
    good = BY_SYMBOL["BTC-USD-PERP"]
    with pytest.raises(openapi.SchemaMismatch, match="max_open_orders"):
        openapi.validate(dict(good, max_open_orders="100"), "responses.MarketResp")
    with pytest.raises(openapi.SchemaMismatch, match="price_tick_size"):
        openapi.validate(dict(good, price_tick_size=0.1), "responses.MarketResp")
    with pytest.raises(openapi.SchemaMismatch, match="unexpected"):
        openapi.validate(dict(good, oracle_prce="1"), "responses.MarketResp", strict=True)
    with pytest.raises(openapi.SchemaMismatch, match="missing"):
        openapi.validate({"symbol": "X"}, "responses.MarketResp", require=True)
    with pytest.raises(openapi.SchemaMismatch):
        openapi.validate_response("/v1/orders/123", "DELETE", 204, {"status": "ok"})
    with pytest.raises(openapi.SchemaMismatch):
        openapi.validate_response("/v1/auth", "POST", 400, {"error": "NO_SUCH_CODE", "message": "x"})


def test_openapi_helper_resolves_paths_and_nulls():
    assert openapi.find_operation("/v1/orderbook/BTC-USD-PERP?depth=5", "GET")[0] == "/orderbook/{market}"
    assert openapi.find_operation("/v1/orders/batch", "POST")[0] == "/orders/batch"
    assert openapi.find_operation("/v1/auth/0x2a8249e1", "POST")[0] == "/auth"
    openapi.validate_response("/v1/orders/123", "DELETE", 204, b"")
    openapi.validate_response("/v1/fills", "GET", 200, {"next": None, "prev": None, "results": []})
    openapi.validate_response("/v1/auth", "POST", 400, {"error": "NOT_ONBOARDED", "message": "m", "data": None})
    # undocumented error statuses fall back to ApiError (JWT middleware body has no `error`)
    openapi.validate_response("/v1/orders", "GET", 401, b'{"message":"missing or malformed jwt"}')
