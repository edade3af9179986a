"""Byte sizes as people write them (``10MB``, ``512 KiB``, ``1048576``) and as reports show them.

Why a module: the response size cap is set by a flag (``--max-response-size``) and by two keys
of the collection format, and all three must read and print sizes the same way.
"""

from __future__ import annotations

import re

UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
UNITS_HINT = "write a number of bytes with a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """The number of bytes ``text`` says; ValueError (with the reason) when it says none."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size")
    number, unit = match.groups()
    factor = UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"unknown size unit {unit!r} in {text!r}")
    size = int(float(number) * factor)
    if size < 1:
        raise ValueError(f"{text!r}: the size must be at least 1 byte")
    return size


def format_size(size: int) -> str:
    """``52428800`` -> ``50 MiB``; ``10000000`` -> ``10 MB``; exact where it can be."""
    for unit, factor in (("GiB", 1024**3), ("GB", 1000**3), ("MiB", 1024**2), ("MB", 1000**2),
                         ("KiB", 1024), ("KB", 1000)):  # fmt: skip
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    if size >= 1000**2:
        return f"{size / 1000**2:.1f} MB"
    return f"{size} bytes"
