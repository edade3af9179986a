"""The OAuth helper's messages: the loopback's refusal page in plain words, no "listening"
when the code was given with --input, and the no-terminal hint that says what works in CI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oauth_support import free_port

from runner.pause.loopback import CallbackListener


def test_the_refusal_page_reads_as_a_sentence() -> None:
    uri = f"http://127.0.0.1:{free_port()}/cb"
    with CallbackListener(uri, expected_state="expected", timeout=5) as listener:
        missing = listener.verdict("GET", "/cb?code=c", f"127.0.0.1:{listener.target.port}")
        other = listener.verdict("GET", "/cb?code=c&state=x", f"127.0.0.1:{listener.target.port}")
    assert missing.message == (
        "This redirect has no 'state': it does not answer the runner's current authorization "
        "request, so it was ignored (CSRF protection). Authorize again from the URL the runner "
        "printed."
    )
    assert other.message.startswith("This redirect has another 'state': it does not answer")


def block(tmp_path: Path) -> Path:
    port = free_port()
    path = tmp_path / "c.yaml"
    path.write_text(
        f"""name: block
auth:
  type: oauth2
  grant: authorization_code
  auth_url: http://127.0.0.1:{port}/authorize
  token_url: http://127.0.0.1:{port}/token
  client_id: c
  redirect_uri: http://127.0.0.1:{free_port()}/cb
steps:
  - request: r
    url: http://127.0.0.1:{port}/r
""",
        encoding="utf-8",
    )
    return path


def test_no_terminal_hint_says_what_works_in_ci(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli("run", str(block(tmp_path)), env={"RUNNER_CACHE_DIR": str(tmp_path)})
    assert result.code == 3, result.out + result.err
    assert (
        "log in once where a person and a browser are: `runner auth login COLLECTION -e ENV "
        "--open --print-refresh-token`, then give CI the refresh token (the block's refresh_token: "
        "<< env('OAUTH_REFRESH_TOKEN', '') >>) or the token cache (RUNNER_CACHE_DIR); "
        "see docs/auth.md#in-ci"
    ) in result.out + result.err
    assert "--input code=VALUE" not in result.out + result.err


def test_no_listening_note_when_the_code_is_given(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli(
        "run", str(block(tmp_path)), "--input", "code=abc",
        env={"RUNNER_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert "the code exchange" in result.out + result.err  # it went on to the token endpoint
    assert "listening on" not in result.out + result.err


def test_a_step_the_auth_helper_failed_shows_its_rendered_url(tmp_path: Path, run_cli: Any) -> None:
    from rfc_oauth_server import AssertionServer

    with AssertionServer("no key", "c") as server:  # refuses every token request
        path = tmp_path / "c.yaml"
        path.write_text(
            f"""name: rendered
variables:
  me_url: {server.url}/me
  api_key: k-0123456789-secret
secrets: [api_key]
auth:
  type: oauth2
  grant: client_credentials
  token_url: {server.url}/token
  client_id: c
  client_secret: s
steps:
  - request: Me
    url: <<me_url>>
    params:
      key: <<api_key>>
""",
            encoding="utf-8",
        )
        result = run_cli("run", str(path), "--no-color", "--no-token-cache")
    output = result.out + result.err
    assert result.code == 1, output
    assert f"Me — GET {server.url}/me?key=[REDACTED]\n" in output
    assert "<<me_url>>" not in output and "k-0123456789-secret" not in output
