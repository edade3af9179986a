"""The device authorization grant (RFC 8628) against django-oauth-toolkit (PyPI), started by
tests/dot_support.py on 127.0.0.1 with its seeded public ``dot-device`` client: the runner
shows the verification URL and the user code, Debian's Chromium signs in at that URL, enters
the code and presses Accept (or Deny), and the polling run gets (or is refused) the token."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from dot_support import CHROMIUM, DEVICE, PASSWORD, USERNAME, DotServer, finish
from oauth_support import browser_command, child_env, opened_urls

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
)


def start(tmp_path: Path, dot: DotServer) -> subprocess.Popen[str]:
    collection = tmp_path / "device.yaml"
    collection.write_text(
        f"""name: django-oauth-toolkit, the device flow
auth:
  type: oauth2
  grant: device_code
  device_authorization_url: {dot.device_url}
  token_url: {dot.token_url}
  client_id: {DEVICE}
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
    env = child_env(
        BROWSER=str(browser_command(tmp_path, follow=False)),
        RUNNER_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "run", str(collection), "--open", "--no-color"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def shown_code(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The user code and URL the run printed (read line by line as it prints them)."""
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        match = re.search(r"with the code (\S+) \(for 'Who am I'\): Opened in your browser:", line)
        if match:
            return match.group(1), proc.stdout.readline().strip()
    proc.kill()
    raise AssertionError(f"the run never showed a user code: {seen}{proc.communicate()[1]}")


def person(chromium: Any, url: str, user_code: str, action: str) -> str:
    """Chromium signs in at ``url``, enters the code, presses ``action``; the page's heading."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.fill("input[name=user_code]", user_code)
        page.click("button:has-text('Verify')")
        page.click(f"button[name=action][value={action}]")
        return str(page.inner_text("h1")).strip()
    finally:
        context.close()


def test_a_person_enters_the_code_and_the_run_gets_the_token(
    dot: DotServer, chromium: Any, tmp_path: Path
) -> None:
    proc = start(tmp_path, dot)
    user_code, url = shown_code(proc)
    assert url == dot.base_url + "/o/device/"
    assert opened_urls(tmp_path) == [url]  # --open: no complete URL from the toolkit
    heading = person(chromium, url, user_code, "accept")
    status, output = finish(proc)
    assert status == 0, output
    assert heading == "Device Authorized"
    assert f"obtained an access token from {dot.token_url} (device_code)" in output
    assert "1 passed, 0 failed" in output
    cached = list((tmp_path / "cache" / "tokens").glob("*.json"))
    assert len(cached) == 1
    assert '"grant": "device_code"' in cached[0].read_text()


def test_a_person_denies_and_the_run_says_so(dot: DotServer, chromium: Any, tmp_path: Path) -> None:
    proc = start(tmp_path, dot)
    user_code, url = shown_code(proc)
    heading = person(chromium, url, user_code, "deny")
    status, output = finish(proc)
    assert status == 1, output
    assert heading == "Device Denied"
    assert f"the authorization was denied at {url} (access_denied)" in output
    assert not list((tmp_path / "cache").rglob("*.json"))
