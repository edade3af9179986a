"""The outside world of one command: its streams and environment (tests inject their own)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from runner.core.errors import RunnerError, format_error
from runner.core.redact import Redactor


@dataclass
class Console:
    """The outside world of one command: streams and environment (injected by tests)."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def error(self, error: RunnerError, redactor: Redactor | None = None) -> None:
        text = format_error(error)
        self.stderr.write((redactor.mask(text) if redactor else text) + "\n")
        self.stderr.flush()

    def say(self, text: str) -> None:
        """A line of information for the person, on standard error."""
        self.stderr.write(text + "\n")
