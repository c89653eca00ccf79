#!/usr/bin/env python3
"""Install the mock's dependencies into the running interpreter.

    python install_deps.py          # runtime: requirements.txt
    python install_deps.py --test   # runtime + tests: requirements-test.txt, then
                                    # requirements-test-nodeps.txt with pip --no-deps

Idempotent and fast: when every requirement is already satisfied it returns at once without
calling pip. Exits non-zero with pip's message when an install fails.
"""
import argparse
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_requirements(path: Path, seen=None):
    seen = seen or set()
    if path in seen:
        return []
    seen.add(path)
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            reqs += read_requirements(path.parent / line[3:].strip(), seen)
        else:
            reqs.append(line)
    return reqs


def _version_tuple(v: str):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:4])


def satisfied(req: str) -> bool:
    """A small check for the 'name>=x' / 'name==x' forms used in our files (pip decides the rest)."""
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(==|>=)?\s*([0-9][^,;\s]*)?", req)
    if not m:
        return False
    name, op, want = m.groups()
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    if not op:
        return True
    if op == "==":
        return _version_tuple(have) == _version_tuple(want)
    return _version_tuple(have) >= _version_tuple(want)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="also install the test dependencies")
    parser.add_argument("--force", action="store_true", help="run pip even if everything looks installed")
    args = parser.parse_args(argv)
    steps = [(HERE / ("requirements-test.txt" if args.test else "requirements.txt"), [])]
    if args.test:
        steps.append((HERE / "requirements-test-nodeps.txt", ["--no-deps"]))
    for req_file, extra in steps:
        rc = install(req_file, extra, args.force)
        if rc:
            return rc
    return 0


def install(req_file: Path, extra: list, force: bool) -> int:
    missing = [r for r in read_requirements(req_file) if not satisfied(r)]
    if not missing and not force:
        print(f"install_deps: all requirements of {req_file.name} are satisfied")
        return 0
    print(f"install_deps: installing {', '.join(missing) or 'everything'} ...", flush=True)
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *extra, "-r", str(req_file)]
    proc = subprocess.run(cmd)
    if proc.returncode != 0:
        print(f"install_deps: pip failed (exit {proc.returncode}). Command: {' '.join(cmd)}", file=sys.stderr)
        return proc.returncode
    print(f"install_deps: {req_file.name} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
