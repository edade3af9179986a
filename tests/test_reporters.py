"""Reporters on real runs: JSON (against its documented schema), JUnit (against the Jenkins
JUnit XSD), HTML (in headless Chromium), the console's quiet/verbose/progress, plug-ins found
through entry points, interrupted runs, and secrets masked in every report."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import RunCli, runner_process
from server import TestServer

from runner.core.errors import SourceLocation
from runner.core.events import RunFinished, RunStarted, StepFinished
from runner.core.redact import Redactor
from runner.core.results import CheckResult, RunResult, StepResult
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import parse_collection
from runner.reporters.console import ConsoleReporter

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = json.loads((ROOT / "runner" / "data" / "report.schema.json").read_text())
JUNIT_XSD = ROOT / "tests" / "fixtures" / "junit-10.xsd"
CANARY = "canary-secret-7f3a9c"


def mixed_collection(base: str) -> str:
    """Passes, a failure, an error, a skipped step, a folder, and a secret in a header."""
    return textwrap.dedent(
        f"""\
        name: Mixed bag
        variables:
          base: {base}
          api_token: {CANARY}
        steps:
          - request: Get the widget
            url: <<base>>/json
            headers:
              Authorization: Bearer <<api_token>>
            expect:
              status: 200
              json:
                $.name: widget
            capture:
              widget: $.name
          - folder: Orders
            steps:
              - request: Server error
                url: <<base>>/status/500
                expect:
                  status: 200
              - request: Nobody listens
                url: http://127.0.0.1:9/nothing
                timeout: 2
              - request: Not today
                url: <<base>>/json
                skip_if: "true"
          - request: Echo the token
            method: POST
            url: <<base>>/echo
            body:
              json: {{token: <<api_token>>, n: 1}}
            expect:
              status: 200
        """
    )


@pytest.fixture
def mixed(tmp_path: Path, server: TestServer) -> Path:
    path = tmp_path / "mixed.yaml"
    path.write_text(mixed_collection(server.url), encoding="utf-8")
    return path


def no_canary(*paths: Path) -> None:
    for path in paths:
        assert CANARY not in path.read_text(encoding="utf-8"), f"secret leaked into {path.name}"


# -- JSON -------------------------------------------------------------------------------------


def test_json_report_follows_its_schema(run_cli: RunCli, mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_cli("run", mixed, "--reporter", f"json:{out}")
    assert result.code == 1, result
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    assert report["summary"] == {
        "total": 5,
        "passed": 2,
        "failed": 1,
        "errors": 1,
        "skipped": 1,
        "postman_tests_not_run": 0,
    }
    assert [s["status"] for s in report["steps"]] == [
        "passed",
        "failed",
        "error",
        "skipped",
        "passed",
    ]
    first, failed, error = report["steps"][0], report["steps"][1], report["steps"][2]
    assert first["captures"] == {"widget": "widget"}
    assert first["response"]["status"] == 200 and '"widget"' in first["response"]["body"]
    assert ["Authorization", "[REDACTED]"] in first["request"]["headers"]
    assert failed["path"] == ["Orders"]
    bad = [c for c in failed["checks"] if not c["passed"]]
    assert bad == [
        {
            "label": "status",
            "name": None,
            "passed": False,
            "expected": 200,
            "actual": 500,
            "message": None,
            "location": f"{mixed}:21:11",
        }
    ]
    assert error["error"]["reason"] == "refused" and error["response"] is None
    assert report["ok"] is False and report["exit_code"] == 1 and report["interrupted"] is False
    no_canary(out)
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_json_report_to_standard_output_replaces_the_console(run_cli: RunCli, mixed: Path) -> None:
    result = run_cli("run", mixed, "--reporter", "json")
    report = json.loads(result.out)  # nothing but the report on stdout
    assert report["summary"]["total"] == 5
    assert CANARY not in result.out


# -- JUnit ------------------------------------------------------------------------------------


def test_junit_report_is_valid_for_jenkins_and_gitlab(
    run_cli: RunCli, mixed: Path, tmp_path: Path
) -> None:
    import xmlschema

    out = tmp_path / "junit.xml"
    result = run_cli("run", mixed, "--reporter", f"junit:{out}")
    assert result.code == 1, result
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(out))
    suites = ET.parse(out).getroot()
    assert suites.tag == "testsuites"
    [suite] = suites.findall("testsuite")
    assert suite.get("name") == "Mixed bag"
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == (
        "5",
        "1",
        "1",
        "1",
    )
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "Get the widget",
        "Server error",
        "Nobody listens",
        "Not today",
        "Echo the token",
    ]
    assert cases[1].get("classname") == "Mixed bag.Orders"
    failure = cases[1].find("failure")
    assert failure is not None and "expected 200, got 500" in (failure.text or "")
    assert f"{mixed}:21:11" in (failure.text or "")
    assert cases[1].find("error") is None
    error = cases[2].find("error")
    assert error is not None and error.get("type") == "refused"
    assert cases[3].find("skipped") is not None
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    no_canary(out)


# -- HTML -------------------------------------------------------------------------------------


def test_html_report_is_self_contained_failures_first(
    run_cli: RunCli, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    run_cli("run", mixed, "--reporter", f"html:{out}")
    page = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in page  # the page may fetch nothing
    assert " src=" not in page and "<link" not in page
    order = [page.index(f'id="step-{i}"') for i in (2, 3, 1, 4, 5)]
    assert order == sorted(order), "failures and errors come first, then the rest in run order"
    assert '<svg viewBox="0 0 900 160"' in page and 'id="filter"' in page
    assert "Authorization: [REDACTED]" in page
    no_canary(out)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def dump_dom(url: str, profile: Path) -> str:
    browser = chromium()
    assert browser is not None
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_html_report_renders_in_headless_chromium(
    run_cli: RunCli, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    run_cli("run", mixed, "--reporter", f"html:{out}")
    dom = dump_dom(out.as_uri(), tmp_path / "profile-1")
    # the script ran: it counts the steps it shows
    assert "5 of 5 steps shown" in dom
    first = dom.index("<details")
    assert 'id="step-2"' in dom[first : first + 200], "the failed step is the first one shown"
    assert "Server error" in dom and "expected" in dom
    # the filter box, preset from the address: only the matching step stays visible
    filtered = dump_dom(out.as_uri() + "#filter=Nobody", tmp_path / "profile-2")
    assert "1 of 5 steps shown" in filtered
    step3 = filtered[filtered.index('id="step-3"') - 120 : filtered.index('id="step-3"')]
    assert "hidden" not in step3
    step2 = filtered[filtered.index('id="step-2"') - 120 : filtered.index('id="step-2"') + 60]
    assert "hidden" in step2


# -- console ----------------------------------------------------------------------------------


def test_quiet_shows_only_what_did_not_pass(run_cli: RunCli, mixed: Path) -> None:
    result = run_cli("run", mixed, "--quiet")
    assert "Server error" in result.out and "Nobody listens" in result.out
    assert "Get the widget" not in result.out and "Echo the token" not in result.out
    assert "2 passed, 1 failed, 1 errors, 1 skipped" in result.out


def test_verbose_shows_masked_headers_and_pretty_bodies(
    run_cli: RunCli, tmp_path: Path, server: TestServer
) -> None:
    items = list(range(200))
    path = tmp_path / "verbose.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: Verbose
            variables: {{api_token: {CANARY}}}
            steps:
              - request: Echo
                method: POST
                url: {server.url}/echo
                headers: {{X-Api-Key: <<api_token>>}}
                body:
                  json: {{items: {json.dumps(items)}, token: <<api_token>>}}
            """
        ),
        encoding="utf-8",
    )
    result = run_cli("run", path, "--verbose")
    out = result.out
    assert "> POST " in out and "> X-Api-Key: [REDACTED]" in out
    assert "< 200 OK" in out and "< content-type: application/json" in out
    assert '\n          "method": "POST",\n' in out  # the response body, indented JSON
    assert "cut here" in out  # 200 items do not fit in 40 lines
    assert CANARY not in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _step(index: int, status: str) -> StepResult:
    step = StepResult(index, f"step {index}", "request", SourceLocation("c.yaml", index))
    step.status = status  # type: ignore[assignment]
    step.method, step.url, step.status_code, step.elapsed_ms, step.size = "GET", "/x", 200, 1.0, 2
    if status == "failed":
        step.checks.append(CheckResult("status", False, 200, 500, None, step.loc))
    return step


def test_progress_bar_on_a_terminal_for_many_steps() -> None:
    stream = _Terminal()
    reporter = ConsoleReporter(stream, Redactor(), colour=False)
    reporter.on_event(RunStarted("Many", None, 50))
    run = RunResult("Many", None, keep_steps=False)
    for i in range(1, 51):
        step = _step(i, "failed" if i == 7 else "passed")
        run.record(step)
        reporter.on_event(StepFinished(step))
    reporter.on_event(RunFinished(run))
    text = stream.getvalue()
    assert "\r\x1b[K  [" in text and "50/50 · 49 passed · 1 failed" in text
    assert "step 7" in text  # failures are printed as they happen
    assert "step 8 —" not in text  # passed steps are not, the bar counts them
    assert text.rstrip().endswith("49 passed, 1 failed · 50 steps in 0.00 s")


def test_plain_lines_without_a_terminal() -> None:
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, Redactor(), colour=False)
    reporter.on_event(RunStarted("Many", None, 50))
    reporter.on_event(StepFinished(_step(1, "passed")))
    assert "\r" not in stream.getvalue() and "step 1 — GET /x → 200" in stream.getvalue()


# -- choosing reporters -----------------------------------------------------------------------


def test_unknown_reporter_is_a_usage_error_with_a_suggestion(
    run_cli: RunCli, tmp_path: Path, fresh_server: TestServer
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(mixed_collection(fresh_server.url), encoding="utf-8")
    result = run_cli("run", path, "--reporter", "jsn:out.json")
    assert result.code == 2
    assert "unknown reporter 'jsn'" in result.err and "did you mean 'json'?" in result.err
    assert fresh_server.log == []  # nothing was sent


def test_report_into_a_missing_folder_fails_before_sending(
    run_cli: RunCli, tmp_path: Path, fresh_server: TestServer
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(mixed_collection(fresh_server.url), encoding="utf-8")
    result = run_cli("run", path, "--reporter", f"junit:{tmp_path}/no/such/dir/out.xml")
    assert result.code == 2 and "does not exist" in result.err
    assert fresh_server.log == []


def test_two_reporters_cannot_share_standard_output(run_cli: RunCli, mixed: Path) -> None:
    result = run_cli("run", mixed, "--reporter", "json", "--reporter", "junit")
    assert result.code == 2 and "standard output" in result.err


def test_a_report_already_written_survives_a_run_that_cannot_start(
    run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    out.write_text('{"previous": true}\n', encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nsteps:\n  - request: x\n    url: <<nowhere>>/x\n", "utf-8")
    result = run_cli("run", path, "--reporter", f"json:{out}")
    assert result.code == 2 and "undefined variable 'nowhere'" in result.err
    assert out.read_text(encoding="utf-8") == '{"previous": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "report.json"]


def test_reporter_plugin_found_through_its_entry_point(tmp_path: Path, server: TestServer) -> None:
    plugins = tmp_path / "plugins"
    (plugins / "tapreport-1.0.dist-info").mkdir(parents=True)
    (plugins / "tapreport-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tapreport\nVersion: 1.0\n", "utf-8"
    )
    (plugins / "tapreport-1.0.dist-info" / "entry_points.txt").write_text(
        "[runner.reporters]\ntap = tapreport:TapReporter\n", "utf-8"
    )
    (plugins / "tapreport.py").write_text(
        textwrap.dedent(
            """\
            from runner.core.events import RunFinished, StepFinished

            class TapReporter:
                def __init__(self, options):
                    self.options, self.lines, self.n = options, [], 0

                def on_event(self, event):
                    if isinstance(event, StepFinished):
                        self.n += 1
                        ok = "ok" if event.result.status == "passed" else "not ok"
                        self.lines.append(f"{ok} {self.n} - {event.result.name}")
                    elif isinstance(event, RunFinished):
                        text = "\\n".join([f"1..{self.n}", *self.lines]) + "\\n"
                        self.options.path.write_text(self.options.redactor.mask(text))
            """
        ),
        "utf-8",
    )
    collection = tmp_path / "c.yaml"
    collection.write_text(
        f"name: tap\nsteps:\n  - request: one\n    url: {server.url}/json\n"
        f"  - request: two\n    url: {server.url}/status/404\n    expect: {{status: 200}}\n",
        "utf-8",
    )
    out = tmp_path / "out.tap"
    env = {**os.environ, "PYTHONPATH": str(plugins), "NO_COLOR": "1"}
    proc = runner_process("run", collection, "--reporter", f"tap:{out}", env=env)
    assert proc.returncode == 1, proc.stderr
    assert out.read_text() == "1..2\nok 1 - one\nnot ok 2 - two\n"
    assert "one — GET" in proc.stdout  # the console still reports: tap writes to a file


# -- streaming --------------------------------------------------------------------------------


def test_streaming_runs_keep_only_failures_but_count_everything(server: TestServer) -> None:
    steps = "".join(
        f"  - request: s{i}\n    url: {server.url}/status/{500 if i % 10 == 0 else 200}\n"
        "    expect: {status: 200}\n"
        for i in range(1, 31)
    )
    collection = parse_collection(f"name: many\nsteps:\n{steps}", "many.yaml")
    seen: list[int] = []

    class Counter:
        def on_event(self, event: Any) -> None:
            if isinstance(event, StepFinished):
                seen.append(event.result.index)

    streaming = Engine(collection, None, RunOptions(keep_steps=False), listeners=[Counter()])
    result = streaming.run()
    assert [s.index for s in result.steps] == [10, 20, 30]  # only the failures are kept
    assert (result.count("passed"), result.count("failed"), result.total) == (27, 3, 30)
    assert seen == list(range(1, 31))  # listeners saw every step
    assert not result.ok
    kept = Engine(collection, None, RunOptions()).run()  # the default keeps every step
    assert len(kept.steps) == 30 and kept.total == 30 and kept.count("passed") == 27


# -- interrupted runs -------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_valid_reports(
    sig: signal.Signals, tmp_path: Path, fresh_server: TestServer
) -> None:
    import xmlschema

    base = fresh_server.url
    collection = tmp_path / "five.yaml"
    collection.write_text(
        textwrap.dedent(
            f"""\
            name: Five steps
            steps:
              - request: one
                url: {base}/json
              - request: two
                url: {base}/status/404
                expect: {{status: 200}}
              - request: three hangs
                url: {base}/hang?seconds=30
                timeout: 60
              - request: four
                url: {base}/json
              - request: five
                url: {base}/json
            """
        ),
        "utf-8",
    )
    report, junit, html = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.html"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runner",
            "run",
            str(collection),
            "--reporter",
            f"json:{report}",
            "--reporter",
            f"junit:{junit}",
            "--reporter",
            f"html:{html}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        fresh_server.wait_for(3, timeout=30)  # step 3 has reached the server and waits
        time.sleep(0.2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    code = 143 if sig == signal.SIGTERM else 130  # SIGTERM: 128 + 15, as a shell says
    assert proc.returncode == code, (out, err)
    assert [r.path for r in fresh_server.log] == ["/json", "/status/404", "/hang"]
    data = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(data)
    assert [s["name"] for s in data["steps"]] == ["one", "two"]
    assert data["interrupted"] is True and data["exit_code"] == code
    assert data["interrupted_at"] == {"index": 3, "name": "three hangs"}
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(junit))
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["interrupted"] == "true"
    system_err = suite.find("system-err")
    assert system_err is not None and "during step 3 'three hangs'" in (system_err.text or "")
    page = html.read_text(encoding="utf-8")
    assert "Interrupted during step 3" in page and page.rstrip().endswith("</html>")
    assert "\ninterrupted: " in out  # the summary's line, not any mention of the word
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
