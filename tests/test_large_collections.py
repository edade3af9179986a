"""A collection of thousands of steps is read one step at a time, costs a few KB per step, and
the run keeps nothing per template (issue 9, point 8; figures in docs/security.md#limits).

The loader hands each top-level step to the model as soon as the parser has read it
(``runner.format.yaml_compose``), so the node tree of the whole file is never held; these tests also
pin down that errors come in the same order as when the whole file was read first: malformed
YAML and aliases anywhere, then the collection's own keys, then the first bad step.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from runner.core.errors import LoadError, SourceLocation
from runner.core.model import RequestStep, Text
from runner.format.loader import load_collection, parse_collection
from runner.render.templates import CACHE_LIMIT, COMPILED_LIMIT, Renderer

# The step of bench/limits.py: a header, a JSON body, two expectations and a capture.
STEP = """\
  - request: Item {i}
    method: POST
    url: <<base>>/items/{i}
    headers: {{X-Step: "{i}"}}
    body:
      json: {{sku: "SKU-{i}", qty: {i}}}
    expect:
      status: 200
      json:
        $.name: widget
    capture:
      item_{i}: $.id
"""
STEP_LINES = STEP.count("\n")
HEAD = "name: Steps\nvariables:\n  base: http://127.0.0.1:1\nsteps:\n"


def collection_text(steps: int) -> str:
    return HEAD + "".join(STEP.format(i=i) for i in range(1, steps + 1))


def test_a_large_collection_is_read_one_step_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "steps.yaml"
    path.write_text(collection_text(2_000), encoding="utf-8")
    gc.collect()
    tracemalloc.start()
    try:
        collection = load_collection(path)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(collection.steps) == 2_000
    # Holding the whole file's node tree cost about 12 KB per step over the model (23 MB here).
    assert peak - kept < 4_000_000, f"reading held {(peak - kept) / 1e6:.1f} MB beyond the model"
    # The model itself: about 3 KB per step (5.2 KB when each Text had an instance dict).
    assert kept / 2_000 < 4_000, f"{kept / 2_000:.0f} bytes per step"


def test_every_step_keeps_its_locations(tmp_path: Path) -> None:
    path = tmp_path / "steps.yaml"
    path.write_text(collection_text(300), encoding="utf-8")
    collection = load_collection(path)
    last = collection.steps[-1]
    assert isinstance(last, RequestStep)
    first_line = HEAD.count("\n") + 1 + 299 * STEP_LINES
    assert last.loc == SourceLocation(str(path), first_line, 5)
    assert isinstance(last.url, Text) and last.url.loc == SourceLocation(
        str(path), first_line + 2, 10
    )
    header = last.headers[0]
    assert isinstance(header.name, Text) and header.name.loc == header.loc
    assert header.loc == SourceLocation(str(path), first_line + 3, 15)
    assert not hasattr(last.url, "__dict__")  # a slot: no dict per string


def test_a_bad_step_deep_in_a_large_file_is_reported_at_its_line() -> None:
    text = collection_text(500).replace("    method: POST\n    url: <<base>>/items/321\n", (
        "    method: POST\n    ulr: <<base>>/items/321\n"
    ))  # fmt: skip
    with pytest.raises(LoadError) as caught:
        parse_collection(text, "big.yaml")
    line = HEAD.count("\n") + 320 * STEP_LINES + 3
    assert caught.value.location == SourceLocation("big.yaml", line, 5)
    assert caught.value.message == "unknown key 'ulr' in request step 'Item 321'"


@pytest.mark.parametrize(
    ("after", "message", "line"),
    [
        ("foo: 1\n", "unknown key 'foo' in the collection", 8),
        ("variables: [1]\n", "variables must be a mapping (key: value), not a list", 8),
        ("name: x\n- y\n", "malformed YAML: did not find expected key", 9),
        ("other: &a 1\nmore: *a\n", "YAML anchors and aliases", 9),
        (f"deep: {'[' * 70}{']' * 70}\n", "nested deeper than 64 levels", 8),
    ],
    ids=["unknown-key", "bad-variables", "malformed", "alias", "too-deep"],
)
def test_what_follows_the_steps_is_reported_before_a_bad_step(
    after: str, message: str, line: int
) -> None:
    """The steps are read as they come, but their first error waits for the rest of the file:
    the same error as when the whole file was read first."""
    text = (
        "steps:\n  - request: good\n    url: http://h/\n"
        "  - request: bad\n    urll: http://h/\n  - request: later\n    url: http://h/\n" + after
    )
    with pytest.raises(LoadError) as caught:
        parse_collection(text, "c.yaml")
    assert caught.value.message.startswith(message)
    assert caught.value.location is not None and caught.value.location.line == line


def test_a_bad_step_is_reported_when_the_rest_of_the_file_is_fine() -> None:
    text = "steps:\n  - request: bad\n    urll: http://h/\nname: fine\n"
    with pytest.raises(LoadError) as caught:
        parse_collection(text, "c.yaml")
    assert caught.value.message == "unknown key 'urll' in request step 'bad'"
    assert caught.value.location == SourceLocation("c.yaml", 3, 5)


def test_an_alias_among_the_steps_is_refused_at_the_alias() -> None:
    text = "steps:\n  - &one {request: a, url: http://h/}\n  - *one\n"
    with pytest.raises(LoadError) as caught:
        parse_collection(text, "c.yaml")
    assert caught.value.message == "YAML anchors and aliases (&name / *name) are not supported"
    assert caught.value.location == SourceLocation("c.yaml", 3, 5)


def test_the_renderer_keeps_a_bounded_number_of_templates() -> None:
    """A run renders each step's templates; their caches must not grow with the steps."""
    renderer = Renderer({})
    scope = {"base": "http://h", "n": 3}
    for i in range(CACHE_LIMIT + 50):
        assert renderer.render_str(f"<<base>>/items/{i}", scope) == f"http://h/items/{i}"
        assert renderer.names(f"<<base>>/{i}") == frozenset({"base"})
    for i in range(COMPILED_LIMIT + 50):
        assert renderer.render_str(f"<< n + {i} >>", scope) == str(3 + i)
        assert renderer.render_native(f"<< n * {i} >>", scope) == 3 * i
    assert len(renderer._simple) <= CACHE_LIMIT
    assert len(renderer._names) <= CACHE_LIMIT
    assert len(renderer._templates) <= COMPILED_LIMIT
    assert len(renderer._expressions) <= COMPILED_LIMIT
    # what was let go is made again, the same
    assert renderer.render_str("<<base>>/items/0", scope) == "http://h/items/0"
    assert renderer.render_str("<< n + 0 >>", scope) == "3"
