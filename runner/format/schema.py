"""JSON Schemas of collection and environment files, for editors: generated from the spec.

Why generated: ``runner/format/spec.py`` is the one definition of the format's keys (the
loader reads its key tables from there too). Each key's schema and description come from its
``Key``; what is not a key (the expectation operators, variables, the step kinds' choice) is
written here. ``tests/test_schema.py`` fails when the shipped files in ``runner/data/`` are
stale (regenerate them with ``python -m runner.cli.commands.schema --write``).

The schemas are JSON Schema draft-07, the draft YAML language servers (VS Code, JetBrains,
Neovim's yamlls) support best; ``defaultSnippets`` is the YAML language server's extension for
completion and is ignored by validators. They accept what the loader accepts, as closely as
JSON Schema can say it; what only the loader can check (duplicate keys, aliases, duplicate
step ids, ``goto`` targets, undefined variables) is left to ``runner check``.
"""

from __future__ import annotations

import json
from pathlib import Path

from runner.core.model import MATCH_OPS
from runner.format import spec
from runner.format.spec import IDENTIFIER_PATTERN, TEXT, Key, Mapping, Schema

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
KINDS = ("collection", "environment")
DRAFT = "http://json-schema.org/draft-07/schema#"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


def _method_schema() -> Schema:
    """Any case of a standard method, or an extension method in capitals (COPY, PURGE)."""
    any_case = "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in method)
        for method in spec.HTTP_METHODS
    )
    return {
        "anyOf": [
            {"enum": list(spec.HTTP_METHODS)},
            {"type": "string", "pattern": f"^(?:{any_case})$"},
            {"type": "string", "pattern": spec.CUSTOM_METHOD.pattern},
        ]
    }


def key_schema(key: Key) -> Schema:
    """The schema of one key's value, with its description (what editors show on hover)."""
    if key.keys is not None:  # a nested mapping, written out in place
        return {"type": "object", "description": key.doc, **_object(key.keys)}
    if key.ref is not None:
        return {**_ref(key.ref), "description": key.doc}
    if key is spec.METHOD:
        out = _method_schema()
    elif key.schema is not None:
        out = dict(key.schema)
    elif key.values:
        out = {"enum": list(key.values)}
    else:
        out = dict(spec.TYPES[key.type])
    bounds = {"minimum": key.least, "maximum": key.most, "exclusiveMinimum": key.above}
    out.update({word: bound for word, bound in bounds.items() if bound is not None})
    return {**out, "description": key.doc}


def _object(mapping: Mapping, keys: Mapping | None = None) -> Schema:
    """An object that allows exactly the mapping's keys, with its rules between keys; the
    properties' schemas are taken from ``keys`` when given (an auth type's own meanings)."""
    table = keys or mapping
    out: Schema = {
        "type": "object",
        "properties": {name: key_schema(table[name]) for name in mapping.names},
        "additionalProperties": False,
    }
    if mapping.required:
        out["required"] = list(mapping.required)
    if mapping.one_of:
        out["oneOf"] = [{"required": [name]} for name in mapping.one_of]
    if mapping.at_most_one:
        out["not"] = {"required": list(mapping.at_most_one)}
    needs = {key.name: [key.needs] for key in mapping.keys if key.needs}
    if needs:
        out["dependencies"] = needs
    return out


def _described(description: str, schema: Schema) -> Schema:
    return {**schema, "description": description}


def _step_schema(kind: str) -> Schema:
    mapping = spec.STEPS[kind]
    return _described(mapping[kind].doc, _object(mapping))


def _auth_schema() -> Schema:
    types = list(spec.AUTH_TYPES)
    rules = [
        {
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": _object(mapping),
        }
        for kind, mapping in spec.AUTH_TYPES.items()
    ]
    names = dict.fromkeys(n for mapping in spec.AUTH_TYPES.values() for n in mapping.names)
    properties = {name: key_schema(spec.AUTH_ANY[name]) for name in names}
    properties["type"] = {"enum": types, "description": "The kind of auth: " + ", ".join(types)}
    return {
        "type": "object",
        "description": "How requests authenticate; inherited by the steps inside, "
        "`type: none` stops the inheritance.",
        "properties": properties,
        "required": ["type"],
        "allOf": rules,
    }


def _expectation_schema() -> Schema:
    ops: dict[str, Schema] = {op: {} for op in MATCH_OPS}
    ops["matches"] = {**TEXT, "format": "regex"}
    ops["exists"] = {"type": "boolean"}
    ops["type"] = {"enum": [*spec.JSON_TYPE_NAMES, None]}
    ops["in"] = {"type": "array"}
    ops["length"] = {"type": "integer"}
    named = {**ops, spec.CHECK_NAME: {"type": "string", "description": "The check's name."}}
    return {
        "description": "A value to equal, or a mapping of comparisons: "
        + ", ".join(MATCH_OPS)
        + f" (and `{spec.CHECK_NAME}`, what reports call the check)",
        "anyOf": [
            {"not": {"type": "object"}},
            {"type": "object", "propertyNames": {"not": {"enum": list(MATCH_OPS)}}},
            {
                "type": "object",
                "anyOf": [{"required": [op]} for op in MATCH_OPS],
                "propertyNames": {"enum": [*MATCH_OPS, spec.CHECK_NAME]},
                "properties": named,
            },
        ],
    }


def _capture_schema() -> Schema:
    return {
        "type": "object",
        "description": "Values taken from the response into variables for the later steps.",
        "propertyNames": {"pattern": IDENTIFIER_PATTERN},
        "additionalProperties": {
            "anyOf": [
                {"type": "string", "pattern": "^\\$", "description": "A JSONPath into the body."},
                _object(spec.CAPTURE),
            ]
        },
    }


def _params_schema() -> Schema:
    return {
        "type": "object",
        "additionalProperties": {
            "anyOf": [TEXT, {"type": "array", "items": TEXT}, _object(spec.PARAM)],
        },
    }


STEP_SNIPPETS = [
    {"label": "request", "body": {"request": "$1", "method": "GET", "url": "$2"}},
    {"label": "browser", "body": {"browser": "$1", "url": "$2"}},
    {"label": "pause", "body": {"pause": "$1", "variable": "$2"}},
    {"label": "folder", "body": {"folder": "$1", "steps": []}},
]


def _definitions() -> Schema:
    body_kinds = ", ".join(spec.BODY.one_of)
    defs: Schema = {
        "variables": {
            "type": "object",
            "description": "Variables: names (identifiers) to any YAML value; "
            "strings may hold <<templates>>.",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
        },
        "params": _params_schema(),
        "part": _object(spec.PART),
        "graphql": _object(spec.GRAPHQL),
        "body": _described(f"The request body: exactly one of {body_kinds}", _object(spec.BODY)),
        "auth": _auth_schema(),
        "expectation": _expectation_schema(),
        "expect": _described(
            "What the response must be; a failed expectation fails the step.", _object(spec.EXPECT)
        ),
        "capture": _capture_schema(),
        "example": _object(spec.EXAMPLE),
        "scripts": _described(
            "JavaScript kept verbatim from an import; inert unless `run --scripts`.",
            _object(spec.SCRIPT_MAP),
        ),
        "retry": {
            "anyOf": [{"type": "integer", "minimum": 1}, _object(spec.RETRY)],
            "description": "Attempts until the expectations (and `until`) hold.",
        },
        "retries": {
            "anyOf": [{"type": "integer", "minimum": 0}, _object(spec.RETRIES_MAP)],
            "description": "Send an idempotent request again after a connection error, 429 "
            "or 503 (docs/format.md#retries).",
        },
        "redirects": {
            "anyOf": [{"type": "boolean"}, _object(spec.REDIRECTS_MAP)],
            "description": "How 3xx answers are followed: true/false, or follow, max, "
            "keep_method, referer (docs/format.md#redirects). Inherited key by key.",
        },
        "size": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
            "description": "The response size cap: bytes, or e.g. 10MB, 512KiB.",
        },
        "repeat": {
            "anyOf": [spec.REPEAT_OVER, _object(spec.REPEAT)],
            "description": "Run the step once per item of a list, or a number of times.",
        },
        "goto": {
            "anyOf": [TEXT, _object(spec.GOTO_MAP)],
            "description": "Go on with another step (by name or id) after this one.",
        },
        "steps": {"type": "array", "minItems": 1, "items": _ref("step")},
        "step": {
            "description": "A step: exactly one of request, browser, pause or folder.",
            "anyOf": [_ref(f"{kind}_step") for kind in spec.STEPS],
            "defaultSnippets": STEP_SNIPPETS,
        },
    }
    for kind in spec.STEPS:
        defs[f"{kind}_step"] = _step_schema(kind)
    return defs


def collection_schema() -> Schema:
    """The JSON Schema of a collection file."""
    return {
        "$schema": DRAFT,
        "title": "runner collection",
        "description": "A runner collection: HTTP requests run in order (docs/format.md).",
        **_object(spec.COLLECTION),
        "definitions": _definitions(),
    }


def environment_schema() -> Schema:
    """The JSON Schema of an environment file."""
    return {
        "$schema": DRAFT,
        "title": "runner environment",
        "description": "A runner environment: the values of variables (docs/format.md).",
        **_object(spec.ENVIRONMENT),
        "definitions": {"variables": _definitions()["variables"]},
    }


def generate(kind: str) -> str:
    """The schema of ``kind`` as the text shipped in runner/data/ (stable key order)."""
    schema = collection_schema() if kind == "collection" else environment_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def shipped_path(kind: str) -> Path:
    return DATA_DIR / f"{kind}.schema.json"


def shipped(kind: str) -> str:
    """The schema file shipped in the package (what editors are pointed at)."""
    return shipped_path(kind).read_text(encoding="utf-8")
