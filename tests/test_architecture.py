"""The layering the README promises: the engine knows no venue and no transport; a venue's code
lives in its own package and is registered by one line."""
import ast
from pathlib import Path

import paradex_mock
from paradex_mock import venues

PKG = Path(paradex_mock.__file__).resolve().parent


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def test_the_engine_imports_no_venue_and_no_transport():
    files = sorted((PKG / "engine").rglob("*.py"))   # the exchange package's modules too
    assert len(files) >= 8
    for f in files:
        up = "." * (len(f.relative_to(PKG / "engine").parts) + 1)   # a relative import leaving the engine
        for name in _imports(f):
            assert not name.startswith((up + "venues", "paradex_mock.venues", up + "http", up + "ws", up + "dashboard",
                                        "paradex_mock.http", "paradex_mock.ws", "flask", "werkzeug",
                                        "websockets")), f"{f.name} imports {name}"
            assert not name.startswith(up) or name == up + "config", f"{f.name} imports {name}"


def test_the_engine_speaks_no_venues_words():
    """No venue's name and none of Paradex's wire shapes (views) in the engine's code."""
    for f in (PKG / "engine").rglob("*.py"):
        text = f.read_text().lower()
        for word in ("binance", "bybit", "okx", "kraken", "hyperliquid", "kucoin", "coinbase", "views."):
            assert word not in text, f"{f.name} mentions {word}"


def test_every_registered_venue_is_a_package_with_the_interface():
    for v in venues.load("all"):
        pkg = PKG / "venues" / v.name
        assert (pkg / "__init__.py").is_file(), v.name
        assert v.rest_root == "/" + v.name and v.blueprints(), v.name
        assert callable(v.error_response) and v.markets(str(PKG / "fixtures")), v.name
