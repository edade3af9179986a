"""Control characters from a file or the network never reach the terminal raw (robustness
issue, point 7): the console shows them as escapes; the JSON report keeps the text as it came."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import RunCli
from echo_server import EchoServer

from runner.reporters.terminal import visible

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\rhidden\u202etxt.exe"


def test_visible_escapes_controls_and_bidi_overrides_but_keeps_lines_and_tabs() -> None:
    assert visible(HOSTILE) == "\\x1b[2J\\x1b]0;pwned\\x07\\x0dhidden\\u202etxt.exe"
    assert visible("a\tb\nc é") == "a\tb\nc é"
    assert visible("\x9b31m") == "\\x9b31m"  # C1's one-byte CSI


def test_a_hostile_step_name_and_response_are_shown_escaped_under_verbose(
    echo: EchoServer, write_file: Callable[[str, str], Path], run_cli: RunCli, tmp_path: Path
) -> None:
    path = write_file(
        "c.yaml",
        f"""\
        steps:
          - request: {json.dumps("Name " + HOSTILE)}
            method: POST
            url: {echo.url}/post
            body: {{json: {{text: {json.dumps(HOSTILE)}}}}}
        """,
    )
    report = tmp_path / "r.json"
    result = run_cli("run", path, "-v", "--no-color", "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    assert "\x1b" not in result.out and "\x07" not in result.out and "\u202e" not in result.out
    assert "\r" not in result.out
    assert "Name \\x1b[2J" in result.out
    assert "\\u202etxt.exe" in result.out
    steps = json.loads(report.read_text())["steps"]
    assert steps[0]["name"] == "Name " + HOSTILE  # the report keeps what was written
