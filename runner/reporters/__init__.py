"""Reporters: listeners on the run's event stream (runner.core.events) that show or write it.

Built-in reporters and third-party ones are found the same way, by name: first in
``BUILTIN_REPORTERS``, then in the entry-point group ``runner.reporters`` of the installed
packages. An entry point names a factory (usually the class) that is called with a
``ReporterOptions`` and returns a listener (an object with ``on_event(event)``; an optional
``close()`` is called when the command ends, whatever happened). ``--reporter NAME[:PATH]``
picks them; without PATH a reporter writes to standard output. See docs/reports.md.

Events reach reporters already masked (runner.engine.emitter masks each one on its way out),
so a reporter writes what it is given; it streams: it keeps nothing per step that it could
write out at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from runner.core.errors import UsageError, close_matches
from runner.core.events import Event, Listener
from runner.reporters.console import ConsoleReporter
from runner.reporters.options import ReporterOptions

ENTRY_POINT_GROUP = "runner.reporters"

# name -> "module:attribute" of the factory; imported only when the reporter is asked for
BUILTIN_REPORTERS: dict[str, str] = {
    "console": "runner.reporters.console:create",
    "json": "runner.reporters.json:JsonReporter",
    "junit": "runner.reporters.junit:JUnitReporter",
    "html": "runner.reporters.html:HtmlReporter",
    "record": "runner.reporters.record:RecordReporter",
}


class Reporter(Listener, Protocol):
    """The plug-in contract: ``on_event`` for each event; ``close()`` is optional."""

    def on_event(self, event: Event) -> None: ...


ReporterFactory = Callable[[ReporterOptions], Listener]


@dataclass(frozen=True)
class ReporterSpec:
    """One ``--reporter NAME[:PATH]``."""

    name: str
    path: Path | None = None

    @property
    def to_stdout(self) -> bool:
        return self.path is None


def parse_spec(text: str) -> ReporterSpec:
    """``junit:out/report.xml`` -> ReporterSpec("junit", Path("out/report.xml")); ``-`` or
    no path means standard output."""
    name, sep, path = text.partition(":")
    name = name.strip()
    if not name:
        raise UsageError(f"--reporter {text!r}: a reporter name is missing", hint=_names_hint())
    if sep and not path:
        raise UsageError(f"--reporter {text!r}: the path after ':' is empty")
    return ReporterSpec(name, None if not sep or path == "-" else Path(path))


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points  # deferred: scanning packages takes time

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Every reporter name: the built-ins, then installed plug-ins."""
    return [*BUILTIN_REPORTERS, *(n for n in _entry_points() if n not in BUILTIN_REPORTERS)]


def _names_hint() -> str:
    return f"available reporters: {', '.join(available())}"


def load_factory(name: str) -> ReporterFactory:
    """The factory registered under ``name``; a UsageError (with a suggestion) if none."""
    target = BUILTIN_REPORTERS.get(name)
    if target is not None:
        module, _, attribute = target.partition(":")
        factory: ReporterFactory = getattr(importlib.import_module(module), attribute)
        return factory
    entry = _entry_points().get(name)
    if entry is None:
        names = available()
        close = close_matches(name, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"available: {', '.join(names)}"
        raise UsageError(f"unknown reporter {name!r}", hint=hint)
    try:
        loaded: ReporterFactory = entry.load()
    except Exception as exc:  # a broken plug-in must not look like a runner crash
        raise UsageError(
            f"reporter {name!r} ({entry.value}) could not be loaded: {exc}",
            hint=f"it is installed by the package that declares it in [{ENTRY_POINT_GROUP}]",
        ) from None
    return loaded


def create_reporters(specs: Sequence[ReporterSpec], options: ReporterOptions) -> list[Listener]:
    """Build the reporters of a run. The console reporter is added when no reporter writes to
    standard output. A path in a folder that does not exist is a UsageError (before the run)."""
    listeners: list[Listener] = []
    # `record` never writes to standard output: without a path it writes beside the collection
    stdout_names = [spec.name for spec in specs if spec.to_stdout and spec.name != "record"]
    if not stdout_names:
        listeners.append(create_console(options))
    if len(stdout_names) > 1:
        raise UsageError(
            f"reporters {', '.join(stdout_names)} would all write to standard output",
            hint="give all but one a file: --reporter NAME:PATH",
        )
    for spec in specs:
        factory = load_factory(spec.name)
        if spec.path is not None:
            folder = spec.path.parent
            if not folder.is_dir():
                raise UsageError(
                    f"--reporter {spec.name}:{spec.path}: the folder {folder} does not exist"
                )
        listeners.append(factory(_with_path(options, spec.path)))
    return listeners


def _with_path(options: ReporterOptions, path: Path | None) -> ReporterOptions:
    return ReporterOptions(
        redactor=options.redactor,
        stream=options.stream,
        path=path,
        collection=options.collection,
        verbosity=options.verbosity,
        colour=options.colour,
        environ=options.environ,
    )


def create_console(options: ReporterOptions) -> ConsoleReporter:
    from runner.reporters.console import create

    return create(options)


def close_all(listeners: Sequence[object]) -> None:
    """Call ``close()`` on every listener that has one (temporary files are removed)."""
    for listener in listeners:
        close = getattr(listener, "close", None)
        if close is not None:
            close()


__all__ = [
    "BUILTIN_REPORTERS",
    "ENTRY_POINT_GROUP",
    "ConsoleReporter",
    "Reporter",
    "ReporterFactory",
    "ReporterOptions",
    "ReporterSpec",
    "available",
    "close_all",
    "create_reporters",
    "load_factory",
    "parse_spec",
]
