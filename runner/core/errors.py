"""Every error the runner shows a person, and the exit codes they map to.

The hierarchy::

    RunnerError                 base: message, optional SourceLocation, optional hint
    ├── LoadError               a collection or environment file is invalid (exit 2)
    ├── RenderError             a template is invalid or names an undefined variable (exit 2
    │                           before the run; a step error during it)
    ├── UsageError              the command line is invalid (exit 2)
    ├── TransportError          the request could not be sent or answered (a step error)
    └── PauseError              a pause could not get its value
        ├── InputMissingError   no terminal and no preset value (exit 3)
        └── PauseRefusedError   the pasted value was refused: state mismatch, OAuth error (exit 1)

Only ``LoadError``, ``RenderError``, ``UsageError`` and ``InputMissingError`` ever leave the
engine; everything that happens to a single step becomes data in its ``StepResult``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


class ExitStatus(enum.IntEnum):
    """Documented process exit codes (docs/format.md, README)."""

    OK = 0
    FAILED = 1  # a request failed or an expectation did not hold
    INVALID = 2  # the collection, environment or command line is invalid; nothing was sent
    INPUT_REQUIRED = 3  # a pause needed a value and there was no terminal to ask
    INTERNAL = 70  # a bug in the runner (EX_SOFTWARE); what ran is reported
    INTERRUPTED = 130  # Ctrl-C; what ran is reported
    TERMINATED = 143  # SIGTERM (128 + 15, as a shell reports it); what ran is reported


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A point in a user's file, 1-based, as editors count; with the end of the faulty token
    when it is known (exclusive, as editors select), so that ``format_error`` underlines all
    of it.

    The end takes no part in equality: a location is where something is, its span only how
    it is drawn."""

    file: str
    line: int
    column: int = 1
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def width(self) -> int:
        """How many columns the caret spans: the token's on one line, else 1."""
        if self.end_column is None or self.end_line not in (None, self.line):
            return 1
        return max(self.end_column - self.column, 1)


class RunnerError(Exception):
    """Base of all errors the runner reports; carries where and what to do about it."""

    exit_status: ClassVar[ExitStatus] = ExitStatus.FAILED
    kind: ClassVar[str] = "error"

    def __init__(
        self, message: str, location: SourceLocation | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message}"


class LoadError(RunnerError):
    exit_status = ExitStatus.INVALID
    kind = "invalid collection"


class RenderError(RunnerError):
    exit_status = ExitStatus.INVALID
    kind = "template error"


class MissingFile(RenderError):
    """A file part names a file that is not there: ``part`` is the model's Part
    (``missing_files: skip`` leaves it out and sends the rest, as Newman does)."""

    def __init__(self, message: str, location: SourceLocation | None, *, part: Any) -> None:
        super().__init__(message, location)
        self.part = part


class RenderErrors(RenderError):
    """Several template errors found at once (``runner check`` lists every undefined
    variable, not only the first); drawn one after the other by ``format_error``."""

    def __init__(self, errors: list[RenderError]) -> None:
        first = errors[0]
        super().__init__(first.message, first.location, first.hint)
        self.errors = errors


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be: the run ends the same way
    (reported, marked interrupted) but exits 143, so CI can tell a cancel from a Ctrl-C."""


class UsageError(RunnerError):
    exit_status = ExitStatus.INVALID
    kind = "usage"


class TransportError(RunnerError):
    """A request that got no usable response; ``reason`` is a short machine name."""

    kind = "request error"

    def __init__(self, message: str, reason: str, location: SourceLocation | None = None) -> None:
        super().__init__(message, location)
        self.reason = reason


class PauseError(RunnerError):
    kind = "pause"


class InputMissingError(PauseError):
    exit_status = ExitStatus.INPUT_REQUIRED
    kind = "input required"


class PauseRefusedError(PauseError):
    kind = "pause refused"


def format_error(error: RunnerError, *, sources: dict[str, str] | None = None) -> str:
    """Draw an error as ``error: message``, ``--> file:line:col``, the source line, carets
    under the faulty token (one when its end is unknown), and the hint, in the manner of Hurl
    and rustc."""
    if isinstance(error, RenderErrors):
        drawn = [format_error(one, sources=sources) for one in error.errors]
        return "\n\n".join([*drawn, f"{len(drawn)} errors"])
    lines = [f"error: {error.message}"]
    loc = error.location
    if loc is not None:
        lines.append(f"  --> {loc}")
        text = _source_line(loc, sources)
        if text is not None:
            gutter = str(loc.line)
            pad = " " * len(gutter)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            start = max(loc.column - 1, 0)
            width = max(min(loc.width, len(text) - start), 1)
            lines.append(f"{pad} | {' ' * start}{'^' * width}")
    if error.hint:
        lines.append(f"  = help: {error.hint}")
    return "\n".join(lines)


def _source_line(loc: SourceLocation, sources: dict[str, str] | None) -> str | None:
    text = (sources or {}).get(loc.file)
    if text is None:
        try:
            text = Path(loc.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    all_lines = text.splitlines()
    if 1 <= loc.line <= len(all_lines):
        return all_lines[loc.line - 1].rstrip()
    return None


def close_matches(
    word: str, possibilities: Iterable[str], n: int = 3, cutoff: float = 0.6
) -> list[str]:
    """``difflib.get_close_matches`` for "did you mean" hints; difflib is imported only when
    an error needs it (it is not free at start-up)."""
    import difflib

    return difflib.get_close_matches(word, list(possibilities), n=n, cutoff=cutoff)
