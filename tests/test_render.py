"""The renderer: <<variables>>, types of exact references, strict errors, the sandbox, helpers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import runner.render.templates
from runner.core.errors import RenderError, SourceLocation
from runner.core.model import RequestStep, Text
from runner.format.loader import parse_collection
from runner.render.templates import (
    MissingEnvironmentVariable,
    Renderer,
    pkce_challenge,
    pkce_verifier,
    random_state,
)

LOC = SourceLocation("c.yaml", 10, 12)


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(environ={"X": "from-environ", "EMPTY": ""})


def at_loc(text: str, loc: SourceLocation = LOC) -> Text:
    return Text(text, loc)


# --- substitution ------------------------------------------------------------------------------


def test_substitutes_variables(renderer: Renderer) -> None:
    out = renderer.render_str(
        "<<base>>/users/<< id >>?q=<<q|upper>>", {"base": "http://h", "id": 7, "q": "a"}
    )
    assert out == "http://h/users/7?q=A"
    assert type(out) is str


def test_text_without_markers_is_returned_as_plain_str(renderer: Renderer) -> None:
    out = renderer.render_str(at_loc("plain"), {})
    assert out == "plain"
    assert type(out) is str


def test_jinja_default_delimiters_pass_through_literally(renderer: Renderer) -> None:
    text = '{"a": "{{ x }}", "b": "{% if y %}yes{% endif %}", "c": "{# c #}"} <<n>>'
    out = renderer.render_str(text, {"n": 1})
    assert out == '{"a": "{{ x }}", "b": "{% if y %}yes{% endif %}", "c": "{# c #}"} 1'
    # and without any << at all, too
    assert renderer.render_str("{{ x }}{% if %}{# c #}", {}) == "{{ x }}{% if %}{# c #}"


def test_blocks_and_comments_use_angle_delimiters(renderer: Renderer) -> None:
    text = "<<% for i in xs %>><< i >>,<<% endfor %>><<# a comment #>>end"
    assert renderer.render_str(text, {"xs": [1, 2]}) == "1,2,end"


def test_trailing_newline_is_kept(renderer: Renderer) -> None:
    assert renderer.render_str("a=<<n>>\n", {"n": 1}) == "a=1\n"
    assert renderer.render_str("<<n>>\n\n", {"n": 1}) == "1\n\n"


# --- types of exact references -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [5, True, False, None, 1.5, {"a": [1, {"b": None}]}, [1, "two", 3.0]]
)
def test_exact_reference_keeps_its_type(renderer: Renderer, value: object) -> None:
    out = renderer.render_value("<<n>>", {"n": value})
    assert out == value
    assert type(out) is type(value)


def test_exact_reference_may_have_spaces(renderer: Renderer) -> None:
    assert renderer.render_value("  << n >>  ", {"n": 5}) == "  5  "  # text around: a string
    assert renderer.render_value("<< n + 1 >>", {"n": 5}) == 6


def test_reference_inside_text_becomes_a_string(renderer: Renderer) -> None:
    assert renderer.render_value("id-<<n>>", {"n": 5}) == "id-5"
    assert renderer.render_value("<<a>><<b>>", {"a": 1, "b": 2}) == "12"
    assert renderer.render_value("<<b>> and <<b>>", {"b": True}) == "true and true"


def test_render_value_walks_json_like_data(renderer: Renderer) -> None:
    data = {
        "count": "<<n>>",
        "<<k>>": ["<<n>>", "x<<n>>", 3, None, False],
        "nested": {"on": "<<on>>"},
    }
    out = renderer.render_value(data, {"n": 5, "k": "key", "on": True})
    assert out == {"count": 5, "key": [5, "x5", 3, None, False], "nested": {"on": True}}


# --- errors ------------------------------------------------------------------------------------


def test_undefined_variable_names_it_with_the_text_location(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as info:
        renderer.render_str(at_loc("http://<<host>>/x"), {})
    assert info.value.message == "undefined variable 'host'"
    assert info.value.location == LOC
    assert info.value.hint is not None and "--var host=VALUE" in info.value.hint


def test_undefined_variable_in_an_exact_reference(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as info:
        renderer.render_value(at_loc("<<x>>"), {})
    assert info.value.message == "undefined variable 'x'"
    assert info.value.location == LOC


def test_undefined_attribute(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as info:
        renderer.render_str(at_loc("<<user.name>>"), {"user": {}})
    assert info.value.message == "undefined value: 'dict object' has no attribute 'name'"
    assert info.value.location == LOC


def test_syntax_error_on_the_first_line_keeps_the_column(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as info:
        renderer.render_str(at_loc("x << a + >>"), {"a": 1})
    assert info.value.message.startswith("template syntax error: ")
    assert info.value.location == LOC


def test_syntax_error_line_inside_a_multiline_text(renderer: Renderer) -> None:
    text = at_loc("line one\nline two\nthree << a + >>\n")
    with pytest.raises(RenderError) as info:
        renderer.render_str(text, {"a": 1})
    assert info.value.message == "template syntax error: unexpected 'end of print statement'"
    assert info.value.location == SourceLocation("c.yaml", 12, 1)
    assert info.value.hint == "variables are written <<name>>; expressions <<name | filter>>"
    # names() reports the same place
    with pytest.raises(RenderError) as info:
        renderer.names(text)
    assert info.value.location == SourceLocation("c.yaml", 12, 1)


def test_syntax_error_in_a_double_quoted_multiline_value_is_on_its_line(renderer: Renderer) -> None:
    src = 'steps:\n  - request: a\n    url: x\n    body:\n      text: "a\n        << a + >>"\n'
    step = parse_collection(src, "c.yaml").steps[0]
    assert isinstance(step, RequestStep) and step.body is not None and step.body.text is not None
    with pytest.raises(RenderError) as info:
        renderer.render_str(step.body.text, {"a": 1})
    # the folded value is one line; its location is where the value starts
    assert info.value.location == SourceLocation("c.yaml", 5, 13)


def test_syntax_error_in_a_block_scalar_points_at_the_file_line(renderer: Renderer) -> None:
    src = (
        "steps:\n"
        "  - request: a\n"
        "    url: x\n"
        "    body:\n"
        "      text: |\n"
        "        line one\n"
        "        line two << a + >>\n"  # line 7
    )
    step = parse_collection(src, "c.yaml").steps[0]
    assert isinstance(step, RequestStep) and step.body is not None and step.body.text is not None
    with pytest.raises(RenderError) as info:
        renderer.render_str(step.body.text, {"a": 1})
    assert info.value.location is not None
    assert info.value.location.line == 7


# --- the sandbox -------------------------------------------------------------------------------

ESCAPES = [
    (
        "<< ''.__class__ >>",
        "unsafe template refused by the sandbox: access to attribute '__class__'",
    ),
    (
        "<< ''.__class__.__mro__ >>",
        "unsafe template refused by the sandbox: access to attribute '__class__'",
    ),
    (
        "<< ('{0.__class__}'|attr('format'))(1) >>",
        "unsafe template refused by the sandbox: access to attribute '__class__' of 'int'",
    ),
    ("<< '{0.__class__}'.format(1) >>", "unsafe template refused by the sandbox"),
    ("<< lipsum.__globals__ >>", "undefined variable 'lipsum'"),
    ("<< cycler >>", "undefined variable 'cycler'"),
    ("<< joiner >>", "undefined variable 'joiner'"),
    ("<< namespace >>", "undefined variable 'namespace'"),
    (
        "<< env.__globals__ >>",
        "unsafe template refused by the sandbox: access to attribute '__globals__'",
    ),
    (
        "<< env.__self__.environ >>",
        "unsafe template refused by the sandbox: access to attribute '__self__'",
    ),
    (
        "<< ''.__class__.__mro__[1].__subclasses__() >>",
        "unsafe template refused by the sandbox",
    ),
    (
        "<< lipsum.__globals__['os'].popen('touch pwned').read() >>",
        "undefined variable 'lipsum'",
    ),
    (
        "<< cycler.__init__.__globals__.os.popen('touch pwned').read() >>",
        "unsafe template refused by the sandbox: access to attribute '__init__'",
    ),
    ("<< self.__init__.__globals__ >>", "unsafe template refused by the sandbox"),
    ("<< range(10**9)|list|length >>", "template failed: OverflowError: Range too big."),
]


@pytest.mark.parametrize(("template", "message"), ESCAPES)
@pytest.mark.parametrize("method", ["render_str", "render_value"])
def test_sandbox_escapes_are_refused(
    template: str,
    message: str,
    method: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    renderer = Renderer(environ={"X": "1"})
    with pytest.raises(RenderError) as info:
        getattr(renderer, method)(at_loc(template), {"x": 1})
    assert info.value.message.startswith(message)
    assert info.value.location == LOC
    assert list(tmp_path.iterdir()) == []  # nothing ran


def test_unsafe_globals_are_removed() -> None:
    globals_ = Renderer(environ={}).env.globals
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        assert name not in globals_


# --- helpers -----------------------------------------------------------------------------------


def test_env_reads_the_injected_environ(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("X", "from-os")
    assert renderer.render_str("<< env('X') >>", {}) == "from-environ"
    assert renderer.render_str("<< env('EMPTY', 'd') >>", {}) == ""  # set, though empty


def test_env_default(renderer: Renderer) -> None:
    assert renderer.render_str("<< env('NOT_SET', 'd') >>", {}) == "d"
    assert renderer.render_value("<< env('NOT_SET', 8080) >>", {}) == 8080


@pytest.mark.parametrize("method", ["render_str", "render_value"])
def test_env_without_default_names_the_variable(renderer: Renderer, method: str) -> None:
    with pytest.raises(RenderError) as info:
        getattr(renderer, method)(at_loc("<< env('API_TOKEN') >>"), {})
    assert isinstance(info.value, MissingEnvironmentVariable)
    assert info.value.message == "environment variable 'API_TOKEN' is not set"
    assert info.value.hint is not None and "export API_TOKEN=" in info.value.hint
    assert info.value.location == LOC


def test_default_environ_is_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNER_TEST_RENDER_VAR", "yes-it-is")
    assert Renderer().render_str("<< env('RUNNER_TEST_RENDER_VAR') >>", {}) == "yes-it-is"


def test_pkce_challenge_matches_rfc_7636_appendix_b(renderer: Renderer) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    expected = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce_challenge(verifier) == expected
    assert renderer.render_str("<< pkce_challenge(v) >>", {"v": verifier}) == expected


def test_pkce_verifiers_are_valid_and_distinct() -> None:
    allowed = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
    values = [pkce_verifier() for _ in range(1000)]
    assert all(allowed.match(v) for v in values)
    assert not any("=" in v for v in values)
    assert len(set(values)) == 1000


def test_random_state_is_long_and_distinct(renderer: Renderer) -> None:
    values = [random_state() for _ in range(200)]
    assert all(len(v) >= 43 for v in values)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", v) for v in values)
    assert len(set(values)) == 200
    assert len(renderer.render_str("<< random_state() >>", {})) >= 43


def test_other_helpers(renderer: Renderer) -> None:
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        renderer.render_str("<< uuid() >>", {}),
    )
    assert isinstance(renderer.render_value("<< timestamp() >>", {}), int)
    assert renderer.render_str("<< 'user:pass'|b64encode >>", {}) == "dXNlcjpwYXNz"


# --- data is never rendered again --------------------------------------------------------------


def test_values_from_scope_are_not_rendered_again(renderer: Renderer) -> None:
    scope = {"s": "<< secret >>", "t": "<<% for x in y %>>"}
    assert renderer.render_str("a=<< s >>", scope) == "a=<< secret >>"
    assert renderer.render_value("<< s >>", scope) == "<< secret >>"
    assert renderer.render_value(["x<<s>>", {"k": "<<t>>"}], scope) == [
        "x<< secret >>",
        {"k": "<<% for x in y %>>"},
    ]


# --- names -------------------------------------------------------------------------------------


def test_names_lists_variables_and_the_helpers_called(renderer: Renderer) -> None:
    text = (
        "<< a >> << env('X') >> << uuid() >> << b | b64encode >> << pkce_challenge(c) >>"
        " << random_state() >> << timestamp() >> << pkce_verifier() >> << d.e >>"
    )
    helpers = {"env", "uuid", "pkce_challenge", "random_state", "timestamp", "pkce_verifier"}
    assert renderer.names(text) == frozenset({"a", "b", "c", "d"} | helpers)
    assert helpers <= renderer.helper_names  # callers tell helpers from variables


def test_names_of_blocks_and_plain_text(renderer: Renderer) -> None:
    assert renderer.names("<<% for i in xs %>><< i >><< j >><<% endfor %>>") == {"xs", "j"}
    assert renderer.names("{{ not_mine }}") == frozenset()
    assert renderer.names("") == frozenset()


# --- the output cap ----------------------------------------------------------------------------


def test_output_larger_than_the_cap_raises(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner.render.templates, "MAX_RENDERED_CHARS", 1000)
    assert len(renderer.render_str("<< 'a' * 1000 >>", {})) == 1000
    with pytest.raises(RenderError) as info:
        renderer.render_str(at_loc("x<< 'a' * n >>"), {"n": 1000})
    assert info.value.message == "rendered text is larger than 1000 characters"
    assert info.value.location == LOC


def test_real_cap_is_ten_mebibytes(renderer: Renderer) -> None:
    assert runner.render.templates.MAX_RENDERED_CHARS == 10 * 1024 * 1024
    with pytest.raises(RenderError, match="larger than 10485760 characters"):
        renderer.render_str("<< 'a' * (10 * 1024 * 1024 + 1) >>", {})


def test_exact_reference_larger_than_the_cap_raises(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner.render.templates, "MAX_RENDERED_CHARS", 1000)
    with pytest.raises(RenderError, match="larger than 1000 characters"):
        renderer.render_value(at_loc("<< 'a' * 5000 >>"), {})


@pytest.mark.parametrize("text", ["<<# a note #>>", "<<% set x = 1 %>>"])
def test_render_value_of_a_lone_comment_or_block(renderer: Renderer, text: str) -> None:
    assert renderer.render_str(text, {}) == ""
    assert renderer.render_value(text, {}) == ""
