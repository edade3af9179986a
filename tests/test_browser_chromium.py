"""A real browser: headless Chromium (Debian's ``chromium``, driven by Playwright for Python,
never a downloaded browser) authorizes on the demo server's consent page and is redirected to
the runner's loopback listener, while `runner run ... --open` waits with no terminal.

``--open`` goes through Python's webbrowser module, so ``BROWSER`` names a small command that
hands the URL to this test, which drives Chromium to it, as a person would in theirs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oauth_support import ROOT, browser_command, child_env, loopback_client, opened_url

from runner.demo.server import DemoClient, OAuthDemoServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # no network here: nothing in the background may try to reach out
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,HttpsUpgrades",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install -e '.[test]')",
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def start_run(client: DemoClient, server: OAuthDemoServer, tmp_path: Path) -> subprocess.Popen[str]:
    env = child_env(
        BROWSER=str(browser_command(tmp_path, follow=False)),
        RUNNER_CACHE_DIR=str(tmp_path / "cache"),
    )
    return subprocess.Popen(
        [
            sys.executable, "-m", "runner", "run",
            str(ROOT / "collections" / "zoom_oauth.yaml"),
            "-e", str(ROOT / "environments" / "local.yaml"),
            "--var", f"zoom_oauth_base={server.base_url}",
            "--var", f"zoom_api_base={server.base_url}/v2",
            "--var", f"redirect_uri={client.redirect_uri}",
            "--open", "--callback-timeout", "60",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip


@pytest.mark.parametrize("decision", ["Allow", "Deny"])
def test_chromium_authorizes_and_the_loopback_takes_the_redirect(
    chromium: Any, tmp_path: Path, decision: str
) -> None:
    client = loopback_client()
    with OAuthDemoServer(client) as server:
        proc = start_run(client, server, tmp_path)
        try:
            url = opened_url(tmp_path, proc)
            page = chromium.new_page()
            try:
                page.goto(url)
                assert "would like to access your account" in page.inner_text("h1")
                page.click(f"button:has-text('{decision}')")
                page.wait_for_url(f"{client.redirect_uri}?**", timeout=15000)
                heading = page.inner_text("h1")
                text = page.inner_text("body")
                landed = page.url
                page.screenshot(path=str(tmp_path / f"loopback-{decision}.png"))
            finally:
                page.close()
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        tokens = server.requests_to("/oauth/token")
        api = server.requests_to("/v2/users/me")
    cached = list((tmp_path / "cache" / "tokens").glob("*.json"))
    if decision == "Allow":
        assert proc.returncode == 0, out + err
        assert heading == "Authorization received"
        assert "You may close this tab" in text
        assert "code=" in landed
        assert [t.form["grant_type"] for t in tokens] == ["authorization_code"]
        assert [r.status for r in api] == [200]
        assert "1 passed, 0 failed" in out
        (path,) = cached
        token = json.loads(path.read_text())["token"]["access_token"]
        assert api[0].headers["authorization"] == f"Bearer {token}"
        code = tokens[0].form["code"]
        assert code not in out + err and token not in out + err
    else:
        assert proc.returncode == 1, out + err
        assert heading == "Authorization failed"
        assert "access_denied" in text
        assert "access_denied" in out
        assert tokens == [] and api == [] and cached == []
