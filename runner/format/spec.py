"""The collection and environment format, key by key: its one definition.

Every mapping a file may hold (the collection, each kind of step, each auth type, ``expect``,
``capture``, ...) is a ``Mapping`` of ``Key``s in their canonical order. From here:

- the loader (runner.format.loader) takes the keys each mapping allows and requires (hence its
  "unknown key ... did you mean" hints) and the default of each simple key;
- the editor JSON Schemas (runner.format.schema, shipped in runner/data/) are generated;
- ``runner fmt`` takes its canonical key order;
- tests/test_format_spec.py checks the key tables of docs/format.md.

What needs code stays in the loader: templates, auth types' and grants' rules, matchers,
goto targets, sizes, and the exact wording of each error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from runner.core.model import OAUTH1_PLACEMENTS, OAUTH1_SIGNATURE_METHODS

Schema = dict[str, Any]

IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
# Other methods (WebDAV's COPY, PURGE, a Postman collection's custom verb) are taken when
# written in capitals, at least four long and not a near miss of a standard method, so that
# `gte`, `GETS` or `PSOT` still get "did you mean".
CUSTOM_METHOD = re.compile(r"^[A-Z][A-Z0-9_-]{3,}$")
PARAM_TYPES = ("string", "integer", "number", "boolean", "array", "object")
JSON_TYPE_NAMES = ("string", "number", "integer", "boolean", "array", "object", "null")
# The key beside an expectation's operators that names the check in reports
# (``status: {eq: 200, name: Status is 200}``): a Postman test's name, kept by the import.
CHECK_NAME = "name"
MAX_REDIRECTS = 1000
MAX_PARALLEL = 64

TEXT: Schema = {"type": ["string", "number", "boolean"]}  # any scalar, taken as written
NAME: Schema = {"type": "string", "pattern": IDENTIFIER_PATTERN}

# The JSON Schema of each value type a key may name.
TYPES: dict[str, Schema] = {
    "text": TEXT,  # a string field: any scalar, as written (`on` stays "on")
    "bool": {"type": "boolean"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "name": NAME,  # an identifier
    "names": {"type": "array", "items": NAME},
    "condition": {"type": ["string", "boolean"]},  # `role == 'admin'`, or true/false
    "mapping": {"type": "object"},
    "list": {"type": "array"},
    "true": {"const": True},  # `status: true`: the key's presence is what counts
    "any": {},  # any YAML value
}


@dataclass(frozen=True)
class Key:
    """One key of a mapping: what its value is, what it means, and what it defaults to.

    ``ref`` names a definition of the JSON Schema (a shape parsed by the loader's code);
    ``keys`` is a nested mapping written out in place; ``schema`` gives a shape the type
    alone cannot say. ``least``/``most``/``above`` bound a number, ``needs`` names the key it
    only goes with."""

    name: str
    type: str
    doc: str
    default: Any = None
    values: tuple[Any, ...] = ()
    least: float | None = None
    most: float | None = None
    above: float | None = None
    needs: str | None = None
    ref: str | None = None
    keys: Mapping | None = None
    schema: Schema | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"key {self.name!r}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Mapping:
    """The keys a mapping allows, in canonical order; ``required`` must be there, exactly one
    of ``one_of`` must be (body kinds, capture sources), at most one of ``at_most_one``."""

    where: str
    keys: tuple[Key, ...]
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    at_most_one: tuple[str, ...] = ()
    names: tuple[str, ...] = field(init=False)
    by_name: dict[str, Key] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(k.name for k in self.keys))
        object.__setattr__(self, "by_name", {k.name: k for k in self.keys})
        unknown = {*self.required, *self.one_of, *self.at_most_one} - set(self.names)
        if unknown or len(set(self.names)) != len(self.names):
            raise ValueError(f"{self.where}: bad key table ({sorted(unknown)})")

    def __getitem__(self, name: str) -> Key:
        return self.by_name[name]


def _mapping(where: str, *keys: Key, **rules: tuple[str, ...]) -> Mapping:
    return Mapping(where, keys, **rules)


# --- keys shared by several mappings -----------------------------------------------------------

ID = Key(
    "id", "text", "An identifier for the step; unique in the collection (for --from and goto)."
)
DESCRIPTION = Key("description", "text", "For readers only.")
STEP_TAGS = Key("tags", "names", "Labels (identifiers); pytest markers, --tag selection.")
SKIP_IF = Key("skip_if", "condition", "Skip the step when this expression is true.")
RUN_IF = Key("run_if", "condition", "Run the step only when this expression is true.")
DELAY = Key("delay", "number", "Seconds to wait before the step.", least=0)
GOTO = Key("goto", "any", "Go on with another step (by name or id) after this one.", ref="goto")
SCRIPTS = Key("scripts", "mapping", "JavaScript kept from an import (inert).", ref="scripts")
AUTH = Key(
    "auth", "mapping", "How requests authenticate; inherited by the steps inside.", ref="auth"
)
REDIRECTS = Key("redirects", "any", "How 3xx answers are followed.", ref="redirects")
RETRIES = Key("retries", "any", "Resends after a connection error, 429 or 503.", ref="retries")
SIZE = Key("max_response_size", "any", "The response size cap.", ref="size")
VARIABLES = Key("variables", "mapping", "Variables: names to any YAML value.", ref="variables")
SECRETS = Key("secrets", "names", "Variables whose values are masked in every output.")
FILE_NAME = Key("name", "text", "Shown in the report; the file name by default.")
PARAMS = Key("params", "mapping", "Query parameters added to the URL.", ref="params")
METHOD = Key(
    "method",
    "text",
    "The HTTP method, GET by default: " + ", ".join(HTTP_METHODS) + " (any case), "
    "or an extension method in capitals.",
    default="GET",
    values=HTTP_METHODS,
)

# --- collection and environment ------------------------------------------------------------

THRESHOLDS = _mapping(
    "load.thresholds",
    Key("p95_ms", "number", "95th pct, ms.", least=0),
    Key("p99_ms", "number", "99th pct, ms.", least=0),
    Key("median_ms", "number", "Median, ms.", least=0),
    Key(
        "error_rate",
        "any",
        "Failed requests / requests: 0.01 or '1%'.",
        schema={"type": ["number", "string"]},
    ),
)
LOAD = _mapping(
    "load",
    Key("thresholds", "mapping", "Limits that fail the load run.", keys=THRESHOLDS),
    Key(
        "think_time",
        "any",
        "Seconds between steps: a number or [min, max].",
        schema={
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            ]
        },
    ),
)

COLLECTION = _mapping(
    "the collection",
    FILE_NAME,
    DESCRIPTION,
    VARIABLES,
    SECRETS,
    AUTH,
    Key("tags", "names", "Labels (identifiers); pytest markers."),
    Key("steps", "list", "The steps, run in order.", ref="steps"),
    SCRIPTS,
    Key("http2", "bool", "Use HTTP/2 for every request.", default=False),
    Key(
        "load",
        "mapping",
        "`runner load` defaults (docs/load.md): thresholds that fail the load run, "
        "and think time between steps.",
        keys=LOAD,
    ),
    Key(
        "run_scripts",
        "bool",
        "Run the Postman scripts kept under `scripts:` (as `runner run --scripts`).",
        default=False,
    ),
    Key(
        "undefined_variables",
        "text",
        "error: a variable no one defines stops the run before sending (the check before "
        "sending); literal: it is sent as Postman writes it, {{name}}, with a warning on the "
        "step (Newman's way; written by `runner import postman`).",
        default="error",
        values=("error", "literal"),
    ),
    Key(
        "csv_values",
        "text",
        "How a CSV data file's values are read (`--data`): text: as written, every value "
        "text, spaces kept; newman: as Newman reads them, spaces around a comma trimmed and "
        "unquoted numbers cast to numbers (written by `runner import postman`).",
        default="text",
        values=("text", "newman"),
    ),
    Key(
        "missing_files",
        "text",
        "error: a file part or file body whose file is not there is a step error, nothing "
        "sent; skip: the file part is left out and the request sent, with a warning on the "
        "step (Newman's way; written by `runner import postman`).",
        default="error",
        values=("error", "skip"),
    ),
    RETRIES,
    SIZE,
    REDIRECTS,
    required=("steps",),
)

ENVIRONMENT = _mapping("the environment", FILE_NAME, DESCRIPTION, VARIABLES, SECRETS)

# --- steps ---------------------------------------------------------------------------------------

REQUEST_STEP = _mapping(
    "request step",
    Key("request", "text", "The step's name: a request the runner sends."),
    ID,
    DESCRIPTION,
    METHOD,
    Key("url", "text", "The URL; may hold <<variables>>."),
    PARAMS,
    Key("headers", "mapping", "Request headers.", ref="params"),
    Key("body", "mapping", "The request body.", ref="body"),
    AUTH,
    Key(
        "timeout",
        "any",
        "Wall-clock limit for the whole request, in seconds (a number, or a <<variable>> "
        "that holds one).",
        schema={
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": "<<"},
            ]
        },
    ),
    Key(
        "follow_redirects",
        "bool",
        "Follow 3xx redirects (false by default); short for `redirects: {follow: ...}`.",
    ),
    Key("expect", "mapping", "What the response must be.", ref="expect"),
    Key("capture", "mapping", "Values taken from the response.", ref="capture"),
    STEP_TAGS,
    Key(
        "examples",
        "list",
        "Example responses, for the documentation; never checked.",
        schema={"type": "array", "items": {"$ref": "#/definitions/example"}},
    ),
    SCRIPTS,
    SKIP_IF,
    RUN_IF,
    DELAY,
    Key("retry", "any", "Attempts until the expectations hold.", ref="retry"),
    Key("repeat", "any", "Run the step once per item.", ref="repeat"),
    GOTO,
    Key("http2", "bool", "Use HTTP/2 for this request."),
    RETRIES,
    Key(
        "idempotent",
        "bool",
        "Safe to send twice: `retries` may resend it (GET, HEAD, PUT, DELETE, OPTIONS are).",
    ),
    SIZE,
    REDIRECTS,
    required=("request", "url"),
)
BROWSER_STEP = _mapping(
    "browser step",
    Key("browser", "text", "The step's name: a URL a person opens in a browser (never sent)."),
    ID,
    DESCRIPTION,
    METHOD,
    Key("url", "text", "The URL shown (or opened with --open)."),
    PARAMS,
    Key("open", "bool", "Open the URL in the system browser.", default=False),
    STEP_TAGS,
    SKIP_IF,
    RUN_IF,
    DELAY,
    GOTO,
    required=("browser", "url"),
)
PAUSE_STEP = _mapping(
    "pause step",
    Key("pause", "text", "The step's name: wait for a person to give a value."),
    ID,
    DESCRIPTION,
    Key("variable", "name", "The variable that receives the value."),
    Key("prompt", "text", "The question shown on the terminal."),
    Key("from_url", "text", "When a whole URL is pasted, take this query parameter from it."),
    Key("state", "text", "The `state` a pasted URL must carry (needs from_url).", needs="from_url"),
    Key(
        "secret",
        "bool",
        "Hide the typed value and mask it in all output (true by default).",
        default=True,
    ),
    STEP_TAGS,
    SKIP_IF,
    RUN_IF,
    DELAY,
    GOTO,
    required=("pause", "variable"),
)
FOLDER_STEP = _mapping(
    "folder step",
    Key("folder", "text", "The folder's name: a group of steps."),
    ID,
    DESCRIPTION,
    AUTH,
    Key("steps", "list", "The steps inside the folder.", ref="steps"),
    STEP_TAGS,
    SCRIPTS,
    SKIP_IF,
    RUN_IF,
    DELAY,
    Key(
        "parallel",
        "any",
        "Run the folder's steps at once: true (up to 10) or how many at a time.",
        default=False,
        schema={
            "anyOf": [
                {"type": "boolean"},
                {"type": "integer", "minimum": 1, "maximum": MAX_PARALLEL},
            ]
        },
    ),
    REDIRECTS,
    required=("folder", "steps"),
)
# a step is exactly one of these kinds; the kind's key holds the step's name
STEPS: dict[str, Mapping] = {
    "request": REQUEST_STEP,
    "browser": BROWSER_STEP,
    "pause": PAUSE_STEP,
    "folder": FOLDER_STEP,
}
FLOW_KEYS = ("skip_if", "run_if", "delay", "retry", "repeat", "goto")  # read into a Flow

# --- inside a request ---------------------------------------------------------------------------

PARAM = _mapping(
    "a documented param",
    Key(
        "value",
        "any",
        "What is sent (a list repeats the name); without it: documentation only.",
        schema={"anyOf": [TEXT, {"type": "array", "items": TEXT}]},
    ),
    Key("type", "text", "Documentation only.", values=PARAM_TYPES),
    Key("required", "bool", "Documentation only.", default=False),
    Key("description", "text", "Documentation only."),
    Key("enabled", "bool", "false: not sent, and its variables are not checked.", default=True),
    Key("enum", "list", "The allowed values; documentation only."),
)
PART = _mapping(
    "a multipart part",
    Key("value", "text", "The part's text."),
    Key("file", "text", "A file to send, relative to the collection file."),
    Key("filename", "text", "The file name sent with a file part.", needs="file"),
    Key("content_type", "text", "The part's Content-Type."),
    Key("enabled", "bool", "false: not sent, and its variables are not checked.", default=True),
    one_of=("value", "file"),
)
GRAPHQL = _mapping(
    "body.graphql",
    Key("query", "text", "The GraphQL query."),
    Key("variables", "mapping", "The query's variables."),
    Key("operation_name", "text", "The operation to run."),
    required=("query",),
)
BODY = _mapping(
    "body",
    Key("json", "any", "Sent as JSON; any YAML value."),
    Key("form", "mapping", "Sent URL-encoded (like params).", ref="params"),
    Key("text", "text", "Sent byte for byte (UTF-8)."),
    Key(
        "multipart",
        "mapping",
        "Sent as multipart/form-data: fields and files.",
        schema={
            "type": "object",
            "additionalProperties": {"anyOf": [TEXT, {"$ref": "#/definitions/part"}]},
        },
    ),
    Key(
        "graphql",
        "any",
        "A GraphQL query, sent as JSON.",
        schema={"anyOf": [TEXT, {"$ref": "#/definitions/graphql"}]},
    ),
    Key("file", "text", "A file (relative to the collection) whose bytes are the whole body."),
    Key("content_type", "text", "Replaces the default Content-Type."),
    Key("fields", "mapping", "Documents the fields of a JSON body.", ref="params", needs="json"),
    one_of=("json", "form", "text", "multipart", "graphql", "file"),
)
EXPECTATION = {"$ref": "#/definitions/expectation"}
EXPECT = _mapping(
    "expect",
    Key(
        "status",
        "any",
        "The status code, a list of allowed codes, or a comparison.",
        schema={
            "anyOf": [
                {"type": "integer"},
                {"type": "array", "items": {"type": "integer"}},
                {"type": "object"},
            ]
        },
    ),
    Key(
        "headers",
        "mapping",
        "Response headers, by name.",
        schema={"type": "object", "additionalProperties": EXPECTATION},
    ),
    Key(
        "json",
        "mapping",
        "Values in the JSON body, by JSONPath ($.a.b).",
        schema={
            "type": "object",
            "propertyNames": {"pattern": "^\\$"},
            "additionalProperties": EXPECTATION,
        },
    ),
    Key("body", "any", "The body as text.", ref="expectation"),
    Key(
        "max_time_ms",
        "any",
        "The response must arrive within this many milliseconds (a number, or a "
        "<<variable>> that holds one; {le: N, name: ...} names the check).",
        schema={
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": "<<"},
                {
                    "type": "object",
                    "required": ["le"],
                    "additionalProperties": False,
                    "properties": {
                        "le": {
                            "anyOf": [
                                {"type": "number", "exclusiveMinimum": 0},
                                {"type": "string", "pattern": "<<"},
                            ]
                        },
                        CHECK_NAME: {"type": "string"},
                    },
                },
            ]
        },
    ),
    Key("schema", "mapping", "A JSON Schema for the body (or one by status)."),
)
CAPTURE = _mapping(
    "a capture",
    Key(
        "json",
        "text",
        "A JSONPath into the body.",
        schema={"type": "string", "pattern": "^\\$"},
    ),
    Key("header", "text", "A response header."),
    Key(
        "regex",
        "text",
        "A regular expression over the body.",
        schema={**TEXT, "format": "regex"},
    ),
    Key("cookie", "text", "A cookie set by the response."),
    Key("status", "true", "The status code."),
    Key("body", "true", "The whole body."),
    Key("secret", "bool", "Mask the value in all output (default: by the variable's name)."),
    Key("group", "integer", "The regex group (0: all).", default=1, least=0),
    Key(
        "optional",
        "bool",
        "A missing value (the JSONPath's last step finds nothing, no such header or cookie) "
        "leaves the variable as it was instead of failing the step.",
        default=False,
    ),
    Key(
        "default",
        "any",
        "The value a missing value gives the variable, instead of failing the step "
        "(`null`: what a Postman setter of `undefined` stores).",
    ),
    one_of=("json", "header", "regex", "cookie", "status", "body"),
)
EXAMPLE = _mapping(
    "an example",
    Key("status", "integer", "Status.", least=100, most=599),
    Key("description", "text", "What the example shows."),
    Key(
        "headers",
        "mapping",
        "Headers.",
        schema={"type": "object", "additionalProperties": TEXT},
    ),
    Key("json", "any", "A JSON body."),
    Key("text", "text", "A text body."),
    required=("status",),
    at_most_one=("json", "text"),
)
SCRIPT_MAP = _mapping(
    "scripts",
    Key("prerequest", "text", "JavaScript kept from an import; run only by `run --scripts`."),
    Key("test", "text", "JavaScript kept from an import; run only by `run --scripts`."),
)

# --- flow control and resilience -------------------------------------------------------------

RETRY = _mapping(
    "retry",
    Key("max", "integer", "The most attempts.", least=1),
    Key("interval", "number", "Seconds between attempts.", default=1.0, least=0),
    Key("until", "condition", "Retry until this expression is true."),
    required=("max",),
)
RETRIES_MAP = _mapping(
    "retries",
    Key("max", "integer", "Further attempts (0: off).", least=0),
    Key("backoff", "number", "Seconds before the first resend.", default=0.5, least=0),
    Key("max_delay", "number", "The longest wait, seconds.", default=30.0, least=0),
    required=("max",),
)
REDIRECTS_MAP = _mapping(
    "redirects",
    Key("follow", "bool", "Follow 3xx redirects (false by default).", default=False),
    Key(
        "max",
        "integer",
        "Redirects followed at most (20 by default); one more fails the step.",
        default=20,
        least=0,
        most=MAX_REDIRECTS,
    ),
    Key(
        "keep_method",
        "bool",
        "Keep the method and body on a 301/302/303 instead of turning it into a GET.",
        default=False,
    ),
    Key(
        "referer",
        "bool",
        "Send Referer on each hop: the URL redirected from (only its origin to another origin).",
        default=False,
    ),
)
REPEAT_OVER: Schema = {
    "anyOf": [
        {"type": "array"},
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "<<"},
    ]
}
REPEAT = _mapping(
    "repeat",
    Key("over", "any", "A list, a number of times, or a <<variable>>.", schema=REPEAT_OVER),
    Key("as", "name", "The variable that holds each item (item by default).", default="item"),
    required=("over",),
)
GOTO_MAP = _mapping(
    "goto",
    Key("step", "text", "The step (name or id) to go on with."),
    Key("end", "true", "End the iteration."),
    Key("if", "condition", "Only when this expression is true."),
    Key("max", "integer", "The most jumps (100).", default=100, least=1),
    one_of=("step", "end"),
)

# --- auth ----------------------------------------------------------------------------------------

# The grants of oauth2 and the keys each requires; and the keys that belong to one grant only.
OAUTH2_GRANTS: dict[str, tuple[str, ...]] = {
    "authorization_code": ("redirect_uri",),  # and auth_url, unless issuer (discovery)
    "device_code": (),  # and device_authorization_url, unless issuer (discovery)
    "client_credentials": (),
    "account_credentials": ("account_id",),
    "refresh_token": ("refresh_token",),
}
OAUTH2_GRANT_ONLY: dict[str, str] = {
    "auth_url": "authorization_code",
    "redirect_uri": "authorization_code",
    "pkce": "authorization_code",
    "params": "authorization_code",
    "device_authorization_url": "device_code",
    "account_id": "account_credentials",
}

# The grants whose block may hold a refresh token: the refresh_token grant's own, or (with a
# person's grant) one to start from, so that CI refreshes where a person would authorize.
OAUTH2_REFRESH_GRANTS = ("refresh_token", "authorization_code", "device_code")

# Every auth key as the top of an auth mapping shows it, whatever the type; a type may say
# more (AUTH_TYPES below).
AUTH_ANY = _mapping(
    "auth",
    Key("type", "text", "The kind of auth."),
    Key("username", "text", "The user name."),
    Key("password", "text", "The password (masked in output)."),
    Key("token", "text", "The bearer token (masked in output)."),
    Key("key", "text", "The API key's header or query parameter name."),
    Key("value", "text", "The API key (masked in output)."),
    Key(
        "in",
        "text",
        "Where the API key (header, query) or the oauth1 parameters go.",
        values=OAUTH1_PLACEMENTS,
    ),
    Key("grant", "text", "The OAuth 2.0 grant.", values=tuple(OAUTH2_GRANTS)),
    Key("token_url", "text", "The token endpoint."),
    Key("auth_url", "text", "The authorization endpoint (authorization_code)."),
    Key(
        "device_authorization_url",
        "text",
        "The device authorization endpoint (device_code, RFC 8628).",
    ),
    Key("client_id", "text", "The OAuth client id."),
    Key("client_secret", "text", "The OAuth client secret (masked in output)."),
    Key(
        "scopes",
        "any",
        "The scopes to ask for: a list, or one string of space-separated scopes.",
        schema={"anyOf": [TEXT, {"type": "array", "items": TEXT}]},
    ),
    Key("redirect_uri", "text", "The redirect URI registered for the client."),
    Key("pkce", "bool", "Use PKCE (S256).", default=True),
    Key(
        "client_auth",
        "text",
        "How the client authenticates: client_secret_basic (basic), client_secret_post "
        "(body), private_key_jwt or none; may be a template.",
        default="basic",
    ),
    Key(
        "params",
        "any",
        "Extra parameters of the authorize request (prompt, audience, login_hint...), templated.",
        schema={"type": "object", "additionalProperties": TEXT},
    ),
    Key(
        "issuer",
        "text",
        "The OpenID issuer: endpoints from its /.well-known/openid-configuration, ID tokens "
        "and the redirect's iss checked.",
    ),
    Key("account_id", "text", "The account (account_credentials)."),
    Key(
        "client_assertion_key",
        "text",
        "private_key_jwt: the PEM private key file that signs the client assertion "
        "(inside the collection's folder or a --file-root).",
    ),
    Key(
        "refresh_token",
        "text",
        "The refresh token: the refresh_token grant's, or one to start from before asking a "
        "person (masked).",
    ),
    Key("consumer_key", "text", "The OAuth 1.0a consumer key."),
    Key("consumer_secret", "text", "The OAuth 1.0a consumer secret (masked in output)."),
    Key("token_secret", "text", "The OAuth 1.0a token secret (masked in output)."),
    Key(
        "signature_method",
        "text",
        "How OAuth 1.0a signs (HMAC-SHA1 by default).",
        default="HMAC-SHA1",
        values=OAUTH1_SIGNATURE_METHODS,
    ),
    Key("private_key", "text", "The PEM RSA private key for RSA-* (masked in output)."),
    Key("realm", "text", "The realm sent in the Authorization header."),
    Key("callback", "text", "oauth_callback (the request-token request)."),
    Key("verifier", "text", "oauth_verifier (the access-token request)."),
    Key("nonce", "text", "A fixed oauth_nonce (default: a fresh one per request)."),
    Key("timestamp", "text", "A fixed oauth_timestamp (default: the time of sending)."),
    Key("version", "text", "oauth_version (1.0 by default; empty: left out).", default="1.0"),
    Key("body_hash", "bool", "Send oauth_body_hash for a body that is not a form.", default=False),
)


def _auth(kind: str, names: str, required: str, *own: Key) -> Mapping:
    """The mapping of one auth type: ``names`` taken from AUTH_ANY unless ``own`` says more."""
    mine = {key.name: key for key in own}
    keys = [mine.get(name) or AUTH_ANY[name] for name in ("type", *names.split())]
    return Mapping(f"{kind} auth", tuple(keys), required=("type", *required.split()))


AUTH_TYPES: dict[str, Mapping] = {
    "none": _auth("none", "", ""),
    "basic": _auth("basic", "username password", "username password"),
    "bearer": _auth("bearer", "token", "token"),
    "apikey": _auth(
        "apikey",
        "key value in",
        "key value",
        Key("in", "text", "Where the API key goes.", default="header", values=("header", "query")),
    ),
    "digest": _auth("digest", "username password", "username password"),
    "oauth2": _auth(
        "oauth2",
        "grant issuer token_url auth_url device_authorization_url client_id client_secret "
        "scopes redirect_uri pkce client_auth client_assertion_key params account_id "
        "refresh_token",
        "grant client_id",  # and token_url, unless issuer
    ),
    "oauth1": _auth(
        "oauth1",
        "consumer_key consumer_secret token token_secret signature_method private_key realm "
        "callback verifier nonce timestamp version in body_hash",
        "consumer_key",
        Key(
            "in",
            "text",
            "Where the oauth_* parameters go (body: a POST or PUT form, else the query).",
            default="header",
            values=OAUTH1_PLACEMENTS,
        ),
        Key("token", "text", "The OAuth 1.0a token (masked in output)."),
    ),
}

# Every mapping with a fixed set of keys, by the name runner fmt and the tests know it by.
MAPPINGS: dict[str, Mapping] = {
    "collection": COLLECTION,
    "environment": ENVIRONMENT,
    **{f"{kind}_step": mapping for kind, mapping in STEPS.items()},
    **{f"{kind}_auth": mapping for kind, mapping in AUTH_TYPES.items()},
    "param": PARAM,
    "part": PART,
    "graphql": GRAPHQL,
    "body": BODY,
    "expect": EXPECT,
    "capture": CAPTURE,
    "example": EXAMPLE,
    "scripts": SCRIPT_MAP,
    "retry": RETRY,
    "retries": RETRIES_MAP,
    "redirects": REDIRECTS_MAP,
    "repeat": REPEAT,
    "goto": GOTO_MAP,
    "load": LOAD,
    "load.thresholds": THRESHOLDS,
}


def key_count() -> int:
    """How many keys the format has (a key shared by several mappings counts once per place)."""
    return sum(len(mapping.keys) for mapping in MAPPINGS.values())
