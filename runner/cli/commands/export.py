"""``runner export FORMAT ...``: write collections in other tools' formats.

Each exporter is a module with ``HELP: str``, ``add_arguments(parser)`` and
``run(args, console) -> int``; register it in ``EXPORTERS`` (format name -> module path).
Converters are named by direction (importers/postman.py, exporters/postman.py)."""

from __future__ import annotations

import argparse

EXPORTERS: dict[str, str] = {
    "openapi": "runner.formats.openapi.exporter",
    "curl": "runner.formats.curl.exporter",
    "postman": "runner.formats.postman.exporter",
    "postman-environment": "runner.formats.postman.environment",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from runner.cli.main import register_formats

    register_formats(sub, "export", "write a collection in another tool's format", EXPORTERS)
