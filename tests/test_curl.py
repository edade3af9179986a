"""curl in and out: real-world commands from API docs imported, exported, and compared with
what curl itself sends to a real local server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from server import Recorded, TestServer

from runner.core.errors import UsageError
from runner.format.loader import parse_collection
from runner.formats.curl import importer

# Commands written in the manner of public API documentation (payments, chat, code hosting,
# messaging, video, search...), pointed at {BASE}: the local test server.
COMMANDS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "json-post",
        "curl -X POST {BASE}/echo/v1/orders -H 'Content-Type: application/json' "
        "-H 'Authorization: Bearer sk_test_abc123' "
        "-d '{\"customer\": \"cus_42\", \"amount\": 1999, \"currency\": \"usd\"}'",
        {"method": "POST", "auth": {"type": "bearer", "token": "sk_test_abc123"},
         "body": {"json": {"customer": "cus_42", "amount": 1999, "currency": "usd"}}},
    ),
    (
        "form-post-basic-auth",
        "curl {BASE}/echo/v1/charges -u sk_test_abc123: -d amount=2000 -d currency=usd "
        "-d 'description=First+charge'",
        {"method": "POST", "auth": {"type": "basic", "username": "sk_test_abc123",
                                    "password": ""},
         "body": {"form": {"amount": "2000", "currency": "usd",
                           "description": "First charge"}}},
    ),
    (
        "get-with-query-and-headers",
        "curl -L \\\n  -H \"Accept: application/vnd.github+json\" \\\n"
        "  -H \"X-GitHub-Api-Version: 2022-11-28\" \\\n"
        "  '{BASE}/echo/repos/octo/hello/issues?state=open&per_page=5'",
        {"url": "{BASE}/echo/repos/octo/hello/issues",
         "params": {"state": "open", "per_page": "5"}, "follow_redirects": True,
         "headers": {"Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28"}},
    ),
    (
        "json-flag",
        "curl --json '{\"channel\":\"C123\",\"text\":\"Hello\"}' {BASE}/echo/api/chat.postMessage",
        {"method": "POST", "headers": {"Accept": "application/json"},
         "body": {"json": {"channel": "C123", "text": "Hello"}}},
    ),
    (
        "urlencode-data",
        "curl -X POST {BASE}/echo/2010-04-01/Messages.json "
        "--data-urlencode 'Body=Hi there & welcome' --data-urlencode 'To=+15005550006' "
        "-u ACxxx:token123",
        {"method": "POST", "auth": {"type": "basic", "username": "ACxxx", "password": "token123"},
         "body": {"form": {"Body": "Hi there & welcome", "To": "+15005550006"}}},
    ),
    (
        "get-data-urlencode",
        "curl -G {BASE}/echo/search --data-urlencode 'q=hello world' -d limit=10",
        {"method": None, "url": "{BASE}/echo/search",
         "params": {"q": "hello world", "limit": "10"}},
    ),
    (
        "put-text-body",
        "curl -X PUT {BASE}/echo/files/notes.txt -H 'Content-Type: text/plain' "
        "--data-binary 'line one'",
        {"method": "PUT", "body": {"text": "line one", "content_type": "text/plain"}},
    ),
    (
        "multipart",
        "curl -F 'purpose=fine-tune' -F 'note=first upload;type=text/plain' "
        "{BASE}/echo/v1/files -H 'Authorization: Bearer tok-xyz'",
        {"method": "POST", "auth": {"type": "bearer", "token": "tok-xyz"},
         "body": {"multipart": {"purpose": "fine-tune",
                                "note": {"value": "first upload", "content_type": "text/plain"}}}},
    ),
    (
        "delete-with-cookie-and-agent",
        "curl --request DELETE --url {BASE}/echo/v2/meetings/85746065 "
        "--header 'authorization: Bearer eyJhbGciOi' -b 'session=abc; theme=dark' -A 'docs/1.0'",
        {"method": "DELETE", "auth": {"type": "bearer", "token": "eyJhbGciOi"},
         "headers": {"Cookie": "session=abc; theme=dark", "User-Agent": "docs/1.0"}},
    ),
    (
        "patch-json-content-type-vendor",
        "curl -sS -X PATCH {BASE}/echo/v1/items/7 "
        "-H 'Content-Type: application/merge-patch+json' "
        "--data-raw $'{\"name\": \"it\\'s\"}' -m 10",
        {"method": "PATCH", "timeout": 10,
         "body": {"json": {"name": "it's"}, "content_type": "application/merge-patch+json"}},
    ),
    (
        "head",
        "curl -I {BASE}/echo/health",
        {"method": "HEAD"},
    ),
    (
        "combined-short-flags",
        "curl -sSL -XPOST -H'X-Request-Id: 42' {BASE}/echo/ping -d 'pong'",
        {"method": "POST", "follow_redirects": True, "headers": {"X-Request-Id": "42"},
         "body": {"text": "pong", "content_type": "application/x-www-form-urlencoded"}},
    ),
]  # fmt: skip


def step_of(command: str) -> dict[str, Any]:
    return importer.to_step(importer.parse(importer.split_command(command)))


def check_step(step: dict[str, Any], expected: dict[str, Any], base: str) -> None:
    for key, value in expected.items():
        value = json.loads(json.dumps(value).replace("{BASE}", base))
        if key == "method" and value is None:
            assert "method" not in step
        else:
            assert step.get(key) == value, (key, step)


@pytest.mark.parametrize(("name", "command", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_import_reads_real_world_commands(name: str, command: str, expected: Any) -> None:
    base = "http://127.0.0.1:9"
    step = step_of(command.replace("{BASE}", base))
    check_step(step, expected, base)
    parse_collection(_collection_text(step), "c.yaml")  # the loader accepts the step


def _collection_text(step: dict[str, Any]) -> str:
    from runner.authoring import fmt

    return fmt.dump(fmt.plain({"name": "imported", "steps": [step]}))


@pytest.mark.parametrize(("name", "command", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_round_trip_curl_step_curl_is_stable(
    name: str, command: str, expected: Any, run_cli: Any, tmp_path: Path
) -> None:
    base = "http://127.0.0.1:9"
    first = step_of(command.replace("{BASE}", base))
    path = tmp_path / "c.yaml"
    path.write_text(_collection_text(first), encoding="utf-8")
    exported = run_cli("export", "curl", path, "--show-secrets")
    assert exported.code == 0, exported.err
    command_again = "\n".join(
        line for line in exported.out.splitlines() if not line.startswith("#")
    )
    second = step_of(command_again)
    assert second == first
    path.write_text(_collection_text(second), encoding="utf-8")
    assert run_cli("export", "curl", path, "--show-secrets").out == exported.out


def _recorded(server: TestServer) -> Recorded:
    log = server.wait_for(1)
    assert len(log) == 1, log
    return log[0]


COMPARED_HEADERS = ("content-type", "authorization", "accept", "cookie", "user-agent",
                    "x-request-id", "x-github-api-version")  # fmt: skip


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(("name", "command", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_the_imported_step_sends_what_curl_sends(
    name: str, command: str, expected: Any, run_cli: Any, tmp_path: Path
) -> None:
    with TestServer() as by_curl, TestServer() as by_runner:
        words = importer.split_command(command.replace("{BASE}", by_curl.url))
        done = subprocess.run(
            [*words, "-s", "-o", "/dev/null"], cwd=tmp_path, capture_output=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        sent = _recorded(by_curl)

        path = tmp_path / "c.yaml"
        step = step_of(command.replace("{BASE}", by_runner.url))
        path.write_text(_collection_text(step), encoding="utf-8")
        result = run_cli("run", path)
        assert result.code == 0, result.output
        got = _recorded(by_runner)

    assert (got.method, got.path, got.query) == (sent.method, sent.path, sent.query)
    for header in COMPARED_HEADERS:
        if header == "user-agent" and "user-agent" not in (k.lower() for k in step.get(
                "headers", {})):  # fmt: skip
            continue  # each client names itself
        if header == "content-type" and sent.headers.get(header, "").startswith("multipart/"):
            assert got.headers[header].startswith("multipart/form-data; boundary=")
            continue
        if header == "content-type" and name == "json-post":
            pass
        if header == "content-type" and "json" in step.get("body", {}) and header in got.headers:
            assert got.headers[header] == "application/json" or "+json" in got.headers[header]
            continue
        assert got.headers.get(header) == sent.headers.get(header), header
    if sent.headers.get("content-type", "").startswith("multipart/"):
        for field in (b'name="purpose"', b"fine-tune", b'name="note"', b"first upload"):
            assert field in got.body and field in sent.body
    elif "json" in step.get("body", {}):
        assert json.loads(got.body) == json.loads(sent.body)
    else:
        assert got.body == sent.body


def test_json_without_a_content_type_is_detected_and_noted(run_cli: Any) -> None:
    done = run_cli("import", "curl", "curl http://h/x -d '{\"a\": [1, 2]}'")
    assert done.code == 0
    assert "body:\n      json:\n        a:\n          - 1\n          - 2\n" in done.out
    assert "note: the body is JSON" in done.err


def test_shell_variables_and_postman_placeholders_become_templates() -> None:
    step = step_of(
        'curl "https://{{host}}/v1/me" -H "Authorization: Bearer $ZOOM_TOKEN" '
        "-H 'X-Literal: $NOT_EXPANDED'"
    )
    assert step["url"] == "https://<<host>>/v1/me"
    assert step["auth"] == {"type": "bearer", "token": "<< env('ZOOM_TOKEN') >>"}
    assert step["headers"] == {"X-Literal": "$NOT_EXPANDED"}


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("curl -d @body.json http://h/", "reads the body from a file"),
        ("curl --proxy-user x http://h/", "curl option --proxy-user is not supported"),
        ("curl -Z http://h/", "curl option -Z is not supported"),
        ("curl -X POST", "the curl command has no URL"),
        ("curl 'http://h/", "unclosed ' quote"),
        ("curl http://a/ http://b/", "more than one URL"),
        ("curl -b cookies.txt http://h/", "reads cookies from a file"),
        ("curl -F a=1 -F a=2 http://h/", "given twice"),
    ],
)
def test_what_cannot_be_imported_is_refused_by_name(command: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        step_of(command)


def test_a_refused_command_exits_2_and_writes_nothing(run_cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    done = run_cli("import", "curl", "--to", target, "curl -d @x.json http://h/")
    assert done.code == 2
    assert "error: -d @x.json reads the body from a file" in done.err
    assert not target.exists()


def test_to_appends_to_a_collection_keeping_its_comments(run_cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "api.yaml"
    target.write_text(
        "# My API\nname: API\nsteps:\n  - request: Ping   # is it up?\n    url: http://h/ping\n",
        encoding="utf-8",
    )
    done = run_cli(
        "import", "curl", "--to", target, "--name", "Create a user",
        "curl -X POST http://h/users -H 'Content-Type: application/json' -d '{\"name\":\"Ada\"}'",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert "appended to" in done.err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# My API\nname: API\nsteps:\n  - request: Ping   # is it up?\n")
    collection = parse_collection(text, str(target))
    assert [s.name for s in collection.steps] == ["Ping", "Create a user"]
    created = tmp_path / "new.yaml"
    done = run_cli("import", "curl", "--to", created, "curl http://h/a")
    assert done.code == 0
    assert parse_collection(created.read_text(), "new.yaml").name == "new"


def test_export_masks_secrets_unless_asked(run_cli: Any, write_file: Any) -> None:
    path = write_file(
        "c.yaml",
        """
        variables:
          api_token: tok-s3cret-value
          password: pa55-w0rd-value
        steps:
          - request: Me
            url: https://api.example.com/me?access_token=<<api_token>>
            headers: {X-Api-Key: key-123456}
            auth: {type: basic, username: ada, password: <<password>>}
            capture: {order_id: $.id}
          - request: Later
            url: https://api.example.com/orders/<<order_id>>
            body:
              form: {client_secret: <<api_token>>}
        """,
    )
    done = run_cli("export", "curl", path)
    assert done.code == 0, done.err
    for secret in ("tok-s3cret-value", "pa55-w0rd-value", "key-123456"):
        assert secret not in done.out
    assert "access_token=[REDACTED]" in done.out.replace("%5BREDACTED%5D", "[REDACTED]")
    assert "-H 'X-Api-Key: [REDACTED]'" in done.out
    assert "-u 'ada:[REDACTED]'" in done.out
    shown = run_cli("export", "curl", path, "--show-secrets", "--step", "Me")
    assert "tok-s3cret-value" in shown.out and "-u ada:pa55-w0rd-value" in shown.out
    assert "# Later" not in shown.out
    assert "'https://api.example.com/orders/<order_id>'" in done.out  # known only at run time


def test_export_names_a_missing_step(run_cli: Any, write_file: Any) -> None:
    path = write_file("c.yaml", "steps:\n  - request: Ping\n    url: http://h/\n")
    done = run_cli("export", "curl", path, "--step", "Pnig")
    assert done.code == 2
    assert "no request step is named 'Pnig'" in done.err
    assert "did you mean 'Ping'?" in done.err
