"""The options of one run (``runner run`` flags, the Python API's keyword arguments).

A module of its own so that every part of the engine can read them without importing the
engine itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookiejar import Cookie
from typing import TYPE_CHECKING

from runner.http.transport import DEFAULT_TIMEOUT, TransportOptions

if TYPE_CHECKING:
    from runner.format.data import DataFile  # only data-driven runs import it


@dataclass(frozen=True)
class RunOptions:
    variables: Mapping[str, str] = field(default_factory=dict)  # --var, highest precedence
    bail: bool = False
    timeout: float = DEFAULT_TIMEOUT
    open_browser: bool = False
    verify: bool | str = True
    environ: Mapping[str, str] | None = None  # the OS environment env() reads
    keep_steps: bool = True  # False: RunResult.steps keeps only failures (streaming runs)
    # Iterations, selection and connections (docs/format.md#running-at-scale).
    data: DataFile | None = None  # --data: one iteration per row
    iterations: int | None = None  # --iterations N (with data: rows cycled or cut)
    parallel: int = 1  # --parallel N: iterations at once
    folders: tuple[str, ...] = ()  # --folder: only the steps inside these folders
    tags: tuple[str, ...] = ()  # --tag: only steps carrying one of these
    exclude_tags: tuple[str, ...] = ()  # --exclude-tag
    run_timeout: float | None = None  # --run-timeout: seconds for the whole run
    transport: TransportOptions | None = None  # TLS, proxies (None: from ``verify``)
    cookie_jar: str | None = None  # --cookie-jar FILE: loaded before, saved after the run
    file_roots: tuple[str, ...] = ()  # --file-root: more folders file parts may read
    docs_check: str = "warn"  # a request that breaks its documentation: error | warn | off
    callback_timeout: float = 300.0  # seconds a loopback listener waits for the redirect
    token_cache: bool = True  # False: OAuth tokens are kept for this run only (runner.auth.tokens)
    # Resuming a run (runner.engine.resume): begin at the selected step of this index (0-based) and
    # stop before ``stop_at``; the jar starts with ``cookies`` too (a saved run's).
    start_at: int = 0
    stop_at: int | None = None
    cookies: tuple[Cookie, ...] = ()
    scripts: bool = False  # --scripts: run imported Postman test scripts (runner.engine.scripting)
    retries: int | None = None  # --retries N: idempotent requests, below the file's keys
    max_response_size: int | None = None  # --max-response-size, bytes (None: 50 MiB)
