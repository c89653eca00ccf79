"""Validate JSON values against the real Paradex OpenAPI spec (test helper).

The spec is ``shared/reference/paradex-openapi.json`` beside the repository
(override with the ``PARADEX_OPENAPI`` environment variable: a path to the
file, or to a folder holding ``paradex-openapi.json``). When the spec, or the
test-only dependency ``jsonschema``, is missing, every helper calls
``pytest.skip`` with the reason, so tests that use it skip instead of failing.

Typical use::

    from tests import openapi   # or `import openapi` from inside tests/

    openapi.validate(market, "responses.MarketResp")
    openapi.validate(market, "responses.MarketResp", strict=True, require=True)
    openapi.validate_response("/v1/markets", "GET", 200, {"results": [market]})
    openapi.validate_response("/v1/orderbook/BTC-USD-PERP?depth=5", "GET", 200, resp.json())
    openapi.validate_response("/v1/orders/123", "DELETE", 204, b"")

Notes on the translation from OpenAPI 3.0 to JSON Schema 2020-12:

* ``#/components/schemas/...`` refs are resolved through a ``referencing``
  registry that holds the converted spec.
* ``nullable: true`` becomes ``type: [T, "null"]`` (or ``anyOf [.., null]``).
  The spec marks almost nothing nullable although the real API sends ``null``
  in a few places; those are listed in ``EXTRA_NULLABLE``.
* ``example`` and ``x-*`` keys are dropped; OAS 3.0 boolean
  ``exclusiveMinimum``/``exclusiveMaximum`` are turned into the numeric form.
* The response schemas in the spec have no ``required`` lists and allow extra
  properties, so plain validation only checks the types and enums of the
  fields that are present. Use ``require=`` to demand fields and
  ``strict=True`` to reject undeclared fields (a typo such as ``"oracle_prce"``).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import pytest

SPEC_FILENAME = "paradex-openapi.json"
ENV_VAR = "PARADEX_OPENAPI"
# The repository's own copy of the part of the spec the mock implements (tests/data/
# make_openapi_subset.py writes it from the full spec); PARADEX_OPENAPI points at another.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "data" / "paradex-openapi.subset.json"

#: URI under which the converted spec is registered; refs are rewritten to it.
SPEC_URI = "urn:paradex:openapi"

#: Fields the real API sends as JSON ``null`` although the spec does not say
#: ``nullable`` (error ``data``, pagination cursors at either end).
EXTRA_NULLABLE: dict[str, frozenset[str]] = {
    "responses.ApiError": frozenset({"data"}),
    "responses.PaginatedAPIResults": frozenset({"next", "prev"}),
}

#: Schema used for error statuses that an operation does not document
#: (401 from the JWT middleware, 429, 503 ...). It has no required fields, so
#: the ``{"message": "..."}`` bodies without ``error`` also pass.
FALLBACK_ERROR_SCHEMA = "responses.ApiError"

#: Real paths the spec does not list, mapped to the documented operation they
#: behave like (paradex-py posts to ``/v1/auth/0x<public key>``).
PATH_ALIASES: dict[str, str] = {"/auth/{public_key}": "/auth"}

_DROP_KEYS = frozenset({"example", "examples", "discriminator", "xml", "externalDocs"})


class SchemaMismatch(AssertionError):
    """A value does not match the OpenAPI spec."""


# --------------------------------------------------------------------------
# loading


def spec_path() -> Path:
    """Where the spec is looked for (``PARADEX_OPENAPI`` wins)."""
    override = os.environ.get(ENV_VAR)
    if override:
        p = Path(override).expanduser()
        return p / SPEC_FILENAME if p.is_dir() else p
    return DEFAULT_SPEC_PATH.resolve()


def spec_available() -> bool:
    return spec_path().is_file()


@functools.lru_cache(maxsize=None)
def _load_spec_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_spec() -> dict:
    """The raw OpenAPI document; skips the calling test if it is absent."""
    path = spec_path()
    if not path.is_file():
        pytest.skip(
            f"Paradex OpenAPI spec not found at {path} "
            f"(set {ENV_VAR} to the path of {SPEC_FILENAME})"
        )
    return _load_spec_cached(str(path))


def _jsonschema():
    return pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed (test-only dependency: pip install jsonschema)"
    )


def schema_names() -> list[str]:
    return sorted(load_spec()["components"]["schemas"])


def schema_properties(schema_name: str) -> list[str]:
    """Top-level property names the spec declares for a component schema."""
    schemas = load_spec()["components"]["schemas"]
    if schema_name not in schemas:
        raise KeyError(f"no schema {schema_name!r} in the OpenAPI spec")
    return list(schemas[schema_name].get("properties", {}))


# --------------------------------------------------------------------------
# OpenAPI 3.0 -> JSON Schema 2020-12


def _convert(node: Any, *, strict: bool) -> Any:
    """Convert one OpenAPI schema object (recursively)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP_KEYS or key.startswith("x-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: _convert(sub, strict=strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "propertyNames"):
            out[key] = _convert(value, strict=strict) if isinstance(value, dict) else value
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(sub, strict=strict) for sub in value]
        elif key == "$ref":
            out[key] = SPEC_URI + value if value.startswith("#") else value
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in node:
                out[key] = node[bound]
                out.pop(bound, None)
        elif key in ("minimum", "maximum") and node.get("exclusive" + key.title()) is True:
            continue  # folded into exclusiveMinimum/exclusiveMaximum above
        else:
            out[key] = copy.deepcopy(value)

    if strict and "properties" in out and "additionalProperties" not in out and out.get("type", "object") == "object":
        out["additionalProperties"] = False

    if node.get("nullable") is True:
        out = _make_nullable(out)
    return out


def _make_nullable(schema: dict) -> dict:
    t = schema.get("type")
    if isinstance(t, str) and not any(k in schema for k in ("allOf", "anyOf", "oneOf", "$ref")):
        schema = dict(schema, type=[t, "null"])
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _convert_component(name: str, schema: dict, *, strict: bool) -> dict:
    out = _convert(schema, strict=strict)
    nullable = EXTRA_NULLABLE.get(name)
    if nullable and "properties" in schema:
        for prop in nullable:
            if prop in out.get("properties", {}):
                out["properties"][prop] = _make_nullable(out["properties"][prop])
    return out


@functools.lru_cache(maxsize=None)
def _registry(spec_file: str, strict: bool):
    _jsonschema()
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    spec = _load_spec_cached(spec_file)
    converted = {
        "components": {
            "schemas": {
                name: _convert_component(name, schema, strict=strict)
                for name, schema in spec["components"]["schemas"].items()
            }
        }
    }
    return Registry().with_resource(SPEC_URI, Resource(contents=converted, specification=DRAFT202012))


def _validator(schema: dict, strict: bool):
    jsonschema = _jsonschema()
    load_spec()  # skip early when absent
    registry = _registry(str(spec_path()), strict)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return jsonschema.Draft202012Validator(schema, registry=registry)


@functools.lru_cache(maxsize=None)
def _component_validator(spec_file: str, schema_name: str, strict: bool):
    if schema_name not in _load_spec_cached(spec_file)["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the OpenAPI spec ({spec_file})")
    return _validator({"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, strict)


def _raise_errors(validator, instance: Any, what: str) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    lines = []
    for err in errors[:15]:
        lines.append(f"  at {err.json_path}: {err.message[:300]}")
    if len(errors) > 15:
        lines.append(f"  ... and {len(errors) - 15} more")
    raise SchemaMismatch(f"{what}: {len(errors)} schema error(s)\n" + "\n".join(lines))


def _check_required(instance: Any, schema_name: str, require: bool | Iterable[str], what: str) -> None:
    if require is False or require is None:
        return
    names = schema_properties(schema_name) if require is True else list(require)
    if not names:
        return
    if not isinstance(instance, dict):
        raise SchemaMismatch(f"{what}: expected an object, got {type(instance).__name__}")
    missing = [n for n in names if n not in instance]
    if missing:
        raise SchemaMismatch(f"{what}: missing field(s) {missing}")


# --------------------------------------------------------------------------
# public API


def validate(
    instance: Any,
    schema_name: str,
    *,
    strict: bool = False,
    require: bool | Iterable[str] = (),
) -> None:
    """Validate ``instance`` against ``#/components/schemas/<schema_name>``.

    ``strict=True`` rejects properties the spec does not declare, at every
    nesting level. ``require`` lists top-level fields that must be present;
    ``require=True`` demands every property the schema declares.
    Raises :class:`SchemaMismatch` (an ``AssertionError``) on mismatch.
    """
    load_spec()
    validator = _component_validator(str(spec_path()), schema_name, strict)
    what = f"{schema_name}{' (strict)' if strict else ''}"
    _raise_errors(validator, instance, what)
    _check_required(instance, schema_name, require, what)


def is_valid(instance: Any, schema_name: str, *, strict: bool = False) -> bool:
    try:
        validate(instance, schema_name, strict=strict)
    except SchemaMismatch:
        return False
    return True


def _api_prefix(spec: dict) -> str:
    for server in spec.get("servers", []):
        path = urlsplit(server.get("url", "")).path.rstrip("/")
        if path:
            return path
    return "/v1"


def _template_matches(template: str, path: str) -> bool:
    regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
    return re.match(regex, path) is not None


def find_operation(path: str, method: str) -> tuple[str, dict]:
    """Map a path template or a concrete path to ``(template, operation)``.

    Accepts ``/markets``, ``/v1/markets``, ``/orderbook/{market}``,
    ``/v1/orderbook/BTC-USD-PERP?depth=5`` or a full URL.
    """
    spec = load_spec()
    paths = spec["paths"]
    p = urlsplit(path).path or "/"
    prefix = _api_prefix(spec)
    if p.startswith(prefix + "/"):
        p = p[len(prefix):]
    if len(p) > 1:
        p = p.rstrip("/")

    template = p if p in paths else None
    if template is None:
        candidates = [(tpl.count("{"), tpl) for tpl in paths if _template_matches(tpl, p)]
        if not candidates:
            aliased = [real for alias, real in PATH_ALIASES.items() if alias == p or _template_matches(alias, p)]
            if not aliased or aliased[0] not in paths:
                raise SchemaMismatch(f"path {path!r} is not in the OpenAPI spec")
            candidates = [(0, aliased[0])]
        template = min(candidates)[1]

    op = paths[template].get(method.lower())
    if op is None:
        documented = sorted(m.upper() for m in paths[template] if m in ("get", "post", "put", "delete", "patch"))
        raise SchemaMismatch(f"{method.upper()} {template} is not in the OpenAPI spec (documented: {documented})")
    return template, op


def response_schema(path: str, method: str, status: int | str) -> dict | None:
    """The raw OpenAPI schema documented for a response, or None if it has no body.

    Error statuses the operation does not document map to ``responses.ApiError``.
    """
    template, op = find_operation(path, method)
    responses = op.get("responses", {})
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        if int(status) >= 400:
            return {"$ref": f"#/components/schemas/{FALLBACK_ERROR_SCHEMA}"}
        raise SchemaMismatch(
            f"{method.upper()} {template}: status {status} is not documented (documented: {sorted(responses)})"
        )
    content = resp.get("content") or {}
    if not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    return media.get("schema")


def _decode_body(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        if not body.strip():
            return None
        return json.loads(body)
    return body


def validate_response(
    path: str,
    method: str,
    status: int | str,
    body: Any,
    *,
    strict: bool = False,
) -> None:
    """Validate a response body against the operation's documented response.

    ``path``: a template (``/orderbook/{market}``) or a concrete path, with or
    without the ``/v1`` prefix or a query string. ``body``: the parsed JSON
    value, or raw ``bytes``/``str`` (parsed here; empty means no body).
    A response the spec documents without content (e.g. ``DELETE
    /orders/{order_id}`` 204) must have an empty body. ``strict=True`` rejects
    undeclared properties inside the referenced component schemas.
    """
    _jsonschema()
    template, _ = find_operation(path, method)
    schema = response_schema(path, method, status)
    value = _decode_body(body)
    what = f"{method.upper()} {template} -> {status}"
    if schema is None:
        if value not in (None, "", {}):
            raise SchemaMismatch(f"{what}: the spec documents no body, got {str(value)[:200]}")
        return
    if value is None:
        raise SchemaMismatch(f"{what}: the spec documents a JSON body, got none")
    converted = _convert(schema, strict=False)  # inline part; refs use the (strict) registry
    _raise_errors(_validator(converted, strict), value, what + (" (strict)" if strict else ""))


__all__ = [
    "EXTRA_NULLABLE",
    "SchemaMismatch",
    "find_operation",
    "is_valid",
    "load_spec",
    "response_schema",
    "schema_names",
    "schema_properties",
    "spec_available",
    "spec_path",
    "validate",
    "validate_response",
]
