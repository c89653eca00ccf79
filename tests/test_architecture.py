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
    files = sorted((PKG / "engine").glob("*.py"))
    assert len(files) >= 8
    for f in files:
        for name in _imports(f):
            assert not name.startswith(("..venues", "paradex_mock.venues", "..http", "..ws", "..dashboard",
                                        "paradex_mock.http", "paradex_mock.ws", "flask", "werkzeug",
                                        "websockets")), f"{f.name} imports {name}"
            assert not name.startswith("..") or name in ("..config",), f"{f.name} imports {name}"


def test_the_engine_speaks_no_venues_words():
    """No venue's name and none of Paradex's wire shapes (views) in the engine's code."""
    for f in (PKG / "engine").glob("*.py"):
        text = f.read_text().lower()
        for word in ("binance", "bybit", "okx", "kraken", "hyperliquid", "kucoin", "coinbase", "views."):
            assert word not in text, f"{f.name} mentions {word}"


def test_every_registered_venue_is_a_package_with_the_interface():
    for v in venues.load("all"):
        pkg = PKG / "venues" / v.name
        assert (pkg / "__init__.py").is_file(), v.name
        assert v.rest_root == "/" + v.name and v.blueprints(), v.name
        assert callable(v.error_response) and v.markets(str(PKG / "fixtures")), v.name


def _module_graph(module_level_only: bool = False) -> dict:
    """``paradex_mock``'s own imports as a graph: module name -> the modules it imports, every
    relative import resolved. ``from pkg import name`` counts as importing ``pkg.name`` when that
    is a module, else ``pkg``; a module's parent packages are not counted as its imports (so a
    package's ``__init__`` importing its own children is no circle). With ``module_level_only``,
    imports inside functions and classes (deferred until called) are left out."""
    names = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(PKG.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    graph = {}
    for mod, f in names.items():
        package = mod if f.name == "__init__.py" else mod.rpartition(".")[0]
        tree = ast.parse(f.read_text())
        nodes = tree.body if module_level_only else ast.walk(tree)
        out = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in names else base for a in node.names]
            else:
                continue
            out.update(t for t in targets if t in names and t != mod)
        graph[mod] = out
    return graph


def _cycles(graph: dict) -> list:
    """Every strongly connected component of more than one module (Tarjan), each sorted."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_modules_import_one_another_without_circles():
    """paradex_mock's modules form a DAG, counting every import, deferred (inside a function) ones
    too: a deferred import hides a circle from Python's loader but not from a reader."""
    graph = _module_graph()
    assert len(graph) > 100 and "paradex_mock.venues.paradex.keystore" in graph["paradex_mock.venues.paradex.keys"]
    assert _cycles(graph) == []
