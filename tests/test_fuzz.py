"""Property-based fuzzing of everything that parses text from others (issue 9, point 2).

The property is the same for every parser: any input gives a valid result or one of our
documented errors (a ``RunnerError`` subclass, with a message); any other exception is a bug.
Random generation rarely reaches the nasty paths (security.md §6), so the known-bad inputs are
``@example`` seeds, and ``tests/fuzz_corpus/`` keeps every input that once failed: each file
there is replayed on every run. Examples are bounded so the whole module stays quick.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runner.auth.oauth import looks_like_url, parse_pasted
from runner.core.errors import RunnerError
from runner.core.model import Collection
from runner.format.loader import parse_collection
from runner.formats.postman.convert import Converter, Names
from runner.formats.postman.importer import read_json
from runner.render.templates import Renderer

CORPUS = Path(__file__).parent / "fuzz_corpus"
FUZZ = settings(
    max_examples=int(os.environ.get("RUNNER_FUZZ_EXAMPLES", "150")),
    deadline=2000,  # milliseconds per example: a slow path is a hang in the making
    suppress_health_check=[HealthCheck.too_slow],
    database=None,  # no .hypothesis/ directory in the tree; failures go to fuzz_corpus/
)
BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

# --- the loader ----------------------------------------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            *"abcdefghijklmnopqrstuvwxyz0123456789 \n\t:-[]{},'\"&*!|>#%@`?<>=.\\\x00\ufeff",
            "steps:",
            "name:",
            "url:",
            "method:",
            "- ",
            "  ",
            "!!int",
            "!!python/object:os.system",
        ]
    ),
    max_size=120,
).map("".join)


def _check_loader(text: str) -> None:
    try:
        result = parse_collection(text, "fuzz.yaml")
    except RunnerError as exc:
        assert exc.message  # a documented error always says what went wrong
        return
    assert isinstance(result, Collection)


@FUZZ
@given(YAMLISH)
@example("d: 2024-13-45\nsteps: []\n")
@example("x: !!int 'abc'\n")
@example("[" * 100_000)
@example("{a: " * 5_000)
@example("a: \x00\n")
@example("\ufeffname: x\nsteps: []\n")
@example("name: [dk, no, se]\nsteps: []\n")
@example("name: no\nsteps: []\n")
@example("name: x\nname: y\nsteps: []\n")
@example("!!python/object/apply:os.system ['touch pwned']\n")
@example(BOMB)
@example("steps:\n- name: a\n  request: {method: GET, url: 'http://x/{# c #}{% y %}'}\n")
def test_loader_gives_a_collection_or_a_load_error(text: str) -> None:
    _check_loader(text)


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_loader_accepts_any_json_shaped_document_or_refuses_it(data: Any) -> None:
    """JSON is YAML: shapes the schema never imagined must still give a LoadError."""
    _check_loader(json.dumps({"name": "n", "steps": [data]}))
    _check_loader(json.dumps(data))


# --- the renderer --------------------------------------------------------------------------------

TEMPLATE = st.lists(
    st.sampled_from(
        [
            *"ab01 .'\"()[]|%#{}_-+*/~,:=",
            "<<",
            ">>",
            "<<%",
            "%>>",
            "<<#",
            "#>>",
            "name",
            "__class__",
            "__globals__",
            "attr",
            "lipsum",
            "self",
            "range",
            "if",
            "for",
            "in",
            "endfor",
            "endif",
            "\n",
        ]
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(TEMPLATE)
@example("<< ''.__class__ >>")
@example("<< ('{0.__class__}'|attr('format'))(1) >>")
@example("<< lipsum.__globals__ >>")
@example("<< self.__init__.__globals__ >>")
@example("<<% for i in range(100000000) %>>x<<% endfor %>>")
@example("{{ x }} {# c #} {% if %} << name >>")
@example("<< undefined_name >>")
@example("<<")
def test_renderer_gives_text_or_a_render_error(text: str) -> None:
    scope = {"name": "<< secret >>", "secret": "S3CR3T-canary"}
    try:
        out = Renderer(environ={}).render_str(text, scope)
    except RunnerError as exc:
        assert exc.message
        return
    assert isinstance(out, str)
    # a value holding a template is never rendered a second time (security.md §7 item 11)
    assert "S3CR3T-canary" not in out or "secret" in text


# --- the Postman importer ------------------------------------------------------------------------

JSON_LEAF = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
POSTMAN_KEYS = st.sampled_from(
    [
        "info",
        "item",
        "request",
        "url",
        "raw",
        "host",
        "path",
        "query",
        "header",
        "body",
        "mode",
        "auth",
        "type",
        "name",
        "key",
        "value",
        "event",
        "script",
        "exec",
        "variable",
        "schema",
        "formdata",
        "urlencoded",
        "disabled",
        "bearer",
        "oauth2",
        "description",
    ]
)
POSTMAN_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(POSTMAN_KEYS, inner, max_size=5),
    max_leaves=25,
)


def _check_postman(data: Any) -> None:
    try:
        converted = Converter(Names()).convert(data, "fuzz.postman_collection.json")
    except RunnerError as exc:
        assert exc.message
        return
    assert isinstance(converted, dict)


@FUZZ
@given(POSTMAN_JSON)
@example({"info": {"schema": "v2.1.0"}, "item": [{"request": {"url": {"raw": 5}}}]})
@example({"info": {"name": "x"}, "item": [{"item": [{"item": []}]}]})
@example({"item": "not a list"})
@example({"info": {}, "item": [{"request": "http://{{host}}/a"}]})
@example({"info": {}, "item": [{"request": {"url": "http://x/", "body": {"mode": "raw"}}}]})
@example([])
@example(10**400)
def test_postman_converter_gives_a_collection_or_a_load_error(data: Any) -> None:
    _check_postman(data)


@FUZZ
@given(st.dictionaries(POSTMAN_KEYS, POSTMAN_JSON, max_size=4))
def test_postman_shaped_collections_convert_or_refuse(info: dict[str, Any]) -> None:
    _check_postman({"info": {"name": "f", "schema": "v2.1.0"}, "item": [info]})


JSON_TEXT = st.lists(
    st.sampled_from([*'{}[],:"ab019 .-eE+\\', '"a"', '"a": 1', "true", "null", "1" * 5000]),
    max_size=30,
).map("".join)


@FUZZ
@given(JSON_TEXT)
@example('{"a": 1, "b": {"c": 1, "c": 2}}')  # a duplicate key hides a value
@example('{"a": ' + "1" * 5000 + "}")  # more digits than int() accepts
@example("[" * 100_000)
@example("\ufeff{}")
@example("")
def test_postman_json_files_read_or_give_a_load_error(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("json") / "c.json"
    path.write_text(text, encoding="utf-8")
    try:
        read_json(path)
    except RunnerError as exc:
        assert str(path) in exc.message
        return
    assert '"c": 1, "c"' not in text  # duplicate keys are never accepted silently


# --- the pasted-redirect parser ------------------------------------------------------------------

PASTED = st.lists(
    st.sampled_from(
        [*list("abc012=&?#:/%+ \t\n."), "code=", "state=", "error=", "http://", "state=s&", "%00"]
    ),
    max_size=40,
).map("".join)


@FUZZ
@given(PASTED, st.sampled_from([None, "s", ""]))
@example("http://x/?code=&state=", "s")
@example("?error=access_denied&state=s", "s")
@example("http://127.0.0.1/cb#code=c&state=s", "s")
@example("code=%ff%fe&state=s", "s")
@example("http://[::1/?code=c", None)
def test_parse_pasted_gives_the_code_or_a_refusal(value: str, state: str | None) -> None:
    try:
        code = parse_pasted(value, param="code", expected_state=state)
    except RunnerError as exc:
        assert exc.message
        return
    assert isinstance(code, str)
    assert code  # an empty code is never handed to the token request
    pasted = value.strip()
    if looks_like_url(pasted, "code"):  # a URL or query whose error field was ignored is a bug
        parts = urlsplit(pasted)
        fields = {
            **parse_qs(parts.query or pasted.lstrip("?"), keep_blank_values=True),
            **parse_qs(parts.fragment, keep_blank_values=True),
        }
        assert "error" not in fields, f"an error redirect was accepted: {value!r}"


# --- the corpus of inputs that once failed -------------------------------------------------------

CASES = sorted(p for p in CORPUS.glob("*/*") if p.is_file())


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_corpus_input_still_gives_a_documented_result(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    kind = path.parent.name
    if kind == "loader":
        _check_loader(text)
    elif kind == "render":
        test_renderer_gives_text_or_a_render_error.hypothesis.inner_test(text)  # type: ignore[attr-defined]
    elif kind == "postman" and path.name.startswith("read-"):  # files JSON must refuse
        with pytest.raises(RunnerError, match=r"read-"):
            read_json(path)
    elif kind == "postman":
        _check_postman(json.loads(text))
    elif kind == "pasted":
        test_parse_pasted_gives_the_code_or_a_refusal.hypothesis.inner_test(text, "s")  # type: ignore[attr-defined]
    else:
        pytest.fail(f"unknown corpus kind {kind!r}")


def test_the_corpus_covers_every_target() -> None:
    assert {p.parent.name for p in CASES} == {"loader", "render", "postman", "pasted"}
