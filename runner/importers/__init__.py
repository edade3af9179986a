"""``runner import FORMAT ...``: turn other tools' files into collections.

Each importer is a module with ``HELP: str``, ``add_arguments(parser)`` and
``run(args, console) -> int``; register it in ``IMPORTERS`` (format name -> module path).
Converters are named by direction (importers/postman.py, exporters/postman.py)."""

from __future__ import annotations

import argparse
import importlib

IMPORTERS: dict[str, str] = {
    "openapi": "runner.importers.openapi",
    "postman": "runner.importers.postman",
    "curl": "runner.importers.curl",
    "har": "runner.importers.har",
    "docs": "runner.importers.docs_page",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("import", help="make a collection from another tool's file")
    from runner.cli import group_help

    parser.set_defaults(handler=group_help(parser))
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, module_path in IMPORTERS.items():
        module = importlib.import_module(module_path)
        fmt = formats.add_parser(name, help=module.HELP)
        module.add_arguments(fmt)
        fmt.set_defaults(handler=module.run)
