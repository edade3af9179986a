"""What ``runner demo`` plays besides the server: the shipped collection and environment, and
the person's browser (load the authorize URL, click Allow, follow the redirect).

The command (``runner demo``) runs ``collections/zoom_oauth.yaml`` against ``OAuthDemoServer``
with these; they print nothing themselves: ``DemoBrowser`` tells what it does through the
``write`` it is given.
"""

from __future__ import annotations

import socket
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runner.core.errors import UsageError
from runner.core.redact import Redactor

SERVE_PORT = 8765
COLLECTION = "collections/zoom_oauth.yaml"
ENVIRONMENT = "environments/local.yaml"


def demo_file(relative: str) -> Path:
    """Find a shipped file: in the source tree (editable install), else in share/runner."""
    candidates = [
        Path(__file__).resolve().parents[2] / relative,
        Path(sysconfig.get_path("data")) / "share" / "runner" / relative,
        Path(sys.prefix) / "share" / "runner" / relative,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise UsageError(f"cannot find the demo's {relative}", hint="reinstall the package")


class DemoBrowser:
    """Plays the person's browser: loads the authorize URL, clicks Allow on the consent page,
    and follows the redirect to the runner's loopback listener."""

    def __init__(self, write: Callable[[str], None], redactor: Redactor) -> None:
        self.write = write
        self.redactor = redactor

    def __call__(self, url: str) -> bool:
        import httpx

        from runner.demo.server import follow_authorize

        say = self.write
        say("      (demo) a browser opens the authorize URL, and the person clicks Allow…")
        redirect = follow_authorize(url)
        for value in parse_qs(urlsplit(redirect).query).get("code", []):
            self.redactor.add(value)  # the code is a secret from the moment it exists
        say(f"      (demo) the browser is redirected to {self.redactor.mask(redirect)}")
        with httpx.Client(timeout=10.0, trust_env=False) as browser:
            page = browser.get(redirect)
        title = page.text.split("<title>", 1)[-1].split("</title>", 1)[0]
        say(f"      (demo) the runner's loopback listener answered the browser: {title}")
        return True


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the demo's redirect URI)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
