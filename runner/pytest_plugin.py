"""pytest plugin: collection files under the test paths become test items.

Registered through the ``pytest11`` entry point as ``runner-collections`` (``-p
no:runner-collections`` turns it off; "runner" is pytest's own plugin's name).
It is inert unless a file under the paths pytest collects matches the globs (by default
``collections/**/*.yaml`` and ``*.runner.yaml``) or is named on the command line: this module
imports only pytest and the standard library; the engine is imported when a collection file is
found. One item per collection, its steps as sub-results (docs/python-api.md says why).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import ExceptionInfo, TerminalRepr, TracebackStyle

    from runner.api import EnvironmentLike
    from runner.core.model import Collection, Environment, PauseStep
    from runner.core.results import RunResult, StepResult
    from runner.explain import ExplainedRun

DEFAULT_GLOBS = ("collections/**/*.yaml", "*.runner.yaml")
MARKER = "runner"


# -- settings -----------------------------------------------------------------------------------
def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def glob_pattern(globs: Iterable[str]) -> re.Pattern[str]:
    """One regex for the globs, matched against the end of a path at a folder boundary:
    ``*`` stays within a folder, ``**/`` spans any number of folders (none included)."""
    alternatives: list[str] = []
    for glob in globs:
        out: list[str] = []
        i = 0
        while i < len(glob):
            if glob.startswith("**/", i):
                out.append("(?:[^/]*/)*")
                i += 3
            elif glob.startswith("**", i):
                out.append(".*")
                i += 2
            elif glob[i] == "*":
                out.append("[^/]*")
                i += 1
            elif glob[i] == "?":
                out.append("[^/]")
                i += 1
            else:
                out.append(re.escape(glob[i]))
                i += 1
        alternatives.append("".join(out))
    return re.compile(f"(?:^|/)(?:{'|'.join(alternatives) or '(?!)'})$")


@dataclass
class RunnerSettings:
    """The session's options: from the command line, else the ini file."""

    globs: tuple[str, ...]
    env_file: Path | None
    variables: dict[str, str]
    inputs: dict[str, str]
    pattern: re.Pattern[str] = field(init=False)
    _environment: Environment | None = field(default=None, init=False)
    _loaded: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.pattern = glob_pattern(self.globs)

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunnerSettings:
        ini_base = config.inipath.parent if config.inipath else config.rootpath
        env_option: str | None = config.getoption("runner_env")
        env_ini: str = config.getini("runner_env") or ""
        env_file = None
        if env_option:
            env_file = config.invocation_params.dir / env_option
        elif env_ini.strip():
            env_file = ini_base / env_ini.strip()
        globs = config.getoption("runner_glob") or config.getini("runner_globs")
        return cls(
            globs=tuple(globs),
            env_file=env_file,
            variables={
                **_ini_pairs(config, "runner_vars"),
                **dict(config.getoption("runner_var")),
            },
            inputs={
                **_ini_pairs(config, "runner_inputs"),
                **dict(config.getoption("runner_input")),
            },
        )

    def matches(self, path: Path, root: Path) -> bool:
        try:
            shown = path.relative_to(root).as_posix()
        except ValueError:
            shown = path.as_posix()
        return self.pattern.search(shown) is not None

    def environment(self) -> Environment | None:
        """The environment file, loaded on first use; raises LoadError."""
        if not self._loaded and self.env_file is not None:
            from runner.format.loader import load_environment

            self._environment = load_environment(self.env_file)
        self._loaded = True
        return self._environment


def _ini_pairs(config: pytest.Config, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in config.getini(name):
        try:
            key, value = _pair(line)
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"ini option {name}: {exc}") from None
        out[key] = value
    return out


SETTINGS = pytest.StashKey[RunnerSettings]()


# -- hooks --------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runner", "runner: collections of HTTP requests as tests")
    group.addoption(
        "--runner-env",
        metavar="FILE",
        default=None,
        help="environment file for the collections (ini: runner_env)",
    )
    group.addoption(
        "--runner-var",
        metavar="NAME=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="set a variable, highest precedence; repeat for more (ini: runner_vars)",
    )
    group.addoption(
        "--runner-input",
        metavar="NAME=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="answer a pause (or set RUNNER_INPUT_<NAME>); a collection whose pause has no "
        "value is skipped (ini: runner_inputs)",
    )
    group.addoption(
        "--runner-glob",
        metavar="GLOB",
        action="append",
        default=[],
        help=f"collect collection files matching GLOB; repeat for more (default: "
        f"{' '.join(DEFAULT_GLOBS)}; ini: runner_globs)",
    )
    parser.addini("runner_env", "runner: environment file, relative to the ini file", default="")
    parser.addini("runner_vars", "runner: variables, NAME=VALUE per line", type="linelist")
    parser.addini("runner_inputs", "runner: pause values, NAME=VALUE per line", type="linelist")
    parser.addini(
        "runner_globs",
        "runner: globs of collection files under the test paths",
        type="linelist",
        default=list(DEFAULT_GLOBS),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SETTINGS] = RunnerSettings.from_config(config)
    config.addinivalue_line("markers", f"{MARKER}: a collection of HTTP requests run by runner")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CollectionFile | None:
    if file_path.suffix not in (".yaml", ".yml") or file_path.stem.endswith(".tavern"):
        return None  # Tavern's tests (test_x.tavern.yaml) are its plugin's, even when named
    settings = parent.config.stash[SETTINGS]
    if parent.session.isinitpath(file_path) or settings.matches(file_path, parent.config.rootpath):
        return CollectionFile.from_parent(parent, path=file_path)
    return None


# -- nodes --------------------------------------------------------------------------------------
class RunnerFailure(Exception):
    """A run that did not pass; ``text`` reads like the CLI's report."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class CollectionFile(pytest.File):
    """A collection file: one item, named after the collection."""

    def collect(self) -> Iterator[CollectionItem]:
        from runner.explain import load_for_test

        collection, sources = load_for_test(self.path, self.config.invocation_params.dir)
        name = collection.name.replace("::", ":") or self.path.stem
        yield CollectionItem.from_parent(self, name=name, collection=collection, sources=sources)

    def repr_failure(  # type: ignore[override]
        self, excinfo: ExceptionInfo[BaseException]
    ) -> str | TerminalRepr:
        from runner.core.errors import RunnerError, format_error

        if isinstance(excinfo.value, RunnerError):
            return format_error(excinfo.value)
        return super().repr_failure(excinfo)


class CollectionItem(pytest.Item):
    """One collection, run from its first step to its last; its steps are sub-results."""

    def __init__(self, *, collection: Collection, sources: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.collection = collection
        self.sources = sources
        self._line = 0
        tags, names = _labels(collection)
        for tag in (MARKER, *tags):
            _register_marker(self.config, tag)
            self.add_marker(tag)
        self.extra_keyword_matches.update(names)

    def runtest(self) -> None:
        from runner.core.errors import RunnerError, format_error
        from runner.explain import ExplainedRun

        settings = self.config.stash[SETTINGS]
        try:
            environment = settings.environment()
        except RunnerError as exc:
            raise RunnerFailure(format_error(exc)) from None
        run = ExplainedRun(
            self.collection,
            environment,
            variables=settings.variables,
            inputs=settings.inputs,
            sources=self.sources,
        )
        try:
            execute(run, self._skip)
        finally:
            self._record(run)
        self.add_report_section("call", "runner", run.report_text())

    def _skip(self, pause: PauseStep) -> NoReturn:
        self._line = pause.loc.line - 1
        skipped = pytest.skip.Exception(how_to_answer(pause))
        skipped._use_item_location = True  # report the collection's file:line, not ours
        raise skipped

    def _record(self, run: ExplainedRun) -> None:
        """Each step as a property (JUnit XML shows them; xdist carries them)."""
        for step in run.result.steps if run.result is not None else ():
            self.user_properties.append(
                (f"step {step.index}", run.redactor.mask(step_summary(step)))
            )

    def repr_failure(
        self,
        excinfo: ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, RunnerFailure):
            return excinfo.value.text
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, self._line, f"collection: {self.name}"


def _labels(collection: Collection) -> tuple[list[str], set[str]]:
    """Tags (collection, folders, steps) for markers; step and folder names and ids for -k."""
    from runner.core.model import walk

    tags = list(collection.tags)
    names: set[str] = set()
    for step, _ in walk(collection.steps):
        tags.extend(t for t in step.tags if t not in tags)
        names.add(step.name)
        if step.id:
            names.add(step.id)
    return tags, names


def _register_marker(config: pytest.Config, name: str) -> None:
    """A tag is a marker; register it so ``--strict-markers`` accepts it."""
    known = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    if name not in known:
        config.addinivalue_line("markers", f"{name}: tag of a runner collection")


def step_summary(step: StepResult) -> str:
    name = " / ".join((*step.path, step.name))
    text = f"{step.status}: {name}"
    if step.kind == "request":
        text += f" — {step.method} {step.url}"
        if step.status_code is not None:
            text += f" → {step.status_code}"
        if step.elapsed_ms is not None:
            text += f" ({step.elapsed_ms:.0f} ms)"
    if step.error:
        text += f" — {step.error}"
    return text


def how_to_answer(pause: PauseStep) -> str:
    from runner.pause.prompts import input_env_name

    return (
        f"step '{pause.name}' ({pause.loc}) pauses for '{pause.variable}' and no value was "
        f"given: pass --runner-input {pause.variable}=VALUE (or a line "
        f"'{pause.variable}=VALUE' in the ini option runner_inputs), or set the environment "
        f"variable {input_env_name(pause.variable)}"
    )


def execute(run: ExplainedRun, skip: Callable[[PauseStep], NoReturn]) -> RunResult:
    """Prepare, skip when a pause has no value, run; a run that did not pass raises
    RunnerFailure with the CLI-like explanation."""
    from runner.core.errors import RunnerError

    try:
        run.prepare()
    except RunnerError as exc:
        raise RunnerFailure(run.error_text(exc)) from None
    pause = run.unanswered_pause()
    if pause is not None:
        skip(pause)
    result = run.run()
    if result.interrupted:
        raise KeyboardInterrupt
    if not result.ok:
        pause = run.missing_input(result)
        if pause is not None:
            skip(pause)
        raise RunnerFailure(run.explain())
    return result


# -- fixtures -----------------------------------------------------------------------------------
class RunnerRun(Protocol):
    """The ``runner_run`` fixture's call signature (for annotating tests)."""

    def __call__(
        self,
        collection: Collection | str | os.PathLike[str],
        *,
        env: EnvironmentLike | None = None,
        variables: Mapping[str, str] | None = None,
        inputs: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> RunResult: ...


@pytest.fixture(scope="session")
def runner_env(pytestconfig: pytest.Config) -> Environment | None:
    """The environment from ``--runner-env`` (or the ini option ``runner_env``), else None.

    ``runner_run`` uses it; override this fixture in a conftest.py to give another."""
    from runner.core.errors import RunnerError, format_error

    try:
        return pytestconfig.stash[SETTINGS].environment()
    except RunnerError as exc:
        raise _failed(format_error(exc)) from None


@pytest.fixture
def runner_run(pytestconfig: pytest.Config, runner_env: Environment | None) -> RunnerRun:
    """Run a collection from a test: ``result = runner_run("collections/users.yaml")``.

    Relative paths are from the rootdir. The session's ``--runner-var`` and ``--runner-input``
    apply (the call's own ``variables`` and ``inputs`` win). With ``check=True`` (the default)
    a run that does not pass fails the test with the CLI-like report, and a pause without a
    value skips it; with ``check=False`` the RunResult is returned whatever happened."""
    return _RunnerRun(pytestconfig, runner_env)


class _RunnerRun:
    def __init__(self, config: pytest.Config, environment: Environment | None) -> None:
        self.config = config
        self.environment = environment

    def __call__(
        self,
        collection: Collection | str | os.PathLike[str],
        *,
        env: EnvironmentLike | None = None,
        variables: Mapping[str, str] | None = None,
        inputs: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> RunResult:
        from runner.api import as_environment
        from runner.core.errors import RunnerError, format_error
        from runner.core.model import Collection
        from runner.explain import ExplainedRun, load_for_test

        settings = self.config.stash[SETTINGS]
        sources: dict[str, str] | None = None
        try:
            if isinstance(collection, Collection):
                loaded = collection
            else:
                path = self.config.rootpath / collection
                loaded, sources = load_for_test(path, self.config.invocation_params.dir)
            environment = self.environment if env is None else as_environment(env)
        except RunnerError as exc:
            raise _failed(format_error(exc)) from None
        run = ExplainedRun(
            loaded,
            environment,
            variables={**settings.variables, **(variables or {})},
            inputs={**settings.inputs, **(inputs or {})},
            sources=sources,
        )
        try:
            if not check:
                run.prepare()
                return run.run()
            return execute(run, _skip_test)
        except RunnerError as exc:
            raise _failed(run.error_text(exc)) from None
        except RunnerFailure as failure:
            raise _failed(failure.text) from None


def _failed(text: str) -> BaseException:
    """The test's failure, shown as ``text`` alone (raise it ``from None``: no chain)."""
    return pytest.fail.Exception(text, pytrace=False)


def _skip_test(pause: PauseStep) -> NoReturn:
    skipped = pytest.skip.Exception(how_to_answer(pause))
    skipped._use_item_location = True  # report the test's file:line, not the plugin's
    raise skipped
