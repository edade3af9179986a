"""runner new: a commented skeleton that checks, validates against the schema, and is formatted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from runner.format.loader import parse_data


def test_new_creates_a_collection_environments_and_schemas_that_check(
    run_cli: Any, tmp_path: Path
) -> None:
    done = run_cli("new", tmp_path / "proj", "--name", "Shop API")
    assert done.code == 0, done.err
    root = tmp_path / "proj"
    collection = root / "collections" / "shop_api.yaml"
    local = root / "environments" / "local.yaml"
    created = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert created == [
        "collections/shop_api.yaml", "environments/local.yaml", "environments/staging.yaml",
        "schemas/collection.schema.json", "schemas/environment.schema.json",
    ]  # fmt: skip
    text = collection.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/collection.schema.json\n")
    assert text.count("#") > 10  # it explains itself
    check = run_cli("check", collection, "-e", local)
    assert check.code == 0, check.output
    assert "ok: Shop API with local: 2 steps" in check.out
    assert run_cli("fmt", "--check", root).code == 0  # already canonical
    for path, kind in ((collection, "collection"), (local, "environment")):
        schema = json.loads((root / "schemas" / f"{kind}.schema.json").read_text())
        jsonschema.Draft7Validator(schema).validate(parse_data(path.read_text()))


def test_staging_reads_its_token_from_the_shell(run_cli: Any, tmp_path: Path) -> None:
    run_cli("new", tmp_path)
    collection = tmp_path / "collections" / "api.yaml"
    staging = tmp_path / "environments" / "staging.yaml"
    done = run_cli("check", collection, "-e", staging)
    assert done.code == 2
    assert "environment variable 'API_TOKEN' is not set" in done.err
    done = run_cli("check", collection, "-e", staging, env={"API_TOKEN": "t-123456"})
    assert done.code == 0, done.output


def test_new_never_overwrites_without_force(run_cli: Any, tmp_path: Path) -> None:
    assert run_cli("new", tmp_path).code == 0
    local = tmp_path / "environments" / "local.yaml"
    local.write_text("variables: {base_url: http://mine}\n", encoding="utf-8")
    done = run_cli("new", tmp_path)
    assert done.code == 2
    assert "these files exist already" in done.err and "--force" in done.err
    assert local.read_text(encoding="utf-8") == "variables: {base_url: http://mine}\n"
    assert run_cli("new", tmp_path, "--force").code == 0
    assert "base_url: http://127.0.0.1:8000/api" in local.read_text(encoding="utf-8")
