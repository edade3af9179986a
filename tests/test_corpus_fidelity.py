"""Differences from Newman found by ``bench/corpus_parity`` over the shared corpus (Wise's
collections against a local echo server), each fixed and pinned here."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli
from echo_server import EchoServer


def test_an_empty_token_after_bearer_is_sent_not_refused(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    """Wise's "Authorization: Bearer {{TOKEN}}" with TOKEN empty: Newman sends it; h11
    refused the trailing space ("Illegal header value")."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\nvariables: {token: ''}\nsteps:\n"
        f"  - request: Accounts\n    url: {echo.url}/get\n"
        "    headers: {Authorization: Bearer <<token>>, X-Pad: '  padded\t'}\n"
        "    expect: {status: 200}\n",
        encoding="utf-8",
    )
    result = run_cli("run", path, "--no-color")
    assert result.code == 0, result.out
    assert [(r.path, r.headers["authorization"], r.headers["x-pad"]) for r in echo.log] == [
        ("/get", "Bearer", "padded")
    ]


def test_with_literal_undefined_variables_a_failed_capture_does_not_skip_the_next_step(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    """Newman sends every request whatever the one before got; an imported collection
    (``undefined_variables: literal``) does too, with the text as written."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\nundefined_variables: literal\nsteps:\n"
        f"  - request: Token\n    url: {echo.url}/status/500\n"
        "    expect: {status: 200}\n"
        "    capture: {token: {json: $.access_token, optional: true}}\n"
        f"  - request: Use it\n    url: {echo.url}/get\n"
        "    headers: {Authorization: Bearer <<token>>}\n",
        encoding="utf-8",
    )
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--no-color", "--reporter", f"json:{report}")
    assert result.code == 1
    assert [(r.path, r.headers.get("authorization")) for r in echo.log] == [
        ("/status/500", None),
        ("/get", "Bearer {{token}}"),
    ]
    steps = json.loads(report.read_text())["steps"]
    assert [s["status"] for s in steps] == ["failed", "passed"]


def test_a_bodiless_custom_method_says_content_length_0_as_newman(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    """Newman's custom-http-method fixture: Node sends `Content-Length: 0` for a method that
    is not GET, HEAD, DELETE, OPTIONS, TRACE or CONNECT and carries nothing (httpx did for
    POST, PUT and PATCH only); those six still send no length."""
    path = tmp_path / "c.yaml"
    steps = "".join(
        f"  - request: {method}\n    method: {method}\n    url: {echo.url}/anything\n"
        for method in ("POSTMAN", "PROPFIND", "GET", "DELETE", "OPTIONS", "POST")
    )
    path.write_text(f"name: c\nsteps:\n{steps}", encoding="utf-8")
    result = run_cli("run", path, "--no-color")
    assert result.code == 0, result.out
    assert [(r.method, r.headers.get("content-length")) for r in echo.log] == [
        ("POSTMAN", "0"),
        ("PROPFIND", "0"),
        ("GET", None),
        ("DELETE", None),
        ("OPTIONS", None),
        ("POST", "0"),
    ]
