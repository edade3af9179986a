"""``runner export FORMAT ...``: write collections in other tools' formats.

Each exporter is a module with ``HELP: str``, ``add_arguments(parser)`` and
``run(args, console) -> int``; register it in ``EXPORTERS`` (format name -> module path).
Converters are named by direction (importers/postman.py, exporters/postman.py)."""

from __future__ import annotations

import argparse
import importlib

EXPORTERS: dict[str, str] = {
    "openapi": "runner.exporters.openapi",
    "curl": "runner.exporters.curl",
    "postman": "runner.exporters.postman",
    "postman-environment": "runner.exporters.postman_environment",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("export", help="write a collection in another tool's format")
    from runner.cli import group_help

    parser.set_defaults(handler=group_help(parser))
    formats = parser.add_subparsers(dest="format", metavar="FORMAT")
    for name, module_path in EXPORTERS.items():
        module = importlib.import_module(module_path)
        fmt = formats.add_parser(name, help=module.HELP)
        module.add_arguments(fmt)
        fmt.set_defaults(handler=module.run)
