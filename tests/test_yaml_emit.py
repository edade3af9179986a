"""The YAML writer of the importers: what it writes reads back as the same values."""

from __future__ import annotations

import random
import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from runner.format.loader import parse_collection, parse_data
from runner.formats.yaml_emit import dump, scalar


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "no",
        "on",
        "off",
        "1e3",
        "0x1F",
        "0o17",
        "012",
        ".inf",
        "null",
        "~",
        "",
        "true",
        "2024-01-02",
        "1:20",
        "- item",
        "a: b",
        "a #b",
        "#x",
        "<<",
        "<<var>>",
        "key:",
        "{a}",
        " lead",
        "trail ",
        "tab\there",
        "line\nbreak",
        "cr\r\nlf",
        "\x00",
        "\ufeffbom",
        "é",
    ],
)
def test_tricky_strings_read_back_as_themselves(text: str) -> None:
    doc = dump({"value": text, text or "k": [text], "nested": {"x": text}})
    assert parse_data(doc) == {"value": text, text or "k": [text], "nested": {"x": text}}


def test_plain_where_it_is_safe_and_quoted_where_not() -> None:
    assert scalar("https://api.example.com/<<x>>") == "https://api.example.com/<<x>>"
    assert scalar("1e3") == "'1e3'"
    assert scalar("no") == "'no'"
    assert scalar("it's") == "it's"
    assert scalar("a\tb") == '"a\\tb"'


def test_multi_line_text_is_a_literal_block() -> None:
    out = dump({"script": "line 1\n  line 2\n", "tail": "no newline\nat end", "lead": "  x\ny\n"})
    assert "script: |\n  line 1\n    line 2\n" in out
    assert "tail: |-\n" in out
    assert "lead: |2\n" in out
    assert parse_data(out)["lead"] == "  x\ny\n"


def test_random_documents_round_trip() -> None:
    rng = random.Random(4)
    alphabet = string.ascii_letters + string.digits + " :#-'\"\\\n\t{}[],&*!|>%@`<>\x85\u2028é"

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))

    def value(depth: int = 0) -> object:
        pick = rng.random()
        if depth < 3 and pick < 0.2:
            return {text() or "k": value(depth + 1) for _ in range(rng.randint(0, 3))}
        if depth < 3 and pick < 0.35:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        if pick < 0.45:
            return rng.choice([None, True, False, 0, -7, 2.5, 10**20])
        return text()

    for _ in range(500):
        data = {text() or "k": value() for _ in range(3)}
        assert parse_data(dump(data)) == data


def test_a_header_comment_and_a_loadable_collection() -> None:
    out = dump(
        {"name": "x", "steps": [{"request": "r", "url": "https://x/"}]}, header="hello\nworld"
    )
    assert out.startswith("# hello\n# world\nname: x\n")
    assert parse_collection(out).steps[0].name == "r"


# -- any YAML 1.2 reader: PyYAML and ruamel.yaml (1.2 mode) read what the writer writes ----------

_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"])
    | st.sampled_from(list("?:,#[]{}-&*!|>'\"%@`<> ")),
    max_size=20,
)
_LEAF = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | _TEXT
_DATA = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _ruamel_12(text: str) -> object:
    reader = YAML(typ="safe", pure=True)
    reader.version = (1, 2)
    return reader.load(text)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _DATA, min_size=1, max_size=5))
def test_every_file_it_writes_loads_in_a_second_reader(data: dict[str, object]) -> None:
    """Hypothesis: PyYAML (the YAML most tools use) and ruamel.yaml in YAML 1.2 mode both
    read the same values back, and so does the runner's own loader."""
    text = dump(data)
    assert yaml.safe_load(text) == data, text
    assert _ruamel_12(text) == data, text
    assert parse_data(text) == data, text


def test_a_title_ending_in_a_question_mark_inside_a_flow_mapping() -> None:
    text = dump({"step": {"title": "Is it up?", "why": "a ?b"}, "list": ["ok?"]})
    assert text == "step: {title: 'Is it up?', why: 'a ?b'}\nlist: ['ok?']\n"
    assert (
        yaml.safe_load(text)
        == _ruamel_12(text)
        == {
            "step": {"title": "Is it up?", "why": "a ?b"},
            "list": ["ok?"],
        }
    )
