"""docs/auth.md's CI recipe, end to end, against django-oauth-toolkit (PyPI; started by
tests/dot_support.py on 127.0.0.1, PKCE required, refresh tokens rotating): ``runner auth
login`` with Debian's Chromium signing in and pressing Authorize, then a CI run with no
terminal and no browser that refreshes, from the printed refresh token or from the cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dot_support import (
    CHROMIUM,
    CONFIDENTIAL,
    CONFIDENTIAL_SECRET,
    DotServer,
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


def collection(tmp_path: Path, dot: DotServer, redirect: str) -> Path:
    """docs/auth.md's block: a stored refresh token when there is one, else the browser."""
    path = tmp_path / "api.yaml"
    path.write_text(
        f"""name: the CI recipe
auth:
  type: oauth2
  grant: authorization_code
  auth_url: {dot.auth_url}
  token_url: {dot.token_url}
  client_id: {CONFIDENTIAL}
  client_secret: << env('CLIENT_SECRET') >>
  redirect_uri: {redirect}
  scopes: [read]
  refresh_token: << env('OAUTH_REFRESH_TOKEN', '') >>
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


def login(
    tmp_path: Path, dot: DotServer, chromium: Any, cache: Path, *flags: str
) -> tuple[int, str, str]:
    """``runner auth login`` as a person runs it: stdout and stderr apart."""
    redirect = loopback()
    path = collection(tmp_path, dot, redirect)
    env = child_env(
        BROWSER=str(browser_command(tmp_path, follow=False)),
        RUNNER_CACHE_DIR=str(cache),
        CLIENT_SECRET=CONFIDENTIAL_SECRET,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "auth", "login", str(path), "--open",
         "--callback-timeout", "60", *flags],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    heading = person(chromium, opened_url(tmp_path, proc), redirect, "Authorize")
    assert heading == "Authorization received"
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        finish(proc)
    return proc.returncode, out, err


def ci_run(path: Path, cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A CI run: no terminal, no browser, no --open."""
    return subprocess.run(
        [sys.executable, "-m", "runner", "run", str(path), "--no-color"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        env=child_env(RUNNER_CACHE_DIR=str(cache), CLIENT_SECRET=CONFIDENTIAL_SECRET, **env),
    )  # fmt: skip


def test_the_printed_refresh_token_lets_ci_refresh(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    status, out, err = login(
        tmp_path, dot, chromium, tmp_path / "laptop", "--print-refresh-token", "--show-secret"
    )
    assert status == 0, out + err
    refresh_token = out.strip()
    assert len(refresh_token) > 20 and "\n" not in refresh_token
    assert f"logged in: {CONFIDENTIAL} at {dot.token_url}; cached in " in err
    assert "warning: the refresh token printed is a secret; keep it out of logs" in err
    assert refresh_token not in err and CONFIDENTIAL_SECRET not in out + err

    tokens_before = len(dot.requests("/o/token/"))
    result = ci_run(tmp_path / "api.yaml", tmp_path / "ci", OAUTH_REFRESH_TOKEN=refresh_token)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "· auth: refreshed the access token" in output
    assert "1 passed, 0 failed" in output
    assert refresh_token not in output
    assert len(dot.requests("/o/token/")) == tokens_before + 1  # one refresh, no authorize
    assert not (tmp_path / "opened.txt").read_text().count("\n") > 1  # the login's only


def test_the_cache_directory_lets_ci_refresh(dot: DotServer, chromium: Any, tmp_path: Path) -> None:
    cache = tmp_path / "ci-token-cache"
    status, out, err = login(tmp_path, dot, chromium, cache, "--print-refresh-token")
    assert status == 0, out + err
    assert out == "[REDACTED]\n"
    assert "the refresh token is masked; add --show-secret to print it" in err

    (tmp_path / "cache").mkdir()
    (cache / "tokens").rename(tmp_path / "cache" / "tokens")  # what test_dot_flows reads
    expire_cached(tmp_path)  # so that the CI run must refresh
    result = ci_run(tmp_path / "api.yaml", tmp_path / "cache")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "· auth: refreshed the access token" in output
    assert "1 passed, 0 failed" in output


def test_login_without_an_oauth2_block_says_so(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("name: plain\nsteps:\n  - request: r\n    url: http://a.test/\n")
    result = run_cli("auth", "login", str(path))
    assert result.code == 2
    assert result.err == f"error: {path} has no oauth2 auth: nothing to log in to\n"
    assert result.out == ""
