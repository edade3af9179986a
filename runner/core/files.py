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
from pathlib import Path


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
