"""What a run produced: plain data that reporters read and the exit code derives from.

A failed expectation or a refused connection is a result, not an exception (as in Hurl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runner.core.errors import ExitStatus, SourceLocation

StepStatus = Literal["passed", "failed", "error", "skipped"]
StepKind = Literal["request", "browser", "pause"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    label: str
    passed: bool
    expected: Any = None
    actual: Any = None
    message: str | None = None
    loc: SourceLocation | None = None
    # The check's own name: a Postman test's (``pm.test("name", ...)``) or a ``name:`` the
    # collection gives it; reports show it instead of ``label`` when there is one.
    name: str | None = None

    @property
    def title(self) -> str:
        """What reports call the check: its name, else its label."""
        return self.name or self.label


@dataclass(frozen=True, slots=True)
class SubRequest:
    """A request a script sent (``pm.sendRequest``), masked: a sub-request of its step."""

    method: str
    url: str
    status: int | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    script: str | None = None  # the script that sent it: "pre-request script", "test script"...


@dataclass(slots=True)
class StepResult:
    index: int
    name: str
    kind: StepKind
    loc: SourceLocation
    path: tuple[str, ...] = ()  # names of the folders that hold the step
    status: StepStatus = "passed"
    method: str | None = None
    url: str | None = None
    status_code: int | None = None
    elapsed_ms: float | None = None
    size: int | None = None
    checks: list[CheckResult] = field(default_factory=list)
    captured: list[str] = field(default_factory=list)
    error: str | None = None
    error_reason: str | None = None
    # Documentation checks that did not hold under ``--docs-check warn``: shown, not failing.
    warnings: list[CheckResult] = field(default_factory=list)
    # The captured values, masked and shortened for reports (``captured`` has the names).
    captured_values: dict[str, Any] = field(default_factory=dict)
    iteration: int = 1  # which iteration of a data-driven run (--data, --iterations)
    # Why a step was skipped (skip_if, run_if, a folder's condition), or how many attempts
    # a retried request took; shown by reporters beside the step.
    note: str | None = None
    # How many times the request was sent: more than 1 when ``retries`` sent it again after a
    # connection error, 429 or 503, or ``retry`` polled it (runner.engine.retries,
    # runner.engine.flow).
    attempts: int = 1
    # Requests the step's scripts sent (pm.sendRequest), in order.
    subrequests: list[SubRequest] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


@dataclass(slots=True)
class RunResult:
    collection: str
    environment: str | None
    steps: list[StepResult] = field(default_factory=list)
    duration_s: float = 0.0
    interrupted: bool = False
    terminated: bool = False  # interrupted by SIGTERM (exit 143), not Ctrl-C (exit 130)
    internal_error: bool = False  # a bug in the runner stopped the run (exit 70)
    input_missing: bool = False
    stopped_reason: str | None = None  # why the run ended before its last step
    # Values captured (and pasted at pauses) during the run, by variable; real values, not
    # masked. Filled by runner.run() and pytest's runner_run; reporters must not write it out.
    captures: dict[str, Any] = field(default_factory=dict)
    # False for streaming runs (the CLI): ``steps`` then keeps only the failed and errored
    # steps, so memory stays flat however many steps run; ``counts`` always counts them all.
    keep_steps: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    # Postman tests (pm.test, tests[]) in the scripts of the steps that ran, not run because
    # scripts were off (runner.engine.scripting): said in the summary, never skipped silently.
    tests_not_run: int = 0

    def record(self, step: StepResult) -> None:
        """Count a finished step, and keep it (always when it failed or errored)."""
        self.counts[step.status] = self.counts.get(step.status, 0) + 1
        if self.keep_steps or step.status in ("failed", "error"):
            self.steps.append(step)

    def count(self, status: StepStatus) -> int:
        if not self.keep_steps:
            return self.counts.get(status, 0)
        return sum(1 for s in self.steps if s.status == status)

    @property
    def total(self) -> int:
        """How many steps ran (``len(steps)`` unless passed steps were let go)."""
        return len(self.steps) if self.keep_steps else sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and not self.internal_error
            and not self.input_missing
            and all(s.status in ("passed", "skipped") for s in self.steps)
        )

    @property
    def exit_status(self) -> ExitStatus:
        if self.internal_error:
            return ExitStatus.INTERNAL
        if self.interrupted:
            return ExitStatus.TERMINATED if self.terminated else ExitStatus.INTERRUPTED
        if self.input_missing:
            return ExitStatus.INPUT_REQUIRED
        return ExitStatus.OK if self.ok else ExitStatus.FAILED
