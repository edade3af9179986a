"""Bounds on what one template expression may build, checked before it is built.

Why: the final text of a template is capped (``MAX_RENDERED_CHARS``), but an intermediate
value is made in full before that check: ``<< 'a' * 10**9 >>``, ``<< [1] * 999999999 >>``,
``<< '%999999999d' | format(1) >>`` or ``<< 9 ** 9 ** 9 >>`` would take gigabytes or hours
first. Jinja's sandbox lets an environment intercept binary operators and calls; these
checks refuse, with a RenderError naming the bound, whatever would cross it (docs/security.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from runner.core.errors import RenderError

MAX_SIZE = 10 * 1024 * 1024  # characters of a string or items of a list made by one operation
MAX_INT_BITS = 100_000  # bits of an integer made by ``**`` (about 30,000 decimal digits)
MAX_WIDTH = 100_000  # a width or precision in a format, ``center``, ``ljust``...

_SEQUENCE = (str, bytes, list, tuple)
# The numbers in printf-style conversions (``%-12.3f``) and str.format specs (``{:>20}``).
_PRINTF_NUMBERS = re.compile(r"%[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_NUMBERS = re.compile(r"\{[^{}]*?:[^{}]*?(\d+)(?:\.(\d+))?[^{}]*\}")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _too_big(what: str, limit: int, unit: str) -> RenderError:
    return RenderError(
        f"{what} would be larger than {limit} {unit} (a template bound, docs/security.md#limits)"
    )


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``sequence * n`` past MAX_SIZE and ``int ** int`` past MAX_INT_BITS."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCE) and isinstance(times, int) and times > 0:
                if len(seq) * times > MAX_SIZE:
                    unit = "items" if isinstance(seq, list | tuple) else "characters"
                    raise _too_big("a repeated sequence", MAX_SIZE, unit)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if abs(left) > 1 and abs(left).bit_length() * right > MAX_INT_BITS:
            raise _too_big("a power", MAX_INT_BITS, "bits")


def check_widths(numbers: list[str | None]) -> None:
    for number in numbers:
        if number and number.isdigit() and int(number) > MAX_WIDTH:
            raise _too_big("a width or precision", MAX_WIDTH, "characters")


def check_printf(template: Any) -> None:
    """The widths of ``'%10d' % x`` and Jinja's ``format`` filter."""
    if isinstance(template, str):
        for match in _PRINTF_NUMBERS.finditer(template):
            check_widths([match.group(1), match.group(2)])


def check_call(function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """``'x'.center(10**9)``, ``'{:999999999}'.format(1)``: a str method's widths."""
    # Jinja's sandbox hands out str.format wrapped (functools.update_wrapper): look through.
    function = getattr(function, "__wrapped__", function)
    owner = getattr(function, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(function, "__name__", "")
    if name in _WIDTH_METHODS:
        check_widths([str(a) for a in args[:1] if isinstance(a, int)])
    elif name in ("format", "format_map"):
        for match in _FORMAT_NUMBERS.finditer(owner):
            check_widths([match.group(1), match.group(2)])
    elif name == "replace" and len(args) >= 2 and isinstance(args[1], str):
        if len(owner) + owner.count(str(args[0])) * len(args[1]) > MAX_SIZE:
            raise _too_big("a replaced string", MAX_SIZE, "characters")


def bounded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's ``format``, ``center`` and ``indent`` filters with their widths checked first."""
    original_format = filters["format"]
    original_center = filters["center"]
    original_indent = filters["indent"]

    def format_(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_printf(value)
        return original_format(value, *args, **kwargs)

    def center(value: Any, width: int = 80) -> Any:
        check_widths([str(width)] if isinstance(width, int) else [])
        return original_center(value, width)

    def indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
        check_widths([str(width)] if isinstance(width, int) else [])
        return original_indent(value, width, *args, **kwargs)

    return {"format": format_, "center": center, "indent": indent}
