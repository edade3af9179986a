"""``runner schema KIND``: the JSON Schema of collections or environments, for editors.

Run as ``python -m runner.cli.commands.schema --write``, it is the developer's script that
regenerates the shipped ``runner/data/*.schema.json`` from the spec (runner.format.schema).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from runner.format.schema import KINDS

from ..arguments import Subparsers
from ..console import Console


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of collections or environments (for editors)",
        description="Print the JSON Schema that YAML language servers use to validate and "
        "complete collection or environment files (see docs/authoring.md).",
    )
    parser.add_argument("kind", choices=KINDS, help="which file's schema")
    parser.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead")
    parser.set_defaults(handler=cmd_schema)


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    from runner.format.schema import shipped

    text = shipped(args.kind)
    if args.output:
        from runner.core.files import write_atomic

        write_atomic(Path(args.output), text.encode("utf-8"), mode=0o644)
        console.stderr.write(f"wrote {args.output}\n")
    else:
        console.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``--write``: regenerate the shipped files from the loader; else print them."""
    from runner.format.schema import generate, shipped_path

    parser = argparse.ArgumentParser(prog="python -m runner.cli.commands.schema")
    parser.add_argument("--write", action="store_true", help="rewrite runner/data/*.schema.json")
    args = parser.parse_args(argv)
    for kind in KINDS:
        text = generate(kind)
        if args.write:
            shipped_path(kind).write_text(text, encoding="utf-8")
            print(f"wrote {shipped_path(kind)}")  # a developer's script
        else:
            sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
