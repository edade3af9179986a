"""Postman scripts around a request (``--scripts``, or a collection's ``run_scripts: true``).

They run in Postman's own sandbox (runner.scripts.postman: npm ``postman-sandbox`` in a Node
process), started on the first script of the run, never for a run without scripts. The
collection's, each folder's and the request's scripts run one after the other, as Postman
runs them, each seeing the variables the one before set. A pre-request script may change
``pm.request``; a test script's ``pm.test`` results become named checks and the variables
scripts set are assigned to the runner's scopes. ``pm.sendRequest`` goes through the run's
transport (TLS, proxies, cookies, size cap, timeouts), at most ``SEND_LIMIT`` per script,
each reported as a sub-request of its step. A test script's ``setNextRequest`` is held per
thread until the walker takes it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from runner.core.events import CheckDone, Notice, ScriptConsole, ScriptDone, SubRequestDone
from runner.core.limits import MAX_VALUE_CHARS, MAX_VALUE_DEPTH, value_problem
from runner.core.redact import SECRET_HEADER
from runner.core.results import CheckResult, StepResult, SubRequest
from runner.engine.context import RunContext
from runner.engine.request_build import step_timeout
from runner.engine.steps import preview
from runner.render.scope import Scope

if TYPE_CHECKING:
    from runner.core.errors import SourceLocation
    from runner.core.model import RequestStep, Scripts
    from runner.http.transport import Exchange, Transport
    from runner.scripts.bridge import RequestChanges
    from runner.scripts.postman import (
        HttpRequest,
        HttpResponse,
        PostmanSandbox,
        ScriptContext,
        ScriptOutcome,
    )

Sources = list[tuple[str, str, "SourceLocation | None"]]
SEND_LIMIT = 10  # pm.sendRequest calls per script
SEND_TIMEOUT_S = 30.0  # per pm.sendRequest, cut to the step's own timeout when shorter


class RequestScripts:
    """Runs the scripts of request steps for one run."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self._local = threading.local()  # this thread's pending setNextRequest
        self._sandbox: PostmanSandbox | None = None
        self._lock = threading.Lock()  # one script at a time in the one sandbox
        self.tests_not_run = 0  # pm.test / tests[] in the scripts of steps run with scripts off

    @property
    def enabled(self) -> bool:
        return self.context.options.scripts or self.context.collection.run_scripts

    def sources(self, index: int, step: RequestStep, event: str) -> Sources:
        """The scripts of one event for a request, in Postman's order: the collection's, each
        folder's (outermost first), the request's own; none unless scripts run (their Postman
        tests are then counted in ``tests_not_run``)."""
        context = self.context
        kind = "pre-request script" if event == "prerequest" else "test script"
        owners: list[tuple[str, Scripts | None]] = [
            (f"collection {kind}", context.collection.scripts)
        ]
        owners += [(f"folder '{f.name}' {kind}", f.scripts) for f in context.steps[index - 1][1]]
        owners.append((kind, step.scripts))
        out: Sources = []
        for label, scripts in owners:
            source = getattr(scripts, event) if scripts is not None else None
            if source and scripts is not None:
                out.append((label, source, scripts.loc))
        if not self.enabled:
            if out:
                from runner.scripts.syntax import count_tests

                skipped = sum(count_tests(source) for _, source, _ in out)
                with self._lock:
                    self.tests_not_run += skipped
            return []
        return out

    def run(
        self,
        index: int,
        step: RequestStep,
        sources: Sources,
        exchange: Exchange | None,
        scope: Scope,
        result: StepResult,
        transport: Transport,
    ) -> RequestChanges | None:
        """Run pre-request (``exchange`` None) or test scripts, one after the other: their
        pm.test results are checks, the variables they set go to ``scope``; returns what
        pre-request scripts changed in the request."""
        from runner.scripts import bridge

        if exchange is None:
            before = bridge.request_view(step)
        else:
            before = bridge.sent_view(exchange, step.body)
        response = bridge.response_view(exchange) if exchange is not None else None
        request = before
        values: dict[str, Any] = {}
        for label, source, loc in sources:
            outcome = self._run_one(
                index, step, label, source, request, response, scope, transport, exchange
            )
            self._record(index, label, loc, outcome, scope, result)
            event = "prerequest" if exchange is None else "test"
            self.context.emit(ScriptDone(index, event, bool(outcome.errors)))
            if outcome.request is not None:
                request = outcome.request
            values = self._resolution_values(outcome, scope)
            if outcome.stop or outcome.next_request is not None:  # taken by runner.engine.flow
                self._local.jump = (outcome.next_request,)
        if exchange is not None:
            return None
        return bridge.request_changes(before, request, values or dict(scope))

    def close(self) -> None:
        """Stop the sandbox's Node process (at the end of the run)."""
        with self._lock:
            sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.close()

    def clear_jump(self) -> None:
        """Forget this thread's pending setNextRequest (a new request starts)."""
        self._local.jump = None

    def take_jump(self) -> tuple[str | None] | None:
        """The setNextRequest of this thread's last test script, once: (name,), (None,) stops."""
        jump: tuple[str | None] | None = getattr(self._local, "jump", None)
        self._local.jump = None
        return jump

    def _run_one(
        self,
        index: int,
        step: RequestStep,
        label: str,
        source: str,
        request: HttpRequest,
        response: HttpResponse | None,
        scope: Scope,
        transport: Transport,
        exchange: Exchange | None,
    ) -> ScriptOutcome:
        from runner.scripts.postman import SandboxError, ScriptOutcome

        if exchange is not None:
            cookies = list(exchange.cookies.items())
        else:
            cookies = [(c.name, c.value or "") for c in transport.cookies]
        context = self._script_context(step, source, request, response, scope, cookies)
        sends = [0]

        def send(sub: HttpRequest) -> HttpResponse:
            sends[0] += 1
            if sends[0] > SEND_LIMIT:
                raise RuntimeError(f"pm.sendRequest: more than {SEND_LIMIT} requests in one script")
            return self._send(index, step, sub, transport, scope)

        event: Literal["prerequest", "test"] = "prerequest" if response is None else "test"
        with self._lock:
            sandbox = self._start()
            try:
                return sandbox.run(event, source, context, send_request=send)
            except SandboxError as exc:
                return ScriptOutcome(errors=[f"{label}: {exc}"])

    def _start(self) -> PostmanSandbox:
        """The run's sandbox, installed (once per machine) and started (once per run)."""
        if self._sandbox is None:
            from runner.scripts.postman import PostmanSandbox, install

            if not install.is_installed():
                self.context.emit(
                    Notice(
                        f"installing Postman's sandbox (npm {install.PACKAGE}@{install.VERSION}"
                        f", once) into {install.default_cache_root()}"
                    )
                )
            self._sandbox = PostmanSandbox.start()
        return self._sandbox

    def _script_context(
        self,
        step: RequestStep,
        source: str,
        request: HttpRequest,
        response: HttpResponse | None,
        scope: Scope,
        cookies: list[tuple[str, str]],
    ) -> ScriptContext:
        from runner.scripts import bridge
        from runner.scripts.postman import ScriptContext

        layers = bridge.variable_layers(scope, self.context.collection.variables)
        return ScriptContext(
            request=request,
            response=response,
            variables=bridge.sandbox_variables(
                layers, bridge.postman_aliases(source), mirror=bridge.reads_globals(source)
            ),
            data=layers["iterationData"],
            iteration=int(scope.get("iteration", 1)) - 1,
            iteration_count=self.context.count,
            request_name=step.name,
            request_id=step.id or "",
            cookies=cookies,
            request_description=step.description or "",
        )

    def _send(
        self, index: int, step: RequestStep, sub: HttpRequest, transport: Transport, scope: Scope
    ) -> HttpResponse:
        """One pm.sendRequest through the run's transport, reported as a sub-request."""
        from runner.http.transport import PreparedRequest
        from runner.scripts.postman import HttpResponse

        context = self.context
        redactor = context.redactor
        headers = list(sub.headers)
        for name, value in headers:
            if SECRET_HEADER.search(name):
                redactor.add(value)
        content: bytes | None = None
        if sub.body_mode == "urlencoded":
            content = urlencode(list(sub.form)).encode("ascii")
            if not any(n.lower() == "content-type" for n, _ in headers):
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        elif sub.body_mode == "formdata":
            raise RuntimeError("pm.sendRequest: formdata bodies are not supported")
        elif sub.body is not None:
            content = sub.body.encode("utf-8")
        limit = step_timeout(step, context.renderer, scope) or context.options.timeout
        timeout = min(limit, SEND_TIMEOUT_S)
        prepared = PreparedRequest(
            sub.method,
            sub.url,
            headers=tuple(headers),
            content=content,
            timeout=timeout,
            follow_redirects=True,  # as Postman's pm.sendRequest does
            max_redirects=10,
            max_body_bytes=step.max_response_size or context.collection.max_response_size,
        )
        shown = redactor.mask(sub.url)
        try:
            exchange = transport.send(prepared)
        except Exception as exc:
            message = redactor.mask(getattr(exc, "message", None) or str(exc))
            self._report(index, SubRequest(sub.method, shown, error=message))
            raise RuntimeError(message) from exc
        self._report(
            index, SubRequest(sub.method, shown, exchange.status, round(exchange.elapsed_ms, 1))
        )
        return HttpResponse(
            exchange.status,
            exchange.reason,
            tuple(exchange.headers.multi_items()),
            exchange.body,
            exchange.elapsed_ms,
        )

    def _report(self, index: int, sub: SubRequest) -> None:
        self._local.subrequests = [*getattr(self._local, "subrequests", []), sub]
        self.context.emit(SubRequestDone(index, sub))

    def _record(
        self,
        index: int,
        label: str,
        loc: SourceLocation | None,
        outcome: ScriptOutcome,
        scope: Scope,
        result: StepResult,
    ) -> None:
        """Console lines, sub-requests, tests (named checks), errors and variables."""
        context = self.context
        redactor = context.redactor
        sent = getattr(self._local, "subrequests", [])
        result.subrequests.extend(replace(sub, script=label) for sub in sent)
        self._local.subrequests = []
        self._record_variables(outcome, scope, result)
        for level, text in outcome.console:
            context.emit(ScriptConsole(index, level, redactor.mask(text)))
        checks = [
            CheckResult(
                t.name,
                t.passed,
                message="skipped" if t.skipped else t.error,
                loc=loc,
                name=t.name,
            )
            for t in outcome.tests
        ]
        checks += [
            CheckResult(label, False, message=_error_text(error), loc=loc)
            for error in outcome.errors
        ]
        for check_result in checks:
            result.checks.append(check_result)
            context.emit(CheckDone(index, check_result))

    def _record_variables(self, outcome: ScriptOutcome, scope: Scope, result: StepResult) -> None:
        from runner.scripts.bridge import RUNNER_LAYER
        from runner.scripts.syntax import imported_name

        redactor = self.context.redactor
        for postman_change in outcome.changes:
            layer = RUNNER_LAYER.get(postman_change.scope)
            if layer is None:
                continue
            change = replace(postman_change, name=imported_name(postman_change.name))
            if change.op == "unset":
                scope.unset(change.name, layer)
                result.captured_values.pop(change.name, None)
                continue
            value = change.value
            problem = script_value_problem(change.name, value)
            if problem is not None:  # kept out of the scope: later steps would choke on it
                result.checks.append(CheckResult(f"set {change.name}", False, None, None, problem))
                continue
            if change.name in self.context.secret_names:
                redactor.add(value)
            scope.assign(change.name, value, layer)
            if change.name not in result.captured:
                result.captured.append(change.name)
            result.captured_values[change.name] = preview(redactor.mask_value(value))

    @staticmethod
    def _resolution_values(outcome: ScriptOutcome, scope: Scope) -> dict[str, Any]:
        """The values ``{{name}}`` in a changed request resolve to: the step's variables
        after the script, with the script's local ``pm.variables`` on top."""
        values = dict(scope)
        values.update(outcome.values.get("_variables", {}))
        return values


def _error_text(error: str) -> str:
    return error if error.startswith("script stopped") else f"script error: {error}"


def script_value_problem(name: str, value: object) -> str | None:
    """Why a value a script set is refused (docs/security.md): nested deeper than
    MAX_VALUE_DEPTH or larger than MAX_VALUE_CHARS; else None."""
    problem = value_problem(value, MAX_VALUE_DEPTH, MAX_VALUE_CHARS)
    if problem is None:
        return None
    return f"the value a script set for '{name}' is {problem}; it was not set"
