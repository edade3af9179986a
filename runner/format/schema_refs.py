"""``$ref`` to schema files in ``expect: schema``, resolved when the collection is loaded.

A ``$ref`` that is not only a fragment (``schemas/user.json``, ``api.schemas.json#/$defs/Pet``)
names a file relative to the file that holds it. Each such file is read once (by the reader
the loader passes in: JSON, or YAML through its safe path) and embedded in the step's schema
as a resource with its own ``$id`` (the file's URI), and the ``$ref`` is rewritten to that
URI. The validator then resolves everything offline, with JSON pointers and references inside
the files working as written. A missing or malformed file is a LoadError at the ``$ref`` that
names it.

This module sits below the loader and never imports it: the loader hands it the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from runner.core.errors import LoadError, SourceLocation

Reader = Callable[[Path], Any]  # a schema file as plain data, or a LoadError


@dataclass
class _Files:
    """The schema files met so far (path -> document), and how to read another."""

    read: Reader
    loaded: dict[Path, dict[str, Any]]
    root: Path  # every file must lie inside: the collection's folder


MAX_SCHEMA_FILES = 64
# the dialects whose embedded resources live under "definitions" and whose $ref hides siblings
_OLD_DRAFTS = ("draft-04", "draft-06", "draft-07")
EMBED_PREFIX = "file:"  # the keys of embedded files in $defs: "file:schemas/user.json"


def resolve_file_refs(schema: dict[str, Any], base: Path, read: Reader) -> dict[str, Any]:
    """Return ``schema`` with its file ``$ref``s embedded; ``base`` is the collection's folder,
    ``read`` turns a referenced file into data.

    Every file, those that referenced files name included, must lie inside ``base``: a
    collection from someone else cannot read ``../../.ssh`` or ``file:///etc`` through a
    schema, and a ``$ref`` to the network is an error wherever it is written.
    A schema without file references is returned unchanged."""
    loaded: dict[Path, dict[str, Any]] = {}
    root = base.resolve()
    rewritten: dict[str, Any] = _rewrite(schema, root, _Files(read, loaded, root))
    if not loaded:
        return schema
    old = any(d in str(schema.get("$schema", "")) for d in _OLD_DRAFTS)
    container = "definitions" if old else "$defs"
    if old and "$ref" in rewritten:  # a draft-07 $ref ignores its siblings: keep it apart
        rewritten = {k: v for k, v in rewritten.items() if k in ("$schema", "$id", container)} | {
            "allOf": [{k: v for k, v in rewritten.items() if k not in ("$schema", "$id")}]
        }
    embedded = dict(rewritten.get(container) or {})
    for path, document in loaded.items():
        embedded[EMBED_PREFIX + _display(path, base)] = document
    rewritten[container] = embedded
    return rewritten


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _rewrite(node: Any, folder: Path, files: _Files) -> Any:
    """Copy of ``node`` with file refs made absolute; referenced files go into ``files``."""
    if isinstance(node, list):
        return [_rewrite(item, folder, files) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            out[key] = _absolute_ref(value, folder, files)
        else:
            out[key] = _rewrite(value, folder, files)
    return out


def _target(ref: str, folder: Path, root: Path, loc: SourceLocation | None) -> Path:
    """The file a ``$ref`` names, which must be inside ``root``; LoadError otherwise."""
    split = urlsplit(ref)
    if split.scheme and split.scheme != "file":
        raise LoadError(
            f"schema $ref {ref!r} is not a file",
            loc,
            "refer to a file relative to the collection (schemas/user.json); "
            "nothing is fetched from the network",
        )
    path = unquote(split.path)
    target = (Path(path) if split.scheme == "file" else folder / path).resolve()
    if not target.is_relative_to(root):
        raise LoadError(
            f"schema $ref {ref!r} is outside the collection's folder",
            loc,
            f"keep schema files inside {root}; a collection may not read other files",
        )
    return target


def _absolute_ref(ref: str, folder: Path, files: _Files) -> str:
    loc: SourceLocation | None = getattr(ref, "loc", None)
    target = _target(ref, folder, files.root, loc)
    _load(target, files, loc, ref)
    fragment = urlsplit(ref).fragment
    uri = target.as_uri()
    return f"{uri}#{fragment}" if fragment else uri


def _load(path: Path, files: _Files, loc: SourceLocation | None, ref: str) -> None:
    loaded = files.loaded
    if path in loaded:
        return
    if len(loaded) >= MAX_SCHEMA_FILES:
        raise LoadError(f"more than {MAX_SCHEMA_FILES} schema files are referenced", loc)
    if not path.is_file():
        raise LoadError(
            f"schema $ref {ref!r}: no such file {path}",
            loc,
            "the path is relative to the file that holds the $ref",
        )
    document = files.read(path)
    if not isinstance(document, dict):
        raise LoadError(f"schema file {path} must hold a JSON Schema mapping", loc)
    loaded[path] = {}  # reserve the slot first: files may refer to each other
    # Refs inside a file resolve against its own $id; files it names are embedded beside it.
    _collect(document, path, files, loc)
    loaded[path] = {**document, "$id": path.as_uri()}


def _collect(node: Any, path: Path, files: _Files, loc: SourceLocation | None) -> None:
    """Load the files that the schema file ``path`` refers to; the error of a bad one points
    at the ``$ref`` in the collection that led there (``loc``) and names the file it is in."""
    if isinstance(node, list):
        for item in node:
            _collect(item, path, files, loc)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                try:
                    target = _target(value, path.parent, files.root, loc)
                except LoadError as exc:
                    exc.message = f"{exc.message} (in {_display(path, files.root)})"
                    raise
                _load(target, files, None, value)
            else:
                _collect(value, path, files, loc)
