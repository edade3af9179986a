"""The event stream of a run: the one place its contract is written down.

The engine emits, in order: ``RunStarted``; for each step ``StepStarted`` then, for a browser
step, ``BrowserShown``, then ``StepFinished``; last ``RunFinished`` (also after an interrupt).
A listener is any object with ``on_event(event)``; reporters are listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner.results import RunResult, StepResult


@dataclass(frozen=True, slots=True)
class RunStarted:
    collection: str
    environment: str | None
    total_steps: int


@dataclass(frozen=True, slots=True)
class StepStarted:
    index: int
    name: str
    kind: str
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BrowserShown:
    """A browser step's URL, for the person to open (already masked of secrets)."""

    index: int
    name: str
    url: str
    opened: bool


@dataclass(frozen=True, slots=True)
class StepFinished:
    result: StepResult


@dataclass(frozen=True, slots=True)
class RunFinished:
    result: RunResult


Event = RunStarted | StepStarted | BrowserShown | StepFinished | RunFinished


class Listener(Protocol):
    def on_event(self, event: Event) -> None: ...
