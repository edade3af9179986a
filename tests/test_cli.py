"""The command line: help and exit codes, `check`, invalid input (exit 2, nothing sent), the
pause without a terminal (exit 3) or with a preset value, and the pasted OAuth redirect.

Most tests call ``runner.cli.main.main`` in-process (``run_cli``); some start the real program
(``python -m runner``) with stdin from /dev/null, as CI does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult, RunCli, child_env, runner_process
from server import TestServer

from runner import __version__

WriteFile = Callable[[str, str], Path]
EXIT_CODE_LINES = (
    "0    every step passed",
    "2    the collection",
    "3    a pause",
    "130  interrupted",
)


def run(run_cli: RunCli, path: Path, srv: TestServer, *extra: object, **kw: object) -> CliResult:
    return run_cli("run", path, "--var", f"base={srv.url}", *extra, **kw)


# -- help, version, usage -------------------------------------------------------------------


def test_version() -> None:
    proc = runner_process("--version")
    assert proc.returncode == 0, proc
    assert proc.stdout.strip() == f"runner {__version__}"


def test_the_command_entry_point_runs_with_the_garbage_collector_on(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    """runner.__main__ pauses the collector only while the CLI is imported (start-up time):
    the run itself, however long, has it on again."""
    path = write_file(
        "c.yaml",
        f"""
        steps:
          - request: One
            url: {fresh_server.url}/json
            expect:
              status: 200
        """,
    )
    code = (
        "import gc, sys\n"
        "import runner.__main__ as entry\n"
        "import runner.engine.engine\n"
        "seen = []\n"
        "send = runner.engine.engine.Engine.run\n"
        "def run(self, *a, **k):\n"
        "    seen.append(gc.isenabled())\n"
        "    return send(self, *a, **k)\n"
        "runner.engine.engine.Engine.run = run\n"
        "sys.argv = ['runner', 'run', sys.argv[1], '--no-state']\n"
        "code = entry.main()\n"
        "print(code, seen, gc.isenabled())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0 [True] True"
    assert len(fresh_server.log) == 1


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]], ids=["runner", "run"])
def test_help_lists_the_exit_codes(args: list[str]) -> None:
    proc = runner_process(*args)
    assert proc.returncode == 0, proc
    assert "exit codes:" in proc.stdout
    for line in EXIT_CODE_LINES:
        assert line in proc.stdout
    assert proc.stderr == ""


def test_run_help_lists_its_options() -> None:
    proc = runner_process("run", "--help")
    for option in ("--var", "--input", "--bail", "--timeout", "--no-color", "RUNNER_INPUT_"):
        assert option in proc.stdout


def test_help_and_version_exit_0_in_process(run_cli: RunCli) -> None:
    assert run_cli("--version").code == 0
    assert run_cli("--help").code == 0
    assert run_cli("run", "--help").code == 0


def test_help_version_and_usage_errors_use_the_console_streams(
    run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert __version__ in run_cli("--version").out
    assert "exit codes:" in run_cli("--help").out
    assert "NAME=VALUE" in run_cli("run", "x.yaml", "--var", "novalue").err
    leaked = capsys.readouterr()
    assert leaked.out == leaked.err == ""


def test_no_command_exits_2_with_the_usage(run_cli: RunCli) -> None:
    result = run_cli()
    assert result.code == 2, result
    assert "usage: runner" in result.err  # an invalid command line: help goes to stderr
    assert "exit codes:" in result.err


def test_no_command_exits_2_as_a_process() -> None:
    proc = runner_process()
    assert proc.returncode == 2, proc
    assert "usage: runner" in proc.stdout + proc.stderr


def test_command_group_without_its_subcommand_exits_2() -> None:
    proc = runner_process("import")
    assert "usage: runner import" in proc.stdout + proc.stderr
    assert proc.returncode == 2, proc


# -- check ----------------------------------------------------------------------------------


VALID = """
name: Valid
variables:
  token: abc-token
steps:
  - request: First
    url: <<base>>/json
    expect: {status: 200}
  - request: Second
    method: POST
    url: <<base>>/echo
    auth: {type: bearer, token: <<token>>}
    body:
      json: {id: <<id>>}
    capture:
      echoed: $.json.id
  - request: Third
    url: <<base>>/echo
    params: {id: <<echoed>>}
"""


def test_check_valid_collection_exits_0_and_sends_nothing(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("valid.yaml", VALID)
    result = run_cli("check", path, "--var", f"base={fresh_server.url}", "--var", "id=5")
    assert result.code == 0, result
    assert result.out == "ok: Valid: 3 steps, every variable defined\n"
    assert result.err == ""
    time.sleep(0.05)  # anything sent would have arrived by now
    assert fresh_server.log == []


def test_check_with_an_undefined_variable_exits_2(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("valid.yaml", VALID)
    result = run_cli("check", path, "--var", f"base={fresh_server.url}")
    assert result.code == 2, result
    assert "undefined variable 'id' in step 'Second'" in result.err
    assert f"{path}:13:18" in result.err
    assert "--var id=VALUE" in result.err
    assert result.out == ""
    assert fresh_server.log == []


# -- invalid input: exit 2, nothing sent ----------------------------------------------------


INVALID = {
    "malformed": (
        """
        name: Bad
        steps:
          - request: A
            url: <<base>>/json
            headers: {Accept: json
          - request: B
            url: <<base>>/text
        """,
        "malformed YAML",
        "5:14",  # where the { opened (issue 18), not the next line where the parser gave up
    ),
    "unknown key": (
        """
        name: Bad
        steps:
          - request: A
            url: <<base>>/json
          - request: B
            metod: POST
            url: <<base>>/text
        """,
        "unknown key 'metod' in request step 'B'",
        "6:5",
    ),
    "wrong type": (
        """
        name: Bad
        steps:
          - request: A
            url: <<base>>/json
          - request: B
            url: <<base>>/text
            timeout: soon
        """,
        "timeout must be a number, not 'soon'",
        "7:14",
    ),
    "wrong type in expect": (
        """
        name: Bad
        steps:
          - request: A
            url: <<base>>/json
            expect:
              status: "200"
        """,
        "status must be a whole number",
        "6:15",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_collection_exits_2_with_file_line_col(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, case: str
) -> None:
    text, message, where = INVALID[case]
    path = write_file("bad.yaml", text)
    result = run(run_cli, path, fresh_server)
    assert result.code == 2, result
    assert message in result.err
    assert f"{path}:{where}" in result.err
    assert result.out == ""
    assert fresh_server.log == []


def test_missing_file_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = run_cli("run", missing)
    assert result.code == 2, result
    assert f"no such file: {missing}" in result.err
    assert "Traceback" not in result.output


def test_missing_environment_file_exits_2(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, tmp_path: Path
) -> None:
    path = write_file("valid.yaml", VALID)
    result = run(run_cli, path, fresh_server, "-e", tmp_path / "env.yaml", "--var", "id=1")
    assert result.code == 2, result
    assert result.err == f"error: no such file: {tmp_path / 'env.yaml'}\n"
    assert fresh_server.log == []


def test_bad_var_exits_2(run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile) -> None:
    path = write_file("valid.yaml", VALID)
    assert run(run_cli, path, fresh_server, "--var", "id").code == 2
    assert run(run_cli, path, fresh_server, "--var", "=5").code == 2
    assert fresh_server.log == []


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_bad_timeout_exits_2(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, value: str
) -> None:
    path = write_file("valid.yaml", VALID)
    result = run(run_cli, path, fresh_server, "--var", "id=1", "--timeout", value)
    assert result.code == 2, result
    assert fresh_server.log == []


def test_usage_errors_are_explained_by_the_process(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("valid.yaml", VALID)
    base = ["run", path, "--var", f"base={fresh_server.url}"]
    proc = runner_process(*base, "--var", "novalue")
    assert proc.returncode == 2, proc
    assert "expected NAME=VALUE, got 'novalue'" in proc.stderr
    proc = runner_process(*base, "--var", "id=1", "--timeout", "0")
    assert proc.returncode == 2, proc
    assert "the timeout must be greater than 0" in proc.stderr
    assert fresh_server.log == []


# -- the pause ------------------------------------------------------------------------------


PAUSE = """
name: Pause
steps:
  - request: Before
    url: <<base>>/json
  - pause: Paste the code
    variable: code
  - request: Exchange
    method: POST
    url: <<base>>/echo
    body:
      json: {code: <<code>>}
"""


def test_pause_without_terminal_or_input_exits_3_at_once(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("pause.yaml", PAUSE)
    started = time.monotonic()
    result = run(run_cli, path, fresh_server)
    assert time.monotonic() - started < 2
    assert result.code == 3, result
    assert "--input code=" in result.output
    assert "RUNNER_INPUT_CODE" in result.output
    assert f"at {path}:5:" in result.out
    assert (
        "\nstopped: step 'Paste the code' needs a value for 'code' and there is no terminal"
        " to ask\n" in result.out
    )
    assert fresh_server.paths() == ["/json"]  # the exchange was not sent


def test_pause_exits_3_as_a_process_with_stdin_from_dev_null(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("pause.yaml", PAUSE)
    started = time.monotonic()
    proc = runner_process("run", path, "--var", f"base={fresh_server.url}", timeout=20)
    assert time.monotonic() - started < 10  # Python's start-up included; it never waits
    assert proc.returncode == 3, proc
    assert "--input code=" in proc.stdout
    assert "RUNNER_INPUT_CODE" in proc.stdout
    assert fresh_server.paths() == ["/json"]


@pytest.mark.parametrize("how", ["--input", "environment"])
def test_pause_takes_a_preset_value(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, how: str
) -> None:
    path = write_file("pause.yaml", PAUSE)
    if how == "--input":
        result = run(run_cli, path, fresh_server, "--input", "code=abc")
    else:
        result = run(run_cli, path, fresh_server, env={"RUNNER_INPUT_CODE": "abc"})
    assert result.code == 0, result
    assert "3 passed, 0 failed" in result.out
    assert fresh_server.paths() == ["/json", "/echo"]
    assert fresh_server.log[1].body == b'{"code": "abc"}'


def test_input_flag_wins_over_the_environment(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("pause.yaml", PAUSE)
    result = run(
        run_cli, path, fresh_server, "--input", "code=from-flag", env={"RUNNER_INPUT_CODE": "env"}
    )
    assert result.code == 0, result
    assert fresh_server.log[1].body == b'{"code": "from-flag"}'


def test_pause_takes_the_environment_value_as_a_process(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("pause.yaml", PAUSE)
    proc = runner_process(
        "run", path, "--var", f"base={fresh_server.url}", env=child_env(RUNNER_INPUT_CODE="abc")
    )
    assert proc.returncode == 0, proc
    assert fresh_server.log[1].body == b'{"code": "abc"}'
    assert "\x1b[" not in proc.stdout + proc.stderr  # a pipe is not a terminal: plain text


def test_empty_preset_value_exits_3(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("pause.yaml", PAUSE)
    result = run(run_cli, path, fresh_server, "--input", "code=  ")
    assert result.code == 3, result
    assert "the value given for 'code' is empty" in result.out
    assert fresh_server.paths() == ["/json"]


def test_pasted_value_is_masked_in_the_output(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "pause_secret.yaml",
        """
        name: Pause secret
        steps:
          - pause: Paste the code
            variable: code
          - request: Use it
            url: <<base>>/echo
            params: {code: <<code>>}
            expect:
              json:
                $.args.code: nope
        """,
    )
    result = run(run_cli, path, fresh_server, "--input", "code=CANARY-pasted-code-4242")
    assert result.code == 1, result
    assert fresh_server.log[0].query == {"code": ["CANARY-pasted-code-4242"]}
    assert "CANARY" not in result.output
    assert "code=[REDACTED]" in result.out


OAUTH = """
name: OAuth
steps:
  - request: Before
    url: <<base>>/json
  - browser: Sign in
    url: <<base>>/authorize
    params: {state: <<st>>}
  - pause: Paste the code
    variable: code
    from_url: code
    state: <<st>>
  - request: Exchange
    method: POST
    url: <<base>>/echo
    body:
      form: {code: <<code>>}
"""


@pytest.mark.parametrize(
    "pasted",
    ["http://x/cb?code=C1&state=S", "http://x/cb?state=S&code=C1", "C1", "?code=C1&state=S"],
)
def test_pasted_redirect_url_gives_the_code(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, pasted: str
) -> None:
    path = write_file("oauth.yaml", OAUTH)
    result = run(run_cli, path, fresh_server, "--var", "st=S", "--input", f"code={pasted}")
    assert result.code == 0, result
    assert fresh_server.paths() == ["/json", "/echo"]  # the browser step is never sent
    assert fresh_server.log[1].body == b"code=C1"
    assert "/authorize?state=S" in result.out  # the browser URL is shown


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        (
            "http://x/cb?code=C1&state=WRONG",
            "the pasted URL's 'state' does not match this run's (possible CSRF); refused",
        ),
        (
            "http://x/cb?code=C1",
            "the pasted URL has no 'state'; it may not come from this run's authorization",
        ),
        ("http://x/cb?state=S", "the pasted URL has no 'code' parameter"),
    ],
)
def test_refused_paste_exits_1_and_sends_nothing_more(
    run_cli: RunCli,
    fresh_server: TestServer,
    write_file: WriteFile,
    pasted: str,
    message: str,
) -> None:
    path = write_file("oauth.yaml", OAUTH)
    result = run(run_cli, path, fresh_server, "--var", "st=S", "--input", f"code={pasted}")
    assert result.code == 1, result
    assert f"      error: {message}\n" in result.out
    assert f"\nstopped: {message}\n" in result.out
    assert "Exchange" not in result.out
    assert fresh_server.paths() == ["/json"]


def test_oauth_error_redirect_exits_1_and_sends_nothing_more(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("oauth.yaml", OAUTH)
    pasted = "http://x/cb?error=access_denied&error_description=User+denied&state=S"
    result = run(run_cli, path, fresh_server, "--var", "st=S", "--input", f"code={pasted}")
    assert result.code == 1, result
    assert "authorization failed: access_denied: User denied" in result.out
    assert "stopped: authorization failed: access_denied" in result.out
    assert fresh_server.paths() == ["/json"]


# -- the real program -----------------------------------------------------------------------


def test_python_m_runner_runs_a_collection(fresh_server: TestServer, write_file: WriteFile) -> None:
    path = write_file(
        "simple.yaml",
        """
        name: Simple
        steps:
          - request: Get JSON
            url: <<base>>/json
            expect:
              status: 200
              json: {$.name: widget}
          - request: Fails
            url: <<base>>/text
            expect:
              body: goodbye
        """,
    )
    proc = runner_process("run", path, "--var", f"base={fresh_server.url}")
    assert proc.returncode == 1, proc
    assert proc.stdout.startswith("Simple · 2 steps\n")
    assert 'body: expected "goodbye", got "hello world"' in proc.stdout
    assert "1 passed, 1 failed · 2 steps in " in proc.stdout
    assert "\x1b[" not in proc.stdout  # stdout is a pipe: plain text
    assert proc.stderr == ""
    assert fresh_server.paths() == ["/json", "/text"]


def test_python_m_runner_check_sends_nothing(
    fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("valid.yaml", VALID)
    proc = runner_process("check", path, "--var", f"base={fresh_server.url}", "--var", "id=5")
    assert proc.returncode == 0, proc
    assert proc.stdout == "ok: Valid: 3 steps, every variable defined\n"
    assert fresh_server.log == []
