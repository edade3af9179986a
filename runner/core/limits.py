"""The bounds on numbers and values that a file, a flag or a script controls.

Why one module: the loader, the command line and the engine check the same numbers, and
docs/security.md lists each bound with its value; past a bound is a clear error before
anything is sent (an infinite ``timeout`` or a ``delay: 1e308`` overflowed the clock deep in
the socket layer, a 100,000-deep object set by a script overflowed the stack).
"""

from __future__ import annotations

import math

MAX_SECONDS = 604_800.0  # a week: timeouts, delays, --run-timeout, retry waits
MAX_COUNT = 1_000_000_000  # iterations, retries, repeat counts, any whole number of a file
MAX_PARALLEL = 1_000  # --parallel: threads
MAX_REPEAT = 100_000  # `repeat: N`: the list of N items is built before the first
MAX_VALUE_DEPTH = 64  # nesting of a value a script sets (as the loader's MAX_DEPTH)
MAX_VALUE_CHARS = 10_485_760  # a value a script sets, as JSON (as a rendered template)


def number_problem(value: float, maximum: float, unit: str = "") -> str | None:
    """Why ``value`` is out of range (not finite, or above ``maximum``), else None; ``unit``
    follows the bound in the message (" seconds")."""
    if not math.isfinite(value):
        return f"must be a finite number, not {value}"
    if abs(value) > maximum:
        return f"must be at most {maximum:,.0f}{unit}"
    return None


def value_problem(
    value: object, depth: int = MAX_VALUE_DEPTH, chars: int | None = None
) -> str | None:
    """Why a value (as JSON holds: dicts, lists, scalars) is out of bounds, else None:
    nested deeper than ``depth``, or, with ``chars``, more than that many characters of
    strings and keys in all. Walked without recursion, so a 100,000-deep value is measured,
    not a RecursionError."""
    total = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level >= depth:
                return f"nested deeper than {depth} levels"
            children = list(item.items()) if isinstance(item, dict) else item
            for child in children:
                if isinstance(child, tuple):
                    total += len(str(child[0]))
                    child = child[1]
                stack.append((child, level + 1))
        elif isinstance(item, str):
            total += len(item)
        if chars is not None and total > chars:
            return f"larger than {chars:,} characters"
    return None
