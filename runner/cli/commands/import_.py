"""``runner import FORMAT ...``: turn other tools' files into collections.

One sub-command per format: its arguments and how its result is shown are here, the
conversion is the format's module (runner.formats). Add a format to ``IMPORTERS``."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.core.errors import ExitStatus

from ..arguments import Handler, Subparsers, group_help
from ..console import Console

if TYPE_CHECKING:
    from runner.formats.postman.importer import ImportResult


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("import", help="make a collection from another tool's file")
    parser.set_defaults(handler=group_help(parser))
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, (help, add_arguments, handler) in IMPORTERS.items():
        fmt = formats.add_parser(name, help=help)
        add_arguments(fmt)
        fmt.set_defaults(handler=handler)


# --- openapi -----------------------------------------------------------------------------------


def openapi_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="the OpenAPI document (.yaml, .yml or .json)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the collection to write (default: collections/NAME.yaml, NAME from the title); "
        "the schemas go beside it as NAME.schemas.json",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def import_openapi(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.openapi.importer import OpenAPIImportOptions
    from runner.formats.openapi.importer import import_openapi as convert

    result = convert(
        OpenAPIImportOptions(
            Path(args.spec), Path(args.output) if args.output else None, force=args.force
        )
    )
    from runner.core.files import write_all

    write_all(result.files)
    console.stdout.write(
        f"wrote {result.collection} ({result.operations} requests in {result.folders} folders) "
        f"and {result.schemas}\n"
    )
    for note in result.notes:
        console.stdout.write(f"  note: {note}\n")
    if result.needed:
        names = ", ".join(result.needed)
        console.stdout.write(f"  give these in an environment or with --var: {names}\n")
    return int(ExitStatus.OK)


# --- postman -----------------------------------------------------------------------------------


def postman_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Convert a Postman collection into a runner collection (and its environments). "
        "Common test scripts become expect/capture; other scripts are kept and listed "
        "and run in Postman's own sandbox (`run_scripts: true`; --no-scripts: inert)."
    )
    parser.add_argument("collection", metavar="COLLECTION.json", help="the exported collection")
    parser.add_argument(
        "-e",
        "--environment",
        metavar="ENV.json",
        action="append",
        default=[],
        help="a Postman environment to convert too; repeat for more",
    )
    parser.add_argument("-g", "--globals", metavar="GLOBALS.json", help="Postman globals")
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=".",
        help="where collections/ and environments/ are written (default: here)",
    )
    parser.add_argument(
        "--host-var",
        metavar="ORIGIN=NAME",
        action="append",
        default=[],
        type=_host_var,
        help="write URLs that start with ORIGIN as <<NAME>>... so --var NAME=... can point "
        "them elsewhere (e.g. https://postman-echo.com=echo); repeat for more",
    )
    parser.add_argument(
        "--no-scripts",
        dest="run_scripts",
        action="store_false",
        help="keep Postman's scripts inert (without it: `run_scripts: true`, as Newman runs them)",
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every script statement kept"
    )


def _host_var(text: str) -> tuple[str, str]:
    origin, sep, name = text.rpartition("=")
    if not sep or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]+$", origin.rstrip("/")):
        raise argparse.ArgumentTypeError(f"expected ORIGIN=NAME (https://host=name), got {text!r}")
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise argparse.ArgumentTypeError(f"{name!r} is not a variable name")
    return origin.rstrip("/"), name


def import_postman(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.postman.importer import PostmanImportOptions
    from runner.formats.postman.importer import import_postman as convert

    result = convert(
        PostmanImportOptions(
            Path(args.collection),
            [Path(e) for e in args.environment],
            Path(args.globals) if args.globals else None,
            Path(args.output),
            host_vars=dict(args.host_var),
            force=args.force,
            run_scripts=args.run_scripts,
        )
    )
    from runner.core.files import write_all

    write_all(result.outputs)  # every file or none
    print_report(result, console, verbose=args.verbose)
    return int(ExitStatus.OK)


def print_report(result: ImportResult, console: Console, *, verbose: bool = False) -> None:
    """The report, through the redactor: script lines and notes may quote a secret."""
    from runner.core.redact import Redactor
    from runner.formats.postman.importer import secret_values

    report = result.report
    out = console.stdout
    redactor = Redactor(secret_values(result.outputs))

    def w(text: str) -> None:
        out.write(redactor.mask(text))

    w(f"Imported '{report.name}' (Postman Collection v{report.version})\n")
    collection_file = result.outputs[0].path
    w(f"  wrote {collection_file}: {report.requests} requests in {report.folders} folders\n")
    for path, count, secrets in result.environments:
        extra = f", {secrets} secret" if secrets else ""
        w(f"  wrote {path}: {count} variables{extra}\n")
    for output in result.outputs:
        if output.secret:
            w(f"  {output.path} holds secret values in plain text: written with mode 0600\n")
    w("\n")
    w(f"  requests    {report.requests} (all imported)\n")
    w(f"  folders     {report.folders}\n")
    w(
        f"  variables   {report.collection_variables} collection"
        f"{f', {report.scoped_variables} folder/request' if report.scoped_variables else ''}\n"
    )
    share = f"{report.translated_share:.0%}"
    w(
        f"  tests       {report.test_scripts} test scripts, {report.test_lines} lines: "
        f"{report.translated_lines} lines ({share}) became {report.checks} checks and "
        f"{report.captures} captures\n"
    )
    if report.prerequest_scripts:
        w(
            f"              {report.prerequest_scripts} pre-request scripts kept as they are "
            + (
                "(run: `run_scripts: true`)\n"
                if result.scripts_run
                else "(run by `runner run --scripts`)\n"
            )
        )
    kept = [k for k in report.kept if k.listen == "test"]
    if kept:
        how = (
            "run in Postman's sandbox: `run_scripts: true`"
            if result.scripts_run
            else "inert unless `runner run --scripts` runs them"
        )
        w(f"\n  kept as script ({len(kept)} statements; {how}, docs/scripts.md):\n")
        by_reason: dict[str, list[Any]] = {}
        for item in kept:
            by_reason.setdefault(item.reason, []).append(item)
        for reason, items in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
            w(f"    {reason}: {len(items)}\n")
            for item in items if verbose else items[:2]:
                w(f"      {item.where}, line {item.line}: {item.text}\n")
            if not verbose and len(items) > 2:
                w(f"      ... and {len(items) - 2} more (--verbose lists them)\n")
    notes = [*report.notes, *result.env_notes]
    if notes:
        w(f"\n  notes ({len(notes)}):\n")
        shown = notes if verbose else notes[:20]
        for note in shown:
            w(f"    {note.where}: {note.message}\n")
        if len(notes) > len(shown):
            w(f"    ... and {len(notes) - len(shown)} more (--verbose lists them)\n")
    if report.renamed:
        pairs = ", ".join(f"{k} -> {v}" for k, v in list(report.renamed.items())[:10])
        more = f" and {len(report.renamed) - 10} more" if len(report.renamed) > 10 else ""
        w(f"\n  renamed variables (names must be identifiers): {pairs}{more}\n")
    if report.undefined:
        w(f"\n  used but not defined here: {', '.join(report.undefined)}\n")
        w(
            "    (set by a kept script, or expected from an environment: pass --var NAME=VALUE "
            "or add them to an environment)\n"
        )
    out.flush()


# --- curl --------------------------------------------------------------------------------------


def curl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Make a request step from a curl command, as API documentation shows it. Quote the "
        "whole command, or pass it after the options; '-' (or nothing) reads it from "
        "standard input."
    )
    parser.add_argument(
        "--to", metavar="COLLECTION", help="append the step to this collection (created if new)"
    )
    parser.add_argument("--name", help="the step's name (default: METHOD /path)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the curl command")


def import_curl(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.curl.importer import command_step

    words = list(args.command)
    if not words or words == ["-"]:
        words = [console.stdin.read()]
    step, notes = command_step(words, args.name)
    _place_step(step, notes, args.to, console)
    return 0


def _place_step(step: dict[str, Any], notes: list[str], to: str | None, console: Console) -> None:
    """The notes, then the step's text, or where it went."""
    from runner.authoring.place import place_step

    for note in notes:
        console.stderr.write(f"note: {note}\n")
    placed = place_step(step, Path(to) if to else None)
    if to:
        verb = "created" if placed.created else "appended to"
        kind = "browser" if "browser" in step else "request"
        console.stderr.write(f"{verb} {to}: step '{step[kind]}'\n")
    else:
        console.stdout.write(placed.text or "")


# --- har ---------------------------------------------------------------------------------------


def har_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Make a collection from a browser recording (HAR): one step per request, with the "
        "recorded status as its expectation. Static assets are left out by default."
    )
    parser.add_argument("har", metavar="FILE", help="the .har file")
    parser.add_argument(
        "--to", metavar="COLLECTION", help="write the collection here (or append its steps)"
    )
    parser.add_argument("--name", help="the collection's name (default: the file's name)")
    parser.add_argument(
        "--include-static", action="store_true", help="keep images, scripts, styles, fonts"
    )
    parser.add_argument(
        "--keep-secrets",
        action="store_true",
        help="write credential headers as recorded instead of as variables",
    )


def import_har(args: argparse.Namespace, console: Console) -> int:
    from runner.authoring.place import save_collection
    from runner.formats.har import HarImportOptions, har_collection

    target = Path(args.to) if args.to else None
    options = HarImportOptions(
        Path(args.har),
        target,
        args.name,
        include_static=args.include_static,
        keep_secrets=args.keep_secrets,
    )
    collection, notes = har_collection(options)
    for note in notes:
        console.stderr.write(f"note: {note}\n")
    result = save_collection(collection, target, options.name or options.har.stem)
    if target is None:
        console.stdout.write(result.text or "")
    elif result.appended:
        console.stderr.write(f"appended {result.steps} steps to {target}\n")
    else:
        console.stderr.write(f"wrote {target}: {result.steps} steps\n")
    return 0


# --- docs --------------------------------------------------------------------------------------


def docs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Make a documented request step from an API documentation page exported as Markdown "
        "(a method and URL line, then PARAMS / HEADERS / BODY tables with Key, Datatype, "
        "Required and Description columns)."
    )
    parser.add_argument("page", metavar="PAGE.md", help="the documentation page")
    parser.add_argument(
        "--to", metavar="COLLECTION", help="append the step to this collection (created if new)"
    )
    parser.add_argument(
        "--kind", choices=("request", "browser"), help="the kind of step (default: guessed)"
    )


def import_docs(args: argparse.Namespace, console: Console) -> int:
    from runner.formats.docs_page import page_step

    step, notes = page_step(args.page, args.kind)
    _place_step(step, notes, args.to, console)
    return 0


# Format name -> (help, add its arguments, handler), in the order of `runner import --help`.
IMPORTERS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "openapi": (
        "make a collection from an OpenAPI 3.0 or 3.1 description (YAML or JSON)",
        openapi_arguments,
        import_openapi,
    ),
    "postman": (
        "a Postman collection (v2.0 or v2.1), with its environments and globals",
        postman_arguments,
        import_postman,
    ),
    "curl": (
        "make a step from a curl command (method, URL, headers, body, auth)",
        curl_arguments,
        import_curl,
    ),
    "har": (
        "make a collection from a browser recording (HAR), static assets left out",
        har_arguments,
        import_har,
    ),
    "docs": (
        "make a documented step from an API documentation page (Markdown, Qodex/Postman style)",
        docs_arguments,
        import_docs,
    ),
}
