"""``runner run``: run a collection, with the console report (and other reporters)."""

from __future__ import annotations

import argparse

from runner.http.transport import DEFAULT_TIMEOUT

from ..arguments import (
    Subparsers,
    _seconds,
    add_collection_arguments,
    add_input_argument,
    add_scale_arguments,
)
from ..console import Console
from ..running import run_collection

EXIT_CODES_HELP = """\
exit codes:
  0    every step passed
  1    a request failed, an expectation did not hold, or a pasted value was refused
  2    the collection, environment or command line is invalid (nothing was sent)
  3    a pause needed a value and there was no terminal (pass --input NAME=VALUE)
  70   internal error: a bug in runner (please report it); what ran is reported
  130  interrupted (Ctrl-C); what ran is reported
  143  terminated (SIGTERM, as CI cancels); what ran is reported
"""


def register(sub: Subparsers) -> None:
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
    add_resume_arguments(run)
    run.set_defaults(handler=cmd_run)


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    """``runner run``'s options for resuming and watching (runner.engine.resume, cli.watch)."""
    group = parser.add_argument_group("resuming and watching")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--resume",
        action="store_true",
        help="continue the last run of this collection and environment after its last step "
        "that passed, with its saved variables, captures and cookies",
    )
    where.add_argument(
        "--from",
        dest="from_step",
        metavar="STEP",
        help="start at this step (name, id or 'Folder / Name') with the saved state",
    )
    group.add_argument(
        "--no-state",
        action="store_true",
        help="do not save this run's state (for --resume) in the user's state directory",
    )
    group.add_argument(
        "--watch",
        action="store_true",
        help="run again when the collection or environment changes (Ctrl-C to stop)",
    )


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    if getattr(args, "watch", False):
        from ..watch import watch

        return watch(args, console)
    return run_collection(args, console)
