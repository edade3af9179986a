"""The JSON Schemas for editors: generated from the spec, shipped, and in step with the loader."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from runner.core.errors import LoadError
from runner.format import loader, schema, spec

ROOT = Path(__file__).resolve().parent.parent

# What the loader refuses and JSON Schema cannot say (each is left to `runner check`):
# duplicate step ids (no cross-item uniqueness), a near miss of a standard method written in
# capitals (indistinguishable from an extension method such as COPY), and the validity of the
# JSON Schema written inside `expect.schema` (a metaschema reference would make editors fetch
# it from the network).
SCHEMA_CANNOT_SAY = (
    re.compile(r"^duplicate step id "),
    re.compile(r"^unknown HTTP method '[A-Z][A-Z0-9_-]{3,}'$"),
    re.compile(r"^invalid JSON Schema: "),
    re.compile(r"^goto '"),
    re.compile(r"^pause '.*' is in a parallel folder$"),
    re.compile(r"^goto in step '.*' inside a parallel folder$"),
)


def validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        json.loads(schema.shipped(kind)), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def errors(kind: str, text: str) -> list[str]:
    return [e.message for e in validator(kind).iter_errors(loader.parse_data(text))]


def test_the_shipped_files_are_what_the_spec_generates() -> None:
    for kind in schema.KINDS:
        assert schema.shipped(kind) == schema.generate(kind), (
            f"runner/data/{kind}.schema.json is stale: "
            "run python -m runner.cli.commands.schema --write"
        )


def test_every_key_of_the_spec_is_described() -> None:
    for where, mapping in spec.MAPPINGS.items():
        for key in mapping.keys:
            assert key.doc.strip(), f"{where}: describe {key.name} in runner/format/spec.py"


def test_every_key_of_the_spec_can_be_completed() -> None:
    collection = json.loads(schema.shipped("collection"))
    defs = collection["definitions"]
    assert list(collection["properties"]) == list(spec.COLLECTION.names)
    for kind, mapping in spec.STEPS.items():
        step = defs[f"{kind}_step"]
        assert list(step["properties"]) == list(mapping.names)
        assert step["additionalProperties"] is False
        assert all(step["properties"][k].get("description") for k in mapping.names)
    assert set(defs["auth"]["properties"]["type"]["enum"]) == set(spec.AUTH_TYPES)
    assert list(json.loads(schema.shipped("environment"))["properties"]) == list(
        spec.ENVIRONMENT.names
    )


def test_the_schemas_are_valid_draft_7() -> None:
    for kind in schema.KINDS:
        document = json.loads(schema.shipped(kind))
        assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
        jsonschema.Draft7Validator.check_schema(document)


def test_the_schemas_are_shipped_in_the_package() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/*"' in text  # package-data
    assert schema.shipped_path("collection").parent == ROOT / "runner" / "data"


def test_every_shipped_collection_and_environment_validates() -> None:
    # one test, not one per file: a test id must not name a collection (the pytest plugin's
    # own test checks that this suite collects none)
    collections = sorted((ROOT / "collections").glob("*.yaml"))
    environments = sorted((ROOT / "environments").glob("*.yaml"))
    assert collections and environments
    for path in collections:
        loader.load_collection(path)
        assert errors("collection", path.read_text(encoding="utf-8")) == [], path
    for path in environments:
        loader.load_environment(path)
        assert errors("environment", path.read_text(encoding="utf-8")) == [], path


def _doc_examples() -> list[tuple[str, str]]:
    out = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for n, match in enumerate(re.finditer(r"```yaml\n(.*?)```", page.read_text(), re.S)):
            out.append((f"{page.name}#{n}", match.group(1)))
    return out


@pytest.mark.parametrize(("where", "text"), _doc_examples(), ids=[w for w, _ in _doc_examples()])
def test_the_docs_examples_get_the_same_verdict_from_schema_and_loader(
    where: str, text: str
) -> None:
    try:
        data = loader.parse_data(text)
    except LoadError:
        return  # not YAML the schema could see (aliases, duplicate keys): the loader's job
    if not isinstance(data, dict):
        return
    if "steps" in data:
        kind = "collection"
    elif data and set(data) <= set(spec.ENVIRONMENT.names):
        kind = "environment"
    else:
        return  # a fragment (one step), not a file
    parse = loader.parse_collection if kind == "collection" else loader.parse_environment
    try:
        parse(text, "example.yaml")
        accepted = True
        message = ""
    except LoadError as exc:
        accepted = False
        message = exc.message
    found = errors(kind, text)
    if accepted:
        assert found == [], f"{where}: the loader accepts it, the schema says {found}"
    elif not any(p.search(message) for p in SCHEMA_CANNOT_SAY):
        assert found, f"{where}: the loader refuses it ({message}), the schema accepts it"


@pytest.fixture(scope="module")
def loader_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every document test_loader.py gave the loader, with the loader's verdict."""
    out = tmp_path_factory.mktemp("corpus") / "corpus.json"
    env = {
        **os.environ,
        "RUNNER_LOADER_CORPUS": str(out),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "loader_corpus_plugin", str(ROOT / "tests" / "test_loader.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.exists(), done.stdout + done.stderr
    records: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return records


def test_each_invalid_case_of_the_loader_tests_also_fails_the_schema(
    loader_corpus: list[dict[str, Any]],
) -> None:
    refused = [r for r in loader_corpus if not r["ok"]]
    assert len(refused) > 40  # the loader's tests have many invalid cases
    checked = 0
    missed = []
    for record in refused:
        try:
            data = loader.parse_data(record["text"])
        except LoadError:
            continue  # malformed YAML, aliases, tags, NUL bytes: no data for a schema to see
        if any(p.search(record["message"]) for p in SCHEMA_CANNOT_SAY):
            continue
        checked += 1
        if validator(record["kind"]).is_valid(data):
            missed.append(f"{record['message']}: {record['text']!r}")
    assert missed == []
    assert checked > 30


def test_each_valid_case_of_the_loader_tests_passes_the_schema(
    loader_corpus: list[dict[str, Any]],
) -> None:
    accepted = [r for r in loader_corpus if r["ok"]]
    assert len(accepted) > 5
    for record in accepted:
        found = errors(record["kind"], record["text"])
        assert found == [], f"{record['text']!r}: {found}"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("steps:\n  - request: a\n    url: x\n    metod: GET\n", "'metod' was unexpected"),
        ("steps:\n  - request: a\n", "'url' is a required property"),
        ("name: x\n", "'steps' is a required property"),
        ("steps: []\n", "should be non-empty"),
        (
            "steps:\n  - request: a\n    url: x\n    auth: {type: basic, username: u}\n",
            "'password' is a required property",
        ),
    ],
)
def test_editor_errors_name_the_problem(text: str, fragment: str) -> None:
    def messages(error: jsonschema.ValidationError) -> list[str]:
        return [error.message] + [m for sub in error.context for m in messages(sub)]

    all_messages = [
        m for e in validator("collection").iter_errors(loader.parse_data(text)) for m in messages(e)
    ]
    assert any(fragment in m for m in all_messages), all_messages


def test_runner_schema_prints_and_writes_the_shipped_schema(run_cli: Any, tmp_path: Path) -> None:
    done = run_cli("schema", "collection")
    assert done.code == 0
    assert done.out == schema.shipped("collection")
    assert json.loads(done.out)["title"] == "runner collection"
    target = tmp_path / "environment.schema.json"
    done = run_cli("schema", "environment", "-o", target)
    assert done.code == 0
    assert target.read_text(encoding="utf-8") == schema.shipped("environment")


def test_runner_schema_refuses_an_unknown_kind(run_cli: Any) -> None:
    done = run_cli("schema", "collections")
    assert done.code == 2
    assert "invalid choice" in done.err
