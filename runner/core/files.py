"""Files replaced in one step: token caches, run state, reports, imported collections.

Why one module: a file a person or CI relies on (a token cache, a report, a collection
rewritten by ``runner fmt``) must never be seen half-written, and a failure must leave the
old file as it was. Writing to a temporary file beside the destination, fsyncing it and
renaming it over the destination gives both; fsyncing the folder makes the rename last.
Kept free of other runner imports: every command can use it without paying for them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FileOut:
    """A file a command writes: its text, and whether it holds secrets (mode 0600)."""

    path: Path
    text: str
    secret: bool = False


def write_atomic(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one step: a temporary
    file beside it (created 0600, then given ``mode``), written, fsynced, renamed over
    ``path``; then the folder is fsynced. On any failure the temporary file is removed and
    ``path`` is left as it was."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # POSIX; mkstemp already made it 0600
                os.fchmod(handle.fileno(), mode)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (best effort: not every platform can)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def default_mode(secret: bool) -> int:
    """0600 for a file that holds secrets, else what the umask allows of 0666."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o600 if secret else 0o666 & ~umask


def write_text(path: Path, text: str, *, secret: bool) -> None:
    """``write_atomic`` with the folder made and the mode of ``default_mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, mode=default_mode(secret))


def write_all(outputs: Sequence[FileOut]) -> None:
    """Write every file or none: all to temporary files first, then rename each into place;
    on a failure the new files are removed and the replaced ones keep their old text."""
    temps: list[tuple[str, Path]] = []
    done: list[Path] = []
    try:
        for out in outputs:
            out.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{out.path.name}.", suffix=".tmp", dir=out.path.parent
            )
            temps.append((tmp, out.path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(out.text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, default_mode(out.secret))
        for tmp, path in temps:
            existed = path.exists()
            os.replace(tmp, path)
            if not existed:
                done.append(path)
    except BaseException:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        for path in done:
            path.unlink(missing_ok=True)
        raise
