"""The oauth2 auth helper against the local Zoom stand-in: every grant, loopback capture,
the token cache across runs (reuse, refresh, refused refresh), and the safety rules."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import stat
import sys
import termios
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import runner_process
from oauth_support import (
    ROOT,
    ScriptedBrowser,
    browser_command,
    child_env,
    loopback_client,
    opened_urls,
)

from runner.auth.tokens import TokenCache
from runner.core.events import AuthNote, BrowserShown, Event
from runner.core.redact import Redactor
from runner.core.results import RunResult
from runner.demo.server import DemoClient, OAuthDemoServer, follow_authorize
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import parse_collection
from runner.pause.prompts import PauseRequest, StandardPrompter
from runner.render.templates import pkce_challenge

AUTH_CODE = """
name: OAuth helper
variables:
  client_secret: demo-client-secret
auth:
  type: oauth2
  grant: authorization_code
  auth_url: <<base>>/oauth/authorize
  token_url: <<base>>/oauth/token
  client_id: demo-client-id
  client_secret: <<client_secret>>
  redirect_uri: <<redirect_uri>>
  scopes: [user:read]
steps:
  - request: Me
    url: <<base>>/v2/users/me
    expect: {status: 200}
  - request: Me again
    url: <<base>>/v2/users/me
    expect: {status: 200}
"""


class Events:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def notes(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, AuthNote)]

    def shown(self) -> list[BrowserShown]:
        return [e for e in self.events if isinstance(e, BrowserShown)]


@pytest.fixture
def client() -> DemoClient:
    return loopback_client()


@pytest.fixture
def zoom(client: DemoClient) -> Iterator[OAuthDemoServer]:
    with OAuthDemoServer(client) as server:
        yield server


def run(
    text: str,
    server: OAuthDemoServer,
    cache_dir: Path,
    *,
    browser: Any = None,
    prompter: Any = None,
    open_browser: bool = True,
    **options: Any,
) -> tuple[RunResult, Events]:
    events = Events()
    engine = Engine(
        parse_collection(textwrap.dedent(text), "oauth.yaml"),
        None,
        RunOptions(
            variables={"base": server.base_url, "redirect_uri": server_client(server).redirect_uri},
            environ={"RUNNER_CACHE_DIR": str(cache_dir)},
            open_browser=open_browser,
            **options,
        ),
        prompter=prompter or StandardPrompter({}, {}, None),
        listeners=[events],
        redactor=Redactor(),
        open_url=browser or ScriptedBrowser(),
    )
    return engine.run(), events


def server_client(server: OAuthDemoServer) -> DemoClient:
    return server._authority.client


def token_calls(server: OAuthDemoServer) -> list[str]:
    return [r.form.get("grant_type", "?") for r in server.requests_to("/oauth/token")]


def cache_file(cache_dir: Path) -> Path:
    (path,) = (cache_dir / "tokens").glob("*.json")
    return path


def edit_cache(cache_dir: Path, **token: Any) -> None:
    path = cache_file(cache_dir)
    doc = json.loads(path.read_text())
    doc["token"].update(token)
    path.write_text(json.dumps(doc))


# -- authorization code --------------------------------------------------------------------------


def test_authorization_code_with_loopback_capture(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    browser = ScriptedBrowser()
    result, events = run(AUTH_CODE, zoom, tmp_path, browser=browser)
    assert result.exit_status == 0, [s.error for s in result.steps]
    assert len(browser.opened) == 1
    assert "You may close this tab" in browser.pages[0]
    authorize = parse_qs(urlsplit(browser.opened[0]).query)
    assert authorize["response_type"] == ["code"]
    assert authorize["code_challenge_method"] == ["S256"]
    assert authorize["scope"] == ["user:read"]
    assert len(authorize["state"][0]) >= 43
    (exchange,) = zoom.requests_to("/oauth/token")  # one token request for both steps
    assert exchange.form["grant_type"] == "authorization_code"
    # the token request uses the very redirect_uri string the authorize URL carried
    assert exchange.form["redirect_uri"] == authorize["redirect_uri"][0]
    assert pkce_challenge(exchange.form["code_verifier"]) == authorize["code_challenge"][0]
    assert "client_secret" not in exchange.form and exchange.headers["authorization"]
    bearer = {r.headers["authorization"] for r in zoom.requests_to("/v2/users/me")}
    assert len(bearer) == 1 and bearer.pop().startswith("Bearer ")
    assert any("listening on" in note for note in events.notes())
    (shown,) = events.shown()
    assert shown.opened and "state=" in shown.url
    mode = stat.S_IMODE(cache_file(tmp_path).stat().st_mode)
    assert mode == 0o600


def test_a_second_run_reuses_the_cached_token_without_a_browser(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    run(AUTH_CODE, zoom, tmp_path)
    before = len(zoom.requests)
    browser = ScriptedBrowser()
    result, events = run(AUTH_CODE, zoom, tmp_path, browser=browser, open_browser=False)
    assert result.exit_status == 0
    assert browser.opened == []
    paths = [r.path for r in zoom.requests[before:]]
    assert paths == ["/v2/users/me", "/v2/users/me"]  # no authorize, no token request
    assert any("using the cached access token" in note for note in events.notes())


def test_an_expiring_token_is_refreshed_and_the_rotated_refresh_token_saved(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    run(AUTH_CODE, zoom, tmp_path)
    old_refresh = json.loads(cache_file(tmp_path).read_text())["token"]["refresh_token"]
    edit_cache(tmp_path, expires_at=0)
    browser = ScriptedBrowser()
    result, events = run(AUTH_CODE, zoom, tmp_path, browser=browser)
    assert result.exit_status == 0
    assert browser.opened == []
    assert token_calls(zoom) == ["authorization_code", "refresh_token"]  # exactly one refresh
    refresh_call = zoom.requests_to("/oauth/token")[1]
    assert refresh_call.form["refresh_token"] == old_refresh
    saved = json.loads(cache_file(tmp_path).read_text())["token"]
    assert saved["refresh_token"] != old_refresh  # Zoom rotates: the new one is kept
    assert zoom.requests_to("/v2/users/me")[-1].headers["authorization"] == (
        f"Bearer {saved['access_token']}"
    )
    assert any("refreshed the access token" in note for note in events.notes())


def test_a_refused_refresh_goes_back_to_authorization_and_says_why(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    run(AUTH_CODE, zoom, tmp_path)
    edit_cache(tmp_path, expires_at=0, refresh_token="revoked-refresh-token")
    browser = ScriptedBrowser()
    result, events = run(AUTH_CODE, zoom, tmp_path, browser=browser)
    assert result.exit_status == 0
    assert len(browser.opened) == 1
    assert token_calls(zoom) == ["authorization_code", "refresh_token", "authorization_code"]
    assert any(
        "refresh token was refused" in n and "invalid_grant" in n and "authorizing again" in n
        for n in events.notes()
    )


def test_a_cached_token_the_api_refuses_is_refreshed_once_and_the_request_sent_again(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    run(AUTH_CODE, zoom, tmp_path)
    edit_cache(tmp_path, access_token="revoked-access-token")
    result, events = run(AUTH_CODE, zoom, tmp_path)
    assert result.exit_status == 0
    assert token_calls(zoom) == ["authorization_code", "refresh_token"]
    statuses = [r.status for r in zoom.requests_to("/v2/users/me")]
    assert statuses == [200, 200, 401, 200, 200]
    assert any("refused (HTTP 401)" in note for note in events.notes())


def test_deny_ends_the_run_with_access_denied_and_no_token_request(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    browser = ScriptedBrowser(decision="deny")
    result, _ = run(AUTH_CODE, zoom, tmp_path, browser=browser)
    assert result.exit_status == 1
    assert "Authorization failed" in browser.pages[0]
    assert "access_denied" in (result.stopped_reason or "")
    assert "access_denied" in (result.steps[0].error or "")
    assert len(result.steps) == 1  # the run stopped there
    assert zoom.requests_to("/oauth/token") == []
    assert zoom.requests_to("/v2/users/me") == []
    assert not (tmp_path / "tokens").exists() or not list((tmp_path / "tokens").glob("*.json"))


class Paster:
    """A person at a terminal who pastes ``value`` (made from the authorize URL)."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.asked: list[PauseRequest] = []

    def ask(self, request: PauseRequest) -> str:
        self.asked.append(request)
        assert request.browser_url is not None
        return str(self.make(request.browser_url))


def test_a_pasted_url_with_another_state_is_refused_before_any_token_request(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    def forged(url: str) -> str:
        redirect = follow_authorize(url)
        return redirect.replace("state=", "state=x")

    result, _ = run(AUTH_CODE, zoom, tmp_path, prompter=Paster(forged), open_browser=False)
    assert result.exit_status == 1
    assert "does not match" in (result.stopped_reason or "")
    assert zoom.requests_to("/oauth/token") == []


def test_a_pasted_redirect_works_while_the_listener_waits(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    paster = Paster(follow_authorize)
    result, _ = run(AUTH_CODE, zoom, tmp_path, prompter=paster, open_browser=False)
    assert result.exit_status == 0
    assert paster.asked[0].callback is not None  # the listener was there too
    assert token_calls(zoom) == ["authorization_code"]


def test_without_a_terminal_or_a_browser_it_stops_at_once_with_exit_code_3(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    result, _ = run(AUTH_CODE, zoom, tmp_path, open_browser=False)
    assert result.exit_status == 3
    assert "--open" in (result.steps[0].error or "")
    assert zoom.requests == []


def test_the_callback_wait_times_out(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    result, _ = run(AUTH_CODE, zoom, tmp_path, browser=lambda url: True, callback_timeout=0.5)
    assert result.exit_status == 3
    assert "no authorization redirect reached" in (result.steps[0].error or "")
    assert zoom.requests_to("/oauth/token") == []


def test_a_failed_code_exchange_is_sent_once_and_not_tried_again(tmp_path: Path) -> None:
    client = loopback_client()
    with OAuthDemoServer(client, code_ttl=0) as zoom:  # every code has expired on arrival
        browser = ScriptedBrowser()
        result, _ = run(AUTH_CODE, zoom, tmp_path, browser=browser)
        assert result.exit_status == 1
        assert len(zoom.requests_to("/oauth/token")) == 1  # the code was sent exactly once
        assert len(browser.opened) == 1  # the second step did not authorize again
        first, second = result.steps
        assert "invalid_grant" in (first.error or "")
        assert "earlier in this run" in (second.error or "")


def test_invalid_client_is_reported_with_a_hint(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    text = AUTH_CODE.replace("client_secret: demo-client-secret", "client_secret: wrong-one")
    result, _ = run(text, zoom, tmp_path)
    error = result.steps[0].error or ""
    assert "invalid_client" in error and "check client_id and client_secret" in error
    assert "wrong-one" not in error


def test_no_token_cache_keeps_nothing_on_disk(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    result, _ = run(AUTH_CODE, zoom, tmp_path, token_cache=False)
    assert result.exit_status == 0
    assert not (tmp_path / "tokens").exists()


def test_the_cache_is_kept_per_environment(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    run(AUTH_CODE, zoom, tmp_path)
    key_ids = {p.stem for p in (tmp_path / "tokens").glob("*.json")}
    entries = TokenCache(tmp_path / "tokens").entries()
    assert len(entries) == 1 and entries[0].key is not None
    assert entries[0].key.client_id == "demo-client-id"
    assert entries[0].key.scopes == ("user:read",)
    assert entries[0].key.environment == ""
    assert len(key_ids) == 1


# -- the other grants ----------------------------------------------------------------------------


def grant_collection(block: str) -> str:
    return f"""
name: Grants
variables:
  client_secret: demo-client-secret
auth:
{textwrap.indent(textwrap.dedent(block).strip(), "  ")}
steps:
  - request: Me
    url: <<base>>/v2/users/me
    expect: {{status: 200}}
"""


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_client_credentials(client: DemoClient, tmp_path: Path, client_auth: str) -> None:
    text = grant_collection(
        f"""
        type: oauth2
        grant: client_credentials
        token_url: <<base>>/oauth/token
        client_id: demo-client-id
        client_secret: <<client_secret>>
        client_auth: {client_auth}
        scopes: [imchat:bot, "user:read"]
        """
    )
    with OAuthDemoServer(client, body_client_auth=True) as zoom:
        result, _ = run(text, zoom, tmp_path, open_browser=False)
        assert result.exit_status == 0, result.steps[0].error
        (call,) = zoom.requests_to("/oauth/token")
    assert call.form["grant_type"] == "client_credentials"
    assert call.form["scope"] == "imchat:bot user:read"
    if client_auth == "basic":
        assert call.headers["authorization"].startswith("Basic ")
        assert "client_secret" not in call.form
    else:
        assert "authorization" not in call.headers
        assert call.form["client_id"] == "demo-client-id"
        assert call.form["client_secret"] == "demo-client-secret"


def test_zoom_account_credentials(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    text = grant_collection(
        """
        type: oauth2
        grant: account_credentials
        token_url: <<base>>/oauth/token
        client_id: demo-client-id
        client_secret: <<client_secret>>
        account_id: demo-account-0001
        """
    )
    result, _ = run(text, zoom, tmp_path, open_browser=False)
    assert result.exit_status == 0
    (call,) = zoom.requests_to("/oauth/token")
    assert call.form == {"grant_type": "account_credentials", "account_id": "demo-account-0001"}
    # no refresh token: once expired, a new token is requested (server-to-server)
    edit_cache(tmp_path, expires_at=0)
    result, _ = run(text, zoom, tmp_path, open_browser=False)
    assert result.exit_status == 0
    assert token_calls(zoom) == ["account_credentials", "account_credentials"]


def test_refresh_token_grant(zoom: OAuthDemoServer, tmp_path: Path) -> None:
    first, _ = run(AUTH_CODE, zoom, tmp_path / "first")
    assert first.exit_status == 0
    refresh = json.loads(cache_file(tmp_path / "first").read_text())["token"]["refresh_token"]
    text = grant_collection(
        f"""
        type: oauth2
        grant: refresh_token
        token_url: <<base>>/oauth/token
        client_id: demo-client-id
        client_secret: <<client_secret>>
        refresh_token: {refresh}
        """
    )
    result, _ = run(text, zoom, tmp_path / "second", open_browser=False)
    assert result.exit_status == 0
    assert token_calls(zoom) == ["authorization_code", "refresh_token"]
    rotated = json.loads(cache_file(tmp_path / "second").read_text())["token"]["refresh_token"]
    assert rotated and rotated != refresh


# -- through the command line --------------------------------------------------------------------


def test_the_zoom_collection_authorizes_once_then_reuses_the_token(tmp_path: Path) -> None:
    """The "done when": `runner run collections/zoom_oauth.yaml -e ... --open`, the code taken
    on the loopback redirect URI, a second run silent; the cache 0600 in 0700 under umask 000."""
    client = loopback_client()
    env = child_env(
        BROWSER=str(browser_command(tmp_path)), RUNNER_CACHE_DIR=str(tmp_path / "cache")
    )
    with OAuthDemoServer(client) as zoom:
        args = [
            "run", str(ROOT / "collections" / "zoom_oauth.yaml"),
            "-e", str(ROOT / "environments" / "local.yaml"),
            "--var", f"zoom_oauth_base={zoom.base_url}",
            "--var", f"zoom_api_base={zoom.base_url}/v2",
            "--var", f"redirect_uri={client.redirect_uri}",
            "--open",
        ]  # fmt: skip
        first = runner_process(*args, env=env, umask=0)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(opened_urls(tmp_path)) == 1
        assert "Opened in your browser" in first.stdout
        second = runner_process(*args, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(opened_urls(tmp_path)) == 1  # no browser the second time
        assert "using the cached access token" in second.stdout
        assert token_calls(zoom) == ["authorization_code"]
    directory = tmp_path / "cache" / "tokens"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = directory.glob("*.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listing = runner_process("auth", "list", env=env)
    assert "demo-client-id" in listing.stdout and "environment local" in listing.stdout
    saved = json.loads(path.read_text())["token"]
    assert saved["access_token"] not in listing.stdout + first.stdout + second.stdout


def test_the_step_by_step_collection_takes_the_redirect_on_the_loopback(tmp_path: Path) -> None:
    """A browser step followed by a pause with from_url: the pause listens on the loopback
    redirect URI and takes the browser's redirect; without --open it would stop (exit 3)."""
    client = loopback_client()
    env = child_env(BROWSER=str(browser_command(tmp_path)))
    with OAuthDemoServer(client) as zoom:
        args = [
            "run", str(ROOT / "collections" / "zoom_oauth_steps.yaml"),
            "-e", str(ROOT / "environments" / "local.yaml"),
            "--var", f"zoom_oauth_base={zoom.base_url}",
            "--var", f"zoom_api_base={zoom.base_url}/v2",
            "--var", f"redirect_uri={client.redirect_uri}",
        ]  # fmt: skip
        stopped = runner_process(*args, env=env)
        assert stopped.returncode == 3, stopped.stdout + stopped.stderr
        assert "--open" in stopped.stdout
        done = runner_process(*args, "--open", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "5 passed, 0 failed" in done.stdout
        assert f"listening on {client.redirect_uri}" in done.stdout
        assert [r.form["grant_type"] for r in zoom.requests_to("/oauth/token")] == [
            "authorization_code",
            "refresh_token",
        ]


def test_on_a_real_terminal_the_browser_redirect_wins_over_typing(tmp_path: Path) -> None:
    """A person at a terminal who finishes in the browser instead of pasting: the prompt is
    left by itself, and the terminal's echo comes back."""
    client = loopback_client()
    env = child_env(RUNNER_CACHE_DIR=str(tmp_path / "cache"))
    with OAuthDemoServer(client) as zoom:
        argv = [
            sys.executable, "-m", "runner", "run",
            str(ROOT / "collections" / "zoom_oauth.yaml"),
            "-e", str(ROOT / "environments" / "local.yaml"),
            "--var", f"zoom_oauth_base={zoom.base_url}",
            "--var", f"zoom_api_base={zoom.base_url}/v2",
            "--var", f"redirect_uri={client.redirect_uri}",
        ]  # fmt: skip
        pid, fd = pty.fork()
        if pid == 0:  # the child: the runner, on a terminal
            os.execve(sys.executable, argv, env)
        shown = b""
        try:
            deadline = time.monotonic() + 30
            while b"[input hidden]: " not in shown and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.2)[0]:
                    shown += os.read(fd, 4096)
            text = shown.decode(errors="replace")
            url = re.search(r"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)", text)
            assert url is not None, text
            assert f"its redirect to {client.redirect_uri} is taken" in text
            redirect = follow_authorize(url.group(1))  # the person's browser...
            httpx.get(redirect, timeout=10, trust_env=False)  # ...lands on the listener
            rest = b""
            while True:
                if not select.select([fd], [], [], 20)[0]:
                    break
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                rest += chunk
            echo_on = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0, (shown + rest).decode()
        assert b"received the browser's redirect" in rest
        assert b"1 passed, 0 failed" in rest
        assert echo_on  # the hidden input was put back
        assert token_calls(zoom) == ["authorization_code"]


def test_the_demo_servers_other_grants_and_body_auth(client: DemoClient) -> None:
    def post(server: OAuthDemoServer, form: dict[str, str], auth: Any = None) -> httpx.Response:
        return httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth, timeout=5)

    basic = (client.client_id, client.client_secret)
    body = {"client_id": client.client_id, "client_secret": client.client_secret}
    with OAuthDemoServer(client, value_prefix="PFX") as strict:
        s2s = post(strict, {"grant_type": "account_credentials", "account_id": "nope"}, basic)
        assert s2s.status_code == 400 and s2s.json()["error"] == "invalid_request"
        ok = post(strict, {"grant_type": "client_credentials"}, basic).json()
        assert ok["access_token"].startswith("PFX") and "refresh_token" not in ok
        # client_secret_post is off unless asked for
        assert post(strict, {"grant_type": "client_credentials", **body}).status_code == 401
    with OAuthDemoServer(client, body_client_auth=True) as lenient:
        answer = post(lenient, {"grant_type": "client_credentials", **body})
        assert answer.status_code == 200
        wrong = post(lenient, {"grant_type": "client_credentials", **body, "client_secret": "x"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_an_unusable_cache_keeps_the_token_for_the_run_and_says_so(
    zoom: OAuthDemoServer, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "tokens").symlink_to(elsewhere)  # refused: not a plain directory
    browser = ScriptedBrowser()
    result, events = run(AUTH_CODE, zoom, tmp_path / "cache", browser=browser)
    assert result.exit_status == 0
    assert len(browser.opened) == 1  # authorized once for both requests
    assert any(
        "kept for this run only" in n and "not a plain directory" in n for n in events.notes()
    )
    assert list(elsewhere.iterdir()) == []
