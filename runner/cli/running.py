"""Running a collection with the console report: shared by ``runner run``, its ``--watch``
and ``runner demo``.

Why a module of its own: ``runner.cli.watch`` runs the collection again and again, and
``runner.cli.commands.run`` starts the watch; both import this, neither imports the other's
caller, so there is no import cycle.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from runner.core.errors import ExitStatus, RunnerError, Terminated
from runner.core.events import Listener
from runner.core.model import Collection, Environment
from runner.core.redact import Redactor
from runner.engine.engine import Engine, RunOptions
from runner.pause.prompts import Prompter, StandardPrompter, TerminalPrompter, is_interactive
from runner.reporters.output import held_signals

from .arguments import load_inputs, scale_options
from .console import Console

if TYPE_CHECKING:
    from runner.engine.resume import ResumeOptions


def run_collection(
    args: argparse.Namespace,
    console: Console,
    *,
    setup: Callable[[Engine], None] | None = None,
) -> int:
    """``runner run`` once (no ``--watch``). Without ``setup``, the resume options decide
    where to start, the saved state and saving this run's (runner.engine.resume)."""
    from .newman_options import NewmanPlan, plan_newman

    plan: NewmanPlan = plan_newman(args, console)
    if plan.loaded is not None:
        collection, environment = plan.loaded.collection, plan.loaded.environment
    else:
        collection, environment = load_inputs(args)
    collection = plan.adjust(collection)
    if setup is None:
        from runner.engine.resume import engine_setup

        setup = engine_setup(
            resume_options(args), collection, environment, console.environ, console.say
        )
    redactor = Redactor()
    options = RunOptions(
        variables=dict(args.var),
        bail=bool(args.bail),
        timeout=plan.request_timeout,
        open_browser=args.open,
        callback_timeout=args.callback_timeout,
        token_cache=not args.no_token_cache,
        environ=console.environ,
        keep_steps=False,  # reporters stream; only failures are kept (flat memory)
        docs_check=args.docs_check,
        scripts=getattr(args, "scripts", False),
        **{**scale_options(args, console, collection.csv_values), **plan.option_overrides()},
    )
    if options.data is not None:
        warn_unused_columns(collection, environment, options, console)
    status = execute(
        collection,
        environment,
        options,
        console,
        redactor,
        inputs=dict(args.input),
        colour=plan.colour,
        reporters=[*args.reporter, *plan.reporters],
        verbosity=-1 if args.quiet else (1 if args.verbose else 0),
        record=args.record,
        setup=setup,
        finish=plan.finish,
    )
    return plan.exit_status(status)


# Files in a folder that are not collections: Postman environments and globals, recorded examples
NOT_COLLECTIONS = (".postman_environment.json", ".postman_globals.json", ".examples.json")


def collection_files(arguments: Sequence[str]) -> list[str]:
    """The collections named, a folder standing for its ``*.yaml``, ``*.yml`` and ``*.json``
    files (sorted; environments, globals and recorded examples left out)."""
    from runner.core.errors import UsageError

    found: list[str] = []
    for argument in arguments:
        folder = Path(argument)
        if argument.lstrip().startswith("{") or not folder.is_dir():
            found.append(argument)
            continue
        inside = sorted(
            str(path)
            for path in folder.iterdir()
            if path.is_file()
            and path.suffix in (".yaml", ".yml", ".json")
            and not path.name.endswith(NOT_COLLECTIONS)
        )
        if not inside:
            raise UsageError(f"{argument}: a folder with no collection (.yaml, .yml, .json)")
        found.extend(inside)
    return found


def run_many(args: argparse.Namespace, console: Console, paths: Sequence[str]) -> int:
    """Several collections: each in turn, or ``--parallel N`` at a time (each with its own
    iterations one after another and its report printed whole, in the order given). Report
    files are one per collection (``out-NAME.xml``) or, with ``--merge-reports``, merged.
    The exit status is the worst of all."""
    from concurrent.futures import ThreadPoolExecutor

    from .multi import CollectionRun, merge_reports, per_collection, summary_line

    runs = [CollectionRun(path, per_collection(args, path, index)) for index, path in
            enumerate(paths)]  # fmt: skip
    side_by_side = args.parallel > 1
    if not side_by_side:
        for run in runs:
            run.status = run.run_direct(console, run_collection)
    else:
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            for run, status in zip(
                runs, pool.map(lambda r: r.run_buffered(console, run_collection), runs), strict=True
            ):
                run.status = status
        for run in runs:
            console.stdout.write(run.out)
            console.stderr.write(run.err)
    merge_reports(args, runs)
    console.stdout.write(summary_line(runs) + "\n")
    return max(run.status for run in runs)


def warn_unused_columns(
    collection: Collection, environment: Environment | None, options: RunOptions, console: Console
) -> None:
    """A data column no template reads is most often a misspelled one: say so (on stderr)."""
    from runner.engine.preparation import unused_columns
    from runner.render.templates import Renderer

    assert options.data is not None
    found = unused_columns(collection, environment, Renderer(options.environ), options.data)
    for column, close in found:
        hint = f" (did you mean '{close}'?)" if close else ""
        console.say(
            f"warning: {options.data.path}: column '{column}' is not used by the collection{hint}"
        )


def resume_options(args: argparse.Namespace) -> ResumeOptions:
    """``--resume``, ``--from`` and ``--no-state`` as runner.engine.resume takes them."""
    from runner.engine.resume import ResumeOptions

    return ResumeOptions(
        resume=bool(getattr(args, "resume", False)),
        from_step=getattr(args, "from_step", None),
        keep=not getattr(args, "no_state", False),
    )


def execute(
    collection: Collection,
    environment: Environment | None,
    options: RunOptions,
    console: Console,
    redactor: Redactor,
    *,
    inputs: Mapping[str, str] | None = None,
    colour: bool | None = None,
    prompter: Prompter | None = None,
    reporters: Sequence[str] = (),
    verbosity: int = 0,
    record: str | None = None,
    open_url: Callable[[str], object] | None = None,
    setup: Callable[[Engine], None] | None = None,
    finish: Callable[[Engine], None] | None = None,
    listeners: Sequence[Listener] = (),
) -> int:
    """Prepare (exit 2 on a template error, nothing sent), run with the console report (and
    the ``--reporter`` ones, runner.reporters), and return the run's exit status.

    ``setup(engine)`` runs before the engine prepares (runner.engine.resume: where to start, the
    saved state, the listener that saves it); its UsageError ends the command like prepare's.
    ``finish(engine)`` runs after the run (Newman's --export-* files); ``listeners`` hear the
    events after the reporters (``runner demo`` tells what its browser did after the line
    that says it was opened)."""
    if prompter is None:
        terminal = None
        if is_interactive(console.stdin, console.stdout, console.environ):
            terminal = TerminalPrompter(console.stdin, console.stdout)
        prompter = StandardPrompter(inputs, console.environ, terminal)
    from runner.reporters import (
        ReporterOptions,
        ReporterSpec,
        close_all,
        create_reporters,
        parse_spec,
    )

    specs = [parse_spec(text) for text in reporters]
    if record is not None:
        from runner.reporters.record import default_examples_path

        specs.append(ReporterSpec("record", Path(record or default_examples_path(collection.path))))
    heard = [*create_reporters(
        specs,
        ReporterOptions(
            redactor,
            console.stdout,
            collection=collection,
            verbosity=verbosity,
            colour=colour,
            environ=console.environ,
        ),
    ), *listeners]  # fmt: skip
    signals = Signals()
    status = int(ExitStatus.OK)
    with one_interrupt(signals):
        try:
            engine = Engine(
                collection, environment, options, prompter=prompter, listeners=heard,
                redactor=redactor, **({"open_url": open_url} if open_url is not None else {}),
            )  # fmt: skip
            try:
                if setup is not None:
                    setup(engine)
                engine.prepare()
            except RunnerError as exc:
                console.error(exc, redactor)
                return int(exc.exit_status)
            status = int(engine.run().exit_status)
            if finish is not None:
                finish(engine)
        finally:
            signals.raising = False  # the reports are being written: let them finish
            with held_signals():
                close_all(heard)
    return status if signals.first is None else int(signals.status())


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raised as Terminated (a KeyboardInterrupt) while the block runs: without a
    handler Python dies without running ``finally``."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Signals:
    """The first SIGINT or SIGTERM of a run: raised once (KeyboardInterrupt, or Terminated
    for SIGTERM) so the engine stops and reports; every later one, and any while the reports
    are written, is only noted, so that however many times Ctrl-C is pressed the reports
    are written whole (or not at all), never cut in the middle."""

    def __init__(self) -> None:
        self.first: int | None = None
        self.raising = True

    def handler(self, signum: int, frame: FrameType | None) -> None:
        if self.first is not None:
            return
        self.first = signum
        if self.raising:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    def status(self) -> ExitStatus:
        terminated = self.first == signal.SIGTERM
        return ExitStatus.TERMINATED if terminated else ExitStatus.INTERRUPTED


@contextmanager
def one_interrupt(signals: Signals) -> Iterator[Signals]:
    """SIGINT and SIGTERM handled by ``signals`` while the block runs (CI cancels with
    SIGTERM; without a handler Python dies without running ``finally``)."""
    try:
        previous = {
            number: signal.signal(number, signals.handler)
            for number in (signal.SIGINT, signal.SIGTERM)
        }
    except ValueError:  # not the main thread: leave signals alone
        yield signals
        return
    try:
        yield signals
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
