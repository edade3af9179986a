"""The console report: one line per step, failures with expected, actual and file:line, and a
summary. Colour on a terminal (unless NO_COLOR is set), plain text otherwise.

``--quiet`` shows only the steps that did not pass and the summary; ``--verbose`` adds each
request's and response's headers and body (JSON pretty-printed, long bodies cut). On a
terminal, a run of many steps shows a live progress bar (counts and elapsed time) instead of
a line per passed step; failures are still printed as they happen.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from runner.check.checks import MISSING
from runner.core.events import (
    AuthNote,
    BrowserShown,
    CheckDone,
    Event,
    IterationFinished,
    IterationStarted,
    Notice,
    RequestRetried,
    RequestSent,
    ResponseReceived,
    RunFinished,
    RunStarted,
    ScriptConsole,
    ScriptDone,
    StepFinished,
    StepStarted,
    SubRequestDone,
)
from runner.core.redact import Redactor
from runner.core.results import CheckResult, RunResult, StepResult
from runner.reporters.summary import RunStats, plural, render
from runner.reporters.terminal import terminal_safe, visible

if TYPE_CHECKING:
    from runner.reporters.options import ReporterOptions

MAX_VALUE_CHARS = 200
VERBOSE_BODY_LINES = 40  # --verbose shows at most this many lines of a body...
VERBOSE_BODY_CHARS = 4000  # ...and this many characters
PROGRESS_MIN_STEPS = 20  # fewer steps than this: plain lines even on a terminal
PROGRESS_INTERVAL_S = 0.1  # redraw the bar at most this often
_COLOURS = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class ConsoleReporter:
    # The events it never reads (runner.engine.emitter neither masks nor sends them): a
    # check's own (the step's result holds its checks) and the end of an iteration; and,
    # below --verbose, the request and response (only --verbose shows them: __init__).
    ignored_events: tuple[type[Event], ...] = (CheckDone, IterationFinished)

    def __init__(
        self,
        stream: TextIO,
        redactor: Redactor,
        *,
        colour: bool | None = None,
        verbosity: int = 0,
        progress: bool | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.stream = stream
        self.redactor = redactor
        tty = _isatty(stream)
        if colour is None:  # NO_COLOR from the command's environment (os.environ by default)
            colour = tty and "NO_COLOR" not in (os.environ if environ is None else environ)
        self.colour = colour
        self.verbosity = verbosity
        if verbosity <= 0:  # each one masked and walked for nothing: most of a step's events
            self.ignored_events = (*self.ignored_events, StepStarted, RequestSent, ResponseReceived)
        # None: a bar on a terminal for runs of PROGRESS_MIN_STEPS or more (decided at start)
        self._progress_wanted = progress if progress is not None else (tty and verbosity <= 0)
        self.progress = False
        unicode_ok = (getattr(stream, "encoding", None) or "").lower().replace("-", "") == "utf8"
        self.unicode = unicode_ok
        self.marks = (
            {"passed": "✔", "failed": "✘", "error": "!", "skipped": "-", "browser": "↗",
             "warning": "⚠"}
            if unicode_ok
            else {
                "passed": "ok",
                "failed": "FAIL",
                "error": "ERROR",
                "skipped": "skip",
                "browser": ">>",
                "warning": "warn",
            }
        )  # fmt: skip
        self._total = 0
        self._counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        self._started = 0.0
        self._bar_shown = False
        self._last_draw = 0.0
        self._request: RequestSent | None = None
        self._response: ResponseReceived | None = None
        self._iterations = 1
        self._stats = RunStats()
        self._held_header: str | None = None  # --quiet: shown before the iteration's first failure

    # -- plumbing ----------------------------------------------------------------------------
    def _paint(self, text: str, colour: str) -> str:
        return f"\033[{_COLOURS[colour]}m{text}\033[0m" if self.colour else text

    def _write(self, line: str = "") -> None:
        if self._bar_shown:
            self.stream.write("\r\033[K")  # clear the bar; it is drawn again below the line
            self._bar_shown = False
        self.stream.write(line + "\n")
        self.stream.flush()

    def _value(self, value: Any) -> str:
        if value is MISSING:
            return "nothing"
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
        return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"

    # -- events ------------------------------------------------------------------------------
    # What came from a file or the network, made visible: runner.engine.emitter applies it in
    # the walk that masks the event and calls on_filtered_event; on_event, for other callers,
    # applies it here.
    text_filter = staticmethod(visible)

    def on_event(self, event: Event) -> None:
        self.on_filtered_event(terminal_safe(event))

    def on_filtered_event(self, event: Event) -> None:
        """An event whose text has been through ``visible`` already."""
        if isinstance(event, StepFinished):  # first: one a step, the others far fewer
            status = event.result.status
            self._counts[status] = self._counts.get(status, 0) + 1
            self._stats.step(event.result, self._iterations)
            self._step(event.result)
            self._request = self._response = None
            if self.progress:
                self._draw_bar()
        elif isinstance(event, RunStarted):
            self._total = event.total_steps * event.iterations
            self._iterations = event.iterations
            self._started = time.monotonic()
            self.progress = self._progress_wanted and self._total >= PROGRESS_MIN_STEPS
            if self.verbosity >= 0:
                env = f" · environment {event.environment}" if event.environment else ""
                steps = f"{event.total_steps} {plural(event.total_steps, 'step')}"
                head = f"{event.collection}{env} · {steps}"
                if event.iterations > 1:
                    head += f" × {event.iterations} iterations"
                self._write(self._paint(head, "bold"))
        elif isinstance(event, IterationStarted):
            self._stats.iteration()
            header = self._paint(f"Iteration {event.iteration}/{event.total}", "bold")
            if self.verbosity >= 0 and not self.progress:
                self._write(header)
            else:
                self._held_header = header
        elif isinstance(event, IterationFinished):
            self._held_header = None
        elif isinstance(event, StepStarted):
            self._request = self._response = None
        elif isinstance(event, RequestSent):
            self._request = event
        elif isinstance(event, ResponseReceived):
            self._response = event
        elif isinstance(event, BrowserShown):
            action = "Opened in your browser" if event.opened else "Open this URL in your browser"
            self._write(f"  {self._paint(self.marks['browser'], 'cyan')} {event.name}: {action}:")
            self._write(f"      {event.url}")
        elif isinstance(event, AuthNote):
            if self.verbosity >= 0 and not self.progress:
                self._write(self._paint(f"  · auth: {event.message}", "dim"))
        elif isinstance(event, RequestRetried):
            if self.verbosity >= 0 and not self.progress:
                line = f"  · {event.cause}: sending again in {event.wait_s:.1f} s"
                self._write(self._paint(f"{line} (attempt {event.attempt})", "dim"))
        elif isinstance(event, (ScriptConsole, SubRequestDone, Notice)):
            if self.verbosity >= 0 and not self.progress:
                self._write(self._paint(f"  · {script_line(event)}", "dim"))
        elif isinstance(event, ScriptDone):
            self._stats.script(event.event, event.failed)
        elif isinstance(event, RunFinished):
            if self._bar_shown:
                self.stream.write("\r\033[K")
                self._bar_shown = False
            self._summary(event.result)

    def _step(self, step: StepResult) -> None:
        if step.kind == "browser" and step.status == "passed":
            return  # already shown by BrowserShown
        quiet_skip = step.status in ("passed", "skipped") and not step.warnings
        if quiet_skip and (self.verbosity < 0 or self.progress):
            return
        if self._held_header is not None:
            self._write(self._held_header)
            self._held_header = None
        colour = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}[
            step.status
        ]
        mark = self._paint(self.marks[step.status], colour)
        name = " / ".join((*step.path, step.name))
        if step.note:
            name += self._paint(f" ({step.note})", "dim")
        if step.kind == "request" and step.status != "skipped":
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
            self.write_check(check, step, self.marks["failed"], "red")
        for check in step.warnings:
            self.write_check(check, step, self.marks["warning"], "yellow")
        if self.verbosity > 0:
            self._exchange()

    def write_check(self, check: CheckResult, step: StepResult, mark: str, colour: str) -> None:
        """One check's lines: the mark, what was expected and found, and where."""
        if check.message and check.actual is None:
            line = f"{check.title}: {check.message}"
            if check.expected is not None:
                expected = self._value(check.expected)
                line = f"{check.title}: expected {expected}, but {check.message}"
        else:
            expected, actual = self._value(check.expected), self._value(check.actual)
            line = f"{check.title}: expected {expected}, got {actual}"
            if check.message:
                line += f" ({check.message})"
        self._write(f"      {self._paint(mark, colour)} {line}")
        self._write(self._paint(f"        at {check.loc or step.loc}", "dim"))

    def _exchange(self) -> None:
        """--verbose: the request and response of the step just shown (already masked)."""
        request, response = self._request, self._response
        if request is not None:
            self._write(self._paint(f"      > {request.method} {request.url}", "cyan"))
            for name, value in request.headers:
                self._write(self._paint(f"      > {name}: {value}", "dim"))
            if request.body:
                ctype = next((v for n, v in request.headers if n.lower() == "content-type"), "")
                self._body(request.body, ctype, request.truncated, request.body_size)
        if response is not None:
            line = f"      < {response.status} {response.reason} ({response.elapsed_ms:.0f} ms)"
            self._write(self._paint(line, "cyan"))
            for name, value in response.headers:
                self._write(self._paint(f"      < {name}: {value}", "dim"))
            if response.body:
                self._body(response.body, response.content_type, response.truncated,
                           response.body_size)  # fmt: skip

    def _body(self, body: str, content_type: str, truncated: bool, size: int) -> None:
        from runner.reporters.output import pretty_body

        # indenting JSON decodes its escapes: what it brings back is made visible again
        text = visible(pretty_body(body, content_type)) if not truncated else body
        lines = text.splitlines()
        cut = len(lines) > VERBOSE_BODY_LINES or len(text) > VERBOSE_BODY_CHARS or truncated
        shown = 0
        for line in lines[:VERBOSE_BODY_LINES]:
            if shown + len(line) > VERBOSE_BODY_CHARS:
                line = line[: max(VERBOSE_BODY_CHARS - shown, 0)]
            shown += len(line)
            self._write(f"        {line}")
            if shown >= VERBOSE_BODY_CHARS:
                break
        if cut:
            self._write(self._paint(f"        … ({_size(size)} in all; cut here)", "dim"))

    # -- progress ----------------------------------------------------------------------------
    def _draw_bar(self) -> None:
        now = time.monotonic()
        done = sum(self._counts.values())
        if done < self._total and now - self._last_draw < PROGRESS_INTERVAL_S:
            return
        self._last_draw = now
        width = 30
        filled = width * done // max(self._total, 1)
        full, empty = ("█", "░") if self.unicode else ("#", "-")
        bar = full * filled + empty * (width - filled)
        failed = self._counts["failed"] + self._counts["error"]
        counts = f"{self._counts['passed']} passed"
        counts += f" · {self._paint(f'{failed} failed', 'red')}" if failed else " · 0 failed"
        elapsed = now - self._started
        line = f"  [{bar}] {done}/{self._total} · {counts} · {elapsed:.1f} s"
        if 0 < done < self._total:
            line += f" · ETA {elapsed / done * (self._total - done):.0f} s"
        self.stream.write("\r\033[K" + line)
        self.stream.flush()
        self._bar_shown = True

    def _summary(self, run: RunResult) -> None:
        parts = [self._paint(f"{run.count('passed')} passed", "green")]
        failed, errors = run.count("failed"), run.count("error")
        parts.append(self._paint(f"{failed} failed", "red") if failed else "0 failed")
        if errors:
            parts.append(self._paint(f"{errors} errors", "red"))
        skipped = run.count("skipped")
        if skipped:
            parts.append(self._paint(f"{skipped} skipped", "yellow"))
        self._write()
        if self.verbosity >= 0 and self._stats.requests.executed > 1:
            for line in render(self._stats, run.duration_s, unicode=self.unicode):
                self._write(line)
            self._write()
        if run.stopped_reason:
            label = "interrupted" if run.interrupted else "stopped"
            self._write(self._paint(f"{label}: {run.stopped_reason}", "yellow"))
        steps = f"{run.total} {plural(run.total, 'step')}"
        self._write(f"{', '.join(parts)} · {steps} in {run.duration_s:.2f} s")
        if run.tests_not_run:
            n = run.tests_not_run
            were = "Postman test in scripts was" if n == 1 else "Postman tests in scripts were"
            note = f"{n} {were} not run (run_scripts: false; `run --scripts` runs them)"
            self._write(self._paint(note, "yellow"))


def create(options: ReporterOptions) -> ConsoleReporter:
    """The registry's factory (runner.reporters): to standard output, or to a file."""
    if options.path is None:
        return ConsoleReporter(
            options.stream,
            options.redactor,
            colour=options.colour,
            verbosity=options.verbosity,
            environ=options.environ,
        )
    return _FileConsole(options)


class _FileConsole(ConsoleReporter):
    """``--reporter console:PATH``: the same text, without colour or progress, in a file."""

    def __init__(self, options: ReporterOptions) -> None:
        assert options.path is not None
        self._file = open(options.path, "w", encoding="utf-8")  # closed by close()
        super().__init__(
            self._file, options.redactor, colour=False, verbosity=options.verbosity,
            progress=False,
        )  # fmt: skip

    def on_filtered_event(self, event: Event) -> None:
        super().on_filtered_event(event)
        if isinstance(event, RunFinished):
            self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


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


def script_line(event: ScriptConsole | SubRequestDone | Notice) -> str:
    """A script's console line, its pm.sendRequest, or a notice, in one line (masked)."""
    if isinstance(event, ScriptConsole):
        return f"console.{event.level}: {event.text}"
    if isinstance(event, SubRequestDone):
        sub = event.request
        outcome = f"{sub.status} ({sub.elapsed_ms:.0f} ms)" if sub.error is None else sub.error
        return f"pm.sendRequest: {sub.method} {sub.url} → {outcome}"
    return event.message
