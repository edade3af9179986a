"""What the parts of the engine share during one run, and the step outcomes they all record.

Why: the request, browser and pause steps, the request builder and the scripts each live in
a module of their own (runner.engine.*); they read the run's collection, options, renderer,
redactor and auth session from one ``RunContext`` instead of from the engine, which creates
them. ``options`` and ``steps`` may be replaced after the engine is built (``--resume`` sets
the start step, a load process keeps only the request steps): the parts read them from here
at each step, so they see the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from runner.auth.session import AuthSession
from runner.core.events import CheckDone, Event
from runner.core.model import Collection, Environment
from runner.core.redact import Redactor
from runner.core.results import CheckResult, RunResult, StepResult
from runner.engine.control import Control
from runner.engine.options import RunOptions
from runner.engine.steps import Selected
from runner.render.templates import Renderer


@dataclass(eq=False)
class RunContext:
    """The run's shared parts; ``result``, ``control`` and ``count`` are set when it starts."""

    collection: Collection
    environment: Environment | None
    options: RunOptions
    renderer: Renderer
    redactor: Redactor
    auth: AuthSession
    emit: Callable[[Event], None]
    steps: Selected
    secret_names: frozenset[str]
    result: RunResult | None = None
    control: Control | None = None
    count: int = 1  # iterations of the run
    # Whether an event of a type reaches anyone (runner.engine.emitter.EventHub.wants): the
    # events no one reads are not even built (a request's, a response's: headers, a preview).
    wants: Callable[[type[Event]], bool] = lambda kind: True

    def error(self, result: StepResult, message: str, reason: str) -> StepResult:
        """Mark ``result`` as an error, with ``message`` masked."""
        result.status = "error"
        result.error = self.redactor.mask(message)
        result.error_reason = reason
        return result

    def docs_failed(self, result: StepResult, issues: list[CheckResult]) -> bool:
        """Record documentation findings (runner.engine.contracts); true when the step must
        stop (``--docs-check error``)."""
        mode = self.options.docs_check
        if not issues or mode == "off":
            return False
        for issue in issues:
            self.emit(CheckDone(result.index, issue, warning=mode != "error"))
        if mode != "error":
            result.warnings.extend(issues)
            return False
        result.checks.extend(issues)
        self.error(result, "the request does not match its documentation; not sent", "docs")
        return True
