"""The public Python API: the names it exports (locked), and load/run against a real server."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from server import TestServer

import runner
from runner.core.events import Event, RunFinished, StepFinished
from runner.core.redact import Redactor
from runner.reporters import ConsoleReporter

PUBLIC = [
    "CheckResult",
    "Collection",
    "Engine",
    "Environment",
    "ExitStatus",
    "InputMissingError",
    "LoadError",
    "PauseError",
    "PauseRefusedError",
    "RenderError",
    "RunOptions",
    "RunResult",
    "RunnerError",
    "SourceLocation",
    "StepResult",
    "TransportError",
    "UsageError",
    "__version__",
    "format_error",
    "load",
    "load_collection",
    "load_environment",
    "run",
]

USERS = """
name: Users
variables:
  client_secret: s3cr3t-client-value
steps:
  - request: Log in
    method: POST
    url: <<base>>/echo/login
    body:
      json: {user: ada, secret: <<client_secret>>}
    expect:
      status: 200
    capture:
      user: $.json.user
      access_token: $.json.secret
  - request: Profile
    url: <<base>>/echo/profile
    params: {who: <<user>>}
    expect:
      status: 200
      json:
        $.args.who: <<expected_user>>
"""

PAUSE = """
name: Pause
steps:
  - pause: Paste the code
    variable: code
  - request: Use it
    url: <<base>>/echo/use
    params: {code: <<code>>}
"""


def test_all_is_locked() -> None:
    assert runner.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(runner, name) is not None, name
    assert set(PUBLIC) <= set(dir(runner))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = runner.nothing_here


def test_errors_are_one_family() -> None:
    for name in ("LoadError", "RenderError", "UsageError", "TransportError", "PauseError"):
        assert issubclass(getattr(runner, name), runner.RunnerError)
    assert issubclass(runner.InputMissingError, runner.PauseError)
    assert issubclass(runner.PauseRefusedError, runner.PauseError)


def test_import_and_plugin_stay_light() -> None:
    """pytest imports the plugin in every session: it must not pull in the engine."""
    code = (
        "import sys, runner, runner.pytest_plugin; "
        "print(sorted(m for m in ('httpx', 'jinja2', 'yaml', 'runner.engine.engine') "
        "if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_load(write_file: Callable[[str, str], Path]) -> None:
    collection = runner.load(write_file("users.yaml", USERS))
    assert isinstance(collection, runner.Collection)
    assert [s.name for s in collection.steps] == ["Log in", "Profile"]


def test_load_error_has_file_line(write_file: Callable[[str, str], Path]) -> None:
    path = write_file("bad.yaml", "name: x\nsteps:\n  - request: a\n    urll: http://x\n")
    with pytest.raises(runner.LoadError) as info:
        runner.load(path)
    assert info.value.location is not None
    assert (info.value.location.file, info.value.location.line) == (str(path), 4)
    assert "did you mean 'url'" in (info.value.hint or "")


def test_run_gives_steps_checks_captures_timings(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    result = runner.run(
        write_file("users.yaml", USERS),
        variables={"base": fresh_server.url, "expected_user": "ada"},
    )
    assert isinstance(result, runner.RunResult)
    assert result.ok and result.exit_status == runner.ExitStatus.OK
    assert result.captures == {"user": "ada", "access_token": "s3cr3t-client-value"}
    assert [s.status_code for s in result.steps] == [200, 200]
    assert all(s.elapsed_ms is not None and s.elapsed_ms >= 0 for s in result.steps)
    assert result.duration_s > 0
    check = result.steps[1].checks[-1]
    assert (check.label, check.passed, check.actual) == ("json $.args.who", True, "ada")
    assert fresh_server.log[1].query == {"who": ["ada"]}


def test_failed_check_is_data_not_an_exception(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    result = runner.run(
        write_file("users.yaml", USERS),
        env={"base": fresh_server.url, "expected_user": "grace"},  # a mapping is an environment
    )
    assert not result.ok
    assert result.exit_status == runner.ExitStatus.FAILED
    failed = result.steps[1].failed_checks
    assert [(c.expected, c.actual) for c in failed] == [("grace", "ada")]
    assert failed[0].loc is not None and failed[0].loc.line == 21


def test_environment_file_and_object(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    collection = runner.load(write_file("users.yaml", USERS))
    env_path = write_file(
        "env.yaml", f"name: local\nvariables:\n  base: {fresh_server.url}\n  expected_user: ada\n"
    )
    assert runner.run(collection, env=env_path).ok
    environment = runner.load_environment(env_path)
    result = runner.run(collection, env=environment)
    assert result.ok and result.environment == "local"
    assert len(fresh_server.log) == 4


def test_undefined_variable_raises_before_sending(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    with pytest.raises(runner.RenderError, match="undefined variable 'expected_user'"):
        runner.run(write_file("users.yaml", USERS), variables={"base": fresh_server.url})
    assert fresh_server.log == []


def test_pause_takes_inputs_or_environ_never_waits(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    path = write_file("pause.yaml", PAUSE)
    base = {"base": fresh_server.url}
    result = runner.run(path, variables=base, inputs={"code": "abc-123"}, environ={})
    assert result.ok and result.captures["code"] == "abc-123"
    result = runner.run(path, variables=base, environ={"RUNNER_INPUT_CODE": "from-env"})
    assert result.captures["code"] == "from-env"
    assert [r.query["code"] for r in fresh_server.log] == [["abc-123"], ["from-env"]]
    fresh_server.clear()
    result = runner.run(path, variables=base, environ={})
    assert result.input_missing and result.exit_status == runner.ExitStatus.INPUT_REQUIRED
    assert result.steps[0].error_reason == "input_required"
    assert fresh_server.log == []


def test_reporters_listeners_and_factories(
    write_file: Callable[[str, str], Path], fresh_server: TestServer
) -> None:
    events: list[Event] = []

    class Collect:
        def on_event(self, event: Event) -> None:
            events.append(event)

    out = io.StringIO()

    def console(redactor: Redactor) -> ConsoleReporter:
        return ConsoleReporter(out, redactor, colour=False)

    result = runner.run(
        write_file("users.yaml", USERS),
        variables={"base": fresh_server.url, "expected_user": "nobody"},
        reporters=[Collect(), console],
    )
    finished = [e.result.name for e in events if isinstance(e, StepFinished)]
    assert finished == ["Log in", "Profile"]
    assert isinstance(events[-1], RunFinished) and events[-1].result is result
    text = out.getvalue()
    assert 'json $.args.who: expected "nobody", got "ada"' in text
    assert "s3cr3t-client-value" not in text  # the factory got the run's redactor
