"""runner import docs: a documentation page in the seed's format becomes a documented step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.core.errors import LoadError
from runner.core.model import BrowserStep, RequestStep
from runner.format.loader import parse_collection
from runner.formats import docs_page

PAGE = Path(__file__).parent / "data" / "zoom_authorize.md"

EXPECTED_PARAMS = [
    ("response_type", "string", True, "Always `code` for this grant."),
    ("client_id", "string", True, "The app's client ID, from the app's credentials page."),
    ("redirect_uri", "string", True,
     "Where the browser goes next; must equal a URI registered for the app."),
    ("state", "string", False,
     "A random value echoed back, to tie the redirect to this request (CSRF)."),
    ("code_challenge", "string", False,
     "BASE64URL(SHA256(code_verifier)), without padding (PKCE)."),
    ("code_challenge_method", "string", False, "`S256` when a code_challenge is sent."),
]  # fmt: skip


def test_the_zoom_authorize_page_becomes_a_browser_step_whose_params_match(
    run_cli: Any, tmp_path: Path
) -> None:
    target = tmp_path / "zoom.yaml"
    done = run_cli("import", "docs", PAGE, "--to", target)
    assert done.code == 0, done.err
    assert "made a browser step" in done.err
    collection = parse_collection(target.read_text(encoding="utf-8"), str(target))
    (step,) = collection.steps
    assert isinstance(step, BrowserStep)
    assert step.name == "Request user authorization"
    assert str(step.url) == "https://zoom.us/oauth/authorize"
    assert step.description is not None and step.description.startswith("Sends the person")
    got = [(p.name, p.type, p.required, p.description) for p in step.params]
    assert got == EXPECTED_PARAMS
    values = {p.name: p.value for p in step.params}
    assert values["client_id"] == "<<client_id>>"  # required: a variable to define
    assert values["state"] is None  # optional, no value: documentation only, not sent


def test_the_imported_step_checks_and_shows_the_authorize_url(run_cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "zoom.yaml"
    assert run_cli("import", "docs", PAGE, "--to", target).code == 0
    variables = ["--var", "response_type=code", "--var", "client_id=abc",
                 "--var", "redirect_uri=http://127.0.0.1:8766/callback"]  # fmt: skip
    done = run_cli("check", target, *variables)
    assert done.code == 0, done.output
    done = run_cli("run", target, *variables)
    assert done.code == 0, done.output
    assert (
        "https://zoom.us/oauth/authorize?response_type=code&client_id=abc&redirect_uri="
        "http%3A%2F%2F127.0.0.1%3A8766%2Fcallback" in done.out
    )


def test_a_request_page_with_headers_body_and_path_variables(write_file: Any) -> None:
    page = write_file(
        "create.md",
        """
        ## Create a meeting

        **POST** `https://api.zoom.us/v2/users/{userId}/meetings`

        Creates a meeting for a user.

        ### HEADERS

        | Key | Datatype | Required | Description |
        |-----|----------|----------|-------------|
        | Authorization | string | Required | Bearer token |

        ### BODY raw (json)

        | Key | Datatype | Required | Description |
        |-----|----------|----------|-------------|
        | topic | string | Yes | The meeting's topic |
        | duration | integer | No | Minutes |
        """,
    )
    parsed = docs_page.parse_page(page.read_text(), str(page))
    step = docs_page.to_step(parsed)
    assert step["request"] == "Create a meeting"
    assert step["method"] == "POST"
    assert step["url"] == "https://api.zoom.us/v2/users/<<userId>>/meetings"
    assert step["headers"] == {
        "Authorization": {"value": "<<Authorization>>", "type": "string", "required": True,
                          "description": "Bearer token"}
    }  # fmt: skip
    assert step["body"] == {
        "json": {"topic": "<<topic>>"},
        "fields": {
            "topic": {"type": "string", "required": True, "description": "The meeting's topic"},
            "duration": {"type": "integer", "description": "Minutes"},
        },
    }
    from runner.authoring import fmt

    collection = parse_collection(fmt.dump(fmt.plain({"steps": [step]})), "c.yaml")
    request = collection.steps[0]
    assert isinstance(request, RequestStep)
    assert request.body is not None
    assert [(f.name, f.required) for f in request.body.fields] == [
        ("topic", True),
        ("duration", False),
    ]


def test_a_page_without_a_request_line_is_refused_with_its_file(write_file: Any) -> None:
    page = write_file("notes.md", "# Notes\n\nNothing to send here.\n")
    with pytest.raises(LoadError) as info:
        docs_page.parse_page(page.read_text(), str(page))
    assert info.value.message.startswith("no request found")
    assert info.value.location is not None and info.value.location.file == str(page)


def test_a_table_without_a_key_column_names_its_line(write_file: Any, run_cli: Any) -> None:
    page = write_file(
        "bad.md",
        "GET https://h/x\n\nPARAMS\n\n| Name? | Type |\n|---|---|\n| a | string |\n",
    )
    done = run_cli("import", "docs", page)
    assert done.code == 2
    assert "needs a Key column" in done.err
    assert f"{page}:5" in done.err
