"""What the auth helpers need from the run's options (runner.auth.session, oauth2, authorize)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """What the auth helper needs from the run's options."""

    timeout: float = 30.0
    verify: bool | str = True
    open_browser: bool = False
    callback_timeout: float = 300.0
    token_cache: bool = True
    environ: Mapping[str, str] | None = None
    base_dir: str | None = None  # the collection's folder: client_assertion_key is inside it
    file_roots: tuple[str, ...] = ()  # --file-root: more folders a key file may be in


def settings_from(options: Any, base_dir: str | None = None) -> AuthSettings:
    """The auth settings of a ``RunOptions`` (read by name, so older options objects work)
    for a collection in ``base_dir``."""
    return AuthSettings(
        timeout=float(getattr(options, "timeout", 30.0)),
        verify=getattr(options, "verify", True),
        open_browser=bool(getattr(options, "open_browser", False)),
        callback_timeout=float(getattr(options, "callback_timeout", 300.0)),
        token_cache=bool(getattr(options, "token_cache", True)),
        environ=os.environ if getattr(options, "environ", None) is None else options.environ,
        base_dir=base_dir,
        file_roots=tuple(str(root) for root in getattr(options, "file_roots", ())),
    )
