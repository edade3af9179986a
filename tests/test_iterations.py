"""Iterations and --parallel: the same results as a sequential run, in the same order, each
iteration with its own variables and cookies (runner.engine.iterations)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import RunCli
from counter_server import Counter
from server import TestServer

from runner.api import load
from runner.core.events import (
    Event,
    IterationFinished,
    IterationStarted,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from runner.engine.engine import Engine, RunOptions
from runner.format.data import open_data

WriteFile = Callable[[str, str], Path]

COLLECTION = """\
name: Per row
variables:
  base: {base}
steps:
  - request: Create
    method: POST
    url: <<base>>/echo
    params: {{delay: <<delay>>}}
    body:
      json: {{user: <<user>>}}
    capture:
      created: $.json.user
  - request: Slow server
    url: <<base>>/slow?seconds=<<delay>>
  - request: Check mine
    url: <<base>>/echo
    params: {{who: <<created>>}}
    expect:
      status: 200
      json:
        $.args.who: <<user>>
  - request: Set my cookie
    url: <<base>>/cookies/set
    params: {{owner: <<user>>}}
  - request: Only my cookie
    url: <<base>>/cookies
    expect:
      json:
        $.cookies: {{eq: {{owner: <<user>>}}}}
  - request: Fails for some
    url: <<base>>/status/<<status>>
    expect:
      status: 200
"""


def rows(tmp_path: Path, count: int) -> Path:
    lines = ["user,delay,status"]
    for n in range(1, count + 1):
        # early rows are slow, so with --parallel later ones finish first
        lines.append(f"user{n},{0.05 if n <= 3 else 0},{500 if n % 4 == 0 else 200}")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def normalised(report: str) -> str:
    """The report without what varies between runs: timings and sizes."""
    report = re.sub(r" \(\d+ ms, [^)]*\)", "", report)
    return re.sub(r" in \d+\.\d+ s", "", report)


def test_parallel_report_is_the_same_as_the_sequential_one(
    server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=server.url))
    data = rows(tmp_path, 12)
    sequential = run_cli("run", collection, "--data", data, "--no-color")
    parallel = run_cli("run", collection, "--data", data, "--no-color", "--parallel", "4")
    assert sequential.code == parallel.code == 1  # rows 4, 8 and 12 fail their last step
    assert normalised(parallel.out) == normalised(sequential.out)
    assert "69 passed, 3 failed" in parallel.out
    assert parallel.out.count("Iteration ") == 12


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)


def run_engine(path: Path, data: Path, parallel: int) -> tuple[Recorder, object]:
    recorder = Recorder()
    engine = Engine(
        load(path),
        None,
        RunOptions(data=open_data(data), parallel=parallel),
        listeners=[recorder],
    )
    return recorder, engine.run()


def test_events_come_in_iteration_order_with_each_iterations_steps_together(
    server: TestServer, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=server.url))
    data = rows(tmp_path, 8)
    recorder, _ = run_engine(collection, data, parallel=4)
    events = recorder.events
    assert isinstance(events[0], RunStarted) and events[0].iterations == 8
    assert isinstance(events[-1], RunFinished)
    shape: list[tuple[str, int]] = []
    for event in events[1:-1]:
        if isinstance(event, IterationStarted | IterationFinished):
            shape.append((type(event).__name__, event.iteration))
        elif isinstance(event, StepStarted):
            shape.append(("StepStarted", event.iteration))
        elif isinstance(event, StepFinished):
            shape.append(("StepFinished", event.result.iteration))
    expected: list[tuple[str, int]] = []
    for n in range(1, 9):
        expected.append(("IterationStarted", n))
        expected += [("StepStarted", n), ("StepFinished", n)] * 6
        expected.append(("IterationFinished", n))
    assert shape == expected


def test_results_are_the_same_in_parallel_and_in_order(
    server: TestServer, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=server.url))
    data = rows(tmp_path, 8)
    _, sequential = run_engine(collection, data, parallel=1)
    _, parallel = run_engine(collection, data, parallel=8)

    def summary(result: object) -> list[tuple[int, str, str]]:
        return [(s.iteration, s.name, s.status) for s in result.steps]  # type: ignore[attr-defined]

    assert summary(parallel) == summary(sequential)
    assert [s for s in summary(parallel) if s[2] != "passed"] == [
        (4, "Fails for some", "failed"),
        (8, "Fails for some", "failed"),
    ]


def test_parallel_requests_really_overlap(run_cli: RunCli, write_file: WriteFile) -> None:
    counter = Counter()
    try:
        collection = write_file(
            "c.yaml",
            f"""
            steps:
              - request: Wait
                url: {counter.url}/wait
            """,
        )
        result = run_cli("run", collection, "-n", "4", "--parallel", "4")
    finally:
        counter.close()
    assert result.code == 0, result.output
    assert counter.paths == ["/wait"] * 4
    assert counter.max_inflight >= 2  # on a 2-core machine, at least two at once


def test_parallel_runs_stop_on_bail_and_keep_the_report_in_order(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Maybe fail
            url: {fresh_server.url}/status/<<status>>
            expect: {{status: 200}}
        """,
    )
    data = tmp_path / "d.csv"
    data.write_text("status\n" + "200\n" * 3 + "500\n" + "200\n" * 40)
    result = run_cli("run", collection, "--data", data, "--parallel", "2", "--bail", "--no-color")
    assert result.code == 1
    assert "stopped: --bail: step 'Maybe fail' did not pass" in result.out
    assert len(fresh_server.log) < 44  # the later iterations never started
    numbers = [int(n) for n in re.findall(r"Iteration (\d+)/44", result.out)]
    assert numbers == sorted(numbers) and numbers[:4] == [1, 2, 3, 4]


def test_an_interrupted_parallel_run_reports_what_ran_in_order(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Slow
            url: {fresh_server.url}/slow?seconds=0.4
        """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "run", str(collection), "-n", "40", "--parallel", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**{k: v for k, v in os.environ.items() if "proxy" not in k.lower()}, "NO_COLOR": "1"},
    )
    fresh_server.wait_for(6, timeout=10)  # some iterations have started
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143  # SIGTERM's own code (130 is Ctrl-C's)
    assert "\ninterrupted: " in out  # the summary's line, not any mention of the word
    numbers = [int(n) for n in re.findall(r"Iteration (\d+)/40", out)]
    assert numbers == list(range(1, len(numbers) + 1))  # in order, none missing
    assert 0 < len(numbers) < 40
