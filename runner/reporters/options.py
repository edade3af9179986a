"""What every reporter is given (``ReporterOptions``); re-exported by ``runner.reporters``.

A module of its own so that the built-in reporters (console, json...) can name it without
importing ``runner.reporters``, which imports the console reporter (no import cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from runner.core.model import Collection
from runner.core.redact import Redactor


@dataclass(frozen=True)
class ReporterOptions:
    """What a reporter is given: where to write, and the run's redactor.

    ``path`` is None for standard output (``stream``). ``verbosity`` is -1 for ``--quiet``,
    1 for ``--verbose``, else 0; ``colour`` None means "when the stream is a terminal"."""

    redactor: Redactor
    stream: TextIO
    path: Path | None = None
    collection: Collection | None = None
    verbosity: int = 0
    colour: bool | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
