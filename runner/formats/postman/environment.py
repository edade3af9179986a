"""``runner export postman-environment ENV.yaml [-o FILE]``: a Postman environment (JSON).

Values keep their ``{{var}}`` references (``<<var>>`` written back); secret variables (named
like credentials or listed under ``secrets:``) get Postman's ``secret`` type, and a file that
holds their values is written with mode 0600.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.core.model import Environment
    from runner.formats.postman.script_export import Notes
    from runner.formats.results import Exported


def export_postman_environment(environment_path: str) -> Exported:
    """The environment at ``environment_path`` as a Postman environment (JSON), with what was
    changed; ``secret`` when it holds a secret value."""
    from runner.format.loader import load_environment
    from runner.formats.postman.script_export import Notes
    from runner.formats.results import Exported

    environment = load_environment(environment_path)
    notes = Notes()
    document = export_environment(environment, notes)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    secret = any(v["type"] == "secret" and v["value"] not in ("", None) for v in document["values"])
    return Exported(text, [str(item) for item in notes.items], secret=secret)


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
