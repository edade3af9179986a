"""What a load run is (``runner load``) and what came out of it; no Locust in here.

The command (``runner load``) turns its options into a ``LoadPlan``, hands the plan to the
load process (runner.loadtest.process, where Locust runs) as JSON, and reads back a
``LoadReport``: per-step statistics, which it checks against the thresholds (the
collection's ``load.thresholds``, then ``--threshold``) and writes as CSV and JSON.
Everything a person sees or a file keeps passes through the command's ``Redactor`` first.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from runner.core.errors import UsageError
from runner.core.model import THRESHOLD_METRICS, Collection, Threshold

# --- parsing the options -----------------------------------------------------------------------


def parse_weighted(text: str) -> tuple[str, int]:
    """``a.yaml:3`` -> ("a.yaml", 3); ``a.yaml`` -> ("a.yaml", 1)."""
    path, sep, weight = text.rpartition(":")
    if not sep or not weight.isdigit() or not path:
        return text, 1
    if int(weight) < 1:
        raise UsageError(f"--collection {text}: the weight must be 1 or more")
    return path, int(weight)


_SPAN = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?")


def parse_timespan(text: str, what: str = "--run-time") -> float:
    """Seconds from ``90``, ``30s``, ``1m30s`` or ``2h`` (Locust's forms)."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        match = _SPAN.fullmatch(value)
        if not value or match is None:
            raise UsageError(
                f"{what} {text!r}: expected a duration such as 30s, 5m, 1h30m or 90",
            ) from None
        hours, minutes, secs = match.groups()
        seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
    if seconds <= 0:
        raise UsageError(f"{what} {text!r}: the duration must be greater than 0")
    return seconds


def parse_threshold(text: str) -> Threshold:
    """``p95_ms=500``, ``p99_ms=1500``, ``median_ms=100``, ``error_rate=1%`` (or 0.01)."""
    metric, sep, raw = text.partition("=")
    metric, raw = metric.strip(), raw.strip()
    metrics = ", ".join(THRESHOLD_METRICS)
    if not sep or metric not in THRESHOLD_METRICS:
        from runner.core.errors import close_matches

        near = close_matches(metric, THRESHOLD_METRICS)
        raise UsageError(
            f"--threshold {text!r}: expected METRIC=LIMIT with METRIC one of {metrics}",
            hint=f"did you mean '{near[0]}'?" if near else "for example --threshold p95_ms=500",
        )
    percent = raw.endswith("%")
    number = raw[:-1] if percent else raw.removesuffix("ms") if metric != "error_rate" else raw
    try:
        limit = float(number)
    except ValueError:
        raise UsageError(f"--threshold {text!r}: {raw!r} is not a number") from None
    if percent:
        if metric != "error_rate":
            raise UsageError(f"--threshold {text!r}: only error_rate is a percentage")
        limit /= 100
    if limit < 0 or (metric == "error_rate" and limit > 1):
        top = "1 (100%)" if metric == "error_rate" else "infinity"
        raise UsageError(f"--threshold {text!r}: the limit must be between 0 and {top}")
    return Threshold(metric, limit)


def parse_think_time(text: str) -> tuple[float, float]:
    """``1`` -> (1, 1); ``0.5-2`` -> (0.5, 2): seconds between steps, uniformly drawn."""
    low, sep, high = text.partition("-")
    try:
        pair = (float(low), float(high) if sep else float(low))
    except ValueError:
        raise UsageError(
            f"--think-time {text!r}: expected seconds (1.5) or a range (0.5-2)"
        ) from None
    if pair[0] < 0 or pair[1] < pair[0]:
        raise UsageError(f"--think-time {text!r}: 0 or more seconds, the smaller first")
    return pair


# --- the plan the load process runs ------------------------------------------------------------


@dataclass
class CollectionPlan:
    path: str
    weight: int = 1
    # Values of the steps that need a person, resolved before the load (pause variables).
    shared: dict[str, Any] = field(default_factory=dict)
    secret: list[str] = field(default_factory=list)  # which of ``shared`` to mask


@dataclass
class LoadPlan:
    """Everything the load process needs, as JSON on its standard input (never on its
    command line: the shared values may be secrets)."""

    collections: list[CollectionPlan]
    result_path: str  # where the load process writes its LoadReport (JSON)
    env: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)  # what env() reads
    folders: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    users: int = 1
    spawn_rate: float = 1.0
    run_time: float | None = None  # seconds; None: until interrupted (or the web UI stops)
    think_time: tuple[float, float] | None = None
    timeout: float = 30.0
    insecure: bool = False
    mode: str = "local"  # local | master | worker
    master_host: str = "127.0.0.1"
    master_port: int = 5557  # Locust's default
    master_bind: str = "*"
    expect_workers: int = 1
    web_ui: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 8089  # Locust's default
    progress: float = 5.0  # seconds between progress lines on standard error (0: none)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> LoadPlan:
        doc = json.loads(text)
        doc["collections"] = [CollectionPlan(**c) for c in doc["collections"]]
        if doc.get("think_time") is not None:
            doc["think_time"] = tuple(doc["think_time"])
        return LoadPlan(**doc)


def user_class_name(index: int) -> str:
    """The Locust user class of the ``index``-th collection: the same on master and workers
    (Locust's master assigns users to workers by class name)."""
    return f"Collection{index + 1}"


# --- what came out -----------------------------------------------------------------------------

STAT_FIELDS = (
    "method",
    "name",
    "requests",
    "failures",
    "rps",
    "median_ms",
    "p95_ms",
    "p99_ms",
    "avg_ms",
    "min_ms",
    "max_ms",
)


@dataclass
class StepStats:
    """Locust's statistics of one step (or of all requests: ``name`` "Aggregated")."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    median_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    min_ms: float
    max_ms: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass
class LoadReport:
    """What the load process found; a worker's has only ``sent`` (its master has the rest)."""

    mode: str
    duration_s: float = 0.0
    users: int = 0
    steps: list[StepStats] = field(default_factory=list)
    total: StepStats | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)  # method, name, error, count
    sent: dict[str, int] = field(default_factory=dict)  # this process's requests, failures
    workers: int = 0
    interrupted: bool = False
    problem: str | None = None  # why the load could not run (exit 1)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> LoadReport:
        doc = json.loads(text)
        doc["steps"] = [StepStats(**s) for s in doc.get("steps", [])]
        if doc.get("total") is not None:
            doc["total"] = StepStats(**doc["total"])
        return LoadReport(**doc)


@dataclass(frozen=True)
class Verdict:
    threshold: Threshold
    actual: float
    crossed: bool
    source: str  # "collection" (with file:line) or "--threshold"


def thresholds_for(
    collection_limits: Iterable[Threshold], cli_limits: Sequence[Threshold]
) -> list[tuple[Threshold, str]]:
    """The thresholds of a run: the command line's replace the collection's of the same
    metric; without an error_rate anywhere, any failure fails the run (as Locust exits)."""
    chosen: dict[str, tuple[Threshold, str]] = {}
    for limit in collection_limits:
        chosen[limit.metric] = (limit, str(limit.loc) if limit.loc else "the collection")
    for limit in cli_limits:
        chosen[limit.metric] = (limit, "--threshold")
    if "error_rate" not in chosen:
        chosen["error_rate"] = (Threshold("error_rate", 0.0), "default: no failures")
    return [chosen[m] for m in THRESHOLD_METRICS if m in chosen]


def collection_thresholds(collections: Iterable[Collection]) -> list[Threshold]:
    """The collections' thresholds; with several collections, the strictest of each metric."""
    best: dict[str, Threshold] = {}
    for collection in collections:
        for limit in collection.load.thresholds if collection.load else ():
            if limit.metric not in best or limit.limit < best[limit.metric].limit:
                best[limit.metric] = limit
    return list(best.values())


def judge(total: StepStats | None, limits: Sequence[tuple[Threshold, str]]) -> list[Verdict]:
    """Each threshold against the statistics of all requests together."""
    verdicts: list[Verdict] = []
    for limit, source in limits:
        if total is None or total.requests == 0:
            actual = 0.0
        elif limit.metric == "error_rate":
            actual = total.error_rate
        else:
            actual = float(getattr(total, limit.metric))
        verdicts.append(Verdict(limit, actual, actual > limit.limit, source))
    return verdicts


def show(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value * 100:.2f}%".replace(".00%", "%")
    return f"{value:.0f} ms"


def stats_csv(report: LoadReport) -> str:
    """Per-step statistics as CSV, one row per step and an ``Aggregated`` row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Type",
            "Name",
            "Request Count",
            "Failure Count",
            "Requests/s",
            "Median Response Time",
            "95%",
            "99%",
            "Average Response Time",
            "Min Response Time",
            "Max Response Time",
        ]
    )
    rows = [*report.steps, *([report.total] if report.total else [])]
    for s in rows:
        writer.writerow(
            [
                s.method,
                s.name,
                s.requests,
                s.failures,
                f"{s.rps:.2f}",
                f"{s.median_ms:.0f}",
                f"{s.p95_ms:.0f}",
                f"{s.p99_ms:.0f}",
                f"{s.avg_ms:.1f}",
                f"{s.min_ms:.0f}",
                f"{s.max_ms:.0f}",
            ]
        )
    return out.getvalue()


def stats_json(report: LoadReport, verdicts: Sequence[Verdict], meta: Mapping[str, Any]) -> str:
    """The run's statistics, errors and thresholds as one JSON document."""
    doc = {
        **meta,
        "duration_s": round(report.duration_s, 3),
        "users": report.users,
        "workers": report.workers,
        "interrupted": report.interrupted,
        "steps": [asdict(s) for s in report.steps],
        "total": asdict(report.total) if report.total else None,
        "errors": report.errors,
        "thresholds": [
            {
                "metric": v.threshold.metric,
                "limit": v.threshold.limit,
                "actual": v.actual,
                "passed": not v.crossed,
                "source": v.source,
            }
            for v in verdicts
        ],
        "passed": not any(v.crossed for v in verdicts),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_text(path: str, text: str) -> None:
    """A report file, whole or not at all (written beside, then renamed)."""
    from runner.core.files import write_atomic

    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"{path}: the folder {target.parent} does not exist")
    write_atomic(target, text.encode("utf-8"), mode=0o644)
