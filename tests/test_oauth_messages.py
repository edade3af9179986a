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
        "authorize once where a person and a browser are (`runner run COLLECTION -e ENV "
        "--open`), then give CI the token cache (RUNNER_CACHE_DIR) so it refreshes without a "
        "person; or start from a stored refresh token (grant: refresh_token); see docs/auth.md"
    ) in result.out + result.err
    assert "--input code=VALUE" not in result.out + result.err


def test_no_listening_note_when_the_code_is_given(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli(
        "run", str(block(tmp_path)), "--input", "code=abc",
        env={"RUNNER_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert "the code exchange" in result.out + result.err  # it went on to the token endpoint
    assert "listening on" not in result.out + result.err
