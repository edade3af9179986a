"""What is worked out once per step rather than once per request (a load user sends the same
steps thousands of times): a small cache keyed by the step object itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

LIMIT = 4096  # entries; past it the cache starts again (a collection has fewer steps)


class PerStep(Generic[K, V]):
    """``get(step, *extra)`` is ``make(step, *extra)``, made once per step (``extra``, such
    as the step's index, must not vary for one step). Keyed by ``id``, with the step kept
    in the entry so its id is not reused while the entry lives (steps are frozen dataclasses
    that hash by value, which costs more than making the value again)."""

    def __init__(self, make: Callable[..., V]) -> None:
        self._make = make
        self._found: dict[int, tuple[K, V]] = {}

    def get(self, key: K, *extra: Any) -> V:
        found = self._found.get(id(key))
        if found is not None and found[0] is key:
            return found[1]
        value = self._make(key, *extra)
        if len(self._found) >= LIMIT:
            self._found.clear()
        self._found[id(key)] = (key, value)
        return value
