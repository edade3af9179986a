"""Recognise the common Postman test-script patterns and turn them into ``expect``/``capture``.

The importer never executes JavaScript. Scripts are parsed with tree-sitter's JavaScript
grammar (a real parser, so formatting, comments and nesting do not matter) and each top-level
statement is either recognised as a whole, becoming checks and captures, or kept verbatim in
the step's ``scripts:`` (inert unless ``runner run --scripts`` runs it). What is recognised:

- ``pm.test(name, function () {...})`` whose statements are all recognised;
- ``pm.expect(SUBJECT).to...`` chains (``eql``, ``equal``, ``include``, ``property``,
  ``above``/``below``, ``a``/``an``, ``match``, ``oneOf``, ``lengthOf``, ``exist``, ``true``...)
  on the status code, a header, the body text, the response time or a path in the JSON body;
- ``pm.response.to.have.status(N)``, ``.to.be.ok``/``success``/..., ``.to.have.header(...)``,
  ``.to.have.body(...)``, ``.to.have.jsonBody(...)``, ``.to.have.jsonSchema(...)``, ``.to.be.json``;
- ``pm.environment.set`` / ``pm.collectionVariables.set`` / ``pm.globals.set`` /
  ``pm.variables.set`` and the legacy ``postman.setEnvironmentVariable`` /
  ``postman.setGlobalVariable`` from a JSON path, a header, a cookie, the status or the body;
- the legacy ``tests["name"] = CONDITION`` with ``responseCode.code``, ``responseBody.has()``,
  ``responseTime``, ``postman.getResponseHeader()`` and ``JSON.parse(responseBody)`` paths;
- ``var jsonData = pm.response.json()`` (or ``JSON.parse(responseBody)``, or a path under it):
  an alias, removed with the statements that use it, kept when a kept statement uses it.

A statement is translated all or nothing, so a kept script never half-runs a test.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from tree_sitter import Node

from runner.core.model import MATCH_OPS
from runner.format.spec import CHECK_NAME
from runner.scripts.syntax import (
    CAPTURE_SCOPES,
    LEGACY_SETTERS,
    parse,
)
from runner.scripts.syntax import children as _children
from runner.scripts.syntax import string_value as _string
from runner.scripts.syntax import text as _text

CHAIN_WORDS = frozenset(
    "to be been is that which and has have with at of same but does still also".split()
)
SANDBOX_GLOBALS = frozenset(
    "pm postman tests responseBody responseCode responseTime responseHeaders JSON".split()
)
VARIABLE_SCOPES = ("environment", "collectionVariables", "globals", "variables", "iterationData")
STATUS_CLASSES = {
    "info": (100, 200),
    "success": (200, 300),
    "redirection": (300, 400),
    "clientError": (400, 500),
    "serverError": (500, 600),
    "error": (400, 600),
}
STATUS_NAMES = {
    "ok": 200,
    "accepted": 202,
    "withoutContent": 204,
    "badRequest": 400,
    "unauthorised": 401,
    "unauthorized": 401,
    "forbidden": 403,
    "notFound": 404,
    "notAcceptable": 406,
    "rateLimited": 429,
}
CHAI_TYPES = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
    "null": "null",
}
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
POSTMAN_VAR = re.compile(r"\{\{([^{}]*?)}}")


AFTER_KEPT = "after a statement kept as script (tests stay in Postman's order)"
AFTER_KEPT_ORDER = "grouped with the checks of its kind, it would move before another test"


class Untranslatable(Exception):
    """This statement is kept as script; the message says why (for the import report)."""


class Template(str):
    """A string that is already a runner template (``<<name>>``): written without escaping."""


@dataclass(frozen=True)
class Expectation:
    """One check: ``kind`` is status, header, json, body, time or schema."""

    kind: str
    target: str | None
    op: str
    value: Any


@dataclass(frozen=True)
class CaptureSpec:
    """One capture: ``source`` is json, header, cookie, regex, status or body."""

    name: str
    source: str
    expr: str | None = None
    group: int = 1
    guarded: bool = False  # under `if (value !== undefined)`: a missing value sets nothing
    # what Newman sends for a setter of `undefined`: null (environment, collection variables,
    # globals: stored as null), "" (pm.variables: kept as undefined, rendered empty)
    missing: str | None = None


@dataclass(frozen=True)
class Subject:
    """What a JavaScript expression reads from the response."""

    kind: str  # status | header | json | body | time | cookie | has_header | is_integer | regex
    target: Any = None  # header name, JSON path segments (tuple), cookie name, regex
    length: bool = False  # `.length` of a JSON value

    def child(self, key: str | int) -> Subject:
        if self.kind != "json" or self.length:
            raise Untranslatable("a property of something that is not JSON")
        return Subject("json", (*self.target, key))


def json_path(segments: tuple[str | int, ...]) -> str:
    """``("a", 0, "b-c")`` -> ``$.a[0]['b-c']`` (RFC 9535)."""
    out = "$"
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif IDENT.match(seg):
            out += f".{seg}"
        else:
            escaped = seg.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


class ExpectBuilder:
    """The checks of one request, merged per subject, in the order they were found."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str | None], list[tuple[str, Any]]] = {}
        self.header_names: dict[str, str] = {}  # lower-cased -> as first written
        self.extra_contains: dict[tuple[str, str | None], list[str]] = {}
        # the test (pm.test, tests["..."]) each check comes from: its name in reports
        self.names: dict[tuple[str, str | None], str | None] = {}
        self.test_name: str | None = None  # the test being translated

    def copy(self) -> ExpectBuilder:
        other = ExpectBuilder()
        other.entries = copy.deepcopy(self.entries)
        other.header_names = dict(self.header_names)
        other.extra_contains = copy.deepcopy(self.extra_contains)
        other.names = dict(self.names)
        other.test_name = self.test_name
        return other

    def add(self, exp: Expectation) -> None:
        target = exp.target.lower() if exp.kind == "header" and exp.target else exp.target
        key = (exp.kind, target)
        name = None if _exported_name(self.test_name, exp) else self.test_name
        if self.entries.get(key) and self.names.get(key) != name:
            raise Untranslatable(f"two tests check the same {exp.kind} (each keeps its name)")
        if exp.kind == "schema" and name is not None:
            raise Untranslatable("a named JSON Schema test (a schema check has no name)")
        self.names[key] = name
        ops = self.entries.setdefault(key, [])
        if exp.kind == "header" and exp.target:
            self.header_names.setdefault(target or "", exp.target)
        for i, (op, value) in enumerate(ops):
            if op != exp.op:
                continue
            if _same(value, exp.value):
                return
            if exp.kind == "time" and op == "le":
                ops[i] = (op, min(value, exp.value))
                return
            if op == "contains" and exp.kind in ("body", "header") and _plain_text(exp.value):
                self._also_contains(ops, exp)
                return
            if op == "eq" and not any(o == "in" for o, _ in ops):
                ops.append(("in", [exp.value]))  # a second, different equality: both must hold
                return
            raise Untranslatable(f"a second, different '{op}' check on the same {exp.kind}")
        ops.append((exp.op, exp.value))
        if not self._in_order():
            raise Untranslatable(AFTER_KEPT_ORDER)

    def _in_order(self) -> bool:
        """Whether the checks, written grouped by kind (``json:``, ``headers:``... in the
        order each kind was first used), still report the tests in the order Postman runs
        them: a test on the body between two JSON tests would otherwise move."""
        kinds = list(dict.fromkeys(kind for kind, _ in self.entries))
        written = [self.names.get(key) for key in self.entries]
        evaluated = [
            self.names.get(key) for kind in kinds for key in self.entries if key[0] == kind
        ]
        return _collapsed(written) == _collapsed(evaluated)

    def _also_contains(self, ops: list[tuple[str, Any]], exp: Expectation) -> None:
        """A second text that must be in the body: one ``matches`` holds every further text
        (a regex with one look-ahead per text when there are several)."""
        target = exp.target.lower() if exp.kind == "header" and exp.target else exp.target
        extra = self.extra_contains.setdefault((exp.kind, target), [])
        if exp.value in extra:
            return
        current = next((v for op, v in ops if op == "matches"), None)
        if current is not None and current != _contains_regex(extra):
            raise Untranslatable(f"a text check on a {exp.kind} that already has a 'match'")
        extra.append(exp.value)
        ops[:] = [(op, v) for op, v in ops if op != "matches"]
        ops.append(("matches", _contains_regex(extra)))

    def __bool__(self) -> bool:
        return any(self.entries.values())

    def count(self) -> int:
        return sum(len(ops) for ops in self.entries.values())

    def to_yaml(self) -> dict[str, Any]:
        """The ``expect:`` mapping, its keys in the order each kind of check was first used
        (the loader keeps it: the tests are reported in Postman's order)."""
        out: dict[str, Any] = {}
        by_kind: dict[str, list[tuple[str | None, list[tuple[str, Any]]]]] = {}
        for (kind, target), ops in self.entries.items():
            if ops:
                by_kind.setdefault(kind, []).append((target, ops))
        names = self.names
        if "status" in by_kind:
            ops = by_kind["status"][0][1]
            name = names.get(("status", None))
            if len(ops) == 1 and ops[0][0] in ("eq", "in") and name is None:
                out["status"] = ops[0][1]
            else:
                out["status"] = _named({op: value for op, value in ops}, name)
        if "header" in by_kind:
            out["headers"] = {
                self.header_names.get(t or "", t or ""): matcher(ops, names.get(("header", t)))
                for t, ops in by_kind["header"]
            }
        if "json" in by_kind:
            out["json"] = {t: matcher(ops, names.get(("json", t))) for t, ops in by_kind["json"]}
        if "body" in by_kind:
            out["body"] = matcher(by_kind["body"][0][1], names.get(("body", None)))
        if "time" in by_kind:
            limit = by_kind["time"][0][1][0][1]
            name = names.get(("time", None))
            out["max_time_ms"] = limit if name is None else {"le": limit, "name": name}
        if "schema" in by_kind:
            out["schema"] = by_kind["schema"][0][1][0][1]
        keys = {"header": "headers", "time": "max_time_ms"}
        first = [keys.get(kind, kind) for kind in by_kind]
        return {key: out[key] for key in first if key in out}


def _collapsed(names: list[str | None]) -> list[str | None]:
    """The names with each run of one name written once."""
    return [name for i, name in enumerate(names) if i == 0 or names[i - 1] != name]


def matcher(ops: list[tuple[str, Any]], name: str | None = None) -> Any:
    """A plain value for a lone, unnamed equality (unless it looks like operators), else
    operators, with ``name:`` (the test's) beside them."""
    if len(ops) == 1 and ops[0][0] == "eq" and name is None:
        value = ops[0][1]
        if not (isinstance(value, dict) and (not value or any(k in MATCH_OPS for k in value))):
            return escape_value(value)
    return _named({op: escape_value(value) for op, value in ops}, name)


def _named(operators: dict[str, Any], name: str | None) -> dict[str, Any]:
    return operators if name is None else {**operators, CHECK_NAME: name}


def escape_value(value: Any) -> Any:
    """Literal text must not be read as a template: ``<<`` becomes ``<<'<<'>>``."""
    if isinstance(value, Template):
        return str(value)
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, list):
        return [escape_value(v) for v in value]
    if isinstance(value, dict):
        return {escape_text(str(k)): escape_value(v) for k, v in value.items()}
    return value


def escape_text(text: str) -> str:
    return text.replace("<<", "<<'<<'>>") if "<<" in text else text


def _implies_truthy(exp: Expectation, path: str) -> bool:
    """Whether ``exp`` holding means the value at ``path`` is truthy: it reads below it, or
    it is about that value and cannot hold for a falsy one (``length: 3``, ``eq: "x"``)."""
    if exp.kind != "json" or not exp.target or not exp.target.startswith(path):
        return False
    rest = exp.target[len(path) :]
    if rest:
        return rest[:1] in (".", "[")
    if exp.op == "length":
        return isinstance(exp.value, int) and exp.value > 0
    if exp.op in ("eq", "contains"):
        return bool(exp.value)
    return False


def _plain_text(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, Template) and "<<" not in value


def _contains_regex(texts: list[str]) -> str:
    """A regex that finds every one of ``texts`` (one alone needs no look-ahead)."""
    if len(texts) == 1:
        return literal_regex(texts[0])
    return "(?s)^" + "".join(f"(?=.*?{literal_regex(t)})" for t in texts)


def literal_regex(text: str) -> str:
    """``text`` as a regex that matches it literally, escaping only what must be."""
    return re.sub(r"([.^$*+?{}\[\]\\|()/])", r"\\\1", text)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


# -- results ----------


@dataclass
class KeptStatement:
    """A statement kept as script: where it starts and why it was not translated."""

    line: int
    text: str
    reason: str


@dataclass
class Translation:
    """The outcome for one script."""

    expect: ExpectBuilder
    captures: list[CaptureSpec] = field(default_factory=list)
    remaining: str | None = None
    lines: int = 0  # non-blank, non-comment lines of the script
    translated_lines: int = 0
    kept: list[KeptStatement] = field(default_factory=list)
    checks_added: int = 0


# -- the translator ----------


class Translator:
    """Translates test scripts. ``rename`` maps a Postman variable name to ours."""

    def __init__(self, rename: Callable[[str], str]) -> None:
        self.rename = rename

    def translate_test(
        self, source: str, inherited: ExpectBuilder | None = None, *, captures: bool = True
    ) -> Translation:
        """Translate what can be; ``inherited`` holds checks from the folders above (for
        conflicts). ``captures=False`` keeps variable setters as script (folder-level scripts
        run for every request, and a capture there would fail where the value is absent)."""
        builder = inherited.copy() if inherited is not None else ExpectBuilder()
        result = Translation(builder)
        source_bytes = source.encode("utf-8")
        root = parse(source)
        result.lines = _count_lines(source_bytes, root)
        statements = [
            c for c in root.named_children if c.type not in ("comment", "empty_statement")
        ]
        if not statements:
            result.remaining = None
            return result
        if root.has_error:
            result.remaining = source
            result.kept.append(KeptStatement(1, _first_line(source), "the script does not parse"))
            return result
        mutable = _assigned_names(root)
        if set(mutable) & SANDBOX_GLOBALS:
            result.remaining = source
            result.kept.append(
                KeptStatement(1, _first_line(source), "the script redefines a Postman global")
            )
            return result
        scope = _Scope(None)
        removed: list[Node] = []
        aliases: list[tuple[Node, list[str]]] = []
        kept: list[Node] = []
        taken: set[str] = set()
        for stmt in statements:
            declared = (
                self._alias_declaration(stmt, scope, mutable)
                or _declared_only(stmt)
                or self._try_alias(stmt, scope, mutable)
                or self._bare_alias(stmt, scope, mutable)
            )
            if declared is not None:
                aliases.append((stmt, declared))
                continue
            trial = result.expect.copy()
            try:
                caps = self._statement(stmt, scope, trial, allow_captures=captures)
                for cap in caps:
                    if cap.name in taken:
                        raise Untranslatable(f"'{cap.name}' is set twice")
                if kept:  # declarative checks run before the script: kept, Postman's order is
                    raise Untranslatable(AFTER_KEPT)
            except Untranslatable as why:
                kept.append(stmt)
                result.kept.append(
                    KeptStatement(stmt.start_point.row + 1, _first_line(_text(stmt)), str(why))
                )
                continue
            result.checks_added += trial.count() - result.expect.count()
            result.expect = trial
            for cap in caps:
                taken.add(cap.name)
            result.captures.extend(caps)
            removed.append(stmt)
        # keep the alias declarations that kept statements still read
        used = set().union(*(_identifiers(n) for n in kept)) if kept else set()
        changed = True
        kept_aliases: set[int] = set()
        while changed:
            changed = False
            for stmt, names in aliases:
                if stmt.id not in kept_aliases and used & set(names):
                    kept_aliases.add(stmt.id)
                    used |= _identifiers(stmt)
                    changed = True
        for stmt, _names in aliases:
            (kept if stmt.id in kept_aliases else removed).append(stmt)
        result.remaining = _without(source_bytes, removed, root) if kept else None
        result.translated_lines = _count_lines(source_bytes, root, only=removed)
        return result

    # -- statements ----------
    def _alias_declaration(
        self, stmt: Node, scope: _Scope, mutable: Counter[str]
    ) -> list[str] | None:
        """``var jsonData = pm.response.json();``: record the alias, return the names."""
        if stmt.type not in ("lexical_declaration", "variable_declaration"):
            return None
        found: dict[str, Subject] = {}
        constants: dict[str, Any] = {}
        for decl in _children(stmt):
            if decl.type != "variable_declarator":
                return None
            name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
            if name is None or value is None:
                return None
            try:
                subject = self._subject(value, scope)
            except Untranslatable:
                if name.type != "identifier" or value.type not in (
                    "object",
                    "array",
                    "string",
                    "number",
                    "regex",
                    "true",
                    "false",
                ):
                    return None
                try:
                    constants[_text(name)] = self._literal(value, scope)
                except Untranslatable:
                    return None
                continue
            if subject.kind not in ("json", "body", "header", "status"):
                return None
            if name.type == "identifier":
                found[_text(name)] = subject
            elif name.type == "object_pattern" and subject.kind == "json":
                for part in _children(name):
                    if part.type == "shorthand_property_identifier_pattern":
                        found[_text(part)] = subject.child(_text(part))
                    elif part.type == "pair_pattern":
                        key = part.child_by_field_name("key")
                        target = part.child_by_field_name("value")
                        if key is None or target is None or target.type != "identifier":
                            return None
                        found[_text(target)] = subject.child(_key_text(key))
                    else:
                        return None
            else:
                return None
        if not (found or constants) or any(mutable[n] for n in (*found, *constants)):
            return None
        scope.names.update(found)
        scope.constants.update(constants)
        return [*found, *constants]

    def _bare_alias(self, stmt: Node, scope: _Scope, mutable: Counter[str]) -> list[str] | None:
        """``responseData = JSON.parse(responseBody);`` at the top of a script, the one
        assignment of that name anywhere in it: the same alias as with ``var`` (sloppy mode
        makes it a global, read the same way by the statements after it)."""
        if stmt.type != "expression_statement" or not _children(stmt):
            return None
        expr = _children(stmt)[0]
        if expr.type != "assignment_expression":
            return None
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            return None
        name = _text(left)
        if mutable[name] != 1 or name in scope.names or name in scope.constants:
            return None
        try:
            subject = self._subject(right, scope)
        except Untranslatable:
            return None
        if subject.kind not in ("json", "body", "header", "status"):
            return None
        scope.names[name] = subject
        return [name]

    def _try_alias(self, stmt: Node, scope: _Scope, mutable: Counter[str]) -> list[str] | None:
        """``try { data = JSON.parse(responseBody); } catch (e) {}``: ``data`` is the JSON body
        (when the body is not JSON it stays undefined and what reads it fails, as ours does)."""
        if stmt.type != "try_statement" or stmt.child_by_field_name("finalizer") is not None:
            return None
        body, handler = stmt.child_by_field_name("body"), stmt.child_by_field_name("handler")
        inner = _children(body) if body is not None else []
        if len(inner) != 1 or inner[0].type != "expression_statement" or handler is None:
            return None
        handler_body = handler.child_by_field_name("body")
        if handler_body is None or any(
            not _text(c).startswith("console.") for c in _children(handler_body)
        ):
            return None
        expr = _children(inner[0])[0] if _children(inner[0]) else None
        if expr is None or expr.type != "assignment_expression":
            return None
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            return None
        name = _text(left)
        if mutable[name] != 1:
            return None
        try:
            subject = self._subject(right, scope)
        except Untranslatable:
            return None
        if subject.kind != "json":
            return None
        scope.names[name] = subject
        return [name]

    def _statement(
        self, stmt: Node, scope: _Scope, builder: ExpectBuilder, *, allow_captures: bool
    ) -> list[CaptureSpec]:
        if stmt.type == "if_statement":
            return self._guarded_setter(stmt, scope, builder, allow_captures=allow_captures)
        if stmt.type != "expression_statement":
            raise Untranslatable(_describe(stmt))
        expr = _children(stmt)[0] if _children(stmt) else None
        if expr is None:
            raise Untranslatable("an empty statement")
        if expr.type == "assignment_expression":
            self._legacy_test(expr, scope, builder)
            return []
        base, links = _chain(expr)
        names = [name for name, _ in links]
        if base == "pm" and names[:1] == ["test"] and len(links) == 1:
            self._pm_test(links[0][1], scope, builder)
            return []
        if base == "pm" and names[:1] == ["expect"]:
            self._expect_chain(links, scope, builder)
            return []
        if base == "pm" and names[:2] == ["response", "to"]:
            self._response_chain(links[2:], builder, scope)
            return []
        capture = self._capture(base, links, scope)
        if capture is not None:
            if not allow_captures:
                raise Untranslatable(
                    "a variable set in a folder or collection script (kept: it runs for every "
                    "request)"
                )
            return [capture]
        raise Untranslatable(_describe(stmt))

    def _guarded_setter(
        self, stmt: Node, scope: _Scope, builder: ExpectBuilder, *, allow_captures: bool
    ) -> list[CaptureSpec]:
        """``if (data.x !== undefined) { pm.environment.set("x", data.x); }``: the optional
        capture, which sets nothing where the value is missing. Not ``if (data.x)``: that
        also skips 0, "", false and null, which the capture would set."""
        condition = _unparen(stmt.child_by_field_name("condition") or stmt)
        consequence = stmt.child_by_field_name("consequence")
        if stmt.child_by_field_name("alternative") is not None or consequence is None:
            raise Untranslatable("a condition (if)")
        inner = _children(consequence) if consequence.type == "statement_block" else [consequence]
        guarded = _defined_test(condition)
        if guarded is None or len(inner) != 1:
            raise Untranslatable("a condition (if)")
        captures = self._statement(inner[0], scope, builder, allow_captures=allow_captures)
        if len(captures) != 1 or captures[0].source not in ("json", "header", "cookie"):
            raise Untranslatable("a condition (if)")
        setter = _children(inner[0])[0]
        value = _children(setter.child_by_field_name("arguments") or setter)[-1]
        if self._subject(guarded, scope) != self._subject(value, scope):
            raise Untranslatable("a condition (if) on another value than the one set")
        return [replace(captures[0], guarded=True)]

    def _pm_test(self, args: Node | None, scope: _Scope, builder: ExpectBuilder) -> None:
        parts = _children(args) if args is not None else []
        if len(parts) != 2 or parts[1].type not in ("function_expression", "arrow_function"):
            raise Untranslatable("a pm.test without a plain function")
        builder.test_name = _test_name(parts[0])
        try:
            self._pm_test_body(parts[1], scope, builder)
        finally:
            builder.test_name = None

    def _pm_test_body(self, fn: Node, scope: _Scope, builder: ExpectBuilder) -> None:
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if params is not None and _children(params):
            raise Untranslatable("an asynchronous pm.test (it takes a callback)")
        body = fn.child_by_field_name("body")
        if body is None:
            raise Untranslatable("a pm.test without a body")
        local = _Scope(scope)
        if body.type != "statement_block":
            stmt_like = body
            self._expression_in_test(stmt_like, local, builder)
            return
        statements = [
            c for c in body.named_children if c.type not in ("comment", "empty_statement")
        ]
        if not statements:
            raise Untranslatable("an empty pm.test (it always passes)")
        mutable = _assigned_names(body)
        for stmt in statements:
            if self._alias_declaration(stmt, local, mutable) is not None:
                continue
            if stmt.type != "expression_statement" or not _children(stmt):
                raise Untranslatable("a pm.test with " + _describe(stmt))
            self._expression_in_test(_children(stmt)[0], local, builder)

    def _expression_in_test(self, expr: Node, scope: _Scope, builder: ExpectBuilder) -> None:
        base, links = _chain(expr)
        names = [name for name, _ in links]
        if base == "pm" and names[:1] == ["expect"]:
            self._expect_chain(links, scope, builder)
        elif base == "pm" and names[:2] == ["response", "to"]:
            self._response_chain(links[2:], builder, scope)
        else:
            raise Untranslatable("a pm.test with " + _describe(expr))

    # -- pm.expect(...) chains ----------------------------------------------------------------
    def _expect_chain(
        self, links: list[tuple[str, Node | None]], scope: _Scope, builder: ExpectBuilder
    ) -> None:
        args = _children(links[0][1]) if links[0][1] is not None else []
        if len(args) != 1:
            raise Untranslatable("pm.expect with other than one argument")
        subject = self._subject(args[0], scope)
        negate = False
        found = False
        rest = links[1:]
        i = 0
        while i < len(rest):
            name, call = rest[i]
            i += 1
            if name in CHAIN_WORDS or name == "deep":
                if call is not None:
                    raise Untranslatable(f"'.{name}(...)' in an assertion")
                continue
            if name == "not":
                negate = not negate
                continue
            values = self._args(call, scope) if call is not None else None
            subject = self._assert(subject, name, values, negate, builder)
            negate = False
            found = True
        if not found:
            raise Untranslatable("pm.expect without an assertion")

    def _assert(
        self,
        subject: Subject,
        word: str,
        args: list[Any] | None,
        negate: bool,
        builder: ExpectBuilder,
    ) -> Subject:
        """Add the check for one chai assertion; return the subject for what follows (only
        ``property`` moves it)."""
        kind = subject.kind

        def add(op: str, value: Any, target: Subject = subject) -> None:
            builder.add(_expectation(target, op, value))

        def one() -> Any:
            if args is None or len(args) != 1:
                raise Untranslatable(f"'{word}' with other than one value")
            return args[0]

        if kind == "has_header" or kind == "is_integer":
            wanted = {"true": True, "false": False}.get(word)
            if word in ("eql", "equal", "eq", "equals", "eqls") and isinstance(one(), bool):
                wanted = one()
            if wanted is None:
                raise Untranslatable(f"'{word}' on a boolean test")
            wanted = wanted != negate
            if kind == "has_header":
                builder.add(Expectation("header", subject.target, "exists", wanted))
            elif wanted:
                builder.add(Expectation("json", json_path(subject.target), "type", "integer"))
            else:
                raise Untranslatable("'not an integer' has no declarative form")
            return subject
        if word in ("eql", "eqls", "equal", "equals", "eq"):
            value = one()
            if word in ("equal", "equals", "eq") and isinstance(value, dict | list):
                raise Untranslatable("strict equality with an object (always false in JS)")
            value = self._coerce(subject, value)
            if subject.length:
                if negate or not isinstance(value, int):
                    raise Untranslatable("a length compared with other than a number")
                add("length", value)
            else:
                add("ne" if negate else "eq", value)
        elif word in (
            "above",
            "gt",
            "greaterThan",
            "below",
            "lt",
            "lessThan",
            "least",
            "gte",
            "most",
            "lte",
            "within",
        ):
            if negate or subject.length:
                raise Untranslatable(f"'{'not ' if negate else ''}{word}' on this value")
            op = {
                "above": "gt",
                "gt": "gt",
                "greaterThan": "gt",
                "below": "lt",
                "lt": "lt",
                "lessThan": "lt",
                "least": "ge",
                "gte": "ge",
                "most": "le",
                "lte": "le",
            }.get(word)
            if word == "within":
                if args is None or len(args) != 2:
                    raise Untranslatable("'within' needs two numbers")
                pairs = [("ge", args[0]), ("le", args[1])]
            else:
                assert op is not None
                pairs = [(op, one())]
            for op_name, number in pairs:
                if not _is_number(number):
                    raise Untranslatable(f"'{word}' with something that is not a number")
                if kind == "time":
                    if op_name not in ("lt", "le"):
                        raise Untranslatable("a response time that must be at least something")
                    add("le", number)  # `below(N)` is written max_time_ms: N
                else:
                    add(op_name, number)
        elif word in ("include", "includes", "contain", "contains", "string"):
            value = one()
            if negate or subject.length:
                raise Untranslatable("'not include' has no declarative form")
            if isinstance(value, dict) and kind == "json":
                for key, item in value.items():
                    add("eq", item, subject.child(key))
            elif isinstance(value, dict | list):
                raise Untranslatable("'include' with a list")
            else:
                add("contains", value)
        elif word in ("property", "haveOwnProperty", "ownProperty"):
            if kind != "json" or args is None or not 1 <= len(args) <= 2:
                raise Untranslatable("'property' on something that is not JSON")
            key = args[0]
            if not isinstance(key, str) or isinstance(key, Template):
                raise Untranslatable("'property' with a name that is not text")
            child = subject.child(key)
            if len(args) == 2:
                add("ne" if negate else "eq", args[1], child)
            else:
                add("exists", not negate, child)
            return child
        elif word in ("a", "an"):
            name = one()
            if negate or not isinstance(name, str) or name.lower() not in CHAI_TYPES:
                raise Untranslatable(f"'{word}({name!r})' has no declarative form")
            if kind == "json" and not subject.length:
                add("type", CHAI_TYPES[name.lower()])
            elif kind in ("header", "body") and name.lower() == "string":
                add("exists", True)
            elif kind in ("status", "time") and name.lower() == "number":
                return subject  # always true
            else:
                raise Untranslatable(f"'{word}({name!r})' on this value")
        elif word in ("oneOf",):
            value = one()
            if negate or not isinstance(value, list):
                raise Untranslatable("'oneOf' without a list")
            add("in", [self._coerce(subject, v) for v in value])
        elif word in ("lengthOf", "length"):
            value = one()
            if negate or kind not in ("json", "body", "header") or not isinstance(value, int):
                raise Untranslatable("'lengthOf' on this value")
            add("length", value)
        elif word in ("match", "matches"):
            value = one()
            if negate or not isinstance(value, _Regex):
                raise Untranslatable("'match' without a regular expression")
            add("matches", value.pattern)
        elif word in ("true", "false", "null"):
            if args is not None:
                raise Untranslatable(f"'{word}(...)'")
            literal = {"true": True, "false": False, "null": None}[word]
            add("ne" if negate else "eq", literal)
        elif word == "undefined":
            if kind not in ("json", "header"):
                raise Untranslatable("'undefined' on this value")
            add("exists", negate)
        elif word == "exist":
            if kind not in ("json", "header", "cookie"):
                raise Untranslatable("'exist' on this value")
            if negate:
                if kind == "header":
                    add("exists", False)
                else:
                    raise Untranslatable("'not exist' (missing or null) has no declarative form")
            else:
                add("exists", True)
                if kind == "json":
                    add("ne", None)
        elif word == "empty":
            if kind not in ("json", "body") or subject.length:
                raise Untranslatable("'empty' on this value")
            if negate:
                raise Untranslatable("'not empty' has no declarative form")
            add("length", 0)
        else:
            raise Untranslatable(f"the assertion '{word}'")
        return subject

    def _coerce(self, subject: Subject, value: Any) -> Any:
        """Header values are text; a status compared with "200" means 200."""
        if (
            subject.kind == "header"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return str(value)
        if subject.kind == "status" and isinstance(value, str) and value.isdigit():
            return int(value)
        if subject.kind in ("status", "time") and not _is_number(value):
            raise Untranslatable("a status or time compared with something that is not a number")
        return value

    # -- pm.response.to... ---------------------------------------------------------------------
    def _response_chain(
        self, links: list[tuple[str, Node | None]], builder: ExpectBuilder, scope: _Scope
    ) -> None:
        negate = False
        found = False
        for name, call in links:
            if name in CHAIN_WORDS:
                continue
            if name == "not":
                negate = not negate
                continue
            args = self._args(call, scope) if call is not None else None
            self._response_assert(name, args, negate, builder)
            negate = False
            found = True
        if not found:
            raise Untranslatable("pm.response.to without an assertion")

    def _response_assert(
        self, word: str, args: list[Any] | None, negate: bool, builder: ExpectBuilder
    ) -> None:
        status = Subject("status")
        if word in ("status", "statusCode"):
            if not args or len(args) != 1:
                raise Untranslatable("status() without a code")
            code = args[0]
            if isinstance(code, str) and code.isdigit():
                code = int(code)
            if not isinstance(code, int) or isinstance(code, bool):
                raise Untranslatable("status() with a reason phrase")
            builder.add(_expectation(status, "ne" if negate else "eq", code))
        elif word in STATUS_NAMES and args is None:
            if negate:
                raise Untranslatable(f"'not {word}'")
            builder.add(_expectation(status, "eq", STATUS_NAMES[word]))
        elif word in STATUS_CLASSES and args is None:
            low, high = STATUS_CLASSES[word]
            if negate:
                if word != "error":
                    raise Untranslatable(f"'not {word}'")
                builder.add(_expectation(status, "lt", 400))
            else:
                builder.add(_expectation(status, "ge", low))
                builder.add(_expectation(status, "lt", high))
        elif word == "header":
            if not args or len(args) > 2 or not isinstance(args[0], str):
                raise Untranslatable("header() without a name")
            if len(args) == 2:
                if negate:
                    raise Untranslatable("'not header(name, value)'")
                builder.add(Expectation("header", args[0], "eq", _as_text(args[1])))
            else:
                builder.add(Expectation("header", args[0], "exists", not negate))
        elif word == "body":
            if negate or not args or len(args) != 1 or not isinstance(args[0], str):
                raise Untranslatable("body() with other than one text")
            builder.add(Expectation("body", None, "eq", args[0]))
        elif word == "jsonBody":
            if negate:
                raise Untranslatable("'not jsonBody'")
            if not args:
                builder.add(Expectation("json", "$", "exists", True))
                return
            if not isinstance(args[0], str) or len(args) > 2:
                raise Untranslatable("jsonBody() with a path that is not text")
            path = json_path(_lodash_path(args[0]))
            if len(args) == 2:
                builder.add(Expectation("json", path, "eq", args[1]))
            else:
                builder.add(Expectation("json", path, "exists", True))
        elif word == "json" and args is None:
            if negate:
                raise Untranslatable("'not json'")
            builder.add(Expectation("json", "$", "exists", True))
        elif word == "jsonSchema":
            if negate or not args or len(args) != 1 or not isinstance(args[0], dict):
                raise Untranslatable("jsonSchema() without a literal schema")
            if _has_template(args[0]):
                raise Untranslatable("a schema that reads variables")
            builder.add(Expectation("schema", None, "eq", args[0]))
        else:
            raise Untranslatable(f"the assertion 'pm.response.to...{word}'")

    # -- legacy tests["..."] = condition ---------------------------------------------------------
    def _legacy_test(self, expr: Node, scope: _Scope, builder: ExpectBuilder) -> None:
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        if left is None or right is None:
            raise Untranslatable("an assignment")
        target = left.child_by_field_name("object")
        if (
            left.type not in ("subscript_expression", "member_expression")
            or target is None
            or (_text(target) != "tests")
        ):
            raise Untranslatable("an assignment that is not tests[...] = ...")
        key = left.child_by_field_name(
            "index" if left.type == "subscript_expression" else "property"
        )
        if key is None:
            raise Untranslatable("an assignment to tests without a name")
        builder.test_name = _test_name(key) if left.type == "subscript_expression" else _text(key)
        try:
            for exp in self._condition(right, scope):
                builder.add(exp)
        finally:
            builder.test_name = None

    def _condition(self, node: Node, scope: _Scope) -> list[Expectation]:
        node = _unparen(node)
        if node.type == "binary_expression":
            op = _text(node.child_by_field_name("operator") or node)
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            assert left is not None and right is not None
            if op == "&&":
                return self._all_of(node, scope)
            if op == "in":
                key = self._literal(left, scope)
                subject = self._subject(right, scope)
                if (
                    isinstance(key, str)
                    and not isinstance(key, Template)
                    and subject.kind == "json"
                ):
                    return [_expectation(subject.child(key), "exists", True)]
                raise Untranslatable("'in' with something that is not a JSON value")
            if op == "||":
                return [self._one_of(node, scope)]
            if op in ("===", "==", "!==", "!=", "<", "<=", ">", ">="):
                return self._comparison(op, left, right, scope)
            raise Untranslatable(f"the operator {op}")
        if node.type == "call_expression":
            base, links = _chain(node)
            names = [name for name, _ in links]
            if names and names[-1] in ("has", "includes") and links[-1][1] is not None:
                head = _chain_prefix(node)
                if head is not None:
                    subject = self._subject(head, scope)
                    value = self._args(links[-1][1], scope)
                    if subject.kind in ("body", "header", "json") and len(value) == 1:
                        if not subject.length:
                            return [_expectation(subject, "contains", value[0])]
            if names and names[-1] == "hasOwnProperty" and links[-1][1] is not None:
                head = _chain_prefix(node)
                values = self._args(links[-1][1], scope)
                if head is not None and len(values) == 1 and isinstance(values[0], str):
                    subject = self._subject(head, scope)
                    if subject.kind == "json":
                        return [_expectation(subject.child(values[0]), "exists", True)]
            if base == "tv4" and names == ["validate"] and links[0][1] is not None:
                args = _children(links[0][1])
                if len(args) == 2 and self._subject(args[0], scope) == Subject("json", ()):
                    schema = self._literal(args[1], scope)
                    if isinstance(schema, dict) and not _has_template(schema):
                        return [Expectation("schema", None, "eq", schema)]
            if base == "Array" and names == ["isArray"]:
                args = _children(links[0][1]) if links[0][1] is not None else []
                if len(args) == 1:
                    subject = self._subject(args[0], scope)
                    if subject.kind == "json" and not subject.length:
                        return [_expectation(subject, "type", "array")]
            subject = self._subject(node, scope)
            if subject.kind == "header":
                return [_expectation(subject, "exists", True)]
            if subject.kind == "has_header":
                return [Expectation("header", subject.target, "exists", True)]
        if node.type in ("member_expression", "subscript_expression"):
            subject = self._subject(node, scope)
            if subject.kind == "header":
                return [_expectation(subject, "exists", True)]
        if (
            node.type == "unary_expression"
            and _text(node.child_by_field_name("operator") or node) == "!"
        ):
            arg = node.child_by_field_name("argument")
            inner = self._condition(arg, scope) if arg is not None else []
            if len(inner) == 1 and inner[0].op == "exists":
                exp = inner[0]
                return [Expectation(exp.kind, exp.target, "exists", not exp.value)]
            raise Untranslatable("a negated test condition")
        raise Untranslatable("a test condition that is not a plain comparison")

    def _all_of(self, node: Node, scope: _Scope) -> list[Expectation]:
        """``a && a.b && a.b.c === 1``: each part; a bare ``a.b`` (truthy) is dropped when a
        later part reads below it (that part cannot hold unless it is an object)."""
        operands: list[Node] = []

        def flatten(n: Node) -> None:
            n = _unparen(n)
            op = n.child_by_field_name("operator")
            if n.type == "binary_expression" and op is not None and _text(op) == "&&":
                for side in ("left", "right"):
                    child = n.child_by_field_name(side)
                    if child is not None:
                        flatten(child)
            else:
                operands.append(n)

        flatten(node)
        found: list[Expectation] = []
        truthy: list[str] = []
        for operand in operands:
            if operand.type in ("identifier", "member_expression", "subscript_expression"):
                try:
                    subject = self._subject(operand, scope)
                except Untranslatable:
                    subject = None
                if subject is not None and subject.kind == "json" and not subject.length:
                    truthy.append(json_path(subject.target))
                    continue
            found.extend(self._condition(operand, scope))
        for path in truthy:
            if not any(_implies_truthy(e, path) for e in found):
                raise Untranslatable("a test that a value is truthy")
        return found

    def _comparison(self, op: str, left: Node, right: Node, scope: _Scope) -> list[Expectation]:
        left, right = _unparen(left), _unparen(right)
        # responseBody.indexOf("x") !== -1 / > -1 / >= 0
        for side, other in ((left, right), (right, left)):
            if side.type == "call_expression":
                _, links = _chain(side)
                if links and links[-1][0] == "indexOf" and links[-1][1] is not None:
                    head = _chain_prefix(side)
                    bound = self._literal(other, scope)
                    if (
                        head is not None
                        and side is left
                        and (
                            (op in ("!==", "!=") and bound == -1)
                            or (op == ">" and bound == -1)
                            or (op == ">=" and bound == 0)
                        )
                    ):
                        subject = self._subject(head, scope)
                        args = self._args(links[-1][1], scope)
                        if subject.kind in ("body", "header") and len(args) == 1:
                            return [_expectation(subject, "contains", args[0])]
        # typeof X === "string"
        for side, other in ((left, right), (right, left)):
            if side.type == "unary_expression" and _text(side).startswith("typeof"):
                arg = side.child_by_field_name("argument")
                name = self._literal(other, scope)
                if arg is not None and op in ("===", "==") and isinstance(name, str):
                    subject = self._subject(arg, scope)
                    if (
                        subject.kind == "json"
                        and name in CHAI_TYPES
                        and name not in ("array", "null")
                    ):
                        return [_expectation(subject, "type", name)]
                raise Untranslatable("a typeof test")
        try:
            subject = self._subject(left, scope)
            value = self._literal(right, scope)
        except Untranslatable:
            subject = self._subject(right, scope)
            value = self._literal(left, scope)
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if op in ("==", "!=") and value is None:
            raise Untranslatable("a loose comparison with null")
        value = self._coerce(subject, value)
        if op in ("===", "==", "!==", "!="):
            negate = op.startswith("!")
            if subject.length:
                if negate or not isinstance(value, int):
                    raise Untranslatable("a length compared with other than a number")
                return [_expectation(subject, "length", value)]
            return [_expectation(subject, "ne" if negate else "eq", value)]
        if subject.length or not _is_number(value):
            raise Untranslatable("a comparison with something that is not a number")
        name = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
        if subject.kind == "time":
            if name not in ("lt", "le"):
                raise Untranslatable("a response time that must be at least something")
            return [_expectation(subject, "le", value)]
        return [_expectation(subject, name, value)]

    def _one_of(self, node: Node, scope: _Scope) -> Expectation:
        """``code === 200 || code === 201`` -> status in [200, 201]."""
        values: list[Any] = []
        subjects: list[Subject] = []

        def walk(n: Node) -> None:
            n = _unparen(n)
            op = _text(n.child_by_field_name("operator") or n)
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if n.type != "binary_expression" or left is None or right is None:
                raise Untranslatable("an 'or' of other than equalities")
            if op == "||":
                walk(left)
                walk(right)
                return
            if op not in ("===", "=="):
                raise Untranslatable("an 'or' of other than equalities")
            subjects.append(self._subject(left, scope))
            values.append(self._literal(right, scope))

        walk(node)
        if len(set(subjects)) != 1:
            raise Untranslatable("an 'or' over different values")
        subject = subjects[0]
        return _expectation(subject, "in", [self._coerce(subject, v) for v in values])

    # -- captures ----------
    def _capture(
        self, base: str | None, links: list[tuple[str, Node | None]], scope: _Scope
    ) -> CaptureSpec | None:
        names = [name for name, _ in links]
        call: Node | None = None
        if base == "pm" and len(links) == 2 and names[0] in CAPTURE_SCOPES and names[1] == "set":
            call = links[1][1]
        elif base == "postman" and len(links) == 1 and names[0] in LEGACY_SETTERS:
            call = links[0][1]
        if call is None:
            return None
        args = _children(call)
        if len(args) != 2:
            raise Untranslatable("a variable setter with other than two arguments")
        name = self._literal(args[0], scope)
        if not isinstance(name, str) or isinstance(name, Template):
            raise Untranslatable("a variable setter whose name is not a literal")
        subject = self._subject(args[1], scope)
        target = self.rename(name)
        missing = "" if base == "pm" and names[0] == "variables" else None
        if subject.kind == "json":
            if subject.length:
                raise Untranslatable("a variable set to a length")
            return CaptureSpec(target, "json", json_path(subject.target), missing=missing)
        if subject.kind in ("header", "cookie"):
            return CaptureSpec(target, subject.kind, subject.target, missing=missing)
        if subject.kind in ("status", "body"):
            return CaptureSpec(target, subject.kind)
        if subject.kind == "regex":
            pattern, group = subject.target
            return CaptureSpec(target, "regex", pattern, group)
        raise Untranslatable("a variable set from something that is not in the response")

    # -- subjects and values ----------
    def _subject(self, node: Node, scope: _Scope) -> Subject:
        node = _unparen(node)
        if node.type == "identifier":
            name = _text(node)
            found = scope.get(name)
            if found is not None:
                return found
            if name == "responseBody":
                return Subject("body")
            if name == "responseTime":
                return Subject("time")
            raise Untranslatable(f"'{name}' is not known to come from the response")
        if node.type == "subscript_expression":
            obj, index = node.child_by_field_name("object"), node.child_by_field_name("index")
            if obj is None or index is None:
                raise Untranslatable("an index")
            key = self._literal(index, scope)
            if isinstance(key, Template) or not isinstance(key, str | int) or isinstance(key, bool):
                raise Untranslatable("an index that is not a literal")
            if _text(obj) == "responseHeaders" and isinstance(key, str):
                return Subject("header", key)
            inner = self._subject(obj, scope)
            if inner.kind == "regex_match" and isinstance(key, int):
                return Subject("regex", (inner.target, key))
            if isinstance(key, int) and key < 0:
                raise Untranslatable("a negative index")
            return inner.child(key)
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            if obj is None or prop is None or _text(node).find("?.") >= 0:
                raise Untranslatable("optional chaining")
            key = _text(prop)
            whole = _text(node)
            if whole in ("pm.response.code", "responseCode.code"):
                return Subject("status")
            if whole == "pm.response.responseTime":
                return Subject("time")
            if _text(obj) == "responseHeaders":
                return Subject("header", key)
            inner = self._subject(obj, scope)
            if key == "length" and inner.kind == "json" and not inner.length:
                return Subject("json", inner.target, length=True)
            return inner.child(key)
        if node.type == "call_expression":
            base, links = _chain(node)
            names = [name for name, _ in links]
            if base == "pm" and names == ["response", "json"]:
                return Subject("json", ())
            if base == "pm" and names == ["response", "text"]:
                return Subject("body")
            if base == "JSON" and names == ["parse"]:
                args = _children(links[0][1]) if links[0][1] is not None else []
                if len(args) == 1 and self._subject(args[0], scope).kind == "body":
                    return Subject("json", ())
            if (
                base == "pm" and names[:3] == ["response", "headers", "get"] and len(names) == 3
            ) or (base == "postman" and names == ["getResponseHeader"]):
                value = self._args(links[-1][1], scope)
                if (
                    len(value) == 1
                    and isinstance(value[0], str)
                    and not isinstance(value[0], Template)
                ):
                    return Subject("header", value[0])
            if base == "pm" and names == ["response", "headers", "has"]:
                value = self._args(links[-1][1], scope)
                if (
                    len(value) == 1
                    and isinstance(value[0], str)
                    and not isinstance(value[0], Template)
                ):
                    return Subject("has_header", value[0])
            if base == "pm" and names == ["cookies", "get"]:
                value = self._args(links[-1][1], scope)
                if (
                    len(value) == 1
                    and isinstance(value[0], str)
                    and not isinstance(value[0], Template)
                ):
                    return Subject("cookie", value[0])
            if base == "Number" and names == ["isInteger"]:
                args = _children(links[0][1]) if links[0][1] is not None else []
                if len(args) == 1:
                    inner = self._subject(args[0], scope)
                    if inner.kind == "json" and not inner.length:
                        return Subject("is_integer", inner.target)
            if names and names[-1] == "match" and links[-1][1] is not None:
                head = _chain_prefix(node)
                values = self._args(links[-1][1], scope)
                if head is not None and len(values) == 1 and isinstance(values[0], _Regex):
                    if self._subject(head, scope).kind == "body":
                        return Subject("regex_match", values[0].pattern)
        raise Untranslatable(f"'{_first_line(_text(node))}' is not known to come from the response")

    def _args(self, call: Node | None, scope: _Scope) -> list[Any]:
        if call is None:
            return []
        return [self._literal(arg, scope) for arg in _children(call)]

    def _literal(self, node: Node, scope: _Scope) -> Any:
        """A JavaScript literal as a Python value; variable reads become ``<<name>>``."""
        node = _unparen(node)
        kind = node.type
        if kind == "number":
            return _number(_text(node))
        if kind == "string":
            return _string(node)
        if kind == "template_string":
            if any(c.type == "template_substitution" for c in node.named_children):
                raise Untranslatable("a template string with ${...}")
            return _string(node)
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "null":
            return None
        if kind == "unary_expression":
            arg = node.child_by_field_name("argument")
            op = _text(node.child_by_field_name("operator") or node)
            if arg is not None and op in ("-", "+"):
                value = self._literal(arg, scope)
                if _is_number(value):
                    return -value if op == "-" else value
            raise Untranslatable("an expression that is not a literal")
        if kind == "array":
            return [self._literal(item, scope) for item in _children(node)]
        if kind == "object":
            out: dict[str, Any] = {}
            for pair in _children(node):
                if pair.type != "pair":
                    raise Untranslatable("an object literal with computed parts")
                key = pair.child_by_field_name("key")
                value = pair.child_by_field_name("value")
                if key is None or value is None or key.type == "computed_property_name":
                    raise Untranslatable("an object literal with computed keys")
                out[_key_text(key)] = self._literal(value, scope)
            return out
        if kind == "regex":
            pattern = node.child_by_field_name("pattern")
            flags = node.child_by_field_name("flags")
            return _Regex.from_js(_text(pattern) if pattern else "", _text(flags) if flags else "")
        if kind == "new_expression":
            ctor = node.child_by_field_name("constructor")
            args = node.child_by_field_name("arguments")
            if ctor is not None and _text(ctor) == "RegExp":
                values = self._args(args, scope)
                if 1 <= len(values) <= 2 and all(
                    isinstance(v, str) and not isinstance(v, Template) for v in values
                ):
                    return _Regex.from_js(values[0], values[1] if len(values) == 2 else "")
            raise Untranslatable("a 'new' expression")
        variable = self._variable_read(node, scope)
        if variable is not None:
            return variable
        if kind == "identifier" and _text(node) != "undefined":
            return scope.constant(_text(node))
        raise Untranslatable(f"'{_first_line(_text(node))}' is not a literal value")

    def _variable_read(self, node: Node, scope: _Scope) -> Template | None:
        """``pm.environment.get("x")``, ``pm.variables.replaceIn("{{x}}")``, ``environment.x``."""
        if node.type == "call_expression":
            base, links = _chain(node)
            names = [name for name, _ in links]
            call = links[-1][1] if links else None
            args = [self._literal(a, scope) for a in _children(call)] if call is not None else []
            if len(args) != 1 or not isinstance(args[0], str) or isinstance(args[0], Template):
                return None
            if base == "pm" and len(names) == 2 and names[0] in VARIABLE_SCOPES:
                if names[1] == "get":
                    return Template(f"<<{self.rename(args[0])}>>")
                if names[1] == "replaceIn":
                    return Template(
                        POSTMAN_VAR.sub(
                            lambda m: f"<<{self.rename(m.group(1))}>>", escape_text(args[0])
                        )
                    )
            if base == "postman" and names in (["getEnvironmentVariable"], ["getGlobalVariable"]):
                return Template(f"<<{self.rename(args[0])}>>")
        if node.type in ("member_expression", "subscript_expression"):
            obj = node.child_by_field_name("object")
            if obj is not None and _text(obj) in ("environment", "globals", "data"):
                if node.type == "member_expression":
                    prop = node.child_by_field_name("property")
                    key: Any = _text(prop) if prop is not None else None
                else:
                    index = node.child_by_field_name("index")
                    key = self._literal(index, scope) if index is not None else None
                if isinstance(key, str) and not isinstance(key, Template):
                    return Template(f"<<{self.rename(key)}>>")
        return None


# -- helpers ----------


class _Scope:
    """Aliases of response values (``jsonData``) and literal constants (``schema``)."""

    def __init__(self, parent: _Scope | None) -> None:
        self.parent = parent
        self.names: dict[str, Subject] = {}
        self.constants: dict[str, Any] = {}

    def get(self, name: str) -> Subject | None:
        if name in self.names:
            return self.names[name]
        if name in self.constants:
            return None
        return self.parent.get(name) if self.parent is not None else None

    def constant(self, name: str) -> Any:
        if name in self.constants:
            return self.constants[name]
        if name in self.names:
            raise Untranslatable(f"'{name}' is a response value, not a literal")
        if self.parent is not None:
            return self.parent.constant(name)
        raise Untranslatable(f"'{name}' is not a literal value")


@dataclass(frozen=True)
class _Regex:
    pattern: str

    @staticmethod
    def from_js(pattern: str, flags: str) -> _Regex:
        inline = "".join(f for f in "ims" if f in flags)
        if set(flags) - set("gimsuy"):
            raise Untranslatable(f"regular expression flags {flags!r}")
        full = f"(?{inline}){pattern}" if inline else pattern
        try:
            re.compile(full)
        except re.error as exc:
            raise Untranslatable(f"a regular expression Python cannot read ({exc})") from None
        return _Regex(full)


def _expectation(subject: Subject, op: str, value: Any) -> Expectation:
    kind = subject.kind
    if kind == "json":
        return Expectation("json", json_path(subject.target), op, value)
    if kind in ("status", "body", "time"):
        return Expectation(kind, None, op, value)
    if kind == "header":
        return Expectation("header", subject.target, op, value)
    raise Untranslatable(f"a check on a {kind}")


def _chain(node: Node) -> tuple[str | None, list[tuple[str, Node | None]]]:
    """``pm.expect(x).to.eql(1)`` -> ("pm", [("expect", args), ("to", None), ("eql", args)])."""
    links: list[tuple[str, Node | None]] = []
    current: Node | None = node
    pending_args: Node | None = None
    while current is not None:
        if current.type == "call_expression":
            pending_args = current.child_by_field_name("arguments")
            current = current.child_by_field_name("function")
            if current is None or current.type != "member_expression":
                return None, []
            continue
        if current.type == "member_expression":
            prop = current.child_by_field_name("property")
            links.append((_text(prop) if prop is not None else "", pending_args))
            pending_args = None
            current = current.child_by_field_name("object")
            continue
        if current.type == "identifier" and pending_args is None:
            links.reverse()
            return _text(current), links
        break
    links.reverse()
    return None, links


def _chain_prefix(call: Node) -> Node | None:
    """The object a method is called on: ``responseBody.has("x")`` -> ``responseBody``."""
    fn = call.child_by_field_name("function")
    if fn is None or fn.type != "member_expression":
        return None
    return fn.child_by_field_name("object")


_EXPORTED_NAME = re.compile(r"^(?P<label>.*?): (?:" + "|".join(MATCH_OPS) + r") ", re.DOTALL)


def _exported_name(name: str | None, exp: Expectation) -> bool:
    """Whether ``name`` is the one ``runner export postman`` gives an unnamed check
    (``status: eq 200``), so a collection exported and imported back stays unnamed."""
    found = _EXPORTED_NAME.match(name or "")
    if found is None:
        return False
    subject = {"time": "time", "schema": "schema"}.get(exp.kind, exp.kind)
    label = f"{subject} {exp.target}" if exp.target else subject
    return found["label"].lower() == label.lower()


def _test_name(node: Node | None) -> str:
    """A test's name, when it is written as a literal (a computed one is kept as script)."""
    if node is None or node.type != "string":
        raise Untranslatable("a test whose name is computed")
    name = _string(node)
    if not name.strip():
        raise Untranslatable("a test without a name")
    return name


def _unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and _children(node):
        node = _children(node)[0]
    return node


def _key_text(node: Node) -> str:
    if node.type == "string":
        return _string(node)
    if node.type == "number":
        return str(_number(_text(node)))
    return _text(node)


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean.lower().startswith(("0x", "0o", "0b")):
            return int(clean, 0)
        if re.fullmatch(r"[0-9]+", clean):
            return int(clean)
        value = float(clean)
    except ValueError:
        raise Untranslatable(f"the number {text}") from None
    return int(value) if value.is_integer() and abs(value) < 2**53 and "." not in clean else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_text(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise Untranslatable("a header compared with a boolean or null")
    return value if isinstance(value, str) else str(value)


def _has_template(value: Any) -> bool:
    if isinstance(value, Template):
        return True
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def _lodash_path(path: str) -> tuple[str | int, ...]:
    """``a.b[0].c`` (lodash's ``_.get``) -> ("a", "b", 0, "c")."""
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    if not out:
        raise Untranslatable(f"the path {path!r}")
    return tuple(out)


def _defined_test(condition: Node) -> Node | None:
    """What ``X !== undefined`` or ``typeof X !== "undefined"`` tests (either side), or None."""
    if condition.type != "binary_expression":
        return None
    operator = condition.child_by_field_name("operator")
    left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
    if operator is None or _text(operator) != "!==" or left is None or right is None:
        return None
    for subject, other in ((left, right), (right, left)):
        if other.type == "undefined" or _text(other) == "undefined":
            return subject if subject.type != "unary_expression" else None
        if other.type == "string" and _string(other) == "undefined":
            operand = subject.child_by_field_name("argument")
            typeof = subject.child_by_field_name("operator")
            if subject.type == "unary_expression" and typeof is not None and operand is not None:
                return operand if _text(typeof) == "typeof" else None
    return None


def _declared_only(stmt: Node) -> list[str] | None:
    """``var data;``: a declaration without values (kept only if what is kept reads it)."""
    if stmt.type not in ("lexical_declaration", "variable_declaration"):
        return None
    names: list[str] = []
    for decl in _children(stmt):
        name = decl.child_by_field_name("name")
        if decl.type != "variable_declarator" or decl.child_by_field_name("value") is not None:
            return None
        if name is None or name.type != "identifier":
            return None
        names.append(_text(name))
    return names or None


def _assigned_names(root: Node) -> Counter[str]:
    """How often each name is assigned after its declaration: those are not safe aliases
    (except the one ``try { x = JSON.parse(responseBody) }``)."""
    names: Counter[str] = Counter()
    for node in _walk(root):
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                names[_text(left)] += 1
        elif node.type == "update_expression":
            arg = node.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                names[_text(arg)] += 1
    return names


def _identifiers(root: Node) -> set[str]:
    return {
        _text(n) for n in _walk(root) if n.type in ("identifier", "shorthand_property_identifier")
    }


def _walk(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= 80 else line[:77] + "..."


def _describe(node: Node) -> str:
    """Why a statement stays script, in a few words, for the import report."""
    text = _text(node)
    kinds = {
        "if_statement": "a condition (if)",
        "try_statement": "try/catch",
        "for_statement": "a loop",
        "for_in_statement": "a loop",
        "while_statement": "a loop",
        "function_declaration": "a function",
        "lexical_declaration": "a variable that is not read from the response",
        "variable_declaration": "a variable that is not read from the response",
        "switch_statement": "a switch",
    }
    if node.type in kinds:
        return kinds[node.type]
    for marker, why in (
        ("setNextRequest", "flow control (setNextRequest)"),
        ("sendRequest", "a request sent from a script (pm.sendRequest)"),
        ("console.", "logging (console)"),
        ("require(", "a library (require)"),
        ("pm.test.skip", "a skipped test"),
        ("unset(", "a variable removed (unset)"),
        ("clear", "variables cleared"),
        ("pm.request", "reads or changes the request (pm.request)"),
        ("pm.info", "reads run information (pm.info)"),
        (".set(", "a variable set from something that is not in the response"),
        ("iterationData", "reads iteration data"),
        ("setEnvironmentVariable", "a variable set from something that is not in the response"),
        ("setGlobalVariable", "a variable set from something that is not in the response"),
        ("tests[", "a test condition that is not a plain comparison"),
        ("pm.expect", "an assertion with no declarative form"),
    ):
        if marker in text:
            return why
    return "not a recognised pattern"


def _count_lines(source: bytes, root: Node, only: list[Node] | None = None) -> int:
    """Non-blank lines that are not only a comment (or, with ``only``, that lie in those
    statements)."""
    comment_lines: set[int] = set()
    code_lines: set[int] = set()
    for node in _walk(root):
        if node.child_count:
            continue
        rows = range(node.start_point.row, node.end_point.row + 1)
        (comment_lines if node.type == "comment" else code_lines).update(rows)
    if only is None:
        return len(code_lines)
    covered: set[int] = set()
    for node in only:
        covered.update(range(node.start_point.row, node.end_point.row + 1))
    kept_rows: set[int] = set()
    for node in root.named_children:
        if node.type == "comment" or any(node.id == n.id for n in only):
            continue
        kept_rows.update(range(node.start_point.row, node.end_point.row + 1))
    return len((covered - kept_rows) & code_lines)


def _without(source: bytes, removed: list[Node], root: Node) -> str | None:
    """The script with the translated statements (and their lines) cut out; None when only
    comments are left."""
    cuts: list[tuple[int, int]] = []
    for node in removed:
        start, end = node.start_byte, node.end_byte
        line_start = source.rfind(b"\n", 0, start) + 1
        if not source[line_start:start].strip():
            start = line_start
        line_end = source.find(b"\n", end)
        line_end = len(source) if line_end == -1 else line_end
        if not source[end:line_end].strip():
            end = min(line_end + 1, len(source))
        cuts.append((start, end))
    cuts.sort()
    out = bytearray()
    position = 0
    for start, end in cuts:
        if start < position:
            start = position
        out += source[position:start]
        position = max(position, end)
    out += source[position:]
    text = out.decode("utf-8", "replace")
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if not text.strip():
        return None
    rest = parse(text)
    if not [c for c in rest.named_children if c.type != "comment"]:
        return None
    return text + "\n"
