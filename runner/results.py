"""What a run produced: plain data that reporters read and the exit code derives from.

A failed expectation or a refused connection is a result, not an exception (as in Hurl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runner.errors import ExitStatus, SourceLocation

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
    input_missing: bool = False
    stopped_reason: str | None = None  # why the run ended before its last step

    def count(self, status: StepStatus) -> int:
        return sum(1 for s in self.steps if s.status == status)

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and not self.input_missing
            and all(s.status in ("passed", "skipped") for s in self.steps)
        )

    @property
    def exit_status(self) -> ExitStatus:
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if self.input_missing:
            return ExitStatus.INPUT_REQUIRED
        return ExitStatus.OK if self.ok else ExitStatus.FAILED
