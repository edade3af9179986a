"""The seed flow end to end: collections/zoom_oauth_steps.yaml (the flow written out as
steps) against the local Zoom stand-in, through the real CLI, with the pause answered by
--input and by a person on a terminal; and `runner demo` (collections/zoom_oauth.yaml, the
oauth2 auth helper with loopback capture). tests/test_oauth2_flow.py covers the helper."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import runner_process

from runner.demo.server import DemoClient, OAuthDemoServer, follow_authorize
from runner.render.templates import pkce_challenge

ROOT = Path(__file__).resolve().parent.parent
COLLECTION = str(ROOT / "collections" / "zoom_oauth_steps.yaml")
LOCAL_ENV = str(ROOT / "environments" / "local.yaml")
CLIENT = DemoClient("demo-client-id", "demo-client-secret", "http://127.0.0.1:8766/oauth/callback")
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B


@pytest.fixture
def zoom() -> Iterator[OAuthDemoServer]:
    with OAuthDemoServer(CLIENT) as server:
        yield server


def base_vars(server: OAuthDemoServer) -> list[str]:
    return [
        "--var",
        f"zoom_oauth_base={server.base_url}",
        "--var",
        f"zoom_api_base={server.base_url}/v2",
    ]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("RUNNER_INPUT_")}
    env.update(NO_COLOR="1", **extra)
    return env


def authorize_in_advance(server: OAuthDemoServer | str, state: str) -> str:
    """What a person does before a CI run: authorize with a known state and verifier."""
    base = server if isinstance(server, str) else server.base_url
    url = (
        f"{base}/oauth/authorize?response_type=code&client_id={CLIENT.client_id}"
        f"&redirect_uri={CLIENT.redirect_uri}&state={state}"
        f"&code_challenge={pkce_challenge(VERIFIER)}&code_challenge_method=S256"
    )
    return follow_authorize(url)


def run_with_known_state(base: str, state: str, redirect: str) -> subprocess.CompletedProcess[str]:
    """Run the collection with the state and verifier used to authorize in advance."""
    return runner_process(
        "run", COLLECTION, "-e", LOCAL_ENV,
        "--var", f"zoom_oauth_base={base}", "--var", f"zoom_api_base={base}/v2",
        "--var", f"state={state}", "--var", f"code_verifier={VERIFIER}",
        "--input", f"code={redirect}",
        env=child_env(),
    )  # fmt: skip


def test_whole_flow_with_input_flag(zoom: OAuthDemoServer) -> None:
    redirect = authorize_in_advance(zoom, "st-123")
    proc = run_with_known_state(zoom.base_url, "st-123", redirect)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed, 0 failed" in proc.stdout
    api = [r.path for r in zoom.requests if r.path != "/oauth/authorize"]
    assert api == ["/oauth/token", "/v2/users/me", "/oauth/token"]
    first_token = zoom.requests_to("/oauth/token")[0]
    assert first_token.form["grant_type"] == "authorization_code"
    assert first_token.form["redirect_uri"] == CLIENT.redirect_uri
    assert first_token.form["code_verifier"] == VERIFIER
    assert zoom.requests_to("/oauth/token")[1].form["grant_type"] == "refresh_token"
    # no secret reached the output: client secret, code, verifier, tokens
    bearer = zoom.requests_to("/v2/users/me")[0].headers["authorization"].split()[1]
    code = first_token.form["code"]
    refresh = zoom.requests_to("/oauth/token")[1].form["refresh_token"]
    for secret in (CLIENT.client_secret, code, VERIFIER, bearer, refresh):
        assert secret not in proc.stdout + proc.stderr


def test_input_from_environment_variable(zoom: OAuthDemoServer) -> None:
    redirect = authorize_in_advance(zoom, "st-env")
    proc = runner_process(
        "run", COLLECTION, "-e", LOCAL_ENV, *base_vars(zoom),
        "--var", "state=st-env", "--var", f"code_verifier={VERIFIER}",
        env=child_env(RUNNER_INPUT_CODE=redirect),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(zoom.requests_to("/oauth/token")) == 2


def test_no_terminal_and_no_input_fails_at_once(zoom: OAuthDemoServer) -> None:
    started = time.monotonic()
    # stdin is an open pipe that nobody writes to: input() would block forever here
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "run", COLLECTION, "-e", LOCAL_ENV, *base_vars(zoom)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 3
    assert time.monotonic() - started < 10
    assert "--input code=VALUE" in out + err
    assert "RUNNER_INPUT_CODE" in out + err
    assert zoom.requests_to("/oauth/token") == []


def test_state_mismatch_is_refused_and_nothing_more_is_sent(zoom: OAuthDemoServer) -> None:
    redirect = authorize_in_advance(zoom, "attacker-state")
    proc = run_with_known_state(zoom.base_url, "our-state", redirect)
    assert proc.returncode == 1
    assert (
        "      error: the pasted URL's 'state' does not match this run's (possible CSRF); refused\n"
        in proc.stdout
    )
    assert zoom.requests_to("/oauth/token") == []  # the server's log proves it
    assert zoom.requests_to("/v2/users/me") == []


def test_denied_authorization_ends_the_run(zoom: OAuthDemoServer) -> None:
    url = (
        f"{zoom.base_url}/oauth/authorize?response_type=code&client_id={CLIENT.client_id}"
        f"&redirect_uri={CLIENT.redirect_uri}&state=s1"
    )
    redirect = follow_authorize(url, decision="deny")
    proc = runner_process(
        "run",
        COLLECTION,
        "-e",
        LOCAL_ENV,
        *base_vars(zoom),
        "--var",
        "state=s1",
        "--input",
        f"code={redirect}",
    )
    assert proc.returncode == 1
    assert "access_denied" in proc.stdout
    assert zoom.requests_to("/oauth/token") == []


def _read_until(fd: int, pattern: str, timeout: float = 20.0) -> str:
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        if re.search(pattern, buf.decode(errors="replace")):
            return buf.decode(errors="replace")
    raise AssertionError(f"{pattern!r} not seen in: {buf.decode(errors='replace')}")


def _read_rest(fd: int, timeout: float = 20.0) -> str:
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


def test_whole_flow_typed_at_a_real_terminal(zoom: OAuthDemoServer) -> None:
    """A person on a pseudo-terminal: reads the authorize URL, authorizes, pastes."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the runner, on a terminal
        os.execve(
            sys.executable,
            [sys.executable, "-m", "runner", "run", COLLECTION, "-e", LOCAL_ENV, *base_vars(zoom)],
            child_env(),
        )
    try:
        shown = _read_until(fd, r"\? Paste the URL your browser was redirected to.*: ")
        url = re.search(r"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)", shown)
        assert url is not None, shown
        redirect = follow_authorize(url.group(1))  # the person's browser
        os.write(fd, redirect.encode() + b"\r")
        rest = _read_rest(fd)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert "5 passed, 0 failed" in rest
    code = zoom.requests_to("/oauth/token")[0].form["code"]
    assert code not in shown + rest
    assert "\033[" not in rest  # NO_COLOR is honoured on a terminal too


def test_demo_runs_offline_end_to_end() -> None:
    proc = runner_process("demo", "--no-color", env=child_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
    assert "clicks Allow" in proc.stdout
    assert "loopback listener answered the browser: Authorization received" in proc.stdout
    assert "demo-client-secret" not in proc.stdout + proc.stderr
    assert re.search(r"code=\[REDACTED\]", proc.stdout)


def test_run_against_demo_serve(free_port: int) -> None:
    """`runner demo --serve` in one terminal, `runner run ... -e local.yaml` in another."""
    serve = subprocess.Popen(
        [sys.executable, "-m", "runner", "demo", "--serve", "--port", str(free_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert f"http://127.0.0.1:{free_port}" in first
        base = f"http://127.0.0.1:{free_port}"
        redirect = authorize_in_advance(base, "s-serve")
        proc = run_with_known_state(base, "s-serve", redirect)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=10)
    assert serve.returncode == 0
