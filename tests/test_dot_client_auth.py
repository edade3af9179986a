"""Client authentication by its standard names against django-oauth-toolkit, whose
confidential client has a secret with ``+``, ``%``, ``:``, a space and a non-ASCII letter:
``client_secret_basic`` must form-urlencode it before Base64 (RFC 6749 §2.3.1), which the
toolkit decodes; ``client_secret_post`` sends it in the form; ``client_auth`` may be a
template; ``basic`` and ``body`` stay aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from dot_support import (
    CONFIDENTIAL,
    CONFIDENTIAL_SECRET,
    REDIRECT_PATH,
    DotServer,
    scripted_code,
)
from oauth_support import free_port


def run(
    dot: DotServer, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> tuple[int, str]:
    import webbrowser

    def browser(url: str, *args: object, **kwargs: object) -> bool:
        httpx.get(scripted_code(dot, url), timeout=10)  # the redirect, to the listener
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    collection = tmp_path / "c.yaml"
    collection.write_text(
        f"""name: client authentication
variables:
  how: client_secret_basic
auth:
  type: oauth2
  grant: authorization_code
  auth_url: {dot.auth_url}
  token_url: {dot.token_url}
  client_id: {CONFIDENTIAL}
  client_secret: << env('DOT_SECRET') >>
  client_auth: {how}
  redirect_uri: http://127.0.0.1:{free_port()}{REDIRECT_PATH}
steps:
  - request: Who am I
    url: {dot.api_url}
    expect:
      status: 200
""",
        encoding="utf-8",
    )
    result = run_cli(
        "run", str(collection), "--open", "--callback-timeout", "30", "--no-color",
        env={"DOT_SECRET": CONFIDENTIAL_SECRET, "RUNNER_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    return result.code, result.out + result.err


@pytest.mark.parametrize(
    "how", ["client_secret_basic", "client_secret_post", "basic", "body", "<<how>>"]
)
def test_the_secret_reaches_the_server_intact(
    dot: DotServer, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    code, output = run(dot, tmp_path, run_cli, monkeypatch, how)
    assert code == 0, output
    assert "1 passed, 0 failed" in output
    assert CONFIDENTIAL_SECRET not in output


def test_none_sends_no_secret_and_the_confidential_client_is_refused(
    dot: DotServer, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run(dot, tmp_path, run_cli, monkeypatch, "none")
    assert code == 1, output
    assert "the code exchange was refused: invalid_client" in output


def test_an_unknown_name_is_refused_when_loading(tmp_path: Path, run_cli: Any) -> None:
    collection = tmp_path / "c.yaml"
    collection.write_text(
        "name: x\nauth: {type: oauth2, grant: client_credentials, token_url: 'http://a.test/t',"
        " client_id: c, client_auth: header}\nsteps:\n  - request: r\n    url: http://a.test\n",
        encoding="utf-8",
    )
    result = run_cli("check", str(collection))
    assert result.code == 2, result.out + result.err
    assert (
        "oauth2 client_auth must be one of client_secret_basic, client_secret_post, "
        "private_key_jwt, none, not 'header'"
    ) in result.err
