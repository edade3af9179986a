"""Expectations and captures as Postman test-script JavaScript, and templates as ``{{var}}``.

The JavaScript written here is exactly what the importer's translator recognises
(runner/formats/postman/script_import.py), so import -> export -> import gives the same YAML: one
``pm.test`` per expectation, one ``pm.environment.set`` per capture, captures first (the
runner takes captures before it checks).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from runner.core.model import Capture, Check, Matcher
from runner.render.dynamic import DYNAMIC_HELPERS

# what the importer writes: a variable, a helper call, an escaped `<<`
_TEMPLATE = re.compile(
    r"<<\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<call>[A-Za-z_][A-Za-z0-9_]*)\(\s*\)"
    r"|'(?P<literal><<)')\s*>>"
)
_HELPER_TO_POSTMAN = {"uuid": "$guid", "timestamp": "$timestamp"}
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_JS_RESERVED = frozenset(
    "break case catch class const continue debugger default delete do else export extends "
    "false finally for function if import in instanceof new null return super switch this "
    "throw true try typeof var void while with yield let static".split()
)
_INLINE_FLAGS = re.compile(r"^\(\?([ims]+)\)")


@dataclass
class Notes:
    """What could not be written in Postman's terms (listed by the command)."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def to_postman(text: str, where: str, notes: Notes) -> str:
    """``<<name>>`` -> ``{{name}}``, ``<<guid()>>`` -> ``{{$guid}}``, ``<<'<<'>>`` -> ``<<``."""
    if "<<" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group("literal"):
            return "<<"
        if match.group("name"):
            return "{{" + match.group("name") + "}}"
        call = match.group("call")
        if call in DYNAMIC_HELPERS:
            return "{{$" + call + "}}"
        if call in _HELPER_TO_POSTMAN:
            return "{{" + _HELPER_TO_POSTMAN[call] + "}}"
        notes.add(where, f"the helper {call}() has no Postman form: written as is")
        return match.group(0)

    out = _TEMPLATE.sub(replace, text)
    rest = _TEMPLATE.sub("", text)
    if "<<" in rest:
        notes.add(where, "a template expression has no Postman form: written as is")
    return out


def value_to_postman(value: Any, where: str, notes: Notes) -> Any:
    if isinstance(value, str):
        return to_postman(value, where, notes)
    if isinstance(value, list):
        return [value_to_postman(v, where, notes) for v in value]
    if isinstance(value, dict):
        return {
            to_postman(str(k), where, notes): value_to_postman(v, where, notes)
            for k, v in value.items()
        }
    return value


# -- JavaScript values ----------------------------------------------------------------------------


def js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def js_value(value: Any, where: str, notes: Notes) -> str:
    """A JavaScript literal; a string with ``<<var>>`` reads the variable at run time."""
    if isinstance(value, str):
        exact = _TEMPLATE.fullmatch(value.strip()) if value == value.strip() else None
        if exact is not None and exact.group("name"):
            return f"pm.variables.get({js_string(exact.group('name'))})"
        converted = to_postman(value, where, notes)
        if "{{" in converted and "<<" in value:
            return f"pm.variables.replaceIn({js_string(converted)})"
        return js_string(converted)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(js_value(v, where, notes) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = str(key)
            shown = name if _IDENT.match(name) and name not in _JS_RESERVED else js_string(name)
            parts.append(f"{shown}: {js_value(item, where, notes)}")
        return "{" + ", ".join(parts) + "}"
    return js_string(str(value))


def js_regex(pattern: str) -> str:
    """A Python regex as a JavaScript one: leading ``(?i)`` becomes the flag."""
    flags = ""
    match = _INLINE_FLAGS.match(pattern)
    if match:
        flags = "".join(sorted(set(match.group(1))))
        pattern = pattern[match.end() :]
    if "\n" in pattern or "\r" in pattern or not pattern:
        args = js_string(pattern) + (f", {js_string(flags)}" if flags else "")
        return f"new RegExp({args})"
    body = re.sub(r"(?<!\\)((?:\\\\)*)/", r"\1\\/", pattern)
    return f"/{body}/{flags}"


def json_access(path: str) -> str | None:
    """``$.a[0]['b-c']`` -> ``.a[0]["b-c"]``; None for what JavaScript cannot follow simply
    (wildcards, filters, ``..``)."""
    if not path.startswith("$"):
        return None
    rest = path[1:]
    out = ""
    pattern = re.compile(
        r"\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?P<index>\d+)\]"
        r"|\['(?P<single>(?:[^'\\]|\\.)*)'\]|\[\"(?P<double>(?:[^\"\\]|\\.)*)\"\]"
    )
    position = 0
    while position < len(rest):
        match = pattern.match(rest, position)
        if match is None:
            return None
        if match.group("name") is not None:
            name = match.group("name")
            out += f".{name}" if name not in _JS_RESERVED else f"[{js_string(name)}]"
        elif match.group("index") is not None:
            out += f"[{match.group('index')}]"
        else:
            raw = match.group("single")
            if raw is None:
                raw = match.group("double")
            name = re.sub(r"\\(.)", r"\1", raw)
            out += f"[{js_string(name)}]"
        position = match.end()
    return out


def _subject(check: Check) -> str | None:
    if check.subject == "status":
        return "pm.response.code"
    if check.subject == "header":
        return f"pm.response.headers.get({js_string(check.target or '')})"
    if check.subject == "body":
        return "pm.response.text()"
    if check.subject == "time":
        return "pm.response.responseTime"
    if check.subject == "json":
        access = json_access(check.target or "$")
        return None if access is None else f"pm.response.json(){access}"
    return None


def check_script(check: Check, where: str, notes: Notes) -> str | None:
    """One ``pm.test`` for one expectation, or None (with a note) when it has no JS form."""
    lines: list[str] = []
    if check.subject == "schema":
        matcher = check.matchers[0]
        if matcher.op != "eq":
            notes.add(where, "a schema per status code has no Postman form: left out")
            return None
        lines.append(f"pm.response.to.have.jsonSchema({js_value(matcher.expected, where, notes)});")
    else:
        subject = _subject(check)
        if subject is None:
            notes.add(where, f"the JSONPath {check.target} has no simple JavaScript form: left out")
            return None
        for matcher in check.matchers:
            line = _assertion(check, subject, matcher, where, notes)
            if line is None:
                return None
            lines.append(line)
    body = "\n".join(f"    {line}" for line in lines)
    name = js_string(check.name or f"{check.label}: {_describe(check.matchers)}")
    return f"pm.test({name}, function () {{\n{body}\n}});"


def _assertion(
    check: Check, subject: str, matcher: Matcher, where: str, notes: Notes
) -> str | None:
    op, expected = matcher.op, matcher.expected
    if (
        check.subject == "header"
        and op in ("eq", "ne", "contains")
        and not isinstance(expected, str | list | dict)
    ):
        expected = str(expected)
    value = js_value(expected, where, notes) if op != "matches" else ""
    if check.subject == "status" and op == "eq" and isinstance(expected, int):
        return f"pm.response.to.have.status({expected});"
    if op == "exists":
        if check.subject == "header":
            negate = "" if expected else "not."
            return f"pm.response.to.{negate}have.header({js_string(check.target or '')});"
        if check.subject == "json" and (check.target or "$") == "$" and expected:
            return "pm.response.to.have.jsonBody();"
        return f"pm.expect({subject}).to.{'not.' if expected else ''}be.undefined;"
    chains = {
        "eq": f"to.eql({value})",
        "ne": f"to.not.eql({value})",
        "gt": f"to.be.above({value})",
        "ge": f"to.be.at.least({value})",
        "lt": f"to.be.below({value})",
        "le": f"to.be.at.most({value})",
        "contains": f"to.include({value})",
        "in": f"to.be.oneOf({value})",
        "length": f"to.have.lengthOf({value})",
    }
    if op in chains:
        return f"pm.expect({subject}).{chains[op]};"
    if op == "matches":
        return f"pm.expect({subject}).to.match({js_regex(str(expected))});"
    if op == "type":
        if expected == "integer":
            return f"pm.expect(Number.isInteger({subject})).to.be.true;"
        article = "an" if expected in ("array", "object") else "a"
        return f"pm.expect({subject}).to.be.{article}({js_string(str(expected))});"
    notes.add(where, f"the check '{op}' has no Postman form: left out")
    return None


def _describe(matchers: tuple[Matcher, ...]) -> str:
    parts = []
    for m in matchers:
        shown = json.dumps(m.expected, ensure_ascii=False, default=str)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        parts.append(f"{m.op} {shown}")
    return ", ".join(parts)


def capture_script(capture: Capture, where: str, notes: Notes) -> str | None:
    name = js_string(capture.variable)
    expr: str | None
    if capture.source == "json":
        access = json_access(capture.expr or "$")
        expr = None if access is None else f"pm.response.json(){access}"
    elif capture.source == "header":
        expr = f"pm.response.headers.get({js_string(capture.expr or '')})"
    elif capture.source == "cookie":
        expr = f"pm.cookies.get({js_string(capture.expr or '')})"
    elif capture.source == "regex":
        expr = f"pm.response.text().match({js_regex(capture.expr or '')})[{capture.group}]"
    elif capture.source == "status":
        expr = "pm.response.code"
    else:
        expr = "pm.response.text()"
    if expr is None:
        notes.add(
            where,
            f"capture {capture.variable}: the JSONPath {capture.expr} has no "
            "simple JavaScript form: left out",
        )
        return None
    return _setter(capture, name, expr)


def _setter(capture: Capture, name: str, expr: str) -> str:
    """The Postman setter that does what the capture does with a missing value: Postman
    stores ``undefined`` (sent as null; as the empty text through ``pm.variables``), so
    ``default: null`` and ``default: ''`` are plain setters, ``optional`` the guarded one
    (what the importer reads back as the same capture)."""
    if capture.has_default:
        if capture.default == "":
            return f"pm.variables.set({name}, {expr});"
        if capture.default is not None:
            fallback = json.dumps(capture.default)
            return f"pm.environment.set({name}, {expr} === undefined ? {fallback} : {expr});"
    elif capture.optional:
        return f"if ({expr} !== undefined) {{ pm.environment.set({name}, {expr}); }}"
    return f"pm.environment.set({name}, {expr});"
