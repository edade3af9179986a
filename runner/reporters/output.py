"""What the file reporters share: atomic output files and masked, bounded values.

A report is written to a temporary file beside its destination as the run goes (so memory
stays flat), then fsynced and renamed over the destination in one step when the run ends:
a reader never sees half a report, and an earlier report stays whole until the new one is
complete. Files are created with mode 0600 (reports hold response bodies).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from runner.check.checks import MISSING
from runner.core.events import Event, RequestSent, ResponseReceived, StepFinished, StepStarted
from runner.core.files import fsync_folder
from runner.core.results import CheckResult, StepResult

MAX_REPORT_VALUE_CHARS = 4096


class AtomicOutput:
    """A text file written in pieces and published whole by ``commit()``.

    With ``path`` None the pieces collect in an anonymous temporary file and ``commit()``
    copies them to ``stream`` (standard output)."""

    def __init__(
        self, path: Path | None, stream: TextIO | None = None, *, mode: int = 0o600
    ) -> None:
        self.path = path
        self.stream = stream
        self._tmp_name: str | None = None
        if path is not None:
            with held_signals():  # the temporary file is known as soon as it exists
                fd, self._tmp_name = tempfile.mkstemp(
                    prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or "."
                )
                if mode != 0o600:
                    os.fchmod(fd, mode)
                self.file: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        else:
            self.file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
        self.done = False

    def write(self, text: str) -> None:
        self.file.write(text)

    def commit(self) -> None:
        """Publish what was written: rename over the destination, or copy to the stream.
        Ctrl-C and SIGTERM wait until it is done: the report is published whole or not."""
        with held_signals():
            self._commit()

    def _commit(self) -> None:
        if self.done:
            return
        self.done = True
        if self.path is None:
            self.file.flush()
            self.file.seek(0)
            assert self.stream is not None
            while chunk := self.file.read(64 * 1024):
                self.stream.write(chunk)
            self.stream.flush()
            self.file.close()
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        assert self._tmp_name is not None
        os.replace(self._tmp_name, self.path)
        fsync_folder(self.path.parent)

    def discard(self) -> None:
        """Drop what was written (the destination, if any, is left as it was); no signal
        can leave the temporary file behind."""
        with held_signals():
            if self.done:
                return
            self.done = True
            self.file.close()
            if self._tmp_name is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._tmp_name)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM wait, and are delivered when it ends (a second
    Ctrl-C a few milliseconds after the first must not cut a report's rename in half)."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # no POSIX signal masks
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def bounded(value: Any, limit: int = MAX_REPORT_VALUE_CHARS) -> Any:
    """A check's expected or actual value as a report shows it (already masked: events are,
    runner.engine.emitter): shortened to a string when its JSON is longer than ``limit``
    characters. ``MISSING`` becomes None."""
    if value is MISSING:
        return None
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)[:limit]
    if len(text) <= limit:
        return json.loads(text)  # plain JSON types, whatever came in
    return text[: limit - 1] + "…"


def pretty_body(body: str | None, content_type: str = "") -> str:
    """A body for a person: JSON indented, anything else as it is."""
    if not body:
        return ""
    if "json" in content_type.lower() or body.lstrip().startswith(("{", "[")):
        try:
            return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            return body
    return body


@dataclass(slots=True)
class StepDetail:
    """A finished step with the request and response events it had (if any)."""

    result: StepResult
    request: RequestSent | None = None
    response: ResponseReceived | None = None


class StepAssembler:
    """Pairs a step's RequestSent and ResponseReceived with its StepFinished; keeps only the
    current step, so memory does not grow with the run."""

    def __init__(self) -> None:
        self._request: RequestSent | None = None
        self._response: ResponseReceived | None = None

    def feed(self, event: Event) -> StepDetail | None:
        if isinstance(event, StepStarted):
            self._request = self._response = None
        elif isinstance(event, RequestSent):
            self._request = event
        elif isinstance(event, ResponseReceived):
            self._response = event
        elif isinstance(event, StepFinished):
            detail = StepDetail(event.result, self._request, self._response)
            self._request = self._response = None
            return detail
        return None


def check_record(check: CheckResult) -> dict[str, Any]:
    return {
        "label": check.label,
        "passed": check.passed,
        "expected": bounded(check.expected),
        "actual": bounded(check.actual),
        "message": check.message if check.message else None,
        "location": str(check.loc) if check.loc else None,
    }


def step_record(detail: StepDetail) -> dict[str, Any]:
    """One step as the JSON report writes it (docs/reports.md, runner/data/report.schema.json);
    the HTML report reads the same record. Everything in it is masked."""
    step = detail.result
    request = detail.request
    response = detail.response
    record: dict[str, Any] = {
        "index": step.index,
        "name": step.name,
        "kind": step.kind,
        "path": [p for p in step.path],
        "status": step.status,
        "iteration": getattr(step, "iteration", 1),
        "note": note if (note := getattr(step, "note", None)) else None,
        "attempts": getattr(step, "attempts", 1),
        "location": str(step.loc),
        "method": step.method,
        "url": step.url if step.url else None,
        "status_code": step.status_code,
        "elapsed_ms": round(step.elapsed_ms, 3) if step.elapsed_ms is not None else None,
        "size": step.size,
        "request": None,
        "response": None,
        "checks": [check_record(c) for c in step.checks],
        "warnings": [check_record(c) for c in step.warnings],
        "subrequests": [dataclasses.asdict(sub) for sub in getattr(step, "subrequests", ())],
        "captures": {name: bounded(step.captured_values.get(name)) for name in step.captured},
        "error": ({"message": step.error, "reason": step.error_reason} if step.error else None),
    }
    if request is not None:
        record["request"] = {
            "method": request.method,
            "url": request.url,
            "headers": [[n, v] for n, v in request.headers],
            "body": request.body,
            "body_size": request.body_size,
            "truncated": request.truncated,
        }
    if response is not None:
        record["response"] = {
            "status": response.status,
            "reason": response.reason,
            "headers": [[n, v] for n, v in response.headers],
            "body": response.body,
            "body_size": response.body_size,
            "truncated": response.truncated,
            "elapsed_ms": round(response.elapsed_ms, 3),
        }
    return record
