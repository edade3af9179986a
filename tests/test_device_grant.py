"""The device authorization grant (RFC 8628) against the tests' own RFC 8628 server
(tests/rfc_oauth_server.py), whose answers to the polls are scripted and whose interval is 0
or 1 s: the user code and verification URL shown, ``--open`` opening the complete URL, the
interval and ``slow_down`` honoured, ``expired_token`` and ``access_denied`` ending the run
with their reason, the run's time limit, and the token cached like any other grant's."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rfc_oauth_server import CLIENT_ID, DEVICE_CODE, DEVICE_GRANT, USER_CODE, DeviceServer

from runner.auth.session import AuthSession
from runner.auth.settings import AuthSettings
from runner.core.events import AuthNote, BrowserShown, Event
from runner.core.model import Auth, OAuth2
from runner.core.redact import Redactor
from runner.pause.prompts import TerminalPrompter
from runner.render.templates import Renderer


def collection(tmp_path: Path, server: DeviceServer, *, extra: str = "") -> Path:
    path = tmp_path / "device.yaml"
    path.write_text(
        f"""name: device flow
auth:
  type: oauth2
  grant: device_code
  device_authorization_url: {server.url}/device
  token_url: {server.url}/token
  client_id: {CLIENT_ID}
  scopes: [read]
{extra}steps:
  - request: Me
    url: {server.url}/me
    expect:
      json:
        $.ok: true
""",
        encoding="utf-8",
    )
    return path


def run(tmp_path: Path, run_cli: Any, server: DeviceServer, *args: str) -> tuple[int, str]:
    result = run_cli(
        "run", str(collection(tmp_path, server)), "--no-color", *args,
        env={"RUNNER_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    return result.code, result.out + result.err


def test_the_code_is_shown_polled_for_and_the_token_cached(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["authorization_pending", "authorization_pending", "token"]) as server:
        code, output = run(tmp_path, run_cli, server)
        assert code == 0, output
        assert (
            f"Authorize {CLIENT_ID} with the code {USER_CODE} (for 'Me'): Open this URL in your "
            "browser:\n"
            f"      {server.url}/activate?user_code={USER_CODE}\n"
        ) in output
        assert (
            f"· auth: waiting for the code {USER_CODE} to be entered at {server.url}/activate "
            "(the code expires in 600 s; polling every 0 s)"
        ) in output
        assert f"obtained an access token from {server.url}/token (device_code)" in output
        assert "1 passed, 0 failed" in output
        assert DEVICE_CODE not in output and "rt-1-device" not in output
        assert server.requests("/device") == [{"client_id": CLIENT_ID, "scope": "read"}]
        assert server.requests("/token")[0] == {
            "grant_type": DEVICE_GRANT,
            "device_code": DEVICE_CODE,
            "client_id": CLIENT_ID,
        }
        assert len(server.requests("/token")) == 3

        again, output = run(tmp_path, run_cli, server)  # the cached token: no new code
        assert again == 0, output
        assert "using the cached access token" in output
        assert len(server.requests("/device")) == 1


def test_open_opens_the_complete_url(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    opened: list[str] = []

    def record(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    with DeviceServer(["token"]) as server:
        code, output = run(tmp_path, run_cli, server, "--open")
        assert code == 0, output
        assert opened == [f"{server.url}/activate?user_code={USER_CODE}"]
        assert f"with the code {USER_CODE} (for 'Me'): Opened in your browser:" in output


def test_without_a_complete_url_the_verification_url_is_shown(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["token"], complete=False) as server:
        code, output = run(tmp_path, run_cli, server)
        assert code == 0, output
        assert f"Open this URL in your browser:\n      {server.url}/activate\n" in output


def test_expired_token_ends_the_run_with_the_reason(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["authorization_pending", "expired_token"]) as server:
        code, output = run(tmp_path, run_cli, server)
        assert code == 1, output
        assert (
            f"the device code expired before anyone entered {USER_CODE} at "
            f"{server.url}/activate (expired_token)"
        ) in output
        assert len(server.requests("/token")) == 2
        assert not list((tmp_path / "cache").rglob("*.json"))


def test_access_denied_ends_the_run_with_the_reason(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["access_denied"]) as server:
        code, output = run(tmp_path, run_cli, server)
        assert code == 1, output
        assert f"the authorization was denied at {server.url}/activate (access_denied)" in output
        assert len(server.requests("/token")) == 1
        assert not list((tmp_path / "cache").rglob("*.json"))


def test_a_code_that_expires_locally_is_not_polled(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["authorization_pending"], expires_in=0) as server:
        code, output = run(tmp_path, run_cli, server)
        assert code == 1, output
        assert f"the device code expired before anyone entered {USER_CODE}" in output
        assert server.requests("/token") == []


def test_the_run_timeout_ends_the_polling(tmp_path: Path, run_cli: Any) -> None:
    with DeviceServer(["authorization_pending"], interval=1) as server:
        code, output = run(tmp_path, run_cli, server, "--run-timeout", "1.5")
        assert code == 1, output
        assert (
            f"the run stopped while waiting for the code {USER_CODE} to be entered at "
            f"{server.url}/activate"
        ) in output
        assert len(server.requests("/token")) == 1  # at 1 s; the run ended at 1.5 s


def session(waits: list[float], events: list[Event], limit: float = 300.0) -> AuthSession:
    auth = AuthSession(
        renderer=Renderer({}),
        redactor=Redactor(),
        prompter=TerminalPrompter(io.StringIO(), io.StringIO()),
        emit=events.append,
        open_url=lambda url: False,
        settings=AuthSettings(token_cache=False, callback_timeout=limit),
    )

    def wait(seconds: float) -> bool:  # the intervals asked for, without sleeping them
        waits.append(seconds)
        return True

    auth.oauth2.wait = wait
    return auth


def device_auth(server: DeviceServer) -> Auth:
    flow = OAuth2(
        grant="device_code",
        token_url=f"{server.url}/token",
        client_id=CLIENT_ID,
        device_authorization_url=f"{server.url}/device",
    )
    return Auth("oauth2", oauth2=flow)


def test_slow_down_adds_five_seconds_to_every_later_poll() -> None:
    polls = ["authorization_pending", "slow_down", "authorization_pending", "slow_down", "token"]
    waits: list[float] = []
    events: list[Event] = []
    with DeviceServer(polls, interval=1) as server:
        applied = session(waits, events).apply(device_auth(server), {})
    assert applied.headers == [("Authorization", "Bearer at-1")]
    assert waits == [1.0, 1.0, 6.0, 6.0, 11.0]
    assert [e.name for e in events if isinstance(e, BrowserShown)] == [
        f"Authorize {CLIENT_ID} with the code {USER_CODE}"
    ]


def test_no_interval_means_five_seconds() -> None:
    waits: list[float] = []
    with DeviceServer(["authorization_pending", "token"], interval=None) as server:
        session(waits, []).apply(device_auth(server), {})
    assert waits == [5.0, 5.0]


def test_callback_timeout_bounds_the_wait() -> None:
    events: list[Event] = []
    with DeviceServer(["authorization_pending"], interval=1) as server:
        auth = session([], events, limit=0.5)
        with pytest.raises(Exception) as caught:
            auth.apply(device_auth(server), {})
        assert str(getattr(caught.value, "message", caught.value)) == (
            f"nobody entered the code {USER_CODE} at {server.url}/activate within "
            "--callback-timeout 0.5 s"
        )
        assert server.requests("/token") == []
    assert any(isinstance(e, AuthNote) for e in events)
