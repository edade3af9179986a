"""Rewrite every string inside data: events, results, JSON-like values.

Two boundaries use it: secrets masked as events leave the engine (``Redactor.mask_data``),
and control characters escaped before the console shows what came from a file or the network
(runner.reporters.terminal). What is unchanged comes back as it is (the same object), so a
walk that changes nothing allocates nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import is_
from typing import Any

# Fields of data classes the walk reads (cached per class), and those it leaves alone: source
# locations (a file name and numbers).
_FIELDS: dict[type, tuple[str, ...]] = {}
_KEEP = frozenset({"loc", "location"})


@dataclasses.dataclass(frozen=True, slots=True)
class StringMap:
    """How to rewrite: ``text`` for every string; ``header`` for a ``headers`` field's
    (name, value) pairs (by default ``text`` on both); ``number`` for ints and floats."""

    text: Callable[[str], str]
    header: Callable[[str, str], tuple[str, str]] | None = None
    number: Callable[[int | float], Any] | None = None

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:  # the common leaves first, without the isinstance chain
            return self.text(value)
        if value is None or kind is bool:
            return value
        if kind in _FIELDS:  # a data class met before: a result's checks, ...
            return self._dataclass(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            if not value:
                return value
            items = [self(item) for item in value]
            return value if all(map(is_, items, value)) else items
        if isinstance(value, tuple):
            if not value:
                return value
            items = [self(item) for item in value]
            if all(map(is_, items, value)):
                return value
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, dict):
            if not value:
                return value
            keys = [self(k) for k in value]
            values = [self(v) for v in value.values()]
            if all(map(is_, keys, value)) and all(map(is_, values, value.values())):
                return value
            return dict(zip(keys, values, strict=True))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value if self.number is None else self.number(value)
        return self._dataclass(value)

    def _dataclass(self, value: Any) -> Any:
        names = _FIELDS.get(type(value))
        if names is None:
            if not dataclasses.is_dataclass(value) or isinstance(value, type):
                return value
            names = _FIELDS[type(value)] = tuple(
                f.name for f in dataclasses.fields(value) if f.init and f.name not in _KEEP
            )
        changes = {}
        numbers = self.number is not None
        text = self.text
        for name in names:
            old = getattr(value, name)
            kind = type(old)
            if old is None or kind is bool or (not numbers and (kind is int or kind is float)):
                continue  # leaves nothing rewrites, inlined: most fields of an event
            if kind is str:  # the common leaf, without a call of the walk
                new: Any = text(old)
                if new is old:
                    continue
            elif (kind is list or kind is tuple or kind is dict) and not old:
                continue  # empty: a result's warnings, sub-requests, ...
            elif name == "headers" and isinstance(old, tuple) and self.header is not None:
                new = tuple(self.header(n, v) for n, v in old)
                if new == old:
                    continue
            else:
                new = self(old)
                if new is old:
                    continue
            changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
