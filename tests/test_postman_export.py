"""``runner export postman`` and ``postman-environment``: valid v2.1, same checks, stable round
trip."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import RunCli
from postman_support import SHARED, WriteFile, corpus_collections, needs_shared, write_json

from runner.core.model import RequestStep, walk
from runner.format.loader import load_collection, parse_collection
from runner.formats.postman.exporter import export_collection
from runner.formats.postman.importer import import_files
from runner.formats.postman.script_export import Notes

SCHEMA = SHARED / "postman-schemas" / "compiled" / "collection.v2.1.0.draft-04.json"

FULL = """\
name: Everything
description: A collection that uses every check and capture.
variables:
  base_url: https://api.example.com
  user: ada
auth: {type: bearer, token: <<token>>}
steps:
  - folder: Users
    auth: {type: basic, username: <<user>>, password: pw-1234}
    steps:
      - request: Log in
        method: POST
        url: <<base_url>>/login?via=yaml
        params: {debug: {value: "1", enabled: false}, page: [1, 2]}
        headers: {Accept: application/json, X-Id: <<guid()>>}
        body:
          form: {user: <<user>>, note: "a+b&c"}
        follow_redirects: true
        capture:
          token: $.token
          ref: {header: X-Ref}
          session: {cookie: sid}
          order: {regex: 'Order #(\\d+)'}
          code: {status: true}
          raw: {body: true}
        expect:
          status: [200, 201]
          headers:
            Content-Type: {contains: json}
            X-Deprecated: {exists: false}
          json:
            $.token: {type: string, length: 20}
            $.user.id: <<user>>
            $.user.name: {matches: '^A', ne: Bob}
            $.roles: {contains: admin}
            $['odd-key'][0]: {in: [1, 2], ge: 1, le: 2}
            $.age: {gt: 1, lt: 200, type: integer}
            $.nothing: {exists: false}
          body: {contains: token}
          max_time_ms: 800
          schema: {type: object, required: [token]}
        examples:
          - status: 200
            description: logged in
            headers: {Content-Type: application/json}
            json: {token: abc}
      - request: Profile
        url: <<base_url>>/users/<<user>>
        auth: {type: none}
        expect:
          status: 200
          body: 'exact text'
  - request: Upload
    method: PUT
    url: <<base_url>>/files
    body:
      multipart:
        name: report
        file: {file: report.csv, content_type: text/csv}
  - request: Query
    method: POST
    url: <<base_url>>/graphql
    body:
      graphql:
        query: 'query { me { id } }'
        variables: {id: <<user>>}
  - request: Binary
    method: PUT
    url: <<base_url>>/blob
    body: {file: data.bin}
  - request: Raw
    method: PUT
    url: <<base_url>>/raw
    body: {text: "a << b", content_type: text/csv}
  - browser: Consent
    url: https://auth.example.com/authorize
  - pause: Code
    variable: code
"""


def _checks(path_or_text: Any) -> list[Any]:
    collection = (
        parse_collection(path_or_text, "x.yaml")
        if isinstance(path_or_text, str)
        else load_collection(path_or_text)
    )
    out = []
    for step, _ in walk(collection.steps):
        if isinstance(step, RequestStep):
            out.append(
                (
                    step.name,
                    [
                        (c.subject, c.target, [(m.op, m.expected) for m in c.matchers])
                        for c in step.checks
                    ],
                    [(c.variable, c.source, c.expr, c.group) for c in step.captures],
                )
            )
    return out


def _schema_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))


@needs_shared
def test_a_full_collection_exports_valid_and_imports_back_with_the_same_checks(
    tmp_path: Path,
) -> None:
    notes = Notes()
    document = export_collection(parse_collection(FULL, str(tmp_path / "full.yaml")), notes)
    errors = list(_schema_validator().iter_errors(document))
    assert errors == [], errors[0].message
    assert any("browser step has no Postman form" in n for n in notes.items)
    assert any("pause step has no Postman form" in n for n in notes.items)
    login = document["item"][0]["item"][0]
    assert login["request"]["url"]["raw"] == "{{base_url}}/login?via=yaml&page=1&page=2"
    assert {"key": "debug", "value": "1", "disabled": True} in login["request"]["url"]["query"]
    assert login["request"]["header"][1] == {"key": "X-Id", "value": "{{$guid}}"}
    assert login["request"]["body"]["urlencoded"][1]["value"] == "a+b&c"
    assert document["auth"]["bearer"] == [{"key": "token", "value": "{{token}}", "type": "string"}]
    script = "\n".join(login["event"][0]["script"]["exec"])
    assert 'pm.environment.set("token", pm.response.json().token);' in script
    assert "pm.response.to.have.jsonSchema(" in script
    binary = next(i for i in document["item"] if i["name"] == "Binary")
    assert binary["request"]["body"] == {"mode": "file", "file": {"src": "data.bin"}}
    source = write_json(tmp_path / "exported.json", document)
    back = import_files(source, output=tmp_path / "again")
    assert _checks(back.outputs[0].text) == _checks(FULL)
    raw = back.outputs[0].text
    assert "text: a <<'<<'>> b" in raw  # the literal << survived both ways


@needs_shared
@pytest.mark.parametrize(
    "path",
    [p for p in corpus_collections() if "v1" not in p.name],
    ids=lambda p: p.relative_to(SHARED).as_posix(),
)
def test_every_imported_collection_exports_valid_and_round_trips(
    tmp_path: Path, path: Path
) -> None:
    first = import_files(path, output=tmp_path / "one")
    collection = parse_collection(first.outputs[0].text, str(tmp_path / "one" / "c.yaml"))
    document = export_collection(collection, Notes())
    errors = list(_schema_validator().iter_errors(document))
    assert errors == [], f"{errors[0].message} at {list(errors[0].absolute_path)}"
    again = import_files(write_json(tmp_path / path.name, document), output=tmp_path / "two")

    def body(text: str) -> str:  # the header comment names the source file
        return "\n".join(line for line in text.split("\n") if not line.startswith("#"))

    assert body(again.outputs[0].text) == body(first.outputs[0].text)


def test_export_writes_a_file_atomically_or_prints(
    run_cli: RunCli, tmp_path: Path, write_file: WriteFile
) -> None:
    source = write_file(
        "c.yaml",
        """
        name: Small
        variables: {client_secret: not-a-template}
        steps:
          - request: Ping
            url: https://api.example.com/ping
            expect: {status: 200}
        """,
    )
    printed = run_cli("export", "postman", source)
    assert printed.code == 0
    document = json.loads(printed.out)
    assert document["info"]["name"] == "Small"
    out = tmp_path / "small.postman_collection.json"
    written = run_cli("export", "postman", source, "-o", out)
    assert written.code == 0 and f"wrote {out}" in written.out
    assert json.loads(out.read_text()) == document
    assert os.stat(out).st_mode & 0o777 == 0o600  # it holds the client secret's value
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_of_an_invalid_collection_fails_clearly(
    run_cli: RunCli, tmp_path: Path, write_file: WriteFile
) -> None:
    source = write_file("bad.yaml", "name: Bad\nsteps:\n  - request: x\n    metod: GET\n")
    result = run_cli("export", "postman", source, "-o", tmp_path / "out.json")
    assert result.code == 2 and "unknown key 'metod'" in result.err
    assert not (tmp_path / "out.json").exists()


def test_environment_export_and_back(
    run_cli: RunCli, tmp_path: Path, write_file: WriteFile
) -> None:
    env = write_file(
        "staging.yaml",
        """
        name: staging
        variables:
          base_url: https://staging.example.com
          api_token: t-1234
          callback: <<base_url>>/cb
          retries: 3
          customer: qa@example.com
        secrets: [customer]
        """,
    )
    out = tmp_path / "staging.postman_environment.json"
    result = run_cli("export", "postman-environment", env, "-o", out)
    assert result.code == 0, result.output
    document = json.loads(out.read_text())
    values = {v["key"]: (v["value"], v["type"]) for v in document["values"]}
    assert values == {
        "base_url": ("https://staging.example.com", "default"),
        "api_token": ("t-1234", "secret"),
        "callback": ("{{base_url}}/cb", "default"),
        "retries": ("3", "default"),
        "customer": ("qa@example.com", "secret"),
    }
    assert os.stat(out).st_mode & 0o777 == 0o600
    collection = write_json(
        tmp_path / "c.json",
        {
            "info": {
                "name": "c",
                "schema": "https://schema.getpostman.com/json/collection/v2.1.0/",
            },
            "item": [{"name": "r", "request": {"url": "{{callback}}"}}],
        },
    )
    back = import_files(collection, [out], output=tmp_path / "back")
    text = back.outputs[1].text
    assert "callback: <<base_url>>/cb" in text and "secrets: [api_token, customer]" in text


def test_exported_checks_are_what_the_importer_reads(tmp_path: Path) -> None:
    """Every operator on every subject survives export -> import (the translator reads the
    JavaScript the exporter writes)."""
    text = FULL.replace("  - browser: Consent\n    url: https://auth.example.com/authorize\n", "")
    text = text.replace("  - pause: Code\n    variable: code\n", "")
    collection = parse_collection(text, str(tmp_path / "c.yaml"))
    document = export_collection(collection, Notes())
    back = import_files(write_json(tmp_path / "e.json", document), output=tmp_path / "o")
    assert back.report.kept == []
    assert back.report.translated_share == 1.0


def test_a_capture_s_missing_value_rule_survives_export_and_import(tmp_path: Path) -> None:
    """``default: null``, ``default: ''`` and ``optional`` are the three Postman setters the
    importer reads back as the same capture; another default is a script that sets it."""
    text = """
name: Missing values
steps:
  - request: Get
    url: https://api.example.com/
    capture:
      as_null: {json: $.a, default: null}
      as_empty: {header: X-A, default: ''}
      kept: {json: $.b, optional: true}
      other: {json: $.c, default: 5}
"""
    document = export_collection(parse_collection(text, str(tmp_path / "c.yaml")), Notes())
    script = document["item"][0]["event"][0]["script"]["exec"]
    assert script[:4] == [
        'pm.environment.set("as_null", pm.response.json().a);',
        'pm.variables.set("as_empty", pm.response.headers.get("X-A"));',
        'if (pm.response.json().b !== undefined) { pm.environment.set("kept", '
        "pm.response.json().b); }",
        'pm.environment.set("other", pm.response.json().c === undefined ? 5 : '
        "pm.response.json().c);",
    ]
    back = import_files(write_json(tmp_path / "e.json", document), output=tmp_path / "o")
    step = parse_collection(back.outputs[0].text, str(tmp_path / "o.yaml")).steps[0]
    assert isinstance(step, RequestStep)
    assert [(c.variable, c.optional, c.has_default, c.default) for c in step.captures] == [
        ("as_null", False, True, None),
        ("as_empty", False, True, ""),
        ("kept", True, False, None),
    ]
