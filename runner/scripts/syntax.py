"""JavaScript syntax of Postman scripts: tree-sitter's parser and what the engine reads from it.

Why here, below the engine: the check before sending counts the variables a script sets by a
literal name as defined (``assigned_names``), and the Postman importer's translator
(runner.formats.postman.script_import) reads scripts with the same parser. Parsing never
runs a script.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from tree_sitter import Node

CAPTURE_SCOPES = ("environment", "collectionVariables", "globals", "variables")


LEGACY_SETTERS = ("setEnvironmentVariable", "setGlobalVariable")


_ESCAPE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


_SETTER_CALLS = frozenset(
    [f"pm.{scope}.set" for scope in CAPTURE_SCOPES] + [f"postman.{n}" for n in LEGACY_SETTERS]
)


@cache
def parser() -> Any:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_javascript.language()))


def parse(source: str) -> Node:
    tree = parser().parse(source.encode("utf-8"))
    root: Node = tree.root_node
    return root


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def children(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"]


def string_value(node: Node) -> str:
    out: list[str] = []
    for part in node.named_children:
        piece = text(part)
        out.append(_unescape(piece) if part.type == "escape_sequence" else piece)
    return "".join(out)


def _unescape(seq: str) -> str:
    body = seq[1:]
    if body in _ESCAPE:
        return _ESCAPE[body]
    if body.startswith("x") and len(body) == 3:
        return chr(int(body[1:], 16))
    if body.startswith("u{"):
        return chr(int(body[2:-1], 16))
    if body.startswith("u") and len(body) == 5:
        return chr(int(body[1:], 16))
    if body.startswith(("\n", "\r")):
        return ""  # a line continuation
    return body


def imported_name(name: str) -> str:
    """A Postman name as the importer writes it (the runner's scopes hold it under that name)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    base = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "var"
    return "v_" + base if base[0].isdigit() else base


def assigned_names(source: str) -> set[str]:
    """The variables a script sets by a literal name: ``pm.environment.set("token", ...)``
    (any of Postman's scopes) and the legacy ``postman.setEnvironmentVariable("token", ...)``,
    each as ``runner import postman`` names it (``collection-var`` -> ``collection_var``).

    Why: when scripts run (``--scripts``), later steps read what they set; the engine's check
    before sending counts these names as defined, as it does captures."""
    names: set[str] = set()
    stack = [parse(source)]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "call_expression":
            continue
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None:
            continue
        if "".join(text(function).split()) not in _SETTER_CALLS:
            continue
        first = children(arguments)[:1]
        if first and first[0].type == "string":
            names.add(imported_name(string_value(first[0])))
    return names


@cache
def count_tests(source: str) -> int:
    """How many Postman tests a script declares: each ``pm.test(...)`` call and each legacy
    ``tests[...] = ...`` assignment, as written (a test inside a loop counts once).

    Why: a run with scripts off says how many Postman tests it did not run, never passing
    silently where Newman would have run them."""
    count = 0
    stack = [parse(source)]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            count += function is not None and "".join(text(function).split()) == "pm.test"
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            target = left.child_by_field_name("object") if left is not None else None
            count += (
                left is not None
                and left.type == "subscript_expression"
                and target is not None
                and text(target) == "tests"
            )
    return count
