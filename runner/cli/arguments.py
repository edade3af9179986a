"""The arguments several commands share, and the argparse types they use.

Each ``add_*`` helper adds options to a parser; the matching reader (``load_inputs``,
``scale_options``) turns the parsed values into what the library takes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from runner.core.errors import ExitStatus
from runner.core.limits import MAX_COUNT, MAX_PARALLEL, MAX_SECONDS, number_problem
from runner.core.model import Collection, Environment
from runner.format.loader import load_collection, load_environment

from .console import Console

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace, Console], int]


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
    problem = number_problem(value, MAX_SECONDS, " seconds (a week)")
    if problem is not None:  # inf would overflow the clock when waited for
        raise argparse.ArgumentTypeError(f"the timeout {problem}")
    return value


def whole_number(minimum: int, maximum: int = MAX_COUNT) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``minimum`` to ``maximum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {minimum} or more")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum:,}")
        return value

    return parse


_count = whole_number(1)
_threads = whole_number(1, MAX_PARALLEL)
_retries = whole_number(0)


def _size(text: str) -> int:
    from runner.core.sizes import UNITS_HINT, parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; {UNITS_HINT}") from None


def group_help(parser: argparse.ArgumentParser) -> Handler:
    """The handler of a command group (``runner import``) called without its sub-command."""

    def handler(args: argparse.Namespace, console: Console) -> int:
        console.stderr.write(parser.format_help())
        return int(ExitStatus.INVALID)

    return handler


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


def load_inputs(args: argparse.Namespace) -> tuple[Collection, Environment | None]:
    """The collection and the environment of ``add_collection_arguments``."""
    collection = load_collection(args.collection)
    environment = (
        load_environment(find_environment(args.env, args.collection)) if args.env else None
    )
    return collection, environment


def find_environment(name: str, collection: str) -> str:
    """``-e FILE``, or Bruno's ``--env local``: a bare name is looked up as
    ``environments/NAME.yaml`` beside the collection, above it, then in the current folder."""
    from runner.core.errors import UsageError

    if Path(name).exists() or "/" in name or "." in Path(name).name:
        return name
    here = Path(collection).parent
    folders = [here / "environments", here.parent / "environments", Path("environments")]
    tried: list[str] = []
    for folder in dict.fromkeys(folders):
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return str(candidate)
            tried.append(str(candidate))
    raise UsageError(
        f"-e {name}: no such file, and no environment named {name!r}",
        hint=f"tried {', '.join(tried)}",
    )


# --- data-driven, selective and parallel runs; how to reach servers (issue 6) ------------------


def add_scale_arguments(p: argparse.ArgumentParser, *, sending: bool) -> None:
    """Options of ``run`` (and, for what decides the variables and steps, ``check``)."""
    group = p.add_argument_group("iterations and selection")
    group.add_argument(
        "-d",
        "--data",
        "--iteration-data",
        dest="data",
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
        "--iteration-count",
        dest="iterations",
        metavar="N",
        type=_count,
        help="run N times (with --data: the first N rows, or the rows again from the first)",
    )
    group.add_argument(
        "--parallel",
        metavar="N",
        type=_threads,
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


def scale_options(
    args: argparse.Namespace, console: Console, csv_values: str = "text"
) -> dict[str, Any]:
    """The RunOptions fields of ``add_scale_arguments``; reads and checks the data file
    (``csv_values``: the collection's, how its CSV values are read)."""
    from runner.core.errors import UsageError
    from runner.http.transport import TransportOptions

    data = None
    if args.data:
        from runner.format.data import open_data  # only data-driven runs read CSV or JSON rows

        data = open_data(args.data, "newman" if csv_values == "newman" else "text")
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
