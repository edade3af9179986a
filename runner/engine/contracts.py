"""Documentation checks: does a request honour what its collection documents about it?

A parameter, header, form field or JSON body field documented ``required: true`` must be
sent and not empty; a sent value must fit its documented ``type`` and ``enum``. The engine
checks each rendered request before sending it (``--docs-check error|warn|off``), and
``runner check --docs`` checks what can be known without sending anything. Each finding is a
failed CheckResult located at the documentation's file:line, so reports show it like any
failed expectation. Response schemas are the other half of the contract (``checks.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx

from runner.core.errors import RenderError
from runner.core.model import BrowserStep, Collection, Param, RequestStep
from runner.core.results import CheckResult
from runner.engine.steps import Selected, effective_auth
from runner.http.transport import PreparedRequest
from runner.render.scope import Scope, template_strings
from runner.render.templates import Renderer

_INTEGER = re.compile(r"^[-+]?[0-9]+$")
_BOOLEAN = ("true", "false")


@dataclass(frozen=True, slots=True)
class Sent:
    """What a request sends, by place; a name in ``unknown`` has a value not known yet."""

    query: Sequence[tuple[str, str]] = ()
    headers: Sequence[tuple[str, str]] = ()
    form: Sequence[tuple[str, str]] | None = None
    json: Any = None
    json_known: bool = False
    unknown: frozenset[str] = frozenset()


def check_request(step: RequestStep | BrowserStep, sent: Sent) -> list[CheckResult]:
    """Every way the request differs from its documentation (empty when it honours it)."""
    issues = check_params(step.params, sent.query, "query parameter", unknown=sent.unknown)
    if isinstance(step, RequestStep):
        issues += check_params(
            step.headers, sent.headers, "header", case_insensitive=True, unknown=sent.unknown
        )
        body = step.body
        if body is not None and body.kind == "form" and sent.form is not None:
            issues += check_params(body.form, sent.form, "form field", unknown=sent.unknown)
        if body is not None and body.kind == "json" and body.fields and sent.json_known:
            issues += check_fields(body.fields, sent.json)
    return issues


def check_prepared(step: RequestStep | BrowserStep, prepared: PreparedRequest) -> list[CheckResult]:
    """Check a rendered request, as the engine has it just before sending."""
    query = httpx.URL(prepared.url).copy_merge_params(prepared.params).params.multi_items()
    form: list[tuple[str, str]] | None = None
    document: Any = None
    json_known = False
    body = step.body if isinstance(step, RequestStep) else None
    if body is not None and prepared.content is not None:
        if body.kind == "form":
            form = parse_qsl(prepared.content.decode("utf-8", "replace"), keep_blank_values=True)
        elif body.kind == "json":
            try:
                document, json_known = json.loads(prepared.content), True
            except ValueError:
                json_known = False
    return check_request(step, Sent(query, prepared.headers, form, document, json_known=json_known))


def check_url(step: BrowserStep, url: str) -> list[CheckResult]:
    """Check a browser step's rendered URL (its query parameters)."""
    return check_request(step, Sent(query=httpx.URL(url).params.multi_items()))


def check_params(
    params: Iterable[Param],
    sent: Sequence[tuple[str, str]],
    where: str,
    *,
    case_insensitive: bool = False,
    unknown: frozenset[str] = frozenset(),
) -> list[CheckResult]:
    """Documented params against the (name, value) pairs actually sent."""

    def key(name: str) -> str:
        return name.lower() if case_insensitive else name

    values: dict[str, list[str]] = {}
    for name, value in sent:
        values.setdefault(key(name), []).append(value)
    unknown_keys = {key(n) for n in unknown}
    issues: list[CheckResult] = []
    for param in params:
        if param.type is None and not param.required and param.enum is None:
            continue  # not documented: nothing to hold it to
        label = f"docs: {where} '{param.name}'"
        if key(param.name) in unknown_keys:
            continue
        found = values.get(key(param.name))
        if not found:
            if param.required:
                issues.append(_not_sent(label, param))
            continue
        if param.required and all(v == "" for v in found):
            issues.append(
                CheckResult(label, False, None, "", "documented as required, sent empty", param.loc)
            )
            continue
        for value in found:
            problem = _text_problem(param, value)
            if problem is not None:
                expected, message = problem
                issues.append(CheckResult(label, False, expected, value, message, param.loc))
                break
    return issues


def check_fields(fields: Iterable[Param], document: Any) -> list[CheckResult]:
    """Documented JSON body fields (``a`` or ``a.b`` for nested ones) against the body sent."""
    issues: list[CheckResult] = []
    for param in fields:
        label = f"docs: body field '{param.name}'"
        found, value = _lookup(document, param.name)
        if not found:
            if param.required:
                issues.append(_not_sent(label, param))
            continue
        problem = _json_problem(param, value)
        if problem is not None:
            expected, message = problem
            issues.append(CheckResult(label, False, expected, value, message, param.loc))
    return issues


def _not_sent(label: str, param: Param) -> CheckResult:
    return CheckResult(label, False, None, None, "documented as required, not sent", param.loc)


def _lookup(document: Any, path: str) -> tuple[bool, Any]:
    current = document
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _text_problem(param: Param, value: str) -> tuple[Any, str] | None:
    """Why a sent text value does not fit its documentation, or None."""
    kind = param.type
    if kind == "integer" and not _INTEGER.match(value.strip()):
        return {"type": "integer"}, "not an integer"
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return {"type": "number"}, "not a number"
    if kind == "boolean" and value.strip().lower() not in _BOOLEAN:
        return {"type": "boolean"}, "not true or false"
    if param.enum is not None and value not in {_as_text(e) for e in param.enum}:
        return {"in": list(param.enum)}, "not one of the documented values"
    return None


_JSON_TYPES: dict[str, tuple[str, Any]] = {
    "string": ("a string", lambda v: isinstance(v, str)),
    "integer": (
        "an integer",
        lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())
        ),
    ),
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "array": ("a list", lambda v: isinstance(v, list)),
    "object": ("an object", lambda v: isinstance(v, dict)),
}


def _json_problem(param: Param, value: Any) -> tuple[Any, str] | None:
    if param.type is not None and param.type in _JSON_TYPES:
        what, test = _JSON_TYPES[param.type]
        if not test(value):
            return {"type": param.type}, f"not {what}"
    if param.enum is not None and value not in param.enum:
        return {"in": list(param.enum)}, "not one of the documented values"
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- without sending: runner check --docs ------------------------------------------------------


def static_sent(
    step: RequestStep | BrowserStep,
    scope: Mapping[str, Any],
    renderer: Renderer,
    has_auth: bool,
) -> Sent:
    """What a step will send, as far as it can be known before the run: values that use only
    known variables are rendered; those that need a capture or a pause are ``unknown``."""
    known = set(scope) | set(renderer.helper_names)
    unknown: set[str] = set()

    def renderable(value: Any) -> bool:
        return all(renderer.names(t) <= known for t in template_strings(value))

    def pairs(params: Iterable[Param]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for param in params:
            if not param.enabled or param.value is None:
                continue
            if not renderable(param.value):
                unknown.add(param.name)
                continue
            items = param.value if isinstance(param.value, list) else [param.value]
            try:
                out.extend((param.name, renderer.render_str(str(v), scope)) for v in items)
            except RenderError:
                unknown.add(param.name)
        return out

    query = pairs(step.params)
    if renderable(step.url):
        try:
            query = [*httpx.URL(renderer.render_str(step.url, scope)).params.multi_items(), *query]
        except (RenderError, httpx.InvalidURL):
            pass
    if isinstance(step, BrowserStep):
        return Sent(query=query, unknown=frozenset(unknown))
    headers = pairs(step.headers)
    if has_auth:
        headers.append(("Authorization", ""))
        unknown.add("authorization")
    form: list[tuple[str, str]] | None = None
    document: Any = None
    json_known = False
    if step.body is not None:
        headers.append(("Content-Type", step.body.content_type or ""))
        unknown.add("content-type")
        if step.body.kind == "form":
            form = pairs(step.body.form)
        elif step.body.kind == "json" and renderable(step.body.json):
            try:
                document, json_known = renderer.render_value(step.body.json, scope), True
            except RenderError:
                json_known = False
    return Sent(query, headers, form, document, json_known, frozenset(unknown))


def collection_issues(
    steps: Selected, scope: Scope, renderer: Renderer, collection: Collection
) -> list[tuple[RequestStep | BrowserStep, CheckResult]]:
    """``runner check --docs``: every documentation finding of every selected step, in run
    order; ``scope`` is the prepared run's variables (``Engine.prepare()``)."""
    out: list[tuple[RequestStep | BrowserStep, CheckResult]] = []
    for step, parents in steps:
        if not isinstance(step, RequestStep | BrowserStep):
            continue
        auth = effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None
        has_auth = auth is not None and auth.kind != "none"
        sent = static_sent(step, scope, renderer, has_auth)
        out.extend((step, issue) for issue in check_request(step, sent))
    return out
