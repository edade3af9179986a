"""Where an imported step or collection goes: the text for the person, or into a collection
file (created, or its steps appended with every comment kept, through runner.authoring.fmt).

Why here and not beside the importers: converting is pure (runner.formats gives data and
notes); putting the result into a file on disk is the authoring tools' part, called by the
command that was asked to write it.
"""

from __future__ import annotations

from dataclasses import dataclass
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
class HarImport:
    """Where the collection made from a recording went: its text (without ``to``), or how
    ``to`` changed (``appended`` to a collection that existed, else written new)."""

    steps: int
    text: str | None = None
    appended: bool = False


def place_step(step: dict[str, Any], to: Path | None) -> StepImport:
    """Append ``step`` to the collection ``to`` (created if new, comments kept), or, without
    ``to``, give its text."""
    from runner.authoring import fmt

    if to is None:
        return StepImport(text=fmt.steps_text([step]))
    return StepImport(created=fmt.append_steps(to, [step]))


def save_collection(collection: dict[str, Any], target: Path | None, name: str) -> HarImport:
    """Give the collection's text, or write it to ``target`` (its steps appended if it
    exists); ``name`` is the collection's when it is given as text."""
    from runner.authoring import fmt

    steps = len(collection["steps"])
    if target is None:
        text = fmt.format_text(fmt.dump(fmt.plain(collection)), name, "collection")
        return HarImport(steps, text=text)
    if target.exists():
        fmt.append_steps(target, collection["steps"])
        return HarImport(steps, appended=True)
    from runner.core.files import write_atomic

    text = fmt.format_text(fmt.dump(fmt.plain(collection)), str(target), "collection")
    write_atomic(target, text.encode("utf-8"), mode=0o644)
    return HarImport(steps)
