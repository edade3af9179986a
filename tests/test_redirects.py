"""``redirects:`` (follow, max, keep_method, referer) on the collection, folders and requests,
through the runner against real local servers; and Postman's protocolProfileBehavior mapped to
it on import and back on export. Every setting has a run that passes and one that fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import EchoServer, RedirectServer
from postman_support import SHARED, WriteFile, collection, needs_shared, request, write_json

FIXTURE = (
    SHARED / "newman" / "test" / "integration" / "protocol-profile-behavior.postman_collection.json"
)


@pytest.fixture
def hops() -> Iterator[RedirectServer]:
    """Newman's redirect test server: ``/N`` redirects N times, then ``/`` echoes the request."""
    with RedirectServer() as srv:
        yield srv


def run(run_cli: RunCli, write_file: WriteFile, text: str, base: str) -> Any:
    """Run a collection (``<<base>>`` set); return the CLI result."""
    path = write_file("c.yaml", text)
    return run_cli("run", path, "--var", f"base={base}")


# -- follow ----------


FOLLOW = """
redirects: {follow: %s}
steps:
  - folder: F
    steps:
      - request: inherits the collection's
        url: <<base>>/2
        expect: {status: 200, json: {$.url: /}}
      - request: its own wins
        url: <<base>>/2
        redirects: false
        expect: {status: 302, headers: {Location: /1}}
"""


def test_follow_is_inherited_from_the_collection(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    result = run(run_cli, write_file, FOLLOW % "true", hops.url)
    assert result.code == 0, result.output


def test_follow_off_at_the_collection_stops_at_the_first_302(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    result = run(run_cli, write_file, FOLLOW % "false", hops.url)
    assert result.code == 1
    assert "inherits the collection's" in result.output and "302" in result.output


def test_a_folder_setting_applies_to_its_requests_only(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    text = """
    steps:
      - folder: Follows
        redirects: {follow: true}
        steps:
          - request: inside
            url: <<base>>/1
            expect: {status: 200}
      - request: outside
        url: <<base>>/1
        expect: {status: 302}
    """
    assert run(run_cli, write_file, text, hops.url).code == 0
    failing = text.replace("{status: 302}", "{status: 200}")
    assert run(run_cli, write_file, failing, hops.url).code == 1


# -- max ----------


MAX = """
steps:
  - request: three hops
    url: <<base>>/3
    redirects: {follow: true, max: %d}
    expect: {status: 200, json: {$.url: /}}
"""


def test_max_allows_exactly_that_many_redirects(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    assert run(run_cli, write_file, MAX % 3, hops.url).code == 0
    result = run(run_cli, write_file, MAX % 2, hops.url)
    assert result.code == 1
    assert "too many redirects (more than 2" in result.output


def test_the_default_max_is_twenty(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    text = "steps:\n  - request: r\n    url: <<base>>/%d\n    follow_redirects: true\n"
    assert run(run_cli, write_file, text % 20, hops.url).code == 0
    result = run(run_cli, write_file, text % 21, hops.url)
    assert result.code == 1 and "more than 20" in result.output


# -- keep_method ----------


KEEP = """
redirects: {follow: true}
steps:
  - request: delete
    method: DELETE
    url: <<base>>/1
    redirects: {keep_method: %s}
    expect: {status: 200, json: {$.method: DELETE, $.data: ''}}
"""


def test_keep_method_sends_the_same_method_to_the_new_location(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    assert run(run_cli, write_file, KEEP % "true", hops.url).code == 0
    result = run(run_cli, write_file, KEEP % "false", hops.url)  # a 302 turns it into GET
    assert result.code == 1
    assert '      FAIL json $.method: expected "DELETE", got "GET"\n' in result.out


def test_keep_method_sends_the_body_again_after_a_302(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    text = """
    steps:
      - request: post
        method: POST
        url: <<base>>/1
        body: {text: the-body}
        redirects: {follow: true, keep_method: %s}
        expect: {status: 200, json: {$.method: POST, $.data: the-body}}
    """
    assert run(run_cli, write_file, text % "true", hops.url).code == 0
    result = run(run_cli, write_file, text % "false", hops.url)  # a GET without the body
    assert result.code == 1
    assert '      FAIL json $.method: expected "POST", got "GET"\n' in result.out
    assert '      FAIL json $.data: expected "the-body", got ""\n' in result.out


# -- referer ----------


REFERER = """
steps:
  - request: r
    url: <<base>>/1
    headers: {X-Plain: kept}
    redirects: {follow: true, referer: %s}
    expect: {status: 200, json: {$.headers.referer: <<base>>/1, $.headers.x-plain: kept}}
"""


def test_referer_names_the_url_redirected_from(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    assert run(run_cli, write_file, REFERER % "true", hops.url).code == 0
    result = run(run_cli, write_file, REFERER % "false", hops.url)
    assert result.code == 1 and "referer" in result.output


def test_without_referer_the_requests_own_header_stays(
    run_cli: RunCli, write_file: WriteFile, hops: RedirectServer
) -> None:
    text = """
    steps:
      - request: r
        url: <<base>>/1
        headers: {Referer: mine}
        redirects: {follow: true, referer: %s}
        expect: {status: 200, json: {$.headers.referer: mine}}
    """
    assert run(run_cli, write_file, text % "false", hops.url).code == 0
    assert run(run_cli, write_file, text % "true", hops.url).code == 1  # replaced by the URL


def test_across_origins_credentials_are_dropped_and_referer_is_the_origin_only(
    run_cli: RunCli, write_file: WriteFile, echo: EchoServer, hops: RedirectServer
) -> None:
    """keep_method and referer do not weaken the cross-origin protection."""
    path = write_file(
        "c.yaml",
        """
        variables: {token: tok-secret-1}
        auth: {type: bearer, token: <<token>>}
        redirects: {follow: true, keep_method: true, referer: true}
        steps:
          - request: away
            method: DELETE
            url: <<a>>/redirect-to
            params: {url: <<b>>/, api_key: key-secret-2}
            headers: {X-API-Key: key-secret-3, Cookie: c=cookie-secret-4}
        """,
    )
    result = run_cli("run", path, "--var", f"a={echo.url}", "--var", f"b={hops.url}", "-v")
    assert result.code == 0, result.output
    (landed,) = [r for r in hops.log if r.path == "/"]
    assert landed.method == "DELETE"
    assert landed.headers.get("referer") == f"{echo.url}/"  # no path, no query (it holds a key)
    for name in ("authorization", "x-api-key", "cookie"):
        assert name not in {k.lower() for k in landed.headers}, name
    for secret in ("tok-secret-1", "key-secret-2", "key-secret-3", "cookie-secret-4"):
        assert secret not in json.dumps(landed.headers)


@pytest.mark.parametrize("status", ["307", "302"])
def test_a_body_is_still_refused_across_origins_with_keep_method(
    run_cli: RunCli, write_file: WriteFile, echo: EchoServer, hops: RedirectServer, status: str
) -> None:
    """keep_method sends the body again on a 302 too: never to another origin."""
    path = write_file(
        "c.yaml",
        """
        steps:
          - request: away
            method: POST
            url: <<a>>/redirect-to
            params: {url: <<b>>/, status_code: "STATUS"}
            body: {json: {card: "4111"}}
            redirects: {follow: true, keep_method: true, referer: true}
        """.replace("STATUS", status),
    )
    result = run_cli("run", path, "--var", f"a={echo.url}", "--var", f"b={hops.url}")
    assert result.code == 1
    assert "would send the request body to another origin" in result.output
    assert not [r for r in hops.log if r.path == "/"]


# -- the format ----------


@pytest.mark.parametrize(
    ("snippet", "message", "line"),
    [
        ("redirects: {max: -1}", "redirects.max must be 0 to 1000", 4),
        ("redirects: {follow: maybe}", "redirects.follow must be true or false", 4),
        ("redirects: {folow: true}", "unknown key 'folow' in redirects", 4),
        ("redirects: 3", "redirects must be true or false", 4),
        (
            "follow_redirects: true\n    redirects: {follow: false}",
            "sets both follow_redirects and redirects",
            5,
        ),
    ],
)
def test_bad_redirect_settings_are_one_clear_error(
    run_cli: RunCli, write_file: WriteFile, snippet: str, message: str, line: int
) -> None:
    path = write_file(
        "bad.yaml", f"steps:\n  - request: r\n    url: http://127.0.0.1:9/\n    {snippet}\n"
    )
    result = run_cli("check", path)
    assert result.code == 2
    assert message in result.err and f"bad.yaml:{line}:" in result.err


def test_curl_export_follows_the_inherited_setting(run_cli: RunCli, write_file: WriteFile) -> None:
    path = write_file(
        "c.yaml",
        """
        redirects: {follow: true, max: 5}
        steps:
          - request: r
            url: http://127.0.0.1:9/x
        """,
    )
    result = run_cli("export", "curl", path)
    assert result.code == 0, result.output
    assert "-L \\\n  --max-redirs 5\n" in result.out


# -- Postman ----------


def test_postman_settings_import_level_by_level_and_run(
    run_cli: RunCli, tmp_path: Path, hops: RedirectServer
) -> None:
    doc = collection(
        {
            "name": "Keeps",
            "protocolProfileBehavior": {"followOriginalHttpMethod": True},
            "item": [
                request(
                    "delete",
                    f"{hops.url}/2",
                    method="DELETE",
                    test="pm.expect(pm.response.json().method).to.eql('DELETE');",
                    protocolProfileBehavior={"maxRedirects": 2},
                )
            ],
        },
        request(
            "no referer",
            f"{hops.url}/1",
            test="pm.expect(pm.response.json().headers).to.not.have.property('referer');",
            protocolProfileBehavior={"removeRefererHeaderOnRedirect": True},
        ),
        protocolProfileBehavior={"maxRedirects": 3},
    )
    source = write_json(tmp_path / "in.json", doc)
    assert run_cli("import", "postman", source, "-o", tmp_path / "out").code == 0
    (path,) = (tmp_path / "out" / "collections").glob("*.yaml")
    data = yaml.safe_load(path.read_text())
    assert data["redirects"] == {"follow": True, "max": 3, "keep_method": False, "referer": True}
    folder = data["steps"][0]
    assert folder["redirects"] == {"keep_method": True}
    assert folder["steps"][0]["redirects"] == {"max": 2}
    assert data["steps"][1]["redirects"] == {"referer": False}
    assert run_cli("run", path).code == 0
    # the same collection with the folder's setting gone: the DELETE arrives as a GET
    del doc["item"][0]["protocolProfileBehavior"]
    source = write_json(tmp_path / "in2.json", doc)
    assert run_cli("import", "postman", source, "-o", tmp_path / "out2").code == 0
    (path,) = (tmp_path / "out2" / "collections").glob("*.yaml")
    assert run_cli("run", path).code == 1


def test_export_writes_each_level_back_and_the_round_trip_is_stable(
    run_cli: RunCli, tmp_path: Path, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        """
        redirects: {follow: true, max: 5, referer: false}
        steps:
          - folder: F
            redirects: {keep_method: true}
            steps:
              - request: a
                url: http://127.0.0.1:9/a
                redirects: {max: 2, referer: true}
              - request: b
                url: http://127.0.0.1:9/b
                follow_redirects: false
        """,
    )
    out = tmp_path / "c.json"
    assert run_cli("export", "postman", path, "-o", out).code == 0
    document = json.loads(out.read_text())
    assert document["protocolProfileBehavior"] == {
        "maxRedirects": 5,
        "removeRefererHeaderOnRedirect": True,
    }
    folder = document["item"][0]
    assert folder["protocolProfileBehavior"] == {"followOriginalHttpMethod": True}
    a, b = folder["item"]
    assert a["protocolProfileBehavior"] == {
        "maxRedirects": 2,
        "removeRefererHeaderOnRedirect": False,
    }
    assert b["protocolProfileBehavior"] == {"followRedirects": False}
    # import, export, import: the same YAML
    assert run_cli("import", "postman", out, "-o", tmp_path / "one").code == 0
    (first,) = (tmp_path / "one" / "collections").glob("*.yaml")
    again = tmp_path / "again.json"
    assert run_cli("export", "postman", first, "-o", again).code == 0
    assert run_cli("import", "postman", again, "-o", tmp_path / "two").code == 0
    (second,) = (tmp_path / "two" / "collections").glob("*.yaml")

    def body(p: Path) -> list[str]:
        return [line for line in p.read_text().splitlines() if not line.startswith("#")]

    assert body(first) == body(second)
    data = yaml.safe_load(first.read_text())
    assert data["redirects"] == {"follow": True, "max": 5, "keep_method": False, "referer": False}


def test_a_native_collection_exports_the_runners_defaults(
    run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """Our defaults differ from Postman's: written on the collection so Postman does as we do."""
    path = write_file("c.yaml", "steps:\n  - request: r\n    url: http://127.0.0.1:9/\n")
    out = tmp_path / "c.json"
    assert run_cli("export", "postman", path, "-o", out).code == 0
    assert json.loads(out.read_text())["protocolProfileBehavior"] == {
        "followRedirects": False,
        "maxRedirects": 20,
        "removeRefererHeaderOnRedirect": True,
    }


def test_follow_authorization_header_is_reported_not_obeyed(
    run_cli: RunCli, tmp_path: Path
) -> None:
    doc = collection(
        request(
            "r",
            "https://api.example.com/",
            protocolProfileBehavior={"followAuthorizationHeader": True, "maxRedirects": "x"},
        )
    )
    result = run_cli("import", "postman", write_json(tmp_path / "in.json", doc), "-o", tmp_path)
    assert result.code == 0, result.output
    assert "followAuthorizationHeader is not supported: credentials never follow" in result.out
    assert "protocolProfileBehavior.maxRedirects: 'x' is ignored" in result.out


@needs_shared
def test_newmans_protocol_profile_behavior_fixture_passes(
    run_cli: RunCli, tmp_path: Path, hops: RedirectServer
) -> None:
    port = hops.url.rsplit(":", 1)[1]
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("localhost:4042", f"localhost:{port}").replace('"4042"', f'"{port}"')
    source = tmp_path / "ppb.json"
    source.write_text(text, encoding="utf-8")
    assert run_cli("import", "postman", source, "-o", tmp_path / "out").code == 0
    (path,) = (tmp_path / "out" / "collections").glob("*.yaml")
    result = run_cli("run", path)
    assert result.code == 0, result.output
    assert "8 passed, 0 failed" in result.out
    # without its settings (Postman's defaults everywhere) five of its requests fail
    doc = json.loads(text)

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("protocolProfileBehavior", None)
            for item in node.get("item", []):
                strip(item)

    strip(doc)
    bare = write_json(tmp_path / "bare.json", doc)
    assert run_cli("import", "postman", bare, "-o", tmp_path / "bare").code == 0
    (path,) = (tmp_path / "bare" / "collections").glob("*.yaml")
    result = run_cli("run", path)
    assert result.code == 1
    assert "3 passed, 4 failed, 1 errors" in result.out  # maxRedirects: 11 > 10
