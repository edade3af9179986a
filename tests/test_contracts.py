"""Documentation checks: requests that break their documented parameters (before sending, in
`runner run` and `runner check --docs`), and responses that break their documented schemas
(inline, per status code, or in a file named by $ref), each reported with its file:line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import RunCli
from server import TestServer

from runner.core.errors import LoadError
from runner.format.loader import load_collection

COLLECTIONS = Path(__file__).resolve().parent.parent / "collections"
ZOOM_STEPS = COLLECTIONS / "zoom_oauth_steps.yaml"  # the flow written out, documented


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def documented(base: str, *, limit: str = "10", sort: str = "name", send_q: bool = True) -> str:
    q_value = "        value: ada\n" if send_q else ""
    return (
        "name: Search\n"
        "steps:\n"
        "  - request: Search users\n"
        "    method: POST\n"
        f"    url: {base}/echo\n"
        "    params:\n"
        "      q:\n"
        f"{q_value}"
        "        type: string\n"
        "        required: true\n"
        "        description: What to look for.\n"
        "      limit:\n"
        f'        value: "{limit}"\n'
        "        type: integer\n"
        "      sort:\n"
        f"        value: {sort}\n"
        "        enum: [name, created]\n"
        "    body:\n"
        "      json: {page: 1, size: big}\n"
        "      fields:\n"
        "        page: {type: integer, required: true}\n"
        "        size: {type: integer}\n"
        "        owner: {type: string, required: true}\n"
    )


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` that is exactly ``needle``."""
    return path.read_text(encoding="utf-8").splitlines().index(needle) + 1


def test_run_warns_about_each_broken_parameter_with_its_line(
    run_cli: RunCli, tmp_path: Path, fresh_server: TestServer
) -> None:
    path = write(
        tmp_path / "c.yaml", documented(fresh_server.url, limit="ten", sort="age", send_q=False)
    )
    result = run_cli("run", path)
    assert result.code == 0, result  # warnings do not fail the run
    out = result.out
    assert "docs: query parameter 'q': documented as required, not sent" in out
    assert f"at {path}:{line_of(path, '      q:') + 1}:9" in out
    assert 'docs: query parameter \'limit\': expected {"type": "integer"}, got "ten"' in out
    assert f"at {path}:{line_of(path, '      limit:') + 1}:9" in out
    assert "docs: query parameter 'sort'" in out and "not one of the documented values" in out
    assert 'docs: body field \'size\': expected {"type": "integer"}, got "big"' in out
    assert "docs: body field 'owner': documented as required, not sent" in out
    assert len(fresh_server.log) == 1  # warned, and sent


def test_docs_check_error_stops_the_request_before_it_is_sent(
    run_cli: RunCli, tmp_path: Path, fresh_server: TestServer
) -> None:
    path = write(tmp_path / "c.yaml", documented(fresh_server.url, limit="ten"))
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--docs-check", "error", "--reporter", f"json:{report}")
    assert result.code == 1
    assert fresh_server.log == []  # reported before sending
    assert "the request does not match its documentation; not sent" in result.out
    [step] = json.loads(report.read_text())["steps"]
    assert step["status"] == "error" and step["error"]["reason"] == "docs"
    assert step["request"] is None  # nothing went out
    labels = {c["label"]: c["location"] for c in step["checks"]}
    assert (
        labels["docs: query parameter 'limit'"] == f"{path}:{line_of(path, '      limit:') + 1}:9"
    )


def test_docs_check_off_and_a_request_that_honours_its_docs(
    run_cli: RunCli, tmp_path: Path, server: TestServer
) -> None:
    broken = write(tmp_path / "broken.yaml", documented(server.url, limit="ten"))
    assert "docs:" not in run_cli("run", broken, "--docs-check", "off").out
    good = tmp_path / "good.yaml"
    good.write_text(
        textwrap.dedent(documented(server.url)).replace("size: big", "size: 3, owner: me"), "utf-8"
    )
    result = run_cli("run", good, "--docs-check", "error")
    assert result.code == 0 and "docs:" not in result.out, result


def test_check_docs_reports_what_can_be_known_without_sending(
    run_cli: RunCli, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "c.yaml",
        """\
        name: Static
        variables: {base: "http://127.0.0.1:9", kind: weekly}
        steps:
          - request: Log in
            url: <<base>>/login
            capture: {token: $.token}
          - request: Report
            url: <<base>>/report
            params:
              kind: {value: <<kind>>, enum: [daily, monthly], required: true}
              after: {value: <<token>>, type: integer}
              page: {type: integer, required: true}
            headers:
              Authorization: {type: string, required: true}
            auth: {type: bearer, token: <<token>>}
        """,
    )
    result = run_cli("check", path, "--docs")
    assert result.code == 2, result
    assert "error: Report" in result.out and "does not match its documentation" in result.out
    assert "docs: query parameter 'kind'" in result.out and '"weekly"' in result.out
    assert "docs: query parameter 'page': documented as required, not sent" in result.out
    assert "'after'" not in result.out  # its value comes from a capture: unknown before the run
    assert "Authorization" not in result.out  # the auth helper sends it
    assert "2 documentation findings in 1 step" in result.out
    warn = run_cli("check", path, "--docs", "--docs-check", "warn")
    assert warn.code == 0 and "warning: Report" in warn.out and warn.out.startswith("warning")


@pytest.mark.parametrize(
    "name", ["zoom_oauth.yaml", "zoom_oauth_steps.yaml"], ids=["auth-helper", "step-by-step"]
)
def test_zoom_collections_honour_their_documentation(run_cli: RunCli, name: str) -> None:
    env = {"ZOOM_CLIENT_ID": "id", "ZOOM_CLIENT_SECRET": "secret-value"}
    zoom_env = COLLECTIONS.parent / "environments" / "zoom.yaml"
    result = run_cli("check", COLLECTIONS / name, "-e", zoom_env, "--docs", env=env)
    assert result.code == 0, result
    assert "requests match their documentation" in result.out


def test_zoom_authorize_step_missing_a_required_parameter(run_cli: RunCli, tmp_path: Path) -> None:
    text = ZOOM_STEPS.read_text(encoding="utf-8").replace(
        "        value: code\n        type: string\n        required: true",
        "        type: string\n        required: true",
    )
    path = tmp_path / "zoom.yaml"
    path.write_text(text, encoding="utf-8")
    env = tmp_path / "env.yaml"
    env.write_text("variables: {oAuthDevClientId: x, oAuthDevClientSecret: y, redirect_uri: z}\n")
    result = run_cli("check", path, "-e", env, "--docs")
    assert result.code == 2
    assert "docs: query parameter 'response_type': documented as required, not sent" in result.out
    line = text.splitlines().index("      response_type:") + 2
    assert f"at {path}:{line}:9" in result.out


# -- response schemas -------------------------------------------------------------------------


def test_response_schema_from_a_file_per_status(
    run_cli: RunCli, tmp_path: Path, server: TestServer
) -> None:
    write(
        tmp_path / "schemas" / "widget.json",
        """\
        {"type": "object", "required": ["id", "name", "owner"],
         "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                        "owner": {"$ref": "owner.yaml"}}}
        """,
    )
    write(
        tmp_path / "schemas" / "owner.yaml",
        """\
        type: object
        required: [name]
        properties:
          name: {type: string}
          token: {type: integer}
        """,
    )
    path = write(
        tmp_path / "c.yaml",
        f"""\
        name: Schemas
        steps:
          - request: Widget
            url: {server.url}/json
            expect:
              schema:
                200: {{$ref: schemas/widget.json}}
                4XX: {{type: object, required: [error]}}
          - request: Missing
            url: {server.url}/nope
            expect:
              schema:
                200: {{$ref: schemas/widget.json}}
                4XX: {{type: object, required: [error]}}
        """,
    )
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--reporter", f"json:{report}")
    assert result.code == 1, result
    steps = json.loads(report.read_text())["steps"]
    widget, missing = steps
    [check] = widget["checks"]
    assert check["label"] == "schema (status 200)" and not check["passed"]
    # the failing path and the reason, at the expectation's line
    assert check["message"] == "$.owner.token: 'tok-123' is not of type 'integer'"
    assert check["actual"] == "tok-123"
    assert check["location"] == f"{path}:6:7"
    assert missing["status"] == "passed"
    assert missing["checks"][0]["label"] == "schema (status 404)"


def test_schema_ref_to_a_missing_file_is_a_load_error_at_the_ref(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """\
        name: x
        steps:
          - request: a
            url: http://127.0.0.1:9/
            expect:
              schema:
                $ref: schemas/none.json
        """,
    )
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert "no such file" in info.value.message
    assert str(info.value.location) == f"{path}:7:15"


def test_schema_ref_to_a_remote_url_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        """\
        name: x
        steps:
          - request: a
            url: http://127.0.0.1:9/
            expect:
              schema: {$ref: "https://example.com/schema.json"}
        """,
    )
    with pytest.raises(LoadError, match="is not a file"):
        load_collection(path)


def test_a_schema_file_that_is_not_a_schema_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "bad.json", '{"type": 12}')
    path = write(
        tmp_path / "c.yaml",
        """\
        name: x
        steps:
          - request: a
            url: http://127.0.0.1:9/
            expect:
              schema: {$ref: bad.json}
        """,
    )
    with pytest.raises(LoadError, match="invalid JSON Schema"):
        load_collection(path)
