"""Postman's own sandbox (npm postman-sandbox) in a Node host: runner.scripts.postman.

The package is installed once per test session into a temporary cache (shared by the xdist
workers); without node/npm or the npm registry the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from server import TestServer

from runner.scripts.postman import (
    INTEGRITY,
    HttpRequest,
    HttpResponse,
    PostmanSandbox,
    SandboxInstallError,
    ScriptContext,
    ScriptOutcome,
    ScriptTest,
    VariableChange,
    install,
)
from runner.scripts.postman.host import uses_legacy_apis

DOC = {"id": 7, "name": "widget", "tags": ["a", "b"], "owner": {"name": "Ada"}}
RESPONSE = HttpResponse(
    200,
    "OK",
    (("Content-Type", "application/json"), ("X-Request-Id", "req-42")),
    json.dumps(DOC).encode(),
    12.0,
)
CONTEXT = ScriptContext(
    request=HttpRequest("POST", "http://api.test/orders?page=1", (("Accept", "*/*"),), "{}"),
    response=RESPONSE,
    variables={
        "globals": {"g": "global"},
        "collectionVariables": {"c": "collection"},
        "environment": {"host": "api.test", "shared": "env"},
        "_variables": {},
    },
    data={"row": "r1"},
    iteration=1,
    iteration_count=3,
    request_name="Create order",
    request_id="req-1",
)


@pytest.fixture(scope="module")
def sandbox(postman_sandbox: PostmanSandbox) -> PostmanSandbox:
    return postman_sandbox


def passed(outcome: ScriptOutcome) -> list[str]:
    assert not outcome.errors, outcome.errors
    failed = [t for t in outcome.tests if not t.passed]
    assert not failed, failed
    return [t.name for t in outcome.tests]


def test_bundled_libraries(sandbox: PostmanSandbox) -> None:
    script = r"""
    const SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    pm.test("lodash", () => pm.expect(_.get(pm.response.json(), "owner.name")).to.equal("Ada"));
    pm.test("moment", () => {
        pm.expect(require("moment")("2024-01-02").format("DD/MM/YYYY")).to.equal("02/01/2024");
    });
    pm.test("chai", () => {
        pm.expect([1, 2]).to.have.members([2, 1]);
        pm.expect({a: 1}).to.deep.equal({a: 1});
    });
    pm.test("crypto-js", () => {
        pm.expect(CryptoJS.SHA256("abc").toString()).to.equal(SHA256_ABC);
        const hmac = require("crypto-js").HmacSHA1("m", "k");
        pm.expect(hmac.toString(CryptoJS.enc.Base64)).to.be.a("string");
        const key = CryptoJS.enc.Utf8.parse("0123456789abcdef");
        const enc = CryptoJS.AES.encrypt("secret", key, {iv: key}).toString();
        const dec = CryptoJS.AES.decrypt(enc, key, {iv: key});
        pm.expect(dec.toString(CryptoJS.enc.Utf8)).to.equal("secret");
    });
    pm.test("Buffer", () => pm.expect(Buffer.from("héllo").toString("base64")).to.eql("aMOpbGxv"));
    pm.test("atob/btoa", () => pm.expect(atob(btoa("user:pass"))).to.equal("user:pass"));
    pm.test("uuid", () => pm.expect(require("uuid").v4()).to.match(/^[0-9a-f-]{36}$/));
    """
    assert passed(sandbox.run("test", script, CONTEXT)) == [
        "lodash",
        "moment",
        "chai",
        "crypto-js",
        "Buffer",
        "atob/btoa",
        "uuid",
    ]


def test_schema_html_xml_csv_and_sdk_libraries(sandbox: PostmanSandbox) -> None:
    script = r"""
    const schema = {type: "object", required: ["id"], properties: {id: {type: "integer"}}};
    const Ajv = require("ajv");
    pm.test("ajv", () => pm.expect(new Ajv().validate(schema, pm.response.json())).to.be.true);
    pm.test("tv4", () => pm.expect(tv4.validate(pm.response.json(), schema)).to.be.true);
    pm.test("jsonSchema", () => pm.response.to.have.jsonSchema(schema));
    pm.test("cheerio", () => {
        const $ = cheerio.load('<ul><li class="x">one</li><li>two</li></ul>');
        pm.expect($("li.x").text()).to.equal("one");
    });
    pm.test("xml2Json", () => pm.expect(xml2Json('<a><b id="1">t</b></a>').a.b.$.id).to.equal("1"));
    pm.test("csv-parse", () => {
        const rows = require("csv-parse/lib/sync")("k,v\na,1\n", {columns: true});
        pm.expect(rows).to.eql([{k: "a", v: "1"}]);
    });
    pm.test("postman-collection", () => {
        const sdk = require("postman-collection");
        pm.expect(new sdk.Url("http://h/p?q=1").query.get("q")).to.equal("1");
    });
    """
    assert passed(sandbox.run("test", script, CONTEXT)) == [
        "ajv",
        "tv4",
        "jsonSchema",
        "cheerio",
        "xml2Json",
        "csv-parse",
        "postman-collection",
    ]


def test_failures_keep_names_order_and_message(sandbox: PostmanSandbox) -> None:
    script = """
    pm.test("status is 200", () => pm.response.to.have.status(200));
    pm.test("status is 404", () => pm.response.to.have.status(404));
    pm.test("header", () => pm.response.to.have.header("X-Request-Id", "req-42"));
    pm.test.skip("later", () => {});
    """
    outcome = sandbox.run("test", script, CONTEXT)
    assert outcome.tests == [
        ScriptTest("status is 200", True),
        ScriptTest("status is 404", False, "expected response to have status code 404 but got 200"),
        ScriptTest("header", True),
        ScriptTest("later", True, skipped=True),
    ]


def test_legacy_api(sandbox: PostmanSandbox) -> None:
    script = """
    var body = JSON.parse(responseBody);
    tests["id is 7"] = body.id === 7;
    tests["code is 201"] = responseCode.code === 201;
    postman.setEnvironmentVariable("order_id", body.id);
    postman.setGlobalVariable("seen", "yes");
    """
    outcome = sandbox.run("test", script, CONTEXT)
    assert [(t.name, t.passed) for t in outcome.tests] == [
        ("id is 7", True),
        ("code is 201", False),
    ]
    assert VariableChange("environment", "set", "order_id", "7") in outcome.changes  # as text
    assert VariableChange("globals", "set", "seen", "yes") in outcome.changes


def test_a_script_without_legacy_names_runs_without_the_legacy_interface() -> None:
    """Only what cannot reach postman.*, tests[], responseBody, _... skips setting them up."""
    assert not uses_legacy_apis(
        "pm.environment.set('a', pm.globals.get('b')); pm.info.iteration; pm?.request?.url;"
        " const my_data = pm.response.json().data;"
    )
    for script in (
        'tests["ok"] = true;',
        "const body = JSON.parse(pm.response.text());",  # the legacy JSON is liquid-json
        "const copy = {...data};",  # a spread is a variable, not a property
        "_.get(pm.response.json(), 'a');",
        "postman.setNextRequest(null);",
        "var request = 1;",
        'globalThis["respon" + "seBody"];',
        'this["tests"].x = 1;',
        '[].filter.constructor("return responseBody")();',
        "\\u0074ests.x = 1;",
        "setTimeout(() => {}, 1);",
    ):
        assert uses_legacy_apis(script), script


def test_the_legacy_interface_changes_nothing_for_a_script_without_legacy_names(
    sandbox: PostmanSandbox,
) -> None:
    script = """
    const doc = pm.response.json();
    pm.test("doc", () => pm.expect(doc.owner.name).to.equal("Ada"));
    pm.test("header", () => pm.response.to.have.header("X-Request-Id", "req-42"));
    pm.test("fails", () => pm.expect(pm.request.method).to.equal("GET"));
    pm.test("typeof", () => pm.expect(typeof pm.sendRequest).to.equal("function"));
    pm.environment.set("id", doc.id);
    console.log("seen", doc.tags);
    """
    assert not uses_legacy_apis(script)
    lean = sandbox.run("test", script, CONTEXT)
    full = sandbox.run("test", script + "// tests", CONTEXT)  # a legacy name: set up
    assert [(t.name, t.passed) for t in lean.tests] == [
        ("doc", True),
        ("header", True),
        ("fails", False),
        ("typeof", True),
    ]
    assert lean.tests == full.tests
    assert lean.changes == full.changes == [VariableChange("environment", "set", "id", 7)]
    assert lean.values == full.values
    assert lean.console == full.console == [("log", 'seen ["a","b"]')]
    # a legacy script after a lean one still finds the legacy interface (the scope is shared)
    legacy = sandbox.run("test", 'tests["body"] = responseBody.includes("Ada");', CONTEXT)
    assert [(t.name, t.passed) for t in legacy.tests] == [("body", True)]
    # eval reaches the legacy interface without naming it: set up
    hidden = 'pm.test("eval", () => pm.expect(eval("respon" + "seBody")).to.include("Ada"));'
    assert [(t.name, t.passed) for t in sandbox.run("test", hidden, CONTEXT).tests] == [
        ("eval", True)
    ]


def test_a_large_binary_body_reaches_the_script_byte_for_byte(sandbox: PostmanSandbox) -> None:
    body = bytes(range(256)) * 200 + "é€".encode()
    context = ScriptContext(
        response=HttpResponse(200, "OK", (("Content-Type", "text/plain"),), body)
    )
    script = """
    const s = pm.response.stream;
    pm.test("buffer", () => pm.expect(Buffer.isBuffer(s)).to.equal(true));
    pm.test("length", () => pm.expect(s.length).to.equal(51205));
    pm.test("bytes", () => {
        pm.expect([s[0], s[127], s[255], s[256], s[51199]]).to.eql([0, 127, 255, 0, 255]);
    });
    pm.test("size", () => pm.expect(pm.response.size().body).to.equal(51205));
    pm.test("text", () => pm.expect(pm.response.text().slice(-2)).to.equal("é€"));
    """
    assert passed(sandbox.run("test", script, context)) == [
        "buffer",
        "length",
        "bytes",
        "size",
        "text",
    ]
    empty = ScriptContext(response=HttpResponse(204, "No Content"))
    script = """
    const sizes = [pm.response.stream.length, pm.response.text()];
    pm.test("empty", () => pm.expect(sizes).to.eql([0, ""]));
    """
    assert passed(sandbox.run("test", script, empty)) == ["empty"]


def test_variables_by_scope_and_info(sandbox: PostmanSandbox) -> None:
    script = """
    pm.test("layers", () => {
        pm.expect(pm.variables.get("g")).to.equal("global");
        pm.expect(pm.variables.get("c")).to.equal("collection");
        pm.expect(pm.variables.get("row")).to.equal("r1");
        pm.expect(pm.iterationData.get("row")).to.equal("r1");
        pm.expect(pm.variables.replaceIn("https://{{host}}/x")).to.equal("https://api.test/x");
    });
    pm.test("info", () => {
        pm.expect(pm.info.iteration).to.equal(1);
        pm.expect(pm.info.iterationCount).to.equal(3);
        pm.expect(pm.info.requestName).to.equal("Create order");
        pm.expect(pm.info.eventName).to.equal("test");
    });
    pm.environment.set("token", "t-1");
    pm.environment.unset("shared");
    pm.collectionVariables.set("count", 2);
    pm.globals.set("g", "changed");
    pm.variables.set("local", true);
    """
    outcome = sandbox.run("test", script, CONTEXT)
    assert passed(outcome) == ["layers", "info"]
    assert sorted(outcome.changes, key=lambda c: (c.scope, c.name)) == [
        VariableChange("_variables", "set", "local", True),
        VariableChange("collectionVariables", "set", "count", 2),
        VariableChange("environment", "unset", "shared", None),
        VariableChange("environment", "set", "token", "t-1"),
        VariableChange("globals", "set", "g", "changed"),
    ]
    assert outcome.values["environment"] == {"host": "api.test", "token": "t-1"}


def test_prerequest_changes_the_request(sandbox: PostmanSandbox) -> None:
    script = """
    pm.request.headers.add({key: "X-Signature", value: CryptoJS.MD5("x").toString()});
    pm.request.headers.remove("Accept");
    pm.request.url.query.add({key: "page2", value: "2"});
    pm.request.body.update('{"a": 1}');
    pm.request.method = "PUT";
    pm.execution.setNextRequest("Next one");
    """
    outcome = sandbox.run("prerequest", script, CONTEXT)
    assert outcome.errors == []
    assert outcome.request == HttpRequest(
        "PUT",
        "http://api.test/orders?page=1&page2=2",
        (("X-Signature", "9dd4e461268c8034f5c8564e155c67a6"),),
        '{"a": 1}',
        "raw",
    )
    assert outcome.next_request == "Next one"
    assert not outcome.stop


def test_console_and_errors(sandbox: PostmanSandbox) -> None:
    outcome = sandbox.run("test", 'console.log("hi", {a: 1}); console.warn(2);', CONTEXT)
    assert outcome.console == [("log", 'hi {"a":1}'), ("warn", "2")]
    syntax = sandbox.run("test", "pm.test('x', () => {", CONTEXT)
    assert syntax.tests == []
    assert len(syntax.errors) == 1
    assert syntax.errors[0].startswith("SyntaxError")
    thrown = sandbox.run(
        "test", 'pm.environment.set("a", 1); throw new TypeError("boom");', CONTEXT
    )
    assert thrown.errors == ["TypeError: boom"]
    assert VariableChange("environment", "set", "a", 1) in thrown.changes


def test_node_modules_and_process_are_refused(sandbox: PostmanSandbox) -> None:
    script = """
    for (const name of ["fs", "child_process", "node:fs", "net", "http", "os"]) {
        pm.test(name, () => pm.expect(() => require(name)).to.throw("Cannot find module"));
    }
    pm.test("process", () => pm.expect(typeof process).to.equal("undefined"));
    pm.test("Function escape", () => pm.expect(() => Function("return process")()).to.throw());
    """
    assert passed(sandbox.run("test", script, CONTEXT)) == [
        "fs",
        "child_process",
        "node:fs",
        "net",
        "http",
        "os",
        "process",
        "Function escape",
    ]


def test_send_request_goes_through_the_python_callback(
    sandbox: PostmanSandbox, server: TestServer
) -> None:
    sent: list[HttpRequest] = []

    def send(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        started = time.perf_counter()
        answer = httpx.request(
            request.method, request.url, headers=list(request.headers), content=request.body
        )
        return HttpResponse(
            answer.status_code,
            answer.reason_phrase,
            tuple(answer.headers.items()),
            answer.content,
            (time.perf_counter() - started) * 1000,
        )

    script = f"""
    pm.sendRequest({{url: "{server.url}/echo?x=1", method: "POST",
                     header: {{"X-Token": "abc"}}, body: {{mode: "raw", raw: "payload"}}}},
        function (err, res) {{
            pm.test("answered", () => {{
                pm.expect(err).to.equal(null);
                pm.expect(res.code).to.equal(200);
                pm.expect(res.json().args.x).to.equal("1");
                pm.expect(res.json().body).to.equal("payload");
                pm.environment.set("echoed", res.json().headers["x-token"]);
            }});
        }});
    const res = await pm.sendRequest("{server.url}/json");
    pm.test("awaited", () => pm.expect(res.json().id).to.equal(7));
    """
    outcome = sandbox.run("test", script, CONTEXT, send_request=send)
    assert passed(outcome) == ["answered", "awaited"]
    assert VariableChange("environment", "set", "echoed", "abc") in outcome.changes
    assert [(r.method, r.url) for r in sent] == [
        ("POST", f"{server.url}/echo?x=1"),
        ("GET", f"{server.url}/json"),
    ]


def test_send_request_error_reaches_the_script(sandbox: PostmanSandbox) -> None:
    def refuse(request: HttpRequest) -> HttpResponse:
        raise ConnectionError("connection refused")

    script = """
    pm.sendRequest("http://127.0.0.1:9/", (err, res) => {
        pm.test("error", () => pm.expect(err.message).to.equal("connection refused"));
    });
    """
    assert passed(sandbox.run("test", script, CONTEXT, send_request=refuse)) == ["error"]


def test_time_limit_stops_a_script_and_the_next_one_runs(sandbox: PostmanSandbox) -> None:
    stuck = sandbox.run("test", "while (true) {}", CONTEXT, time_limit_s=0.3)
    assert stuck.timed_out
    assert stuck.errors == ["script stopped: it ran longer than 0.3s"]
    slow = sandbox.run("test", "setTimeout(() => {}, 5000);", CONTEXT, time_limit_s=0.3)
    assert slow.timed_out
    assert passed(sandbox.run("test", 'pm.test("after", () => {});', CONTEXT)) == ["after"]


def test_memory_limit_stops_the_host_and_the_next_script_runs(sandbox: PostmanSandbox) -> None:
    # a megabyte a step: the heap limit is reached in a few hundred steps, far from the GC
    # thrash that many small objects near the limit cause on a loaded machine
    hog = "const a = []; while (true) { a.push('x'.repeat(1 << 20) + a.length); }"
    outcome = sandbox.run("test", hog, CONTEXT, time_limit_s=300)
    assert outcome.errors == [
        f"script stopped: it used more than {sandbox.memory_limit_mb} MB or the sandbox crashed"
    ]
    assert passed(sandbox.run("test", 'pm.test("after", () => {});', CONTEXT)) == ["after"]


def test_missing_npm_says_what_to_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxInstallError) as info:
        install.ensure_installed(tmp_path / "cache")
    assert "`npm` is not on PATH" in str(info.value)


def test_a_cache_with_another_integrity_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / install.VERSION
    (root / "node_modules" / "postman-sandbox").mkdir(parents=True)
    (root / "node_modules" / "postman-sandbox" / "package.json").write_text("{}")
    lock = {"packages": {"node_modules/postman-sandbox": {"integrity": "sha512-other"}}}
    (root / "package-lock.json").write_text(json.dumps(lock))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SandboxInstallError):  # it tries to install again (no npm here)
        install.ensure_installed(tmp_path)
    lock["packages"]["node_modules/postman-sandbox"]["integrity"] = INTEGRITY
    (root / "package-lock.json").write_text(json.dumps(lock))
    assert install.ensure_installed(tmp_path) == root


def test_host_output_is_read_by_line_with_a_deadline() -> None:
    """The host's output is read in the calling thread: lines split across and within chunks,
    None when the deadline passes (the host stopped answering) and when the output ends."""
    from runner.scripts.postman.host import LineReader

    read_end, write_end = os.pipe()
    lines = LineReader(read_end)
    try:
        os.write(write_end, b'{"a": 1}\n{"b":')
        assert lines.read(time.monotonic() + 5) == b'{"a": 1}\n'
        started = time.monotonic()
        assert lines.read(started + 0.05) is None  # half a line: waits until the deadline
        assert time.monotonic() - started >= 0.05
        os.write(write_end, b' 2}\n{"c": 3}\n')
        assert lines.read(time.monotonic() + 5) == b'{"b": 2}\n'
        assert lines.read(time.monotonic() + 5) == b'{"c": 3}\n'
        os.close(write_end)
        assert lines.read(time.monotonic() + 5) is None  # the host exited
    finally:
        lines.close()
        os.close(read_end)
