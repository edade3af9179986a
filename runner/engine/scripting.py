"""Postman scripts around a request (``--scripts``, or a collection's ``run_scripts: true``).

Pre-request scripts may change the request; test scripts' ``pm.test`` results become checks
and the variables they set become captures (runner.scripts.sandbox runs them). A test
script's ``setNextRequest`` is held per thread until the walker takes it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from runner.core.events import CheckDone
from runner.core.limits import MAX_VALUE_CHARS, MAX_VALUE_DEPTH, value_problem
from runner.core.results import CheckResult, StepResult
from runner.engine.context import RunContext
from runner.engine.steps import preview
from runner.render.scope import Scope

if TYPE_CHECKING:
    from runner.core.errors import SourceLocation
    from runner.core.model import RequestStep, Scripts
    from runner.http.transport import Exchange, Transport
    from runner.scripts.sandbox import RequestChanges, ScriptOutcome

Sources = list[tuple[str, str, "SourceLocation | None"]]


class RequestScripts:
    """Runs the scripts of request steps for one run."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self._local = threading.local()  # this thread's pending setNextRequest

    @property
    def enabled(self) -> bool:
        return self.context.options.scripts or self.context.collection.run_scripts

    def sources(self, index: int, step: RequestStep, event: str) -> Sources:
        """The scripts of one event for a request, in Postman's order: the collection's, each
        folder's (outermost first), the request's own; none unless scripts run."""
        if not self.enabled:
            return []
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
        """Run pre-request (``exchange`` None) or test scripts: their pm.test results are
        checks, the variables they set are captures; returns what pre-request scripts
        changed in the request."""
        from runner.scripts.sandbox import run_scripts, script_context, variable_layers

        if exchange is not None:
            cookies = list(exchange.cookies.items())
        else:
            cookies = [(c.name, c.value or "") for c in transport.cookies]
        context = script_context(
            step,
            exchange,
            scope,
            layers=variable_layers(scope, self.context.collection.variables),
            info={
                "iteration": int(scope.get("iteration", 1)) - 1,
                "iterationCount": self.context.count,
            },
            cookies=cookies,
        )
        outcome = run_scripts([(label, src) for label, src, _ in sources], context)
        if outcome.stop or outcome.next_request is not None:  # taken by runner.engine.flow (once)
            self._local.jump = (outcome.next_request,)
        self._record_tests(index, sources, outcome, result)
        self._record_variables(outcome, scope, result)
        return outcome.request

    def clear_jump(self) -> None:
        """Forget this thread's pending setNextRequest (a new request starts)."""
        self._local.jump = None

    def take_jump(self) -> tuple[str | None] | None:
        """The setNextRequest of this thread's last test script, once: (name,), (None,) stops."""
        jump: tuple[str | None] | None = getattr(self._local, "jump", None)
        self._local.jump = None
        return jump

    def _record_tests(
        self, index: int, sources: Sources, outcome: ScriptOutcome, result: StepResult
    ) -> None:
        locs = {label: loc for label, _, loc in sources}
        loc = sources[-1][2]
        checks = [CheckResult(t.name, t.passed, None, None, t.message, loc) for t in outcome.tests]
        checks += [
            CheckResult(label, False, None, None, error, locs.get(label, loc))
            for label, error in outcome.errors
        ]
        for check_result in checks:
            result.checks.append(check_result)
            self.context.emit(CheckDone(index, check_result))

    def _record_variables(self, outcome: ScriptOutcome, scope: Scope, result: StepResult) -> None:
        redactor = self.context.redactor
        for change in outcome.changes:
            if change.op == "unset":
                scope.unset(change.name, change.layer)
                result.captured_values.pop(change.name, None)
                continue
            value = change.value
            problem = script_value_problem(change.name, value)
            if problem is not None:  # kept out of the scope: later steps would choke on it
                result.checks.append(CheckResult(f"set {change.name}", False, None, None, problem))
                continue
            if change.name in self.context.secret_names:
                redactor.add(value)
            scope.assign(change.name, value, change.layer)
            if change.name not in result.captured:
                result.captured.append(change.name)
            result.captured_values[change.name] = preview(redactor.mask_value(value))


def script_value_problem(name: str, value: object) -> str | None:
    """Why a value a script set is refused (docs/security.md): nested deeper than
    MAX_VALUE_DEPTH or larger than MAX_VALUE_CHARS; else None."""
    problem = value_problem(value, MAX_VALUE_DEPTH, MAX_VALUE_CHARS)
    if problem is None:
        return None
    return f"the value a script set for '{name}' is {problem}; it was not set"
