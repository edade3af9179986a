"""JSON Schemas of collection and environment files, for editors: generated from the loader.

Why generated: ``runner/format/loader.py`` is the one definition of the format. The schemas follow
its key tables (``COLLECTION_KEYS``, ``STEP_KINDS``, ``AUTH_KEYS``, ``BODY_KINDS``, ...), so a
key added to the loader appears in them. What the tables do not say (the shape of a key's
value, its description) is written here, key by key; ``tests/test_schema.py`` fails when a
loader key has no description or when the shipped files in ``runner/data/`` are stale
(regenerate them with the ``--write`` script of the ``schema`` command,
``cli/commands/schema.py``).

The schemas are JSON Schema draft-07, the draft YAML language servers (VS Code, JetBrains,
Neovim's yamlls) support best; ``defaultSnippets`` is the YAML language server's extension for
completion and is ignored by validators. They accept what the loader accepts, as closely as
JSON Schema can say it; what only the loader can check (duplicate keys, aliases, duplicate
step ids, ``goto`` targets, undefined variables) is left to ``runner check``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from runner.core.model import MATCH_OPS, OAUTH1_PLACEMENTS, OAUTH1_SIGNATURE_METHODS
from runner.format import loader

Schema = dict[str, Any]
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
KINDS = ("collection", "environment")
DRAFT = "http://json-schema.org/draft-07/schema#"

IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
TEXT: Schema = {"type": ["string", "number", "boolean"]}  # any scalar, taken as written
NAME: Schema = {"type": "string", "pattern": IDENTIFIER_PATTERN}
CONDITION: Schema = {
    "type": ["string", "boolean"],
    "description": "An expression such as `role == 'admin'` (`<< >>` around it optional), "
    "or true/false.",
}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


def _text(description: str) -> Schema:
    return {**TEXT, "description": description}


def _bool(description: str) -> Schema:
    return {"type": "boolean", "description": description}


def _names(description: str) -> Schema:
    return {"type": "array", "items": NAME, "description": description}


def _method_schema() -> Schema:
    """Any case of a standard method, or an extension method in capitals (COPY, PURGE)."""
    any_case = "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in method)
        for method in loader.HTTP_METHODS
    )
    return {
        "anyOf": [
            {"enum": list(loader.HTTP_METHODS)},
            {"type": "string", "pattern": f"^(?:{any_case})$"},
            {"type": "string", "pattern": loader.CUSTOM_METHOD.pattern},
        ],
        "description": "The HTTP method, GET by default: "
        + ", ".join(loader.HTTP_METHODS)
        + " (any case), or an extension method in capitals.",
    }


# --- the value of every key, by where it is written -----------------------------------------
# Each table maps a key of the loader to its schema (with a description). A key the loader
# knows and a table lacks makes tests/test_schema.py fail: describe it here.

STEP_COMMON: dict[str, Schema] = {
    "id": _text("An identifier for the step; unique in the collection (for --from and goto)."),
    "description": _text("For readers only."),
    "tags": _names("Labels (identifiers); pytest markers, --tag selection."),
    "skip_if": {**CONDITION, "description": "Skip the step when this expression is true."},
    "run_if": {**CONDITION, "description": "Run the step only when this expression is true."},
    "delay": {"type": "number", "minimum": 0, "description": "Seconds to wait before the step."},
    "goto": _ref("goto"),
    "http2": _bool("Use HTTP/2 for this request."),
}

REQUEST: dict[str, Schema] = {
    "request": _text("The step's name: a request the runner sends."),
    "method": _method_schema(),
    "url": _text("The URL; may hold <<variables>>."),
    "params": {**_ref("params"), "description": "Query parameters added to the URL."},
    "headers": {**_ref("params"), "description": "Request headers."},
    "body": _ref("body"),
    "auth": _ref("auth"),
    "timeout": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "Wall-clock limit for the whole request, in seconds.",
    },
    "follow_redirects": _bool(
        "Follow 3xx redirects (false by default); short for `redirects: {follow: ...}`."
    ),
    "redirects": _ref("redirects"),
    "expect": _ref("expect"),
    "capture": _ref("capture"),
    "examples": {
        "type": "array",
        "items": _ref("example"),
        "description": "Example responses, for the documentation; never checked.",
    },
    "scripts": _ref("scripts"),
    "retry": _ref("retry"),
    "repeat": _ref("repeat"),
    "retries": _ref("retries"),
    "idempotent": _bool(
        "Safe to send twice: `retries` may resend it (GET, HEAD, PUT, DELETE, OPTIONS are)."
    ),
    "max_response_size": _ref("size"),
}

BROWSER: dict[str, Schema] = {
    "browser": _text("The step's name: a URL a person opens in a browser (never sent)."),
    "method": _method_schema(),
    "url": _text("The URL shown (or opened with --open)."),
    "params": {**_ref("params"), "description": "Query parameters added to the URL."},
    "open": _bool("Open the URL in the system browser."),
}

PAUSE: dict[str, Schema] = {
    "pause": _text("The step's name: wait for a person to give a value."),
    "variable": {**NAME, "description": "The variable that receives the value."},
    "prompt": _text("The question shown on the terminal."),
    "from_url": _text("When a whole URL is pasted, take this query parameter from it."),
    "state": _text("The `state` a pasted URL must carry (needs from_url)."),
    "secret": _bool("Hide the typed value and mask it in all output (true by default)."),
}

FOLDER: dict[str, Schema] = {
    "folder": _text("The folder's name: a group of steps."),
    "steps": {**_ref("steps"), "description": "The steps inside the folder."},
    "auth": _ref("auth"),
    "scripts": _ref("scripts"),
    "parallel": {
        "anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 1, "maximum": 64}],
        "description": "Run the folder's steps at once: true (up to 10) or how many at a time.",
    },
    "redirects": _ref("redirects"),
}

STEP_TABLES: dict[str, dict[str, Schema]] = {
    "request": REQUEST,
    "browser": BROWSER,
    "pause": PAUSE,
    "folder": FOLDER,
}

COLLECTION: dict[str, Schema] = {
    "name": _text("Shown in the report; the file name by default."),
    "description": _text("For readers only."),
    "variables": _ref("variables"),
    "secrets": _names("Variables whose values are masked in every output."),
    "auth": _ref("auth"),
    "tags": _names("Labels (identifiers); pytest markers."),
    "steps": {**_ref("steps"), "description": "The steps, run in order."},
    "scripts": _ref("scripts"),
    "http2": _bool("Use HTTP/2 for every request."),
    "retries": _ref("retries"),
    "max_response_size": _ref("size"),
    "redirects": _ref("redirects"),
    "run_scripts": _bool(
        "Run the Postman scripts kept under `scripts:` (as `runner run --scripts`)."
    ),
    "load": {
        "type": "object",
        "description": "`runner load` defaults (docs/load.md): thresholds that fail the load "
        "run, and think time between steps.",
        "properties": {
            "thresholds": {
                "type": "object",
                "properties": {
                    "p95_ms": {"type": "number", "minimum": 0, "description": "95th pct, ms."},
                    "p99_ms": {"type": "number", "minimum": 0, "description": "99th pct, ms."},
                    "median_ms": {"type": "number", "minimum": 0, "description": "Median, ms."},
                    "error_rate": {
                        "type": ["number", "string"],
                        "description": "Failed requests / requests: 0.01 or '1%'.",
                    },
                },
                "additionalProperties": False,
            },
            "think_time": {
                "anyOf": [
                    {"type": "number", "minimum": 0},
                    {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                ],
                "description": "Seconds between steps: a number or [min, max].",
            },
        },
        "additionalProperties": False,
    },
}

ENVIRONMENT: dict[str, Schema] = {
    "name": _text("Shown in the report; the file name by default."),
    "description": _text("For readers only."),
    "variables": _ref("variables"),
    "secrets": _names("Variables whose values are masked in every output."),
}

PARAM: dict[str, Schema] = {
    "value": {
        "anyOf": [TEXT, {"type": "array", "items": TEXT}],
        "description": "What is sent (a list repeats the name); without it: documentation only.",
    },
    "type": {"enum": list(loader.PARAM_TYPES), "description": "Documentation only."},
    "required": _bool("Documentation only."),
    "description": _text("Documentation only."),
    "enabled": _bool("false: not sent, and its variables are not checked."),
    "enum": {"type": "array", "description": "The allowed values; documentation only."},
}

PART: dict[str, Schema] = {
    "value": _text("The part's text."),
    "file": _text("A file to send, relative to the collection file."),
    "filename": _text("The file name sent with a file part."),
    "content_type": _text("The part's Content-Type."),
    "enabled": _bool("false: not sent, and its variables are not checked."),
}

GRAPHQL: dict[str, Schema] = {
    "query": _text("The GraphQL query."),
    "variables": {"type": "object", "description": "The query's variables."},
    "operation_name": _text("The operation to run."),
}

BODY: dict[str, Schema] = {
    "json": {"description": "Sent as JSON; any YAML value."},
    "form": {**_ref("params"), "description": "Sent URL-encoded (like params)."},
    "text": _text("Sent byte for byte (UTF-8)."),
    "multipart": {
        "type": "object",
        "additionalProperties": {"anyOf": [TEXT, _ref("part")]},
        "description": "Sent as multipart/form-data: fields and files.",
    },
    "graphql": {
        "anyOf": [TEXT, _ref("graphql")],
        "description": "A GraphQL query, sent as JSON.",
    },
    "file": _text("A file (relative to the collection) whose bytes are the whole body."),
    "content_type": _text("Replaces the default Content-Type."),
    "fields": {**_ref("params"), "description": "Documents the fields of a JSON body."},
}

EXPECT: dict[str, Schema] = {
    "status": {
        "anyOf": [
            {"type": "integer"},
            {"type": "array", "items": {"type": "integer"}},
            {"type": "object"},
        ],
        "description": "The status code, a list of allowed codes, or a comparison.",
    },
    "headers": {
        "type": "object",
        "additionalProperties": _ref("expectation"),
        "description": "Response headers, by name.",
    },
    "json": {
        "type": "object",
        "propertyNames": {"pattern": "^\\$"},
        "additionalProperties": _ref("expectation"),
        "description": "Values in the JSON body, by JSONPath ($.a.b).",
    },
    "body": {**_ref("expectation"), "description": "The body as text."},
    "max_time_ms": {
        "type": "number",
        "exclusiveMinimum": 0,
        "description": "The response must arrive within this many milliseconds.",
    },
    "schema": {"type": "object", "description": "A JSON Schema for the body (or one by status)."},
}

CAPTURE: dict[str, Schema] = {
    "json": {"type": "string", "pattern": "^\\$", "description": "A JSONPath into the body."},
    "header": _text("A response header."),
    "regex": {**_text("A regular expression over the body."), "format": "regex"},
    "cookie": _text("A cookie set by the response."),
    "status": {"const": True, "description": "The status code."},
    "body": {"const": True, "description": "The whole body."},
    "secret": _bool("Mask the value in all output (default: by the variable's name)."),
    "group": {"type": "integer", "minimum": 0, "description": "The regex group (0: all)."},
}

EXAMPLE: dict[str, Schema] = {
    "status": {"type": "integer", "minimum": 100, "maximum": 599, "description": "Status."},
    "description": _text("What the example shows."),
    "headers": {"type": "object", "additionalProperties": TEXT, "description": "Headers."},
    "json": {"description": "A JSON body."},
    "text": _text("A text body."),
}

SCRIPTS: dict[str, Schema] = {
    "prerequest": _text("JavaScript kept from an import; run only by `run --scripts`."),
    "test": _text("JavaScript kept from an import; run only by `run --scripts`."),
}

RETRY: dict[str, Schema] = {
    "max": {"type": "integer", "minimum": 1, "description": "The most attempts."},
    "interval": {"type": "number", "minimum": 0, "description": "Seconds between attempts."},
    "until": {**CONDITION, "description": "Retry until this expression is true."},
}

RETRIES: dict[str, Schema] = {
    "max": {"type": "integer", "minimum": 0, "description": "Further attempts (0: off)."},
    "backoff": {"type": "number", "minimum": 0, "description": "Seconds before the first resend."},
    "max_delay": {"type": "number", "minimum": 0, "description": "The longest wait, seconds."},
}

REDIRECTS: dict[str, Schema] = {
    "follow": _bool("Follow 3xx redirects (false by default)."),
    "max": {
        "type": "integer",
        "minimum": 0,
        "maximum": loader.MAX_REDIRECTS,
        "description": "Redirects followed at most (20 by default); one more fails the step.",
    },
    "keep_method": _bool(
        "Keep the method and body on a 301/302/303 instead of turning it into a GET."
    ),
    "referer": _bool(
        "Send Referer on each hop: the URL redirected from (only its origin to another origin)."
    ),
}

REPEAT_OVER: Schema = {
    "anyOf": [
        {"type": "array"},
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "<<"},
    ]
}
REPEAT: dict[str, Schema] = {
    "over": {**REPEAT_OVER, "description": "A list, a number of times, or a <<variable>>."},
    "as": {**NAME, "description": "The variable that holds each item (item by default)."},
}

GOTO: dict[str, Schema] = {
    "step": _text("The step (name or id) to go on with."),
    "end": {"const": True, "description": "End the iteration."},
    "if": {**CONDITION, "description": "Only when this expression is true."},
    "max": {"type": "integer", "minimum": 1, "description": "The most jumps (100)."},
}

# What each auth type requires (the loader's AUTH_KEYS says what each allows).
AUTH_REQUIRED: dict[str, tuple[str, ...]] = {
    "none": (),
    "basic": ("username", "password"),
    "bearer": ("token",),
    "apikey": ("key", "value"),
    "digest": ("username", "password"),
    "oauth1": ("consumer_key",),
}
AUTH: dict[str, Schema] = {
    "type": _text("The kind of auth."),
    "username": _text("The user name."),
    "password": _text("The password (masked in output)."),
    "token": _text("The bearer token (masked in output)."),
    "key": _text("The API key's header or query parameter name."),
    "value": _text("The API key (masked in output)."),
    "in": {
        "enum": ["header", "query", "body"],
        "description": "Where the API key (header, query) or the oauth1 parameters go.",
    },
    "grant": {
        "enum": [
            "authorization_code",
            "client_credentials",
            "account_credentials",
            "refresh_token",
        ],
        "description": "The OAuth 2.0 grant.",
    },
    "token_url": _text("The token endpoint."),
    "auth_url": _text("The authorization endpoint (authorization_code)."),
    "client_id": _text("The OAuth client id."),
    "client_secret": _text("The OAuth client secret (masked in output)."),
    "scopes": {"type": "array", "items": TEXT, "description": "The scopes to ask for."},
    "scope": _text("The scopes to ask for, space-separated."),
    "redirect_uri": _text("The redirect URI registered for the client."),
    "pkce": _bool("Use PKCE (S256)."),
    "client_auth": {"enum": ["basic", "body"], "description": "How the client authenticates."},
    "account_id": _text("The account (account_credentials)."),
    "refresh_token": _text("The refresh token (refresh_token grant; masked)."),
    "audience": _text("The audience to ask for."),
    "listen": _bool("Capture the redirect on a loopback listener."),
    "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds to wait."},
    "consumer_key": _text("The OAuth 1.0a consumer key."),
    "consumer_secret": _text("The OAuth 1.0a consumer secret (masked in output)."),
    "token_secret": _text("The OAuth 1.0a token secret (masked in output)."),
    "signature_method": {
        "enum": list(OAUTH1_SIGNATURE_METHODS),
        "description": "How OAuth 1.0a signs (HMAC-SHA1 by default).",
    },
    "private_key": _text("The PEM RSA private key for RSA-* (masked in output)."),
    "realm": _text("The realm sent in the Authorization header."),
    "callback": _text("oauth_callback (the request-token request)."),
    "verifier": _text("oauth_verifier (the access-token request)."),
    "nonce": _text("A fixed oauth_nonce (default: a fresh one per request)."),
    "timestamp": _text("A fixed oauth_timestamp (default: the time of sending)."),
    "version": _text("oauth_version (1.0 by default; empty: left out)."),
    "body_hash": _bool("Send oauth_body_hash for a body that is not a form."),
}
# keys whose meaning depends on the auth type
AUTH_BY_KIND: dict[str, dict[str, Schema]] = {
    "apikey": {"in": {"enum": ["header", "query"], "description": "Where the API key goes."}},
    "oauth1": {
        "in": {
            "enum": list(OAUTH1_PLACEMENTS),
            "description": "Where the oauth_* parameters go (body: a POST or PUT form, "
            "else the query).",
        },
        "token": _text("The OAuth 1.0a token (masked in output)."),
    },
}


def _object(
    table: Mapping[str, Schema], keys: Iterable[str], required: Iterable[str] = ()
) -> Schema:
    """An object that allows exactly ``keys`` (the loader's table, in its order)."""
    return {
        "type": "object",
        "properties": {key: table.get(key, {}) for key in keys},
        "additionalProperties": False,
        **({"required": list(required)} if required else {}),
    }


def _step_schema(kind: str, keys: tuple[str, ...]) -> Schema:
    table = {**STEP_COMMON, **STEP_TABLES[kind]}
    required = {"request": ("request", "url"), "browser": ("browser", "url")}.get(
        kind, {"pause": ("pause", "variable"), "folder": ("folder", "steps")}.get(kind, (kind,))
    )
    schema = _object(table, keys, required)
    schema["description"] = str(STEP_TABLES[kind][kind]["description"])
    if kind == "pause":
        schema["dependencies"] = {"state": ["from_url"]}
    return schema


def _auth_schema() -> Schema:
    types = list(loader.AUTH_KEYS)
    rules = []
    for kind, keys in loader.AUTH_KEYS.items():
        rules.append(
            {
                "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": _object(
                    {**AUTH, **AUTH_BY_KIND.get(kind, {})},
                    keys,
                    ("type", *AUTH_REQUIRED.get(kind, ())),
                ),
            }
        )
    all_keys = dict.fromkeys(k for keys in loader.AUTH_KEYS.values() for k in keys)
    properties = {key: AUTH.get(key, {}) for key in all_keys}
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
    ops["type"] = {"enum": [*loader.JSON_TYPE_NAMES, None]}
    ops["in"] = {"type": "array"}
    ops["length"] = {"type": "integer"}
    return {
        "description": "A value to equal, or a mapping of comparisons: " + ", ".join(MATCH_OPS),
        "anyOf": [
            {"not": {"type": "object"}},
            {"type": "object", "propertyNames": {"not": {"enum": list(MATCH_OPS)}}},
            {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"enum": list(MATCH_OPS)},
                "properties": ops,
            },
        ],
    }


def _capture_schema() -> Schema:
    sources = loader.CAPTURE_SOURCES
    detailed = _object(CAPTURE, (*sources, "secret", "group"))
    detailed["oneOf"] = [{"required": [source]} for source in sources]
    return {
        "type": "object",
        "description": "Values taken from the response into variables for the later steps.",
        "propertyNames": {"pattern": IDENTIFIER_PATTERN},
        "additionalProperties": {
            "anyOf": [
                {"type": "string", "pattern": "^\\$", "description": "A JSONPath into the body."},
                detailed,
            ]
        },
    }


def _body_schema() -> Schema:
    schema = _object(BODY, (*loader.BODY_KINDS, "content_type", "fields"))
    schema["description"] = "The request body: exactly one of " + ", ".join(loader.BODY_KINDS)
    schema["oneOf"] = [{"required": [kind]} for kind in loader.BODY_KINDS]
    schema["dependencies"] = {"fields": ["json"]}
    return schema


def _params_schema() -> Schema:
    documented = _object(PARAM, loader.PARAM_KEYS)
    return {
        "type": "object",
        "additionalProperties": {
            "anyOf": [TEXT, {"type": "array", "items": TEXT}, documented],
        },
    }


def _part_schema() -> Schema:
    schema = _object(PART, loader.PART_KEYS)
    schema["oneOf"] = [{"required": ["value"]}, {"required": ["file"]}]
    schema["dependencies"] = {"filename": ["file"]}
    return schema


def _goto_schema() -> Schema:
    detailed = _object(GOTO, loader.GOTO_KEYS)
    detailed["oneOf"] = [{"required": ["step"]}, {"required": ["end"]}]
    return {
        "anyOf": [TEXT, detailed],
        "description": "Go on with another step (by name or id) after this one.",
    }


def _example_schema() -> Schema:
    schema = _object(EXAMPLE, loader.EXAMPLE_KEYS, ("status",))
    schema["not"] = {"required": ["json", "text"]}
    return schema


def _retry_schema() -> Schema:
    detailed = _object(RETRY, loader.RETRY_KEYS, ("max",))
    return {
        "anyOf": [{"type": "integer", "minimum": 1}, detailed],
        "description": "Attempts until the expectations (and `until`) hold.",
    }


def _repeat_schema() -> Schema:
    return {
        "anyOf": [REPEAT_OVER, _object(REPEAT, loader.REPEAT_KEYS, ("over",))],
        "description": "Run the step once per item of a list, or a number of times.",
    }


STEP_SNIPPETS = [
    {"label": "request", "body": {"request": "$1", "method": "GET", "url": "$2"}},
    {"label": "browser", "body": {"browser": "$1", "url": "$2"}},
    {"label": "pause", "body": {"pause": "$1", "variable": "$2"}},
    {"label": "folder", "body": {"folder": "$1", "steps": []}},
]


def _definitions() -> Schema:
    steps = [_ref(f"{kind}_step") for kind in loader.STEP_KINDS]
    defs: Schema = {
        "variables": {
            "type": "object",
            "description": "Variables: names (identifiers) to any YAML value; "
            "strings may hold <<templates>>.",
            "propertyNames": {"pattern": IDENTIFIER_PATTERN},
        },
        "params": _params_schema(),
        "part": _part_schema(),
        "graphql": _object(GRAPHQL, loader.GRAPHQL_KEYS, ("query",)),
        "body": _body_schema(),
        "auth": _auth_schema(),
        "expectation": _expectation_schema(),
        "expect": {
            **_object(EXPECT, loader.EXPECT_KEYS),
            "description": "What the response must be; a failed expectation fails the step.",
        },
        "capture": _capture_schema(),
        "example": _example_schema(),
        "scripts": {
            **_object(SCRIPTS, loader.SCRIPT_KEYS),
            "description": "JavaScript kept verbatim from an import; inert unless `run --scripts`.",
        },
        "retry": _retry_schema(),
        "retries": {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                _object(RETRIES, loader.RETRIES_KEYS, ("max",)),
            ],
            "description": "Send an idempotent request again after a connection error, 429 "
            "or 503 (docs/format.md#retries).",
        },
        "redirects": {
            "anyOf": [{"type": "boolean"}, _object(REDIRECTS, loader.REDIRECTS_KEYS)],
            "description": "How 3xx answers are followed: true/false, or follow, max, "
            "keep_method, referer (docs/format.md#redirects). Inherited key by key.",
        },
        "size": {
            "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
            "description": "The response size cap: bytes, or e.g. 10MB, 512KiB.",
        },
        "repeat": _repeat_schema(),
        "goto": _goto_schema(),
        "steps": {"type": "array", "minItems": 1, "items": _ref("step")},
        "step": {
            "description": "A step: exactly one of request, browser, pause or folder.",
            "anyOf": steps,
            "defaultSnippets": STEP_SNIPPETS,
        },
    }
    for kind, keys in loader.STEP_KINDS.items():
        defs[f"{kind}_step"] = _step_schema(kind, keys)
    return defs


def collection_schema() -> Schema:
    """The JSON Schema of a collection file."""
    root = _object(COLLECTION, loader.COLLECTION_KEYS, ("steps",))
    return {
        "$schema": DRAFT,
        "title": "runner collection",
        "description": "A runner collection: HTTP requests run in order (docs/format.md).",
        **root,
        "definitions": _definitions(),
    }


def environment_schema() -> Schema:
    """The JSON Schema of an environment file."""
    return {
        "$schema": DRAFT,
        "title": "runner environment",
        "description": "A runner environment: the values of variables (docs/format.md).",
        **_object(ENVIRONMENT, loader.ENVIRONMENT_KEYS),
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


def undescribed_keys() -> list[str]:
    """Loader keys that have no schema here (each must be described; see the module doc)."""
    tables: list[tuple[str, Iterable[str], Mapping[str, Schema]]] = [
        ("collection", loader.COLLECTION_KEYS, COLLECTION),
        ("environment", loader.ENVIRONMENT_KEYS, ENVIRONMENT),
        ("param", loader.PARAM_KEYS, PARAM),
        ("body", (*loader.BODY_KINDS, "content_type", "fields"), BODY),
        ("expect", loader.EXPECT_KEYS, EXPECT),
        ("capture", loader.CAPTURE_SOURCES, CAPTURE),
        ("example", loader.EXAMPLE_KEYS, EXAMPLE),
        ("scripts", loader.SCRIPT_KEYS, SCRIPTS),
        ("retry", loader.RETRY_KEYS, RETRY),
        ("retries", loader.RETRIES_KEYS, RETRIES),
        ("redirects", loader.REDIRECTS_KEYS, REDIRECTS),
        ("repeat", loader.REPEAT_KEYS, REPEAT),
        ("goto", loader.GOTO_KEYS, GOTO),
        ("part", loader.PART_KEYS, PART),
        ("graphql", loader.GRAPHQL_KEYS, GRAPHQL),
        ("auth", (k for keys in loader.AUTH_KEYS.values() for k in keys), AUTH),
    ]
    for kind, keys in loader.STEP_KINDS.items():
        tables.append((f"{kind} step", keys, {**STEP_COMMON, **STEP_TABLES[kind]}))
    return sorted(
        {f"{where}: {key}" for where, keys, table in tables for key in keys if key not in table}
    )
