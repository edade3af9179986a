"""Template bombs are refused before they are built (robustness issue, point 3): each refusal is
a RenderError naming the bound, in well under a second and without the memory."""

from __future__ import annotations

import resource
import time

import pytest

from runner.core.errors import RenderError
from runner.render.bounds import MAX_INT_BITS, MAX_SIZE, MAX_WIDTH
from runner.render.templates import Renderer

BOMBS = [
    ("<< 'a' * 10**9 >>", "a repeated sequence"),
    ("<< [1] * 999999999 >>", "a repeated sequence"),
    ("<< 999999999 * 'ab' >>", "a repeated sequence"),
    ("<< '%999999999d' | format(1) >>", "a width or precision"),
    ("<< '%.999999999f' | format(1.5) >>", "a width or precision"),
    ("<< '%999999999d' % 1 >>", "a width or precision"),
    ("<< 'x' | center(999999999) >>", "a width or precision"),
    ("<< 'x'.center(999999999) >>", "a width or precision"),
    ("<< 'x'.ljust(999999999) >>", "a width or precision"),
    ("<< '{:999999999}'.format(1) >>", "a width or precision"),
    ("<< 9 ** 999999 >>", "a power would be larger than 100000 bits"),
    ("<< (9 ** 9) ** 99999 >>", "a power would be larger than 100000 bits"),
    ("<< ('a' * 1000000).replace('a', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') >>", "a replaced"),
]


@pytest.mark.parametrize(("template", "bound"), BOMBS)
def test_a_template_bomb_is_refused_before_it_is_built(template: str, bound: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    for render in (Renderer().render_str, Renderer().render_native):
        with pytest.raises(RenderError) as info:
            render(template, {})
        assert bound in info.value.message
        assert "docs/security.md#limits" in info.value.message
    assert time.monotonic() - started < 1.0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024  # nothing near the gigabytes the bomb asks for


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<< 'ab' * 3 >>", "ababab"),
        ("<< '%5d' | format(42) >>", "   42"),
        ("<< '%.2f' % 1.5 >>", "1.50"),
        ("<< 'x' | center(5) >>", "  x  "),
        ("<< '{:>4}'.format(7) >>", "   7"),
        ("<< 2 ** 64 >>", str(2**64)),
        ("<< [0] * 3 >>", "[0, 0, 0]"),
    ],
)
def test_ordinary_use_of_the_same_operations_still_works(template: str, expected: str) -> None:
    assert Renderer().render_str(template, {}) == expected


def test_the_bounds_are_the_documented_numbers() -> None:
    assert (MAX_SIZE, MAX_INT_BITS, MAX_WIDTH) == (10 * 1024 * 1024, 100_000, 100_000)
