"""What ``runner demo`` plays besides the server: the shipped collections and environment, the
person at the pause (``DemoPerson``: authorizes in a browser, pastes the redirect URL) and the
person's browser for the oauth2 helper (``DemoBrowser``: load the authorize URL, click Allow,
follow the redirect).

The command (``runner demo``) runs ``collections/zoom_oauth_steps.yaml`` (the seed flow, step
by step), then ``collections/zoom_oauth.yaml`` (the oauth2 helper) twice, against
``OAuthDemoServer``; these print nothing themselves: they tell what they do through the
``write`` they are given.
"""

from __future__ import annotations

import socket
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runner.core.errors import UsageError
from runner.core.events import BrowserShown, Event
from runner.core.redact import Redactor
from runner.pause.prompts import PauseRequest

SERVE_PORT = 8765
COLLECTION = "collections/zoom_oauth.yaml"
STEPS_COLLECTION = "collections/zoom_oauth_steps.yaml"
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
    and follows the redirect to the runner's loopback listener.

    It is called before the runner reports that it opened the browser, so its lines are held
    and written when that line has been (``on_event``: it listens after the console)."""

    def __init__(self, write: Callable[[str], None], redactor: Redactor) -> None:
        self.write = write
        self.redactor = redactor
        self.held: list[str] = []

    def __call__(self, url: str) -> bool:
        import httpx

        from runner.demo.server import follow_authorize

        say = self.held.append
        say("      (demo) the browser shows the consent page; the person clicks Allow")
        redirect = follow_authorize(url)
        for value in parse_qs(urlsplit(redirect).query).get("code", []):
            self.redactor.add(value)  # the code is a secret from the moment it exists
        say(f"      (demo) the browser is redirected to {self.redactor.mask(redirect)}")
        with httpx.Client(timeout=10.0, trust_env=False) as browser:
            page = browser.get(redirect)
        title = page.text.split("<title>", 1)[-1].split("</title>", 1)[0]
        say(f"      (demo) the runner's loopback listener answered the browser: {title}")
        return True

    def on_event(self, event: Event) -> None:
        if isinstance(event, BrowserShown):
            for line in self.held:
                self.write(line)
            self.held.clear()


class DemoPerson:
    """Plays the person at the seed flow's pause: opens the browser step's URL, clicks Allow,
    and pastes the URL the browser was redirected to (shown as pasted, its code masked)."""

    def __init__(self, write: Callable[[str], None], redactor: Redactor) -> None:
        self.write = write
        self.redactor = redactor

    def ask(self, request: PauseRequest) -> str:
        from runner.demo.server import follow_authorize

        if request.browser_url is None:
            raise UsageError("the demo's pause comes after its browser step")
        say = self.write
        say("      (demo) the person opens that URL in a browser and clicks Allow")
        redirect = follow_authorize(request.browser_url)
        for value in parse_qs(urlsplit(redirect).query).get("code", []):
            self.redactor.add(value)  # the code is a secret from the moment it exists
        prompt = request.prompt or f"Value for '{request.variable}'"
        if request.from_url:
            prompt += f" (paste the whole redirect URL, or just the {request.from_url})"
        say(f"  ? {prompt}:")
        say(f"    {self.redactor.mask(redirect)}   ← (demo) pasted from the address bar")
        return redirect


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the demo's redirect URI)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
