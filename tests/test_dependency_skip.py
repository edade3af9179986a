"""A step that needs a capture of a step that failed or was skipped is not sent: it is
skipped with one line saying which variable and which step, in every report."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from conftest import RunCli
from echo_server import EchoServer

COLLECTION = """\
name: deps
steps:
  - request: List users
    url: {base}/status/500
    expect: {{status: 200}}
    capture:
      first_user_id: {{json: $.id}}
  - request: Get user
    url: {base}/get?id=<<first_user_id>>
    capture:
      user_name: {{json: $.args.id}}
  - request: Greet
    url: {base}/get?n=<<user_name>>
  - request: Independent
    url: {base}/get
"""


def test_dependents_of_a_failed_step_are_skipped_not_sent(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = tmp_path / "deps.yaml"
    path.write_text(COLLECTION.format(base=echo.url), encoding="utf-8")
    result = run_cli(
        "run", path, "--no-color", "--reporter", f"json:{tmp_path / 'r.json'}",
        "--reporter", f"junit:{tmp_path / 'r.xml'}",
    )  # fmt: skip
    assert result.code == 1
    lines = result.out.splitlines()
    assert "  skip Get user (needs first_user_id from 'List users', which failed)" in lines
    assert "  skip Greet (needs user_name from 'Get user', which was skipped)" in lines
    assert lines[-1].startswith("1 passed, 1 failed, 2 skipped · 4 steps in ")
    assert [r.path for r in echo.log] == ["/status/500", "/get"]  # never sent
    assert "undefined variable" not in result.out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["skipped"] == 2 and report["summary"]["failed"] == 1
    suite = ElementTree.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "2"


def test_a_variable_defined_elsewhere_is_still_used(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    path = tmp_path / "deps.yaml"
    path.write_text(COLLECTION.format(base=echo.url), encoding="utf-8")
    result = run_cli("run", path, "--no-color", "--var", "first_user_id=7")
    assert [r.path for r in echo.log] == ["/status/500", "/get", "/get", "/get"]
    assert echo.log[1].query == [("id", "7")]
    assert "needs" not in result.out
