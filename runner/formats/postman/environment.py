"""``runner export postman-environment ENV.yaml [-o FILE]``: a Postman environment (JSON).

Values keep their ``{{var}}`` references (``<<var>>`` written back); secret variables (named
like credentials or listed under ``secrets:``) get Postman's ``secret`` type, and a file that
holds their values is written with mode 0600.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from runner.core.errors import ExitStatus

if TYPE_CHECKING:
    from runner.cli.main import Console
    from runner.core.model import Environment
    from runner.formats.postman.script_export import Notes

HELP = "a Postman environment (JSON) file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write an environment file as a Postman environment."
    parser.add_argument("environment", metavar="ENV.yaml", help="the environment to export")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="the JSON file to write (default: standard output)"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    from runner.format.loader import load_environment
    from runner.formats.postman.exporter import write_output
    from runner.formats.postman.script_export import Notes

    environment = load_environment(args.environment)
    notes = Notes()
    document = export_environment(environment, notes)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    secret = any(v["type"] == "secret" and v["value"] not in ("", None) for v in document["values"])
    stream = write_output(args.output, text, console, secret=secret, what="Postman environment")
    for item in notes.items:
        stream.write(f"  {item}\n")
    return int(ExitStatus.OK)


def export_environment(environment: Environment, notes: Notes) -> dict[str, Any]:
    from runner.core.redact import is_secret_name
    from runner.formats.postman.script_export import to_postman

    values: list[dict[str, Any]] = []
    for name, value in environment.variables.items():
        if isinstance(value, str):
            text: Any = to_postman(value, name, notes)
        elif isinstance(value, dict | list):
            text = json.dumps(value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = "" if value is None else str(value)
        secret = name in environment.secrets or is_secret_name(name)
        values.append(
            {"key": name, "value": text, "type": "secret" if secret else "default", "enabled": True}
        )
    return {"name": environment.name, "values": values, "_postman_variable_scope": "environment"}
