"""Postman test scripts run with ``runner run --scripts`` (Postman's own sandbox,
runner.engine.scripting) against the local Postman Echo stand-in, and the sandbox against
hostile scripts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer

from runner.engine import flow
from runner.scripts.postman import (
    HttpRequest,
    HttpResponse,
    PostmanSandbox,
    ScriptContext,
    ScriptOutcome,
)

WriteFile = Callable[[str, str], Path]

RESPONSE = HttpResponse(
    200,
    "OK",
    (("Content-Type", "application/json"),),
    json.dumps({"items": [1, 2, 3], "name": "echo", "ok": True}).encode(),
    5,
)
CONTEXT = ScriptContext(
    request=HttpRequest("GET", "http://127.0.0.1/get", (("Accept", "*/*"),)),
    response=RESPONSE,
    variables={"environment": {"base": "x"}},
    request_name="First",
)


def run_script(
    sandbox: PostmanSandbox, source: str, context: ScriptContext = CONTEXT, **kw: float
) -> ScriptOutcome:
    return sandbox.run("test", source, context, **kw)  # type: ignore[arg-type]


def _collection(write_file: WriteFile, echo: EchoServer, test: str, second: str = "") -> Path:
    """One request to /get whose test script is ``test``; ``second`` adds a step after it."""
    lines = [
        "name: Scripts",
        "variables:",
        "  token: unset",
        "steps:",
        "  - request: First",
        f"    url: {echo.url}/get?name=echo&n=3",
        "    scripts:",
        "      test: |",
        *[f"        {line}" for line in test.strip().splitlines()],
    ]
    if second:
        lines += ["  - request: Second", f"    url: {echo.url}/get?seen={second}"]
    return write_file("scripts.yaml", "\n".join(lines) + "\n")


def test_passing_pm_tests_pass_the_run(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _collection(
        write_file,
        echo,
        """
        pm.test("status is 200", function () { pm.response.to.have.status(200); });
        pm.test("args echoed", function () {
          var body = pm.response.json();
          pm.expect(body.args).to.have.property("name", "echo");
          pm.expect(body.args.n).to.equal("3");
          pm.expect(body.url).to.include("/get");
          pm.expect(body.args).to.be.an("object");
          pm.expect(body.args.name).to.not.be.oneOf(["a", "b"]);
        });
        pm.test("header", function () { pm.response.to.have.header("Content-Type"); });
        pm.test("ok", function () { pm.response.to.be.ok; });
        tests["legacy tests[]"] = responseCode.code === 200 && responseBody.length > 0;
        """,
    )
    report = path.parent / "report.json"
    result = run_cli("run", path, "--scripts", "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    text = report.read_text(encoding="utf-8")  # pm.test results are checks in every reporter
    for name in ["status is 200", "args echoed", "header", "ok", "legacy tests[]"]:
        assert json.dumps(name) in text


def test_failing_pm_test_fails_the_run(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _collection(
        write_file,
        echo,
        """
        pm.test("wrong status", function () { pm.response.to.have.status(404); });
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert (
        "      FAIL wrong status: expected response to have status code 404 but got 200\n"
        in result.out
    )


def test_without_the_option_scripts_stay_inert(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _collection(write_file, echo, 'pm.test("never", function () { throw 1; });')
    result = run_cli("run", path)
    assert result.code == 0, result.output
    assert "never" not in result.output


def test_variables_set_by_a_script_flow_to_later_steps(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _collection(
        write_file,
        echo,
        'pm.environment.set("token", pm.response.json().args.name + "-42");',
        second="<< token >>",
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert ("seen", "echo-42") in echo.log[-1].query


def test_hostile_script_fails_its_step_and_the_run_goes_on(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _collection(write_file, echo, "require('child_process').exec('id');", second="after")
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "Cannot find module 'child_process'" in result.output
    assert ("seen", "after") in echo.log[-1].query  # the next step still ran


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("while (true) {}", "ran longer than"),
        ("require('fs').readFileSync('/etc/passwd')", "Cannot find module 'fs'"),
        ("process.exit(1)", "process is not defined"),
        ("fetch('http://127.0.0.1/')", "fetch is not defined"),
        ("}{", "Unexpected token"),
    ],
)
def test_sandbox_stops_hostile_scripts(
    postman_sandbox: PostmanSandbox, source: str, error: str
) -> None:
    outcome = run_script(postman_sandbox, source, time_limit_s=0.5)
    assert any(error in e for e in outcome.errors), outcome.errors
    assert outcome.tests == []


def test_chai_subset_and_failures(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(
        postman_sandbox,
        """
        var body = pm.response.json();
        pm.test("eql", function () { pm.expect(body.items).to.eql([1, 2, 3]); });
        pm.test("lengthOf", function () { pm.expect(body.items).to.have.lengthOf(3); });
        pm.test("above below", function () { pm.expect(5).to.be.above(1).and.below(9); });
        pm.test("match", function () { pm.expect(body.name).to.match(/^ec/); });
        pm.test("flags", function () {
          pm.expect(body.ok).to.be.true; pm.expect(null).to.be.null;
          pm.expect(undefined).to.be.undefined; pm.expect(false).to.be.false;
          pm.expect(1).to.be.ok;
        });
        pm.test("jsonBody", function () { pm.response.to.have.jsonBody("name", "echo"); });
        pm.test("bad eql", function () { pm.expect(body.items).to.eql([1]); });
        pm.test("bad not", function () { pm.expect(body.items).to.not.include(2); });
        pm.test("bad type", function () { pm.expect(body.name).to.be.a("number"); });
        """,
    )
    assert outcome.errors == []
    results = {t.name: t for t in outcome.tests}
    assert all(results[n].passed for n in ["eql", "lengthOf", "above below", "match", "flags"])
    assert results["jsonBody"].passed
    assert not results["bad eql"].passed and "expected [ 1, 2, 3 ] to deeply equal [ 1 ]" == (
        results["bad eql"].error or ""
    )
    assert not results["bad not"].passed and "expected [ 1, 2, 3 ] to not include 2" == (
        results["bad not"].error or ""
    )
    assert not results["bad type"].passed


def test_variable_layers_info_and_next_request(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(
        postman_sandbox,
        """
        pm.test("read", function () {
          pm.expect(pm.variables.get("base")).to.equal("x");
          pm.expect(pm.variables.replaceIn("a-{{base}}")).to.equal("a-x");
          pm.expect(pm.info.requestName).to.equal("First");
          pm.expect(btoa("hi")).to.equal("aGk=");
          pm.expect(atob("aGk=")).to.equal("hi");
        });
        pm.collectionVariables.set("c", 1);
        pm.globals.set("g", "two");
        postman.setNextRequest("Pay");
        """,
    )
    assert outcome.errors == [], outcome.errors
    assert [t.passed for t in outcome.tests] == [True], outcome.tests
    assert {(c.scope, c.name, c.value) for c in outcome.changes} == {
        ("collectionVariables", "c", 1),
        ("globals", "g", "two"),
    }
    assert outcome.next_request == "Pay" and not outcome.stop
    stopped = run_script(postman_sandbox, "pm.execution.setNextRequest(null);")
    assert stopped.stop and stopped.next_request is None


def _flow_collection(write_file: WriteFile, echo: EchoServer, script: str) -> Path:
    return write_file(
        "flow.yaml",
        f"""
        name: Flow
        steps:
          - request: A
            url: {echo.url}/get?step=a
            scripts:
              test: |
                {script}
          - request: B
            url: {echo.url}/get?step=b
          - request: C
            url: {echo.url}/get?step=c
        """,
    )


def test_set_next_request_jumps_and_null_stops(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _flow_collection(write_file, echo, 'postman.setNextRequest("C");')
    assert run_cli("run", path, "--scripts").code == 0
    assert [dict(r.query)["step"] for r in echo.log] == ["a", "c"]
    echo.log.clear()
    path = _flow_collection(write_file, echo, "pm.execution.setNextRequest(null);")
    assert run_cli("run", path, "--scripts").code == 0
    assert [dict(r.query)["step"] for r in echo.log] == ["a"]


def test_set_next_request_loop_guard_and_unknown_name(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's logic with a limit of 3 (the real 1,000 sent 1,001 requests: 30 s), and the
    real limit by its value."""
    assert flow.SCRIPT_JUMP_MAX == 1000  # docs/scripts.md
    monkeypatch.setattr(flow, "SCRIPT_JUMP_MAX", 3)
    path = _flow_collection(write_file, echo, 'postman.setNextRequest("A");')
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert (
        "      error: setNextRequest('A') would be taken a 4th time; stopped this iteration"
        " (loop guard: at most 3 from one request)\n" in result.out
    )
    assert len(echo.log) == 4  # the first pass and SCRIPT_JUMP_MAX jumps back, then stopped
    assert [dict(r.query)["step"] for r in echo.log] == ["a"] * 4  # B and C never ran
    path = _flow_collection(write_file, echo, 'postman.setNextRequest("Nowhere");')
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "setNextRequest('Nowhere'): no request of that name" in result.output


def test_pre_request_script_sets_a_variable_the_request_uses(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = write_file(
        "pre.yaml",
        f"""
        name: Pre
        variables:
          stamp: unset
        steps:
          - request: Signed
            url: {echo.url}/get?stamp=<< stamp >>
            scripts:
              prerequest: |
                pm.test("sees the request", function () {{
                  pm.expect(pm.info.eventName).to.equal("prerequest");
                  pm.expect(pm.request.url.toString()).to.include("/get");
                  pm.expect(pm.response).to.be.undefined;
                }});
                pm.variables.set("stamp", btoa("signed"));
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert ("stamp", "c2lnbmVk") in echo.log[-1].query
    write_file("pre.yaml", path.read_text().replace('to.equal("prerequest")', 'to.equal("x")'))
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "sees the request" in result.output


def test_legacy_globals_console_and_lodash(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(
        postman_sandbox,
        """
        console.log("seen", {a: 1});
        var n = _.parseInt(postman.getEnvironmentVariable("count"));
        tests["legacy"] = n === 3 && environment.count === "3";
        tests["lodash"] = _.get(pm.response.json(), "nested.list[0]") === 5
          && _.isEqual([1], [1]) && _.size({a: 1}) === 1 && _.includes([1, 2], 2);
        tests["falsy"] = _.isEmpty([1]);
        """,
        ScriptContext(
            request=CONTEXT.request,
            response=HttpResponse(200, "OK", (), b'{"nested": {"list": [5]}}'),
            variables={"environment": {"count": "3"}},
        ),
    )
    assert outcome.errors == [], outcome.errors
    assert ("log", 'seen {"a":1}') in outcome.console
    assert [(t.name, t.passed) for t in outcome.tests] == [
        ("legacy", True),
        ("lodash", True),
        ("falsy", False),
    ]


def test_legacy_postman_helpers_and_json_body_object(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(
        postman_sandbox,
        """
        tests["header"] = postman.getResponseHeader("content-type") === "application/json";
        postman.clearEnvironmentVariable("base");
        tests["cleared"] = pm.environment.get("base") === undefined;
        pm.test("json body", function () {
          pm.response.to.have.jsonBody({items: [1, 2, 3], name: "echo", ok: true});
        });
        pm.test("json body differs", function () {
          pm.response.to.have.jsonBody("name", "other");
        });
        """,
    )
    assert outcome.errors == [], outcome.errors
    assert [(t.name, t.passed) for t in outcome.tests] == [
        ("json body", True),
        ("json body differs", False),
        ("header", True),
        ("cleared", True),
    ]


def test_the_globals_copy_of_the_environment_goes_only_to_scripts_that_can_see_it(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    from runner.scripts.bridge import reads_globals, sandbox_variables

    layers = {"environment": {"token": "abc", "n": 1}, "globals": {"token": "abc", "n": True}}
    assert sandbox_variables(layers)["globals"] == {"token": "abc", "n": True}
    # only the identical copies go: a global of its own (True is not 1) stays
    assert sandbox_variables(layers, mirror=False)["globals"] == {"n": True}
    lean = """
        pm.test("env", () => pm.expect(pm.variables.get("token")).to.equal("abc"));
        pm.test("replaced", () => pm.expect(pm.variables.replaceIn("{{token}}")).to.equal("abc"));
        pm.environment.set("seen", pm.environment.get("token"));
    """
    reading = """
        pm.test("global copy", () => pm.expect(pm.globals.get("token")).to.equal("abc"));
        pm.environment.unset("token");
        pm.test("fallback", () => pm.expect(pm.variables.get("token")).to.equal("abc"));
    """
    assert not reads_globals(lean) and reads_globals(reading)
    for script in (lean, reading):
        path = _collection(write_file, echo, script)
        result = run_cli("run", path, "--scripts", "--var", "token=abc")
        assert result.code == 0, result.output
