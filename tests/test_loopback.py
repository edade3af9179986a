"""The RFC 8252 loopback listener, and the pause that races it against pasting."""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from oauth_support import free_port

from runner.core.errors import InputMissingError, SourceLocation
from runner.pause.loopback import CallbackListener, CallbackTimeout
from runner.pause.prompts import PauseRequest, StandardPrompter, TerminalPrompter

LOC = SourceLocation("c.yaml", 3)


@pytest.fixture
def listener() -> Iterator[CallbackListener]:
    uri = f"http://127.0.0.1:{free_port()}/oauth/callback"
    with CallbackListener(uri, expected_state="st-1", timeout=20) as cb:
        yield cb


def get(url: str, **kwargs: object) -> httpx.Response:
    return httpx.get(url, timeout=5, trust_env=False, **kwargs)  # type: ignore[arg-type]


def test_a_valid_callback_is_taken_once_and_the_browser_told_to_close_the_tab(
    listener: CallbackListener,
) -> None:
    page = get(f"{listener.url}?code=the-code&state=st-1")
    assert page.status_code == 200
    assert "You may close this tab" in page.text
    assert "the-code" not in page.text  # the page never shows the code
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert listener.wait(1) == f"{listener.url}?code=the-code&state=st-1"
    # one-shot: the port is closed once the callback is taken
    listener.close()
    with pytest.raises(httpx.ConnectError):
        get(f"{listener.url}?code=again&state=st-1")


def test_other_paths_a_wrong_state_and_no_code_change_nothing(listener: CallbackListener) -> None:
    base = listener.url.rsplit("/oauth/callback", 1)[0]
    assert get(f"{base}/favicon.ico").status_code == 404
    assert get(listener.url).status_code == 400  # no code, no error
    wrong = get(f"{listener.url}?code=forged&state=other")
    assert wrong.status_code == 400
    assert "ignored" in wrong.text
    assert get(f"{listener.url}?code=forged").status_code == 400  # no state at all
    assert httpx.post(listener.url + "?code=x&state=st-1", timeout=5).status_code == 405
    assert listener.poll() is None
    assert len(listener.refused) == 2
    # the real redirect still gets through afterwards
    assert get(f"{listener.url}?code=real&state=st-1").status_code == 200
    assert listener.wait(1).endswith("code=real&state=st-1")


def test_an_error_redirect_is_taken_and_shown(listener: CallbackListener) -> None:
    page = get(f"{listener.url}?error=access_denied&error_description=The+user+denied&state=st-1")
    assert page.status_code == 200
    assert "Authorization failed" in page.text
    assert "access_denied: The user denied" in page.text
    assert "error=access_denied" in listener.wait(1)


def test_a_foreign_host_header_is_refused(listener: CallbackListener) -> None:
    page = get(f"{listener.url}?code=c&state=st-1", headers={"Host": "evil.example:80"})
    assert page.status_code == 400
    assert listener.poll() is None


def test_an_idle_connection_does_not_stall_the_real_request(listener: CallbackListener) -> None:
    idle = socket.create_connection(("127.0.0.1", listener.target.port))
    try:
        page = get(f"{listener.url}?code=c&state=st-1")
        assert page.status_code == 200
    finally:
        idle.close()


def test_it_listens_on_loopback_only() -> None:
    port = free_port()
    with CallbackListener(f"http://127.0.0.1:{port}/cb", timeout=5) as cb:
        addresses = {sock.getsockname()[0] for sock in cb._sockets}
        assert addresses == {"127.0.0.1"}


def test_a_taken_port_is_an_os_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(OSError):
            CallbackListener(f"http://127.0.0.1:{port}/cb", timeout=5)


def test_ipv6_loopback_when_the_machine_has_it() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("::1 cannot be bound here")
    with CallbackListener(f"http://[::1]:{port}/cb", expected_state="s", timeout=5) as cb:
        page = get(f"http://[::1]:{port}/cb?code=six&state=s")
        assert page.status_code == 200
        assert cb.wait(1) == f"http://[::1]:{port}/cb?code=six&state=s"


def test_the_wait_times_out() -> None:
    with CallbackListener(f"http://127.0.0.1:{free_port()}/cb", timeout=0.3) as cb:
        with pytest.raises(CallbackTimeout, match=r"within 0\.3 s"):
            cb.wait()


# -- the pause: pasting and the listener, whichever comes first -----------------------------------


def request_for(cb: CallbackListener, *, opened: bool = False) -> PauseRequest:
    return PauseRequest(
        "Authorize", "code", LOC, from_url="code", callback=cb, browser_opened=opened
    )


def test_without_a_terminal_and_without_a_browser_it_fails_at_once(
    listener: CallbackListener,
) -> None:
    with pytest.raises(InputMissingError) as info:
        StandardPrompter({}, {}, None).ask(request_for(listener))
    assert "--open" in (info.value.hint or "")


def test_without_a_terminal_an_opened_browser_is_waited_for(listener: CallbackListener) -> None:
    threading.Timer(0.2, get, [f"{listener.url}?code=late&state=st-1"]).start()
    value = StandardPrompter({}, {}, None).ask(request_for(listener, opened=True))
    assert value.endswith("code=late&state=st-1")


def test_without_a_terminal_the_wait_ends_with_exit_code_3() -> None:
    with CallbackListener(f"http://127.0.0.1:{free_port()}/cb", timeout=0.3) as cb:
        with pytest.raises(InputMissingError, match="no authorization redirect reached") as info:
            StandardPrompter({}, {}, None).ask(request_for(cb, opened=True))
    assert info.value.exit_status == 3


def test_a_preset_input_wins_over_the_listener(listener: CallbackListener) -> None:
    prompter = StandardPrompter({"code": "from-flag"}, {}, None)
    assert prompter.ask(request_for(listener, opened=True)) == "from-flag"


def test_on_a_terminal_the_browser_can_come_first(listener: CallbackListener) -> None:
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(read_fd, "r") as stdin:
            out = io.StringIO()
            threading.Timer(0.2, get, [f"{listener.url}?code=browser&state=st-1"]).start()
            value = TerminalPrompter(stdin, out).ask(request_for(listener))
    finally:
        os.close(write_fd)
    assert value.endswith("code=browser&state=st-1")
    assert "received the browser's redirect" in out.getvalue()
    assert listener.url in out.getvalue()


def test_on_a_terminal_pasting_can_come_first(listener: CallbackListener) -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "r") as stdin:
        threading.Timer(0.2, os.write, [write_fd, b"pasted-code\n"]).start()
        value = TerminalPrompter(stdin, io.StringIO()).ask(request_for(listener))
    os.close(write_fd)
    assert value == "pasted-code"
    assert listener.poll() is None


def test_on_a_terminal_the_wait_also_times_out() -> None:
    read_fd, write_fd = os.pipe()
    try:
        with (
            os.fdopen(read_fd, "r") as stdin,
            CallbackListener(f"http://127.0.0.1:{free_port()}/cb", timeout=0.3) as cb,
            pytest.raises(InputMissingError, match=r"within 0\.3 s"),
        ):
            TerminalPrompter(stdin, io.StringIO()).ask(request_for(cb))
    finally:
        os.close(write_fd)
