"""``runner run``: run a collection, with the console report (and other reporters)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from runner.core.limits import MAX_SECONDS, number_problem
from runner.http.transport import DEFAULT_TIMEOUT

from ..arguments import (
    Subparsers,
    _pair,
    _seconds,
    add_collection_arguments,
    add_input_argument,
    add_scale_arguments,
    whole_number,
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


# Newman's --reporter-<name>-<option> (its reporters' options): only -export has a meaning here
_REPORTER_OPTION = re.compile(r"--reporter-([a-z0-9]+)-([a-z0-9-]+)(?:=(.*))?\Z", re.DOTALL)


class RunParser(argparse.ArgumentParser):
    """``runner run``'s parser: an unknown option is refused here, with run's usage and a
    "did you mean" (argparse would leave it to the top-level parser, which names neither),
    and Newman's ``--reporter-<name>-export PATH`` options are taken whatever the name."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        exports: dict[str, str] = {}
        ignored: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(words):
            match = _REPORTER_OPTION.match(words[i])
            if match is None or words[i] == "--":
                rest.append(words[i])
                i += 1
                continue
            name, option, value = match.groups()
            if option == "export":
                if value is None:
                    if i + 1 >= len(words):
                        self.error(f"{words[i]} needs a PATH")
                    value = words[i + 1]
                    i += 1
                exports[name] = value
            else:
                ignored.append(words[i])
            i += 1
        parsed, extras = super().parse_known_args(rest, namespace)
        unknown = [word for word in extras if word.startswith("-") and word != "-"]
        if unknown:
            self.error(self._unknown_message(unknown[0]))
        if extras:
            self.error(f"unexpected argument {extras[0]!r}")
        if parsed.timeout is not None and parsed.timeout <= 0 and not _postman(parsed):
            self.error("argument --timeout: the timeout must be greater than 0")
        parsed.reporter_exports = exports
        parsed.reporter_ignored = ignored
        return parsed, []

    def _unknown_message(self, word: str) -> str:
        from runner.core.errors import close_matches

        flag = word.partition("=")[0]
        options = [o for action in self._actions for o in action.option_strings]
        close = close_matches(flag, options, n=1)
        hint = f"; did you mean {close[0]}?" if close else "; see runner run --help"
        return f"unknown option {flag}{hint}"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"runner run: error: {message}\n")


def _postman(args: argparse.Namespace) -> bool:
    from runner.formats import is_postman_source

    return is_postman_source(str(getattr(args, "collection", "")))


def _timeout(text: str) -> float:
    """Seconds per request (a YAML collection) or Newman's milliseconds for the whole run (a
    Postman one, where 0 is no limit): a number either way, checked against the kind later."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the timeout must be greater than 0")
    # a week, in the larger of the two units (Newman's milliseconds): inf would overflow the clock
    problem = number_problem(value, MAX_SECONDS * 1000, " (a week in milliseconds)")
    if problem is not None:
        raise argparse.ArgumentTypeError(f"the timeout {problem}")
    return value


def register(sub: Subparsers) -> None:
    run = sub.add_parser(
        "run",
        help="run a collection (YAML, or a Postman collection JSON as Newman runs it)",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.__class__ = RunParser  # add_parser builds the top-level parser's class
    add_collection_arguments(run)
    run.add_argument(
        "more",
        nargs="*",
        metavar="COLLECTION",
        help="more collections, or folders of them: each runs in turn (side by side with "
        "--parallel N), with its own reports; the exit status is the worst",
    )
    run.add_argument(
        "--merge-reports",
        action="store_true",
        help="with several collections: one JUnit, JSON or HTML file for all, not one each",
    )
    add_input_argument(run, "answer a pause without a terminal (or set RUNNER_INPUT_<NAME>)")
    run.add_argument(
        "--bail",
        nargs="?",
        const=True,
        default=False,
        metavar="folder,failure",
        help="stop at the first failed step (Newman's modifiers are accepted)",
    )
    run.add_argument(
        "--scripts",
        action="store_true",
        help="run imported Postman test scripts in a JavaScript sandbox (docs/scripts.md)",
    )
    run.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_timeout,
        help=f"per-request timeout, wall clock (default {DEFAULT_TIMEOUT:g}); for a Postman "
        "collection, Newman's meaning: the whole run's limit in milliseconds",
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
        "--color",
        choices=("on", "off", "auto"),
        default="auto",
        help="colour the console report: on, off or auto (on a terminal; the default)",
    )
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
    add_newman_arguments(run)
    add_resume_arguments(run)
    run.set_defaults(handler=cmd_run)


def add_newman_arguments(parser: argparse.ArgumentParser) -> None:
    """Newman's ``run`` options with Newman's meaning (docs/newman.md); ``-e``, ``-n``, ``-d``,
    ``--folder``, ``--bail``, ``--insecure``, ``--cookie-jar`` and ``--verbose`` are shared."""
    ms = whole_number(0)
    group = parser.add_argument_group("Newman's options (docs/newman.md)")
    group.add_argument("-g", "--globals", metavar="FILE", help="a Postman globals file")
    pair: dict[str, Any] = {"type": _pair, "action": "append", "default": []}
    group.add_argument(
        "--env-var", metavar="NAME=VALUE", **pair, help="set an environment variable"
    )
    group.add_argument(
        "--global-var", metavar="NAME=VALUE", **pair, help="set a global variable (lowest)"
    )
    group.add_argument(
        "-r",
        "--reporters",
        metavar="cli,json,junit,html",
        action="append",
        default=[],
        help="Newman's reporters (cli is the console); each writes to its "
        "--reporter-NAME-export PATH, or under newman/ like Newman",
    )
    group.add_argument(
        "-x",
        "--suppress-exit-code",
        action="store_true",
        help="exit 0 even when a step failed (exit 2 and 3 stay)",
    )
    group.add_argument(
        "--delay-request", metavar="MS", type=ms, help="wait MS milliseconds before each request"
    )
    group.add_argument(
        "--timeout-request", metavar="MS", type=whole_number(1), help="per-request timeout (ms)"
    )
    group.add_argument(
        "--timeout-script",
        metavar="MS",
        type=ms,
        help="accepted; the script sandbox's own limit applies (docs/scripts.md)",
    )
    group.add_argument("--ssl-client-cert", dest="cert", metavar="FILE", help="= --cert")
    group.add_argument("--ssl-client-key", dest="key", metavar="FILE", help="= --key")
    group.add_argument("--ssl-extra-ca-certs", dest="cacert", metavar="FILE", help="= --cacert")
    exports = (
        ("--export-environment", "the environment as the run left it (Postman JSON)"),
        ("--export-globals", "the globals (Postman JSON)"),
        ("--export-collection", "the Postman collection that ran"),
        ("--export-cookie-jar", "the cookies when the run ends (Netscape format)"),
    )
    for flag, what in exports:
        group.add_argument(flag, metavar="PATH", help=f"write {what} to PATH")
    group.add_argument(
        "--working-dir",
        metavar="DIR",
        help="where a Postman collection's relative file paths start (default: its folder)",
    )


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
    from runner.core.errors import UsageError

    from ..running import collection_files, run_many

    paths = collection_files([args.collection, *args.more])
    if len(paths) != 1:
        if args.watch or args.resume or args.from_step:
            raise UsageError("--watch, --resume and --from take one collection")
        return run_many(args, console, paths)
    args.collection = paths[0]
    if getattr(args, "watch", False):
        from ..watch import watch

        return watch(args, console)
    return run_collection(args, console)
