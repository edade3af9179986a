"""Check expectations against a response: each Check gives one CheckResult, pass or fail."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from runner.check.captures import query_json
from runner.core.errors import RenderError
from runner.core.model import Check, Matcher
from runner.core.results import CheckResult
from runner.http.transport import Exchange
from runner.render.templates import Renderer


class _Missing:
    def __repr__(self) -> str:
        return "<nothing>"


MISSING: Any = _Missing()

JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def run_check(
    check: Check, exchange: Exchange, renderer: Renderer, scope: Mapping[str, Any]
) -> CheckResult:
    """Evaluate one expectation; never raises for a bad response, only reports."""
    result = _run_check(check, exchange, renderer, scope)
    return replace(result, name=check.name) if check.name else result


def _run_check(
    check: Check, exchange: Exchange, renderer: Renderer, scope: Mapping[str, Any]
) -> CheckResult:
    if check.subject == "schema":
        return _schema(check, exchange)
    try:
        actual = _actual(check, exchange)
    except ValueError as exc:
        return CheckResult(check.label, False, _describe(check.matchers), None, str(exc), check.loc)
    shown: dict[str, Any] = {}  # the expected values as rendered, for the reports
    for matcher in check.matchers:
        try:
            expected = renderer.render_value(matcher.expected, scope)
        except RenderError as exc:
            return CheckResult(check.label, False, matcher.expected, actual, exc.message, check.loc)
        if check.subject in ("header", "body"):  # text compares with text, as written
            if isinstance(expected, list):
                expected = [str(e) for e in expected]
            elif not isinstance(expected, str | bool):
                expected = str(expected)
        ok, message = _match(matcher.op, actual, expected)
        if not ok:
            return CheckResult(
                check.label, False, _show(matcher.op, expected), actual, message, check.loc
            )
        shown[matcher.op] = expected
    expected_all: Any = shown
    if len(shown) == 1:  # one operator: the loop's last matcher has it and its value
        expected_all = _show(matcher.op, expected)
    elif not shown:
        expected_all = _describe(check.matchers)
    return CheckResult(check.label, True, expected_all, actual, None, check.loc)


def _actual(check: Check, exchange: Exchange) -> Any:
    if check.subject == "status":
        return exchange.status
    if check.subject == "header":
        value = exchange.headers.get(check.target or "")
        return MISSING if value is None else value
    if check.subject == "json":
        found = query_json(check.target or "$", exchange.json())
        if not found:
            return MISSING
        return found[0] if len(found) == 1 else found
    if check.subject == "time":
        return round(exchange.elapsed_ms, 1)
    if check.subject == "schema":
        return exchange.json()
    return exchange.text()


def _match(op: str, actual: Any, expected: Any) -> tuple[bool, str | None]:
    if op == "exists":
        present = actual is not MISSING
        return present == bool(expected), None if present == bool(expected) else (
            "expected it to exist" if expected else "expected it not to exist"
        )
    if actual is MISSING:
        return False, "not found in the response"
    try:
        if op == "eq":
            return _equal(actual, expected), None
        if op == "ne":
            return not _equal(actual, expected), None
        if op in ("gt", "ge", "lt", "le"):
            a, e = _number(actual), _number(expected)
            result = {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]
            return result, None
        if op == "contains":
            if isinstance(actual, str):
                return str(expected) in actual, None
            if isinstance(actual, dict):
                return expected in actual, None
            if isinstance(actual, list):
                return any(_equal(item, expected) for item in actual), None
            return False, f"cannot look inside a {type(actual).__name__}"
        if op == "matches":
            return re.search(str(expected), str(actual)) is not None, None
        if op == "type":
            test = JSON_TYPES.get(str(expected))
            if test is None:
                return False, f"unknown type {expected!r}; use one of {', '.join(JSON_TYPES)}"
            return test(actual), None
        if op == "in":
            return any(_equal(actual, item) for item in expected), None
        if op == "length":
            return len(actual) == int(expected), None
    except (TypeError, ValueError) as exc:
        return False, str(exc)
    return False, f"unknown operator {op!r}"


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return bool(actual == expected)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _show(op: str, expected: Any) -> Any:
    return expected if op == "eq" else {op: expected}


def _describe(matchers: tuple[Matcher, ...]) -> Any:
    if len(matchers) == 1:
        return _show(matchers[0].op, matchers[0].expected)
    return {m.op: m.expected for m in matchers}


def schema_for_status(by_status: Mapping[str, Any], status: int) -> Any | None:
    """The schema documented for a status: exact code, then ``4XX``, then ``default``."""
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in by_status:
            return by_status[key]
    return None


def _offline_registry() -> Any:
    """A registry that resolves nothing it does not hold. Without one, jsonschema fetches an
    ``http(s)`` ``$ref`` itself (a deprecated fallback): nothing is fetched that the user did
    not name, and file references were embedded by the loader (runner.format.schema_refs)."""
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    def refuse(uri: str) -> Any:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    return Registry(retrieve=refuse)  # type: ignore[call-arg]


def _schema(check: Check, exchange: Exchange) -> CheckResult:
    import jsonschema  # deferred: only collections with schemas pay for the import

    matcher = check.matchers[0]
    schema = matcher.expected
    label = "schema"
    if matcher.op == "in":  # one schema per status code
        label = f"schema (status {exchange.status})"
        schema = schema_for_status(matcher.expected, exchange.status)
        if schema is None:
            return CheckResult(label, True, "no schema documented", None, None, check.loc)
    try:
        instance = exchange.json()
    except ValueError as exc:
        return CheckResult(label, False, "valid against the schema", None, str(exc), check.loc)
    from referencing.exceptions import Unresolvable

    validator = jsonschema.validators.validator_for(schema)(schema, registry=_offline_registry())
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except Unresolvable as exc:
        return CheckResult(
            label, False, "valid against the schema", None, f"cannot resolve {exc}", check.loc
        )
    if error is None:
        return CheckResult(label, True, "valid", "valid", None, check.loc)
    where = error.json_path
    return CheckResult(
        label,
        False,
        "valid against the schema",
        error.instance,  # the value at the failing path, not the whole body
        f"{where}: {error.message}",
        check.loc,
    )
