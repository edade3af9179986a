"""runner fmt: canonical key order and indentation, comments kept, idempotent, values intact."""

from __future__ import annotations

import os
import re
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest

from runner.authoring import fmt
from runner.core.errors import LoadError
from runner.format import loader

ROOT = Path(__file__).resolve().parent.parent

MESSY = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../schemas/collection.schema.json
    # What this collection is for.
    steps:   # the steps
      # before the first step
      - url: <<base>>/login   # where to log in
        # the name comes first once formatted
        request: Log in
        headers:
            Accept: application/json   # indented too deep
            # last header comment
        # about the method
        method: post
        expect: {status: 200}
      # between the steps

      - request: Upload
        body:
          text: |
            hello
            # this line is body text, not a comment
          content_type: text/plain
        # about the url
        url: <<base>>/upload
        capture: {upload_id: $.id}
        # end of the upload step
      - folder: Admin
        steps:
        - url: <<base>>/admin
          auth: {token: <<token>>, type: bearer}
          request: Admin page
          params:
            zip: {description: a postcode, value: '012', type: string}
            code: no
            version: 3.10
    name: Messy   # the name
    variables:
      base: https://api.example.com
      token: t0ken-value
    # the end
    """
)

CANONICAL = textwrap.dedent(
    """\
    # yaml-language-server: $schema=../schemas/collection.schema.json
    # What this collection is for.
    name: Messy   # the name
    variables:
      base: https://api.example.com
      token: t0ken-value
    steps:   # the steps
      # before the first step
        # the name comes first once formatted
      - request: Log in
        # about the method
        method: POST
        url: <<base>>/login   # where to log in
        headers:
          Accept: application/json     # indented too deep
            # last header comment
        expect: {status: 200}
      # between the steps

      - request: Upload
        # about the url
        url: <<base>>/upload
        body:
          text: |
            hello
            # this line is body text, not a comment
          content_type: text/plain
        capture: {upload_id: $.id}
        # end of the upload step
      - folder: Admin
        steps:
          - request: Admin page
            url: <<base>>/admin
            params:
              zip: {value: '012', type: string, description: a postcode}
              code: no
              version: 3.10
            auth: {type: bearer, token: <<token>>}
    # the end
    """
)


def comments(text: str) -> list[str]:
    return sorted(m.group(1) for m in re.finditer(r"(?m)(?:^|\s)(#.*)$", text))


def test_canonical_order_and_indentation_keeping_every_comment() -> None:
    out = fmt.format_text(MESSY, "messy.yaml")
    assert out == CANONICAL
    assert comments(out) == comments(MESSY)


def test_formatting_is_idempotent() -> None:
    once = fmt.format_text(MESSY, "messy.yaml")
    assert fmt.format_text(once, "messy.yaml") == once


def test_values_are_kept_exactly_as_written() -> None:
    before = loader.parse_collection(MESSY, "m.yaml")
    after = loader.parse_collection(fmt.format_text(MESSY, "m.yaml"), "m.yaml")
    admin_before: Any = before.steps[2].steps[0]  # type: ignore[union-attr]
    admin_after: Any = after.steps[2].steps[0]  # type: ignore[union-attr]
    assert [(p.name, p.value, p.type) for p in admin_after.params] == [
        ("zip", "012", "string"),
        ("code", "no", None),
        ("version", "3.10", None),
    ]
    assert [(p.name, p.value) for p in admin_before.params] == [
        (p.name, p.value) for p in admin_after.params
    ]
    assert loader.parse_data(fmt.format_text(MESSY, "m.yaml")) == {
        **loader.parse_data(MESSY),
        "steps": loader.parse_data(MESSY.replace("method: post", "method: POST"))["steps"],
    }


def _docs_examples() -> list[str]:
    out = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for match in re.finditer(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            try:
                loader.parse_collection(match.group(1), "x.yaml")
            except LoadError:
                continue
            out.append(match.group(1))
    return out


@pytest.mark.parametrize(
    "text",
    [
        *_docs_examples(),
        *(p.read_text(encoding="utf-8") for p in sorted((ROOT / "collections").glob("*.yaml"))),
    ],
)
def test_every_valid_example_formats_idempotently_with_the_same_values(text: str) -> None:
    once = fmt.format_text(text, "x.yaml")
    assert fmt.format_text(once, "x.yaml") == once
    assert comments(once) == comments(text)
    before = loader.parse_data(text)
    after = loader.parse_data(once)
    assert _upper_methods(before) == _upper_methods(after)


def _upper_methods(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (v.upper() if k == "method" and isinstance(v, str) else _upper_methods(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_upper_methods(v) for v in value]
    return value


def test_environment_files_are_formatted_too() -> None:
    text = "variables:   # values\n    base: http://h\nsecrets: [x]\nname: local\n"
    out = fmt.format_text(text, "local.yaml")
    assert out == "name: local\nvariables:   # values\n  base: http://h\nsecrets: [x]\n"


def test_fmt_check_lists_unformatted_files_and_changes_nothing(
    run_cli: Any, tmp_path: Path
) -> None:
    messy = tmp_path / "collections" / "messy.yaml"
    messy.parent.mkdir()
    messy.write_text(MESSY, encoding="utf-8")
    neat = tmp_path / "collections" / "neat.yaml"
    neat.write_text(CANONICAL, encoding="utf-8")
    done = run_cli("fmt", "--check", tmp_path)
    assert done.code == 1
    assert f"would reformat {messy}" in done.out
    assert str(neat) not in done.out
    assert "would reformat 1 of 2 files" in done.out
    assert messy.read_text(encoding="utf-8") == MESSY

    done = run_cli("fmt", tmp_path)
    assert done.code == 0
    assert f"reformatted {messy}" in done.out
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert run_cli("fmt", "--check", tmp_path).code == 0


def test_fmt_keeps_the_file_mode(run_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MESSY, encoding="utf-8")
    os.chmod(path, 0o640)
    assert run_cli("fmt", path).code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_invalid_file_is_reported_with_its_line_and_left_alone(
    run_cli: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad_text = "steps:\n  - request: a\n    url: x\n    metod: GET\n"
    bad.write_text(bad_text, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(MESSY, encoding="utf-8")
    done = run_cli("fmt", tmp_path)
    assert done.code == 2
    assert "error: unknown key 'metod' in request step 'a'" in done.err
    assert f"--> {bad}:4:5" in done.err
    assert bad.read_text(encoding="utf-8") == bad_text  # untouched
    assert good.read_text(encoding="utf-8") == CANONICAL  # the others still formatted


def test_directories_skip_yaml_that_is_not_a_collection(run_cli: Any, tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yaml"
    workflow_text = "on: push\njobs:\n  test: &t {runs-on: x}\n  again: *t\n"
    workflow.write_text(workflow_text, encoding="utf-8")
    done = run_cli("fmt", "--check", tmp_path)
    assert done.code == 0
    assert "would reformat 0 of 0 files" in done.out
    assert workflow.read_text(encoding="utf-8") == workflow_text
    done = run_cli("fmt", workflow)  # named explicitly: say why it is not formatted
    assert done.code == 2
    assert "is neither a collection" in done.err


def test_a_rewrite_that_would_lose_a_comment_is_refused() -> None:
    # a comment between a key and its block value: checked, never silently dropped
    text = "steps:\n  - request: a\n    url: x\n    headers:\n\n      # why\n      A: b\n"
    try:
        out = fmt.format_text(text, "c.yaml")
    except fmt.FormatError as exc:
        assert "left as it was" in exc.message
    else:
        assert "# why" in out


def test_steps_text_and_plain_quote_what_would_change_type() -> None:
    text = fmt.steps_text([{"request": "a", "url": "http://h", "body": {"json": {"n": "012"}}}])
    assert text == "  - request: a\n    url: http://h\n    body:\n      json:\n        n: '012'\n"
    data = loader.parse_data("steps:\n" + text)
    assert data["steps"][0]["body"]["json"]["n"] == "012"
