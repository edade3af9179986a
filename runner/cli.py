"""The ``runner`` command: parse arguments, call the library, map the outcome to an exit code.

No business logic lives here. ``main(argv)`` returns the exit code so tests can call it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO

from runner import __version__
from runner.engine import Engine, RunOptions
from runner.errors import ExitStatus, RunnerError, format_error
from runner.loader import load_collection, load_environment
from runner.model import Collection, Environment
from runner.prompts import StandardPrompter, TerminalPrompter, is_interactive
from runner.redact import Redactor
from runner.reporters import ConsoleReporter
from runner.transport import DEFAULT_TIMEOUT

# Commands that live in their own modules: each module has register(subparsers), which adds
# its parser with set_defaults(handler=fn), fn(args, console) -> exit code. Keep their
# module-level imports light: every module here is imported on each start.
COMMAND_MODULES: tuple[str, ...] = (
    "runner.demo",
    "runner.importers",
    "runner.exporters",
)

EXIT_CODES_HELP = """\
exit codes:
  0    every step passed
  1    a request failed, an expectation did not hold, or a pasted value was refused
  2    the collection, environment or command line is invalid (nothing was sent)
  3    a pause needed a value and there was no terminal (pass --input NAME=VALUE)
  130  interrupted (Ctrl-C or SIGTERM); what ran is reported
"""


@dataclass
class Console:
    """The outside world of one command: streams and environment (injected by tests)."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def error(self, error: RunnerError, redactor: Redactor | None = None) -> None:
        text = format_error(error)
        self.stderr.write((redactor.mask(text) if redactor else text) + "\n")
        self.stderr.flush()


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the timeout must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runner",
        description="Run collections of HTTP requests written in YAML.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"runner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("collection", metavar="COLLECTION", help="the collection file (YAML)")
        p.add_argument("-e", "--env", metavar="ENV_FILE", help="an environment file (YAML)")
        p.add_argument(
            "--var",
            metavar="NAME=VALUE",
            type=_pair,
            action="append",
            default=[],
            help="set a variable (highest precedence); repeat for more",
        )

    run = sub.add_parser(
        "run",
        help="run a collection",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(run)
    run.add_argument(
        "--input",
        metavar="NAME=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="answer a pause without a terminal (or set RUNNER_INPUT_<NAME>)",
    )
    run.add_argument("--bail", action="store_true", help="stop at the first failed step")
    run.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per-request timeout, wall clock (default {DEFAULT_TIMEOUT:g})",
    )
    run.add_argument("--open", action="store_true", help="open browser steps in the system browser")
    run.add_argument("--no-color", action="store_true", help="plain output even on a terminal")

    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="validate a collection and its variables; send nothing")
    common(check)
    check.set_defaults(handler=cmd_check)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version exit 0; a usage error was printed
        return int(ExitStatus.OK) if exc.code in (0, None) else int(ExitStatus.INVALID)
    if args.command is None:
        parser.print_help(console.stdout)
        return int(ExitStatus.INVALID)
    handler: Callable[[argparse.Namespace, Console], int] | None = getattr(args, "handler", None)
    if handler is None:  # a command group such as `import` without its sub-command
        parser.parse_args([*(argv or sys.argv[1:]), "--help"])
        return int(ExitStatus.INVALID)
    try:
        return handler(args, console)
    except RunnerError as exc:
        console.error(exc)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        console.stderr.write("interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:  # `runner run ... | head`: the reader left; leave quietly
        if console.stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitStatus.FAILED)


def load_inputs(args: argparse.Namespace) -> tuple[Collection, Environment | None]:
    collection = load_collection(args.collection)
    environment = load_environment(args.env) if args.env else None
    return collection, environment


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    collection, environment = load_inputs(args)
    redactor = Redactor()
    engine = Engine(
        collection,
        environment,
        RunOptions(variables=dict(args.var), environ=console.environ),
        redactor=redactor,
    )
    try:
        engine.prepare()
    except RunnerError as exc:
        console.error(exc, redactor)
        return int(exc.exit_status)
    env = f" with {environment.name}" if environment else ""
    console.stdout.write(
        f"ok: {collection.name}{env}: {len(engine.steps)} steps, every variable defined\n"
    )
    return int(ExitStatus.OK)


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    collection, environment = load_inputs(args)
    redactor = Redactor()
    options = RunOptions(
        variables=dict(args.var),
        bail=args.bail,
        timeout=args.timeout,
        open_browser=args.open,
        environ=console.environ,
    )
    return execute(
        collection,
        environment,
        options,
        console,
        redactor,
        inputs=dict(args.input),
        colour=False if args.no_color else None,
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
    prompter: StandardPrompter | None = None,
) -> int:
    """Prepare (exit 2 on a template error, nothing sent), run with the console report, and
    return the run's exit status."""
    if prompter is None:
        terminal = None
        if is_interactive(console.stdin, console.stdout, console.environ):
            terminal = TerminalPrompter(console.stdin, console.stdout)
        prompter = StandardPrompter(inputs, console.environ, terminal)
    reporter = ConsoleReporter(console.stdout, redactor, colour=colour)
    engine = Engine(
        collection, environment, options, prompter=prompter, listeners=[reporter], redactor=redactor
    )
    try:
        engine.prepare()
    except RunnerError as exc:
        console.error(exc, redactor)
        return int(exc.exit_status)
    with _sigterm_as_interrupt():
        result = engine.run()
    return int(result.exit_status)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """CI cancels with SIGTERM; without a handler Python dies without running ``finally``."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
