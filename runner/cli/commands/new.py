"""``runner new [DIRECTORY]``: a collection, two environments and the editor schemas to start
from (runner.authoring.scaffold)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..arguments import Subparsers
from ..console import Console


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "new",
        help="create a collection and environments to start from (with editor schemas)",
        description="Create collections/NAME.yaml, environments/local.yaml and staging.yaml, "
        "and schemas/ for editor validation and completion, all commented.",
    )
    parser.add_argument("directory", nargs="?", default=".", help="where (default: .)")
    parser.add_argument("--name", default="API", help="the collection's name (default: API)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(handler=cmd_new)


def cmd_new(args: argparse.Namespace, console: Console) -> int:
    from runner.authoring.scaffold import create_files

    root = Path(args.directory)
    written = create_files(root, args.name, force=args.force)
    for path in written:
        console.stdout.write(f"created {path}\n")
    collection = next(path for path in written if path.parent.name == "collections")
    console.stdout.write(
        f"\nnext: runner check {collection} -e {root / 'environments/local.yaml'}\n"
        "editors: see docs/authoring.md for validation and completion\n"
    )
    return 0
