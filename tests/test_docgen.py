"""`runner docs`: pages in the manner of the seed (Postman/Qodex) page, from the Zoom
collections, with a golden file for the Markdown, and examples from the collection and from
`runner run --record`."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest
from conftest import RunCli
from server import TestServer

from runner.core.model import BrowserStep
from runner.format.loader import load_collection

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "docs" / "zoom_oauth.md"
SEED_PARAMS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
]


def table_after(markdown: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first Key/Datatype/Required/Description table after a heading."""
    start = markdown.index(heading)
    lines = markdown[start:].splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| Key |"))
    assert lines[head] == "| Key | Datatype | Required | Description |"
    rows = []
    for line in lines[head + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_zoom_docs_match_the_golden_file(run_cli: RunCli, at_root: None) -> None:
    result = run_cli("docs", "collections/zoom_oauth.yaml", "--examples", os.devnull)
    assert result.code == 0, result
    if os.environ.get("RUNNER_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(result.out, encoding="utf-8")
    assert result.out == GOLDEN.read_text(encoding="utf-8"), (
        "the generated documentation changed; if that is intended, rerun with "
        "RUNNER_UPDATE_GOLDEN=1 and review the diff of tests/fixtures/docs/zoom_oauth.md"
    )


@pytest.mark.parametrize(
    "name", ["zoom_oauth.yaml", "zoom_oauth_steps.yaml"], ids=["auth-helper", "step-by-step"]
)
def test_the_authorize_page_carries_the_seed_params(
    run_cli: RunCli, at_root: None, name: str
) -> None:
    out = run_cli("docs", f"collections/{name}", "--examples", os.devnull).out
    page = out[out.index("## Request user authorization") :]
    assert re.search(r"^GET https://zoom\.us/oauth/authorize\?response_type=code&", page, re.M)
    rows = table_after(page, "### PARAMS")
    assert [r[0].strip("`") for r in rows] == SEED_PARAMS
    assert all(r[1] == "string" for r in rows)
    assert [r[2] for r in rows[:3]] == ["Required"] * 3
    assert "S256" in rows[5][3] and "plain" in rows[5][3]
    token = out[out.index("## Request access token") :]
    body = table_after(token, "### BODY")
    assert [r[0] for r in body][:3] == ["`grant_type`", "`code`", "`redirect_uri`"]
    assert "Basic Auth: username `<<oAuthDevClientId>>`" in token
    assert "--data-urlencode 'grant_type=authorization_code'" in token


def test_tables_carry_what_the_collection_documents(run_cli: RunCli, at_root: None) -> None:
    collection = load_collection("collections/zoom_oauth_steps.yaml")
    [authorize] = [s for s in collection.steps if isinstance(s, BrowserStep)]
    out = run_cli("docs", "collections/zoom_oauth_steps.yaml").out
    rows = table_after(out[out.index("## Request user authorization") :], "### PARAMS")
    for row, param in zip(rows, authorize.params, strict=True):
        assert row[0] == f"`{param.name}`"
        assert row[1] == param.type
        assert row[2] == ("Required" if param.required else "Optional")
        assert row[3].startswith(" ".join((param.description or "").split()))


def test_pages_and_index_in_a_folder(run_cli: RunCli, at_root: None, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run_cli("docs", "collections/zoom_oauth_steps.yaml", "-o", out)
    assert result.code == 0, result
    index = (out / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+\.md)\)", index)
    assert links and all((out / link).is_file() for link in links)
    assert links[0] == "request-user-authorization.md"
    assert "(a pause: a person gives <<code>>)" in index  # the pause, in its place
    assert oct((out / "index.md").stat().st_mode & 0o777) == "0o644"
    html = tmp_path / "html"
    result = run_cli("docs", "collections/zoom_oauth_steps.yaml", "-o", html, "--format", "html")
    assert result.code == 0, result
    page = (html / "request-user-authorization.html").read_text(encoding="utf-8")
    assert "<th>Key</th><th>Datatype</th><th>Required</th><th>Description</th>" in page
    assert "<code>code_challenge_method</code>" in page and "default-src 'none'" in page
    assert 'href="request-access-token.html"' in (html / "index.html").read_text()


def test_secret_values_never_reach_a_page(run_cli: RunCli, at_root: None) -> None:
    out = run_cli("docs", "collections/zoom_oauth_steps.yaml", "-e", "environments/local.yaml").out
    assert "demo-client-secret" not in out  # the secret stays a placeholder
    assert "<<oAuthDevClientSecret>>" in out
    assert "client_id=demo-client-id" in out  # plain values are written out
    assert "http://127.0.0.1:8765/oauth/authorize?" in out


def test_examples_from_the_collection_and_from_a_recorded_run(
    run_cli: RunCli, tmp_path: Path, server: TestServer
) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: Users
            variables: {{api_token: tok-secret-123456}}
            steps:
              - request: Get the widget
                url: {server.url}/json
                headers: {{Authorization: Bearer <<api_token>>}}
                expect:
                  status: 200
                  schema:
                    200: {{type: object, required: [id]}}
                examples:
                  - status: 404
                    description: No such widget
                    json: {{error: not found}}
            """
        ),
        encoding="utf-8",
    )
    assert run_cli("run", path, "--record").code == 0
    recorded = tmp_path / "users.examples.json"
    assert recorded.is_file() and oct(recorded.stat().st_mode & 0o777) == "0o600"
    out = run_cli("docs", path).out
    assert "### Example responses" in out
    assert "#### 404 · No such widget (`application/json`)" in out
    assert '"error": "not found"' in out
    assert "#### 200 OK · recorded (`application/json`)" in out
    assert '"name": "widget"' in out  # the recorded body, pretty-printed
    assert "Schema for status 200:" in out and '"required": [\n    "id"\n  ]' in out
    assert "tok-secret-123456" not in out and "tok-secret-123456" not in recorded.read_text()


def test_pages_read_back_by_the_docs_importer(
    run_cli: RunCli, at_root: None, tmp_path: Path
) -> None:
    """`runner docs` writes the seed's format; `runner import docs` (another command) reads
    it: the PARAMS of the page come back as the documented params of the collection."""
    from runner.cli.commands.import_ import IMPORTERS

    if "docs" not in IMPORTERS:
        pytest.skip("no `runner import docs` in this tree")
    site = tmp_path / "site"
    assert run_cli("docs", "collections/zoom_oauth_steps.yaml", "-o", site).code == 0
    target = tmp_path / "back.yaml"
    page = site / "request-user-authorization.md"
    result = run_cli("import", "docs", page, "--to", target)
    assert result.code == 0, result
    [step] = load_collection(target).steps
    [original] = [
        s for s in load_collection("collections/zoom_oauth_steps.yaml").steps
        if isinstance(s, BrowserStep)
    ]  # fmt: skip
    assert isinstance(step, BrowserStep)
    assert [(p.name, p.type, p.required) for p in step.params] == [
        (p.name, p.type, p.required) for p in original.params
    ]
