"""Named checks: ``name:`` beside an expectation's operators, the names the Postman import keeps
(translated or run as script), and how every report shows them; JUnit test cases named as
Newman's JUnit reporter names them (compared with Newman 6.2.2 itself where it is installed)."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import EchoServer
from postman_support import NEWMAN, collection, needs_newman, request, write_json

from runner.core.errors import LoadError
from runner.format.loader import parse_collection
from runner.formats.postman.script_import import Translator
from runner.reporters.newman_names import class_name
from runner.scripts.postman import PostmanSandbox


def _checks(text: str) -> list[tuple[str, str | None, str | None]]:
    step = parse_collection(text, "c.yaml").steps[0]
    return [(c.subject, c.target, c.name) for c in step.checks]  # type: ignore[union-attr]


def test_name_beside_the_operators_names_the_check() -> None:
    text = """
name: Named
steps:
  - request: Get
    url: https://api.example.com/
    expect:
      status: {eq: 200, name: Status code is 200}
      headers:
        Content-Type: {contains: json, name: is JSON}
      json:
        $.id: {eq: 42, name: the id}
        $.plain: {name: not a check name}
      body: {contains: ok}
      max_time_ms: {le: 800, name: fast enough}
"""
    assert _checks(text) == [
        ("status", None, "Status code is 200"),
        ("header", "Content-Type", "is JSON"),
        ("json", "$.id", "the id"),
        ("json", "$.plain", None),  # no operator: a plain object to equal
        ("body", None, None),
        ("time", None, "fast enough"),
    ]


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("status: {eq: 200, name: ''}", "6:31: the check's name must not be empty"),
        ("status: {eq: 200, name: [a]}", "6:31: the check's name must be a string, not a list"),
        (
            "max_time_ms: {name: x}",
            "6:20: max_time_ms needs 'le': the most milliseconds the response may take",
        ),
        ("max_time_ms: {le: 5, nam: x}", "6:28: unknown key 'nam' in max_time_ms"),
        (
            "json: {$.a: {eq: 1, name: x, other: 2}}",
            "6:19: expectation mixes operators (eq) with other keys",
        ),
    ],
)
def test_a_wrong_name_is_an_error_at_its_place(expect: str, message: str) -> None:
    steps = "steps:\n  - request: G\n    url: https://a.example/\n    expect:\n"
    with pytest.raises(LoadError) as err:
        parse_collection(f"name: N\n{steps}      {expect}\n", "c.yaml")
    assert str(err.value) == f"c.yaml:{message}"


def test_two_tests_on_the_same_subject_are_kept_as_script() -> None:
    source = (
        'pm.test("first", function () { pm.response.to.have.status(200); });\n'
        'pm.test("second", function () { pm.expect(pm.response.code).to.be.below(300); });\n'
    )
    result = Translator(str).translate_test(source)
    assert result.expect.to_yaml() == {"status": {"eq": 200, "name": "first"}}
    assert [k.reason for k in result.kept] == [
        "two tests check the same status (each keeps its name)"
    ]


def test_a_named_schema_test_is_kept_as_script() -> None:
    source = 'pm.test("schema", function () { pm.response.to.have.jsonSchema({type: "object"}); });'
    result = Translator(str).translate_test(source)
    assert not result.expect and result.remaining is not None


@pytest.mark.parametrize(
    "name",
    ["Get users", "Folder / Request", "OAuth1.0 Verify Signature", "XMLHttpRequest test",
     "Ärger über / Straße", "it's 1st", "123abc 4TH place", "请求 / 测试", ""],
)  # fmt: skip
def test_class_names_are_lodash_s(name: str) -> None:
    """The class name is Newman's: _.upperFirst(_.camelCase(name).replace(/\\W/g, ''))."""
    expected = {
        "Get users": "GetUsers",
        "Folder / Request": "FolderRequest",
        "OAuth1.0 Verify Signature": "OAuth10VerifySignature",
        "XMLHttpRequest test": "XmlHttpRequestTest",
        "Ärger über / Straße": "ArgerUberStrasse",
        "it's 1st": "Its1st",
        "123abc 4TH place": "123Abc4thPlace",
        "请求 / 测试": "",
        "": "",
    }
    assert class_name(name) == expected[name]


# -- an imported collection, run: names in every report, Newman's outcome ------------------

TESTS = "\n".join(
    [
        'pm.test("Status code is 200", function () { pm.response.to.have.status(200); });',
        'pm.test("this one fails on purpose", function () {',
        "    var data = pm.response.json();",
        '    if (data.args) { pm.expect(data.args.color).to.eql("blue"); }',
        "});",
        'tests["Body mentions color"] = responseBody.has("color");',
    ]
)


def _document(url: str) -> dict[str, Any]:
    folder = {"name": "Paints", "item": [request("Get color", url + "/get?color=red", test=TESTS)]}
    return collection(folder, name="Named tests")


def _import(run_cli: RunCli, tmp_path: Path, document: dict[str, Any]) -> Path:
    source = write_json(tmp_path / "named.postman_collection.json", document)
    out = run_cli("import", "postman", source, "-o", tmp_path / "out", "--force")
    assert out.code == 0, out.output
    return tmp_path / "out" / "collections" / "named-tests.yaml"


def _junit_cases(path: Path) -> list[tuple[str, str, bool]]:
    root = ET.parse(path).getroot()
    return sorted(
        (c.get("classname", ""), c.get("name", ""), c.find("failure") is not None)
        for c in root.iter("testcase")
    )


def test_an_imported_collection_fails_as_newman_with_the_test_names(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, postman_sandbox: PostmanSandbox
) -> None:
    path = _import(run_cli, tmp_path, _document(echo.url))
    data = yaml.safe_load(path.read_text())
    step = data["steps"][0]["steps"][0]
    assert step["expect"] == {"status": {"eq": 200, "name": "Status code is 200"}}
    assert "this one fails on purpose" in step["scripts"]["test"]  # kept, run in the sandbox
    assert "Body mentions color" in step["scripts"]["test"]  # kept after it: Newman's order
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    result = run_cli("run", path, "--reporter", f"junit:{junit}", "--reporter", f"json:{report}")
    assert result.code == 1, result.output
    assert "FAIL this one fails on purpose: expected 'red' to deeply equal 'blue'" in result.output
    assert _junit_cases(junit) == [
        ("PaintsGetColor", "Body mentions color", False),
        ("PaintsGetColor", "Status code is 200", False),
        ("PaintsGetColor", "this one fails on purpose", True),
    ]
    failure = ET.parse(junit).getroot().find(".//failure")
    assert failure is not None and failure.get("type") == "AssertionFailure"
    checks = json.loads(report.read_text())["steps"][0]["checks"]
    assert [(c["name"], c["passed"]) for c in checks] == [  # Newman's order
        ("Status code is 200", True),
        ("this one fails on purpose", False),
        ("Body mentions color", True),
    ]
    html = tmp_path / "run.html"
    run_cli("run", path, "--reporter", f"html:{html}")
    assert "<td>this one fails on purpose</td>" in html.read_text()


@needs_newman
def test_the_junit_names_are_newman_s(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, postman_sandbox: PostmanSandbox
) -> None:
    document = _document(echo.url)
    source = write_json(tmp_path / "for-newman.json", document)
    theirs = tmp_path / "newman.xml"
    newman = subprocess.run(
        [str(NEWMAN), "run", str(source), "-r", "junit", "--reporter-junit-export", str(theirs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert newman.returncode == 1, newman.stdout + newman.stderr
    ours = tmp_path / "ours.xml"
    result = run_cli("run", _import(run_cli, tmp_path, document), "--reporter", f"junit:{ours}")
    assert result.code == 1
    assert _junit_cases(ours) == _junit_cases(theirs)


# -- undefined_variables: literal (imported collections) -----------------------------------


def test_an_imported_collection_sends_an_undefined_variable_as_written(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    document = collection(request("Who", echo.url + "/get?who={{nobody}}"), name="Literal")
    path = _import(run_cli, tmp_path, document).with_name("literal.yaml")
    assert yaml.safe_load(path.read_text())["undefined_variables"] == "literal"
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    assert echo.log[-1].query == [("who", "{{nobody}}")]  # what Newman sends
    warnings = json.loads(report.read_text())["steps"][0]["warnings"]
    assert [(w["label"], w["message"]) for w in warnings] == [
        (
            "undefined variable 'nobody'",
            "sent as written: {{nobody}} (undefined_variables: literal)",
        )
    ]
    strict = path.read_text().replace("undefined_variables: literal", "undefined_variables: error")
    path.write_text(strict)
    sent = len(echo.log)
    refused = run_cli("run", path)
    assert refused.code == 2 and "undefined variable 'nobody'" in refused.err
    assert len(echo.log) == sent  # the strict check: nothing sent
