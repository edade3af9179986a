"""Where a pause gets its value: a preset (``--input``, ``RUNNER_INPUT_<NAME>``) or a person.

Only this module reads the terminal. Without one, a pause never waits: it fails at once and
says how to pass the value. The outside world (streams, environment) is injected for tests.

An OAuth pause may also have a loopback listener (``runner.pause.loopback``) that receives the
browser's redirect by itself: on a terminal, pasting and the listener race and whichever comes
first wins; without a terminal the pause waits for the listener only when the browser was
opened for it (``--open``), and never longer than the listener's timeout.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from runner.core.errors import InputMissingError, SourceLocation

if TYPE_CHECKING:
    from runner.pause.loopback import CallbackListener

try:
    import termios
except ImportError:  # pragma: no cover - Windows: no echo control, input stays visible
    termios = None  # type: ignore[assignment]

INPUT_ENV_PREFIX = "RUNNER_INPUT_"


@dataclass(frozen=True, slots=True)
class PauseRequest:
    step: str
    variable: str
    loc: SourceLocation
    prompt: str | None = None
    from_url: str | None = None
    browser_url: str | None = None  # the last browser step's URL, for context
    secret: bool = True  # hide what is typed (a pasted code is a credential)
    callback: CallbackListener | None = None  # receives the browser's redirect by itself
    browser_opened: bool = False  # the authorize URL was opened in a browser (--open)


class Prompter(Protocol):
    def ask(self, request: PauseRequest) -> str: ...


def input_env_name(variable: str) -> str:
    return INPUT_ENV_PREFIX + variable.upper()


class TerminalPrompter:
    """Asks a person on a terminal; re-asks on an empty answer, EOF counts as no answer."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout

    def ask(self, request: PauseRequest) -> str:
        prompt = request.prompt or f"Value for '{request.variable}'"
        if request.from_url:
            prompt += f" (paste the whole redirect URL, or just the {request.from_url})"
        if request.secret:
            prompt += " [input hidden]"
        if request.callback is not None:
            self.stdout.write(
                f"\n  (finish in the browser: its redirect to {request.callback.url} is taken "
                "by itself; or paste it here)"
            )
        while True:
            self.stdout.write(f"\n? {prompt}: ")
            self.stdout.flush()
            with _echo_off(self.stdin, request.secret):
                line = _readline_or_callback(self.stdin, request)
            if line is None:  # the browser's redirect came first
                self.stdout.write("(received the browser's redirect)\n")
                self.stdout.flush()
                assert request.callback is not None
                return request.callback.wait(0)
            if request.secret:
                self.stdout.write(f"(received {len(line.strip())} characters)\n")
                self.stdout.flush()
            if not line:  # EOF: the person closed the input
                raise InputMissingError(
                    f"no value for '{request.variable}' (input closed)",
                    request.loc,
                    how_to_pass(request.variable),
                )
            value = line.strip()
            if value:
                return value


def _readline_or_callback(stream: TextIO, request: PauseRequest) -> str | None:
    """A line from ``stream``, or None as soon as the request's callback has arrived.

    Raises InputMissingError when the callback's time is up. A stream that cannot be
    watched (no file descriptor) is read as usual: pasting is then the only way."""
    callback = request.callback
    if callback is None:
        return stream.readline()
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return stream.readline()
    while True:
        if callback.poll() is not None:
            return None
        if callback.remaining() <= 0:
            raise _timed_out(request)
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            return stream.readline()


def wait_for_callback(request: PauseRequest) -> str:
    """Wait for the loopback listener alone (no terminal): its URL, or InputMissingError."""
    from runner.pause.loopback import CallbackTimeout

    assert request.callback is not None
    try:
        return request.callback.wait()
    except CallbackTimeout:
        raise _timed_out(request) from None


def _timed_out(request: PauseRequest) -> InputMissingError:
    callback = request.callback
    assert callback is not None
    refused = f" ({'; '.join(callback.refused)})" if callback.refused else ""
    return InputMissingError(
        f"no authorization redirect reached {callback.url} within {callback.timeout:g} s" + refused,
        request.loc,
        f"authorize sooner, raise --callback-timeout, or {how_to_pass(request.variable)}",
    )


@contextmanager
def _echo_off(stream: TextIO, hide: bool) -> Iterator[None]:
    """Turn terminal echo off while a secret is typed, as getpass does, on our own stream."""
    if termios is None:
        yield
        return
    try:
        fd = stream.fileno()
        old = termios.tcgetattr(fd) if hide and os.isatty(fd) else None
    except (AttributeError, ValueError, OSError, termios.error):
        old = None
    if old is None:
        yield
        return
    new = list(old)
    new[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, new)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, old)


def how_to_pass(variable: str) -> str:
    return (
        f"pass --input {variable}=VALUE, or set the environment variable "
        f"{input_env_name(variable)}=VALUE"
    )


class StandardPrompter:
    """Presets first, then the terminal when there is one, else an immediate InputMissingError."""

    def __init__(
        self,
        inputs: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        terminal: Prompter | None = None,
    ) -> None:
        self.inputs = dict(inputs or {})
        self.environ = os.environ if environ is None else environ
        self.terminal = terminal

    def preset(self, variable: str) -> str | None:
        """The value given with ``--input`` or ``RUNNER_INPUT_<NAME>``, if any."""
        value = self.inputs.get(variable)
        return self.environ.get(input_env_name(variable)) if value is None else value

    def ask(self, request: PauseRequest) -> str:
        value = self.preset(request.variable)
        if value is not None:
            if not value.strip():
                raise InputMissingError(
                    f"the value given for '{request.variable}' is empty",
                    request.loc,
                    how_to_pass(request.variable),
                )
            return value.strip()
        if self.terminal is None:
            if request.callback is not None and request.browser_opened:
                return wait_for_callback(request)
            hint = how_to_pass(request.variable)
            if request.callback is not None:
                hint += "; or run with --open, and the browser's redirect is taken by itself"
            raise InputMissingError(
                f"step '{request.step}' needs a value for '{request.variable}' and there is no "
                "terminal to ask",
                request.loc,
                hint,
            )
        return self.terminal.ask(request)


def is_interactive(stdin: TextIO, stdout: TextIO, environ: Mapping[str, str]) -> bool:
    """A person can answer: stdin and stdout are terminals and we are not in CI."""
    if environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    try:
        return stdin.isatty() and stdout.isatty()
    except (ValueError, OSError):
        return False
