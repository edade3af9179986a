"""Tests added by the protection audit (docs/security.md#audit): each protection below was
disabled once in a copy of the code and no test failed, so these make that a failure.

- redirects are not followed by default (a 302 is the step's answer);
- the wall-clock watchdog cuts a body that stalls after dripping (httpx's read timeout alone
  would wait a whole timeout more after the last byte);
- with CI set and stdin an open pipe nobody writes to, a pause exits 3 at once (not a hang);
- a value nested deeper than the loader's limit is one LoadError with its line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RunCli
from server import TestServer

from runner.core.errors import LoadError
from runner.format.loader import MAX_DEPTH, parse_collection

WriteFile = Callable[[str, str], Path]


def test_a_redirect_is_reported_not_followed_by_default(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "redirect.yaml",
        f"steps:\n  - request: Moved\n    url: {fresh_server.url}/redirect?to=/echo/target\n",
    )
    report = tmp_path / "r.json"
    result = run_cli("run", collection, "--reporter", f"json:{report}")
    step = json.loads(report.read_text())["steps"][0]
    assert result.code == 0
    assert step["status_code"] == 302
    assert "/echo/target" not in fresh_server.paths()


@pytest.fixture
def stalling() -> Iterator[str]:
    """A server that drips a byte every 0.5 s for 1.9 s, then sends nothing (connection open)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            try:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
                for _ in range(4):
                    conn.sendall(b"x")
                    time.sleep(0.5)
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


def test_a_body_that_stalls_after_dripping_ends_at_the_deadline(
    stalling: str, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "stall.yaml", f"steps:\n  - request: Stalls\n    url: {stalling}/\n    timeout: 2\n"
    )
    report = tmp_path / "r.json"
    started = time.monotonic()
    result = run_cli("run", collection, "--reporter", f"json:{report}")
    elapsed = time.monotonic() - started
    step = json.loads(report.read_text())["steps"][0]
    assert result.code == 1
    assert step["error"]["reason"] == "timeout"
    assert elapsed < 3.2  # the 2 s deadline; without the watchdog about 1.9 + 2 s


def test_with_ci_set_a_pause_on_an_open_silent_pipe_exits_3_at_once(
    write_file: WriteFile,
) -> None:
    collection = write_file("pause.yaml", "steps:\n  - pause: Paste the code\n    variable: code\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNNER_INPUT_")}
    env["CI"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "run", str(collection), "--no-color"],
        stdin=subprocess.PIPE,  # open, and nobody writes to it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        proc.wait(timeout=15)  # stdin stays open: communicate() would close it
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the pause waited on a pipe nobody writes to")
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 3, out + err
    assert "pass --input code=VALUE, or set the environment variable RUNNER_INPUT_CODE" in out


def test_a_value_nested_deeper_than_the_limit_is_a_load_error_with_its_line() -> None:
    depth = MAX_DEPTH + 30  # well within what libyaml parses, past what the loader accepts
    text = "name: Deep\nvariables:\n  deep: " + "[" * depth + "]" * depth + "\n"
    text += "steps:\n  - request: A\n    url: http://127.0.0.1:9/\n"
    with pytest.raises(LoadError) as caught:
        parse_collection(text, "deep.yaml")
    assert f"nested deeper than {MAX_DEPTH} levels" in caught.value.message
    assert caught.value.location is not None and caught.value.location.line == 3
