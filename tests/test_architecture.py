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
    """No venue's name and none of Paradex's wire shapes (views) in the engine's code. Paradex, the
    first venue, is named in comments where a rule came from; no literal in the code names it (or
    any venue): a market's venue, say, is whatever its venue's package sets."""
    names = set(venues.names())
    for f in (PKG / "engine").rglob("*.py"):
        text = f.read_text()
        for word in sorted(names - {"paradex"}) + ["views."]:
            assert word not in text.lower(), f"{f.name} mentions {word}"
        literals = {n.value.lower() for n in ast.walk(ast.parse(text))
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not literals & names, f"{f.name} names a venue in its code: {sorted(literals & names)}"


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
    imports inside functions and classes (deferred until called) are left out. Imports under
    ``if TYPE_CHECKING:`` never run, so they are no edge (the engine's collaborators name the
    facade's type that way)."""
    names = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(PKG.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    graph = {}
    for mod, f in names.items():
        package = mod if f.name == "__init__.py" else mod.rpartition(".")[0]
        tree = ast.parse(f.read_text())
        nodes = tree.body if module_level_only else ast.walk(tree)
        typing_only = {id(n) for block in ast.walk(tree)
                       if isinstance(block, ast.If) and _is_type_checking(block.test)
                       for stmt in block.body for n in ast.walk(stmt)}
        out = set()
        for node in nodes:
            if id(node) in typing_only:
                continue
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


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


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
# ------------------------------------------------------------------ imports, resolved (issue 21)
# Relative imports are resolved to absolute names, ``from X import y`` counts as importing ``X.y``
# too (y may be a module), and imports inside functions count as much as those at the top.
VENUES = tuple(venues.names())
SHARED = ("http", "ws", "dashboard", "control.py", "testing.py", "config.py", "faults.py", "ratelimit.py")
LAUNCHERS = ("runner", "http_server", "ws_server", "control", "testing", "pytest_plugin", "dashboard")


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolved_imports(path: Path, root: Path = PKG):
    """Every module ``path`` (a file of the package at ``root``) imports, as absolute names."""
    module = _module_of(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name
            yield from (f"{name}.{a.name}" for a in node.names)


def _venue_named(module: str):
    """The venue package ``module`` is in (``paradex_mock.venues.<name>...``), or None."""
    parts = module.split(".")
    if parts[:2] == ["paradex_mock", "venues"] and len(parts) > 2 and parts[2] in VENUES:
        return parts[2]
    return None


def _files(root: Path, *names: str):
    for n in names:
        p = root / n
        yield from (sorted(p.rglob("*.py")) if p.is_dir() else [p] if p.is_file() else [])


def venue_crossings(root: Path = PKG) -> list:
    """(file, import) where a venue's package imports another venue's."""
    out = []
    for name in VENUES:
        for f in _files(root / "venues", name):
            out += [(str(f.relative_to(root)), m) for m in resolved_imports(f, root)
                    if _venue_named(m) not in (None, name)]
    return out


def shared_venue_imports(root: Path = PKG) -> list:
    """(file, import) where a shared layer imports a venue's package (not the registry)."""
    return [(str(f.relative_to(root)), m) for f in _files(root, *SHARED) for m in resolved_imports(f, root)
            if _venue_named(m) is not None]


def engine_layer_imports(root: Path = PKG) -> list:
    """(file, import) where the engine imports a venue, a transport, the dashboard or a launcher."""
    banned = tuple(f"paradex_mock.{n}" for n in ("venues", "http", "ws") + LAUNCHERS) + LAUNCHERS[:3] + (
        "flask", "werkzeug", "websockets")
    return [(str(f.relative_to(root)), m) for f in _files(root, "engine") for m in resolved_imports(f, root)
            if m in banned or m.startswith(tuple(b + "." for b in banned))]


def test_no_venue_imports_another_venue():
    assert list(_files(PKG / "venues", "paradex")), "the venue packages moved"
    assert venue_crossings() == []


def test_the_shared_layers_import_no_venue_but_through_the_registry():
    """http/, ws/, the dashboard, control (journal), testing, config, faults and rate limits reach
    venues through ``paradex_mock.venues`` (the registry) and ``venues.base`` only."""
    assert len(list(_files(PKG, *SHARED))) >= 15
    assert shared_venue_imports() == []


def test_the_engine_imports_no_venue_transport_dashboard_or_launcher():
    assert len(list(_files(PKG, "engine"))) >= 8
    assert engine_layer_imports() == []


def test_the_import_rules_see_relative_nested_and_from_imports(tmp_path):
    pkg = tmp_path / "paradex_mock"
    for d in ("http", "engine", "venues/binance", "venues/paradex/ws"):
        (pkg / d).mkdir(parents=True)
    (pkg / "http" / "app.py").write_text("def f():\n    from ..venues.paradex.auth import JwtIssuer\n")
    (pkg / "control.py").write_text("from .venues import paradex\nfrom . import venues\nfrom .venues import base\n")
    (pkg / "venues" / "binance" / "rest.py").write_text("from ..paradex import views\nfrom .. import base\n")
    (pkg / "venues" / "paradex" / "ws" / "rpc.py").write_text("from ....venues.binance import ws\nfrom . import sbe\n")
    (pkg / "engine" / "x.py").write_text("def g():\n    from ..control import Controller\n    from .. import testing\n")
    assert sorted(venue_crossings(pkg)) == [("venues/binance/rest.py", "paradex_mock.venues.paradex"),
                                    ("venues/binance/rest.py", "paradex_mock.venues.paradex.views"),
                                    ("venues/paradex/ws/rpc.py", "paradex_mock.venues.binance"),
                                    ("venues/paradex/ws/rpc.py", "paradex_mock.venues.binance.ws")]
    assert sorted(shared_venue_imports(pkg)) == [("control.py", "paradex_mock.venues.paradex"),
                                                 ("http/app.py", "paradex_mock.venues.paradex.auth"),
                                                 ("http/app.py", "paradex_mock.venues.paradex.auth.JwtIssuer")]
    assert engine_layer_imports(pkg) == [("engine/x.py", "paradex_mock.control"),
                                         ("engine/x.py", "paradex_mock.control.Controller"),
                                         ("engine/x.py", "paradex_mock.testing")]


# ------------------------------------------------------------------ no Paradex knowledge (issue 21)
SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "paradex-openapi.json"


def _engine_sources():
    files = sorted((PKG / "engine").rglob("*.py"))
    assert len(files) >= 8
    return [(f, f.read_text()) for f in files]


def test_the_engine_holds_no_paradex_error_code():
    """The engine refuses in its own words (``engine.errors.Reason``); Paradex's ErrorCode strings
    and the HTTP statuses that go with them live in Paradex's package."""
    import json
    import re
    import pytest
    if not SPEC.is_file():
        pytest.skip(f"the Paradex spec is not at {SPEC}")
    schemas = json.loads(SPEC.read_text())["components"]["schemas"]
    codes = set(schemas["responses.ErrorCode"]["enum"]) | {"MMP_MIN_FREEZE_NOT_ELAPSED"}   # newer than the spec
    assert len(codes) > 50
    for f, text in _engine_sources():
        literals = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', text)) | set(re.findall(r"'([A-Z][A-Z0-9_]+)'", text))
        assert not literals & codes, f"{f.name} holds Paradex's error codes {sorted(literals & codes)}"


def test_the_engine_holds_no_starknet_knowledge_and_no_demo_account():
    for f, text in _engine_sources():
        assert "stark" not in text.lower(), f"{f.name} mentions Stark(net)"
        assert "DEMO_" not in text, f"{f.name} holds a demo account"
