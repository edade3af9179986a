"""Flow control: skip_if, run_if, delay, retry/until, repeat, goto, parallel folders,
--folder, --tag/--exclude-tag, --bail and --run-timeout (runner.engine.flow)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli
from counter_server import Counter
from server import TestServer

from runner.api import load, run
from runner.core.errors import LoadError
from runner.core.events import Event, StepFinished, StepStarted
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import parse_collection

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def counter() -> Iterator[Counter]:
    server = Counter()
    yield server
    server.close()


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    @property
    def finished(self) -> list[tuple[str, str]]:
        return [
            (e.result.name, e.result.status) for e in self.events if isinstance(e, StepFinished)
        ]


def run_text(write_file: WriteFile, text: str, **options: Any) -> tuple[Any, Recorder]:
    path = write_file("flow.yaml", text)
    recorder = Recorder()
    engine = Engine(load(path), None, RunOptions(**options), listeners=[recorder])
    return engine.run(), recorder


# --- skip_if / run_if ---------------------------------------------------------------------------


def test_skip_if_and_run_if_on_steps_and_folders(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        variables: {{base: {fresh_server.url}, role: admin, flag: "false"}}
        steps:
          - request: Skipped
            url: <<base>>/echo/1
            skip_if: role == 'admin'
          - request: Runs
            url: <<base>>/echo/2
            run_if: <<role == 'admin'>>
          - request: Text false is false
            url: <<base>>/echo/3
            run_if: flag
          - folder: Guests only
            run_if: role == 'guest'
            steps:
              - request: In the folder
                url: <<base>>/echo/4
          - request: After
            url: <<base>>/echo/5
        """,
    )
    assert fresh_server.paths() == ["/echo/2", "/echo/5"]
    assert recorder.finished == [
        ("Skipped", "skipped"),
        ("Runs", "passed"),
        ("Text false is false", "skipped"),
        ("In the folder", "skipped"),
        ("After", "passed"),
    ]
    notes = [e.result.note for e in recorder.events if isinstance(e, StepFinished)]
    assert notes[0] == "skip_if role == 'admin' holds"
    assert notes[3] == "folder 'Guests only': run_if role == 'guest' does not hold"
    assert result.ok


def test_a_condition_that_cannot_render_is_a_step_error(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        steps:
          - request: Bad condition
            url: {fresh_server.url}/echo
            skip_if: 1 / 0
          - request: Next
            url: {fresh_server.url}/echo/next
        """,
    )
    assert recorder.finished == [("Bad condition", "error"), ("Next", "passed")]
    assert "division by zero" in (result.steps[0].error or "")
    assert fresh_server.paths() == ["/echo/next"]


def test_an_undefined_name_in_a_condition_is_found_before_sending(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: A
            url: {fresh_server.url}/echo
            run_if: feature_on
        """,
    )
    result = run_cli("run", path)
    assert result.code == 2
    assert "undefined variable 'feature_on' in step 'A'" in result.err
    assert "c.yaml:4:" in result.err
    assert fresh_server.log == []


# --- delay ---------------------------------------------------------------------------------------


def test_delay_waits_before_the_step(fresh_server: TestServer, write_file: WriteFile) -> None:
    started = time.monotonic()
    result, _ = run_text(
        write_file,
        f"""
        steps:
          - request: Later
            url: {fresh_server.url}/echo
            delay: 0.3
        """,
    )
    assert result.ok
    assert time.monotonic() - started >= 0.3


def test_a_negative_delay_is_refused(write_file: WriteFile) -> None:
    with pytest.raises(LoadError, match="delay must be 0 or more seconds") as info:
        load(write_file("c.yaml", "steps:\n  - request: A\n    url: http://x\n    delay: -1\n"))
    assert info.value.location is not None and info.value.location.line == 4


# --- retry ----------------------------------------------------------------------------------------


def test_retry_until_the_expectations_pass(counter: Counter, write_file: WriteFile) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        steps:
          - request: Wait for ready
            url: {counter.url}/count/a?ready=3
            retry: {{max: 5, interval: 0.01}}
            expect:
              status: 200
        """,
    )
    assert result.ok
    assert counter.counts["a"] == 3
    assert result.steps[0].note == "3 attempts"
    started = [e for e in recorder.events if isinstance(e, StepStarted)]
    assert len(started) == 1  # one step in the report, whatever the attempts


def test_retry_until_a_condition_holds(counter: Counter, write_file: WriteFile) -> None:
    result, _ = run_text(
        write_file,
        f"""
        steps:
          - request: Poll
            url: {counter.url}/count/b
            retry: {{max: 10, interval: 0, until: n >= 4}}
            capture:
              n: $.n
          - request: Use it
            url: {counter.url}/echo/<<n>>
        """,
    )
    assert result.ok
    assert counter.counts["b"] == 4
    assert counter.paths[-1] == "/echo/4"


def test_retry_that_never_holds_fails_after_max_attempts(
    counter: Counter, write_file: WriteFile
) -> None:
    result, _ = run_text(
        write_file,
        f"""
        steps:
          - request: Poll
            url: {counter.url}/count/c
            retry: {{max: 3, interval: 0, until: n > 100}}
            capture:
              n: $.n
        """,
    )
    assert not result.ok
    step = result.steps[0]
    assert step.status == "failed"
    assert counter.counts["c"] == 3
    failed = step.failed_checks[0]
    assert failed.label == "retry until n > 100"
    assert failed.message == "it did not hold after 3 attempts"
    assert failed.loc is not None and failed.loc.line == 4


def test_retry_needs_a_positive_max(write_file: WriteFile) -> None:
    with pytest.raises(LoadError, match=r"retry.max must be 1 or more"):
        parse_collection("steps:\n  - request: A\n    url: http://x\n    retry: {max: 0}\n")
    with pytest.raises(LoadError, match="retry is missing the required key 'max'"):
        parse_collection("steps:\n  - request: A\n    url: http://x\n    retry: {until: a}\n")


# --- repeat ---------------------------------------------------------------------------------------


def test_repeat_over_a_list_a_variable_and_a_count(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        variables:
          base: {fresh_server.url}
          colours: [red, green]
        steps:
          - request: Literal list
            url: <<base>>/echo/<<item>>/<<repeat_index>>
            repeat: [a, b]
          - request: From a variable
            url: <<base>>/echo/<<colour>>
            repeat: {{over: <<colours>>, as: colour}}
            capture:
              last: $.path
          - request: Count
            url: <<base>>/echo/n<<item>>
            repeat: 2
          - request: After
            url: <<base>>/echo/after
            params: {{last: <<last>>}}
        """,
    )
    assert result.ok
    assert fresh_server.paths() == [
        "/echo/a/1", "/echo/b/2", "/echo/red", "/echo/green", "/echo/n1", "/echo/n2",
        "/echo/after",
    ]  # fmt: skip
    assert fresh_server.log[-1].query["last"] == ["/echo/green"]
    assert [name for name, _ in recorder.finished][:2] == [
        "Literal list [1/2]",
        "Literal list [2/2]",
    ]


def test_repeat_over_an_empty_list_skips_and_over_a_text_fails(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        variables: {{empty: [], word: hello}}
        steps:
          - request: Empty
            url: {fresh_server.url}/echo
            repeat: <<empty>>
          - request: Not a list
            url: {fresh_server.url}/echo
            repeat: <<word>>
        """,
    )
    assert recorder.finished == [("Empty", "skipped"), ("Not a list", "error")]
    assert "repeat needs a list" in (result.steps[-1].error or "")
    assert fresh_server.log == []


# --- goto -----------------------------------------------------------------------------------------


def test_goto_loops_back_until_a_condition_then_goes_on(
    counter: Counter, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        steps:
          - request: Poll
            id: poll
            url: {counter.url}/count/loop
            capture:
              n: $.n
          - request: Again?
            url: {counter.url}/echo/check
            goto: {{step: poll, if: n < 3}}
          - request: Done
            url: {counter.url}/echo/done
            goto: {{end: true}}
          - request: Never
            url: {counter.url}/echo/never
        """,
    )
    assert result.ok
    assert counter.paths == [
        "/count/loop", "/echo/check", "/count/loop", "/echo/check", "/count/loop",
        "/echo/check", "/echo/done",
    ]  # fmt: skip
    assert [name for name, _ in recorder.finished][-1] == "Done"


def test_goto_forward_skips_steps_by_name(counter: Counter, write_file: WriteFile) -> None:
    result, _ = run_text(
        write_file,
        f"""
        steps:
          - request: First
            url: {counter.url}/echo/1
            goto: Third
          - request: Second
            url: {counter.url}/echo/2
          - request: Third
            url: {counter.url}/echo/3
        """,
    )
    assert result.ok
    assert counter.paths == ["/echo/1", "/echo/3"]


def test_the_loop_guard_stops_an_endless_goto(counter: Counter, write_file: WriteFile) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        steps:
          - request: Forever
            url: {counter.url}/count/forever
            goto: {{step: Forever, max: 3}}
          - request: After
            url: {counter.url}/echo/after
        """,
    )
    assert counter.counts["forever"] == 4  # the first pass and three jumps
    assert recorder.finished[-1] == ("Forever", "error")
    error = result.steps[-1].error or ""
    assert "would be taken a 4th time" in error
    assert "loop guard: goto max is 3" in error
    assert "/echo/after" not in counter.paths
    assert not result.ok


def test_goto_to_an_unknown_step_is_a_load_error_with_a_suggestion(write_file: WriteFile) -> None:
    text = "steps:\n  - request: Login\n    url: http://x\n  - request: B\n    url: http://x\n"
    with pytest.raises(LoadError) as info:
        parse_collection(text + "    goto: Logn\n", "c.yaml")
    assert info.value.message == "goto 'Logn': no step has that name or id"
    assert info.value.hint == "did you mean 'Login'?"
    assert info.value.location is not None and info.value.location.line == 6


def test_goto_to_a_step_left_out_by_tags_exits_2(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: A
            url: {fresh_server.url}/echo/a
            tags: [smoke]
            goto: B
          - request: B
            url: {fresh_server.url}/echo/b
        """,
    )
    result = run_cli("run", path, "--tag", "smoke")
    assert result.code == 2
    assert "goto 'B' in step 'A' leads to a step this run leaves out" in result.err
    assert fresh_server.log == []


# --- selection ----------------------------------------------------------------------------------

SELECTION = """
tags: [api]
variables: {{base: {base}}}
steps:
  - request: Health
    url: <<base>>/echo/health
    tags: [smoke]
  - folder: Users
    id: users
    tags: [slow]
    steps:
      - request: List users
        url: <<base>>/echo/users
      - request: Delete user
        url: <<base>>/echo/delete
        tags: [destructive]
  - folder: Orders
    steps:
      - request: List orders
        url: <<base>>/echo/orders
        tags: [smoke]
"""


@pytest.mark.parametrize(
    ("args", "paths"),
    [
        (["--folder", "Users"], ["/echo/users", "/echo/delete"]),
        (
            ["--folder", "users", "--folder", "Orders"],
            ["/echo/users", "/echo/delete", "/echo/orders"],
        ),
        (["--tag", "smoke"], ["/echo/health", "/echo/orders"]),
        (["--tag", "slow", "--exclude-tag", "destructive"], ["/echo/users"]),
        (["--exclude-tag", "smoke"], ["/echo/users", "/echo/delete"]),
        (["--tag", "api", "--folder", "Orders"], ["/echo/orders"]),
    ],
)
def test_folder_tag_and_exclude_tag_select_steps(
    fresh_server: TestServer,
    run_cli: RunCli,
    write_file: WriteFile,
    args: list[str],
    paths: list[str],
) -> None:
    path = write_file("c.yaml", SELECTION.format(base=fresh_server.url))
    result = run_cli("run", path, *args)
    assert result.code == 0, result.output
    assert fresh_server.paths() == paths


def test_an_unknown_folder_or_an_empty_selection_exits_2(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file("c.yaml", SELECTION.format(base=fresh_server.url))
    result = run_cli("run", path, "--folder", "User")
    assert result.code == 2
    assert "--folder 'User': the collection has no folder of that name or id" in result.err
    assert "did you mean 'Users'?" in result.err
    result = run_cli("run", path, "--tag", "nothing-has-this")
    assert result.code == 2
    assert "no step of the collection is left to run (--tag nothing-has-this)" in result.err
    assert fresh_server.log == []


# --- bail and the run's timeout ------------------------------------------------------------------


def test_bail_stops_every_iteration(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Fails
            url: {fresh_server.url}/status/500
            expect: {{status: 200}}
          - request: Next
            url: {fresh_server.url}/echo/next
        """,
    )
    result = run_cli("run", path, "-n", "3", "--bail", "--no-color")
    assert result.code == 1
    assert fresh_server.paths() == ["/status/500"]
    assert "stopped: --bail: step 'Fails' did not pass" in result.out


def test_run_timeout_stops_the_run_and_reports_what_ran(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Quick
            url: {fresh_server.url}/echo/quick
          - request: Slow
            url: {fresh_server.url}/slow?seconds=5
          - request: Never
            url: {fresh_server.url}/echo/never
        """,
    )
    started = time.monotonic()
    result = run_cli("run", path, "--run-timeout", "0.5", "--no-color")
    assert time.monotonic() - started < 4  # the slow request was cut at the run's deadline
    assert result.code == 1
    assert "/echo/never" not in fresh_server.paths()
    assert "\n  ok Quick — GET " in result.out
    assert "--run-timeout: the run took longer than 0.5 s" in result.out


# --- parallel folders ---------------------------------------------------------------------------


def test_a_parallel_folder_runs_its_steps_together_and_reports_them_in_order(
    counter: Counter, write_file: WriteFile
) -> None:
    result, recorder = run_text(
        write_file,
        f"""
        steps:
          - folder: Independent
            parallel: true
            steps:
              - request: One
                url: {counter.url}/wait
                capture: {{one: $.ok}}
              - request: Two
                url: {counter.url}/wait
                capture: {{two: $.ok}}
              - request: Three
                url: {counter.url}/wait
          - request: After
            url: {counter.url}/echo/<<one>>/<<two>>
        """,
    )
    assert result.ok
    assert counter.max_inflight >= 2
    assert [name for name, _ in recorder.finished] == ["One", "Two", "Three", "After"]
    order = [
        (
            type(e).__name__,
            getattr(e, "name", None) or getattr(getattr(e, "result", None), "name", None),
        )
        for e in recorder.events
        if isinstance(e, StepStarted | StepFinished)
    ]
    assert order == [
        ("StepStarted", "One"), ("StepFinished", "One"),
        ("StepStarted", "Two"), ("StepFinished", "Two"),
        ("StepStarted", "Three"), ("StepFinished", "Three"),
        ("StepStarted", "After"), ("StepFinished", "After"),
    ]  # fmt: skip
    assert counter.paths[-1] == "/echo/true/true"  # JSON true, as in every text


def test_steps_of_a_parallel_folder_cannot_use_each_others_captures(write_file: WriteFile) -> None:
    path = write_file(
        "c.yaml",
        """
        steps:
          - folder: Together
            parallel: 2
            steps:
              - request: Login
                url: http://127.0.0.1:9/login
                capture: {token: $.token}
              - request: Use
                url: http://127.0.0.1:9/me?t=<<token>>
        """,
    )
    engine = Engine(load(path))
    with pytest.raises(Exception, match="undefined variable 'token'") as info:
        engine.prepare()
    assert "parallel folder" in str(getattr(info.value, "hint", ""))


def test_a_pause_or_a_goto_in_a_parallel_folder_is_refused() -> None:
    base = "steps:\n  - folder: F\n    parallel: true\n    steps:\n"
    with pytest.raises(LoadError, match="pause 'P' is in a parallel folder"):
        parse_collection(base + "      - pause: P\n        variable: v\n")
    with pytest.raises(LoadError, match="goto in step 'A' inside a parallel folder"):
        parse_collection(
            base + "      - request: A\n        url: http://x\n        goto: B\n"
            "      - request: B\n        url: http://x\n"
        )


def test_the_python_api_runs_flow_control_too(counter: Counter, write_file: WriteFile) -> None:
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Poll
            url: {counter.url}/count/api?ready=2
            retry: {{max: 3, interval: 0}}
            expect: {{status: 200}}
            capture: {{n: $.n}}
        """,
    )
    result = run(path)
    assert result.ok
    assert result.captures["n"] == 2


def test_a_repeat_count_from_a_template_has_the_file_s_bound(
    server: TestServer, write_file: Callable[[str, str], Path], run_cli: RunCli
) -> None:
    """``repeat: <<n>>`` with n = 10**9 would build a billion items first: refused, named."""
    path = write_file(
        "c.yaml",
        f"""\
        variables: {{n: 1000000000}}
        steps:
          - request: Many
            url: {server.url}/json
            repeat: {{over: <<n>>, as: i}}
        """,
    )
    result = run_cli("run", path, "--no-color")
    assert result.code == 1, result.output
    assert "repeat 1000000000 times is more than 100000 (docs/security.md#limits)" in result.out
