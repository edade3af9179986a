"""The typed model of a collection: what the loader builds and the engine walks.

No I/O, no Jinja, no httpx here. Strings that came from the user's file are ``Text``: a ``str``
that remembers where it was written, so a template error can point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runner.errors import SourceLocation


class Text(str):
    """A string from the user's file that knows its SourceLocation."""

    loc: SourceLocation | None

    def __new__(cls, value: str, loc: SourceLocation | None = None) -> Text:
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter, header or form field, with optional documentation.

    ``value`` is None for a parameter that is only documented (not sent)."""

    name: str
    value: Any
    type: str | None = None
    required: bool = False
    description: str | None = None
    enabled: bool = True
    enum: tuple[Any, ...] | None = None
    loc: SourceLocation | None = None


BodyKind = Literal["json", "form", "text"]


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: ``json`` holds any value, ``form`` holds Params, ``text`` a string."""

    kind: BodyKind
    json: Any = None
    form: tuple[Param, ...] = ()
    text: str | None = None
    content_type: str | None = None
    fields: tuple[Param, ...] = ()  # documentation of JSON body fields
    loc: SourceLocation | None = None


AuthKind = Literal["none", "basic", "bearer"]


@dataclass(frozen=True, slots=True)
class Auth:
    kind: AuthKind
    username: str | None = None
    password: str | None = None
    token: str | None = None
    loc: SourceLocation | None = None


MatchOp = Literal[
    "eq", "ne", "gt", "ge", "lt", "le", "contains", "matches", "exists", "type", "in", "length"
]
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
    timeout: float | None = None
    follow_redirects: bool | None = None
    checks: tuple[Check, ...] = ()
    captures: tuple[Capture, ...] = ()
    tags: tuple[str, ...] = ()


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


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    steps: tuple[Step, ...]
    loc: SourceLocation
    id: str | None = None
    description: str | None = None
    auth: Auth | None = None
    tags: tuple[str, ...] = ()


Step = RequestStep | BrowserStep | PauseStep | Folder


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
