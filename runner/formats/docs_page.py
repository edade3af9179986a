"""``runner import docs PAGE.md``: an API documentation page (Qodex/Postman style) as a step.

Such a page, exported as Markdown, has a title, a method and URL line (``GET https://...``, or
the method and the URL on two lines), a description, and tables under PARAMS, HEADERS and
BODY headings with the columns Key, Datatype, Required and Description (a Value or Example
column is used when present). The step it makes is documented: every row becomes a
documented entry (``type``, ``required``, ``description``), so ``runner docs`` can write the
page again and ``runner run --docs-check`` holds requests to it. A required entry gets the
value ``<<name>>`` (a variable to define) unless the table gives one; an optional entry with
no value is documentation only and is not sent.

An endpoint a person opens in a browser (an OAuth ``/authorize`` URL) becomes a ``browser``
step; ``--kind`` decides it otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.core.errors import LoadError, SourceLocation
from runner.formats.curl.importer import templates

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHOD_LINE = re.compile(
    r"^[\s>*_`#-]*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b[\s*_`:]*(\S*)", re.IGNORECASE
)
_URL = re.compile(r"^[\s*_`<(\[]*((?:https?://|\{\{|<<)[^\s`*)>\]]+(?:>>)?)")
_SECTIONS = {
    "PARAMS": "params", "QUERY PARAMS": "params", "QUERY PARAMETERS": "params",
    "QUERY": "params", "PARAMETERS": "params", "HEADERS": "headers", "HEADER": "headers",
    "BODY": "body", "REQUEST BODY": "body",
}  # fmt: skip
_TYPES = {
    "string": "string", "str": "string", "text": "string", "integer": "integer",
    "int": "integer", "long": "integer", "number": "number", "float": "number",
    "double": "number", "decimal": "number", "boolean": "boolean", "bool": "boolean",
    "array": "array", "list": "array", "object": "object", "json": "object",
}  # fmt: skip
_COLUMNS = {
    "key": "key", "name": "key", "parameter": "key", "field": "key", "datatype": "type",
    "data type": "type", "type": "type", "required": "required", "description": "description",
    "value": "value", "example": "value", "default": "value",
}  # fmt: skip


@dataclass
class Row:
    key: str
    type: str | None = None
    required: bool = False
    description: str | None = None
    value: str | None = None


@dataclass
class Page:
    title: str | None = None
    method: str | None = None
    url: str | None = None
    description: list[str] = field(default_factory=list)
    sections: dict[str, list[Row]] = field(default_factory=dict)
    body_kind: str = "json"
    notes: list[str] = field(default_factory=list)


def parse_page(text: str, path: str = "<page>") -> Page:
    """Read a documentation page; raises LoadError (with the line) when it has no request."""
    page = Page()
    lines = text.splitlines()
    section: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        heading = re.sub(r"[#*_:`]", "", stripped).strip()
        key = re.sub(r"\s+", " ", heading).upper()
        if page.method is None:
            match = _METHOD_LINE.match(stripped)
            if match and (match.group(2) or _next_url(lines, i + 1)):
                page.method = match.group(1).upper()
                url = match.group(2) or _next_url(lines, i + 1) or ""
                if not match.group(2):
                    i = _skip_to_url(lines, i + 1)
                page.url = _clean_url(url)
                i += 1
                continue
            if stripped.startswith("#") and page.title is None:
                page.title = heading
            elif stripped and page.title is not None and not stripped.startswith("|"):
                page.description.append(stripped)
            i += 1
            continue
        section_name = _section(key)
        if section_name is not None and not stripped.startswith("|"):
            section = section_name
            if section == "body":
                lowered = key.lower()
                if "urlencoded" in lowered:
                    page.body_kind = "form"
                elif "form" in lowered and "data" in lowered:
                    page.body_kind = "multipart"
            i += 1
            continue
        if stripped.startswith("|") and section is not None:
            rows, i = _table(lines, i, path)
            page.sections.setdefault(section, []).extend(rows)
            continue
        if stripped.startswith("#") and section is None and page.title is None:
            page.title = heading
        elif stripped and section is None and not stripped.startswith("#"):
            page.description.append(stripped)
        i += 1
    if page.method is None or not page.url:
        raise LoadError(
            "no request found: the page needs a line with a method and a URL",
            SourceLocation(path, 1),
            "write e.g. 'GET https://api.example.com/v1/users' near the top",
        )
    return page


def _section(key: str) -> str | None:
    for prefix, name in _SECTIONS.items():
        if key == prefix or key.startswith(prefix + " "):
            return name
    return None


def _next_url(lines: list[str], start: int) -> str | None:
    for line in lines[start : start + 3]:
        if line.strip():
            match = _URL.match(line.strip())
            return match.group(1) if match else None
    return None


def _skip_to_url(lines: list[str], start: int) -> int:
    for i in range(start, min(start + 3, len(lines))):
        if lines[i].strip():
            return i
    return start


def _clean_url(url: str) -> str:
    url = url.strip("`*<>()[] ")
    url = templates(url)  # {{base_url}} -> <<base_url>>
    url = re.sub(r"(?<=/):([A-Za-z_][A-Za-z0-9_]*)", r"<<\1>>", url)  # /users/:id
    return re.sub(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", r"<<\1>>", url)  # /users/{id}


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", inner)]
    return [c[1:-1] if len(c) > 1 and c[0] == c[-1] == "`" and c.count("`") == 2 else c
            for c in cells]  # fmt: skip


def _table(lines: list[str], start: int, path: str) -> tuple[list[Row], int]:
    header = [_COLUMNS.get(c.lower().strip("*_ ")) for c in _cells(lines[start])]
    if "key" not in header:
        raise LoadError(
            "a table under PARAMS, HEADERS or BODY needs a Key column",
            SourceLocation(path, start + 1),
            "the columns are Key, Datatype, Required, Description",
        )
    i = start + 1
    if i < len(lines) and re.match(r"^\s*\|?[\s:|-]+\|?\s*$", lines[i]):
        i += 1
    rows: list[Row] = []
    while i < len(lines) and lines[i].strip().startswith("|"):
        cells = dict(zip(header, _cells(lines[i]), strict=False))
        key = (cells.get("key") or "").strip("*_ ")
        if key:
            type_name = (cells.get("type") or "").lower().strip("*_ ")
            required = (cells.get("required") or "").lower().strip("*_ ")
            rows.append(
                Row(
                    key=key,
                    type=_TYPES.get(type_name),
                    required=required in ("required", "yes", "true", "y", "mandatory", "✓"),
                    description=(cells.get("description") or "").replace("\\|", "|") or None,
                    value=cells.get("value") or None,
                )
            )
        i += 1
    return rows, i


def _entry(row: Row) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if row.value is not None:
        entry["value"] = templates(row.value)
    elif row.required:
        entry["value"] = f"<<{_variable(row.key)}>>"
    if row.type:
        entry["type"] = row.type
    if row.required:
        entry["required"] = True
    if row.description:
        entry["description"] = row.description
    return entry


def _variable(name: str) -> str:
    var = re.sub(r"\W", "_", name).strip("_") or "value"
    return var if not var[0].isdigit() else "_" + var


def to_step(page: Page, kind: str | None = None) -> dict[str, Any]:
    """The documented step of a page, as plain data in canonical order."""
    assert page.method is not None and page.url is not None
    if kind is None:
        kind = "browser" if re.search(r"/authori[sz]e/?$", page.url.split("?")[0]) else "request"
        if kind == "browser":
            page.notes.append("an authorization URL: made a browser step (use --kind request)")
    name = page.title or f"{page.method} {page.url}"
    step: dict[str, Any] = {kind: name}
    if page.description:
        step["description"] = " ".join(page.description)
    if page.method != "GET":
        step["method"] = page.method
    step["url"] = page.url
    params = {row.key: _entry(row) for row in page.sections.get("params", [])}
    if params:
        step["params"] = params
    headers = page.sections.get("headers", [])
    body_rows = page.sections.get("body", [])
    if kind == "browser":
        if headers or body_rows:
            page.notes.append("a browser step sends no headers or body: those tables are left out")
        return step
    if headers:
        step["headers"] = {row.key: _entry(row) for row in headers}
    if body_rows:
        step["body"] = _body(page, body_rows)
    return step


def _body(page: Page, rows: list[Row]) -> dict[str, Any]:
    if page.body_kind == "form":
        return {"form": {row.key: _entry(row) for row in rows}}
    if page.body_kind == "multipart":
        page.notes.append("multipart parts take no documentation: the descriptions are left out")
        return {
            "multipart": {
                row.key: templates(row.value) if row.value else f"<<{_variable(row.key)}>>"
                for row in rows
                if row.required or row.value
            }
            or {"field": "<<field>>"}
        }
    sent = {
        row.key: templates(row.value) if row.value else f"<<{_variable(row.key)}>>"
        for row in rows
        if row.required or row.value
    }
    fields = {}
    for row in rows:
        entry = _entry(row)
        entry.pop("value", None)
        fields[row.key] = entry
    return {"json": sent, "fields": fields}


def page_step(page: str, kind: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The documented step of the page at ``page``, and the notes for the person
    (runner.authoring.place puts it somewhere)."""
    from runner.format.loader import read_text

    parsed = parse_page(read_text(Path(page)), page)
    step = to_step(parsed, kind)
    return step, list(parsed.notes)
