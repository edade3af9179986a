"""The console report: one line per step, failures with expected, actual and file:line, and a
summary. Colour on a terminal (unless NO_COLOR is set), plain text otherwise."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO

from runner.checks import MISSING
from runner.events import BrowserShown, Event, RunFinished, RunStarted, StepFinished
from runner.redact import Redactor
from runner.results import RunResult, StepResult

MAX_VALUE_CHARS = 200
_COLOURS = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class ConsoleReporter:
    def __init__(self, stream: TextIO, redactor: Redactor, *, colour: bool | None = None) -> None:
        self.stream = stream
        self.redactor = redactor
        if colour is None:
            colour = _isatty(stream) and "NO_COLOR" not in os.environ
        self.colour = colour
        unicode_ok = (getattr(stream, "encoding", None) or "").lower().replace("-", "") == "utf8"
        self.marks = (
            {"passed": "✔", "failed": "✘", "error": "!", "skipped": "-", "browser": "↗"}
            if unicode_ok
            else {
                "passed": "ok",
                "failed": "FAIL",
                "error": "ERROR",
                "skipped": "skip",
                "browser": ">>",
            }
        )

    # -- plumbing ----------------------------------------------------------------------------
    def _paint(self, text: str, colour: str) -> str:
        return f"\033[{_COLOURS[colour]}m{text}\033[0m" if self.colour else text

    def _write(self, line: str = "") -> None:
        self.stream.write(self.redactor.mask(line) + "\n")
        self.stream.flush()

    def _value(self, value: Any) -> str:
        if value is MISSING:
            return "nothing"
        try:
            text = json.dumps(self.redactor.mask_value(value), ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
        return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"

    # -- events ------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            env = f" · environment {event.environment}" if event.environment else ""
            self._write(self._paint(f"{event.collection}{env} · {event.total_steps} steps", "bold"))
        elif isinstance(event, BrowserShown):
            action = "Opened in your browser" if event.opened else "Open this URL in your browser"
            self._write(f"  {self._paint(self.marks['browser'], 'cyan')} {event.name}: {action}:")
            self._write(f"      {event.url}")
        elif isinstance(event, StepFinished):
            self._step(event.result)
        elif isinstance(event, RunFinished):
            self._summary(event.result)

    def _step(self, step: StepResult) -> None:
        if step.kind == "browser" and step.status == "passed":
            return  # already shown by BrowserShown
        colour = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}[
            step.status
        ]
        mark = self._paint(self.marks[step.status], colour)
        name = " / ".join((*step.path, step.name))
        if step.kind == "request":
            status = "" if step.status_code is None else f" → {step.status_code}"
            timing = ""
            if step.elapsed_ms is not None:
                timing = self._paint(f" ({step.elapsed_ms:.0f} ms, {_size(step.size or 0)})", "dim")
            self._write(f"  {mark} {name} — {step.method} {step.url}{status}{timing}")
        elif step.kind == "pause":
            detail = f" → {', '.join(step.captured)}" if step.captured else ""
            self._write(f"  {mark} {name}{detail}")
        else:
            self._write(f"  {mark} {name}")
        if step.error:
            self._write(f"      {self._paint('error:', 'red')} {step.error}")
            self._write(self._paint(f"      at {step.loc}", "dim"))
        for check in step.failed_checks:
            if check.message and check.actual is None:
                line = f"{check.label}: {check.message}"
                if check.expected is not None:
                    expected = self._value(check.expected)
                    line = f"{check.label}: expected {expected}, but {check.message}"
            else:
                expected, actual = self._value(check.expected), self._value(check.actual)
                line = f"{check.label}: expected {expected}, got {actual}"
                if check.message:
                    line += f" ({check.message})"
            self._write(f"      {self._paint(self.marks['failed'], 'red')} {line}")
            self._write(self._paint(f"        at {check.loc or step.loc}", "dim"))

    def _summary(self, run: RunResult) -> None:
        parts = [self._paint(f"{run.count('passed')} passed", "green")]
        failed, errors = run.count("failed"), run.count("error")
        parts.append(self._paint(f"{failed} failed", "red") if failed else "0 failed")
        if errors:
            parts.append(self._paint(f"{errors} errors", "red"))
        self._write()
        if run.stopped_reason:
            label = "interrupted" if run.interrupted else "stopped"
            self._write(self._paint(f"{label}: {run.stopped_reason}", "yellow"))
        self._write(f"{', '.join(parts)} · {len(run.steps)} steps in {run.duration_s:.2f} s")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):
        return False
