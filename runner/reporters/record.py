"""``runner run --record [FILE]``: keep each request's response as an example for the
documentation that ``runner docs`` writes.

One example per step and status code (the latest wins), merged into the examples file (by
default ``<collection>.examples.json`` beside the collection), which ``runner docs`` reads.
Bodies are masked like every report, shortened to RECORD_BODY_CHARS, and only the
Content-Type header is kept. The file is written atomically with mode 0600.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.core.events import Event, ResponseReceived, RunFinished, StepFinished, StepStarted
from runner.core.files import write_atomic
from runner.reporters import ReporterOptions

FORMAT = "runner-examples/1"
RECORD_BODY_CHARS = 16 * 1024


def default_examples_path(collection_path: str | Path) -> Path:
    """Where ``--record`` writes and ``runner docs`` looks: beside the collection."""
    path = Path(collection_path)
    return path.with_name(f"{path.stem}.examples.json")


def step_key(path: tuple[str, ...] | list[str], name: str) -> str:
    """How a step is named in the examples file: its folders and name, joined by " / "."""
    return " / ".join([*path, name])


def read_examples(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The examples recorded in ``path`` (empty if there is no such file or it is not ours)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    examples = data.get("examples")
    return examples if isinstance(examples, dict) else {}


class RecordReporter:
    def __init__(self, options: ReporterOptions) -> None:
        if options.path is None:
            if options.collection is None:
                raise ValueError("the record reporter needs a path or a collection")
            options = ReporterOptions(
                options.redactor,
                options.stream,
                default_examples_path(options.collection.path),
                options.collection,
            )
        assert options.path is not None
        self.path = options.path
        self.options = options
        self.current: tuple[str, ...] | None = None
        self.response: ResponseReceived | None = None
        self.recorded: dict[str, dict[str, dict[str, Any]]] = {}

    def on_event(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.current = (*event.path, event.name)
            self.response = None
        elif isinstance(event, ResponseReceived):
            self.response = event
        elif isinstance(event, StepFinished):
            response, self.response = self.response, None
            if response is None or self.current is None:
                return
            body = response.body
            truncated = response.truncated or len(body) > RECORD_BODY_CHARS
            example = {
                "status": response.status,
                "reason": response.reason,
                "content_type": response.content_type,
                "body": body[:RECORD_BODY_CHARS],
                "truncated": truncated,
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            key = step_key(self.current[:-1], self.current[-1])
            self.recorded.setdefault(key, {})[str(response.status)] = example
        elif isinstance(event, RunFinished):
            self._write()

    def _write(self) -> None:
        if not self.recorded:
            return
        examples = read_examples(self.path)
        for key, by_status in self.recorded.items():
            kept = {str(e.get("status")): e for e in examples.get(key, []) if isinstance(e, dict)}
            kept.update(by_status)
            examples[key] = [kept[s] for s in sorted(kept)]
        collection = self.options.collection
        document = {
            "format": FORMAT,
            "collection": collection.name if collection is not None else None,
            "examples": examples,
        }
        write_atomic(self.path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
