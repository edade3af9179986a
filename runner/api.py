"""The Python API: ``load`` a collection and ``run`` it, with typed results.

The same engine as the ``runner`` command, for scripts and tests. A run never waits for a
person: a pause takes its value from ``inputs`` or ``RUNNER_INPUT_<NAME>``, otherwise the run
stops and says so (``RunResult.input_missing``). A failed expectation or a refused connection
is data in the result, not an exception; only an invalid collection or environment
(``LoadError``) or a template that cannot render (``RenderError``) raises, before anything is
sent. See docs/python-api.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from runner.core.events import Listener
from runner.core.model import Collection, Environment
from runner.core.redact import Redactor, is_secret_name
from runner.core.results import RunResult
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import load_collection, load_environment
from runner.http.transport import DEFAULT_TIMEOUT
from runner.pause.prompts import StandardPrompter

PathLike = str | os.PathLike[str]
EnvironmentLike = Environment | PathLike | Mapping[str, Any]
# A reporter is a listener, or a factory given the run's Redactor (so what it prints is
# masked with the secrets this run learns): ``lambda r: ConsoleReporter(sys.stdout, r)``.
ReporterLike = Listener | Callable[[Redactor], Listener]


def load(path: PathLike) -> Collection:
    """Load and validate a collection file; raises LoadError with file:line:column."""
    return load_collection(Path(path))


def as_environment(env: EnvironmentLike | None) -> Environment | None:
    """An Environment from a file path, a mapping of variables, or an Environment as is.

    Mapping values are templates like an environment file's (``<< env('TOKEN') >>`` works);
    names that look like credentials are secret."""
    if env is None or isinstance(env, Environment):
        return env
    if isinstance(env, Mapping):
        variables = {str(name): value for name, value in env.items()}
        secrets = frozenset(name for name in variables if is_secret_name(name))
        return Environment("python", None, variables, secrets=secrets)
    return load_environment(Path(env))


def run(
    collection: Collection | PathLike,
    *,
    env: EnvironmentLike | None = None,
    variables: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    reporters: Iterable[ReporterLike] = (),
    environ: Mapping[str, str] | None = None,
    bail: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    verify: bool | str = True,
) -> RunResult:
    """Run a collection (or the file at a path) and return its RunResult.

    ``variables`` override everything (like ``--var``); ``inputs`` answer pauses (like
    ``--input``); ``environ`` is what ``env()`` and ``RUNNER_INPUT_<NAME>`` read (default:
    ``os.environ``). ``RunResult.captures`` holds the values captured during the run, unmasked.
    Raises LoadError or RenderError before anything is sent."""
    loaded = collection if isinstance(collection, Collection) else load(collection)
    redactor = Redactor()
    listeners = [_listener(reporter, redactor) for reporter in reporters]
    engine = Engine(
        loaded,
        as_environment(env),
        RunOptions(
            variables=dict(variables or {}),
            bail=bail,
            timeout=timeout,
            verify=verify,
            environ=environ,
        ),
        prompter=StandardPrompter(inputs, environ),
        listeners=listeners,
        redactor=redactor,
    )
    result = engine.run()
    if engine.scope is not None:
        result.captures = dict(engine.scope.captures)
    return result


def _listener(reporter: ReporterLike, redactor: Redactor) -> Listener:
    if hasattr(reporter, "on_event"):
        return cast(Listener, reporter)
    return reporter(redactor)
