"""The authorization-code flow against an authorization server this project did not write:
django-oauth-toolkit (PyPI), started by tests/dot_support.py on 127.0.0.1 with PKCE required
and refresh-token rotation on, with Debian's Chromium signing in and pressing Authorize or
Cancel. Both forms of a collection: the ``oauth2`` auth block with loopback capture, and the
explicit steps (browser, pause, token request)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from dot_support import (
    CHROMIUM,
    CONFIDENTIAL,
    CONFIDENTIAL_SECRET,
    PUBLIC,
    REDIRECT_PATH,
    DotServer,
    cached,
    expire_cached,
    finish,
    loopback,
    person,
)
from oauth_support import browser_command, child_env, opened_url

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
)


def block_collection(tmp_path: Path, dot: DotServer, client_auth: str = "body") -> Path:
    path = tmp_path / "dot_block.yaml"
    path.write_text(
        f"""name: django-oauth-toolkit, the oauth2 block
variables:
  token_url: {dot.token_url}
auth:
  type: oauth2
  grant: authorization_code
  auth_url: {dot.auth_url}
  token_url: <<token_url>>      # a URL, shown in messages, not masked
  client_id: {CONFIDENTIAL}
  client_secret: << env('DOT_SECRET') >>
  client_auth: {client_auth}
  redirect_uri: <<redirect_uri>>
  scopes: [read]
steps:
  - request: Who am I
    url: {dot.api_url}
    expect:
      status: 200
      json:
        $.username: ada
""",
        encoding="utf-8",
    )
    return path


def steps_collection(tmp_path: Path, dot: DotServer, *, wrong_verifier: bool = False) -> Path:
    """Authorize, the code, the token request; then the API, a refresh, and the rotated-away
    refresh token refused. With ``wrong_verifier`` the token request sends a fresh verifier
    and expects invalid_grant (and the run ends there)."""
    verifier = "<< pkce_verifier() >>" if wrong_verifier else "<<code_verifier>>"
    path = tmp_path / "dot_steps.yaml"
    text = f"""name: django-oauth-toolkit, step by step
variables:
  state: << random_state() >>
  code_verifier: << pkce_verifier() >>
  code_challenge: << pkce_challenge(code_verifier) >>
secrets: [code_verifier]
steps:
  - browser: Authorize
    url: {dot.auth_url}
    params:
      response_type: code
      client_id: {PUBLIC}
      redirect_uri: <<redirect_uri>>
      scope: read
      state: <<state>>
      code_challenge: <<code_challenge>>
      code_challenge_method: S256
  - pause: The code
    variable: code
    from_url: code
    state: <<state>>
  - request: Token
    method: POST
    url: {dot.token_url}
    body:
      form:
        grant_type: authorization_code
        client_id: {PUBLIC}
        code: <<code>>
        redirect_uri: <<redirect_uri>>
        code_verifier: {verifier}
"""
    if wrong_verifier:
        text += """    expect:
      status: 400
      json:
        $.error: invalid_grant
"""
    else:
        text += f"""    capture:
      access_token: $.access_token
      first_refresh: $.refresh_token
  - request: Who am I
    url: {dot.api_url}
    auth: {{type: bearer, token: <<access_token>>}}
    expect:
      status: 200
      json:
        $.username: ada
  - request: Refresh
    method: POST
    url: {dot.token_url}
    body:
      form:
        grant_type: refresh_token
        client_id: {PUBLIC}
        refresh_token: <<first_refresh>>
    expect:
      status: 200
    capture:
      second_refresh: $.refresh_token
  - request: The rotated-away refresh token is refused
    method: POST
    url: {dot.token_url}
    body:
      form:
        grant_type: refresh_token
        client_id: {PUBLIC}
        refresh_token: <<first_refresh>>
    expect:
      status: 400
      json:
        $.error: invalid_grant
"""
    path.write_text(text, encoding="utf-8")
    return path


def start(
    collection: Path, tmp_path: Path, redirect_uri: str, *extra: str
) -> subprocess.Popen[str]:
    env = child_env(
        BROWSER=str(browser_command(tmp_path, follow=False)),
        RUNNER_CACHE_DIR=str(tmp_path / "cache"),
        DOT_SECRET=CONFIDENTIAL_SECRET,
    )
    return subprocess.Popen(
        [
            sys.executable, "-m", "runner", "run", str(collection),
            "--var", f"redirect_uri={redirect_uri}",
            "--open", "--callback-timeout", "60", "--no-color", *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip


# -- the oauth2 block, loopback capture ---------------------------------------------------------


def test_block_authorizes_then_refreshes_with_rotation(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    redirect = loopback()
    collection = block_collection(tmp_path, dot)
    proc = start(collection, tmp_path, redirect)
    heading = person(chromium, opened_url(tmp_path, proc), redirect, "Authorize")
    status, output = finish(proc)
    assert status == 0, output
    assert heading == "Authorization received"
    assert "1 passed, 0 failed" in output
    first = cached(tmp_path)
    assert first["access_token"] not in output and first["refresh_token"] not in output
    assert CONFIDENTIAL_SECRET not in output

    expire_cached(tmp_path)  # the next run refreshes, with no person
    env = child_env(RUNNER_CACHE_DIR=str(tmp_path / "cache"), DOT_SECRET=CONFIDENTIAL_SECRET)
    again = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(collection), "--var",
         f"redirect_uri={redirect}", "--no-color"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "refreshed the access token" in again.stdout
    second = cached(tmp_path)
    assert second["refresh_token"] != first["refresh_token"]  # rotated
    reuse = httpx.post(
        dot.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": CONFIDENTIAL,
            "client_secret": CONFIDENTIAL_SECRET,
        },
    )
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")


def test_block_forged_state_is_refused_before_any_token_request(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    redirect = loopback()
    tokens_before = len(dot.requests("/o/token/"))
    proc = start(block_collection(tmp_path, dot), tmp_path, redirect)
    url = opened_url(tmp_path, proc)
    forged = httpx.get(f"{redirect}?code=stolen&state=forged", timeout=10)
    assert forged.status_code == 400
    assert "Not from this run" in forged.text
    assert len(dot.requests("/o/token/")) == tokens_before  # nothing was redeemed
    heading = person(chromium, url, redirect, "Authorize")  # the real one still works
    status, output = finish(proc)
    assert status == 0, output
    assert heading == "Authorization received"
    assert len(dot.requests("/o/token/")) == tokens_before + 1


def test_block_access_denied_ends_the_run(dot: DotServer, chromium: Any, tmp_path: Path) -> None:
    redirect = loopback()
    tokens_before = len(dot.requests("/o/token/"))
    proc = start(block_collection(tmp_path, dot), tmp_path, redirect)
    heading = person(chromium, opened_url(tmp_path, proc), redirect, "Cancel")
    status, output = finish(proc)
    assert status == 1, output
    assert heading == "Authorization failed"
    assert "access_denied" in output
    assert len(dot.requests("/o/token/")) == tokens_before
    assert not (tmp_path / "cache" / "tokens").exists() or not list(
        (tmp_path / "cache" / "tokens").glob("*.json")
    )


# -- explicit steps, the pause takes the loopback redirect ---------------------------------------


def test_steps_authorize_exchange_refresh_and_rotation(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    redirect = loopback()
    proc = start(steps_collection(tmp_path, dot), tmp_path, redirect)
    heading = person(chromium, opened_url(tmp_path, proc), redirect, "Authorize")
    status, output = finish(proc)
    assert status == 0, output
    assert heading == "Authorization received"
    assert "6 passed, 0 failed" in output  # the reused refresh token got invalid_grant


def test_steps_wrong_verifier_is_refused(dot: DotServer, chromium: Any, tmp_path: Path) -> None:
    redirect = loopback()
    tokens_before = len(dot.requests("/o/token/"))
    proc = start(steps_collection(tmp_path, dot, wrong_verifier=True), tmp_path, redirect)
    person(chromium, opened_url(tmp_path, proc), redirect, "Authorize")
    status, output = finish(proc)
    assert status == 0, output  # the token step expects HTTP 400 invalid_grant, and got it
    assert "✔ Token — POST" in output and "→ 400" in output
    assert "3 passed, 0 failed" in output
    assert len(dot.requests("/o/token/")) == tokens_before + 1


def test_steps_forged_state_pasted_is_refused_with_no_token_request(
    dot: DotServer, tmp_path: Path
) -> None:
    redirect = f"https://client.example{REDIRECT_PATH}"  # paste only: no listener
    tokens_before = len(dot.requests("/o/token/"))
    env = child_env(RUNNER_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(steps_collection(tmp_path, dot)),
         "--var", f"redirect_uri={redirect}", "--no-color",
         "--input", f"code={redirect}?code=stolen&state=forged"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "state" in result.stdout + result.stderr
    assert len(dot.requests("/o/token/")) == tokens_before


def test_steps_access_denied_stops_before_the_token_request(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    redirect = loopback()
    tokens_before = len(dot.requests("/o/token/"))
    proc = start(steps_collection(tmp_path, dot), tmp_path, redirect)
    heading = person(chromium, opened_url(tmp_path, proc), redirect, "Cancel")
    status, output = finish(proc)
    assert status == 1, output
    assert heading == "Authorization failed"
    assert "access_denied" in output
    assert len(dot.requests("/o/token/")) == tokens_before
