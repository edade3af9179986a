"""The JUnit XML report, in the dialect Jenkins and GitLab read (valid against the JUnit XSD of
Jenkins' xUnit plug-in, tests/fixtures/junit-10.xsd).

One ``<testsuite>`` per collection; one ``<testcase>`` per step, named after the step, with
the collection and its folders in ``classname`` (``Collection.Folder.Sub``). Named checks (a
Postman test's name, ``name:`` beside the operators) are test cases of their own, one per
name, named and classed as Newman's JUnit reporter names them (runner.reporters.newman_names),
so a CI history kept under Newman carries over; the step's own case then remains only for
its unnamed checks, an error or a skip. A failed
expectation is a ``<failure>``, a request that got no response (or could not be rendered) an
``<error>``, a skipped step ``<skipped>``. The suite's counts come first in the file but are
only known at the end, so the test cases stream to a temporary file and the report is put
together and published atomically when the run ends. An interrupted run is marked in the
suite's properties and ``<system-err>``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from tempfile import TemporaryFile
from xml.sax.saxutils import escape, quoteattr

from runner.core.events import Event, Interrupted, RunFinished, RunStarted, StepFinished
from runner.core.results import CheckResult, StepResult
from runner.reporters import ReporterOptions
from runner.reporters.newman_names import class_name, suite_name
from runner.reporters.output import AtomicOutput, bounded

# characters XML 1.0 cannot hold, even escaped
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    return escape(_ILLEGAL.sub("\ufffd", str(value)))


def _attr(value: object) -> str:
    return quoteattr(_ILLEGAL.sub("\ufffd", str(value)).replace("\n", " "))


class JUnitReporter:
    def __init__(self, options: ReporterOptions) -> None:
        self.options = options
        self.cases = TemporaryFile("w+", encoding="utf-8")
        self.suite = "runner"
        self.timestamp = ""
        self.interrupted: str | None = None
        self.iterations = 1
        self.environment: str | None = None
        self.file = options.collection.path if options.collection is not None else None
        self.done = False
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.suite = event.collection
            self.environment = event.environment
            self.iterations = getattr(event, "iterations", 1)
            self.timestamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        elif isinstance(event, StepFinished):
            self.cases.write(self._case(event.result))
        elif isinstance(event, Interrupted):
            where = f" during step {event.index} '{event.name}'" if event.index else ""
            self.interrupted = f"the run was interrupted{where}"
        elif isinstance(event, RunFinished):
            self._finish(event)

    # -- one step ----------------------------------------------------------------------------
    def _case(self, step: StepResult) -> str:
        named = [c for c in step.checks if c.name]
        if not named:
            return self._step_case(step)
        parts = [
            self._named_case(step, name, [c for c in named if c.name == name])
            for name in dict.fromkeys(c.name for c in named if c.name)
        ]
        unnamed = [c for c in step.checks if not c.name]
        if unnamed or step.status in ("error", "skipped"):
            own = StepResult(**{f: getattr(step, f) for f in step.__dataclass_fields__})
            own.checks = unnamed
            if own.status == "failed" and not own.failed_checks:
                own.status = "passed"
            parts.append(self._step_case(own))
        return "".join(parts)

    def _named_case(self, step: StepResult, name: str, checks: list[CheckResult]) -> str:
        """A Newman-named test case: the test's name, the class of the request's full name."""
        classname = class_name(suite_name(step.path, step.name)) or class_name(self.suite)
        seconds = (step.elapsed_ms or 0.0) / 1000
        attrs = (
            f"name={_attr(name)} classname={_attr(classname)} time={_attr(f'{seconds:.3f}')} "
            f"file={_attr(step.loc.file)} line={_attr((checks[0].loc or step.loc).line)}"
        )
        self.counts["tests"] += 1
        failed = [c for c in checks if not c.passed]
        if not failed:
            return f"    <testcase {attrs}/>\n"
        self.counts["failures"] += 1
        message = failed[0].message or self._check_line(failed[0])
        body = "\n".join(self._check_line(c) for c in failed)
        return (
            f"    <testcase {attrs}>\n"
            f'      <failure message={_attr(message)} type="AssertionFailure">{_text(body)}'
            "</failure>\n    </testcase>\n"
        )

    def _step_case(self, step: StepResult) -> str:
        self.counts["tests"] += 1
        key = {"failed": "failures", "error": "errors", "skipped": "skipped"}.get(step.status)
        if key is not None:
            self.counts[key] += 1
        classname = ".".join((self.suite, *step.path))
        seconds = (step.elapsed_ms or 0.0) / 1000
        name = step.name
        if self.iterations > 1:
            name = f"{name} [iteration {getattr(step, 'iteration', 1)}]"
        attrs = (
            f"name={_attr(name)} classname={_attr(classname)} "
            f"time={_attr(f'{seconds:.3f}')} file={_attr(step.loc.file)} "
            f"line={_attr(step.loc.line)}"
        )
        parts = [f"    <testcase {attrs}>\n"]
        failed = step.failed_checks
        if step.status == "error":
            reason = step.error_reason or "error"
            lines = [f"{step.error or 'error'}", f"at {step.loc}"]
            lines += [self._check_line(c) for c in failed]
            parts.append(
                f"      <error message={_attr(step.error or reason)} type={_attr(reason)}>"
                f"{_text(chr(10).join(lines))}</error>\n"
            )
        elif step.status == "failed":
            message = f"{len(failed)} expectation{'s' if len(failed) != 1 else ''} failed: "
            message += "; ".join(c.title for c in failed)
            body = "\n".join(self._check_line(c) for c in failed)
            parts.append(
                f'      <failure message={_attr(message)} type="expectation">'
                f"{_text(body)}</failure>\n"
            )
        elif step.status == "skipped":
            why = getattr(step, "note", None) or step.error or "skipped"
            parts.append(f"      <skipped message={_attr(why)}/>\n")
        out = self._system_out(step)
        if out:
            parts.append(f"      <system-out>{_text(out)}</system-out>\n")
        parts.append("    </testcase>\n")
        return "".join(parts)

    def _check_line(self, check: CheckResult) -> str:
        expected = json.dumps(bounded(check.expected, 300), ensure_ascii=False)
        actual = json.dumps(bounded(check.actual, 300), ensure_ascii=False)
        line = f"{check.title}: expected {expected}, got {actual}"
        if check.message:
            line += f" ({check.message})"
        return f"{line}\n  at {check.loc}" if check.loc else line

    def _system_out(self, step: StepResult) -> str:
        lines = []
        if step.method and step.url:
            status = f" -> {step.status_code}" if step.status_code is not None else ""
            lines.append(f"{step.method} {step.url}{status}")
        attempts = getattr(step, "attempts", 1)
        if attempts > 1:
            lines.append(f"attempts: {attempts}" + (f" ({step.note})" if step.note else ""))
        for warning in step.warnings:
            lines.append(f"warning: {self._check_line(warning)}")
        if step.captured:
            lines.append(f"captured: {', '.join(step.captured)}")
        return "\n".join(lines)

    # -- the end -----------------------------------------------------------------------------
    def _finish(self, event: RunFinished) -> None:
        run = event.result
        out = AtomicOutput(self.options.path, self.options.stream)
        try:
            counts = (
                f"tests={_attr(self.counts['tests'])} failures={_attr(self.counts['failures'])} "
                f"errors={_attr(self.counts['errors'])}"
            )
            time_s = _attr(f"{run.duration_s:.3f}")
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write(f"<testsuites name={_attr(self.suite)} {counts} time={time_s}>\n")
            file_attr = f" file={_attr(self.file)}" if self.file else ""
            out.write(
                f"  <testsuite name={_attr(self.suite)} {counts} "
                f"skipped={_attr(self.counts['skipped'])} time={time_s} "
                f"timestamp={_attr(self.timestamp)}{file_attr}>\n"
            )
            properties = [("environment", self.environment)] if self.environment else []
            if run.interrupted:
                properties.append(("interrupted", "true"))
            if run.stopped_reason:
                properties.append(("stopped_reason", run.stopped_reason))
            if properties:
                out.write("    <properties>\n")
                for name, value in properties:
                    out.write(f"      <property name={_attr(name)} value={_attr(value)}/>\n")
                out.write("    </properties>\n")
            self.cases.flush()
            self.cases.seek(0)
            while chunk := self.cases.read(64 * 1024):
                out.write(chunk)
            if run.interrupted or run.stopped_reason:
                note = self.interrupted or run.stopped_reason or ""
                out.write(f"    <system-err>{_text(note)}</system-err>\n")
            out.write("  </testsuite>\n</testsuites>\n")
            out.commit()
        finally:
            out.discard()
            self.close()

    def close(self) -> None:
        if not self.cases.closed:
            self.cases.close()
