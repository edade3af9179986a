"""The renderer's fast path (text with plain ``<<name>>`` placeholders, rendered without
Jinja) gives exactly what Jinja gives, errors included (runner.render.templates)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from runner.core.errors import RenderError
from runner.core.model import Text
from runner.render.templates import Renderer

SCOPE: dict[str, Any] = {
    "s": "text",
    "n": 42,
    "f": 1.5,
    "t": True,
    "nothing": None,
    "obj": {"a": [1, "x"]},
    "items": ["a", "b"],
    "uni": "ümlaut ✓",
}


@pytest.mark.parametrize(
    "text",
    [
        "<<s>>",
        "<< n >>",
        "<<f>>/<<t>>/<<nothing>>",
        "prefix <<obj>> suffix <<items>>",
        "<<uni>>\n",
        "a >> b <<s>>",
        "<<s>><<n>>",
        # one variable alone (its own shortest path): every type, as text
        "<<n>>",
        "<< f >>",
        "<<t>>",
        "<<nothing>>",
        "<<obj>>",
        "<<items>>",
        "<<uni>>",
    ],
)
def test_placeholders_render_as_jinja_renders_them(text: str) -> None:
    renderer = Renderer({})
    fast = renderer.render_str(text, SCOPE)
    assert renderer._parts(text) is not None  # it took the fast path
    slow = renderer.env.from_string(text).render(SCOPE)
    assert fast == slow


@pytest.mark.parametrize("text", ["<<s>>", "<< obj >>", "<<nothing>>", "<<t>>"])
def test_a_whole_placeholder_keeps_its_type(text: str) -> None:
    renderer = Renderer({})
    name = text.strip("<> ")
    assert renderer.render_native(text, SCOPE) is SCOPE[name] or (
        renderer.render_native(text, SCOPE) == SCOPE[name]
    )


@pytest.mark.parametrize(
    "text", ["<<s | upper>>", "<<%if t%>>x<<%endif%>>", "<<<s>>", "<<true>>", "<<- s >>"]
)
def test_anything_else_goes_to_jinja(text: str) -> None:
    renderer = Renderer({})
    assert renderer._parts(text) is None


def test_an_undefined_placeholder_is_the_same_error_as_from_jinja() -> None:
    renderer = Renderer({})
    text = Text("x <<missing>> y", None)
    with pytest.raises(RenderError) as fast:
        renderer.render_str(text, SCOPE)
    with pytest.raises(RenderError) as slow:
        renderer.render_str(Text("x <<missing | string>> y", None), SCOPE)
    assert fast.value.message == slow.value.message == "undefined variable 'missing'"
    assert fast.value.hint == slow.value.hint


def test_names_and_helper_names_need_no_jinja() -> None:
    code = (
        "import sys; from runner.render.templates import Renderer; r = Renderer({}); "
        "assert r.names('<<a>>/<<b>>') == {'a', 'b'}; "
        "assert 'guid' in r.helper_names and 'range' in r.helper_names; "
        "assert r.render_str('<<a>>', {'a': 1}) == '1'; "
        "assert 'jinja2' not in sys.modules, 'jinja2 was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    renderer = Renderer({})
    assert renderer.helper_names == frozenset(renderer.env.globals)


def test_an_undefined_variable_alone_is_the_same_error_as_from_jinja() -> None:
    renderer = Renderer({})
    with pytest.raises(RenderError) as fast:
        renderer.render_str(Text("<<missing>>", None), SCOPE)
    with pytest.raises(RenderError) as slow:
        renderer.render_str(Text("<<missing | string>>", None), SCOPE)
    assert fast.value.message == slow.value.message == "undefined variable 'missing'"
    assert fast.value.hint == slow.value.hint


def test_a_helper_alone_renders_as_in_jinja() -> None:
    renderer = Renderer({})
    fast = renderer.render_str("<<range>>", {})
    assert renderer._parts("<<range>>") is not None
    assert fast == renderer.env.from_string("<<range>>").render({})


def test_per_step_facts_are_made_once_per_step_object_not_per_equal_step() -> None:
    """The engine's per-step cache: the same step gives the value made the first time; an
    equal but distinct step object gets its own."""
    from runner.core.errors import SourceLocation
    from runner.core.model import RequestStep
    from runner.engine.per_step import PerStep

    made: list[str] = []

    def make(step: RequestStep, n: int) -> str:
        made.append(step.name)
        return f"{step.name}{n}"

    cache: PerStep[RequestStep, str] = PerStep(make)
    loc = SourceLocation("c.yaml", 1, 1)
    one, twin = (RequestStep("a", "GET", "http://x/", loc) for _ in range(2))
    assert one == twin and one is not twin
    assert (cache.get(one, 1), cache.get(one, 1), cache.get(twin, 2)) == ("a1", "a1", "a2")
    assert made == ["a", "a"]
