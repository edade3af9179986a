"""What an import or export gives back to its command: the text and the notes, never printed
here (the command decides where each goes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StepImport:
    """Where a step made from another tool's text (a curl command, a docs page) went.

    Without ``to`` the step is given as ``text`` (YAML list items to paste under ``steps:``);
    with it, it was added to that collection (``created``: the file was new)."""

    text: str | None = None
    created: bool = False


@dataclass
class Exported:
    """A document in another tool's format, and what it left out or changed."""

    text: str
    notes: list[str] = field(default_factory=list)
    secret: bool = False  # it holds secret values: a file of it is written with mode 0600


def place_step(step: dict[str, Any], to: Path | None) -> StepImport:
    """Append ``step`` to the collection ``to`` (created if new, comments kept), or, without
    ``to``, give its text."""
    from runner.authoring import fmt

    if to is None:
        return StepImport(text=fmt.steps_text([step]))
    return StepImport(created=fmt.append_steps(to, [step]))
