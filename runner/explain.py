"""Run a collection for a test framework and explain a failure the way the CLI shows it.

The pytest plugin and its ``runner_run`` fixture use this. For each step that did not pass: its
first failure drawn like ``format_error`` (file:line and the source line), the request as it
was rendered and the variables the step was rendered with; then the console report of the run.
Everything goes through the run's ``Redactor``, which here also learns the values of parameters,
form fields and JSON keys named like credentials: no secret reaches a test report.

The engine does not keep rendered requests, so ``_RecordingEngine`` wraps its
``render_request``; an engine event carrying the rendered request would replace that.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode

import httpx

from runner.check.checks import MISSING
from runner.core.errors import RunnerError, SourceLocation, format_error
from runner.core.events import Event, StepFinished, StepStarted
from runner.core.model import Auth, Collection, Environment, PauseStep, RequestStep, walk
from runner.core.redact import MASK, Redactor, is_secret_name
from runner.core.results import CheckResult, RunResult, StepResult
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import parse_collection, read_text
from runner.http.transport import PreparedRequest
from runner.pause.prompts import StandardPrompter, input_env_name
from runner.render.scope import Scope
from runner.reporters.console import MAX_VALUE_CHARS, ConsoleReporter

MAX_BODY_CHARS = 2000


def load_for_test(path: Path, base: Path) -> tuple[Collection, dict[str, str]]:
    """Load a collection named relative to ``base`` when it is under it (short, clickable
    file:line in reports), with its text so errors can quote source lines."""
    try:
        shown = os.path.relpath(path, base)
    except ValueError:  # another drive (Windows)
        shown = str(path)
    if shown.startswith(".."):
        shown = str(path)
    text = read_text(path)
    return parse_collection(text, shown), {shown: text}


class _Utf8Buffer(io.StringIO):
    """The console reporter picks its marks (✔ ✘) from the stream's encoding."""

    encoding = "utf-8"


class _RecordingEngine(Engine):
    """The engine, remembering each request as it was rendered, for the failure report."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rendered: dict[int, PreparedRequest] = {}  # by id() of the step

    def render_request(
        self, step: RequestStep, auth: Auth | None, scope: Scope, index: int = 0
    ) -> PreparedRequest:
        prepared = super().render_request(step, auth, scope, index)
        self.rendered[id(step)] = prepared
        _learn_inline_secrets(prepared, self.redactor)  # before the engine shows the URL
        return prepared


@dataclass(frozen=True, slots=True)
class _Failure:
    step: StepResult
    request: PreparedRequest | None
    variables: dict[str, Any]


class ExplainedRun:
    """One run of a collection inside a test: never asks a person, reports into a buffer."""

    def __init__(
        self,
        collection: Collection,
        environment: Environment | None,
        *,
        variables: Mapping[str, str] | None = None,
        inputs: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        sources: dict[str, str] | None = None,
    ) -> None:
        self.collection = collection
        self.environment = environment
        self.inputs = dict(inputs or {})
        self.environ = os.environ if environ is None else environ
        self.sources = sources
        self.redactor = Redactor()
        self.report = _Utf8Buffer()
        self.engine = _RecordingEngine(
            collection,
            environment,
            RunOptions(variables=dict(variables or {}), environ=environ),
            prompter=StandardPrompter(self.inputs, self.environ),  # no terminal: never waits
            listeners=[ConsoleReporter(self.report, self.redactor, colour=False), self],
            redactor=self.redactor,
        )
        self.failures: list[_Failure] = []
        self.result: RunResult | None = None
        self._before: dict[str, Any] = {}
        self.secret_names = self._secret_names()

    # -- the run -----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Check every variable before anything is sent; raises RenderError."""
        self.engine.prepare()

    def unanswered_pause(self) -> PauseStep | None:
        """The first pause with no value given (``inputs`` or ``RUNNER_INPUT_<NAME>``)."""
        for step, _ in self.engine.steps:
            if (
                isinstance(step, PauseStep)
                and step.variable not in self.inputs
                and input_env_name(step.variable) not in self.environ
            ):
                return step
        return None

    def run(self) -> RunResult:
        result = self.engine.run()
        if self.engine.scope is not None:
            result.captures = dict(self.engine.scope.captures)
        self.result = result
        return result

    def missing_input(self, result: RunResult) -> PauseStep | None:
        """The pause that stopped the run for want of a value, when nothing else went wrong
        (then the test is skipped, not failed)."""
        if not result.input_missing:
            return None
        pause: PauseStep | None = None
        for step in result.steps:
            if step.error_reason == "input_required":
                found = self.engine.steps[step.index - 1][0]
                pause = found if isinstance(found, PauseStep) else None
            elif step.status in ("failed", "error"):
                return None
        return pause

    def on_event(self, event: Event) -> None:
        if isinstance(event, StepStarted):  # the variables the step is rendered with
            self._before = dict(self.engine.scope) if self.engine.scope is not None else {}
        elif isinstance(event, StepFinished) and event.result.status in ("failed", "error"):
            step = self.engine.steps[event.result.index - 1][0]
            self.failures.append(
                _Failure(event.result, self.engine.rendered.get(id(step)), self._before)
            )

    # -- what a person reads -----------------------------------------------------------------
    def report_text(self) -> str:
        return self.redactor.mask(self.report.getvalue().rstrip("\n"))

    def error_text(self, error: RunnerError) -> str:
        return self.redactor.mask(format_error(error, sources=self.sources))

    def explain(self) -> str:
        """Each failing step (where, what, the request, the variables), then the console
        report of the whole run; the first line is the first failure (pytest's summary line)."""
        blocks = [self._failure(failure) for failure in self.failures]
        blocks.append(self.report_text())
        return self.redactor.mask("\n\n".join(blocks))

    def _failure(self, failure: _Failure) -> str:
        step = failure.step
        failed = step.failed_checks
        where: SourceLocation = step.loc
        if step.error:
            what = step.error
        elif failed:
            what = check_line(failed[0], self.redactor)
            where = failed[0].loc or step.loc
            if len(failed) > 1:
                what += f" (and {len(failed) - 1} more, above)"
        else:
            what = step.status
        lines = [
            format_error(RunnerError(f"step '{step.name}': {what}", where), sources=self.sources)
        ]
        if failure.request is not None:
            lines.append("  request:")
            lines.extend(f"    {line}".rstrip() for line in self._request(failure.request))
        if failure.variables:
            lines.append("  variables in scope:")
            for name in sorted(failure.variables):
                lines.append(f"    {name} = {self._variable(name, failure.variables[name])}")
        return "\n".join(lines)

    def _request(self, request: PreparedRequest) -> list[str]:
        """The request as sent, masked: known secret values, credential headers, and fields
        named like credentials (``password``, ``client_secret``...) even when written inline."""
        url = httpx.URL(request.url)
        pairs = [*url.params.multi_items(), *request.params]
        query = "&".join(
            f"{quote_plus(n)}={MASK if is_secret_name(n) else quote_plus(v)}" for n, v in pairs
        )
        shown = str(url.copy_with(query=None)) + (f"?{query}" if query else "")
        lines = [f"{request.method} {self.redactor.mask(shown)}"]
        lines.extend(f"{n}: {self.redactor.mask_header(n, v)}" for n, v in request.headers)
        if request.content:
            body = self.redactor.mask(_masked_body(request))
            if len(body) > MAX_BODY_CHARS:
                body = f"{body[:MAX_BODY_CHARS]}… ({len(request.content)} bytes)"
            lines.append("")
            lines.extend(body.splitlines())
        return lines

    def _variable(self, name: str, value: Any) -> str:
        if name in self.secret_names or is_secret_name(name):
            return MASK
        return show_value(value, self.redactor)

    def _secret_names(self) -> set[str]:
        """Variables shown as [REDACTED] whole (besides names like ``password``): declared
        secrets, secret captures, and what was pasted at a secret pause."""
        names = set(self.collection.secrets)
        if self.environment is not None:
            names |= self.environment.secrets
        for step, _ in walk(self.collection.steps):
            if isinstance(step, RequestStep):
                names |= {c.variable for c in step.captures if c.secret}
            elif isinstance(step, PauseStep) and step.secret:
                names.add(step.variable)
        return names


def show_value(value: Any, redactor: Redactor) -> str:
    """A value as JSON, masked and cut short, as the console reporter shows it."""
    if value is MISSING:
        return "nothing"
    try:
        text = json.dumps(redactor.mask_value(value), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def check_line(check: CheckResult, redactor: Redactor) -> str:
    """``label: expected X, got Y``, worded as the console reporter words it."""
    if check.message and check.actual is None:
        if check.expected is not None:
            expected = show_value(check.expected, redactor)
            return f"{check.label}: expected {expected}, but {check.message}"
        return f"{check.label}: {check.message}"
    line = (
        f"{check.label}: expected {show_value(check.expected, redactor)}, "
        f"got {show_value(check.actual, redactor)}"
    )
    return f"{line} ({check.message})" if check.message else line


def _learn_inline_secrets(request: PreparedRequest, redactor: Redactor) -> None:
    """Values of query parameters, form fields and JSON keys named like credentials are
    secrets even when written in the collection itself."""
    query = httpx.URL(request.url).params.multi_items()
    for name, value in [*query, *request.params, *_form_pairs(request)]:
        if is_secret_name(name):
            redactor.add(value)
    if _media_type(request) in _JSON_TYPES or _media_type(request).endswith("+json"):
        try:
            _learn_named(json.loads(request.content or b""), redactor)
        except ValueError:
            pass


def _learn_named(value: Any, redactor: Redactor) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if is_secret_name(str(key)):
                redactor.add(item)
            else:
                _learn_named(item, redactor)
    elif isinstance(value, list):
        for item in value:
            _learn_named(item, redactor)


_JSON_TYPES = ("application/json",)
_FORM = "application/x-www-form-urlencoded"


def _media_type(request: PreparedRequest) -> str:
    ctype = next((v for n, v in request.headers if n.lower() == "content-type"), "")
    return ctype.split(";", 1)[0].strip().lower()


def _form_pairs(request: PreparedRequest) -> list[tuple[str, str]]:
    if _media_type(request) != _FORM or not request.content:
        return []
    return parse_qsl(request.content.decode("utf-8", errors="replace"), keep_blank_values=True)


def _masked_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, MASK if is_secret_name(n) else v) for n, v in pairs]


def _masked_named(value: Any) -> Any:
    """JSON with the values of credential-named keys masked, at any depth."""
    if isinstance(value, dict):
        return {
            k: MASK if is_secret_name(str(k)) and v is not None else _masked_named(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked_named(v) for v in value]
    return value


def _masked_body(request: PreparedRequest) -> str:
    text = (request.content or b"").decode("utf-8", errors="replace")
    media = _media_type(request)
    if media == _FORM:
        return urlencode(_masked_pairs(_form_pairs(request)), safe="[]")
    if media in _JSON_TYPES or media.endswith("+json"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return json.dumps(_masked_named(parsed), ensure_ascii=False)
    return text
