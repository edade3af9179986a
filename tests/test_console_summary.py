"""The console's closing summary table (Newman's rows plus skipped steps, p50/p95, folders,
slowest steps), its progress bar with ETA for any long run, and iteration headers under -q."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import RunCli
from echo_server import EchoServer

COLLECTION = """\
name: Summary
steps:
  - folder: Users
    steps:
      - request: List
        url: {base}/get
        expect: {{status: 200}}
      - request: Create
        method: POST
        url: {base}/post
        expect:
          status: 200
          json: {{$.json.n: <<iteration>>}}
  - request: Outside
    url: {base}/status/<<code>>
    expect: {{status: 200}}
"""


def write(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(COLLECTION.format(base=base), encoding="utf-8")
    return path


def test_the_summary_table_counts_like_newman(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = write(tmp_path, echo.url)
    result = run_cli("run", path, "-n", "2", "--var", "code=200", "--no-color")
    assert result.code == 1  # the body has no $.json.n: Create fails in each iteration
    table = result.out[result.out.index("+----") :].splitlines()
    assert table[:9] == [
        "+-------------------------+------------+------------+",
        "|                         |   executed |     failed |",
        "+-------------------------+------------+------------+",
        "|              iterations |          2 |          2 |",
        "+-------------------------+------------+------------+",
        "|                requests |          6 |          2 |",
        "+-------------------------+------------+------------+",
        "|              assertions |          8 |          2 |",
        "+-------------------------+------------+------------+",
    ]
    assert re.fullmatch(r"total run duration: \d+ ms", table[9])
    assert re.fullmatch(r"total data received: \d+(\.\d)? [KB ]*B", table[10])
    assert re.fullmatch(
        r"response time: average \d+ ms \[min \d+ ms, max \d+ ms, p50 \d+ ms, p95 \d+ ms\]",
        table[11],
    )
    assert table[12] == "per folder:"
    assert re.fullmatch(r"  Users: 4 requests, 2 failed, \d+ ms", table[13])
    assert table[14] == "slowest:"
    assert all(re.fullmatch(r"  \d+ ms  .+ \(iteration [12]\)", line) for line in table[15:18])
    assert table[-1].startswith("4 passed, 2 failed · 6 steps in ")


def test_quiet_keeps_the_header_of_an_iteration_that_failed(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = write(tmp_path, echo.url)
    data = tmp_path / "rows.csv"
    data.write_text("code\n200\n404\n200\n", encoding="utf-8")
    result = run_cli("run", path, "--data", data, "-q", "--no-color")
    lines = result.out.splitlines()
    assert [line for line in lines if line.startswith("Iteration")] == [
        "Iteration 1/3",
        "Iteration 2/3",
        "Iteration 3/3",
    ]  # fmt: skip  every iteration's Create fails
    assert lines.index("Iteration 2/3") < next(
        i for i, line in enumerate(lines) if "Outside" in line
    )


def test_quiet_leaves_out_the_header_of_an_iteration_that_passed(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        f"name: ok\nsteps:\n  - request: one\n    url: {echo.url}/status/<<want>>\n"
        "    expect: {status: 200}\n",
        encoding="utf-8",
    )
    data = tmp_path / "rows.csv"
    data.write_text("want\n200\n500\n200\n", encoding="utf-8")
    result = run_cli("run", path, "--data", data, "-q", "--no-color")
    assert [line for line in result.out.splitlines() if line.startswith("Iteration")] == [
        "Iteration 2/3"
    ]


def test_a_progress_bar_with_eta_for_many_iterations_of_one_step(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        f"name: one\nsteps:\n  - request: one\n    url: {echo.url}/get\n", encoding="utf-8"
    )
    result = run_cli("run", path, "-n", "40", tty=True, env={"NO_COLOR": "1"})
    assert result.code == 0
    assert "Iteration " not in result.out  # the bar stands for the lines
    bars = re.findall(r"\[[#-]{30}\] (\d+)/40 · \d+ passed · 0 failed · [\d.]+ s", result.out)
    assert bars and bars[-1] == "40"
    assert bars[0] == "1"  # the first step draws the bar at once, with an estimate
    assert re.search(r"\] 1/40 · 1 passed · 0 failed · [\d.]+ s · ETA \d+ s", result.out)


def test_piped_output_has_plain_lines(run_cli: RunCli, echo: EchoServer, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        f"name: one\nsteps:\n  - request: one\n    url: {echo.url}/get\n", encoding="utf-8"
    )
    result = run_cli("run", path, "-n", "25")
    assert "\r" not in result.out
    assert result.out.count("Iteration ") == 25


SCRIPTED = """\
name: Scripted
scripts:
  prerequest: pm.variables.set("seen", "1");
steps:
  - request: A
    url: {base}/get
    scripts:
      test: 'pm.test("ok", function () {{ pm.response.to.have.status(200); }});'
  - request: B
    url: {base}/get
    scripts:
      test: throw new Error("boom");
"""


def test_the_scripts_rows_count_the_postman_scripts_run(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path, postman_sandbox: object
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(SCRIPTED.format(base=echo.url), encoding="utf-8")
    result = run_cli("run", path, "--scripts", "--no-color")
    assert result.code == 1  # B's test script threw
    table = result.out[result.out.index("+----") :].splitlines()
    assert table[5:12] == [
        "|                requests |          2 |          1 |",  # B failed: its script threw
        "+-------------------------+------------+------------+",
        "|      prerequest-scripts |          2 |          0 |",
        "+-------------------------+------------+------------+",
        "|            test-scripts |          2 |          1 |",
        "+-------------------------+------------+------------+",
        "|              assertions |          2 |          1 |",
    ]
    inert = run_cli("run", path, "--no-color")  # without --scripts: none ran, no rows
    assert "-scripts |" not in inert.out


def test_response_times_print_as_the_exact_times_would_in_memory_that_does_not_grow() -> None:
    """The summary counts times per whole millisecond: min, max, average, p50 and p95 print
    exactly as computed from every time, and 100,000 requests keep a few counters."""
    import math
    import random

    from runner.reporters.summary import ResponseTimes

    rng = random.Random(7)
    exact = [rng.choice((0.5, 1.5, 2.5, 7.49, 7.5, 12.0)) + rng.random() * 3 for _ in range(10_000)]
    exact += [0.4999, 2.5000001, 99.5]
    times = ResponseTimes()
    for ms in exact:
        times.add(ms)

    def nearest_rank(p: float) -> float:
        ordered = sorted(exact)
        return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]

    for p in (1, 50, 95, 99, 100):
        assert f"{times.percentile(p):.0f}" == f"{nearest_rank(p):.0f}", p
    assert (f"{times.min_ms:.0f}", f"{times.max_ms:.0f}") == (f"{min(exact):.0f}", "100")
    assert f"{times.total_ms / len(times):.0f}" == f"{sum(exact) / len(exact):.0f}"
    assert len(times) == len(exact) and len(times.per_ms) <= 20
    assert ResponseTimes().percentile(95) == 0.0
