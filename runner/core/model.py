"""The typed model of a collection: what the loader builds and the engine walks.

No I/O, no Jinja, no httpx here. Strings that came from the user's file are ``Text``: a ``str``
that remembers where it was written, so a template error can point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runner.core.errors import SourceLocation


class Text(str):
    """A string from the user's file that knows its SourceLocation.

    A slot, not an instance dict: a collection holds about ten per step, and a dict made each
    one four times the size of its text (docs/security.md#limits)."""

    __slots__ = ("loc",)
    loc: SourceLocation | None

    def __new__(cls, value: str, loc: SourceLocation | None = None) -> Text:
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter, header or form field, with optional documentation.

    ``value`` is None for a parameter that is only documented (not sent). ``name`` is a
    template too (Postman renders ``{{var}}`` in names)."""

    name: str
    value: Any
    type: str | None = None
    required: bool = False
    description: str | None = None
    enabled: bool = True
    enum: tuple[Any, ...] | None = None
    loc: SourceLocation | None = None


BodyKind = Literal["json", "form", "text", "multipart", "graphql", "file"]


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body: a text ``value``, or the contents of ``file``.

    ``name`` and ``file`` are templates; ``file`` is relative to the collection file's folder."""

    name: str
    value: str | None = None
    file: str | None = None
    filename: str | None = None  # sent as the part's filename; default: the file's name
    content_type: str | None = None
    loc: SourceLocation | None = None
    enabled: bool = True  # False: kept (an import's disabled field), not sent nor checked


@dataclass(frozen=True, slots=True)
class GraphQL:
    """A GraphQL request: sent as JSON ``{"query", "variables", "operationName"}``."""

    query: str
    variables: Any = None  # a JSON-like value, rendered like a json body
    operation_name: str | None = None
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: ``json`` holds any value, ``form`` holds Params, ``text`` a string,
    ``multipart`` holds Parts (fields and files), ``graphql`` a query and its variables."""

    kind: BodyKind
    json: Any = None
    form: tuple[Param, ...] = ()
    text: str | None = None
    content_type: str | None = None
    fields: tuple[Param, ...] = ()  # documentation of JSON body fields
    loc: SourceLocation | None = None
    parts: tuple[Part, ...] = ()  # multipart
    graphql: GraphQL | None = None
    file: str | None = None  # file: a path (template) sent as the whole body, byte for byte


AuthKind = Literal["none", "basic", "bearer", "apikey", "digest", "oauth2", "oauth1"]
OAuthGrant = Literal[
    "authorization_code",
    "device_code",
    "client_credentials",
    "account_credentials",
    "refresh_token",
]


@dataclass(frozen=True, slots=True)
class OAuth2:
    """An ``oauth2`` auth block (runner.auth.session obtains, caches and refreshes its token).

    Every string is a template; ``scopes`` items may each hold several space-separated."""

    grant: OAuthGrant
    token_url: str  # "" with ``issuer``: discovered from its openid-configuration
    client_id: str
    auth_url: str | None = None  # authorization_code
    client_secret: str | None = None  # None: a public client (client_id in the body)
    scopes: tuple[str, ...] = ()
    redirect_uri: str | None = None  # authorization_code
    pkce: bool = True  # authorization_code: S256 challenge and verifier
    client_auth: str = "basic"  # a template: client_secret_basic (basic), client_secret_post...
    account_id: str | None = None  # account_credentials (Zoom server-to-server)
    refresh_token: str | None = None  # refresh_token grant; else the one to start from
    params: tuple[tuple[str, str], ...] = ()  # extra authorize parameters (prompt, audience...)
    issuer: str | None = None  # OpenID Connect: discovery, ID token and RFC 9207 checks
    device_authorization_url: str | None = None  # device_code (RFC 8628), unless issuer
    client_assertion_key: str | None = None  # private_key_jwt (RFC 7523): a PEM key's path
    loc: SourceLocation | None = None


# How an oauth2 client authenticates (RFC 7591 §2 names), and the older names kept as aliases.
OAUTH2_CLIENT_AUTH = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
OAUTH2_CLIENT_AUTH_ALIASES = {"basic": "client_secret_basic", "body": "client_secret_post"}

OAUTH1_SIGNATURE_METHODS = (
    "HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "PLAINTEXT", "RSA-SHA1", "RSA-SHA256", "RSA-SHA512",
)  # fmt: skip
OAUTH1_PLACEMENTS = ("header", "query", "body")  # where the oauth_* parameters go


@dataclass(frozen=True, slots=True)
class OAuth1:
    """An ``oauth1`` auth block: runner.auth.oauth1 signs each request (RFC 5849).

    Every string is a template; None means not set."""

    consumer_key: str
    consumer_secret: str | None = None
    token: str | None = None
    token_secret: str | None = None
    signature_method: str = "HMAC-SHA1"  # HMAC-SHA1/256/512, PLAINTEXT, RSA-SHA1/256/512
    private_key: str | None = None  # RSA-*: PEM
    realm: str | None = None
    callback: str | None = None  # oauth_callback (the request-token request)
    verifier: str | None = None  # oauth_verifier (the access-token request)
    nonce: str | None = None  # None: a fresh one per request
    timestamp: str | None = None  # None: the time of sending
    version: str = "1.0"  # "": oauth_version is left out
    where: Literal["header", "query", "body"] = "header"
    body_hash: bool = False  # oauth_body_hash for bodies that are not forms
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Auth:
    kind: AuthKind
    username: str | None = None
    password: str | None = None
    token: str | None = None
    loc: SourceLocation | None = None
    key: str | None = None  # apikey: the header or query parameter name
    value: str | None = None  # apikey: its value
    where: Literal["header", "query"] = "header"  # apikey: `in`
    oauth2: OAuth2 | None = None
    oauth1: OAuth1 | None = None


MatchOp = Literal[
    "eq", "ne", "gt", "ge", "lt", "le", "contains", "matches", "exists", "type", "in", "length"
]
# Methods whose request may be sent again without changing what the server did (RFC 9110
# section 9.2.2): retried after a failure (runner.engine.retries), and sent once more on a new
# connection when a kept-alive one was closed before the answer (runner.http.transport).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
MATCH_OPS: tuple[str, ...] = (
    "eq", "ne", "gt", "ge", "lt", "le", "contains", "matches", "exists", "type", "in", "length",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Matcher:
    """One comparison: ``op`` applied to the actual value with ``expected``."""

    op: MatchOp
    expected: Any


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation of a response.

    ``subject`` says what is read: ``status``, ``header`` (name in ``target``), ``json``
    (JSONPath in ``target``), ``body`` (the text), ``time`` (milliseconds), ``schema``."""

    subject: Literal["status", "header", "json", "body", "time", "schema"]
    target: str | None
    matchers: tuple[Matcher, ...]
    loc: SourceLocation | None = None
    # ``name:`` beside the operators: what reports call the check (a Postman test's name)
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.subject} {self.target}" if self.target else self.subject


CaptureSource = Literal["json", "header", "regex", "cookie", "status", "body"]


@dataclass(frozen=True, slots=True)
class Capture:
    """Take a value from a response into ``variable``."""

    variable: str
    source: CaptureSource
    expr: str | None
    secret: bool = False
    group: int = 1
    loc: SourceLocation | None = None
    # a missing value (runner.check.captures.MissingValue) leaves the variable as it was and
    # the step passing, as a guarded Postman setter (`if (d.x !== undefined) set(...)`) does;
    # anything else still fails
    optional: bool = False
    # with ``has_default``, a missing value sets ``default`` instead (Postman's unguarded
    # setter of ``undefined`` stores null), and the step passes
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Send a request again until ``until`` holds (or, without it, until its expectations
    pass), at most ``max`` times in all, ``interval`` seconds apart."""

    max: int
    interval: float = 1.0
    until: str | None = None  # an expression, evaluated with the step's captures
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Retries:
    """Send a request again when it failed in transit (connection refused or lost, 429, 503),
    at most ``max`` more times, waiting ``backoff`` seconds doubled each time (with jitter),
    never more than ``max_delay`` (runner.engine.retries). Idempotent requests only."""

    max: int  # further attempts after the first; 0: off
    backoff: float = 0.5
    max_delay: float = 30.0
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Repeat:
    """Run a step once per item of ``over``; the item is the variable ``var``.

    ``over`` is a list, a whole number (items 1..N) or a template that renders to a list."""

    over: Any
    var: str = "item"
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Goto:
    """After the step, go on at step ``target`` (a name or id) when ``condition`` holds;
    ``target`` None ends the iteration. ``max`` jumps at most per iteration (loop guard)."""

    target: str | None
    condition: str | None = None
    max: int = 100
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """Flow-control keys of a step (runner.engine.flow): conditions, delay, retry, repeat, goto."""

    skip_if: str | None = None
    run_if: str | None = None
    delay: float | None = None  # seconds to wait before the step
    retry: Retry | None = None
    repeat: Repeat | None = None
    goto: Goto | None = None


@dataclass(frozen=True, slots=True)
class Redirects:
    """How 3xx answers are followed (``redirects:`` on the collection, a folder or a request).

    None: inherited, key by key, from the nearest folder or the collection that sets it, else
    the default in ``REDIRECT_DEFAULTS``. Credentials never follow a redirect to another
    origin, whatever is set here (runner.http.transport)."""

    follow: bool | None = None
    max: int | None = None  # redirects followed at most; one more is an error
    keep_method: bool | None = None  # a 301/302/303 keeps the method instead of turning GET
    referer: bool | None = None  # send Referer: the URL redirected from (browser policy)
    loc: SourceLocation | None = None

    def over(self, base: Redirects) -> Redirects:
        """These settings, with ``base``'s where this one leaves a key unset."""
        return Redirects(
            follow=base.follow if self.follow is None else self.follow,
            max=base.max if self.max is None else self.max,
            keep_method=base.keep_method if self.keep_method is None else self.keep_method,
            referer=base.referer if self.referer is None else self.referer,
            loc=self.loc or base.loc,
        )


REDIRECT_DEFAULTS = Redirects(follow=False, max=20, keep_method=False, referer=False)


@dataclass(frozen=True, slots=True)
class Example:
    """An example response, for the documentation ``runner docs`` writes; never checked.

    ``body`` is a JSON value (``json:``) or text (``text:``), or None."""

    status: int
    description: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    is_json: bool = False
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class Scripts:
    """JavaScript kept verbatim from an imported Postman item (``scripts:``); inert.

    The importer translates the common patterns into ``expect``/``capture``; what it cannot
    translate is kept here so nothing is lost. Inert unless ``run --scripts``
    (runner.engine.scripting)."""

    prerequest: str | None = None
    test: str | None = None
    loc: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class RequestStep:
    name: str
    method: str
    url: str
    loc: SourceLocation
    id: str | None = None
    description: str | None = None
    params: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    body: Body | None = None
    auth: Auth | None = None  # None: inherit from folder / collection
    timeout: float | str | None = None  # str: a <<variable>>, rendered when the step is sent
    follow_redirects: bool | None = None
    checks: tuple[Check, ...] = ()
    captures: tuple[Capture, ...] = ()
    tags: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()  # documented example responses (runner docs)
    scripts: Scripts | None = None  # inert JavaScript kept from an import
    flow: Flow | None = None  # skip_if, run_if, delay, retry, repeat, goto
    http2: bool | None = None  # None: the collection's setting
    retries: Retries | None = None  # None: the collection's, else --retries (runner.engine.retries)
    idempotent: bool | None = None  # None: from the method (GET, PUT, DELETE... are)
    max_response_size: int | None = None  # bytes; None: the collection's, else the run's
    redirects: Redirects | None = None  # None: the folders', collection's; follow_redirects wins


@dataclass(frozen=True, slots=True)
class BrowserStep:
    """A request a person performs in a browser: rendered and shown, never sent by the runner."""

    name: str
    url: str
    loc: SourceLocation
    id: str | None = None
    description: str | None = None
    method: str = "GET"
    params: tuple[Param, ...] = ()
    open: bool = False
    tags: tuple[str, ...] = ()
    flow: Flow | None = None


@dataclass(frozen=True, slots=True)
class PauseStep:
    """Wait for a person to type a value into ``variable``.

    ``from_url`` names the query parameter to take when a whole redirect URL is pasted;
    ``state`` is the expected ``state`` of such a URL (a template)."""

    name: str
    variable: str
    loc: SourceLocation
    id: str | None = None
    description: str | None = None
    prompt: str | None = None
    from_url: str | None = None
    state: str | None = None
    secret: bool = True
    tags: tuple[str, ...] = ()
    flow: Flow | None = None


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    steps: tuple[Step, ...]
    loc: SourceLocation
    id: str | None = None
    description: str | None = None
    auth: Auth | None = None
    tags: tuple[str, ...] = ()
    scripts: Scripts | None = None  # inert JavaScript kept from an import
    flow: Flow | None = None  # skip_if, run_if, delay
    parallel: int = 0  # > 0: run the folder's steps concurrently, this many at once
    redirects: Redirects | None = None  # for the requests inside (their own keys win)


Step = RequestStep | BrowserStep | PauseStep | Folder


@dataclass(frozen=True, slots=True)
class Threshold:
    """A limit on a load run's statistics (``runner load``): crossing it exits 1."""

    metric: str  # one of THRESHOLD_METRICS
    limit: float  # milliseconds, or a fraction for error_rate
    loc: SourceLocation | None = None


THRESHOLD_METRICS = ("p95_ms", "p99_ms", "median_ms", "error_rate")


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """The collection's ``load:`` key: defaults for ``runner load`` (docs/load.md)."""

    thresholds: tuple[Threshold, ...] = ()
    think_time: tuple[float, float] | None = None  # seconds between steps: (min, max)


@dataclass(frozen=True, slots=True)
class Collection:
    name: str
    steps: tuple[Step, ...]
    path: str
    description: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    variable_locs: dict[str, SourceLocation] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()
    auth: Auth | None = None
    tags: tuple[str, ...] = ()
    scripts: Scripts | None = None  # inert JavaScript kept from an import
    http2: bool = False  # offer HTTP/2 to servers (a request's own http2 wins)
    run_scripts: bool = False  # run the kept scripts, as `run --scripts` (runner.engine.scripting)
    # "literal": an undefined variable is sent as Postman writes it ({{name}}), with a warning
    undefined_variables: str = "error"
    csv_values: str = "text"  # "newman": --data CSV values trimmed and cast, as Newman reads them
    missing_files: str = "error"  # "skip": a file part whose file is not there is left out
    load: LoadSettings | None = None  # `runner load` thresholds and think time
    retries: Retries | None = None  # for every idempotent request (a step's own wins)
    max_response_size: int | None = None  # bytes; None: --max-response-size (50 MiB)
    redirects: Redirects | None = None  # for every request (folders' and steps' keys win)


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    path: str | None
    variables: dict[str, Any] = field(default_factory=dict)
    variable_locs: dict[str, SourceLocation] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()


def walk(
    steps: tuple[Step, ...], parents: tuple[Folder, ...] = ()
) -> list[tuple[Step, tuple[Folder, ...]]]:
    """Every step in run order, depth first, with the folders that hold it (outermost first)."""
    out: list[tuple[Step, tuple[Folder, ...]]] = []
    for step in steps:
        out.append((step, parents))
        if isinstance(step, Folder):
            out.extend(walk(step.steps, (*parents, step)))
    return out
