"""`pip install .` gives a package whose pytest plugin (entry point pytest11) provides the
paradex_mock fixture outside this checkout, with the fixtures shipped inside the package."""
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(sys.platform == "win32", reason="venv layout")
def test_pip_install_registers_the_pytest_plugin(tmp_path):
    venv = tmp_path / "venv"
    # system site packages: the dependencies are already installed here; only our package is new
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    src = tmp_path / "src"          # build from a copy: an in-tree build leaves build/ behind
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("paradex_mock", "fixtures"):
        shutil.copytree(ROOT / name, src / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", str(src)], capture_output=True, text=True)
    if r.returncode != 0 and "bdist_wheel" in (r.stderr + r.stdout):
        pytest.skip("no 'wheel' package to build offline: python install_deps.py --test installs it")
    assert r.returncode == 0, r.stderr
    project = tmp_path / "adapter"
    project.mkdir()
    (project / "test_adapter.py").write_text(textwrap.dedent('''
        import json, urllib.request
        import pytest

        @pytest.mark.paradex_mock(seed=3, with_ws=False)
        def test_fixture(paradex_mock):
            with urllib.request.urlopen(paradex_mock.api_url + "/markets") as r:
                symbols = {m["symbol"] for m in json.load(r)["results"]}
            assert "BTC-USD-PERP" in symbols
            assert paradex_mock.exchange.config.seed == 3
    '''))
    out = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_adapter.py"],
                         cwd=project, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout
    # the package, not this checkout, served it: the fixtures are real files inside the install
    where = subprocess.run([str(py), "-c", "import paradex_mock.config as c; print(c.DEFAULT_FIXTURES)"],
                           cwd=project, capture_output=True, text=True, check=True).stdout.strip()
    assert str(venv) in where and Path(where, "markets.json").is_file()
    assert Path(where).parent.joinpath("dashboard", "static", "vendor", "lightweight-charts.LICENSE").is_file()


def test_readme_documents_the_install_the_scripts_and_gunicorn():
    import tomllib
    readme = (ROOT / "README.md").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for script in project["scripts"]:
        assert f"`{script}`" in readme, script
    test_extra = project["optional-dependencies"]["test"]
    assert any(d.startswith("pytest") for d in test_extra) and any(d.startswith("ccxt") for d in test_extra)
    assert 'pip install ".[test]"' in readme and "python -m venv" in readme
    assert readme.count("## gunicorn") == 1 and "gunicorn serves the REST API only" in readme


def test_schema_tests_need_nothing_outside_the_repository(monkeypatch):
    """The OpenAPI checks run from a plain clone: the part of Paradex's spec the mock implements is
    in tests/data (PARADEX_OPENAPI may point at the full spec instead)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import openapi
    monkeypatch.delenv(openapi.ENV_VAR, raising=False)
    path = openapi.spec_path()
    assert path.is_file() and ROOT in path.parents
    spec = openapi.load_spec()
    assert "/orders" in spec["paths"] and "responses.ErrorCode" in spec["components"]["schemas"]
    readme = (ROOT / "README.md").read_text()
    assert "python -m pytest -q -rs" in readme and "pytest -q -rs" in (ROOT / ".ci" / "run").read_text()
