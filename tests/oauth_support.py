"""Helpers for the OAuth tests: a scripted browser, a BROWSER command for subprocess runs,
the demo server's client, and a digest-auth server (HTTP Digest, RFC 7616, MD5)."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import stat
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
from local_http import LocalServer

from runner.demo.server import DemoClient, follow_authorize

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_client(secret: str = "demo-client-secret") -> DemoClient:
    """The demo's client with a redirect URI on a free loopback port."""
    return DemoClient("demo-client-id", secret, f"http://127.0.0.1:{free_port()}/oauth/callback")


class ScriptedBrowser:
    """Stands in for the system browser (``open_url``): loads the authorize URL, answers the
    consent form and follows the redirect to wherever it points (the runner's listener)."""

    def __init__(self, decision: str = "allow") -> None:
        self.decision = decision
        self.opened: list[str] = []
        self.pages: list[str] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        redirect = follow_authorize(url, decision=self.decision)
        with httpx.Client(timeout=10.0, trust_env=False) as browser:
            self.pages.append(browser.get(redirect).text)
        return True


def browser_command(tmp_path: Path, *, decision: str = "allow", follow: bool = True) -> Path:
    """An executable for ``BROWSER=``: records each URL it is asked to open (one per line in
    ``opened.txt``) and, with ``follow``, plays the person (consent, then the redirect)."""
    script = tmp_path / "fake-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"with open({str(tmp_path / 'opened.txt')!r}, 'a') as f:\n"
        "    f.write(sys.argv[1] + '\\n')\n"
        + (
            "import httpx\n"
            "from runner.demo.server import follow_authorize\n"
            f"redirect = follow_authorize(sys.argv[1], decision={decision!r})\n"
            "httpx.get(redirect, timeout=10, trust_env=False)\n"
            if follow
            else ""
        ),
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def opened_urls(tmp_path: Path) -> list[str]:
    path = tmp_path / "opened.txt"
    return path.read_text(encoding="utf-8").split() if path.exists() else []


def opened_url(tmp_path: Path, proc: subprocess.Popen[str]) -> str:
    """The first URL the run ``proc`` handed to the browser (browser_command records it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        urls = opened_urls(tmp_path)
        if urls:
            return urls[0]
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the run ended before opening a browser: {out}{err}")
        time.sleep(0.05)  # the browser command is another process: poll its file
    proc.kill()
    raise AssertionError("the run never opened the authorize URL")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a runner subprocess: no CI, no preset inputs, no colour."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "BROWSER") and not k.startswith("RUNNER_INPUT_")
    }
    env.update(NO_COLOR="1", **extra)
    return env


# -- HTTP Digest ---------------------------------------------------------------------------------


class DigestServer(LocalServer):
    """``/digest`` answers 401 with a Digest challenge (MD5, qop=auth) and 200 to a request
    whose response matches ``user``/``password``; every request's Authorization is kept."""

    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.realm = "runner-test"
        self.nonce = secrets.token_hex(16)
        self.authorizations: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                header = self.headers.get("Authorization")
                owner.authorizations.append(header)
                ok = header is not None and owner.verify(self.command, self.path, header)
                body = b'{"authenticated": true}' if ok else b'{"authenticated": false}'
                self.send_response(200 if ok else 401)
                if not ok:
                    self.send_header(
                        "WWW-Authenticate",
                        f'Digest realm="{owner.realm}", nonce="{owner.nonce}", qop="auth", '
                        "algorithm=MD5",
                    )
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)

    def verify(self, method: str, uri: str, header: str) -> bool:
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            return False
        fields: dict[str, str] = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value.strip('"')

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()  # RFC 7616 digest uses MD5

        ha1 = md5(f"{self.user}:{self.realm}:{self.password}")
        ha2 = md5(f"{method}:{fields.get('uri', '')}")
        expected = md5(
            f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:"
            f"{fields.get('qop')}:{ha2}"
        )
        return (
            fields.get("username") == self.user
            and fields.get("uri") == uri
            and fields.get("response") == expected
        )
