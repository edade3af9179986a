"""runner: run collections of HTTP requests written in YAML.

The public API is small and locked by tests/test_public_api.py (docs/python-api.md)::

    import runner
    collection = runner.load("collections/users.yaml")
    result = runner.run(collection, env="environments/local.yaml", variables={"user": "ada"})
    assert result.ok, result.steps
    token = result.captures["token"]

Names are imported on first use (PEP 562), so ``import runner`` (and the pytest plugin, which
pytest imports in every session) stays cheap until a collection is actually loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runner.core.version import __version__

# name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "load": "runner.api",
    "run": "runner.api",
    "load_collection": "runner.format.loader",
    "load_environment": "runner.format.loader",
    "Collection": "runner.core.model",
    "Environment": "runner.core.model",
    "Engine": "runner.engine.engine",
    "RunOptions": "runner.engine.engine",
    "RunResult": "runner.core.results",
    "StepResult": "runner.core.results",
    "CheckResult": "runner.core.results",
    "ExitStatus": "runner.core.errors",
    "SourceLocation": "runner.core.errors",
    "RunnerError": "runner.core.errors",
    "LoadError": "runner.core.errors",
    "RenderError": "runner.core.errors",
    "UsageError": "runner.core.errors",
    "TransportError": "runner.core.errors",
    "PauseError": "runner.core.errors",
    "InputMissingError": "runner.core.errors",
    "PauseRefusedError": "runner.core.errors",
    "format_error": "runner.core.errors",
}

__all__ = [
    "CheckResult",
    "Collection",
    "Engine",
    "Environment",
    "ExitStatus",
    "InputMissingError",
    "LoadError",
    "PauseError",
    "PauseRefusedError",
    "RenderError",
    "RunOptions",
    "RunResult",
    "RunnerError",
    "SourceLocation",
    "StepResult",
    "TransportError",
    "UsageError",
    "__version__",
    "format_error",
    "load",
    "load_collection",
    "load_environment",
    "run",
]

if TYPE_CHECKING:
    from runner.api import load, run
    from runner.core.errors import (
        ExitStatus,
        InputMissingError,
        LoadError,
        PauseError,
        PauseRefusedError,
        RenderError,
        RunnerError,
        SourceLocation,
        TransportError,
        UsageError,
        format_error,
    )
    from runner.core.model import Collection, Environment
    from runner.core.results import CheckResult, RunResult, StepResult
    from runner.engine.engine import Engine, RunOptions
    from runner.format.loader import load_collection, load_environment


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'runner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
