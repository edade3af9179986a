"""The closing summary in Newman's manner (iterations, requests, assertions: executed and
failed; response times; data received), with what Newman lacks: steps skipped, p50/p95,
per-folder totals and the slowest steps. Built from the event stream as it goes, in memory
that does not grow with the run: response times are counted per whole millisecond (the unit the
summary prints, so its percentiles are exactly those of every time kept), the slowest steps are
in a small heap."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field

from runner.core.results import StepResult

SLOWEST = 3  # how many of the slowest steps are listed
SCRIPT_EVENTS = ("prerequest", "test")  # Newman's order of the scripts rows


@dataclass
class Row:
    executed: int = 0
    failed: int = 0


@dataclass
class FolderTotals:
    steps: int = 0
    failed: int = 0
    elapsed_ms: float = 0.0


@dataclass
class ResponseTimes:
    """Response times as the summary prints them: how many fell on each whole millisecond
    (rounding is monotonic, so the nearest-rank percentile of these is the rounded percentile
    of the exact times), with the exact count, total, min and max. A 100,000-request run keeps
    a few dozen counters, not 100,000 floats."""

    count: int = 0
    total_ms: float = 0.0
    min_ms: float = math.inf
    max_ms: float = 0.0
    per_ms: Counter[int] = field(default_factory=Counter)

    def add(self, ms: float) -> None:
        self.count += 1
        self.total_ms += ms
        self.min_ms = min(self.min_ms, ms)
        self.max_ms = max(self.max_ms, ms)
        self.per_ms[round(ms)] += 1

    def __len__(self) -> int:
        return self.count

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile (0 without any)."""
        if not self.count:
            return 0.0
        rank = max(math.ceil(p / 100 * self.count), 1)
        seen = 0
        for ms in sorted(self.per_ms):
            seen += self.per_ms[ms]
            if seen >= rank:
                return float(ms)
        return float(max(self.per_ms))  # not reached: the counts add up to self.count


@dataclass
class RunStats:
    iterations: Row = field(default_factory=Row)
    requests: Row = field(default_factory=Row)
    assertions: Row = field(default_factory=Row)
    scripts: dict[str, Row] = field(default_factory=dict)  # "prerequest", "test": --scripts
    skipped: int = 0
    received: int = 0
    times: ResponseTimes = field(default_factory=ResponseTimes)
    folders: dict[str, FolderTotals] = field(default_factory=dict)
    slowest: list[tuple[float, int, str]] = field(default_factory=list)  # (ms, seq, label)
    _failed_iterations: set[int] = field(default_factory=set)
    _seq: int = 0

    def iteration(self) -> None:
        self.iterations.executed += 1

    def script(self, event: str, failed: bool) -> None:
        """One Postman script ran (Newman's prerequest-scripts and test-scripts rows)."""
        row = self.scripts.setdefault(event, Row())
        row.executed += 1
        row.failed += failed

    def step(self, step: StepResult, iterations: int) -> None:
        bad = step.status in ("failed", "error")
        if bad:
            self._failed_iterations.add(step.iteration)
        self.iterations.failed = len(self._failed_iterations)
        if step.status == "skipped":
            self.skipped += 1
        for check in step.checks:
            self.assertions.executed += 1
            self.assertions.failed += not check.passed
        if step.kind != "request" or step.status == "skipped":
            return
        self.requests.executed += 1
        self.requests.failed += bad
        self.received += step.size or 0
        if step.elapsed_ms is not None:
            self.times.add(step.elapsed_ms)
            label = " / ".join((*step.path, step.name))
            if iterations > 1:
                label += f" (iteration {step.iteration})"
            self._seq += 1
            entry = (step.elapsed_ms, -self._seq, label)
            if len(self.slowest) < SLOWEST:
                heapq.heappush(self.slowest, entry)
            else:
                heapq.heappushpop(self.slowest, entry)
        if step.path:
            totals = self.folders.setdefault(" / ".join(step.path), FolderTotals())
            totals.steps += 1
            totals.failed += bad
            totals.elapsed_ms += step.elapsed_ms or 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the response times, in whole ms (0 without any)."""
        return self.times.percentile(p)


def render(stats: RunStats, duration_s: float, *, unicode: bool) -> list[str]:
    """The table and the lines under it, as Newman draws them (ASCII when needed)."""
    if stats.iterations.executed == 0:
        stats.iterations.executed = 1
    h, v, corners = ("─", "│", "┌┬┐├┼┤└┴┘") if unicode else ("-", "|", "+++++++++")
    widths = (25, 12, 12)

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join(h * w for w in widths) + right

    def row(cells: tuple[str, str, str]) -> str:
        name, executed, failed = cells
        return (
            f"{v}{name:>{widths[0] - 1}} {v}{executed:>{widths[1] - 1}} "
            f"{v}{failed:>{widths[2] - 1}} {v}"
        )

    rows = [("iterations", stats.iterations), ("requests", stats.requests)]
    if stats.scripts:  # only when Postman scripts ran (--scripts): both rows, as Newman's
        rows += [(f"{event}-scripts", stats.scripts.get(event, Row())) for event in SCRIPT_EVENTS]
    rows.append(("assertions", stats.assertions))
    lines = [rule(corners[0], corners[1], corners[2]), row(("", "executed", "failed"))]
    for name, counts in rows:
        lines.append(rule(corners[3], corners[4], corners[5]))
        lines.append(row((name, str(counts.executed), str(counts.failed))))
    if stats.skipped:
        lines.append(rule(corners[3], corners[4], corners[5]))
        lines.append(row(("steps skipped", str(stats.skipped), "")))
    lines.append(rule(corners[6], corners[7], corners[8]))
    lines.append(f"total run duration: {duration_s * 1000:.0f} ms")
    lines.append(f"total data received: {size(stats.received)}")
    times = stats.times
    if times.count:
        average = times.total_ms / times.count
        lines.append(
            f"response time: average {average:.0f} ms [min {times.min_ms:.0f} ms, "
            f"max {times.max_ms:.0f} ms, p50 {stats.percentile(50):.0f} ms, "
            f"p95 {stats.percentile(95):.0f} ms]"
        )
    if stats.folders:
        lines.append("per folder:")
        for name, totals in stats.folders.items():
            lines.append(
                f"  {name}: {totals.steps} {plural(totals.steps, 'request')}, "
                f"{totals.failed} failed, {totals.elapsed_ms:.0f} ms"
            )
    if times.count > SLOWEST:
        lines.append("slowest:")
        for ms, _, label in sorted(stats.slowest, reverse=True):
            lines.append(f"  {ms:.0f} ms  {label}")
    return lines


def plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"
