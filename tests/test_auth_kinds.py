"""Basic, bearer, API key (header or query), digest and none, at collection, folder and
request level; and no credential follows a redirect to another origin."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from conftest import RunCli
from oauth_support import DigestServer
from server import Recorded, TestServer

from runner.core.redact import MASK

WriteFile = Callable[[str, str], Path]


def only(server: TestServer, path: str) -> list[Recorded]:
    return [r for r in server.log if r.path == path]


def test_every_kind_with_inheritance(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "kinds.yaml",
        """
        name: Kinds
        variables:
          api_key: key-1234567
          admin_password: admin-pass
          user_token: user-token-42
        auth: {type: apikey, key: X-API-Key, value: <<api_key>>}
        steps:
          - request: Collection level (API key header)
            url: <<base>>/echo/1
          - folder: Admin
            auth: {type: basic, username: admin, password: <<admin_password>>}
            steps:
              - request: Folder level (basic)
                url: <<base>>/echo/2
              - request: Request level (bearer)
                url: <<base>>/echo/3
                auth: {type: bearer, token: <<user_token>>}
              - request: Explicit none
                url: <<base>>/echo/4
                auth: {type: none}
              - request: API key in the query
                url: <<base>>/echo/5
                auth: {type: apikey, key: api_key, value: <<api_key>>, in: query}
              - request: Own Authorization header wins
                url: <<base>>/echo/6
                headers: {Authorization: Token own}
          - request: Own API key header wins
            url: <<base>>/echo/7
            headers: {X-API-Key: own-key}
        """,
    )
    result = run_cli("run", path, "--var", f"base={fresh_server.url}", "-v")
    assert result.code == 0, result.output
    sent = {r.path: r for r in fresh_server.log}
    assert sent["/echo/1"].headers["x-api-key"] == "key-1234567"
    assert "authorization" not in sent["/echo/1"].headers
    basic = "Basic " + base64.b64encode(b"admin:admin-pass").decode()
    assert sent["/echo/2"].headers["authorization"] == basic
    assert "x-api-key" not in sent["/echo/2"].headers  # the folder's auth replaces it
    assert sent["/echo/3"].headers["authorization"] == "Bearer user-token-42"
    assert "authorization" not in sent["/echo/4"].headers
    assert "x-api-key" not in sent["/echo/4"].headers
    assert sent["/echo/5"].query == {"api_key": ["key-1234567"]}
    assert "x-api-key" not in sent["/echo/5"].headers
    assert sent["/echo/6"].headers["authorization"] == "Token own"
    assert sent["/echo/7"].headers["x-api-key"] == "own-key"
    # every credential is masked in the verbose report, the query-string key too
    for secret in ("key-1234567", "admin-pass", "user-token-42", basic.split()[1]):
        assert secret not in result.output
    assert f"api_key={MASK}" in result.output


def test_digest_auth_answers_the_challenge(run_cli: RunCli, write_file: WriteFile) -> None:
    path = write_file(
        "digest.yaml",
        """
        name: Digest
        variables: {digest_password: dig-pass-9}
        steps:
          - request: Digest
            url: <<base>>/digest
            auth: {type: digest, username: ada, password: <<digest_password>>}
            expect: {status: 200, json: {$.authenticated: true}}
          - request: Wrong password
            url: <<base>>/digest
            auth: {type: digest, username: ada, password: wrong}
            expect: {status: 401}
        """,
    )
    with DigestServer("ada", "dig-pass-9") as server:
        result = run_cli("run", path, "--var", f"base={server.url}", "-v")
        assert result.code == 0, result.output
        first, second, *_ = server.authorizations
    assert first is None  # the challenge first, as RFC 7616 has it
    assert second is not None and second.startswith("Digest ") and 'username="ada"' in second
    assert "dig-pass-9" not in result.output and "dig-pass-9" not in second


# -- redirects ----------------------------------------------------------------------------------


def redirect_collection(write_file: WriteFile, status: int, method: str = "GET") -> Path:
    body = "body: {json: {card: <<card_secret>>}}" if method == "POST" else ""
    return write_file(
        f"redirect{status}{method}.yaml",
        f"""
        name: Redirects
        variables:
          api_token: bearer-secret-1
          card_secret: card-secret-2
        auth: {{type: bearer, token: <<api_token>>}}
        steps:
          - request: Cross-origin redirect
            method: {method}
            url: <<a>>/redirect
            params: {{to: <<b>>/echo/landed, status: "{status}"}}
            follow_redirects: true
            headers:
              Cookie: session=cookie-secret-3
              X-API-Key: apikey-secret-4
              X-Custom: <<card_secret>>
              X-Plain: visible
            {body}
          - request: Same-origin redirect keeps the credentials
            url: <<a>>/redirect
            params: {{to: /echo/same, status: "{status}"}}
            follow_redirects: true
        """,
    )


def test_a_redirect_to_another_origin_carries_no_credential(
    run_cli: RunCli,
    fresh_server: TestServer,
    server: TestServer,
    write_file: WriteFile,
) -> None:
    path = redirect_collection(write_file, 302)
    other = TestServer().start()
    try:
        result = run_cli("run", path, "--var", f"a={fresh_server.url}", "--var", f"b={other.url}")
        assert result.code == 0, result.output
        (landed,) = only(other, "/echo/landed")
    finally:
        other.stop()
    # the first hop had them all
    (first,) = [r for r in fresh_server.log if r.query.get("to", [""])[0].endswith("/landed")]
    assert first.headers["authorization"] == "Bearer bearer-secret-1"
    assert first.headers["x-api-key"] == "apikey-secret-4"
    # the other origin got none: Authorization, Cookie, API key, a header holding a secret
    for name in ("authorization", "cookie", "x-api-key", "x-custom"):
        assert name not in landed.headers, name
    assert landed.headers["x-plain"] == "visible"
    # a redirect within the origin keeps them
    (same,) = only(fresh_server, "/echo/same")
    assert same.headers["authorization"] == "Bearer bearer-secret-1"


def test_a_307_does_not_send_the_body_to_another_origin(
    run_cli: RunCli,
    fresh_server: TestServer,
    write_file: WriteFile,
) -> None:
    path = redirect_collection(write_file, 307, "POST")
    other = TestServer().start()
    try:
        result = run_cli("run", path, "--var", f"a={fresh_server.url}", "--var", f"b={other.url}")
        assert other.log == []  # nothing at all reached the other origin
    finally:
        other.stop()
    assert result.code == 1
    assert "not following the redirect" in result.out
    assert "would send the request body to another origin" in result.out
    assert "card-secret-2" not in result.output
