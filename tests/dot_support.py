"""django-oauth-toolkit as the independent authorization server of the OAuth tests: started
by ``DotServer`` in a subprocess (tests/dot_server/serve.py) on 127.0.0.1, a free port, with
a fresh SQLite database, a seeded user and clients; and Debian's Chromium playing the person
(sign in, then Authorize or Cancel)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
USERNAME = "ada"
PASSWORD = "correct horse battery staple"
# RFC 6749 §2.3.1: a secret with characters that form-urlencoding changes
CONFIDENTIAL_SECRET = "s3cr+t%2F:x y/é"
CONFIDENTIAL = "dot-confidential"
PUBLIC = "dot-public"
DEVICE = "dot-device"
REDIRECT_PATH = "/oauth/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter,HttpsUpgrades",
]


def dot_version() -> str:
    from importlib.metadata import version

    return version("django-oauth-toolkit")


def require_dot() -> None:
    """Skip, with the reason, where django-oauth-toolkit cannot be installed."""
    pytest.importorskip(
        "oauth2_provider",
        reason="django-oauth-toolkit is not installed (pip install -e '.[test]')",
    )


def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


class DotServer:
    """django-oauth-toolkit on ``base_url``; ``requests()`` lists what it was asked."""

    def __init__(self, directory: Path) -> None:
        require_dot()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "oidc.pem").write_text(rsa_pem(), encoding="utf-8")
        redirect = f"http://127.0.0.1{REDIRECT_PATH}"  # RFC 8252: any port on loopback
        clients: list[dict[str, Any]] = [
            {
                "name": "runner confidential",
                "client_id": CONFIDENTIAL,
                "client_secret": CONFIDENTIAL_SECRET,
                "client_type": "confidential",
                "authorization_grant_type": "authorization-code",
                "redirect_uris": redirect,
                "algorithm": "RS256",
            },
            {
                "name": "runner public",
                "client_id": PUBLIC,
                "client_secret": "",
                "client_type": "public",
                "authorization_grant_type": "authorization-code",
                "redirect_uris": redirect,
                "algorithm": "RS256",
            },
            {
                "name": "runner device",
                "client_id": DEVICE,
                "client_secret": "",
                "client_type": "public",
                "authorization_grant_type": DEVICE_GRANT,
                "redirect_uris": "",
            },
        ]
        (directory / "clients.json").write_text(
            json.dumps({"username": USERNAME, "password": PASSWORD, "clients": clients}),
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "dot_server" / "serve.py"), str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(HERE / "dot_server"),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until migrated and listening
        if not line.startswith("READY "):
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(f"django-oauth-toolkit did not start: {line}{err}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.base_url}/o"
        self.auth_url = f"{self.base_url}/o/authorize/"
        self.token_url = f"{self.base_url}/o/token/"
        self.device_url = f"{self.base_url}/o/device-authorization/"
        self.api_url = f"{self.base_url}/api/me"

    def requests(self, path: str | None = None) -> list[str]:
        """``METHOD /path`` of every request so far (only those to ``path`` when given)."""
        log = self.directory / "requests.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        seen = [json.loads(line) for line in lines]
        return [f"{r['method']} {r['path']}" for r in seen if path is None or r["path"] == path]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def sign_in_and_decide(page: Any, url: str, decision: str = "Authorize") -> None:
    """As a person: open ``url``, sign in as the seeded user, press ``decision`` (Authorize
    or Cancel) on django-oauth-toolkit's consent page."""
    page.goto(url)
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#authorizationForm")
    page.click(f"input[type=submit][value='{decision}']")


def scripted_code(server: DotServer, authorize_url: str) -> str:
    """The redirect URL django-oauth-toolkit answers to ``authorize_url`` once the seeded user
    signed in and pressed Authorize: httpx playing the browser (forms and cookies), for tests
    that need a real code or ID token without Chromium."""
    import html as entities
    import re
    from urllib.parse import parse_qs, urlsplit

    import httpx

    def csrf(html: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, html
        return match.group(1)

    with httpx.Client(base_url=server.base_url, timeout=15) as browser:
        page = browser.get(authorize_url, follow_redirects=True)  # to the sign-in page
        after = parse_qs(urlsplit(str(page.url)).query)["next"][0]  # where the server sends us
        page = browser.post(
            str(page.url),
            data={"csrfmiddlewaretoken": csrf(page.text), "username": USERNAME,
                  "password": PASSWORD, "next": after},
            follow_redirects=True,
        )  # fmt: skip
        found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
        fields = {name: entities.unescape(value) for name, value in found}
        answer = browser.post(str(page.url), data={**fields, "allow": "Authorize"})
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]
