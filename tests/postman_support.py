"""Helpers for the Postman import/export tests: build collections, import them, run them."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WriteFile = Callable[[str, str], Path]
SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
SHARED = Path(__file__).parents[2] / "shared" / "data" / "postman"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"the shared Postman corpus is not at {SHARED}"
)
# Newman 6.2.2, where .ci/run installs it, for the tests that compare with Newman itself
NEWMAN_DIR = Path(os.environ.get("RUNNER_TEST_NEWMAN", Path.home() / ".cache/runner-ci/newman"))
NEWMAN = NEWMAN_DIR / "node_modules" / ".bin" / "newman"
needs_newman = pytest.mark.skipif(
    not NEWMAN.exists() or shutil.which("node") is None,
    reason=f"newman 6.2.2 is not installed in {NEWMAN_DIR} (.ci/run installs it there)",
)


def collection(*items: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A Postman Collection v2.1 document with these items."""
    return {"info": {"name": top.pop("name", "Test"), "schema": SCHEMA_V21}, "item": list(items),
            **top}  # fmt: skip


def request(
    name: str, url: Any, *, method: str = "GET", test: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A request item; ``test`` is its test script."""
    req: dict[str, Any] = {"method": method, "url": url, "header": extra.pop("header", [])}
    for key in ("body", "auth", "description"):
        if key in extra:
            req[key] = extra.pop(key)
    item: dict[str, Any] = {"name": name, "request": req, **extra}
    if test is not None:
        item["event"] = [
            {"listen": "test", "script": {"type": "text/javascript", "exec": test.split("\n")}}
        ]
    return item


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def corpus_collections() -> list[Path]:
    """Every collection file of the shared corpus (v1 files included), sorted."""
    if not SHARED.is_dir():
        return []
    out = []
    for path in sorted(SHARED.rglob("*.json")):
        rel = path.relative_to(SHARED).as_posix()
        if rel.startswith(("postman-schemas/schemas", "postman-schemas/compiled")):
            continue
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-16" if raw.startswith(b"\xff\xfe") else "utf-8-sig")
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and ("item" in doc or "requests" in doc):
            out.append(path)
    return out


def corpus_environments() -> list[Path]:
    if not SHARED.is_dir():
        return []
    out = []
    for path in sorted(SHARED.rglob("*.json")):
        if "postman-schemas" in path.parts:
            continue
        raw = path.read_bytes()
        try:
            doc = json.loads(raw.decode("utf-16" if raw.startswith(b"\xff\xfe") else "utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            continue
        if (isinstance(doc, dict) and isinstance(doc.get("values"), list)) or (
            path.name.endswith("postman_globals.json")
        ):
            out.append(path)
    return out
