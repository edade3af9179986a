"""``runner fmt``: rewrite collections and environments in a canonical key order and style,
keeping every comment; and the round-trip YAML writer the importers use to add steps.

Why ruamel.yaml: it reads YAML with its comments and writes it back, which PyYAML cannot. It is
only used to rewrite text; a file is always validated first by the loader's safe path
(``runner.format.loader``), and what runs is always what that loader reads. A file the
loader refuses
is reported and left alone.

The canonical form:

- keys in the order of the loader's tables (``name``, ``description``, ``variables``, ...,
  ``steps``; in a step its kind first, then ``id``, ``description``, ``method``, ``url``, ...);
  user mappings (variables, headers, params, JSON bodies) keep the order they were written in;
- two spaces of indentation, lists indented under their key (``steps:`` then ``  - request:``);
- standard HTTP methods in capitals;
- scalars exactly as written (``012``, ``no``, quotes and block styles are kept), so the
  meaning never changes. Every rewrite is checked: the new text must read as the same values,
  and every comment must still be there, or the file is not written.

Block mappings are reordered line by line (an entry moves with the comment lines just above
it); ruamel only re-indents. That keeps comments where a person put them, which moving keys
inside ruamel's own comment model does not.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.core.errors import LoadError, RunnerError, SourceLocation, UsageError
from runner.format import loader, spec

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


class FormatError(RunnerError):
    """The rewrite would lose a comment or change a value: the file is left as it was."""

    kind = "format"


# --- the YAML instance ---------------------------------------------------------------------------


def yaml_rt() -> Any:
    """A round-trip YAML reader/writer in the canonical style.

    Every plain scalar is read as the text it is (no implicit types), so ``012``, ``no`` or
    ``3.10`` are written back exactly as they were."""
    from ruamel.yaml import YAML  # deferred: only fmt and the importers need it
    from ruamel.yaml.nodes import ScalarNode as RScalar
    from ruamel.yaml.resolver import VersionedResolver

    class _AsWritten(VersionedResolver):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is RScalar and implicit[0] and value != "":
                return self.DEFAULT_SCALAR_TAG
            return super().resolve(kind, value, implicit)

    rt = YAML()
    rt.Resolver = _AsWritten
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 4096  # never fold long lines (URLs)
    return rt


def dump(data: Any) -> str:
    """YAML text of round-trip data (a loaded document, or plain data from ``plain()``)."""
    out = io.StringIO()
    yaml_rt().dump(data, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """Plain Python data (dicts, lists, strings, numbers) made ready for ``dump``: a string the
    loader would read as another type (``true``, ``012``, ``null``) is quoted, so it stays a
    string."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[plain(key)] = plain(item)
        return out
    if isinstance(value, list | tuple):
        return CommentedSeq(plain(item) for item in value)
    if isinstance(value, str):
        if "\n" in value and value.endswith("\n") and not value.strip("\n") == "":
            if all(not line.endswith(" ") for line in value.splitlines()):
                return LiteralScalarString(value)
        if _resolves_to_other_type(value):
            return SingleQuotedScalarString(value)
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        # written as YAML 1.2 spells them; the writer reads every plain scalar as text
        return json.dumps(value)
    return value


def _resolves_to_other_type(text: str) -> bool:
    """Would the loader read this text, written plain, as something other than a string?"""
    resolver = loader.CoreResolver()
    tag = resolver.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag != "tag:yaml.org,2002:str")


# --- canonical key order -----------------------------------------------------------------------


def _order(ctx: str, keys: Sequence[str], node: Any) -> tuple[str, ...] | None:
    """The canonical key order of a mapping in context ``ctx``, or None to keep it."""
    if ctx == "step":
        kinds = [k for k in spec.STEPS if k in keys]
        return spec.STEPS[kinds[0]].names if len(kinds) == 1 else None
    if ctx == "auth":
        kind = node.get("type") if hasattr(node, "get") else None
        found = spec.AUTH_TYPES.get(str(kind)) if kind is not None else None
        return found.names if found is not None else ("type",)
    fixed = {"collection": spec.COLLECTION, "environment": spec.ENVIRONMENT, **spec.MAPPINGS}
    return fixed[ctx].names if ctx in fixed else None


_STEP_CHILDREN = {
    "auth": "auth", "body": "body", "params": "params", "headers": "params", "expect": "expect",
    "capture": "captures", "examples": "examples", "scripts": "scripts", "retry": "retry",
    "retries": "retries",
    "repeat": "repeat", "goto": "goto", "steps": "steps",
}  # fmt: skip
_CHILDREN: dict[str, dict[str, str]] = {
    "collection": {"auth": "auth", "scripts": "scripts", "steps": "steps", "retries": "retries"},
    "step": _STEP_CHILDREN,
    "body": {"form": "params", "fields": "params", "multipart": "parts", "graphql": "graphql"},
}
_EACH = {"steps": "step", "params": "param", "captures": "capture", "parts": "part",
         "examples": "example"}  # fmt: skip


def _child(ctx: str | None, key: Any) -> str | None:
    """The context of the value under ``key`` (an index for lists) of a ``ctx`` node."""
    if ctx is None:
        return None
    if ctx in _EACH:
        return _EACH[ctx]
    return _CHILDREN.get(ctx, {}).get(str(key))


def _ranked(keys: list[str], order: tuple[str, ...]) -> list[str]:
    rank = {key: i for i, key in enumerate(order)}
    return sorted(keys, key=lambda k: rank.get(k, len(order)))


def _canonical_values(node: Any, ctx: str | None) -> None:
    """Reorder flow mappings (one line, no comments inside) and put methods in capitals."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        keys = [str(k) for k in node]
        order = _order(ctx, keys, node) if ctx else None
        if order and node.fa.flow_style():
            for key in _ranked(keys, order):
                node.move_to_end(key)
        if ctx == "step" and isinstance(node.get("method"), str):
            method = node["method"]
            if method.upper() in spec.HTTP_METHODS and method != method.upper():
                node["method"] = type(method)(method.upper())
        for key in keys:
            _canonical_values(node[key], _child(ctx, key))
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            _canonical_values(item, _child(ctx, index))


def _is_gap(line: str, col: int) -> bool:
    """A blank line, or a comment no deeper than the mapping's keys (it belongs to the key
    below it)."""
    stripped = line.strip()
    if not stripped:
        return True
    return stripped.startswith("#") and len(line) - len(line.lstrip(" ")) <= col


def _reorder_lines(text: str, ctx: str) -> str:
    """Reorder the entries of block mappings by moving their lines (see the module doc)."""
    data = yaml_rt().load(text)
    lines = text.splitlines(keepends=True)
    return "".join(_emit(data, ctx, lines, 0, len(lines)))


def _emit(node: Any, ctx: str | None, lines: list[str], start: int, end: int) -> list[str]:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    block = isinstance(node, CommentedMap | CommentedSeq) and len(node) and not node.fa.flow_style()
    if ctx is None or not block:
        return lines[start:end]
    if isinstance(node, CommentedSeq):
        item_lines = [node.lc.item(i)[0] for i in range(len(node))]
        out = lines[start : item_lines[0]]
        for i, item in enumerate(node):
            stop = item_lines[i + 1] if i + 1 < len(node) else end
            out += _emit(item, _child(ctx, i), lines, item_lines[i], stop)
        return out
    keys = list(node)
    key_lines = [node.lc.key(k)[0] for k in keys]
    col = node.lc.key(keys[0])[1]
    starts = [key_lines[0]]
    for i in range(1, len(keys)):
        top = key_lines[i]
        while top - 1 > key_lines[i - 1] and _is_gap(lines[top - 1], col):
            top -= 1
        starts.append(top)
    tail = end
    while tail - 1 > key_lines[-1] and _is_gap(lines[tail - 1], col):
        tail -= 1
    entries: dict[str, list[str]] = {}
    for i, key in enumerate(keys):
        stop = starts[i + 1] if i + 1 < len(keys) else tail
        entry = lines[starts[i] : key_lines[i] + 1]
        entry += _emit(node[key], _child(ctx, key), lines, key_lines[i] + 1, stop)
        entries[str(key)] = entry
    order = _order(ctx, [str(k) for k in keys], node)
    names = [str(k) for k in keys]
    new = _ranked(names, order) if order else names
    if new != names:
        first = lines[key_lines[0]]
        prefix = first[:col]
        if prefix.strip():  # "  - " of a list item: it goes with whichever key is first now
            old_entry = entries[names[0]]
            old_entry[0] = " " * col + old_entry[0][col:]
            new_entry = entries[new[0]]
            key_at = next(i for i, line in enumerate(new_entry) if not _is_gap(line, col))
            new_entry[key_at] = prefix + new_entry[key_at][col:]
    out = lines[start : key_lines[0]]
    for key in new:
        out += entries[key]
    return out + lines[tail:end]


# --- checking a rewrite --------------------------------------------------------------------------


def _shape(node: Node) -> Any:
    """The values of a node tree as written (scalars with their resolved tag), mappings
    without their order: what a rewrite must keep."""
    if isinstance(node, ScalarNode):
        return (node.tag, node.value)
    if isinstance(node, SequenceNode):
        return [_shape(item) for item in node.value]
    if isinstance(node, MappingNode):
        out = {}
        for key, value in node.value:
            shape = _shape(value)
            if (key.value, value.tag) == ("method", "tag:yaml.org,2002:str") and (
                str(value.value).upper() in spec.HTTP_METHODS
            ):
                shape = (value.tag, str(value.value).upper())  # fmt writes methods in capitals
            out[_shape(key)] = shape
        return out
    return None


_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def _comments(text: str) -> list[str]:
    """Every comment's text (and any ``#`` after a space in a value, which a rewrite keeps
    too), in order; block scalars included, harmlessly."""
    return sorted(m.group(1).rstrip() for line in text.splitlines() if (m := _COMMENT.search(line)))


def _verify(before: str, after: str, path: str) -> None:
    old = loader.compose_tree(before, path)
    new = loader.compose_tree(after, path)
    if old is None or new is None or _shape(old) != _shape(new):
        raise FormatError(
            "formatting would change a value; the file was left as it was",
            SourceLocation(path, 1),
            "please report this file; `runner check` reads it as it is",
        )
    if _comments(before) != _comments(after):
        raise FormatError(
            "formatting would lose a comment; the file was left as it was",
            SourceLocation(path, 1),
            "please report this file",
        )


# --- formatting a file ---------------------------------------------------------------------------


def kind_of(text: str, path: str) -> str | None:
    """``collection``, ``environment``, or None for YAML that is neither (by its top keys)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # nodes only: nothing is constructed
    except yaml.YAMLError:
        return "collection" if Path(path).suffix in YAML_SUFFIXES else None
    if not isinstance(root, MappingNode):
        return None
    keys = {k.value for k, _ in root.value if isinstance(k, ScalarNode)}
    if "steps" in keys:
        return "collection"
    if keys and keys <= set(spec.ENVIRONMENT.names):
        return "environment"
    return None


def format_text(text: str, path: str = "<collection>", kind: str | None = None) -> str:
    """The canonical form of a collection or environment file's text.

    Raises LoadError (the loader's, with file:line:col) for a file the loader refuses, and
    FormatError when the rewrite would change a value or lose a comment."""
    kind = kind or kind_of(text, path) or "collection"
    text = text.removeprefix("\ufeff")
    if kind == "collection":
        loader.parse_collection(text, path)
    else:
        loader.parse_environment(text, path)
    rt = yaml_rt()
    if text.lstrip().startswith("---"):
        rt.explicit_start = True
    data = rt.load(text)
    _canonical_values(data, kind)
    out = io.StringIO()
    rt.dump(data, out)
    result = _reorder_lines(out.getvalue(), kind)
    _verify(text, result, path)
    return result


def append_steps(path: Path, steps: list[dict[str, Any]], name: str | None = None) -> bool:
    """Add steps at the end of the collection at ``path`` (created, named ``name``, when it
    does not exist), keeping its comments. Returns True when the file was created.

    The result is checked by the loader before anything is written."""
    from runner.core.files import write_atomic

    created = not path.exists()
    if created:
        text = dump(plain({"name": name or path.stem, "steps": steps}))
        mode = 0o644
    else:
        original = loader.read_text(path)
        format_text(original, str(path), "collection")  # refuse a file the loader refuses
        rt = yaml_rt()
        data = rt.load(original)
        for step in steps:
            data["steps"].append(plain(step))
        out = io.StringIO()
        rt.dump(data, out)
        text = out.getvalue()
        mode = path.stat().st_mode & 0o777
    text = format_text(text, str(path), "collection")
    write_atomic(path, text.encode("utf-8"), mode=mode)
    return created


def steps_text(steps: list[dict[str, Any]]) -> str:
    """Steps as YAML list items, ready to paste under ``steps:`` (indented as there)."""
    text = dump(plain({"steps": steps}))
    return "".join(line for line in text.splitlines(keepends=True)[1:])


# --- formatting files ----------------------------------------------------------------------------


@dataclass
class FileFormat:
    """What formatting one file did: ``changed`` (rewritten, or with ``check`` would be), or
    ``error`` (the file is left as it was). ``seen``: it is a collection or environment."""

    path: Path
    seen: bool = False
    changed: bool = False
    error: RunnerError | None = None


def _files(paths: Sequence[str]) -> Iterator[tuple[Path, bool]]:
    """(file, named explicitly) for each path; directories are searched."""
    for raw in paths or ["."]:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                rel = found.relative_to(path).parts
                if (
                    found.suffix in YAML_SUFFIXES
                    and found.is_file()
                    and not any(part in SKIP_DIRS or part.startswith(".") for part in rel[:-1])
                ):
                    yield found, False
        else:
            yield path, True


def format_paths(paths: Sequence[str], *, check: bool = False) -> Iterator[FileFormat]:
    """Format each collection and environment under ``paths`` (default: .), one file at a
    time, in place (with ``check``: change nothing). A file found in a directory that is
    neither is passed over silently; one named explicitly is an error."""
    from runner.core.files import write_atomic

    for path, explicit in _files(paths):
        try:
            text = loader.read_text(path)
        except LoadError as exc:
            yield FileFormat(path, error=exc)
            continue
        kind = kind_of(text, str(path))
        if kind is None:
            if explicit:
                yield FileFormat(
                    path,
                    error=UsageError(
                        f"{path} is neither a collection (no 'steps') nor an environment",
                        hint="runner fmt formats collection and environment files",
                    ),
                )
            continue
        try:
            new = format_text(text, str(path), kind)
        except RunnerError as exc:
            yield FileFormat(path, seen=True, error=exc)
            continue
        if new != text and not check:
            write_atomic(path, new.encode("utf-8"), mode=path.stat().st_mode & 0o777)
        yield FileFormat(path, seen=True, changed=new != text)
