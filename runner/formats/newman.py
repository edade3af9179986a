"""Running a Postman collection as Newman does: ``runner run c.json -e e.json -g g.json``.

The collection (and its environment and globals) is converted in memory by the very import of
``runner import postman`` (runner.formats.postman.importer.import_files), never written; then
Newman's run options that change what runs (``--env-var``, ``--global-var``,
``--delay-request``) are applied to the loaded model, and ``--export-environment`` /
``--export-globals`` / ``--export-collection`` write Postman JSON back when the run ends.
See docs/newman.md.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.core.model import Collection, Environment, Flow, Folder, RequestStep, Step
from runner.formats import is_postman_source


@dataclass(frozen=True)
class PostmanRun:
    """What Newman's ``run`` reads: the collection and its environment and globals files."""

    source: str  # a path, or the collection's JSON text
    environment: Path | None = None
    globals_file: Path | None = None
    working_dir: Path | None = None  # Newman's --working-dir: where relative file paths start
    env_vars: Mapping[str, str] = field(default_factory=dict)  # --env-var: above the environment
    global_vars: Mapping[str, str] = field(default_factory=dict)  # --global-var: below all


@dataclass(frozen=True)
class LoadedPostman:
    collection: Collection
    environment: Environment | None
    source_json: Any  # the collection as read, for --export-collection
    globals_values: dict[str, Any]  # the -g file's values and --global-var, for --export-globals


def load_postman_run(run: PostmanRun) -> LoadedPostman:
    """Convert in memory with ``runner import postman``'s import; nothing is written."""
    from runner.format.loader import parse_collection, parse_environment
    from runner.formats.postman.importer import import_files, read_json

    with _source_file(run.source) as path:
        pasted = path.name == _PASTED
        base = (run.working_dir or (Path.cwd() if pasted else path.parent)).resolve()
        environments = [run.environment] if run.environment else []
        result = import_files(path, environments, run.globals_file, base)
        source_json = read_json(path)
        where = base / ("collection.json" if pasted else path.name)
    collection = parse_collection(result.outputs[0].text, str(where))
    environment = None
    if len(result.outputs) > 1:
        env_path = run.environment or run.globals_file
        environment = parse_environment(result.outputs[1].text, str(env_path))
    globals_values = read_globals(run.globals_file) if run.globals_file else {}
    globals_values.update(run.global_vars)
    collection = with_globals(collection, run.global_vars)
    environment = with_env_vars(environment, run.env_vars)
    return LoadedPostman(collection, environment, source_json, globals_values)


def read_globals(path: Path) -> dict[str, Any]:
    """The enabled values of a Postman globals (or environment) file."""
    from runner.formats.postman.importer import read_json

    return _values(read_json(path))


def with_globals(collection: Collection, values: Mapping[str, Any]) -> Collection:
    """Globals sit below every other variable (Newman's order): the collection's win."""
    if not values:
        return collection
    return dataclasses.replace(collection, variables={**values, **collection.variables})


def with_env_vars(environment: Environment | None, values: Mapping[str, str]) -> Environment | None:
    """``--env-var NAME=VALUE``: set in the environment, over the file's value."""
    if not values:
        return environment
    if environment is None:
        environment = Environment("--env-var", None)
    return dataclasses.replace(environment, variables={**environment.variables, **values})


_PASTED = "pasted.postman_collection.json"


@contextmanager
def _source_file(source: str) -> Iterator[Path]:
    """The collection's path; JSON text given on the command line goes to a temporary file
    (the import reads files), removed at once."""
    if not source.lstrip().startswith("{"):
        yield Path(source)
        return
    with tempfile.TemporaryDirectory(prefix="runner-newman-") as folder:
        path = Path(folder) / _PASTED
        path.write_text(source, encoding="utf-8")
        yield path


def _values(data: Any) -> dict[str, Any]:
    values = data.get("values", []) if isinstance(data, dict) else data
    if not isinstance(values, list):
        return {}
    return {
        v["key"]: v.get("value")
        for v in values
        if isinstance(v, dict) and isinstance(v.get("key"), str) and v.get("enabled", True)
    }


def with_request_delay(collection: Collection, seconds: float) -> Collection:
    """Newman's ``--delay-request``: wait before every request (a step's own delay wins)."""
    return dataclasses.replace(collection, steps=_delayed(collection.steps, seconds))


def _delayed(steps: tuple[Step, ...], seconds: float) -> tuple[Step, ...]:
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Folder):
            step = dataclasses.replace(step, steps=_delayed(step.steps, seconds))
        elif isinstance(step, RequestStep):
            flow = step.flow or Flow()
            if flow.delay is None:
                step = dataclasses.replace(step, flow=dataclasses.replace(flow, delay=seconds))
        out.append(step)
    return tuple(out)


def environment_json(name: str, values: Mapping[str, Any], scope: str) -> dict[str, Any]:
    """A Postman environment (``scope="environment"``) or globals file, as Newman exports."""
    return {
        "name": name,
        "values": [
            {"key": key, "value": value, "type": "default", "enabled": True}
            for key, value in values.items()
        ],
        "_postman_variable_scope": scope,
        "_postman_exported_using": "runner",
    }


def final_environment(
    environment: Environment | None, captures: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The environment as the run left it: its variables, then what the run captured."""
    name = environment.name if environment is not None else "environment"
    values = dict(environment.variables) if environment is not None else {}
    values.update(captures)
    return name, values


__all__ = [
    "LoadedPostman",
    "PostmanRun",
    "environment_json",
    "final_environment",
    "is_postman_source",
    "load_postman_run",
    "read_globals",
    "with_env_vars",
    "with_globals",
    "with_request_delay",
]
