"""docs/format.md, the loader and the spec agree on the keys of every mapping.

runner/format/spec.py is the one definition of the format's keys: the loader and the editor
schemas are generated from it, and these tests hold the reference documentation to it. A key
table of the docs must list exactly the keys of its mapping; a mapping the docs describe in
prose must name each of its keys there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runner.core.errors import LoadError
from runner.core.model import MATCH_OPS, THRESHOLD_METRICS
from runner.format import loader, spec

FORMAT_MD = Path(__file__).resolve().parent.parent / "docs" / "format.md"
NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`")


def sections() -> dict[str, str]:
    """The text of each heading of docs/format.md (up to the next heading), code excluded."""
    out: dict[str, list[str]] = {}
    current: list[str] = []
    fenced = False
    for line in FORMAT_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            continue
        elif line.startswith("#"):
            current = out.setdefault(line, [])
        else:
            current.append(line)
    return {heading: "\n".join(lines) for heading, lines in out.items()}


def table_cells(text: str, column: int = 0) -> list[str]:
    """One column of the first table in ``text`` (header and rule rows left out)."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [row.split("|")[column + 1] for row in rows[2:]]


def table_keys(text: str) -> set[str]:
    """The keys a docs table lists: every `name` of its first column."""
    return {name for cell in table_cells(text) for name in NAME.findall(cell)}


SECTIONS = sections()
TABLES: dict[str, spec.Mapping] = {
    "### An environment file": spec.ENVIRONMENT,
    "## Collection keys": spec.COLLECTION,
    "### request": spec.REQUEST_STEP,
    "### browser": spec.BROWSER_STEP,
    "### pause": spec.PAUSE_STEP,
    "### folder": spec.FOLDER_STEP,
    "### Redirects": spec.REDIRECTS_MAP,
    "## Params and headers": spec.PARAM,
    "## Body": spec.BODY,
    "## Expect": spec.EXPECT,
    "## Examples": spec.EXAMPLE,
    "## Capture": spec.CAPTURE,
    "## Scripts": spec.SCRIPT_MAP,
    "### retries": spec.RETRIES_MAP,
}
AUTH_TABLES = {
    "### OAuth 2.0: the oauth2 auth helper": "oauth2",
    "### OAuth 1.0a: the oauth1 auth kind": "oauth1",
}
PROSE: dict[str, spec.Mapping] = {  # mappings the docs describe in a paragraph, not a table
    "### retry": spec.RETRY,
    "### repeat": spec.REPEAT,
    "### goto": spec.GOTO_MAP,
    "### multipart": spec.PART,
    "### graphql": spec.GRAPHQL,
}


@pytest.mark.parametrize("heading", list(TABLES))
def test_each_docs_table_lists_exactly_the_keys_of_the_spec(heading: str) -> None:
    mapping = TABLES[heading]
    assert table_keys(SECTIONS[heading]) == set(mapping.names), heading


@pytest.mark.parametrize("heading", list(AUTH_TABLES))
def test_the_oauth_tables_list_exactly_the_keys_of_the_spec(heading: str) -> None:
    mapping = spec.AUTH_TYPES[AUTH_TABLES[heading]]
    assert table_keys(SECTIONS[heading]) == set(mapping.names) - {"type"}


def test_the_auth_table_lists_every_type_and_its_keys() -> None:
    text = SECTIONS["## Auth"]
    kinds = [NAME.findall(cell) for cell in table_cells(text)]
    assert sorted(k for found in kinds for k in found) == sorted(spec.AUTH_TYPES)
    for (kind,), cell in zip(kinds, table_cells(text, 1), strict=True):
        if "see [" in cell and not cell.startswith(" `"):
            continue  # described in its own section (tested above)
        written = set(NAME.findall(re.sub(r"\(.*?\)|: see .*", "", cell)))
        assert written == set(spec.AUTH_TYPES[kind].names) - {"type"}, kind


def test_the_keys_common_to_all_steps_are_what_the_steps_table_lists() -> None:
    common = set.intersection(*(set(m.names) for m in spec.STEPS.values()))
    assert table_keys(SECTIONS["## Steps"]) <= common


def test_the_load_settings_table_lists_the_load_keys_and_thresholds() -> None:
    listed = table_keys(SECTIONS["## Load settings"])
    assert {name.split(".")[0] for name in listed} == set(spec.LOAD.names)
    thresholds = {name.split(".", 1)[1] for name in listed if name.startswith("thresholds.")}
    assert thresholds == set(spec.THRESHOLDS.names) == set(THRESHOLD_METRICS)


def test_the_expectation_operators_table_lists_every_operator() -> None:
    assert table_keys(SECTIONS["### Expectation values"]) == set(MATCH_OPS)


@pytest.mark.parametrize("heading", list(TABLES))
def test_each_docs_table_marks_required_what_the_spec_requires(heading: str) -> None:
    rows = [line for line in SECTIONS[heading].splitlines() if line.startswith("|")][2:]
    marked = {
        name for row in rows if "**required**" in row for name in NAME.findall(row.split("|")[1])
    }
    assert marked == set(TABLES[heading].required), heading


@pytest.mark.parametrize("heading", list(AUTH_TABLES))
def test_the_oauth_tables_mark_required_what_the_spec_requires(heading: str) -> None:
    text = SECTIONS[heading]
    marked = {
        name
        for cell, rule in zip(table_cells(text), table_cells(text, 1), strict=True)
        if rule.strip() == "required"
        for name in NAME.findall(cell)
    }
    assert marked == set(spec.AUTH_TYPES[AUTH_TABLES[heading]].required) - {"type"}


@pytest.mark.parametrize("heading", list(PROSE))
def test_each_mapping_described_in_prose_names_all_its_keys(heading: str) -> None:
    spans = re.findall(r"`([^`]+)`", SECTIONS[heading])
    named = {word for span in spans for word in re.findall(r"[A-Za-z_]+", span)}
    assert set(PROSE[heading].names) <= named, heading


def test_every_mapping_of_the_spec_is_checked_against_the_docs() -> None:
    checked = {id(m) for m in (*TABLES.values(), *PROSE.values())}
    checked |= {id(m) for m in spec.AUTH_TYPES.values()} | {id(spec.LOAD), id(spec.THRESHOLDS)}
    assert [w for w, m in spec.MAPPINGS.items() if id(m) not in checked] == []


# --- the loader takes its keys from the spec ---------------------------------------------------


def test_the_spec_defines_each_key_once_per_mapping_with_a_description() -> None:
    assert spec.key_count() > 150
    for where, mapping in spec.MAPPINGS.items():
        assert len(set(mapping.names)) == len(mapping.names), where
        assert all(key.doc.endswith(".") for key in mapping.keys), where


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("name: x\nstepz: []\n", "unknown key 'stepz' in the collection", "did you mean 'steps'?"),
        (
            "steps:\n  - request: a\n    url: x\n    body: {jsn: 1}\n",
            "unknown key 'jsn' in body",
            "did you mean 'json'?",
        ),
        (
            "steps:\n  - request: a\n    url: x\n    retries: {mx: 1}\n",
            "unknown key 'mx' in retries",
            "did you mean 'max'?",
        ),
    ],
)
def test_unknown_keys_get_suggestions_from_the_spec(text: str, message: str, hint: str) -> None:
    with pytest.raises(LoadError) as info:
        loader.parse_collection(text, "c.yaml")
    assert (info.value.message, info.value.hint) == (message, hint)


def test_a_key_added_to_the_spec_is_accepted_by_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = spec.Key("x_note", "text", "A note.")
    changed = spec.Mapping("body", (*spec.BODY.keys, extra), one_of=spec.BODY.one_of)
    monkeypatch.setattr(spec, "BODY", changed)
    text = "steps:\n  - request: a\n    url: x\n    body: {json: 1, x_note: hi}\n"
    assert loader.parse_collection(text, "c.yaml").steps


def test_each_mapping_requires_what_the_spec_says() -> None:
    with pytest.raises(LoadError) as info:
        loader.parse_collection("steps:\n  - pause: p\n", "c.yaml")
    assert info.value.message == "pause step 'p' is missing the required key 'variable'"
    with pytest.raises(LoadError) as info:
        loader.parse_collection(
            "steps:\n  - request: a\n    url: x\n    auth: {type: oauth2, grant: x}\n", "c.yaml"
        )
    # token_url is required unless issuer is given (discovery): the loader checks it after
    assert info.value.message == "oauth2 auth is missing the required key 'client_id'"
