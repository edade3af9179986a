"""The CLI, fuzzed: ``runner check`` and ``runner run`` (against a real local server) with
Hypothesis-generated collections, environments, data files and state files, and every other
command that reads a collection (``docs``, ``export curl|postman|openapi``, ``fmt --check``).
Any outcome but a documented exit code without a traceback fails; so does an internal error
(exit 70).

Budget: RUNNER_FUZZ_CLI_EXAMPLES examples per test (100 by default, about 5 s for the three;
set it higher to search longer: 400 each took 14 s).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server import TestServer

EXAMPLES = int(os.environ.get("RUNNER_FUZZ_CLI_EXAMPLES", "100"))
DOCUMENTED = {0, 1, 2, 3}

NUMBERS = st.sampled_from(
    [".inf", "-.inf", ".nan", "1e999", "1e308", "-5", "0", "0.2", "100000000000000000000", "x"]
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
PATHS = st.sampled_from(["$.a", "$.[[", "$..[[[", "$[?@.a]", "$", "a", "$.a[0:-1:0]", "$['x"])
SCALAR = st.one_of(TEXT, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON strings are YAML flow scalars


@st.composite
def collections(draw: st.DrawFn, base: str) -> str:
    lines = ["name: fuzz", "variables:"]
    names = draw(st.lists(st.from_regex(r"[a-z]{1,4}", fullmatch=True), max_size=3))
    for name in names:
        lines.append(f"  {name}: {_quote(draw(TEXT))}")
    if not names:
        lines[-1] = "variables: {}"
    lines.append("steps:")
    for i in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(["/json", "/echo/<<a>>", "/status/500", "/x?q=<<b | uper>>"]))
        url = draw(st.sampled_from([base + path, "http://a..b/", "http://" + "a" * 64 + ".t/"]))
        lines += [f"  - request: step {i}", f"    url: {_quote(url)}"]
        if draw(st.booleans()):
            lines.append(f"    headers: {{{_quote(draw(TEXT) or 'X')}: {_quote(draw(TEXT))}}}")
        if draw(st.booleans()):
            lines.append(f"    timeout: {draw(NUMBERS)}")
        if draw(st.booleans()):
            lines.append(f"    delay: {draw(NUMBERS)}")
        if draw(st.booleans()):
            lines.append(f"    expect: {{json: {{{_quote(draw(PATHS))}: 1}}}}")
        if draw(st.booleans()):
            lines.append(f"    capture: {{a: {_quote(draw(PATHS))}}}")
    return "\n".join(lines) + "\n"


def _inputs(draw: Callable[[st.SearchStrategy[Any]], Any], tmp: Path, base: str) -> list[str]:
    collection = tmp / "c.yaml"
    collection.write_text(draw(collections(base)), encoding="utf-8")
    argv = [str(collection)]
    if draw(st.booleans()):
        env = tmp / "env.yaml"
        values = draw(st.dictionaries(st.from_regex(r"[a-z]{1,3}", fullmatch=True), TEXT))
        env.write_text(json.dumps({"name": "e", "variables": values}), encoding="utf-8")
        argv += ["-e", str(env)]
    if draw(st.booleans()):
        data = tmp / "data.json"
        rows = draw(
            st.one_of(
                st.lists(st.dictionaries(st.sampled_from(["a", "b"]), SCALAR), max_size=3),
                st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=2), max_leaves=4),
            )
        )
        data.write_text(json.dumps(rows), encoding="utf-8")
        argv += ["-d", str(data)]
    return argv


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _assert_clean(result: object, argv: list[str]) -> None:
    code, output = result.code, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in output, (argv, output)
    assert code in DOCUMENTED, (code, argv, output)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_check_never_prints_a_traceback(
    data: st.DataObject, run_cli: RunCli, server: TestServer, fuzz_dir: Path
) -> None:
    argv = ["check", *_inputs(data.draw, fuzz_dir, server.url)]
    _assert_clean(run_cli(*argv), argv)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_run_never_prints_a_traceback(
    data: st.DataObject, run_cli: RunCli, server: TestServer, fuzz_dir: Path
) -> None:
    argv = ["run", *_inputs(data.draw, fuzz_dir, server.url), "--run-timeout", "3"]
    argv += ["--reporter", f"json:{fuzz_dir / 'r.json'}"]
    state = fuzz_dir / "state"
    resume = data.draw(st.booleans())
    if resume:
        state.mkdir(exist_ok=True)
        shape = data.draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(["version", "next", "captures", "steps", "cookies"]),
                    st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=2), max_leaves=4),
                ),
                st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=2), max_leaves=4),
            )
        )
        for old in state.glob("runs/*.json"):
            old.write_text(json.dumps(shape), encoding="utf-8")
        argv.append("--resume")
    result = run_cli(*argv, env={"RUNNER_STATE_DIR": str(state)})
    _assert_clean(result, argv)
    if result.code in (0, 1):  # the run happened: its report is whole
        json.loads((fuzz_dir / "r.json").read_text(encoding="utf-8"))


# The other commands that read a collection (and an environment): what they print or write
# is checked the same way. `load` starts processes of its own: its input checks are `check`'s.
OTHER_COMMANDS = st.sampled_from(
    [
        ["docs", "{c}", "-o", "{tmp}/site"],
        ["docs", "{c}", "-o", "{tmp}/site", "--format", "html"],
        ["export", "curl", "{c}"],
        ["export", "postman", "{c}"],
        ["export", "openapi", "{c}"],
        ["fmt", "--check", "{c}"],
    ]
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_other_command_that_reads_a_collection_never_prints_a_traceback(
    data: st.DataObject, run_cli: RunCli, server: TestServer, fuzz_dir: Path
) -> None:
    collection = fuzz_dir / "c.yaml"
    collection.write_text(data.draw(collections(server.url)), encoding="utf-8")
    template = data.draw(OTHER_COMMANDS)
    argv = [part.format(c=collection, tmp=fuzz_dir) for part in template]
    _assert_clean(run_cli(*argv), argv)
