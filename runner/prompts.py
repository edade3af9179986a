"""Where a pause gets its value: a preset (``--input``, ``RUNNER_INPUT_<NAME>``) or a person.

Only this module reads the terminal. Without one, a pause never waits: it fails at once and
says how to pass the value. The outside world (streams, environment) is injected for tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TextIO

from runner.errors import InputMissingError, SourceLocation

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
        while True:
            self.stdout.write(f"\n? {prompt}: ")
            self.stdout.flush()
            with _echo_off(self.stdin, request.secret):
                line = self.stdin.readline()
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

    def ask(self, request: PauseRequest) -> str:
        value = self.inputs.get(request.variable)
        if value is None:
            value = self.environ.get(input_env_name(request.variable))
        if value is not None:
            if not value.strip():
                raise InputMissingError(
                    f"the value given for '{request.variable}' is empty",
                    request.loc,
                    how_to_pass(request.variable),
                )
            return value.strip()
        if self.terminal is None:
            raise InputMissingError(
                f"step '{request.step}' needs a value for '{request.variable}' and there is no "
                "terminal to ask",
                request.loc,
                how_to_pass(request.variable),
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
