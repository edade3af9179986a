"""runner: run collections of HTTP requests written in YAML.

The public API is small and locked by tests/test_public_api.py::

    import runner
    collection = runner.load_collection("collections/zoom_oauth.yaml")
"""

from __future__ import annotations

__version__ = "0.1.0"

from runner.engine import Engine, RunOptions
from runner.errors import (
    ExitStatus,
    InputMissingError,
    LoadError,
    PauseError,
    PauseRefusedError,
    RenderError,
    RunnerError,
    TransportError,
)
from runner.loader import load_collection, load_environment
from runner.results import CheckResult, RunResult, StepResult

__all__ = [
    "CheckResult",
    "Engine",
    "ExitStatus",
    "InputMissingError",
    "LoadError",
    "PauseError",
    "PauseRefusedError",
    "RenderError",
    "RunOptions",
    "RunResult",
    "RunnerError",
    "StepResult",
    "TransportError",
    "__version__",
    "load_collection",
    "load_environment",
]
