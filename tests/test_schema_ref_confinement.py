"""Nothing fetched or read that the user did not name (robustness issue, point 4): schema
``$ref``s resolve only to files inside the collection's folder, never to the network, at any
depth; a real local server proves that no request for a schema arrives."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli
from server import TestServer

from runner.check.checks import run_check
from runner.core.errors import LoadError
from runner.core.model import Check, Matcher
from runner.format.loader import load_collection
from runner.http.transport import PreparedRequest, Transport
from runner.render.templates import Renderer

WriteFile = Callable[[str, str], Path]


def _collection(write_file: WriteFile, url: str, ref: str) -> Path:
    return write_file(
        "api/c.yaml",
        f"""\
        steps:
          - request: One
            url: {url}/json
            expect:
              schema: {{$ref: {json.dumps(ref)}}}
        """,
    )


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("../outside.json", "is outside the collection's folder"),
        ("file:///etc/hostname", "is outside the collection's folder"),
        ("inner.json", "is outside the collection's folder (in inner.json)"),
        ("remote.json", "is not a file (in remote.json)"),
    ],
)
def test_a_ref_outside_the_folder_or_to_the_network_is_a_load_error(
    write_file: WriteFile, fresh_server: TestServer, ref: str, message: str
) -> None:
    write_file("outside.json", '{"type": "object"}')
    write_file("api/inner.json", '{"$ref": "../outside.json"}')
    write_file("api/remote.json", json.dumps({"$ref": f"{fresh_server.url}/schema.json"}))
    path = _collection(write_file, fresh_server.url, ref)
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert message in info.value.message
    assert fresh_server.log == []


def test_a_ref_inside_the_folder_still_resolves(
    write_file: WriteFile, server: TestServer, run_cli: RunCli
) -> None:
    write_file("api/schemas/body.json", '{"type": "object"}')
    write_file("api/inner.json", '{"$ref": "schemas/body.json"}')
    path = _collection(write_file, server.url, "inner.json")
    result = run_cli("run", path, "--no-color")
    assert result.code == 0, result.output


def test_the_validator_fetches_nothing_it_was_not_given(fresh_server: TestServer) -> None:
    """A network ``$ref`` that reaches the validator (built by hand here; the loader refuses
    one) fails the check with the reason, and no request arrives at the server."""
    schema = {"$ref": f"{fresh_server.url}/schema.json"}
    check = Check("schema", None, (Matcher("eq", schema),))
    with Transport() as transport:
        exchange = transport.send(PreparedRequest("GET", fresh_server.url + "/json"))
    fresh_server.clear()
    result = run_check(check, exchange, Renderer(), {})
    assert not result.passed
    assert "cannot resolve" in str(result.message)
    assert fresh_server.log == []
