"""Each translated Postman script pattern: imported, run against the echo stand-in, it passes;
with the server's answer changed, it fails. Plus what is kept, and the translator's edges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import EchoServer
from postman_support import collection, request, write_json

from runner.formats.postman.script_import import Translator


@dataclass(frozen=True)
class Pattern:
    name: str
    path: str  # what the request asks the echo stand-in for
    script: str
    expect: dict[str, Any] | None  # the expect: the import must write (None: not checked)
    broken: dict[str, Any]  # EchoServer.answer(path, **broken) makes it fail
    follow: str | None = None  # a second request's test, reading what the first captured


JSON_ARGS = "var jsonData = pm.response.json();\n"
PATTERNS = [
    Pattern(
        "pm.response.to.have.status",
        "/get",
        "pm.response.to.have.status(200);",
        {"status": 200},
        {"status": 500, "body": {}},
    ),
    Pattern(
        "pm.expect(pm.response.code).to.eql",
        "/get",
        'pm.test("code", function () { pm.expect(pm.response.code).to.eql(200); });',
        {"status": {"eq": 200, "name": "code"}},
        {"status": 201, "body": {}},
    ),
    Pattern(
        "pm.response.to.be.ok",
        "/get",
        "pm.response.to.be.ok;",
        {"status": 200},
        {"status": 404, "body": {}},
    ),
    Pattern(
        "pm.expect(json).to.eql",
        "/get?foo=bar",
        'pm.test("foo", function () {\n    '
        + JSON_ARGS
        + '    pm.expect(jsonData.args.foo).to.eql("bar");\n});',
        {"json": {"$.args.foo": {"eq": "bar", "name": "foo"}}},
        {"body": {"args": {"foo": "baz"}}},
    ),
    Pattern(
        "pm.expect(json).to.equal",
        "/get?n=1",
        "pm.test('n', () => { pm.expect(pm.response.json().args.n).to.equal('1'); });",
        {"json": {"$.args.n": {"eq": "1", "name": "n"}}},
        {"body": {"args": {"n": 1}}},
    ),
    Pattern(
        "pm.expect(json).to.include",
        "/get?name=postman",
        'pm.expect(pm.response.json().args.name).to.include("post");',
        {"json": {"$.args.name": {"contains": "post"}}},
        {"body": {"args": {"name": "echo"}}},
    ),
    Pattern(
        "pm.expect(json).to.have.property",
        "/get?token=x",
        'pm.test("has token", function () { pm.expect(pm.response.json().args)'
        '.to.have.property("token"); });',
        {"json": {"$.args.token": {"exists": True, "name": "has token"}}},
        {"body": {"args": {}}},
    ),
    Pattern(
        "pm.response.to.have.header",
        "/get",
        'pm.response.to.have.header("Content-Type");',
        {"headers": {"Content-Type": {"exists": True}}},
        {"body": b""},
    ),
    Pattern(
        "pm.expect(header).to.include",
        "/get",
        'pm.test("json", function () { pm.expect(pm.response.headers.get("Content-Type"))'
        '.to.include("application/json"); });',
        {"headers": {"Content-Type": {"contains": "application/json", "name": "json"}}},
        {"body": "text", "content_type": "text/plain"},
    ),
    Pattern(
        "pm.expect(responseTime).to.be.below",
        "/get",
        "pm.expect(pm.response.responseTime).to.be.below(1500);",
        {"max_time_ms": 1500},
        {"body": {}, "delay": 1.6},
    ),
    Pattern(
        "pm.environment.set from json",
        "/get?id=42",
        'var jsonData = pm.response.json();\npm.environment.set("user_id", jsonData.args.id);',
        None,
        {"body": {"args": {"id": "7"}}},
        follow='pm.expect(pm.response.json().args.seen).to.eql("42");',
    ),
    Pattern(
        "pm.collectionVariables.set from a header",
        "/response-headers?X-Ref=r-9",
        'pm.collectionVariables.set("user_id", pm.response.headers.get("X-Ref"));',
        None,
        {"body": {}, "X_Ref": "r-1"},
        follow='pm.expect(pm.response.json().args.seen).to.eql("r-9");',
    ),
    Pattern(
        "pm.globals.set",
        "/get?id=42",
        'pm.globals.set("user_id", pm.response.json().args.id);',
        None,
        {"body": {"args": {"id": "x"}}},
        follow='pm.expect(pm.response.json().args.seen).to.eql("42");',
    ),
    Pattern(
        "pm.variables.set",
        "/get?id=42",
        'pm.variables.set("user_id", pm.response.json().args.id);',
        None,
        {"body": {"args": {}}},
        follow='pm.expect(pm.response.json().args.seen).to.eql("42");',
    ),
    Pattern(
        'legacy tests["..."] = responseCode.code === 200',
        "/get",
        'tests["Status code is 200"] = responseCode.code === 200;',
        {"status": {"eq": 200, "name": "Status code is 200"}},
        {"status": 503, "body": {}},
    ),
    Pattern(
        "legacy responseBody.has",
        "/get?word=needle",
        'tests["Body has it"] = responseBody.has("needle");',
        {"body": {"contains": "needle", "name": "Body has it"}},
        {"body": {"args": {"word": "haystack"}}},
    ),
    Pattern(
        "legacy JSON.parse(responseBody) and postman.getResponseHeader",
        "/get?a=1",
        'var data = JSON.parse(responseBody);\ntests["a"] = data.args.a === "1";\n'
        'tests["type"] = postman.getResponseHeader("Content-Type");',
        {
            "headers": {"Content-Type": {"exists": True, "name": "type"}},
            "json": {"$.args.a": {"eq": "1", "name": "a"}},
        },
        {"body": {"args": {"a": "2"}}},
    ),
    Pattern(
        "legacy postman.setEnvironmentVariable",
        "/get?id=42",
        "var data = JSON.parse(responseBody);\n"
        'postman.setEnvironmentVariable("user_id", data.args.id);',
        None,
        {"body": {"args": {"id": "1"}}},
        follow='tests["seen"] = JSON.parse(responseBody).args.seen === "42";',
    ),
    Pattern(
        "pm.expect(code).to.be.oneOf",
        "/status/201",
        "pm.expect(pm.response.code).to.be.oneOf([200, 201]);",
        {"status": [200, 201]},
        {"status": 202, "body": {}},
    ),
    Pattern(
        "pm.response.to.have.jsonSchema",
        "/get?a=1",
        'var schema = {type: "object", required: ["args"]};\n'
        "pm.response.to.have.jsonSchema(schema);",
        {"schema": {"type": "object", "required": ["args"]}},
        {"body": {"nope": 1}},
    ),
]


def _import_and_run(run_cli: Any, tmp_path: Path, pattern: Pattern, echo: Any) -> Any:
    items = [request("first", "{{host}}" + pattern.path, test=pattern.script)]
    if pattern.follow:
        items.append(request("second", "{{host}}/get?seen={{user_id}}", test=pattern.follow))
    doc = collection(*items, variable=[{"key": "host", "value": "http://unused.invalid"}])
    src = write_json(tmp_path / "p.json", doc)
    imported = run_cli("import", "postman", src, "-o", tmp_path / "out", "--force")
    assert imported.code == 0, imported.output
    path = tmp_path / "out" / "collections" / "test.yaml"
    data = yaml.safe_load(path.read_text())
    return data, path


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_pattern_passes_then_fails_when_the_answer_changes(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, pattern: Pattern
) -> None:
    data, path = _import_and_run(run_cli, tmp_path, pattern, echo)
    first = data["steps"][0]
    assert "scripts" not in first, f"kept as script: {first.get('scripts')}"
    if pattern.expect is not None:
        assert first["expect"] == pattern.expect
    if pattern.follow:
        assert first["capture"], "the setter became a capture"
        assert "scripts" not in data["steps"][1]
    ok = run_cli("run", path, "--var", f"host={echo.url}")
    assert ok.code == 0, ok.output
    echo.answer(pattern.path.split("?")[0], **pattern.broken)
    bad = run_cli("run", path, "--var", f"host={echo.url}")
    assert bad.code == 1, bad.output


def test_a_kept_statement_keeps_the_alias_it_reads() -> None:
    source = (
        "var jsonData = pm.response.json();\n"
        'pm.test("a", function () { pm.expect(jsonData.a).to.eql(1); });\n'
        "if (jsonData.b) { postman.setNextRequest('x'); }\n"
    )
    result = Translator(str).translate_test(source)
    assert result.expect.to_yaml() == {"json": {"$.a": {"eq": 1, "name": "a"}}}
    assert result.remaining == (
        "var jsonData = pm.response.json();\nif (jsonData.b) { postman.setNextRequest('x'); }\n"
    )
    assert [k.reason for k in result.kept] == ["a condition (if)"]
    assert result.lines == 3 and result.translated_lines == 1


def test_a_partly_translatable_pm_test_is_kept_whole() -> None:
    source = 'pm.test("t", function () {\n  pm.response.to.have.status(200);\n  foo();\n});\n'
    result = Translator(str).translate_test(source)
    assert not result.expect
    assert result.remaining == source


@pytest.mark.parametrize(
    ("source", "expect"),
    [
        (
            "pm.expect(pm.response.json().a).to.be.a('string');",
            {"json": {"$.a": {"type": "string"}}},
        ),
        (
            "pm.expect(pm.response.json().items).to.have.lengthOf(2);",
            {"json": {"$.items": {"length": 2}}},
        ),
        (
            "pm.expect(pm.response.json()['a-b'][0]).to.not.eql(3);",
            {"json": {"$['a-b'][0]": {"ne": 3}}},
        ),
        (
            "pm.expect(pm.response.text()).to.match(/ok\\/done/i);",
            {"body": {"matches": "(?i)ok\\/done"}},
        ),
        (
            "pm.expect(pm.response.text()).to.include('a'); "
            "pm.expect(pm.response.text()).to.include('b');",
            {"body": {"contains": "a", "matches": "b"}},
        ),
        ("tests['t'] = responseTime < 200;", {"max_time_ms": {"le": 200, "name": "t"}}),
        (
            "tests['c'] = responseCode.code === 200 || responseCode.code === 201;",
            {"status": {"in": [200, 201], "name": "c"}},
        ),
        (
            "pm.expect(pm.response.json().id).to.eql(pm.environment.get('my-id'));",
            {"json": {"$.id": "<<my_id>>"}},
        ),
        (
            "pm.expect(pm.response.json().n).to.be.above(1).and.below(9);",
            {"json": {"$.n": {"gt": 1, "lt": 9}}},
        ),
        ("pm.response.to.be.success;", {"status": {"ge": 200, "lt": 300}}),
        ("pm.expect(pm.response.json().s).to.eql('a << b');", {"json": {"$.s": "a <<'<<'>> b"}}),
        (
            "tests['k'] = 'k' in JSON.parse(responseBody).args;",
            {"json": {"$.args.k": {"exists": True, "name": "k"}}},
        ),
        (
            "pm.test('Body matches string', function () { "
            "pm.expect(pm.response.text()).to.include('ok'); });",
            {"body": {"contains": "ok", "name": "Body matches string"}},
        ),
        (  # the name runner export postman gives an unnamed check: unnamed again
            "pm.test('status: eq 200', function () { pm.response.to.have.status(200); });",
            {"status": 200},
        ),
    ],
)
def test_translated_forms(source: str, expect: dict[str, Any]) -> None:
    result = Translator(lambda n: n.replace("-", "_")).translate_test(source)
    assert result.expect.to_yaml() == expect
    assert result.remaining is None


@pytest.mark.parametrize(
    "source",
    [
        "pm.expect(pm.response.json().a).to.not.include('x');",  # no declarative form
        "pm.test('t', function (done) { done(); });",  # asynchronous
        "pm.expect(pm.response.json().a).to.be.ok;",  # truthiness
        "pm.environment.set('x', 'constant');",  # not from the response
        "responseBody = 'x'; tests['a'] = responseBody.has('x');",  # redefines a global
        "pm.test('broken', function () { pm.expect(",  # does not parse
    ],
)
def test_untranslatable_statements_stay_script(source: str) -> None:
    result = Translator(str).translate_test(source)
    assert not result.expect and not result.captures
    assert result.remaining is not None and result.kept


def test_an_assignment_without_var_is_the_same_alias_as_with_it() -> None:
    """``responseData = JSON.parse(responseBody)`` (no ``var``), assigned once: read as the
    JSON body by the statements after it, as ``var`` would be."""
    source = (
        "responseData = JSON.parse(responseBody);\n"
        "pm.environment.set('id', responseData.id);\n"
        "tests['ok'] = responseData.ok === true;"
    )
    result = Translator(str).translate_test(source)
    assert result.expect.to_yaml() == {"json": {"$.ok": {"eq": True, "name": "ok"}}}
    assert [(c.name, c.source, c.expr) for c in result.captures] == [("id", "json", "$.id")]
    assert result.remaining is None


@pytest.mark.parametrize(
    "source",
    [
        # assigned twice: not one value
        "responseData = JSON.parse(responseBody); responseData = 3; "
        "pm.environment.set('id', responseData.id);",
        # read before it is assigned (a ReferenceError in Postman)
        "pm.environment.set('id', responseData.id); responseData = JSON.parse(responseBody);",
    ],
)
def test_an_assignment_without_var_that_is_not_one_alias_stays_script(source: str) -> None:
    result = Translator(str).translate_test(source)
    assert not result.captures and result.remaining == source + "\n"


@pytest.mark.parametrize(
    ("source", "capture"),
    [
        (
            "var data = pm.response.json();\n"
            "if (data.token !== undefined) { pm.environment.set('token', data.token); }",
            ("token", "json", "$.token"),
        ),
        (
            "var data = pm.response.json();\n"
            "if (typeof data.token !== 'undefined') pm.environment.set('token', data.token);",
            ("token", "json", "$.token"),
        ),
        (
            "if (undefined !== pm.response.headers.get('X-Id')) {\n"
            "    pm.environment.set('xid', pm.response.headers.get('X-Id'));\n}",
            ("xid", "header", "X-Id"),
        ),
    ],
)
def test_a_setter_guarded_by_a_defined_test_is_the_optional_capture(
    source: str, capture: tuple[str, str, str]
) -> None:
    result = Translator(str).translate_test(source)
    assert [(c.name, c.source, c.expr, c.guarded) for c in result.captures] == [(*capture, True)]
    assert result.remaining is None


@pytest.mark.parametrize(
    ("guard", "reason"),
    [
        # also skips 0, "", false and null, which the capture would set
        ("if (data.token) { pm.environment.set('token', data.token); }", "a condition (if)"),
        # != also skips null
        ("if (data.token != undefined) { pm.environment.set('token', data.token); }",
         "a condition (if)"),
        ("if (data.other !== undefined) { pm.environment.set('token', data.token); }",
         "a condition (if) on another value than the one set"),
        ("if (data.token !== undefined) { pm.environment.set('token', data.token); } "
         "else { pm.environment.unset('token'); }", "a condition (if)"),
    ],
)  # fmt: skip
def test_other_guarded_setters_stay_script(guard: str, reason: str) -> None:
    result = Translator(str).translate_test("var data = pm.response.json();\n" + guard)
    assert not result.captures and result.remaining is not None
    assert [k.reason for k in result.kept] == [reason]
