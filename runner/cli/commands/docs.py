"""``runner docs COLLECTION``: API documentation written from a collection
(runner.authoring.docs), on standard output or as files."""

from __future__ import annotations

import argparse
from pathlib import Path

from runner.core.errors import ExitStatus

from ..arguments import Subparsers
from ..console import Console


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "docs",
        help="write API documentation from a collection (a page per request)",
        description="Write API documentation from a collection: a page per request with its "
        "method and URL, description, PARAMS / HEADERS / BODY tables, auth, an example curl "
        "command and example responses, and an index.",
    )
    parser.add_argument("collection", metavar="COLLECTION", help="the collection file (YAML)")
    parser.add_argument(
        "-e", "--env", metavar="ENV_FILE", help="an environment whose plain values fill the URLs"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="write index and pages into DIR (default: one document on standard output)",
    )
    parser.add_argument(
        "--format", choices=("markdown", "html"), default="markdown", help="default: markdown"
    )
    parser.add_argument(
        "--examples",
        metavar="FILE",
        help="recorded example responses (default: COLLECTION.examples.json, written by "
        "`runner run --record`, when it exists)",
    )
    parser.set_defaults(handler=cmd_docs)


def cmd_docs(args: argparse.Namespace, console: Console) -> int:
    from runner.authoring.docs import DocsOptions, write_docs

    output = Path(args.output) if args.output is not None else None
    result = write_docs(DocsOptions(args.collection, args.env, output, args.format, args.examples))
    if output is None:
        console.stdout.write(result.text or "")
        console.stdout.flush()
        return int(ExitStatus.OK)
    written = result.written
    console.stdout.write(
        f"wrote {len(written)} files to {output}: {', '.join(p.name for p in written)}\n"
    )
    return int(ExitStatus.OK)
