"""The ``runner`` command: build the parser, dispatch, map the outcome to an exit code.

No business logic lives here. ``main(argv)`` returns the exit code so tests can call it.
Each command is a module of ``runner.cli.commands`` with ``register(subparsers)``, which adds
its parser with ``set_defaults(handler=fn)``, ``fn(args, console) -> exit code``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from runner.core.errors import ExitStatus, RunnerError, Terminated
from runner.core.version import __version__

from .arguments import Handler
from .commands import check, run
from .commands.run import EXIT_CODES_HELP
from .console import Console

# The commands besides run and check, in the order of ``runner --help``. Keep their
# module-level imports light: every module here is imported on each start but run's and check's.
COMMAND_MODULES: tuple[str, ...] = (
    "runner.cli.commands.demo",
    "runner.cli.commands.import_",
    "runner.cli.commands.export",
    "runner.cli.commands.docs",
    "runner.cli.commands.schema",
    "runner.cli.commands.fmt",
    "runner.cli.commands.new",
    "runner.cli.commands.auth",
    "runner.cli.commands.load",
)

CORE_COMMANDS = ("run", "check")  # `runner run` imports no other command module


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given ``run`` or ``check`` (the command about to run), without the
    commands of COMMAND_MODULES, whose imports would only slow the start."""
    parser = argparse.ArgumentParser(
        prog="runner",
        description="Run collections of HTTP requests written in YAML.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"runner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run.register(sub)
    check.register(sub)
    if command not in CORE_COMMANDS:
        for module in COMMAND_MODULES:
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words else None)
    try:  # argparse prints to sys.stdout/sys.stderr: point those at the console's streams
        with redirect_stdout(console.stdout), redirect_stderr(console.stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version exit 0; a usage error was printed
        return int(ExitStatus.OK) if exc.code in (0, None) else int(ExitStatus.INVALID)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # no command at all
        parser.print_help(console.stderr)
        return int(ExitStatus.INVALID)
    try:
        return handler(args, console)
    except RunnerError as exc:
        console.error(exc)
        return int(exc.exit_status)
    except Terminated:
        console.stderr.write("terminated\n")
        return int(ExitStatus.TERMINATED)
    except KeyboardInterrupt:
        console.stderr.write("interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:  # `runner run ... | head`: the reader left; leave quietly
        if console.stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitStatus.FAILED)
    except Exception as exc:  # a bug: one line, not a traceback, and its own exit code
        console.stderr.write(f"error: {internal_error(exc)}\n")
        return int(ExitStatus.INTERNAL)


def internal_error(exc: BaseException) -> str:
    """A bug's one-line report: the exception and the runner's line it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/runner/" in f.filename.replace("\\", "/")]
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    text = str(exc).splitlines()[0] if str(exc) else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"internal error{where} (a bug in runner; please report it): {what}"


__all__ = ["Console", "build_parser", "main"]
