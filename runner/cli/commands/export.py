"""``runner export FORMAT ...``: write collections in other tools' formats.

One sub-command per format: its arguments and where its result goes are here, the
conversion is the format's module (runner.formats). Add a format to ``EXPORTERS``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from runner.core.errors import ExitStatus

from ..arguments import Handler, Subparsers, add_collection_arguments, group_help
from ..console import Console

if TYPE_CHECKING:
    from runner.formats.results import Exported


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("export", help="write a collection in another tool's format")
    parser.set_defaults(handler=group_help(parser))
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, (help, add_arguments, handler) in EXPORTERS.items():
        fmt = formats.add_parser(name, help=help)
        add_arguments(fmt)
        fmt.set_defaults(handler=handler)


# --- openapi -----------------------------------------------------------------------------------


def openapi_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("collection", metavar="COLLECTION", help="the collection file (YAML)")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (default: standard output)"
    )
    parser.add_argument(
        "--format",
        choices=("yaml", "json"),
        help="default: from the output file's extension, else yaml",
    )
    show_secrets_argument(parser)


def export_openapi(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.openapi.exporter import OpenAPIExportOptions
    from runner.formats.openapi.exporter import export_openapi as convert

    output = Path(args.output) if args.output is not None else None
    options = OpenAPIExportOptions(args.collection, output, args.format, args.show_secrets)
    result = convert(options)
    if output is None:
        console.stdout.write(result.text)
        console.stdout.flush()
        return int(ExitStatus.OK)
    from runner.core.files import write_text

    write_text(output, result.text, secret=False)
    console.stdout.write(
        f"wrote {args.output}: {result.operations} operations in {result.paths} paths\n"
    )
    return int(ExitStatus.OK)


# --- curl --------------------------------------------------------------------------------------


def curl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print the curl command of each request step, rendered with the environment. Secrets "
        "are masked unless --show-secrets is given. Nothing is sent."
    )
    add_collection_arguments(parser)
    parser.add_argument(
        "--step", metavar="NAME", action="append", default=[],
        help="only this step (its name, id, or 'Folder / Name'); repeat for more",
    )  # fmt: skip
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print secrets (tokens, passwords, Authorization headers) as they are",
    )


def export_curl(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.curl.exporter import CurlExportOptions
    from runner.formats.curl.exporter import export_curl as convert

    text = convert(
        CurlExportOptions(
            args.collection,
            args.env,
            dict(args.var),
            list(args.step),
            show_secrets=args.show_secrets,
            environ=console.environ,
        )
    )
    console.stdout.write(text)
    return 0


# --- postman -----------------------------------------------------------------------------------


def postman_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write a collection as Postman Collection v2.1: expectations and captures become "
        "pm.test and pm.environment.set scripts, so it runs in Postman with the same checks."
    )
    parser.add_argument("collection", metavar="COLLECTION.yaml", help="the collection to export")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the JSON file to write (default: standard output)",
    )
    show_secrets_argument(parser)


def show_secrets_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="write the secrets the collection holds (credential headers, auth values, secret "
        "variables) as they are; masked by default",
    )


def export_postman(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.postman.exporter import export_postman as convert

    result = convert(args.collection, show_secrets=args.show_secrets)
    stream = write_output(args.output, result, console, what="Postman Collection v2.1")
    if result.notes:
        stream.write(f"left out or changed ({len(result.notes)}):\n")
        for item in result.notes:
            stream.write(f"  {item}\n")
    return int(ExitStatus.OK)


def environment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write an environment file as a Postman environment."
    parser.add_argument("environment", metavar="ENV.yaml", help="the environment to export")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="the JSON file to write (default: standard output)"
    )


def export_environment(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.postman.environment import export_postman_environment

    result = export_postman_environment(args.environment)
    stream = write_output(args.output, result, console, what="Postman environment")
    for item in result.notes:
        stream.write(f"  {item}\n")
    return int(ExitStatus.OK)


def write_output(output: str | None, result: Exported, console: Console, *, what: str) -> TextIO:
    """The JSON to ``-o`` (saying so) or to standard output; returns where the notes go
    (standard error when standard output holds the JSON)."""
    from runner.core.files import write_text

    if not output:
        console.stdout.write(result.text)
        return console.stderr
    write_text(Path(output), result.text, secret=result.secret)
    console.stdout.write(f"wrote {output}: {what}\n")
    return console.stdout


# Format name -> (help, add its arguments, handler), in the order of `runner export --help`.
EXPORTERS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "openapi": (
        "write an OpenAPI 3.1 description of a documented collection",
        openapi_arguments,
        export_openapi,
    ),
    "curl": (
        "print each request step as a curl command (secrets masked)",
        curl_arguments,
        export_curl,
    ),
    "postman": ("a Postman Collection v2.1 (JSON) file", postman_arguments, export_postman),
    "postman-environment": (
        "a Postman environment (JSON) file",
        environment_arguments,
        export_environment,
    ),
}
