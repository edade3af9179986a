"""One request step: render, check against its documentation, send (with retries), capture,
check, and the test scripts; every event of the step on the way.

The request is rendered through a ``render`` hook (the engine's ``render_request``), so a
subclass of the engine can see each request as rendered (runner.explain does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import httpx

from runner.auth.session import learn_token_response
from runner.check.captures import CaptureError, MissingValue, extract
from runner.check.checks import run_check
from runner.core.errors import (
    InputMissingError,
    MissingFile,
    PauseRefusedError,
    RenderError,
    RunnerError,
    TransportError,
)
from runner.core.events import BODY_PREVIEW_CHARS, CheckDone, RequestSent, ResponseReceived
from runner.core.model import Auth, Body, Capture, Part, RequestStep
from runner.core.results import CheckResult, StepResult
from runner.engine.context import RunContext
from runner.engine.per_step import PerStep
from runner.engine.request_build import RequestBuilder
from runner.engine.scripting import RequestScripts
from runner.engine.steps import documented, preview
from runner.http.transport import (
    Exchange,
    PreparedRequest,
    Transport,
    charset_of,
    with_params,
)
from runner.render.scope import Scope

_UNDEFINED = re.compile(r"^undefined variable '([^']+)'")

RenderHook = Callable[[RequestStep, Auth | None, Scope, int], PreparedRequest]


class RequestSteps:
    """Runs request steps for one run."""

    def __init__(
        self,
        context: RunContext,
        builder: RequestBuilder,
        scripts: RequestScripts,
        render: RenderHook,
    ) -> None:
        self.context = context
        self.builder = builder
        self.scripts = scripts
        self.render = render
        # Per step, once: whether it, its folders or the collection has any script at all
        # (else there is nothing to look up twice a request), and whether it documents a param.
        self._fixed: PerStep[RequestStep, tuple[bool, bool]] = PerStep(self._fixed_of)

    def run(
        self,
        index: int,
        step: RequestStep,
        path: tuple[str, ...],
        auth: Auth | None,
        scope: Scope,
        transport: Transport,
    ) -> StepResult:
        """Run request step ``index``; failures are recorded on the result, never raised."""
        context = self.context
        result = StepResult(index, step.name, "request", step.loc, path, method=step.method)
        self.scripts.clear_jump()
        changes = None  # what pre-request scripts changed in pm.request (--scripts)
        scripted, is_documented = self._fixed.get(step, index)
        pre = self.scripts.sources(index, step, "prerequest") if scripted else None
        if pre:
            changes = self.scripts.run(index, step, pre, None, scope, result, transport)

        literals: set[str] = set()  # undefined_variables: literal
        sent = [step]  # the step as sent: without the file parts missing_files: skip left out

        def prepare() -> PreparedRequest:
            used = scope.with_literals(literals) if literals else scope
            prepared = self.render(sent[0], auth, used, index)
            return self.builder.finish(sent[0], auth, used, prepared, changes)

        try:
            prepared = self._prepare_as_newman(prepare, literals, sent, result)
        except RenderError as exc:
            result.url = context.redactor.mask(str(step.url))
            return context.error(result, exc.message, "render")
        except RunnerError as exc:  # auth: an OAuth flow that failed or was refused
            result.url = context.redactor.mask(self._rendered_url(step, scope))
            return self._auth_failed(result, exc)
        shown = prepared.url  # parsing a URL costs more than the rest of the step: only if needed
        if prepared.params:
            shown = str(with_params(httpx.URL(prepared.url), prepared.params))
        result.url = context.redactor.mask(shown)
        if (
            is_documented
            and context.options.docs_check != "off"
            and context.docs_failed(result, contracts_check_prepared(step, prepared))
        ):
            return result
        if context.wants(RequestSent):
            context.emit(self._request_sent(index, result.url, prepared))
        try:
            exchange = self.send(index, step, prepared, transport, result, scope)
            if exchange.status == 401 and context.auth.retry_after_401(auth, scope, index):
                exchange = self.send(index, step, prepare(), transport, result, scope)  # new token
        except TransportError as exc:
            return context.error(result, exc.message, exc.reason)
        except RunnerError as exc:
            return self._auth_failed(result, exc)
        return self._received(index, step, exchange, scope, result, transport)

    def _fixed_of(self, step: RequestStep, index: int) -> tuple[bool, bool]:
        """Whether step ``index`` has any script (its own, a folder's, the collection's), and
        whether it documents any param (once per step: ``self._fixed``)."""
        folders = self.context.steps[index - 1][1]
        owners = (self.context.collection.scripts, *(f.scripts for f in folders), step.scripts)
        return any(owner is not None for owner in owners), documented(step)

    def _prepare_as_newman(
        self,
        prepare: Callable[[], PreparedRequest],
        literals: set[str],
        sent: list[RequestStep],
        result: StepResult,
    ) -> PreparedRequest:
        """Render; with ``undefined_variables: literal`` an undefined variable is sent as
        Postman writes it (``{{name}}``), and with ``missing_files: skip`` a file part whose
        file is not there is left out, as Newman does, each with a warning on the step."""
        while True:
            try:
                return prepare()
            except MissingFile as exc:
                if self.context.collection.missing_files != "skip":
                    raise
                sent[0] = _without_part(sent[0], exc.part)
                result.warnings.append(
                    CheckResult(
                        "missing file",
                        False,
                        message=f"{exc.message}: left out (missing_files: skip)",
                        loc=exc.location,
                    )
                )
            except RenderError as exc:
                found = _UNDEFINED.match(exc.message)
                literal = self.context.collection.undefined_variables == "literal"
                if not literal or found is None or found[1] in literals or len(literals) > 100:
                    raise
                name = found[1]
                literals.add(name)
                result.warnings.append(
                    CheckResult(
                        f"undefined variable '{name}'",
                        False,
                        message="sent as written: {{" + name + "}} (undefined_variables: literal)",
                        loc=exc.location,
                    )
                )

    def send(
        self,
        index: int,
        step: RequestStep,
        prepared: PreparedRequest,
        transport: Transport,
        result: StepResult,
        scope: Scope,
    ) -> Exchange:
        """Send, and send again while ``runner.engine.retries`` says the failure is worth it (an
        idempotent request, a connection error, 429 or 503); counts the attempts."""
        context = self.context
        if (
            step.retries is None
            and context.collection.retries is None
            and not context.options.retries
        ):
            return transport.send(prepared)
        from runner.engine.retries import RetryHooks, effective, plain_sleep, retry_loop

        policy = effective(step, context.collection, context.options.retries)
        if policy is None:
            return transport.send(prepared)
        control = context.control
        hooks = RetryHooks(
            emit=context.emit,
            sleep=control.sleep if control is not None else plain_sleep,
            timeout=lambda: self.builder.request_timeout(step, scope),
        )
        return retry_loop(hooks, index, policy, prepared, transport, result)

    def _received(
        self,
        index: int,
        step: RequestStep,
        exchange: Exchange,
        scope: Scope,
        result: StepResult,
        transport: Transport,
    ) -> StepResult:
        """The response: its captures, the response event, the checks, the test scripts."""
        context = self.context
        learn_token_response(exchange, context.redactor)  # masked from the first event on
        result.status_code = exchange.status
        result.elapsed_ms = exchange.elapsed_ms
        result.size = len(exchange.body)
        self._capture(step, exchange, scope, result)
        # after the captures: a value captured as a secret is masked in the response event too
        if context.wants(ResponseReceived):
            context.emit(self._response_received(index, exchange))
        checks_heard = context.wants(CheckDone)
        for check in step.checks:
            check_result = run_check(check, exchange, context.renderer, scope)
            result.checks.append(check_result)
            if checks_heard:
                context.emit(CheckDone(index, check_result))
        tests = (
            self.scripts.sources(index, step, "test") if self._fixed.get(step, index)[0] else None
        )
        if tests:
            self.scripts.run(index, step, tests, exchange, scope, result, transport)
        if result.failed_checks:
            result.status = "failed"
        return result

    def _capture(
        self, step: RequestStep, exchange: Exchange, scope: Scope, result: StepResult
    ) -> None:
        redactor = self.context.redactor
        for capture in step.captures:
            try:
                value = extract(capture, exchange)
            except MissingValue as exc:
                if capture.has_default:
                    value = capture.default  # as Postman's setter of `undefined`: null
                elif capture.optional:
                    continue  # as a guarded Postman setter: the variable stays as it was
                else:
                    result.checks.append(_capture_failed(capture, exc))
                    continue
            except CaptureError as exc:
                result.checks.append(_capture_failed(capture, exc))
                continue
            if capture.secret or capture.variable in self.context.secret_names:
                redactor.add(value)
            scope.capture(capture.variable, value)
            result.captured.append(capture.variable)
            result.captured_values[capture.variable] = preview(redactor.mask_value(value))

    def _auth_failed(self, result: StepResult, exc: RunnerError) -> StepResult:
        """A request whose auth could not be applied: the step is an error; a pause that had
        no value (exit 3) or was refused (state, error=) stops the run, as a pause step does."""
        context = self.context
        message = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
        run = context.result
        if isinstance(exc, InputMissingError):
            if run is not None:
                run.input_missing = True
                run.stopped_reason = context.redactor.mask(exc.message)
            return context.error(result, message, "input_required")
        if isinstance(exc, PauseRefusedError) and run is not None:
            run.stopped_reason = context.redactor.mask(exc.message)
        return context.error(result, message, "auth")

    def _rendered_url(self, step: RequestStep, scope: Scope) -> str:
        """The URL the step would have gone to (its params merged), when the auth helper
        failed before sending: rendered, not ``<<me_url>>``; as written if it cannot be."""
        try:
            url = self.context.renderer.render_str(step.url, scope)
            params = self.builder.pairs(step.params, scope)
            return str(with_params(httpx.URL(url), params)) if params else url
        except (RenderError, httpx.InvalidURL):
            return str(step.url)

    def _request_sent(self, index: int, url: str, prepared: PreparedRequest) -> RequestSent:
        """The event of a request going out (masked on its way to the listeners, with every
        event: runner.engine.emitter)."""
        content = prepared.content
        body = None
        if content is not None:
            body = content[:BODY_PREVIEW_CHARS].decode("utf-8", "replace")
        return RequestSent(
            index,
            prepared.method,
            url,
            prepared.headers,
            body,
            len(content or b""),
            truncated=len(content or b"") > BODY_PREVIEW_CHARS,
        )

    def _response_received(self, index: int, exchange: Exchange) -> ResponseReceived:
        """The event of a response (masked on its way out, as every event)."""
        head = exchange.body[:BODY_PREVIEW_CHARS]
        text = head.decode(charset_of(exchange.content_type), errors="replace")
        return ResponseReceived(
            index,
            exchange.status,
            exchange.reason,
            tuple(exchange.headers.multi_items()),
            text,
            len(exchange.body),
            exchange.elapsed_ms,
            truncated=len(exchange.body) > BODY_PREVIEW_CHARS,
        )


def contracts_check_prepared(step: RequestStep, prepared: PreparedRequest) -> list[CheckResult]:
    """Documentation findings for a rendered request (none when nothing is documented)."""
    if not documented(step):
        return []
    from runner.engine.contracts import check_prepared  # deferred: most runs document nothing

    return check_prepared(step, prepared)


def _capture_failed(capture: Capture, exc: CaptureError) -> CheckResult:
    """The failed check a capture that found nothing adds to its step."""
    return CheckResult(f"capture {capture.variable}", False, None, None, str(exc), capture.loc)


def _without_part(step: RequestStep, part: Part) -> RequestStep:
    """``step`` without the file part ``part`` (a file body: an empty body)."""
    body = step.body
    assert body is not None
    if body.kind == "multipart":
        left = tuple(p for p in body.parts if p is not part)
        return replace(step, body=replace(body, parts=left))
    return replace(step, body=Body("text", text="", content_type=body.content_type))
