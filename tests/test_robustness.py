"""One error path, whatever the input, the server or the signal (issue 17).

Every failure inside a step is a named step error with its file:line:col, the run goes on
(or stops with --bail) and the reports are written; what ``runner check`` can know it says
before anything is sent; an unexpected exception is an internal error (exit 70) that still
leaves whole reports; SIGTERM exits 143; any number of Ctrl-C presses leaves whole reports
or none, never ``.tmp`` files.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RunCli, child_env
from server import TestServer

Write = Callable[[str, str], Path]


class RawServer:
    """A raw-socket server that answers every request with ``response`` bytes (or never,
    when None) and sets ``arrived`` when a request's head has come in."""

    def __init__(self, response: bytes | None) -> None:
        self.response = response
        self.arrived = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.arrived.set()
            if self.response is None:
                self.held.append(conn)  # never answered
                continue
            conn.sendall(self.response)
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes | None], RawServer]]:
    made: list[RawServer] = []

    def make(response: bytes | None) -> RawServer:
        made.append(RawServer(response))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def write(write_file: Write) -> Write:
    return write_file


def _report(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# -- 1. a failure inside a step is a named step error; the run goes on; reports written ----


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "url: <<base>>/json\n    headers: {X-A: <<cafe>>}",
            "header 'X-A' has 'é' (U+00E9) at position 4: a header value is printable ASCII "
            "(percent-encode the value, or send it in the body)",
        ),
        (
            "url: <<base>>/json\n    headers: {X-A: <<crlf>>}",
            "header 'X-A' has '\\r' (U+000D) at position 2: a header value is printable ASCII "
            "(percent-encode the value, or send it in the body)",
        ),
        (
            "url: <<base>>/json\n    headers: {<<name>>: v}",
            "header name 'Xé' has 'é' (U+00E9): a header name is letters, digits and "
            "!#$%&'*+-.^_`|~",
        ),
        (
            "url: http://a..b/x",
            "invalid URL 'http://a..b/x': host name 'a..b' has an empty label (two dots, or a "
            "leading dot)",
        ),
        (
            f"url: http://{'a' * 64}.test/x",
            f"invalid URL 'http://{'a' * 64}.test/x': host name '{'a' * 64}.test' has a label "
            "longer than 63 characters",
        ),
    ],
    ids=["non-ascii-value", "crlf-value", "non-ascii-name", "empty-label", "long-label"],
)
def test_an_unsendable_header_or_host_is_a_named_step_error_and_the_run_goes_on(
    step: str, message: str, run_cli: RunCli, write: Write, server: TestServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\n"
        f'variables: {{base: "{server.url}", crlf: "a\\r\\nX-Injected: 1", name: Xé, cafe: café}}\n'
        "steps:\n"
        "  - request: bad\n"
        f"    {step}\n"
        "  - request: next\n"
        "    url: <<base>>/json\n",
        encoding="utf-8",
    )
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--reporter", f"json:{report}")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    data = _report(report)
    steps = data["steps"]
    assert isinstance(steps, list)
    assert steps[0]["error"]["message"] == message
    assert steps[0]["location"] == f"{path}:4:5"
    assert data["summary"] == {
        "total": 2,
        "passed": 1,
        "failed": 0,
        "errors": 1,
        "skipped": 0,
        "postman_tests_not_run": 0,
    }
    assert run_cli("run", path, "--bail").err == ""  # --bail: stopped at the error, no crash


def test_a_non_ascii_header_captured_from_a_server_is_a_named_error_when_sent(
    raw_server: Callable[[bytes | None], RawServer], run_cli: RunCli, write: Write
) -> None:
    fault = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: caf\xe9\r\nConnection: close\r\n\r\n{}"
    )
    path = write(
        "c.yaml",
        f"""
        name: c
        steps:
          - request: capture
            url: {fault.url}/
            capture: {{v: {{header: X-Bad}}}}
          - request: send it
            url: {fault.url}/
            headers: {{X-C: <<v>>}}
        """,
    )
    result = run_cli("run", path)
    assert result.code == 1 and "Traceback" not in result.output
    assert "error: header 'X-C' has 'é' (U+00E9) at position 4" in result.out


def test_response_headers_past_httpcores_bound_are_a_protocol_error(
    raw_server: Callable[[bytes | None], RawServer], run_cli: RunCli, write: Write
) -> None:
    huge = b"X-Big: " + b"a" * 200_000 + b"\r\n"
    fault = raw_server(b"HTTP/1.1 200 OK\r\n" + huge + b"Content-Length: 0\r\n\r\n")
    path = write("c.yaml", f"name: c\nsteps:\n  - request: big\n    url: {fault.url}/\n")
    result = run_cli("run", path)
    assert result.code == 1 and "Traceback" not in result.output
    assert "the server broke the HTTP protocol" in result.out


def test_a_value_nested_too_deep_set_by_a_script_is_refused_and_the_run_goes_on(
    run_cli: RunCli, write: Write, server: TestServer
) -> None:
    path = write(
        "c.yaml",
        f"""
        name: c
        run_scripts: true
        steps:
          - request: set
            url: {server.url}/json
            scripts:
              test: |
                let w = 1; for (let i = 0; i < 70; i++) {{ w = {{a: w}}; }}
                pm.environment.set("deep", w);
                pm.environment.set("big", "x".repeat(10485761));
                pm.environment.set("ok", "fine");
          - request: use
            url: {server.url}/echo/<<ok>>
        """,
    )
    result = run_cli("run", path)
    assert result.code == 1, result.output
    assert (
        "set deep: the value a script set for 'deep' is nested deeper than 64 levels; "
        "it was not set" in result.out
    )
    assert (
        "set big: the value a script set for 'big' is larger than 10,485,760 characters; "
        "it was not set" in result.out
    )
    assert "/echo/fine → 200" in result.out


def test_an_unexpected_exception_is_an_internal_error_exit_70_with_whole_reports(
    run_cli: RunCli,
    write: Write,
    server: TestServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runner.engine import request_step

    def broken(*args: object) -> object:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(request_step.RequestSteps, "run", broken)
    path = write(
        "c.yaml",
        f"name: c\nsteps:\n  - request: one\n    url: {server.url}/json\n"
        f"  - request: two\n    url: {server.url}/json\n",
    )
    report = tmp_path / "r.json"
    result = run_cli(
        "run", path, "--reporter", f"json:{report}", "--reporter", f"junit:{tmp_path / 'r.xml'}"
    )
    assert result.code == 70, result.output
    data = _report(report)
    assert data["exit_code"] == 70
    assert data["stopped_reason"] == f"internal error in step 'one' ({path}:3:5)"
    steps = data["steps"]
    assert isinstance(steps, list) and len(steps) == 1  # the run stopped there
    assert steps[0]["error"] == {
        "message": "internal error (a bug in runner; please report it): ZeroDivisionError: a bug",
        "reason": "internal",
    }


def test_an_exception_outside_any_step_is_exit_70_in_one_line(
    run_cli: RunCli, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner.cli import running

    def broken(*args: object, **kwargs: object) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(running, "execute", broken)
    path = write("c.yaml", "name: c\nsteps:\n  - request: one\n    url: http://x/\n")
    result = run_cli("run", path)
    assert result.code == 70
    assert result.err.startswith("error: internal error at running.py:")
    assert result.err.endswith("(a bug in runner; please report it): KeyError: 'boom'\n")


# -- numbers out of range: the loader and the flags --------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("timeout: .inf", "timeout must be a finite number, not inf"),
        ("timeout: 1e999", "timeout must be a finite number, not inf"),
        ("delay: 1e308", "delay must be at most 604,800 seconds (a week)"),
        ("repeat: 100000000000000000000", "repeat must be at most 1,000,000,000"),
        ("repeat: 200000", "repeat must be at most 100,000 times"),
        ("retries: 10000000000", "retries must be at most 1,000,000,000"),
    ],
)
def test_a_number_out_of_range_is_a_load_error_with_its_line(
    line: str, message: str, run_cli: RunCli, write: Write
) -> None:
    path = write("c.yaml", f"name: c\nsteps:\n  - request: one\n    url: http://x/\n    {line}\n")
    result = run_cli("check", path)
    assert result.code == 2
    assert result.err.startswith(f"error: {message}\n  --> {path}:5:")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--timeout", "inf"), "argument --timeout: the timeout must be a finite number, not inf"),
        (
            ("--run-timeout", "1e308"),
            "argument --run-timeout: the timeout must be at most 604,800 seconds (a week)",
        ),
        (
            ("-n", "1e20"),
            "argument -n/--iterations/--iteration-count: expected a whole number, got '1e20'",
        ),
        (
            ("-n", "10" * 12),
            "argument -n/--iterations/--iteration-count: expected at most 1,000,000,000",
        ),
        (("--parallel", "100000"), "argument --parallel: expected at most 1,000"),
    ],
)
def test_a_flag_out_of_range_is_a_usage_error(
    flags: tuple[str, str], message: str, run_cli: RunCli, write: Write
) -> None:
    path = write("c.yaml", "name: c\nsteps:\n  - request: one\n    url: http://x/\n")
    result = run_cli("run", path, *flags)
    assert result.code == 2
    assert result.err.endswith(f"runner run: error: {message}\n")


# -- what `runner check` knows before anything is sent -------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            "    expect:\n      json:\n        $.[[: 1\n",
            "error: invalid JSONPath '$.[[': expected a shorthand selector\n  --> {path}:8:9",
        ),
        (
            "    capture: {v: '$..[[['}\n",
            "error: invalid JSONPath '$..[[[': unexpected token in bracketed selection "
            "'TOKEN_LBRACKET'\n  --> {path}:6:15",
        ),
        (
            "    capture: {v: {regex: '(unclosed'}}\n",
            "error: invalid regular expression: missing ), unterminated subpattern at position 0\n"
            "  --> {path}:6:26",
        ),
        (
            "    headers: {X-A: café}\n",
            "error: header 'X-A' has 'é' (U+00E9) at position 4: a header value is printable "
            "ASCII (percent-encode the value, or send it in the body)\n  --> {path}:6:15",
        ),
        (
            "    headers: {X-A: '<< x | uper >>'}\n",
            "error: unknown filter 'uper'\n  --> {path}:6:28\n  |\n"
            "6 |     headers: {{X-A: '<< x | uper >>'}}\n  |                            ^^^^\n"
            "  = help: filters are those of Jinja2; did you mean 'upper'?",
        ),
        (
            "    headers: {X-A: 'a {{x}}'}\n",
            "error: '{{{{x}}}}' is sent as written: variables are written <<x>>\n"
            "  --> {path}:6:23\n  |\n6 |     headers: {{X-A: 'a {{{{x}}}}'}}\n"
            "  |                       ^^^^^\n"
            "  = help: write <<x>>; to send the braces as they are, write << '{{{{x}}}}' >>",
        ),
    ],
    ids=["jsonpath-expect", "jsonpath-capture", "regex", "header", "filter", "braces"],
)
def test_check_finds_what_would_fail_the_run(
    lines: str, expected: str, run_cli: RunCli, write: Write
) -> None:
    path = write(
        "c.yaml", "name: c\nvariables: {x: a}\nsteps:\n  - request: one\n    url: http://x/\n"
    )
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")
    result = run_cli("check", path)
    assert result.code == 2, result.output
    assert result.err.startswith(expected.format(path=path)), result.err


def test_braces_can_be_sent_literally(run_cli: RunCli, write: Write, server: TestServer) -> None:
    path = write(
        "c.yaml",
        f"""
        name: c
        variables: {{x: a}}
        steps:
          - request: one
            url: "{server.url}/echo/<< '{{{{x}}}}' >>"
        """,
    )
    assert run_cli("check", path).code == 0
    result = run_cli("run", path, "-v")
    assert result.code == 0 and "/echo/{{x}}" in result.out


def test_check_lists_every_undefined_variable_with_its_caret_and_origin(
    run_cli: RunCli, write: Write
) -> None:
    path = write(
        "c.yaml",
        """
        name: c
        variables: {base_url: "http://x"}
        steps:
          - request: one
            url: <<base_ur>>/<<nowhere>>
            headers: {A: <<from_script>>}
            scripts:
              prerequest: pm.environment.set("from_script", "1");
        """,
    )
    result = run_cli("check", path)
    assert result.code == 2
    assert result.err == (
        "error: undefined variable 'base_ur' in step 'one'\n"
        f"  --> {path}:5:10\n"
        "  |\n"
        "5 |     url: <<base_ur>>/<<nowhere>>\n"
        "  |          ^^^^^^^^^^^\n"
        "  = help: did you mean 'base_url'? or define 'base_ur' in the environment or the "
        "collection's variables, or pass --var base_ur=VALUE\n"
        "\n"
        "error: undefined variable 'nowhere' in step 'one'\n"
        f"  --> {path}:5:22\n"
        "  |\n"
        "5 |     url: <<base_ur>>/<<nowhere>>\n"
        "  |                      ^^^^^^^^^^^\n"
        "  = help: define 'nowhere' in the environment or the collection's variables, or pass "
        "--var nowhere=VALUE\n"
        "\n"
        "error: undefined variable 'from_script' in step 'one'\n"
        f"  --> {path}:6:18\n"
        "  |\n"
        "6 |     headers: {A: <<from_script>>}\n"
        "  |                  ^^^^^^^^^^^^^^^\n"
        "  = help: 'from_script' is set by a script, and scripts run only with --scripts\n"
        "\n"
        "3 errors\n"
    )


# -- resume state files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"next": -5}, "next: -5 is less than the minimum of 0"),
        ({"captures": []}, "captures: [] is not of type 'object'"),
        ({"steps": "one"}, "steps: 'one' is not of type 'array'"),
        ({"extra": 1}, "the document: Additional properties are not allowed ('extra' was "
         "unexpected)"),
    ],
)  # fmt: skip
def test_a_state_file_of_the_wrong_shape_is_a_clear_error(
    change: dict[str, object], problem: str, run_cli: RunCli, write: Write, server: TestServer,
    tmp_path: Path,
) -> None:  # fmt: skip
    path = write(
        "c.yaml",
        f"name: c\nsteps:\n  - request: one\n    url: {server.url}/status/500\n"
        "    expect: {status: 200}\n",
    )
    env = {"RUNNER_STATE_DIR": str(tmp_path / "state")}
    assert run_cli("run", path, env=env).code == 1  # leaves a state file
    (state,) = (tmp_path / "state" / "runs").glob("*.json")
    doc = json.loads(state.read_text(encoding="utf-8"))
    state.write_text(json.dumps({**doc, **change}), encoding="utf-8")
    result = run_cli("run", path, "--resume", env=env)
    assert result.code == 2, result.output
    assert result.err.startswith(f"error: the saved run state {state} is not valid: {problem}\n")
    state.write_text('{"version": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    deep = run_cli("run", path, "--resume", env=env)
    assert deep.code == 2 and "is not valid: nested too deeply" in deep.err


# -- signals: real processes ---------------------------------------------------------------


def _start_hanging_run(
    tmp_path: Path, raw_server: Callable[[bytes | None], RawServer]
) -> tuple[subprocess.Popen[str], RawServer]:
    hang = raw_server(None)
    collection = tmp_path / "c.yaml"
    collection.write_text(
        f"name: c\nsteps:\n  - request: one\n    url: {hang.url}/\n    timeout: 60\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "runner", "run", str(collection)]
    for name in ("json:r.json", "junit:r.xml", "html:r.html"):
        argv += ["--reporter", name]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(NO_COLOR="1"),
    )
    assert hang.arrived.wait(30), "the request never reached the server"
    return proc, hang


def test_sigterm_exits_143_with_whole_reports(
    tmp_path: Path, raw_server: Callable[[bytes | None], RawServer]
) -> None:
    proc, _ = _start_hanging_run(tmp_path, raw_server)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, (out, err)
    data = _report(tmp_path / "r.json")
    assert data["exit_code"] == 143 and data["interrupted"] is True
    assert data["stopped_reason"] == "terminated (SIGTERM)"
    assert (tmp_path / "r.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("presses", [2, 50])
def test_any_number_of_ctrl_c_presses_leaves_whole_reports_and_no_tmp_files(
    presses: int, tmp_path: Path, raw_server: Callable[[bytes | None], RawServer]
) -> None:
    proc, _ = _start_hanging_run(tmp_path, raw_server)
    for _ in range(presses):  # as fast as they can be sent: within microseconds
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert left == []  # no .r.json.XXXX.tmp
    data = _report(tmp_path / "r.json")
    assert data["interrupted"] is True and data["exit_code"] == 130
    assert (tmp_path / "r.xml").read_text(encoding="utf-8").rstrip().endswith("</testsuites>")
    assert (tmp_path / "r.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
