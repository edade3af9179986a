"""``runner import postman``: the mapping, the report, bad input, and the shared corpus."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import EchoServer, RawEchoServer
from postman_support import (
    SHARED,
    collection,
    corpus_collections,
    corpus_environments,
    files_under,
    needs_shared,
    request,
    write_json,
)

from runner.core.files import write_all
from runner.core.model import Folder, RequestStep, walk
from runner.format.loader import load_collection
from runner.formats.postman.convert import iter_requests
from runner.formats.postman.importer import import_files


def do_import(run_cli: Any, tmp_path: Path, doc: Any, *args: str) -> tuple[dict[str, Any], str]:
    """Import ``doc``; return the collection YAML as data and the report."""
    src = write_json(tmp_path / "in" / "collection.json", doc)
    out = tmp_path / "out"
    result = run_cli("import", "postman", src, "-o", out, *args)
    assert result.code == 0, result.output
    (path,) = (out / "collections").glob("*.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8")), result.out


def imported_path(tmp_path: Path) -> Path:
    (path,) = (tmp_path / "out" / "collections").glob("*.yaml")
    return path


# -- structure ----------


def test_folders_keep_their_order_and_nesting(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection(
        request("first", "https://api.example.com/1"),
        {
            "name": "Outer",
            "item": [
                request("inner one", "https://api.example.com/2"),
                {"name": "Inner", "item": [request("deep", "https://api.example.com/3")]},
                request("inner two", "https://api.example.com/4"),
            ],
        },
        request("last", "https://api.example.com/5"),
    )
    data, report = do_import(run_cli, tmp_path, doc)
    steps = data["steps"]
    assert [s.get("request") or s.get("folder") for s in steps] == ["first", "Outer", "last"]
    outer = steps[1]["steps"]
    assert [s.get("request") or s.get("folder") for s in outer] == [
        "inner one",
        "Inner",
        "inner two",
    ]
    assert outer[1]["steps"][0]["request"] == "deep"
    loaded = load_collection(imported_path(tmp_path))
    names = [s.name for s, _ in walk(loaded.steps) if isinstance(s, RequestStep)]
    assert names == ["first", "inner one", "deep", "inner two", "last"]
    assert "5 requests in 2 folders" in report


def test_collection_folder_and_request_variables(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection(
        {
            "name": "F",
            "variable": [{"key": "region", "value": "eu"}],
            "item": [
                request("in F", "https://{{region}}.example.com/{{version}}"),
            ],
        },
        {
            "name": "G",
            "variable": [{"key": "version", "value": "v9"}],
            "item": [
                request(
                    "in G",
                    "https://{{region}}.example.com/{{version}}",
                    variable=[{"key": "leaf", "value": "x"}],
                ),
            ],
        },
        variable=[
            {"key": "version", "value": "v1"},
            {"key": "off", "value": "1", "disabled": True},
        ],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    variables = data["variables"]
    assert variables["version"] == "v1" and variables["region"] == "eu"
    assert "off" not in variables  # disabled: Postman ignores it too
    in_f, in_g = data["steps"][0]["steps"][0], data["steps"][1]["steps"][0]
    assert in_f["url"] == "https://<<region>>.example.com/<<version>>"
    # G's own "version" differs from the collection's: it is renamed inside G only
    scoped = re.search(r"<<(version_\w+)>>", in_g["url"])
    assert scoped and variables[scoped.group(1)] == "v9"
    assert variables["leaf"] == "x"
    assert "version" in report and "inside" in report


def test_variables_in_every_place_and_whitespace_variants(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection(
        request(
            "everything",
            {
                "raw": "{{base}}/users/:id?q={{term}}&plain=1",
                "host": ["{{base}}"],
                "path": ["users", ":id"],
                "query": [{"key": "q", "value": "{{term}}"}, {"key": "plain", "value": "1"}],
                "variable": [{"key": "id", "value": "{{user-id}}"}],
            },
            method="POST",
            header=[
                {"key": "X-Token", "value": "{{token}}"},
                {"key": "X-Spaced", "value": "{{ term }}"},
            ],
            body={
                "mode": "raw",
                "raw": '{"who": "{{name}}", "as": << {{name}}}',
                "options": {"raw": {"language": "json"}},
            },
            auth={
                "type": "basic",
                "basic": [
                    {"key": "username", "value": "{{user}}"},
                    {"key": "password", "value": "{{pass}}"},
                ],
            },
        ),
        variable=[
            {"key": k, "value": "v"}
            for k in ("base", "term", "token", "name", "user", "pass", "user-id")
        ],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    step = data["steps"][0]
    assert step["url"] == "<<base>>/users/<<user_id>>"  # path variable :id, renamed user-id
    assert step["params"] == {"q": "<<term>>", "plain": "1"}
    assert step["headers"]["X-Token"] == "<<token>>"
    assert step["headers"]["X-Spaced"] == "{{ term }}"  # Postman sends it as written
    assert step["body"]["text"] == '{"who": "<<name>>", "as": <<\'<<\'>> <<name>>}'
    assert step["body"]["content_type"] == "application/json"
    assert step["auth"] == {"type": "basic", "username": "<<user>>", "password": "<<pass>>"}
    assert "user-id -> user_id" in report
    assert "spaces inside the braces" in report


def test_variables_reach_the_server_and_literals_stay_literal(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request(
            "send",
            "{{host}}/post?q={{term}}",
            method="POST",
            header=[{"key": "X-Spaced", "value": "{{ term }}"}],
            body={"mode": "raw", "raw": "a << b {{term}}"},
        ),
        variable=[
            {"key": "host", "value": "http://unused.invalid"},
            {"key": "term", "value": "café & co"},
        ],
    )
    do_import(run_cli, tmp_path, doc)
    result = run_cli("run", imported_path(tmp_path), "--var", f"host={echo.url}")
    assert result.code == 0, result.output
    sent = echo.log[-1]
    assert ("q", "café & co") in sent.query
    assert sent.headers["x-spaced"] == "{{ term }}"
    assert sent.body == "a << b café & co".encode()
    assert sent.headers["content-type"] == "text/plain"  # raw without a language, as Postman


def test_dynamic_variables_become_helpers(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request(
            "dynamic",
            "{{host}}/get?id={{$guid}}&n={{$randomInt}}&t={{$timestamp}}&iso={{$isoTimestamp}}"
            "&mail={{$randomEmail}}&who={{$randomFirstName}}&odd={{$notAThing}}",
        ),
        variable=[{"key": "host", "value": echo.url}],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    params = data["steps"][0]["params"]
    assert params["id"] == "<<guid()>>" and params["n"] == "<<randomInt()>>"
    assert params["t"] == "<<timestamp()>>" and params["iso"] == "<<isoTimestamp()>>"
    assert params["odd"] == "{{$notAThing}}"
    assert "{{$notAThing}} is not a dynamic variable" in report
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output
    args = dict(echo.log[-1].query)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", args["id"]
    )
    assert 0 <= int(args["n"]) <= 1000 and int(args["t"]) > 1_600_000_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", args["iso"])
    assert "@" in args["mail"] and args["who"] and args["odd"] == "{{$notAThing}}"


# -- auth ----------


def _auth(kind: str, **values: Any) -> dict[str, Any]:
    return {"type": kind, kind: [{"key": k, "value": v} for k, v in values.items()]}


def test_auth_at_every_level_with_inheritance_and_noauth(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request("inherits the collection", "{{host}}/basic-auth"),
        {
            "name": "Keys",
            "auth": _auth("apikey", key="X-Api-Key", value="{{key}}", **{"in": "header"}),
            "item": [
                request("inherits the folder", "{{host}}/headers"),
                request("own bearer", "{{host}}/headers", auth=_auth("bearer", token="t-123")),
                request("no auth", "{{host}}/headers", auth={"type": "noauth"}),
                request(
                    "query key",
                    "{{host}}/get",
                    auth=_auth("apikey", key="api_key", value="k9", **{"in": "query"}),
                ),
            ],
        },
        request(
            "digest",
            "{{host}}/digest-auth",
            auth=_auth("digest", username="postman", password="password", realm="Users"),
        ),
        auth=_auth("basic", username="postman", password="{{secret}}"),
        variable=[
            {"key": "host", "value": echo.url},
            {"key": "key", "value": "k-42"},
            {"key": "secret", "value": "password"},
        ],
    )
    data, _ = do_import(run_cli, tmp_path, doc)
    assert data["auth"] == {"type": "basic", "username": "postman", "password": "<<secret>>"}
    keys = data["steps"][1]
    assert keys["auth"] == {
        "type": "apikey",
        "key": "X-Api-Key",
        "value": "<<key>>",
        "in": "header",
    }
    assert "auth" not in keys["steps"][0]
    assert keys["steps"][2]["auth"] == {"type": "none"}
    assert data["steps"][2]["auth"] == {
        "type": "digest",
        "username": "postman",
        "password": "password",
    }
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output
    by_path = [(r.path, r.headers, dict(r.query)) for r in echo.log]
    assert by_path[0][1]["authorization"].startswith("Basic ")
    assert by_path[1][1]["x-api-key"] == "k-42" and "authorization" not in by_path[1][1]
    assert by_path[2][1]["authorization"] == "Bearer t-123"
    assert "authorization" not in by_path[3][1] and "x-api-key" not in by_path[3][1]
    assert by_path[4][2]["api_key"] == "k9"
    assert by_path[-1][0] == "/digest-auth" and by_path[-1][1]["authorization"].startswith(
        "Digest "
    )


def test_oauth2_maps_to_the_helper_or_to_its_saved_token(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection(
        request(
            "configured",
            "https://api.example.com/a",
            auth=_auth(
                "oauth2",
                grant_type="authorization_code_with_pkce",
                accessTokenUrl="https://auth.example.com/token",
                authUrl="https://auth.example.com/a",
                redirect_uri="http://127.0.0.1:8765/cb",
                clientId="{{client_id}}",
                clientSecret="{{client_secret}}",
                scope="read write",
                client_authentication="body",
            ),
        ),
        request(
            "client credentials",
            "https://api.example.com/b",
            auth=_auth(
                "oauth2",
                grant_type="client_credentials",
                accessTokenUrl="https://auth.example.com/t",
                clientId="cid",
                clientSecret="cs",
            ),
        ),
        request(
            "saved token only",
            "https://api.example.com/c",
            auth=_auth("oauth2", accessToken="{{token}}", addTokenTo="header"),
        ),
        request(
            "implicit",
            "https://api.example.com/d",
            auth=_auth("oauth2", grant_type="implicit", accessToken="tok", authUrl="https://x/a"),
        ),
        request("oauth1", "https://api.example.com/e", auth=_auth("oauth1", consumerKey="k")),
    )
    data, report = do_import(run_cli, tmp_path, doc)
    steps = data["steps"]
    assert steps[0]["auth"] == {
        "type": "oauth2",
        "grant": "authorization_code",
        "token_url": "https://auth.example.com/token",
        "auth_url": "https://auth.example.com/a",
        "redirect_uri": "http://127.0.0.1:8765/cb",
        "client_id": "<<client_id>>",
        "client_secret": "<<client_secret>>",
        "scopes": ["read", "write"],
        "pkce": True,
        "client_auth": "body",
    }
    assert steps[1]["auth"]["grant"] == "client_credentials"
    assert steps[1]["auth"]["client_auth"] == "basic"
    assert steps[2]["auth"] == {"type": "bearer", "token": "<<token>>"}
    assert steps[3]["auth"] == {"type": "bearer", "token": "tok"}
    assert steps[4]["auth"] == {"type": "none"}
    assert "oauth2 grant 'implicit' is not supported" in report
    assert "oauth1 needs a consumer key and a consumer secret" in report  # Postman: unsigned


# -- bodies ----------


def test_body_modes_are_sent_as_postman_sends_them(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "out" / "collections").mkdir(parents=True)
    (tmp_path / "out" / "collections" / "upload.txt").write_text("file content\n")
    doc = collection(
        request(
            "raw json",
            "{{host}}/post",
            method="POST",
            body={"mode": "raw", "raw": '{"a": 1}', "options": {"raw": {"language": "json"}}},
        ),
        request(
            "urlencoded",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "urlencoded",
                "urlencoded": [
                    {"key": "a", "value": "1"},
                    {"key": "b", "value": "2", "disabled": True},
                ],
            },
        ),
        request(
            "formdata",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "formdata",
                "formdata": [
                    {"key": "field", "value": "text value", "type": "text"},
                    {"key": "upload", "src": "upload.txt", "type": "file"},
                ],
            },
        ),
        request(
            "graphql",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "graphql",
                "graphql": {
                    "query": "query ($id: ID!) { user(id: $id) { name } }",
                    "variables": '{"id": "{{user}}"}',
                },
            },
        ),
        request("get body pruned", "{{host}}/get", body={"mode": "raw", "raw": "ignored"}),
        request(
            "binary",
            "{{host}}/post",
            method="POST",
            body={"mode": "file", "file": {"src": "upload.txt"}},
        ),
        variable=[{"key": "host", "value": echo.url}, {"key": "user", "value": "u1"}],
    )
    data, report = do_import(run_cli, tmp_path, doc, "--force")
    steps = data["steps"]
    assert steps[0]["body"] == {"content_type": "application/json", "text": '{"a": 1}'}
    assert steps[1]["body"] == {"form": {"a": "1", "b": {"value": "2", "enabled": False}}}
    assert steps[2]["body"] == {
        "multipart": {"field": "text value", "upload": {"file": "upload.txt"}}
    }
    assert steps[3]["body"] == {
        "graphql": {
            "query": "query ($id: ID!) { user(id: $id) { name } }",
            "variables": {"id": "<<user>>"},
        }
    }
    assert "body" not in steps[4]
    assert steps[5]["body"] == {"file": "upload.txt"}
    assert "Postman does not send a body with GET" in report
    assert "file 'upload.txt' is read relative to the collection file" in report
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output
    raw, form, multipart, graphql = echo.log[:4]
    assert raw.body == b'{"a": 1}' and raw.headers["content-type"] == "application/json"
    assert form.body == b"a=1"
    assert b"text value" in multipart.body and b"file content" in multipart.body
    assert json.loads(graphql.body) == {
        "query": "query ($id: ID!) { user(id: $id) { name } }",
        "variables": {"id": "u1"},
    }
    assert echo.log[4].body == b""
    binary = echo.log[5]
    assert binary.body == b"file content\n" and binary.headers["content-type"] == "text/plain"


def test_disabled_headers_and_params_stay_disabled(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request(
            "disabled",
            {
                "raw": "{{host}}/get?on=1&off=2",
                "host": ["{{host}}"],
                "path": ["get"],
                "query": [
                    {"key": "on", "value": "1"},
                    {"key": "off", "value": "2", "disabled": True},
                ],
            },
            header=[
                {"key": "X-On", "value": "yes"},
                {"key": "X-Off", "value": "no", "disabled": True, "description": "later"},
            ],
        ),
        variable=[{"key": "host", "value": echo.url}],
    )
    data, _ = do_import(run_cli, tmp_path, doc)
    step = data["steps"][0]
    assert step["params"]["off"] == {"value": "2", "enabled": False}
    assert step["headers"]["X-Off"] == {"value": "no", "description": "later", "enabled": False}
    assert run_cli("run", imported_path(tmp_path)).code == 0
    sent = echo.log[-1]
    assert dict(sent.query) == {"on": "1"}
    assert sent.headers["x-on"] == "yes" and "x-off" not in sent.headers


def test_disabled_form_fields_are_kept_disabled_not_sent_and_round_trip(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """formdata and urlencoded: a disabled field stays in the YAML (enabled: false), is not
    sent, its variables are not required, export writes ``disabled: true`` back, and a
    disabled alternative of a sent field never replaces it."""
    doc = collection(
        request(
            "multipart",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "formdata",
                "formdata": [
                    {"key": "on", "value": "1", "type": "text"},
                    {"key": "off", "value": "{{nowhere}}", "type": "text", "disabled": True},
                    {"key": "gone", "src": "missing.bin", "type": "file", "disabled": True},
                    {"key": "alt", "value": "old", "type": "text", "disabled": True},
                    {"key": "alt", "value": "new", "type": "text"},
                ],
            },
        ),
        request(
            "urlencoded",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "urlencoded",
                "urlencoded": [
                    {"key": "x", "value": "{{nowhere}}", "disabled": True},
                    {"key": "x", "value": "2"},
                    {"key": "y", "value": "3", "disabled": True},
                ],
            },
        ),
        request(
            "all disabled",
            "{{host}}/post",
            method="POST",
            body={"mode": "formdata", "formdata": [{"key": "a", "value": "1", "disabled": True}]},
        ),
        variable=[{"key": "host", "value": echo.url}],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    parts = data["steps"][0]["body"]["multipart"]
    assert parts == {
        "on": "1",
        "off": {"value": "<<nowhere>>", "enabled": False},
        "gone": {"file": "missing.bin", "enabled": False},
        "alt": "new",
    }
    assert data["steps"][1]["body"] == {"form": {"x": "2", "y": {"value": "3", "enabled": False}}}
    assert data["steps"][2]["body"] == {"multipart": {"a": {"value": "1", "enabled": False}}}
    assert "'alt' appears twice: a disabled duplicate is left out" in report
    loaded = load_collection(imported_path(tmp_path))
    first = loaded.steps[0]
    assert isinstance(first, RequestStep) and first.body is not None
    assert [(p.name, p.enabled) for p in first.body.parts] == [
        ("on", True), ("off", False), ("gone", False), ("alt", True)
    ]  # fmt: skip
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output  # <<nowhere>> is undefined: disabled, not checked
    multipart, form, empty = echo.log[-3:]
    assert b'name="on"' in multipart.body and b'name="alt"' in multipart.body
    assert b"new" in multipart.body and b"old" not in multipart.body
    assert b'name="off"' not in multipart.body and b'name="gone"' not in multipart.body
    assert form.body == b"x=2"
    assert empty.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="a"' not in empty.body
    exported = run_cli("export", "postman", imported_path(tmp_path))
    assert exported.code == 0, exported.output
    document = json.loads(exported.out)
    formdata = document["item"][0]["request"]["body"]["formdata"]
    assert [(f["key"], f.get("disabled", False)) for f in formdata] == [
        ("on", False), ("off", True), ("gone", True), ("alt", False)
    ]  # fmt: skip
    urlencoded = document["item"][1]["request"]["body"]["urlencoded"]
    assert [(f["key"], f.get("disabled", False)) for f in urlencoded] == [("x", False), ("y", True)]
    again = tmp_path / "again"
    source = write_json(tmp_path / "exported.json", document)
    assert run_cli("import", "postman", source, "-o", again).code == 0
    (second,) = (again / "collections").glob("*.yaml")

    def body(text: str) -> str:  # the header comment names the source file
        return "\n".join(line for line in text.split("\n") if not line.startswith("#"))

    assert body(second.read_text()) == body(imported_path(tmp_path).read_text())


def test_variables_in_names_are_rendered_as_postman_renders_them(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """``{{var}}`` in a query parameter, header, urlencoded or form-data field name (Newman's
    esc-formdata fixture): imported as ``<<var>>`` and sent with the variable's value."""
    doc = collection(
        request(
            "urlencoded",
            {
                "raw": "{{host}}/post?{{qname}}=1",
                "host": ["{{host}}"],
                "path": ["post"],
                "query": [{"key": "{{qname}}", "value": "1"}],
            },
            method="POST",
            header=[{"key": "X-{{hname}}", "value": "h"}],
            body={
                "mode": "urlencoded",
                "urlencoded": [{"key": "{{fname}}", "value": "{{msg}}", "type": "text"}],
            },
        ),
        request(
            "formdata",
            "{{host}}/post",
            method="POST",
            body={
                "mode": "formdata",
                "formdata": [{"key": "{{fname}}-part", "value": "v", "type": "text"}],
            },
        ),
        variable=[
            {"key": "host", "value": echo.url},
            {"key": "qname", "value": "page"},
            {"key": "hname", "value": "Tenant"},
            {"key": "fname", "value": "hello"},
            {"key": "msg", "value": "hello\\kworld"},
        ],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    first, second = data["steps"]
    assert first["params"] == {"<<qname>>": "1"}
    assert first["headers"] == {"X-<<hname>>": "h"}
    assert first["body"] == {"form": {"<<fname>>": "<<msg>>"}}
    assert second["body"] == {"multipart": {"<<fname>>-part": "v"}}
    assert "a variable in a name" not in report
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output
    urlencoded, multipart = echo.log[-2:]
    assert urlencoded.query == [("page", "1")]
    assert urlencoded.headers["x-tenant"] == "h"
    assert urlencoded.body == b"hello=hello%5Ckworld"
    assert b'name="hello-part"' in multipart.body
    # with the strict check (native collections), an undefined variable in a name stops the
    # run before anything is sent, like a value's
    text = imported_path(tmp_path).read_text().replace("X-<<hname>>", "X-<<tenant_name>>")
    text = text.replace("undefined_variables: literal", "undefined_variables: error")
    imported_path(tmp_path).write_text(text)
    sent = len(echo.log)
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 2
    assert "undefined variable 'tenant_name'" in result.err
    line = next(i for i, t in enumerate(text.split("\n"), 1) if "X-<<tenant_name>>" in t)
    assert f"{imported_path(tmp_path)}:{line}" in result.err  # the name's own line
    assert len(echo.log) == sent


def test_descriptions_and_saved_examples_are_documentation(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection(
        request(
            "documented",
            "https://api.example.com/users",
            description="Lists **users**.",
            response=[
                {
                    "name": "OK",
                    "code": 200,
                    "status": "OK",
                    "header": [{"key": "Content-Type", "value": "application/json"}],
                    "body": '{"users": []}',
                },
                {"name": "Plain", "code": 404, "body": "not here"},
            ],
        ),
        description="The API.",
    )
    data, _ = do_import(run_cli, tmp_path, doc)
    assert data["description"] == "The API."
    step = data["steps"][0]
    assert step["description"] == "Lists **users**."
    assert step["examples"] == [
        {
            "status": 200,
            "description": "OK",
            "headers": {"Content-Type": "application/json"},
            "json": {"users": []},
        },
        {"status": 404, "description": "Plain", "text": "not here"},
    ]
    loaded = load_collection(imported_path(tmp_path))
    first = loaded.steps[0]
    assert isinstance(first, RequestStep) and first.examples[0].status == 200


def test_redirects_follow_as_in_postman_unless_turned_off(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request(
            "follows", "{{host}}/redirect-to?url=/get", test="pm.response.to.have.status(200);"
        ),
        request(
            "stays",
            "{{host}}/redirect-to?url=/get",
            test="pm.response.to.have.status(302);",
            protocolProfileBehavior={"followRedirects": False},
        ),
        variable=[{"key": "host", "value": echo.url}],
    )
    data, _ = do_import(run_cli, tmp_path, doc)
    assert data["redirects"]["follow"] is True  # Postman's default, written on the collection
    assert "redirects" not in data["steps"][0]
    assert data["steps"][1]["redirects"] == {"follow": False}
    assert run_cli("run", imported_path(tmp_path)).code == 0


def test_host_var_points_a_collection_at_the_stand_in(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    doc = collection(
        request(
            "echo",
            "https://postman-echo.com/get?x=1",
            test='pm.test("x", function () { pm.expect(pm.response.json().args.x).to.eql("1"); });',
        ),
    )
    data, _ = do_import(run_cli, tmp_path, doc, "--host-var", "https://postman-echo.com=echo")
    assert data["variables"] == {"echo": "https://postman-echo.com"}
    assert data["steps"][0]["url"] == "<<echo>>/get"
    result = run_cli("run", imported_path(tmp_path), "--var", f"echo={echo.url}")
    assert result.code == 0, result.output
    assert echo.log[-1].path == "/get"


# -- scripts and the report ----------


def test_untranslated_scripts_are_kept_verbatim_and_reported(
    run_cli: RunCli, tmp_path: Path
) -> None:
    test = "\n".join(
        [
            'pm.test("ok", function () { pm.response.to.have.status(200); });',
            "if (pm.response.code === 200) { postman.setNextRequest(null); }",
            "console.log('done');",
        ]
    )
    doc = collection(
        request(
            "scripted",
            "https://api.example.com/",
            event=[
                {
                    "listen": "prerequest",
                    "script": {"exec": ["pm.variables.set('t', Date.now());"]},
                },
                {"listen": "test", "script": {"exec": test.split("\n")}},
            ],
        ),
    )
    data, report = do_import(run_cli, tmp_path, doc)
    step = data["steps"][0]
    assert step["expect"] == {"status": {"eq": 200, "name": "ok"}}  # the pm.test's name
    assert step["scripts"]["prerequest"] == "pm.variables.set('t', Date.now());\n"
    assert step["scripts"]["test"] == (
        "if (pm.response.code === 200) { postman.setNextRequest(null); }\nconsole.log('done');\n"
    )
    assert "3 lines: 1 lines (33%) became 1 checks and 0 captures" in report
    assert "a condition (if): 1" in report and "logging (console): 1" in report
    assert "1 pre-request scripts kept" in report
    assert "kept as script (2 statements; run in Postman's sandbox: `run_scripts: true`" in report
    assert "not run" not in report
    assert data["run_scripts"] is True  # kept scripts run by default, as in Newman
    header = imported_path(tmp_path).read_text().split("\nname:")[0]
    assert "`run_scripts: true` runs them in Postman's own sandbox" in header
    loaded = load_collection(imported_path(tmp_path))
    assert loaded.steps[0].scripts is not None  # type: ignore[union-attr]


def test_kept_scripts_are_inert_unless_run_with_scripts(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """With ``--no-scripts`` a kept test script does nothing in a plain run and runs (and can
    fail the step) with ``runner run --scripts``; imported with the defaults it runs, as in
    Newman."""
    doc = collection(
        request(
            "truthiness",
            "{{host}}/get",
            test='tests["has a missing property"] = pm.response.json().missing_property;',
        ),
        variable=[{"key": "host", "value": echo.url}],
    )
    data, report = do_import(run_cli, tmp_path, doc, "--no-scripts")
    assert "scripts" in data["steps"][0] and "expect" not in data["steps"][0]
    assert "run_scripts" not in data
    assert "inert unless `runner run --scripts` runs them" in report
    assert run_cli("run", imported_path(tmp_path)).code == 0  # inert
    result = run_cli("run", imported_path(tmp_path), "--scripts")
    assert result.code == 1, result.output
    assert "has a missing property" in result.out
    data, _ = do_import(run_cli, tmp_path, doc, "--force")
    assert data["run_scripts"] is True
    result = run_cli("run", imported_path(tmp_path))  # the defaults: as Newman runs it
    assert result.code == 1, result.output
    assert "has a missing property" in result.out


LOOPED_TEST = """pm.test("sum", function () {
    var n = 0;
    for (var i = 0; i < 3; i++) { n += i; }
    pm.expect(n).to.eql(3);
});
tests["has a missing property"] = pm.response.json().missing_property;"""


def test_a_run_with_scripts_off_says_how_many_postman_tests_it_did_not_run(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """Scripts off (``--no-scripts``): the console's last line and the JSON summary count the
    pm.test / tests[] of the kept scripts of each step that ran, the collection's once per
    request; with scripts on there is nothing to say."""
    collection_test = {"listen": "test", "script": {"exec": ['pm.test("loop", function () {',
        "  for (var i = 0; i < 2; i++) { pm.expect(i).to.be.below(2); }", "});"]}}  # fmt: skip
    doc = collection(
        request("a", "{{host}}/get", test=LOOPED_TEST),
        request("b", "{{host}}/get"),
        event=[collection_test],
        variable=[{"key": "host", "value": echo.url}],
    )
    do_import(run_cli, tmp_path, doc, "--no-scripts")
    report = tmp_path / "report.json"
    result = run_cli(
        "run", imported_path(tmp_path), "--reporter", "console", "--reporter", f"json:{report}"
    )
    assert result.code == 0, result.output
    last = result.out.rstrip("\n").splitlines()[-1]
    assert (
        last
        == "4 Postman tests in scripts were not run (run_scripts: false; `run --scripts` runs them)"
    )
    assert json.loads(report.read_text())["summary"]["postman_tests_not_run"] == 4
    do_import(run_cli, tmp_path, doc, "--force")
    result = run_cli(
        "run", imported_path(tmp_path), "--reporter", "console", "--reporter", f"json:{report}"
    )
    assert result.code == 1, result.output
    assert "not run" not in result.out
    assert json.loads(report.read_text())["summary"]["postman_tests_not_run"] == 0


def test_a_translated_setter_of_a_missing_value_stores_null_as_newman_does(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """Newman stores ``pm.environment.set("x", data.missing)`` as null (a later ``{{x}}``
    is sent as ``null``; empty for ``pm.variables``) and goes on: the translated capture is
    written ``default: null`` (``''``), the step passes, and an earlier value is replaced; a
    guarded setter keeps it."""
    script = "\n".join([
        "var data = pm.response.json();",
        'pm.environment.set("nothing", data.missing_property);',
        'pm.environment.set("no_header", pm.response.headers.get("X-Nope"));',
        'pm.environment.set("url", data.url);',
        'if (data.gone !== undefined) { pm.environment.set("kept", data.gone); }',
        'pm.variables.set("local", data.missing_property);',
    ])  # fmt: skip
    doc = collection(
        request("sets", "{{host}}/get", test=script),
        request("uses", "{{host}}/get?n={{nothing}}&k={{kept}}&l={{local}}"),
        variable=[
            {"key": "host", "value": echo.url},
            {"key": "nothing", "value": "before"},
            {"key": "kept", "value": "before"},
        ],
    )
    data, _ = do_import(run_cli, tmp_path, doc, "--no-scripts")
    assert "scripts" not in data["steps"][0]  # wholly translated
    assert data["steps"][0]["capture"] == {
        "nothing": {"json": "$.missing_property", "default": None},
        "no_header": {"header": "X-Nope", "default": None},
        "url": {"json": "$.url", "default": None},
        "kept": {"json": "$.gone", "optional": True},
        "local": {"json": "$.missing_property", "default": ""},  # pm.variables: empty
    }
    report = tmp_path / "report.json"
    result = run_cli("run", imported_path(tmp_path), "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    first, second = json.loads(report.read_text())["steps"]
    assert first["status"] == "passed"
    assert list(first["captures"]) == ["nothing", "no_header", "url", "local"]
    assert second["request"]["url"].endswith("/get?n=null&k=before&l=")


def test_folder_and_collection_tests_apply_to_every_request_below(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    status = {"listen": "test", "script": {"exec": ["pm.response.to.have.status(200);"]}}
    header = {
        "listen": "test",
        "script": {
            "exec": [
                "pm.response.to.have.header('Content-Type');",
                "pm.environment.set('never', pm.response.json().x);",
            ]
        },
    }
    doc = collection(
        {
            "name": "F",
            "event": [header],
            "item": [request("a", "{{host}}/get"), request("b", "{{host}}/status/404")],
        },
        event=[status],
        variable=[{"key": "host", "value": echo.url}],
    )
    data, report = do_import(run_cli, tmp_path, doc)
    assert "a variable set in a folder or collection script" in report
    folder = data["steps"][0]
    for step in folder["steps"]:
        assert step["expect"] == {"status": 200, "headers": {"Content-Type": {"exists": True}}}
    # a capture in a folder script would fail where the value is absent: kept as script
    assert "pm.environment.set('never'" in folder["scripts"]["test"]
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 1 and "status: expected 200, got 404" in result.output


# -- bad input ----------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b'["a", "list"]', "not a Postman collection"),
        (b'{"info": {"name": "x"}}', "has no 'item' list"),
        (
            json.dumps({"id": "1", "name": "v1", "order": [], "requests": [{"id": "r"}]}).encode(),
            "Collection v1 file, which is not supported",
        ),
        (json.dumps(collection({"name": "odd"})).encode(), "has neither 'request' nor 'item'"),
        (
            json.dumps(
                {
                    "info": {
                        "name": "x",
                        "schema": "https://schema.getpostman.com/json/"
                        "collection/v9.0.0/collection.json",
                    },
                    "item": [],
                }
            ).encode(),
            "unknown Postman collection schema",
        ),
        (json.dumps({"name": "env", "values": []}).encode(), "is a Postman environment"),
        (b"\xff\xfe\x00\xd8", "is not UTF-16 text"),
        (b'{"a": "\xff"}', "is not UTF-8 text"),
    ],
)
def test_bad_input_is_one_clear_error_and_writes_nothing(
    run_cli: RunCli, tmp_path: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "in.json"
    src.write_bytes(content)
    out = tmp_path / "out"
    result = run_cli("import", "postman", src, "-o", out)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("error:") == 1 and "Traceback" not in result.err
    assert not out.exists() or files_under(out) == []


def test_a_50_mb_collection_is_refused_before_reading(run_cli: RunCli, tmp_path: Path) -> None:
    src = tmp_path / "huge.json"
    with src.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run_cli("import", "postman", src, "-o", tmp_path / "out")
    assert result.code == 2 and "too large" in result.err
    assert not (tmp_path / "out").exists()


def test_existing_files_are_kept_unless_forced(run_cli: RunCli, tmp_path: Path) -> None:
    src = write_json(tmp_path / "c.json", collection(request("r", "https://x.example/")))
    out = tmp_path / "out"
    assert run_cli("import", "postman", src, "-o", out).code == 0
    target = out / "collections" / "test.yaml"
    target.write_text("# mine\n")
    result = run_cli("import", "postman", src, "-o", out)
    assert result.code == 2 and "exists" in result.err
    assert target.read_text() == "# mine\n"
    assert run_cli("import", "postman", src, "-o", out, "--force").code == 0
    assert target.read_text().startswith("# Imported from Postman")


def test_a_failing_environment_leaves_no_collection_behind(run_cli: RunCli, tmp_path: Path) -> None:
    src = write_json(tmp_path / "c.json", collection(request("r", "https://x.example/")))
    env = tmp_path / "env.json"
    env.write_text("{broken")
    out = tmp_path / "out"
    result = run_cli("import", "postman", src, "-e", env, "-o", out)
    assert result.code == 2 and "env.json is not valid JSON" in result.err
    assert not out.exists()


def test_environments_and_globals(run_cli: RunCli, tmp_path: Path) -> None:
    src = write_json(
        tmp_path / "c.json",
        collection(
            request("r", "{{base}}/{{shared}}"), variable=[{"key": "shared", "value": "collection"}]
        ),
    )
    env = write_json(
        tmp_path / "staging.json",
        {
            "name": "Staging",
            "values": [
                {"key": "base", "value": "https://staging.example.com", "enabled": True},
                {"key": "api-token", "value": "s3cr3t", "type": "secret", "enabled": True},
                {"key": "old", "value": "x", "enabled": False},
            ],
        },
    )
    globals_ = write_json(
        tmp_path / "g.json",
        [
            {"key": "shared", "value": "global", "enabled": True},
            {"key": "region", "value": "eu", "enabled": True},
        ],
    )
    out = tmp_path / "out"
    result = run_cli("import", "postman", src, "-e", env, "-g", globals_, "-o", out)
    assert result.code == 0, result.output
    written = yaml.safe_load((out / "environments" / "staging.yaml").read_text())
    assert written == {
        "name": "Staging",
        "variables": {"region": "eu", "base": "https://staging.example.com", "api_token": "s3cr3t"},
        "secrets": ["api_token"],
    }
    assert os.stat(out / "environments" / "staging.yaml").st_mode & 0o777 == 0o600
    assert "global 'shared' left out" in result.out
    check = run_cli(
        "check", out / "collections" / "test.yaml", "-e", out / "environments" / "staging.yaml"
    )
    assert check.code == 0, check.output


# -- the shared corpus ----------


@needs_shared
@pytest.mark.parametrize(
    "path", corpus_collections(), ids=lambda p: p.relative_to(SHARED).as_posix()
)
def test_every_shared_collection_imports_and_checks(
    run_cli: RunCli, tmp_path: Path, path: Path
) -> None:
    raw = path.read_bytes()
    source = json.loads(raw.decode("utf-16" if raw.startswith(b"\xff\xfe") else "utf-8-sig"))
    if "requests" in source and "item" not in source:  # a v1 file: refused, clearly
        refused = run_cli("import", "postman", path, "-o", tmp_path)
        assert refused.code == 2 and "Collection v1" in refused.err
        assert "postman-collection-transformer" in refused.err
        return
    result = import_files(path, output=tmp_path)
    write_all(result.outputs)
    loaded = load_collection(result.outputs[0].path)
    requests = [s for s, _ in walk(loaded.steps) if isinstance(s, RequestStep)]
    assert len(requests) == len(list(iter_requests(source))) == result.report.requests
    placeholders = [f"{name}=placeholder" for name in result.report.undefined]
    check = run_cli(
        "check", result.outputs[0].path, *[a for p in placeholders for a in ("--var", p)]
    )
    assert check.code == 0, check.output


@needs_shared
@pytest.mark.parametrize(
    "path", corpus_environments(), ids=lambda p: p.relative_to(SHARED).as_posix()
)
def test_every_shared_environment_imports(run_cli: RunCli, tmp_path: Path, path: Path) -> None:
    src = write_json(tmp_path / "c.json", collection(request("r", "https://x.example/")))
    flag = "-g" if path.name.endswith("postman_globals.json") else "-e"
    result = run_cli("import", "postman", src, flag, path, "-o", tmp_path / "out")
    assert result.code == 0, result.output
    (env,) = (tmp_path / "out" / "environments").glob("*.yaml")
    check = run_cli("check", tmp_path / "out" / "collections" / "test.yaml", "-e", env)
    assert check.code == 0, check.output


@needs_shared
def test_the_corpus_report_counts_every_request_and_the_translated_share(tmp_path: Path) -> None:
    total_requests = total_lines = translated = 0
    for path in corpus_collections():
        raw = json.loads(path.read_bytes().decode("utf-8-sig", "replace") or "{}")
        if "item" not in raw:
            continue
        report = import_files(path, output=tmp_path).report
        assert report.requests == len(list(iter_requests(raw)))
        total_requests += report.requests
        total_lines += report.test_lines
        translated += report.translated_lines
    assert total_requests > 1000
    assert 0 < translated < total_lines


def test_folders_without_requests_are_left_out_and_said(run_cli: RunCli, tmp_path: Path) -> None:
    doc = collection({"name": "Empty", "item": []}, request("r", "https://x.example/"))
    data, report = do_import(run_cli, tmp_path, doc)
    assert [s.get("request") for s in data["steps"]] == ["r"]
    assert "empty folder left out" in report
    loaded = load_collection(imported_path(tmp_path))
    assert not any(isinstance(s, Folder) for s in loaded.steps)


def test_the_import_never_runs_javascript(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """A script that would call the server if it ran: the import sends nothing."""
    evil = f"pm.sendRequest('{echo.url}/get?ran=1', function () {{}});"
    doc = collection(
        request(
            "r",
            f"{echo.url}/status/200",
            test=evil,
            event=[
                {"listen": "prerequest", "script": {"exec": [evil]}},
                {"listen": "test", "script": {"exec": [evil]}},
            ],
        )
    )
    do_import(run_cli, tmp_path, doc)
    assert echo.log == []


def test_custom_methods_are_kept(run_cli: RunCli, tmp_path: Path) -> None:
    with RawEchoServer() as raw_server:
        doc = collection(
            request(
                "custom",
                raw_server.url + "/",
                method="POSTMAN",
                test="pm.expect(pm.response.text()).to.include('POSTMAN / HTTP/1.1');",
            )
        )
        data, _ = do_import(run_cli, tmp_path, doc)
        assert data["steps"][0]["method"] == "POSTMAN"
        assert run_cli("run", imported_path(tmp_path)).code == 0


def test_the_report_masks_secrets_quoted_by_scripts(run_cli: RunCli, tmp_path: Path) -> None:
    canary = "canary-secret-7f3a9"
    doc = collection(
        request(
            "r",
            "https://x.example/",
            test=f'if (pm.response.code) {{ pm.environment.set("t", "{canary}"); }}',
            auth={"type": "bearer", "bearer": [{"key": "token", "value": canary}]},
        ),
        variable=[{"key": "api_token", "value": canary}],
    )
    data, report = do_import(run_cli, tmp_path, doc, "-v")
    assert data["variables"]["api_token"] == canary  # the file keeps it (mode 0600)...
    assert canary not in report and "[REDACTED]" in report  # ...the printed report does not
    assert os.stat(imported_path(tmp_path)).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("auth", "sent"),
    [
        ({"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}"}]}, None),
        ({"type": "bearer", "bearer": [{"key": "token", "value": "t0k"}]}, "Bearer t0k"),
        ({"type": "basic", "basic": [{"key": "username", "value": "{{access_token}}"}]}, None),
        (
            {
                "type": "apikey",
                "apikey": [{"key": "key", "value": ""}, {"key": "value", "value": "v"}],
            },
            None,
        ),
    ],
)
def test_an_empty_auth_value_sends_no_auth_header_as_newman(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, auth: dict[str, Any], sent: str | None
) -> None:
    """``{{access_token}}`` not set yet: Newman sends the request without the header (an
    ``Authorization: Bearer `` with nothing after it is an illegal header value)."""
    doc = collection(
        request("Me", "{{host}}/get", auth=auth),
        variable=[{"key": "host", "value": echo.url}, {"key": "access_token", "value": ""}],
    )
    do_import(run_cli, tmp_path, doc)
    result = run_cli("run", imported_path(tmp_path))
    assert result.code == 0, result.output
    headers = {k.lower(): v for k, v in echo.log[-1].headers.items()}
    assert headers.get("authorization") == sent
    assert "" not in headers
