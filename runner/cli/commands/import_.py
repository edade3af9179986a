"""``runner import FORMAT ...``: turn other tools' files into collections.

Each importer is a module with ``HELP: str``, ``add_arguments(parser)`` and
``run(args, console) -> int``; register it in ``IMPORTERS`` (format name -> module path).
Converters are named by direction (importers/postman.py, exporters/postman.py)."""

from __future__ import annotations

import argparse

IMPORTERS: dict[str, str] = {
    "openapi": "runner.formats.openapi.importer",
    "postman": "runner.formats.postman.importer",
    "curl": "runner.formats.curl.importer",
    "har": "runner.formats.har",
    "docs": "runner.formats.docs_page",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from runner.cli.main import register_formats

    register_formats(sub, "import", "make a collection from another tool's file", IMPORTERS)
