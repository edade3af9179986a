"""The secrets a collection holds literally: what every output written from it without a run
must mask (``runner docs``, ``runner export``).

A run learns its secrets as it goes (runner.engine); a command that only reads the files has
to find them: the values of secret variables (marked, or named like one: ``password``,
``api_key``), credential headers (``Authorization``, ``X-Api-Key``...), auth passwords and
tokens, and token-request form fields (``client_secret``...), with plain ``<<name>>``
references filled in from the variables. Nothing is rendered: a value computed by a template
(``<< env('TOKEN') >>``) was never in the file, so there is nothing to find.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runner.core.model import Collection, Environment, Folder, RequestStep, walk
from runner.core.redact import SECRET_HEADER, Redactor, is_secret_name, token_request_secrets

_PLAIN_REF = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def literal_secrets_redactor(
    collection: Collection,
    environment: Environment | None = None,
    redactor: Redactor | None = None,
) -> Redactor:
    """``redactor`` (a new one by default) with every secret the files hold literally."""
    redactor = redactor if redactor is not None else Redactor()
    sources: list[tuple[Mapping[str, Any], frozenset[str]]] = [
        (collection.variables, collection.secrets)
    ]
    if environment is not None:
        sources.append((environment.variables, environment.secrets | collection.secrets))
    for variables, secrets in sources:
        for name in secrets:
            value = variables.get(name)
            if value is not None and "<<" not in _as_text(value):
                redactor.add(_as_text(value))
    plain = {**collection.variables, **(environment.variables if environment else {})}
    for name, value in plain.items():
        if is_secret_name(name) and "<<" not in _as_text(value):
            redactor.add(_as_text(value))
    for text in _credentials(collection):  # as a run masks them
        filled = _PLAIN_REF.sub(lambda m: _as_text(plain.get(m.group(1), m.group(0))), text)
        if "<<" not in filled:
            redactor.add(filled)
    return redactor


def _credentials(collection: Collection) -> list[str]:
    """Credential headers, auth passwords and tokens, and token-request form fields, as
    written (with placeholders)."""
    out: list[Any] = []
    auths = [collection.auth]
    for step, _ in walk(collection.steps):
        if isinstance(step, Folder | RequestStep):
            auths.append(step.auth)
        if isinstance(step, RequestStep):
            out += [h.value for h in step.headers if SECRET_HEADER.search(h.name)]
            if step.body is not None and step.body.kind == "form":
                pairs = [(p.name, p.value) for p in step.body.form if isinstance(p.value, str)]
                out += token_request_secrets(pairs)
    for auth in auths:
        if auth is not None:
            out += [auth.password, auth.token, auth.value]
    return [text for text in out if isinstance(text, str)]
