"""Write tests/data/paradex-openapi.subset.json: the part of Paradex's OpenAPI spec the mock
implements (its operations and every schema they and the tests use), so the schema tests run from
a plain clone. Regenerate when the spec or the routes change:

    python tests/data/make_openapi_subset.py path/to/paradex-openapi.json
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))


def implemented(spec_paths):
    from paradex_mock.http.app import create_app
    from paradex_mock.config import Config
    app = create_app(Config(backfill_hours=0.1, clock="manual"), start_ticker=False)
    rules = [(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule), r.methods) for r in app.url_map.iter_rules()]
    keep = {}
    for path, ops in spec_paths.items():
        shape = re.sub(r"\{\w+\}", "{}", "/v1" + path)
        for rule, rule_methods in rules:
            if re.sub(r"\{\w+\}", "{}", rule) == shape:
                kept = {m: op for m, op in ops.items() if m.upper() in rule_methods or not isinstance(op, dict)}
                if kept:
                    keep.setdefault(path, {}).update(kept)
    return keep


def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/components/schemas/"):
                out.add(v.rsplit("/", 1)[1])
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def main(src: str) -> None:
    spec = json.loads(Path(src).read_text())
    schemas = spec["components"]["schemas"]
    paths = implemented(spec["paths"])
    # schemas named by the tests themselves (openapi.validate(x, "responses.MarketResp"), ...)
    named = set()
    for f in (ROOT / "tests").glob("*.py"):
        named |= set(re.findall(r'"((?:responses|requests)\.\w+)"', f.read_text()))
    wanted = {n for n in named if n in schemas} | {"responses.ApiError", "responses.ErrorCode"}
    refs(paths, wanted)
    todo = list(wanted)
    while todo:
        found = set()
        refs(schemas[todo.pop()], found)
        for n in found - wanted:
            wanted.add(n)
            todo.append(n)
    out = {k: v for k, v in spec.items() if k not in ("paths", "components")}
    out["info"] = dict(spec.get("info", {}), description="Subset of Paradex's OpenAPI spec: the operations "
                       "paradex-mock implements and the schemas they use (tests/data/make_openapi_subset.py).")
    out["paths"] = paths
    out["components"] = dict(spec["components"], schemas={n: schemas[n] for n in sorted(wanted)})
    dest = HERE / "paradex-openapi.subset.json"
    dest.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{dest}: {len(paths)} paths, {len(wanted)} schemas")


if __name__ == "__main__":
    main(sys.argv[1])
