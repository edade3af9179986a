"""What the engine knows about a step before running it, and the interface the step walker
(runner.engine.flow), retries and the load users drive the engine through.

Why a module of its own: flow, contracts, preparation and the engine all need these, and
none of them may import the engine (no import cycles); the engine imports them instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from runner.auth.session import auth_templates
from runner.core.model import (
    REDIRECT_DEFAULTS,
    Auth,
    BrowserStep,
    Collection,
    Folder,
    Param,
    PauseStep,
    Redirects,
    RequestStep,
    Step,
)
from runner.render.scope import template_strings

if TYPE_CHECKING:
    from runner.core.events import Event
    from runner.core.results import RunResult, StepResult
    from runner.engine.options import RunOptions
    from runner.http.transport import Transport
    from runner.render.scope import Scope
    from runner.render.templates import Renderer

Leaf = RequestStep | BrowserStep | PauseStep
Selected = list[tuple[Leaf, tuple[Folder, ...]]]


class StepRunner(Protocol):
    """The engine as the walker, retries and load users see it: run one step, report events
    and errors. ``runner.engine.engine.Engine`` is the implementation."""

    @property
    def steps(self) -> Selected: ...
    @property
    def renderer(self) -> Renderer: ...
    @property
    def options(self) -> RunOptions: ...
    @property
    def collection(self) -> Collection: ...

    def emit(self, event: Event) -> None: ...
    def events_to(
        self, sink: Callable[[Event], None], kinds: tuple[type[Event], ...] | None = None
    ) -> AbstractContextManager[None]: ...
    def error(self, result: StepResult, message: str, reason: str) -> StepResult: ...
    def take_script_jump(self) -> tuple[str | None] | None: ...
    def run_request(
        self,
        index: int,
        step: RequestStep,
        path: tuple[str, ...],
        auth: Auth | None,
        scope: Scope,
        transport: Transport,
    ) -> StepResult: ...
    def run_browser(
        self, index: int, step: BrowserStep, path: tuple[str, ...], scope: Scope
    ) -> tuple[StepResult, str | None]: ...
    def run_pause(
        self,
        index: int,
        step: PauseStep,
        path: tuple[str, ...],
        scope: Scope,
        browser_url: str | None,
        run: RunResult,
    ) -> StepResult: ...


def effective_auth(
    step: RequestStep, parents: tuple[Folder, ...], collection: Collection
) -> Auth | None:
    """The request's own auth, else the nearest folder's, else the collection's."""
    if step.auth is not None:
        return step.auth
    for folder in reversed(parents):
        if folder.auth is not None:
            return folder.auth
    return collection.auth


def effective_redirects(
    step: RequestStep, parents: tuple[Folder, ...], collection: Collection
) -> Redirects:
    """The redirect settings a request follows: each key from the request (``redirects``,
    then ``follow_redirects``), else the nearest folder, else the collection, else the
    defaults (model.REDIRECT_DEFAULTS)."""
    found = REDIRECT_DEFAULTS
    levels = (collection.redirects, *(folder.redirects for folder in parents), step.redirects)
    for own in levels:
        if own is not None:
            found = own.over(found)
    if step.follow_redirects is not None:
        found = Redirects(follow=step.follow_redirects).over(found)
    return found


def step_templates(step: Step, auth: Auth | None) -> list[str]:
    """Every template string a step renders, in the order they appear."""
    out: list[str] = []
    if isinstance(step, RequestStep | BrowserStep):
        out.append(step.url)
        out.extend(param_strings(step.params))
    if isinstance(step, RequestStep):
        out.extend(param_strings(step.headers))
        if step.body is not None:
            out.extend(_body_templates(step))
        out.extend(auth_templates(auth))
    if isinstance(step, PauseStep) and step.state is not None:
        out.append(step.state)
    return out


def _body_templates(step: RequestStep) -> list[str]:
    body = step.body
    assert body is not None
    out = [*template_strings(body.json), *param_strings(body.form)]
    if body.text is not None:
        out.append(body.text)
    for part in body.parts:
        if part.enabled:
            texts = (part.name, part.value, part.file, part.filename)
            out.extend(t for t in texts if t is not None)
    if body.file is not None:
        out.append(body.file)
    if body.graphql is not None:
        out.append(body.graphql.query)
        out.extend(template_strings(body.graphql.variables))
        if body.graphql.operation_name is not None:
            out.append(body.graphql.operation_name)
    return out


def check_templates(step: Step) -> list[str]:
    """The templates in a step's expectations: they may use the step's own captures."""
    if not isinstance(step, RequestStep):
        return []
    return [
        text
        for check in step.checks
        if check.subject != "schema"
        for matcher in check.matchers
        for text in template_strings(matcher.expected)
    ]


def step_outputs(step: Step) -> list[str]:
    """The variables a step defines for the steps after it."""
    if isinstance(step, RequestStep):
        return [c.variable for c in step.captures]
    if isinstance(step, PauseStep):
        return [step.variable]
    return []


def param_strings(params: Iterable[Param]) -> list[str]:
    """The templates of the params that are sent: names (Postman renders them) and values."""
    return [
        s
        for p in params
        if p.enabled and p.value is not None
        for s in (p.name, *template_strings(p.value))
    ]


def pair_count(params: Iterable[Param]) -> int:
    """How many (name, value) pairs ``RequestBuilder.pairs`` renders from ``params``."""
    return sum(
        len(p.value) if isinstance(p.value, list) else 1
        for p in params
        if p.enabled and p.value is not None
    )


def documented(step: RequestStep | BrowserStep) -> bool:
    """Whether any param of the step is documented (required, typed or an enum)."""
    params: list[Param] = list(step.params)
    if isinstance(step, RequestStep):
        params += step.headers
        if step.body is not None:
            params += [*step.body.form, *step.body.fields]
    return any(p.required or p.type is not None or p.enum is not None for p in params)


def preview(value: object, limit: int = 200) -> object:
    """A captured value as reports show it: long text shortened."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return value if len(text) <= limit else text[: limit - 1] + "…"
    return value


def step_kind(step: Step) -> Any:
    """The kind a StepResult records for ``step``."""
    if isinstance(step, RequestStep):
        return "request"
    return "browser" if isinstance(step, BrowserStep) else "pause"


def step_path(parents: tuple[Folder, ...]) -> tuple[str, ...]:
    """The folder names a StepResult records."""
    return tuple(f.name for f in parents)
