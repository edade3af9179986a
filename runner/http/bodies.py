"""Multipart and GraphQL request bodies: rendered, encoded, ready for the transport.

Why the confinement of file parts: a collection may come from someone else (an import, a
shared repository), and a part such as ``file: ../../.ssh/id_rsa`` would upload a file the
person running it never meant to send. Paths are relative to the collection file's folder
and must stay inside it (symbolic links resolved), or inside a folder the person allowed
with ``--file-root``.
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runner.core.errors import MissingFile, RenderError
from runner.core.model import Body, Part
from runner.render.templates import Renderer

MAX_FILE_PART_BYTES = 100 * 1024 * 1024


def encode_body(
    body: Body,
    renderer: Renderer,
    scope: Mapping[str, Any],
    *,
    base_dir: Path,
    roots: Sequence[Path] = (),
) -> tuple[bytes, str]:
    """(content, content type) of a ``multipart`` or ``graphql`` body; raises RenderError."""
    if body.kind == "graphql":
        assert body.graphql is not None
        graphql = body.graphql
        payload: dict[str, Any] = {"query": renderer.render_str(graphql.query, scope)}
        if graphql.variables is not None:
            payload["variables"] = renderer.render_value(graphql.variables, scope)
        if graphql.operation_name is not None:
            payload["operationName"] = renderer.render_str(graphql.operation_name, scope)
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return content, "application/json"
    if body.kind == "multipart":
        return _multipart(body.parts, renderer, scope, base_dir, roots)
    if body.kind == "file" and body.file is not None:  # a binary body (Postman's "file" mode)
        part = Part("body", file=body.file, loc=body.loc)
        path = resolve_file(renderer.render_str(body.file, scope), part, base_dir, roots)
        guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return _read(path, part), guessed
    raise ValueError(f"encode_body does not encode {body.kind} bodies")


def _multipart(
    parts: Sequence[Part],
    renderer: Renderer,
    scope: Mapping[str, Any],
    base_dir: Path,
    roots: Sequence[Path],
) -> tuple[bytes, str]:
    import httpx  # its multipart encoder: boundaries, quoting and headers done right

    files: list[tuple[str, Any]] = []
    for part in parts:
        if not part.enabled:  # kept from an import (Postman's disabled field), not sent
            continue
        name = renderer.render_str(part.name, scope)  # Postman renders {{var}} in names
        if part.file is None:
            value = renderer.render_str(part.value or "", scope)
            if part.content_type:
                files.append((name, (None, value.encode("utf-8"), part.content_type)))
            else:
                files.append((name, (None, value)))
            continue
        path = resolve_file(renderer.render_str(part.file, scope), part, base_dir, roots)
        filename = renderer.render_str(part.filename, scope) if part.filename else path.name
        content_type = (
            part.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        files.append((name, (filename, _read(path, part), content_type)))
    if not files:  # every part disabled: an empty multipart body (httpx would send none)
        boundary = os.urandom(16).hex()
        return f"--{boundary}--\r\n".encode("ascii"), f"multipart/form-data; boundary={boundary}"
    request = httpx.Request("POST", "http://multipart.invalid/", files=files)
    return request.read(), request.headers["Content-Type"]


def resolve_file(written: str, part: Part, base_dir: Path, roots: Sequence[Path]) -> Path:
    """The file a part names, relative to the collection's folder, confined to it (or to an
    allowed root); raises RenderError naming the part."""
    path = Path(written).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    real = path.resolve()
    if not real.exists():  # nothing to read, wherever it is: "no such file" says more
        raise MissingFile(f"file part '{part.name}': no such file: {path}", part.loc, part=part)
    allowed = [base_dir.resolve(), *(Path(r).resolve() for r in roots)]
    if not any(real == root or real.is_relative_to(root) for root in allowed):
        raise RenderError(  # the remedy in the message: a step error shows no hint
            f"file part '{part.name}': {written} is outside the collection's folder "
            f"({base_dir.resolve()}); move it there, or allow its folder with "
            f"--file-root {real.parent}",
            part.loc,
        )
    if not real.is_file():
        raise RenderError(f"file part '{part.name}': not a file: {path}", part.loc)
    return real


def _read(path: Path, part: Part) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_PART_BYTES:
        raise RenderError(
            f"file part '{part.name}': {path} is larger than {MAX_FILE_PART_BYTES} bytes",
            part.loc,
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RenderError(f"file part '{part.name}': cannot read {path}: {exc.strerror}") from None
