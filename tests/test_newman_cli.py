"""`runner run` in place of `newman run`: a Postman collection file run directly, with
Newman's flags (docs/newman.md), against a real local server (tests/echo_server.py); where
Newman 6.2.2 is installed (.ci/run puts it in $RUNNER_NEWMAN_DIR), its JUnit count is compared."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from conftest import RunCli
from echo_server import EchoServer

NEWMAN_DIR = Path(os.environ.get("RUNNER_NEWMAN_DIR", "/tmp/newman"))


def _test(name: str, body: str) -> dict[str, Any]:
    return {
        "listen": "test",
        "script": {"exec": [f"pm.test({name!r}, function () {{ {body} }});"]},
    }


def collection() -> dict[str, Any]:
    """Two requests with three Postman tests: what a CI smoke collection looks like."""
    status = "pm.response.to.have.status(200);"
    return {
        "info": {
            "name": "CI smoke",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [
            {
                "name": "Get",
                "request": {"method": "GET", "url": "{{base}}/get?k={{k}}"},
                "event": [_test("status 200", status)],
            },
            {
                "name": "Post",
                "request": {
                    "method": "POST",
                    "url": "{{base}}/post",
                    "body": {
                        "mode": "raw",
                        "raw": '{"a": 1}',
                        "options": {"raw": {"language": "json"}},
                    },
                },
                "event": [_test("status 200", status)],
            },
        ],
    }


def write_ci_files(folder: Path, base: str) -> None:
    (folder / "c.json").write_text(json.dumps(collection()), encoding="utf-8")
    env = {
        "name": "ci",
        "values": [
            {"key": "base", "value": base, "enabled": True},
            {"key": "k", "value": "from-env-file", "enabled": True},
        ],
    }
    (folder / "e.json").write_text(json.dumps(env), encoding="utf-8")


CI_LINE = "run c.json -e e.json -r cli,junit --reporter-junit-export out.xml --env-var k=v -n 2"


def junit_tests(path: Path) -> int:
    return int(ElementTree.parse(path).getroot().attrib["tests"])


def test_a_newman_ci_line_runs_with_runner_in_its_place(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write_ci_files(tmp_path, echo.url)
    result = run_cli(*CI_LINE.split(), cwd=tmp_path)
    assert result.code == 0, result.err
    assert "CI smoke · environment ci · 2 steps × 2 iterations" in result.out
    assert result.out.count(" Get — GET ") == 2
    # --env-var wins over the environment file, as in Newman
    assert [(r.path, r.query) for r in echo.log] == [("/get", [("k", "v")]), ("/post", [])] * 2
    assert junit_tests(tmp_path / "out.xml") == 4


@pytest.mark.skipif(
    not (NEWMAN_DIR / "node_modules" / ".bin" / "newman").exists(),
    reason=f"newman 6.2.2 is not installed in {NEWMAN_DIR} (.ci/run installs it with npm)",
)
def test_the_same_junit_test_count_as_newman(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write_ci_files(tmp_path, echo.url)
    assert run_cli(*CI_LINE.split(), cwd=tmp_path).code == 0
    ours = junit_tests(tmp_path / "out.xml")
    newman = str(NEWMAN_DIR / "node_modules" / ".bin" / "newman")
    line = CI_LINE.replace("out.xml", "newman.xml").split()
    done = subprocess.run(
        [newman, *line], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert junit_tests(tmp_path / "newman.xml") == ours == 4


def test_an_unknown_option_gets_did_you_mean_from_run(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("run", "c.json", "--env-vars", "k=v", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("usage: runner run ")
    assert result.err.endswith(
        "runner run: error: unknown option --env-vars; did you mean --env-var?\n"
    )
    far = run_cli("run", "c.json", "--zzzzzz", cwd=tmp_path)
    assert far.err.endswith("runner run: error: unknown option --zzzzzz; see runner run --help\n")


def test_suppress_exit_code_and_default_report_folder(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write_ci_files(tmp_path, echo.url)
    echo.answer("/post", status=500)
    failing = run_cli("run", "c.json", "-e", "e.json", "-r", "json", cwd=tmp_path)
    assert failing.code == 1
    reports = list((tmp_path / "newman").glob("newman-run-report-*.json"))
    assert len(reports) == 1  # Newman's folder and file name without --reporter-json-export
    assert run_cli("run", "c.json", "-e", "e.json", "-x", cwd=tmp_path).code == 0


def test_the_collection_json_itself_globals_and_exports(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write_ci_files(tmp_path, echo.url)
    (tmp_path / "g.json").write_text(
        json.dumps({"name": "g", "values": [{"key": "k", "value": "global", "enabled": True}]})
    )
    text = (tmp_path / "c.json").read_text(encoding="utf-8")
    result = run_cli(
        "run", text, "-g", "g.json", "--global-var", "base=" + echo.url,
        "--export-environment", "out/env.json", "--export-globals", "out/globals.json",
        "--export-collection", "out/c.json", cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert echo.log[0].query == [("k", "global")]
    env = json.loads((tmp_path / "out" / "env.json").read_text())
    assert env["_postman_variable_scope"] == "environment"
    assert {v["key"]: v["value"] for v in env["values"]}["k"] == "global"
    globals_ = json.loads((tmp_path / "out" / "globals.json").read_text())
    assert {v["key"]: v["value"] for v in globals_["values"]} == {"k": "global", "base": echo.url}
    assert json.loads((tmp_path / "out" / "c.json").read_text()) == collection()
    assert (tmp_path / "out" / "env.json").stat().st_mode & 0o077 == 0


def test_timeout_keeps_each_tools_meaning(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write_ci_files(tmp_path, echo.url)
    data = collection()
    data["item"][0]["request"]["url"] = "{{base}}/delay/2"
    (tmp_path / "slow.json").write_text(json.dumps(data))
    # Newman's --timeout: the whole run, in milliseconds
    slow = run_cli("run", "slow.json", "-e", "e.json", "--timeout", "300", cwd=tmp_path)
    assert slow.code == 1
    assert "--run-timeout: the run took longer than 0.3 s" in slow.out
    # --timeout-request: one request, in milliseconds
    cut = run_cli("run", "slow.json", "-e", "e.json", "--timeout-request", "300", cwd=tmp_path)
    assert cut.code == 1
    assert re.search(r"timed out after 0\.3 s", cut.out + cut.err), cut.out
    both = run_cli("run", "x.yaml", "--timeout", "3", "--timeout-request", "300", cwd=tmp_path)
    assert both.code == 2
    assert "error: --timeout and --timeout-request both set the per-request timeout" in both.err


def test_env_by_name_bruno_style(run_cli: RunCli, echo: EchoServer, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "name: api\nsteps:\n  - request: one\n    url: <<base>>/get\n    expect: {status: 200}\n"
    )
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "local.yaml").write_text(f"variables:\n  base: {echo.url}\n")
    assert run_cli("run", "api.yaml", "--env", "local", cwd=tmp_path).code == 0
    missing = run_cli("run", "api.yaml", "--env", "staging", cwd=tmp_path)
    assert missing.code == 2
    assert missing.err == (
        "error: -e staging: no such file, and no environment named 'staging'\n"
        "  = help: tried environments/staging.yaml, environments/staging.yml\n"
    )


def test_newman_flags_on_a_yaml_collection(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    (tmp_path / "api.yaml").write_text(
        "name: api\nsteps:\n  - request: one\n    url: <<base>>/get?k=<<k>>\n"
        "    expect: {status: 200}\n"
    )
    result = run_cli(
        "run", "api.yaml", "--global-var", f"base={echo.url}", "--env-var", "k=1",
        "--iteration-count", "2", "--delay-request", "1", "--color", "off", cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert [r.query for r in echo.log] == [[("k", "1")]] * 2
