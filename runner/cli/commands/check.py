"""``runner check``: validate a collection and its variables, and with ``--docs`` its requests
against their documentation; nothing is sent."""

from __future__ import annotations

import argparse
from typing import Literal, TextIO

from runner.core.errors import ExitStatus, RunnerError
from runner.core.model import BrowserStep, RequestStep
from runner.core.redact import Redactor
from runner.core.results import StepResult
from runner.engine.engine import Engine, RunOptions

from ..arguments import (
    Subparsers,
    add_collection_arguments,
    add_scale_arguments,
    load_inputs,
    scale_options,
)
from ..console import Console


def register(sub: Subparsers) -> None:
    check = sub.add_parser("check", help="validate a collection and its variables; send nothing")
    add_collection_arguments(check)
    check.add_argument(
        "--docs",
        action="store_true",
        help="also check that each request honours its documented parameters (type, "
        "required, enum), as far as can be known without sending",
    )
    check.add_argument(
        "--docs-check",
        choices=("error", "warn"),
        default="error",
        help="with --docs: whether a finding fails the check (error, exit 2) or is shown "
        "as a warning (warn, exit 0)",
    )
    add_scale_arguments(check, sending=False)
    check.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    collection, environment = load_inputs(args)
    redactor = Redactor()
    engine = Engine(
        collection,
        environment,
        RunOptions(
            variables=dict(args.var),
            environ=console.environ,
            **scale_options(args, console, collection.csv_values),
        ),
        redactor=redactor,
    )
    try:
        engine.prepare()
    except RunnerError as exc:
        console.error(exc, redactor)
        return int(exc.exit_status)
    if engine.options.data is not None:
        from ..running import warn_unused_columns

        warn_unused_columns(collection, environment, engine.options, console)
    env = f" with {environment.name}" if environment else ""
    if getattr(args, "docs", False):
        status = report_collection(engine, console.stdout, redactor, args.docs_check)
        if status != ExitStatus.OK:
            return int(status)
    console.stdout.write(
        f"ok: {collection.name}{env}: {len(engine.steps)} steps, every variable defined"
        + (", requests match their documentation" if getattr(args, "docs", False) else "")
        + "\n"
    )
    return int(ExitStatus.OK)


def report_collection(engine: Engine, out: TextIO, redactor: Redactor, mode: str) -> ExitStatus:
    """Print the findings of ``collection_issues``; INVALID when there are some and ``mode`` is
    ``error``, else OK."""
    from runner.engine.contracts import collection_issues
    from runner.reporters.console import ConsoleReporter

    issues = collection_issues(engine.steps, engine.prepare(), engine.renderer, engine.collection)
    if not issues:
        return ExitStatus.OK
    console = ConsoleReporter(out, redactor, colour=False, progress=False)
    label = "error" if mode == "error" else "warning"
    last: RequestStep | BrowserStep | None = None
    for step, issue in issues:  # not events: masked here, on their way out
        if step is not last:
            line = f"{label}: {step.name} ({step.loc}) does not match its documentation"
            out.write(redactor.mask(line) + "\n")
            last = step
        shown = redactor.mask_data(issue)
        console.write_check(shown, _as_result(step), "✘" if mode == "error" else "⚠", "red")
    steps = len({id(step) for step, _ in issues})
    out.write(
        f"{len(issues)} documentation finding{'s' if len(issues) != 1 else ''} "
        f"in {steps} step{'s' if steps != 1 else ''}\n"
    )
    out.flush()
    return ExitStatus.INVALID if mode == "error" else ExitStatus.OK


def _as_result(step: RequestStep | BrowserStep) -> StepResult:
    kind: Literal["request", "browser"] = "request" if isinstance(step, RequestStep) else "browser"
    return StepResult(0, step.name, kind, step.loc)
