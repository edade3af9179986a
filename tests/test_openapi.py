"""OpenAPI in and out: a real public description (the Swagger Petstore, OpenAPI 3.0, shipped in
tests/fixtures/openapi, sources in tests/fixtures/SOURCES.md) imported, run against a local
server that implements some of its operations, its schema checks passing and then failing
when the server breaks the contract; 3.1 documents; OAuth 2.0 security; export and round trip."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli
from local_http import LocalServer, reply_json

from runner.core.model import Folder, RequestStep, walk
from runner.format.loader import load_collection, parse_data
from runner.formats.openapi.exporter import export, validate
from runner.formats.openapi.importer import convert, dump_yaml, read_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openapi"
PETSTORE = FIXTURES / "petstore3.yaml"
WEBHOOKS = FIXTURES / "webhook-example-3.1.yaml"


@pytest.fixture
def petstore(run_cli: RunCli, tmp_path: Path) -> Path:
    out = tmp_path / "collections" / "petstore.yaml"
    result = run_cli("import", "openapi", PETSTORE, "-o", out)
    assert result.code == 0, result
    return out


def steps_by_id(path: Path) -> dict[str, RequestStep]:
    collection = load_collection(path)
    return {s.id: s for s, _ in walk(collection.steps) if isinstance(s, RequestStep) and s.id}


def test_import_makes_one_documented_request_per_operation(run_cli: RunCli, petstore: Path) -> None:
    collection = load_collection(petstore)
    folders = [s for s in collection.steps if isinstance(s, Folder)]
    assert [f.name for f in folders] == ["pet", "store", "user"]  # grouped by tag
    assert folders[0].description == "Everything about your Pets"
    steps = steps_by_id(petstore)
    assert len(steps) == 19
    find = steps["findPetsByStatus"]
    assert (find.method, find.url) == ("GET", "<<base_url>>/pet/findByStatus")
    [status] = [p for p in find.params if p.name == "status"]
    assert (status.type, status.required, status.value) == ("string", False, "available")
    assert status.enum == ("available", "pending", "sold")
    assert status.description == "Status values that need to be considered for filter"
    get = steps["getPetById"]
    assert get.url == "<<base_url>>/pet/<<petId>>"
    checks = {c.subject: c for c in get.checks}
    assert checks["status"].matchers[0].expected == 200
    by_status = checks["schema"].matchers[0].expected
    assert list(by_status) == ["200"]
    assert by_status["200"]["$ref"].endswith("petstore.schemas.json#/$defs/Pet")
    # security: the API key of getPetById, the OAuth 2.0 implicit flow of the others
    assert get.auth is not None and get.auth.kind == "apikey" and get.auth.key == "api_key"
    add = steps["addPet"]
    assert add.auth is not None and add.auth.kind == "bearer"  # implicit: no helper, a token
    assert add.body is not None and add.body.kind == "json"
    assert add.body.json["name"] == "doggie" and add.body.json["photoUrls"] == ["string"]
    fields = {f.name: f for f in add.body.fields}
    assert fields["name"].required and fields["status"].enum == ("available", "pending", "sold")
    schemas = json.loads((petstore.parent / "petstore.schemas.json").read_text())
    assert set(schemas["$defs"]) >= {"Pet", "Order", "User", "Category", "Tag"}
    assert "xml" not in schemas["$defs"]["Pet"]  # OpenAPI-only annotations are dropped
    # and the collection is consistent with its own documentation
    check = run_cli(
        "check", petstore, "--docs", "--var", "base_url=http://127.0.0.1:9/v3",
        "--var", "api_key=k", "--var", "access_token=t",
    )  # fmt: skip
    assert check.code == 0, check


def test_import_tells_what_it_could_not_translate(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("import", "openapi", PETSTORE, "-o", tmp_path / "p.yaml")
    assert "the server URL '/v3' is relative" in result.out
    assert "'petstore_auth' (OAuth 2.0, implicit)" in result.out
    assert "uploads an image: request body (application/octet-stream) is not imported" in result.out
    assert "give these in an environment or with --var: access_token, api_key" in result.out
    again = run_cli("import", "openapi", PETSTORE, "-o", tmp_path / "p.yaml")
    assert again.code == 2 and "exists" in again.err and "--force" in again.err


def test_import_openapi_3_1(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "hooks.yaml"
    assert run_cli("import", "openapi", WEBHOOKS, "-o", out).code == 0
    [step] = steps_by_id(out).values()
    assert step.id == "listPets" and step.url == "<<base_url>>/pets"
    [limit] = step.params
    assert (limit.type, limit.required, limit.value) == ("integer", False, None)
    schema = next(c for c in step.checks if c.subject == "schema").matchers[0].expected["200"]
    assert schema["$ref"].endswith("hooks.schemas.json#/$defs/Pets")


def test_oauth2_flows_map_to_the_auth_helper(tmp_path: Path) -> None:
    spec = parse_data(
        textwrap.dedent(
            """\
            openapi: 3.1.0
            info: {title: Tokens, version: "1"}
            servers: [{url: "https://api.example.com"}]
            security: [{oauth: [read]}]
            paths:
              /me:
                get:
                  operationId: me
                  responses: {"200": {description: ok}}
              /jobs:
                get:
                  operationId: jobs
                  security: [{machine: []}]
                  responses: {"200": {description: ok}}
              /health:
                get:
                  operationId: health
                  security: []
                  responses: {"200": {description: ok}}
            components:
              securitySchemes:
                oauth:
                  type: oauth2
                  flows:
                    authorizationCode:
                      authorizationUrl: https://auth.example.com/authorize
                      tokenUrl: https://auth.example.com/token
                      scopes: {read: read things}
                machine:
                  type: oauth2
                  flows:
                    clientCredentials:
                      tokenUrl: https://auth.example.com/token
                      scopes: {}
            """
        )
    )
    result = convert(spec)
    collection = result.collection
    assert collection["auth"]["type"] == "oauth2"
    assert collection["auth"]["grant"] == "authorization_code"
    assert collection["auth"]["auth_url"] == "https://auth.example.com/authorize"
    assert collection["auth"]["scopes"] == ["read"] and collection["auth"]["pkce"] is True
    steps = {s["id"]: s for s in collection["steps"]}
    assert steps["jobs"]["auth"]["grant"] == "client_credentials"
    assert steps["health"]["auth"] == {"type": "none"}
    path = tmp_path / "tokens.yaml"
    path.write_text(result.collection_yaml("tokens.schemas.json"), encoding="utf-8")
    loaded = load_collection(path)  # what the importer writes, the loader reads
    assert loaded.auth is not None and loaded.auth.kind == "oauth2"


def test_invalid_documents_are_refused_with_a_reason(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n", encoding="utf-8")
    result = run_cli("import", "openapi", bad, "-o", tmp_path / "out.yaml")
    assert result.code == 2
    assert "invalid OpenAPI document" in result.err and "'version' is a required" in result.err
    swagger = tmp_path / "swagger.json"
    swagger.write_text('{"swagger": "2.0", "info": {}, "paths": {}}', encoding="utf-8")
    result = run_cli("import", "openapi", swagger, "-o", tmp_path / "out.yaml")
    assert result.code == 2 and "Swagger 2.0" in result.err
    assert not (tmp_path / "out.yaml").exists()


def test_strings_that_read_as_numbers_are_quoted() -> None:
    text = dump_yaml({"a": "1e3", "b": "0o17", "c": "true", "d": "plain", "e": "012"})
    assert parse_data(text) == {"a": "1e3", "b": "0o17", "c": "true", "d": "plain", "e": "012"}


# -- the contract, against a server ----------------------------------------------------------

PET = {"id": 10, "name": "doggie", "photoUrls": ["https://img/1"], "status": "available"}


class PetServer(LocalServer):
    """A few Petstore operations, honest or (``broken``) drifted from the documentation."""

    def __init__(self) -> None:
        self.broken = False
        self.api_keys: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.api_keys.append(self.headers.get("api_key"))
                path = self.path.split("?")[0]
                pet = {"id": "ten", "name": 5} if owner.broken else PET
                if re.fullmatch(r"/v3/pet/\d+", path):
                    reply_json(self, 200, pet)
                elif path == "/v3/pet/findByStatus":
                    reply_json(self, 200, [pet, pet])
                elif path == "/v3/store/inventory":
                    reply_json(self, 200, {"available": "many" if owner.broken else 3})
                else:
                    reply_json(self, 404, {"code": 404, "message": "not here"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                sent = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/v3/pet":
                    reply_json(self, 200, {"id": "x"} if owner.broken else {**sent, "id": 11})
                else:
                    reply_json(self, 404, {"code": 404, "message": "not here"})

            do_PUT = do_DELETE = do_POST

        super().__init__(Handler)


@pytest.fixture
def pet_server() -> Iterator[PetServer]:
    with PetServer() as server:
        yield server


def run_petstore(
    run_cli: RunCli, collection: Path, server: PetServer, report: Path
) -> dict[str, Any]:
    run_cli(
        "run", collection, "--var", f"base_url={server.url}/v3", "--var", "petId=10",
        "--var", "api_key=key-123", "--var", "access_token=token-456",
        "--reporter", f"json:{report}",
    )  # fmt: skip
    steps = json.loads(report.read_text(encoding="utf-8"))["steps"]
    return {s["name"]: s for s in steps}


IMPLEMENTED = [
    "Find pet by ID",
    "Finds Pets by status",
    "Returns pet inventories by status",
    "Add a new pet to the store",
]


def test_contract_checks_pass_then_catch_a_drifting_server(
    run_cli: RunCli, petstore: Path, pet_server: PetServer, tmp_path: Path
) -> None:
    honest = run_petstore(run_cli, petstore, pet_server, tmp_path / "honest.json")
    for name in IMPLEMENTED:
        step = honest[name]
        assert step["status"] == "passed", step
        schema = [c for c in step["checks"] if c["label"].startswith("schema")]
        assert schema and all(c["passed"] for c in schema), name
    assert "key-123" in pet_server.api_keys  # the API key went in its header
    assert honest["Logs user into the system"]["status"] == "failed"  # not implemented: 404

    pet_server.broken = True
    drifted = run_petstore(run_cli, petstore, pet_server, tmp_path / "drifted.json")
    messages = {}
    for name in IMPLEMENTED:
        step = drifted[name]
        assert step["status"] == "failed", step
        [bad] = [c for c in step["checks"] if not c["passed"]]
        assert bad["label"] == "schema (status 200)"
        assert re.fullmatch(rf"{re.escape(str(petstore))}:\d+:\d+", bad["location"])
        messages[name] = bad["message"]
    assert messages["Find pet by ID"] in (
        "$.id: 'ten' is not of type 'integer'",
        "$: 'photoUrls' is a required property",
        "$.name: 5 is not of type 'string'",
    )
    assert re.match(r"^\$\[[01]\]", messages["Finds Pets by status"]), messages
    assert messages["Returns pet inventories by status"] == (
        "$.available: 'many' is not of type 'integer'"
    )


# -- export ----------------------------------------------------------------------------------


def test_export_round_trip_keeps_operations_parameters_and_schemas(
    run_cli: RunCli, petstore: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exported.json"
    result = run_cli("export", "openapi", petstore, "-o", out)
    assert result.code == 0, result
    spec = json.loads(out.read_text(encoding="utf-8"))
    validate(spec)
    original = read_spec(PETSTORE)

    def operation_ids(document: dict[str, Any]) -> set[str]:
        paths = document["paths"].values()
        return {op["operationId"] for item in paths for k, op in item.items() if k != "servers"}

    assert operation_ids(spec) == operation_ids(original)
    assert spec["servers"] == [{"url": "/v3"}]
    get = spec["paths"]["/pet/{petId}"]["get"]
    assert {"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}} in (
        get["parameters"]
    )
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }
    pet = spec["components"]["schemas"]["Pet"]
    assert pet["required"] == ["name", "photoUrls"]
    assert pet["properties"]["category"] == {"$ref": "#/components/schemas/Category"}
    find = spec["paths"]["/pet/findByStatus"]["get"]
    [status] = [p for p in find["parameters"] if p["name"] == "status"]
    assert status["schema"]["enum"] == ["available", "pending", "sold"]
    # and back again: the exported description imports into the same requests
    again = tmp_path / "again.yaml"
    assert run_cli("import", "openapi", out, "-o", again).code == 0
    assert set(steps_by_id(again)) == set(steps_by_id(petstore))


def test_export_the_zoom_steps_collection() -> None:
    collection = load_collection(Path(__file__).resolve().parent.parent / "collections" /
                                 "zoom_oauth_steps.yaml")  # fmt: skip
    spec = export(collection)
    validate(spec)
    authorize = spec["paths"]["/oauth/authorize"]["get"]
    names = [p["name"] for p in authorize["parameters"]]
    assert names == [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    assert authorize["parameters"][0]["required"] is True
    assert authorize["parameters"][5]["schema"]["enum"] == ["S256", "plain"]
    token = spec["paths"]["/oauth/token"]["post"]  # two steps, one operation
    form = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"grant_type", "code", "redirect_uri", "refresh_token"} <= set(form["properties"])
    assert "required" not in form  # each field is needed by one grant only
    assert token["security"] == [{"basicAuth": []}]
    assert spec["paths"]["/users/me"]["servers"] == [{"url": "https://api.zoom.us/v2"}]
