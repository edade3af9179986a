"""``runner fmt [PATH]...``: rewrite collections and environments in the canonical style,
keeping comments (runner.authoring.fmt); ``--check`` for CI."""

from __future__ import annotations

import argparse

from ..arguments import Subparsers
from ..console import Console


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "fmt",
        help="rewrite collections and environments in the canonical style, keeping comments",
        description="Rewrite collection and environment files in a canonical key order and "
        "indentation, keeping comments and values exactly as written. Directories are "
        "searched for *.yaml and *.yml files that are collections or environments.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: .)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and list the files that are not formatted (for CI)",
    )
    parser.set_defaults(handler=cmd_fmt)


def cmd_fmt(args: argparse.Namespace, console: Console) -> int:
    from runner.authoring.fmt import format_paths

    changed = seen = 0
    failed = False
    for outcome in format_paths(args.paths, check=args.check):
        seen += outcome.seen
        if outcome.error is not None:
            console.error(outcome.error)
            failed = True
        elif outcome.changed:
            changed += 1
            verb = "would reformat" if args.check else "reformatted"
            console.stdout.write(f"{verb} {outcome.path}\n")
    verb = "would reformat" if args.check else "reformatted"
    console.stdout.write(
        f"{verb} {changed} of {seen} file{'s' if seen != 1 else ''}"
        + (", others failed (see above)" if failed else "")
        + "\n"
    )
    if failed:
        return 2
    return 1 if args.check and changed else 0
