"""A pytest plugin (``-p loader_corpus_plugin``) that records every document the loader reads.

``tests/test_schema.py`` runs ``tests/test_loader.py`` with it, then checks that the JSON Schema
accepts each document the loader accepted and refuses each one it refused, so the schema keeps
up with the loader's own tests.
The records go to the JSON file named by ``$RUNNER_LOADER_CORPUS``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest

from runner.core.errors import LoadError
from runner.format import loader

RECORDS: list[dict[str, Any]] = []


def _recording(kind: str, parse: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(text: str, path: str = f"<{kind}>") -> Any:
        try:
            result = parse(text, path)
        except LoadError as exc:
            RECORDS.append({"kind": kind, "text": text, "ok": False, "message": exc.message})
            raise
        RECORDS.append({"kind": kind, "text": text, "ok": True, "message": None})
        return result

    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    loader.parse_collection = _recording("collection", loader.parse_collection)
    loader.parse_environment = _recording("environment", loader.parse_environment)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("RUNNER_LOADER_CORPUS")
    if target:
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(RECORDS, handle)
