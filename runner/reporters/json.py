"""The JSON report: the whole run as one JSON document, in the schema documented in
docs/reports.md and shipped as runner/data/report.schema.json.

Steps are written to a temporary file as they finish (memory stays flat however long the
run), and the file is published atomically when the run ends, interrupted or not; the
summary comes last in the document, after the steps. Everything in it is masked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from runner.core.events import Event, Interrupted, RunFinished, RunStarted
from runner.core.version import __version__
from runner.reporters import ReporterOptions
from runner.reporters.output import AtomicOutput, StepAssembler, step_record

SCHEMA_ID = "https://runner.invalid/schemas/report-1.json"  # the $id of report.schema.json
FORMAT = "runner-report/1"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonReporter:
    def __init__(self, options: ReporterOptions) -> None:
        self.options = options
        self.out: AtomicOutput | None = None
        self.steps = StepAssembler()
        self.first = True
        self.interrupted_at: dict[str, Any] | None = None

    def _dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.out = AtomicOutput(self.options.path, self.options.stream)
            collection = self.options.collection
            head = {
                "format": FORMAT,
                "runner": __version__,
                "collection": {
                    "name": event.collection,
                    "file": collection.path if collection is not None else None,
                },
                "environment": event.environment,
                "started_at": _now(),
                "total_steps": event.total_steps,
                "iterations": getattr(event, "iterations", 1),
            }
            # the head without its closing brace, then the steps as they come
            self.out.write(self._dump(head)[:-1] + ',\n"steps": [\n')
            return
        if self.out is None:
            return
        detail = self.steps.feed(event)
        if detail is not None:
            text = self._dump(step_record(detail))
            self.out.write(("" if self.first else ",\n") + text)
            self.first = False
        elif isinstance(event, Interrupted):
            self.interrupted_at = {"index": event.index, "name": event.name}
        elif isinstance(event, RunFinished):
            run = event.result
            tail = {
                "finished_at": _now(),
                "duration_s": round(run.duration_s, 6),
                "summary": {
                    "total": run.total,
                    "passed": run.count("passed"),
                    "failed": run.count("failed"),
                    "errors": run.count("error"),
                    "skipped": run.count("skipped"),
                    "postman_tests_not_run": run.tests_not_run,
                },
                "ok": run.ok,
                "exit_code": int(run.exit_status),
                "interrupted": run.interrupted,
                "interrupted_at": self.interrupted_at,
                "input_missing": run.input_missing,
                "stopped_reason": (run.stopped_reason if run.stopped_reason else None),
            }
            self.out.write("\n],\n" + self._dump(tail)[1:] + "\n")
            self.out.commit()

    def close(self) -> None:
        if self.out is not None:
            self.out.discard()
