"""The YAML loader: the model it builds, and every way a file can be refused, with file:line:col."""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.core.errors import ExitStatus, LoadError, SourceLocation, format_error
from runner.core.model import (
    Auth,
    Body,
    BrowserStep,
    Capture,
    Check,
    Collection,
    Folder,
    Matcher,
    Param,
    PauseStep,
    RequestStep,
    Text,
    walk,
)
from runner.format.loader import (
    load_collection,
    load_environment,
    parse_collection,
    parse_environment,
)

WriteFile = Callable[[str, str], Path]
RUNNER_DIR = Path(__file__).resolve().parent.parent / "runner"

# A single valid step, to append to documents that test something else.
ONE_STEP = "steps:\n  - request: a\n    url: http://h/\n"


def y(text: str) -> str:
    """Dedent a YAML snippet and drop the first newline, so its first line is line 1."""
    return textwrap.dedent(text).lstrip("\n")


def load_error(text: str, path: str = "c.yaml") -> LoadError:
    with pytest.raises(LoadError) as info:
        parse_collection(y(text), path)
    return info.value


def at(line: int, column: int, path: str = "c.yaml") -> SourceLocation:
    return SourceLocation(path, line, column)


def request(collection: Collection, index: int = 0) -> RequestStep:
    step = collection.steps[index]
    assert isinstance(step, RequestStep)
    return step


# --- a full valid collection -------------------------------------------------------------------

FULL = r"""
name: Full
description: Every kind of step
variables:
  base: http://h
  n: 5
  flag: true
  nested: {a: [1, two]}
  client_secret: s3cr3t-value
secrets: [token_x]
auth:
  type: basic
  username: u
  password: p
steps:
  - request: Create
    id: create
    description: make one
    method: post
    url: <<base>>/items
    params:
      q: search
      tags: [a, b]
      page:
        value: 1
        type: integer
        required: true
        description: Page number
        enabled: false
        enum: [1, 2]
    headers:
      X-Trace: abc
    body:
      json: {name: x, n: 1}
      content_type: application/merge-patch+json
      fields:
        name: {type: string, required: true, description: the name}
    auth:
      type: bearer
      token: <<token_x>>
    timeout: 2.5
    follow_redirects: false
    expect:
      status: [200, 201]
      headers:
        content-type: {contains: json}
      json:
        $.id: {exists: true}
        $.name: x
        $.n: {gt: 0, le: 10}
      body: {contains: ok}
      max_time_ms: 500
      schema: {type: object}
    capture:
      item_id: $.id
      where: {header: Location}
      num: {regex: '(a)(\d+)', group: 2}
      sess: {cookie: session}
      code: {status: true}
      raw: {body: true, secret: true}
      access_token: $.token
  - browser: Authorize
    url: <<base>>/authorize
    method: GET
    params: {state: abc}
    open: true
  - pause: Paste
    variable: code
    prompt: Paste it
    from_url: code
    state: <<state>>
    secret: false
  - folder: Group
    description: grouped
    auth: {type: none}
    steps:
      - request: Inner
        url: <<base>>/inner
        body:
          form:
            grant_type: authorization_code
            scope: {value: read, description: Scope}
      - request: Texty
        url: <<base>>/t
        body:
          text: hello
          content_type: text/plain
"""


@pytest.fixture
def full(write_file: WriteFile) -> Collection:
    return load_collection(write_file("full.yaml", FULL))


def test_full_collection_top_level(full: Collection) -> None:
    assert full.name == "Full"
    assert full.description == "Every kind of step"
    assert full.path.endswith("full.yaml")
    assert full.variables == {
        "base": "http://h",
        "n": 5,
        "flag": True,
        "nested": {"a": [1, "two"]},
        "client_secret": "s3cr3t-value",
    }
    assert type(full.variables["n"]) is int
    assert type(full.variables["flag"]) is bool
    assert isinstance(full.variables["base"], Text)
    assert full.variable_locs["base"] == SourceLocation(full.path, 4, 9)
    assert full.variable_locs["client_secret"].line == 8
    # declared secrets and secret-looking names
    assert full.secrets == frozenset({"token_x", "client_secret"})
    assert full.auth is not None
    assert (full.auth.kind, full.auth.username, full.auth.password) == ("basic", "u", "p")
    assert full.auth.loc == SourceLocation(full.path, 11, 3)
    kinds = [type(step).__name__ for step in full.steps]
    assert kinds == ["RequestStep", "BrowserStep", "PauseStep", "Folder"]
    names = [step.name for step, _ in walk(full.steps)]
    assert names == ["Create", "Authorize", "Paste", "Group", "Inner", "Texty"]


def test_full_collection_request_step(full: Collection) -> None:
    step = request(full)
    assert step.name == "Create"
    assert step.id == "create"
    assert step.description == "make one"
    assert step.method == "POST"  # written in lower case
    assert step.url == "<<base>>/items"
    assert isinstance(step.url, Text)
    assert step.url.loc == SourceLocation(full.path, 19, 10)
    assert step.loc == SourceLocation(full.path, 15, 5)
    assert step.timeout == 2.5
    assert step.follow_redirects is False

    q, tags, page = step.params
    assert (q.name, q.value, q.type, q.required, q.enabled) == ("q", "search", None, False, True)
    assert q.loc == SourceLocation(full.path, 21, 7)
    assert tags.value == ["a", "b"]
    assert page == Param(
        name="page",
        value="1",  # sent as text: params are strings
        type="integer",
        required=True,
        description="Page number",
        enabled=False,
        enum=(1, 2),
        loc=SourceLocation(full.path, 24, 9),
    )
    assert [(h.name, h.value) for h in step.headers] == [("X-Trace", "abc")]

    assert step.body is not None
    assert step.body.kind == "json"
    assert step.body.json == {"name": "x", "n": 1}
    assert step.body.content_type == "application/merge-patch+json"
    assert [(f.name, f.type, f.required) for f in step.body.fields] == [("name", "string", True)]
    assert step.body.loc is not None and step.body.loc.line == 33

    assert step.auth == Auth("bearer", token="<<token_x>>", loc=SourceLocation(full.path, 38, 7))


def test_full_collection_expectations(full: Collection) -> None:
    checks = request(full).checks
    assert [(c.subject, c.target, c.matchers) for c in checks] == [
        ("status", None, (Matcher("in", [200, 201]),)),
        ("header", "content-type", (Matcher("contains", "json"),)),
        ("json", "$.id", (Matcher("exists", True),)),
        ("json", "$.name", (Matcher("eq", "x"),)),
        ("json", "$.n", (Matcher("gt", 0), Matcher("le", 10))),
        ("body", None, (Matcher("contains", "ok"),)),
        ("time", None, (Matcher("le", 500.0),)),
        ("schema", None, (Matcher("eq", {"type": "object"}),)),
    ]
    assert checks[0].loc == SourceLocation(full.path, 43, 7)
    assert checks[1].loc == SourceLocation(full.path, 45, 9)
    assert checks[1].label == "header content-type"
    assert checks[0].label == "status"
    assert all(isinstance(c, Check) for c in checks)


def test_full_collection_captures(full: Collection) -> None:
    captures = {c.variable: c for c in request(full).captures}
    assert list(captures) == ["item_id", "where", "num", "sess", "code", "raw", "access_token"]
    assert captures["item_id"] == Capture(
        "item_id", "json", "$.id", False, 1, SourceLocation(full.path, 54, 7)
    )
    assert (captures["where"].source, captures["where"].expr) == ("header", "Location")
    assert (captures["num"].source, captures["num"].expr) == ("regex", r"(a)(\d+)")
    assert captures["num"].group == 2
    assert (captures["sess"].source, captures["sess"].expr) == ("cookie", "session")
    assert (captures["code"].source, captures["code"].expr) == ("status", None)
    assert (captures["raw"].source, captures["raw"].secret) == ("body", True)
    # secret by its name, without saying so
    assert captures["access_token"].secret is True
    assert captures["item_id"].secret is False


def test_full_collection_browser_pause_and_folder(full: Collection) -> None:
    browser, pause, folder = full.steps[1:]
    assert isinstance(browser, BrowserStep)
    assert (browser.method, browser.url, browser.open) == ("GET", "<<base>>/authorize", True)
    assert [(p.name, p.value) for p in browser.params] == [("state", "abc")]
    assert browser.loc == SourceLocation(full.path, 61, 5)

    assert pause == PauseStep(
        name="Paste",
        variable="code",
        loc=SourceLocation(full.path, 66, 5),
        prompt="Paste it",
        from_url="code",
        state="<<state>>",
        secret=False,
    )

    assert isinstance(folder, Folder)
    assert folder.description == "grouped"
    assert folder.auth == Auth("none", loc=SourceLocation(full.path, 74, 11))
    inner, texty = folder.steps
    assert isinstance(inner, RequestStep) and isinstance(texty, RequestStep)
    assert inner.body is not None and inner.body.kind == "form"
    grant, scope = inner.body.form
    assert (grant.name, grant.value, grant.description) == (
        "grant_type",
        "authorization_code",
        None,
    )
    assert (scope.name, scope.value, scope.description) == ("scope", "read", "Scope")
    assert texty.body == Body(
        "text", text="hello", content_type="text/plain", loc=SourceLocation(full.path, 85, 17)
    )
    assert isinstance(texty.url, Text)
    assert texty.url.loc == SourceLocation(full.path, 83, 14)


def test_defaults_of_a_minimal_collection(write_file: WriteFile) -> None:
    path = write_file(
        "minimal.yaml",
        """
        steps:
          - request: Ping
            url: http://h/ping
          - pause: Wait
            variable: answer
        """,
    )
    c = load_collection(path)
    assert c.name == "minimal"  # the file's stem
    assert c.description is None
    assert (c.variables, c.variable_locs, c.secrets, c.auth) == ({}, {}, frozenset(), None)
    step = request(c)
    assert step.method == "GET"
    assert (step.id, step.description, step.body, step.auth) == (None, None, None, None)
    assert (step.timeout, step.follow_redirects) == (None, None)
    assert (step.params, step.headers, step.checks, step.captures) == ((), (), (), ())
    pause = c.steps[1]
    assert isinstance(pause, PauseStep)
    assert pause.secret is True  # what a person pastes is secret unless said otherwise
    assert (pause.prompt, pause.from_url, pause.state) == (None, None, None)


def test_text_remembers_lines_of_every_string() -> None:
    c = parse_collection(
        y(
            """
            steps:
              - request: a
                url: http://h/
                headers:
                  Accept: application/json
                body:
                  text: |
                    line one
                    line two
            """
        ),
        "t.yaml",
    )
    step = request(c)
    header = step.headers[0]
    assert isinstance(header.value, Text)
    assert header.value.loc == SourceLocation("t.yaml", 5, 15)
    assert header.loc == SourceLocation("t.yaml", 5, 7)
    assert step.body is not None and step.body.text == "line one\nline two\n"


# --- malformed YAML ----------------------------------------------------------------------------


def test_unclosed_bracket_points_where_it_opened() -> None:
    """Issue 18: the parser notices on the next line; the error names the line that opened."""
    err = load_error(
        """
        steps:
          - request: a
            url: http://h/
            params: {a: 1, b: 2
            method: GET
        """
    )
    assert err.message == (
        "malformed YAML: the { mapping opened here is not closed "
        "(did not find expected ',' or '}' at line 5, column 11)"
    )
    assert err.location == at(4, 13)
    assert err.exit_status == ExitStatus.INVALID


def test_unclosed_list_at_end_of_file() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    params: [a, b\n")
    assert err.message == (
        "malformed YAML: the [ list opened here is not closed "
        "(did not find expected ',' or ']' at line 5, column 1)"
    )
    assert err.location == at(4, 13)


def test_bad_indentation_points_at_the_stray_key() -> None:
    err = load_error(
        """
        steps:
          - request: a
            url: http://h/
           method: GET
        """
    )
    assert err.message == "malformed YAML: did not find expected '-' indicator"
    assert err.location == at(4, 4)


def test_over_indented_key() -> None:
    err = load_error("steps:\n  - request: a\n     url: x\n")
    assert err.message == "malformed YAML: mapping values are not allowed in this context"
    assert err.location == at(3, 9)


def test_two_documents_are_refused() -> None:
    err = load_error("steps: []\n---\nsteps: []\n")
    assert err.message == "malformed YAML: but found another document"
    assert err.location == at(2, 1)


# --- keys and types ----------------------------------------------------------------------------


def test_unknown_key_suggests_the_right_one_at_the_key() -> None:
    err = load_error(
        """
        steps:
          - request: Log in
            url: http://h/
            metod: POST
        """
    )
    assert err.message == "unknown key 'metod' in request step 'Log in'"
    assert err.hint == "did you mean 'method'?"
    assert err.location == at(4, 5)


def test_unknown_key_without_close_match_lists_valid_keys() -> None:
    err = load_error("steps:\n  - pause: p\n    variable: v\n    zzzz: 1\n")
    assert err.message == "unknown key 'zzzz' in pause step 'p'"
    assert err.hint is not None and err.hint.startswith("valid keys: pause, id, description")
    assert err.location == at(4, 5)


def test_unknown_top_level_key() -> None:
    err = load_error("stpes: []\n")
    assert err.message == "unknown key 'stpes' in the collection"
    assert err.hint == "did you mean 'steps'?"
    assert err.location == at(1, 1)


@pytest.mark.parametrize(
    ("line", "message", "column"),
    [
        ("timeout: soon", "timeout must be a number, not 'soon'", 14),
        ("timeout: 0", "timeout must be greater than 0", 14),
        ("follow_redirects: maybe", "follow_redirects must be true or false, not 'maybe'", 23),
        ("follow_redirects: yes", "follow_redirects must be true or false, not 'yes'", 23),
        ("headers: [a, b]", "headers must be a mapping (key: value), not a list", 14),
        ("expect: {status: ok}", "status must be a whole number, not 'ok'", 22),
        ("expect: [200]", "expect must be a mapping (key: value), not a list", 13),
        (
            "body: {json: 1, text: a}",
            "body needs exactly one of json, form, text, multipart, graphql or file",
            11,
        ),
        ("auth: {type: bearr, token: t}", "unknown auth type 'bearr'", 18),
        ("auth: {type: bearer}", "bearer auth is missing the required key 'token'", 11),
    ],
)
def test_wrong_types_are_explained_with_their_line(line: str, message: str, column: int) -> None:
    err = load_error(ONE_STEP + f"    {line}\n")
    assert err.message == message
    assert err.location == at(4, column)


def test_url_must_be_a_string() -> None:
    err = load_error("steps:\n  - request: a\n    url: [a, b]\n")
    assert err.message == "url must be a string, not a list"
    assert err.location == at(3, 10)


@pytest.mark.parametrize(
    ("text", "message", "location"),
    [
        (
            "steps:\n  - request: a\n",
            "request step 'a' is missing the required key 'url'",
            at(2, 5),
        ),
        (
            "name: x\n",
            "the collection is missing the required key 'steps'",
            at(1, 1),
        ),
        (
            "steps:\n  - pause: a\n    prompt: hi\n",
            "pause step 'a' is missing the required key 'variable'",
            at(2, 5),
        ),
        (
            "steps:\n  - folder: f\n",
            "folder step 'f' is missing the required key 'steps'",
            at(2, 5),
        ),
        ("steps: []\n", "the collection has no steps", at(1, 8)),
        (
            "steps:\n  - request:\n    url: x\n",
            "the request name must be a string, not empty",
            at(2, 13),
        ),
    ],
)
def test_missing_required_keys(text: str, message: str, location: SourceLocation) -> None:
    err = load_error(text)
    assert err.message == message
    assert err.location == location


def test_a_step_with_two_kinds() -> None:
    err = load_error("steps:\n  - request: a\n    pause: b\n    url: x\n")
    assert err.message == "a step must be exactly one kind, but this one has request and pause"
    assert err.location == at(2, 5)


def test_a_step_with_no_kind_hints_at_request() -> None:
    err = load_error("steps:\n  - url: http://h/\n    method: GET\n")
    assert err.message == "a step needs one of the keys request, browser, pause or folder"
    assert err.hint is not None and "request:" in err.hint
    assert err.location == at(2, 5)


def test_a_step_with_no_kind_and_no_url_lists_every_kind() -> None:
    err = load_error("steps:\n  - method: GET\n")
    assert err.hint == "start the step with request:, browser:, pause: or folder:"


@pytest.mark.parametrize(
    ("text", "key", "what", "first", "location"),
    [
        ("name: a\nname: b\n" + ONE_STEP, "name", "the collection", 1, at(2, 1)),
        ("steps:\n  - request: a\n    url: x\n    url: y\n", "url", "a step", 3, at(4, 5)),
        (
            "steps:\n  - request: a\n    url: x\n    headers:\n      A: 1\n      A: 2\n",
            "A",
            "headers",
            5,
            at(6, 7),
        ),
        (
            "steps:\n  - request: a\n    url: x\n    body:\n      json:\n"
            "        a:\n          b: 1\n          b: 2\n",
            "b",
            "value",
            7,
            at(8, 11),
        ),
        ("variables:\n  v: 1\n  'v': 2\n" + ONE_STEP, "v", "variables", 2, at(3, 3)),
    ],
)
def test_duplicate_keys_at_any_depth(
    text: str, key: str, what: str, first: int, location: SourceLocation
) -> None:
    err = load_error(text)
    assert err.message == f"duplicate key '{key}' in {what} (first set on line {first})"
    assert err.location == location


# --- anchors, aliases, bombs and unsafe tags -----------------------------------------------------


def test_aliases_are_refused() -> None:
    err = load_error("variables:\n  a: &x hello\n  b: *x\n" + ONE_STEP)
    assert err.message == "YAML anchors and aliases (&name / *name) are not supported"
    assert err.hint is not None and "write the value out again" in err.hint
    assert err.location is not None and err.location.line in (2, 3)


def test_merge_keys_need_an_alias_and_are_refused() -> None:
    err = load_error(
        """
        variables:
          base: &b {x: 1}
          other:
            <<: *b
        steps:
          - request: a
            url: http://h/
        """
    )
    assert err.message == "YAML anchors and aliases (&name / *name) are not supported"


def test_a_lone_merge_key_is_an_ordinary_key_in_yaml_1_2() -> None:
    c = parse_collection("variables:\n  other:\n    <<: {x: 1}\n" + ONE_STEP, "c.yaml")
    assert c.variables == {"other": {"<<": {"x": 1}}}


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    bomb = "variables:\n" + "".join(f"  {line}\n" for line in lines) + ONE_STEP
    assert bomb.count("\n") == 13  # nine levels of nine
    start = time.perf_counter()
    with pytest.raises(LoadError) as info:
        parse_collection(bomb, "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert "aliases" in info.value.message


APPLY = '!!python/object/apply:os.system ["touch pwned"]'


@pytest.mark.parametrize(
    ("text", "message", "location"),
    [
        (
            f"steps: {APPLY}\n",
            "unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system",
            at(1, 8),
        ),
        (
            f"variables:\n  x: {APPLY}\n" + ONE_STEP,
            "unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system",
            at(2, 6),
        ),
        (
            'variables:\n  x: !!python/name:os.system ""\n' + ONE_STEP,
            "unsupported YAML tag tag:yaml.org,2002:python/name:os.system",
            at(2, 6),
        ),
        (
            f"variables:\n  {APPLY}: 1\n" + ONE_STEP,
            "keys in variables must be plain strings",
            at(2, 3),
        ),
    ],
)
def test_unsafe_tags_are_refused_and_never_run(
    text: str,
    message: str,
    location: SourceLocation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    err = load_error(text)
    assert not (tmp_path / "pwned").exists()
    assert err.message == message
    assert err.location == location


def test_unsafe_tag_on_a_string_field_names_the_tag() -> None:
    err = load_error("steps:\n  - request: a\n    url: !!python/name:os.system x\n")
    assert err.message == "unsupported YAML tag tag:yaml.org,2002:python/name:os.system on url"
    assert err.location == at(3, 10)


def test_no_unsafe_yaml_api_in_the_source() -> None:
    sources = sorted(RUNNER_DIR.rglob("*.py"))
    assert RUNNER_DIR / "format" / "loader.py" in sources
    forbidden = re.compile(r"yaml\.load\(|FullLoader|UnsafeLoader|yaml\.Loader\b|yaml\.unsafe_load")
    offenders = [
        f"{path.relative_to(RUNNER_DIR)}:{n}: {line.strip()}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


# --- bytes and files ---------------------------------------------------------------------------


def test_nul_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"steps:\n  - request: a\n    url: x\x00y\n")
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert info.value.message == "file contains a NUL byte; it is not a text file"
    assert info.value.location == SourceLocation(str(path), 3, 1)


def test_non_utf8_bytes_are_refused_with_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"steps:\n  - request: caf\xe9\n    url: x\n")
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert info.value.message == "file is not UTF-8 text (byte 0xe9 at offset 23)"
    assert info.value.location == SourceLocation(str(path), 2, 1)


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeff".encode() + ONE_STEP.encode())
    c = load_collection(path)
    assert request(c).loc == SourceLocation(str(path), 2, 5)


@pytest.mark.parametrize("content", ["", "# only a comment\n", "\n\n"])
def test_empty_file(write_file: WriteFile, content: str) -> None:
    path = write_file("empty.yaml", content)
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert info.value.message == "the collection file is empty"
    assert info.value.location == SourceLocation(str(path), 1, 1)


def test_empty_environment_file() -> None:
    with pytest.raises(LoadError, match=r"^e\.yaml:1:1: the environment file is empty$"):
        parse_environment("", "e.yaml")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(LoadError) as info:
        load_collection(path)
    assert info.value.message == f"no such file: {path}"
    assert info.value.location is None
    assert info.value.exit_status == ExitStatus.INVALID


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load_collection(tmp_path)
    assert info.value.message == f"{tmp_path} is a directory, not a YAML file"


def test_root_must_be_a_mapping() -> None:
    err = load_error("- request: a\n  url: x\n")
    assert err.message == "the collection must be a mapping (key: value), not a list"
    assert err.location == at(1, 1)


# --- YAML 1.1 traps ----------------------------------------------------------------------------

TRAPS = ["no", "on", "off", "yes", "3.10", "012", "2024-01-02", "1_000", "0x1F", "1e3", "true"]


@pytest.mark.parametrize("written", TRAPS)
def test_header_and_param_values_stay_as_written(written: str) -> None:
    c = parse_collection(
        "steps:\n  - request: a\n    url: x\n"
        f"    headers:\n      X-Value: {written}\n"
        f"    params:\n      value: {written}\n      list: [{written}]\n",
        "c.yaml",
    )
    step = request(c)
    header = step.headers[0].value
    assert header == written and type(header) is Text
    value, listed = step.params
    assert value.value == written and type(value.value) is Text
    assert listed.value == [written]


def test_json_body_uses_yaml_1_2_core_types() -> None:
    c = parse_collection(
        y(
            """
            steps:
              - request: a
                url: x
                body:
                  json:
                    t: true
                    f: 3.10
                    o: 012
                    n: no
                    on: on
                    d: 2024-01-02
                    nothing: null
                    h: 0x10
                    neg: -1.5
            """
        ),
        "c.yaml",
    )
    body = request(c).body
    assert body is not None
    data = body.json
    assert data == {
        "t": True,
        "f": 3.1,
        "o": 12,
        "n": "no",
        "on": "on",
        "d": "2024-01-02",
        "nothing": None,
        "h": 16,
        "neg": -1.5,
    }
    assert type(data["t"]) is bool
    assert type(data["f"]) is float
    assert type(data["o"]) is int
    assert type(data["n"]) is Text
    assert type(data["d"]) is Text


def test_variables_keep_yaml_1_2_types() -> None:
    c = parse_collection("variables:\n  a: no\n  b: 3.10\n  c: 'true'\n" + ONE_STEP, "c.yaml")
    assert c.variables == {"a": "no", "b": 3.1, "c": "true"}
    assert type(c.variables["c"]) is Text


# --- semantic validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "fragment", "location"),
    [
        (
            "body: {matches: '(abc'}",
            "invalid regular expression: missing ), unterminated",
            at(4, 30),
        ),
        ("json: {$.a: {matches: '[a-'}}", "invalid regular expression: unterminated", at(4, 36)),
    ],
)
def test_invalid_regex_in_matches(expect: str, fragment: str, location: SourceLocation) -> None:
    err = load_error(f"steps:\n  - request: a\n    url: x\n    expect: {{{expect}}}\n")
    assert err.message.startswith(fragment)
    assert err.location == location


def test_invalid_regex_in_capture() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    capture:\n      v: {regex: '(x'}\n")
    assert err.message.startswith("invalid regular expression:")
    assert err.location == at(5, 18)


def test_jsonpath_must_start_with_dollar() -> None:
    err = load_error(
        "steps:\n  - request: a\n    url: x\n    expect:\n      json:\n        a.b: 1\n"
    )
    assert err.message == "JSONPath 'a.b' must start with '$'"
    assert err.hint == "write '$.a.b'"
    assert err.location == at(6, 9)


def test_capture_jsonpath_must_start_with_dollar() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    capture:\n      v: a.b\n")
    assert err.message == "capture 'v': a plain value must be a JSONPath starting with '$'"
    assert err.location == at(5, 10)
    err = load_error("steps:\n  - request: a\n    url: x\n    capture:\n      v: {json: a.b}\n")
    assert err.message == "JSONPath 'a.b' must start with '$'"


def test_invalid_json_schema() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    expect:\n      schema: {type: 12}\n")
    assert err.message.startswith("invalid JSON Schema: 12 is not valid")
    assert err.location == at(5, 15)


def test_schema_must_be_a_mapping() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    expect:\n      schema: [1]\n")
    assert err.message == "schema must be a JSON Schema mapping"


@pytest.mark.parametrize(
    ("written", "hint"), [("GTE", "GET"), ("POTS", "POST"), ("fetch", "PATCH")]
)
def test_unknown_http_method_with_suggestion(written: str, hint: str) -> None:
    err = load_error(f"steps:\n  - request: a\n    url: x\n    method: {written}\n")
    assert err.message == f"unknown HTTP method '{written.upper()}'"
    assert err.hint == f"did you mean '{hint}'?"
    assert err.location == at(4, 13)


def test_unknown_http_method_without_close_match_lists_methods() -> None:
    err = load_error("steps:\n  - request: a\n    url: x\n    method: Q\n")
    assert err.hint == "use one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, TRACE"


def test_duplicate_step_ids_even_inside_folders() -> None:
    err = load_error(
        """
        steps:
          - request: a
            id: s1
            url: x
          - folder: f
            steps:
              - request: b
                id: s1
                url: y
        """
    )
    assert err.message == "duplicate step id 's1' (first used at c.yaml:2:5)"
    assert err.location == at(7, 9)


@pytest.mark.parametrize(
    ("text", "message", "location"),
    [
        (
            "variables:\n  1abc: x\n" + ONE_STEP,
            "variable '1abc' is not a valid variable name",
            at(2, 3),
        ),
        (
            "variables:\n  a-b: x\n" + ONE_STEP,
            "variable 'a-b' is not a valid variable name",
            at(2, 3),
        ),
        (
            "secrets: [a-b]\n" + ONE_STEP,
            "secret name 'a-b' is not a valid variable name",
            at(1, 11),
        ),
        (
            "steps:\n  - pause: a\n    variable: my code\n",
            "variable 'my code' is not a valid variable name",
            at(3, 15),
        ),
        (
            ONE_STEP + "    capture:\n      my-var: $.a\n",
            "capture variable 'my-var' is not a valid variable name",
            at(5, 7),
        ),
    ],
)
def test_bad_variable_names(text: str, message: str, location: SourceLocation) -> None:
    err = load_error(text)
    assert err.message == message
    assert err.hint == "use letters, digits and underscores, not starting with a digit"
    assert err.location == location


def test_expectation_mixing_operators_and_keys() -> None:
    err = load_error(ONE_STEP + "    expect:\n      json:\n        $.a: {eq: 1, foo: 2}\n")
    assert err.message == "expectation mixes operators (eq) with other keys"
    assert err.location == at(6, 14)


# --- format_error ------------------------------------------------------------------------------


def test_format_error_draws_location_source_line_and_caret() -> None:
    text = "steps:\n  - request: Log in\n    url: x\n    metod: POST\n"
    with pytest.raises(LoadError) as info:
        parse_collection(text, "users.yaml")
    out = format_error(info.value, sources={"users.yaml": text})
    assert out.splitlines() == [
        "error: unknown key 'metod' in request step 'Log in'",
        "  --> users.yaml:4:5",
        "  |",
        "4 |     metod: POST",
        "  |     ^^^^^",
        "  = help: did you mean 'method'?",
    ]


def test_format_error_reads_the_file_and_aligns_the_caret(write_file: WriteFile) -> None:
    lines = ["steps:", "  - request: a", "    url: x"] + ["    # filler"] * 8
    lines.append("    timeout: soon")
    path = write_file("long.yaml", "\n".join(lines) + "\n")
    with pytest.raises(LoadError) as info:
        load_collection(path)
    out = format_error(info.value).splitlines()
    assert out[0] == "error: timeout must be a number, not 'soon'"
    assert out[1] == f"  --> {path}:12:14"
    assert out[2] == "   |"
    assert out[3] == "12 |     timeout: soon"
    assert out[4] == "   |              ^^^^"
    caret = out[4].index("^")
    assert out[3][caret:].startswith("soon")
    assert len(out) == 5  # no hint line


def test_format_error_without_location_or_source() -> None:
    out = format_error(LoadError("boom", SourceLocation("/no/such/file.yaml", 3, 2), hint="h"))
    assert out.splitlines() == ["error: boom", "  --> /no/such/file.yaml:3:2", "  = help: h"]
    assert format_error(LoadError("plain")) == "error: plain"


# --- environments ------------------------------------------------------------------------------


def test_environment_file(write_file: WriteFile) -> None:
    path = write_file(
        "staging.yaml",
        """
        variables:
          base_url: https://staging.example.com
          port: 8443
          api_key: k-123456
          pin: '0123'
        secrets: [pin]
        """,
    )
    env = load_environment(path)
    assert env.name == "staging"  # the file's stem
    assert env.path == str(path)
    assert env.variables == {
        "base_url": "https://staging.example.com",
        "port": 8443,
        "api_key": "k-123456",
        "pin": "0123",
    }
    assert env.variable_locs["port"] == SourceLocation(str(path), 3, 9)
    assert env.secrets == frozenset({"pin", "api_key"})


def test_environment_name_and_description() -> None:
    env = parse_environment("name: prod\ndescription: live\nvariables: {a: 1}\n", "e.yaml")
    assert (env.name, env.variables, env.secrets) == ("prod", {"a": 1}, frozenset())


def test_environment_unknown_key() -> None:
    with pytest.raises(LoadError) as info:
        parse_environment("name: x\nvariabels:\n  a: 1\n", "e.yaml")
    assert info.value.message == "unknown key 'variabels' in the environment"
    assert info.value.hint == "did you mean 'variables'?"
    assert info.value.location == SourceLocation("e.yaml", 2, 1)


def test_environment_steps_key_is_unknown() -> None:
    with pytest.raises(LoadError, match=r"unknown key 'steps' in the environment"):
        parse_environment(ONE_STEP, "e.yaml")


def test_environment_errors() -> None:
    with pytest.raises(LoadError) as info:
        parse_environment("variables: [a]\n", "e.yaml")
    assert info.value.message == "variables must be a mapping (key: value), not a list"
    assert info.value.location == SourceLocation("e.yaml", 1, 12)
    with pytest.raises(LoadError) as info:
        parse_environment("variables:\n  a: 1\n  a: 2\n", "e.yaml")
    assert info.value.message == "duplicate key 'a' in variables (first set on line 2)"
    with pytest.raises(LoadError) as info:
        parse_environment("variables:\n  a: &x 1\n  b: *x\n", "e.yaml")
    assert "aliases" in info.value.message
