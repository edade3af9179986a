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
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from runner import __version__
from runner.core.errors import ExitStatus, RunnerError, format_error
from runner.core.model import Collection, Environment
from runner.core.redact import Redactor
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import load_collection, load_environment
from runner.http.transport import DEFAULT_TIMEOUT
from runner.pause.prompts import StandardPrompter, TerminalPrompter, is_interactive

# Commands that live in their own modules: each module has register(subparsers), which adds
# its parser with set_defaults(handler=fn), fn(args, console) -> exit code. Keep their
# module-level imports light: every module here is imported on each start.
COMMAND_MODULES: tuple[str, ...] = (
    "runner.cli.commands.demo",
    "runner.cli.commands.import_",
    "runner.cli.commands.export",
    "runner.authoring.docs",
    "runner.format.schema",
    "runner.authoring.fmt",
    "runner.authoring.scaffold",
    "runner.cli.commands.auth",
    "runner.cli.commands.load",
)

CORE_COMMANDS = ("run", "check")  # defined here: `runner run` imports no command module

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


def add_collection_arguments(p: argparse.ArgumentParser) -> None:
    """COLLECTION, ``-e/--env`` and ``--var``: what every command that renders one takes."""
    p.add_argument("collection", metavar="COLLECTION", help="the collection file (YAML)")
    add_variable_arguments(p)


def add_variable_arguments(p: argparse.ArgumentParser) -> None:
    """``-e/--env`` and ``--var``, read back by ``load_inputs`` and ``dict(args.var)``."""
    p.add_argument("-e", "--env", metavar="ENV_FILE", help="an environment file (YAML)")
    p.add_argument(
        "--var",
        metavar="NAME=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="set a variable (highest precedence); repeat for more",
    )


def add_input_argument(p: argparse.ArgumentParser, help: str) -> None:
    """``--input NAME=VALUE`` (repeatable): a pause's answer; ``help`` says when it is used."""
    p.add_argument(
        "--input", metavar="NAME=VALUE", type=_pair, action="append", default=[], help=help
    )


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

    run = sub.add_parser(
        "run",
        help="run a collection",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_collection_arguments(run)
    add_input_argument(run, "answer a pause without a terminal (or set RUNNER_INPUT_<NAME>)")
    run.add_argument("--bail", action="store_true", help="stop at the first failed step")
    run.add_argument(
        "--scripts",
        action="store_true",
        help="run imported Postman test scripts in a JavaScript sandbox (docs/scripts.md)",
    )
    run.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per-request timeout, wall clock (default {DEFAULT_TIMEOUT:g})",
    )
    run.add_argument(
        "--open",
        action="store_true",
        help="open browser steps and OAuth authorization in the system browser",
    )
    run.add_argument(
        "--callback-timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long a loopback redirect URI waits for the browser (default 300)",
    )
    run.add_argument(
        "--no-token-cache",
        action="store_true",
        help="keep OAuth tokens for this run only (see `runner auth list`)",
    )
    run.add_argument("--no-color", action="store_true", help="plain output even on a terminal")
    run.add_argument(
        "--reporter",
        metavar="NAME[:PATH]",
        action="append",
        default=[],
        help="also report with NAME (console, json, junit, html, or a plug-in) to PATH, or to "
        "standard output without one (instead of the console); repeat for more",
    )
    loudness = run.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="show only steps that did not pass"
    )
    loudness.add_argument(
        "-v", "--verbose", action="store_true", help="show request and response headers and bodies"
    )
    run.add_argument(
        "--record",
        metavar="FILE",
        nargs="?",
        const="",
        default=None,
        help="keep each response as an example for `runner docs` "
        "(default file: COLLECTION.examples.json beside the collection)",
    )
    run.add_argument(
        "--docs-check",
        choices=("error", "warn", "off"),
        default="warn",
        help="a request that breaks its documentation (a required parameter missing, a value "
        "of the wrong type): error (not sent), warn (sent; the default) or off",
    )
    add_scale_arguments(run, sending=True)
    from runner.engine.resume import add_run_arguments  # --resume, --from, --no-state, --watch

    add_run_arguments(run)

    run.set_defaults(handler=cmd_run)

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
    handler: Callable[[argparse.Namespace, Console], int] | None = getattr(args, "handler", None)
    if handler is None:  # no command at all
        parser.print_help(console.stderr)
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


def group_help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace, Console], int]:
    """The handler of a command group (``runner import``) called without its sub-command."""

    def handler(args: argparse.Namespace, console: Console) -> int:
        console.stderr.write(parser.format_help())
        return int(ExitStatus.INVALID)

    return handler


def register_formats(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    command: str,
    help: str,
    registry: Mapping[str, str],
) -> None:
    """A command group with one sub-command per format (``runner import postman``). Each
    format's module has ``HELP``, ``add_arguments(parser)`` and ``run(args, console)``."""
    parser = sub.add_parser(command, help=help)
    parser.set_defaults(handler=group_help(parser))
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, module_path in registry.items():
        module = importlib.import_module(module_path)
        fmt = formats.add_parser(name, help=module.HELP)
        module.add_arguments(fmt)
        fmt.set_defaults(handler=module.run)


def load_inputs(args: argparse.Namespace) -> tuple[Collection, Environment | None]:
    """The collection and the environment of ``add_collection_arguments``."""
    collection = load_collection(args.collection)
    environment = load_environment(args.env) if args.env else None
    return collection, environment


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    collection, environment = load_inputs(args)
    redactor = Redactor()
    engine = Engine(
        collection,
        environment,
        RunOptions(
            variables=dict(args.var), environ=console.environ, **scale_options(args, console)
        ),
        redactor=redactor,
    )
    try:
        engine.prepare()
    except RunnerError as exc:
        console.error(exc, redactor)
        return int(exc.exit_status)
    env = f" with {environment.name}" if environment else ""
    if getattr(args, "docs", False):
        from runner.engine.contracts import report_collection

        status = report_collection(engine, console.stdout, redactor, args.docs_check)
        if status != ExitStatus.OK:
            return int(status)
    console.stdout.write(
        f"ok: {collection.name}{env}: {len(engine.steps)} steps, every variable defined"
        + (", requests match their documentation" if getattr(args, "docs", False) else "")
        + "\n"
    )
    return int(ExitStatus.OK)


def cmd_run(
    args: argparse.Namespace,
    console: Console,
    *,
    setup: Callable[[Engine], None] | None = None,
) -> int:
    if getattr(args, "watch", False):
        from runner.cli.watch import watch

        return watch(args, console)
    collection, environment = load_inputs(args)
    if (
        setup is None
    ):  # where to start, the saved state, and saving this run's (runner.engine.resume)
        from runner.engine.resume import engine_setup

        setup = engine_setup(args, collection, environment, console.environ, _say_to(console))
    redactor = Redactor()
    options = RunOptions(
        variables=dict(args.var),
        bail=args.bail,
        timeout=args.timeout,
        open_browser=args.open,
        callback_timeout=args.callback_timeout,
        token_cache=not args.no_token_cache,
        environ=console.environ,
        keep_steps=False,  # reporters stream; only failures are kept (flat memory)
        docs_check=args.docs_check,
        scripts=getattr(args, "scripts", False),
        **scale_options(args, console),
    )
    return execute(
        collection,
        environment,
        options,
        console,
        redactor,
        inputs=dict(args.input),
        colour=False if args.no_color else None,
        reporters=args.reporter,
        verbosity=-1 if args.quiet else (1 if args.verbose else 0),
        record=args.record,
        setup=setup,
    )


def _say_to(console: Console) -> Callable[[str], None]:
    """A line of information for the person, on standard error."""

    def say(text: str) -> None:
        console.stderr.write(text + "\n")

    return say


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
    reporters: Sequence[str] = (),
    verbosity: int = 0,
    record: str | None = None,
    open_url: Callable[[str], object] | None = None,
    setup: Callable[[Engine], None] | None = None,
) -> int:
    """Prepare (exit 2 on a template error, nothing sent), run with the console report (and
    the ``--reporter`` ones, runner.reporters), and return the run's exit status.

    ``setup(engine)`` runs before the engine prepares (runner.engine.resume: where to start, the
    saved state, the listener that saves it); its UsageError ends the command like prepare's."""
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
    listeners = create_reporters(
        specs,
        ReporterOptions(
            redactor,
            console.stdout,
            collection=collection,
            verbosity=verbosity,
            colour=colour,
            environ=console.environ,
        ),
    )
    try:
        engine = Engine(
            collection, environment, options, prompter=prompter, listeners=listeners,
            redactor=redactor, **({"open_url": open_url} if open_url is not None else {}),
        )  # fmt: skip
        try:
            if setup is not None:
                setup(engine)
            engine.prepare()
        except RunnerError as exc:
            console.error(exc, redactor)
            return int(exc.exit_status)
        with _sigterm_as_interrupt():
            result = engine.run()
        return int(result.exit_status)
    finally:
        close_all(listeners)


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


# --- data-driven, selective and parallel runs; how to reach servers (issue 6) ------------------


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more")
        return value

    return parse


_count = whole_number(1)
_retries = whole_number(0)


def _size(text: str) -> int:
    from runner.core.sizes import UNITS_HINT, parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; {UNITS_HINT}") from None


def add_scale_arguments(p: argparse.ArgumentParser, *, sending: bool) -> None:
    """Options of ``run`` (and, for what decides the variables and steps, ``check``)."""
    group = p.add_argument_group("iterations and selection")
    group.add_argument(
        "-d",
        "--data",
        metavar="FILE",
        help="run once per row of a CSV (with a header row) or JSON (array of objects) file; "
        "the row's values are variables, above the environment and below --var",
    )
    group.add_argument(
        "--folder",
        metavar="NAME",
        action="append",
        default=[],
        help="run only the steps inside this folder (name or id); repeat for more",
    )
    group.add_argument(
        "--tag", metavar="TAG", action="append", default=[], help="run only steps with this tag"
    )
    group.add_argument(
        "--exclude-tag", metavar="TAG", action="append", default=[], help="leave out these steps"
    )
    if not sending:
        return
    group.add_argument(
        "-n",
        "--iterations",
        metavar="N",
        type=_count,
        help="run N times (with --data: the first N rows, or the rows again from the first)",
    )
    group.add_argument(
        "--parallel",
        metavar="N",
        type=_count,
        default=1,
        help="run N iterations at once; each keeps its steps in order and its own variables, "
        "and the report stays in iteration order",
    )
    group.add_argument(
        "--run-timeout",
        metavar="SECONDS",
        type=_seconds,
        help="stop the run when it has taken this long (what ran is reported; exit 1)",
    )
    group.add_argument(
        "--file-root",
        metavar="DIR",
        action="append",
        default=[],
        help="let multipart file parts read files in DIR (besides the collection's folder)",
    )
    net = p.add_argument_group("connections")
    net.add_argument(
        "--cookie-jar",
        metavar="FILE",
        help="start with the cookies of FILE (Netscape format, as curl writes) and save the "
        "cookies there when the run ends (mode 0600)",
    )
    net.add_argument("--cacert", metavar="FILE", help="trust the CA certificates in FILE (PEM)")
    net.add_argument("--cert", metavar="FILE", help="a TLS client certificate (PEM)")
    net.add_argument("--key", metavar="FILE", help="the private key of --cert, if not in it")
    net.add_argument(
        "-k",
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (prints a warning; for test servers only)",
    )
    net.add_argument(
        "--proxy",
        metavar="URL",
        help="send every request through this proxy (default: HTTP_PROXY, HTTPS_PROXY, "
        "ALL_PROXY from the environment)",
    )
    net.add_argument(
        "--no-proxy",
        metavar="HOSTS",
        help="comma-separated hosts to reach directly (default: NO_PROXY)",
    )
    net.add_argument(
        "--retries",
        metavar="N",
        type=_retries,
        help="send an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) up to N more times "
        "after a connection error, 429 or 503, honouring Retry-After (default 0: off; a "
        "collection's or step's `retries` key wins)",
    )
    net.add_argument(
        "--max-response-size",
        metavar="SIZE",
        type=_size,
        help="stop reading a response larger than SIZE (e.g. 10MB, 512KiB; default 50MiB; "
        "a collection's or step's `max_response_size` key wins)",
    )


def scale_options(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """The RunOptions fields of ``add_scale_arguments``; reads and checks the data file."""
    from runner.core.errors import UsageError
    from runner.http.transport import TransportOptions

    data = None
    if args.data:
        from runner.format.data import open_data  # only data-driven runs read CSV or JSON rows

        data = open_data(args.data)
    options: dict[str, Any] = {
        "data": data,
        "folders": tuple(args.folder),
        "tags": tuple(args.tag),
        "exclude_tags": tuple(args.exclude_tag),
    }
    if not hasattr(args, "parallel"):  # `check`
        return options
    for flag in ("cacert", "cert", "key"):
        value = getattr(args, flag)
        if value and not Path(value).is_file():
            raise UsageError(f"--{flag} {value}: no such file")
    if args.key and not args.cert:
        raise UsageError("--key needs --cert (the certificate it belongs to)")
    if args.insecure:
        console.stderr.write(
            "warning: --insecure: TLS certificates are not verified; anyone on the network "
            "path can read and change this run's traffic\n"
        )
    options.update(
        iterations=args.iterations,
        parallel=args.parallel,
        run_timeout=args.run_timeout,
        cookie_jar=args.cookie_jar,
        file_roots=tuple(args.file_root),
        retries=getattr(args, "retries", None),
        max_response_size=getattr(args, "max_response_size", None),
        transport=TransportOptions(
            verify=not args.insecure,
            cacert=args.cacert,
            cert=args.cert,
            key=args.key,
            proxy=args.proxy,
            no_proxy=args.no_proxy,
            environ=console.environ,
        ),
    )
    return options
