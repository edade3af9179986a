"""Take values out of a response: JSONPath, header, regex over the body, cookie, status, body."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from runner.core.model import Capture
from runner.http.transport import Exchange

if TYPE_CHECKING:
    import jsonpath

# ``$.a.b``: plain member names, read straight from the parsed JSON (the same result as the
# JSONPath library gives, at a fraction of the cost: the common case of every check).
_DOTTED = re.compile(r"^\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


class CaptureError(Exception):
    """The response did not hold what the capture asked for."""


class MissingValue(CaptureError):
    """The value is absent where what holds it is there (the JSONPath's last step found
    nothing under a value that is not null, no such header or cookie): what Postman reads
    as ``undefined``, and an ``optional`` capture lets go."""


_LAST_STEP = re.compile(r"(?:\.[A-Za-z_$][A-Za-z0-9_$]*|\[\d+\]|\['[^']*'\]|\[\"[^\"]*\"\])$")


def _parent_present(path: str, data: Any) -> bool:
    """Whether the JSONPath without its last step finds one value that is not null (where
    JavaScript reads a missing property as ``undefined`` rather than throwing)."""
    parent = _LAST_STEP.sub("", path)
    if parent == path or not parent.startswith("$"):
        return False
    found = query_json(parent, data)
    return len(found) == 1 and found[0] is not None


@lru_cache(maxsize=1024)
def compile_path(path: str) -> jsonpath.JSONPath | jsonpath.CompoundJSONPath:
    """Compile a JSONPath once per run (and per process), not once per response."""
    import jsonpath  # deferred: its import builds a lexer (30 ms) runs without JSON skip

    return jsonpath.compile(path)


@lru_cache(maxsize=1024)
def _members(path: str) -> tuple[str, ...] | None:
    return tuple(path.split(".")[1:]) if _DOTTED.match(path) else None


def query_json(path: str, data: Any) -> list[Any]:
    members = _members(path)
    if members is None:
        return compile_path(path).findall(data)
    for name in members:
        if not isinstance(data, dict) or name not in data:
            return []
        data = data[name]
    return [data]


def extract(capture: Capture, exchange: Exchange) -> Any:
    expr = capture.expr or ""
    if capture.source == "json":
        try:
            data = exchange.json()
        except ValueError as exc:
            raise CaptureError(str(exc)) from None
        found = query_json(expr, data)
        if not found:
            missing = MissingValue if _parent_present(expr, data) else CaptureError
            raise missing(f"JSONPath {expr} matched nothing in the response body")
        return found[0] if len(found) == 1 else found
    if capture.source == "header":
        value = exchange.headers.get(expr)
        if value is None:
            raise MissingValue(f"the response has no header {expr!r}")
        return value
    if capture.source == "cookie":
        if expr not in exchange.cookies:
            raise MissingValue(f"the response set no cookie {expr!r}")
        return exchange.cookies[expr]
    if capture.source == "regex":
        match = re.search(expr, exchange.text())
        if match is None:
            raise CaptureError(f"regex {expr!r} matched nothing in the response body")
        if match.re.groups == 0:
            return match.group(0)
        if capture.group > match.re.groups:
            raise CaptureError(f"regex {expr!r} has no group {capture.group}")
        return match.group(capture.group)
    if capture.source == "status":
        return exchange.status
    return exchange.text()
