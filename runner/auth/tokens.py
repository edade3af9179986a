"""The OAuth token cache: tokens kept between runs, per (server, client, scopes, environment).

Why a cache: a person authorizes once in a browser, and later runs reuse the access token or
refresh it silently. Why these rules:

- It lives in the user's cache directory (``$RUNNER_CACHE_DIR``, else ``$XDG_CACHE_HOME/runner``,
  else the platform's cache directory), never inside the project, so it is not committed.
- One JSON file per key, written atomically (temporary file in the same directory, fsync,
  rename, fsync of the directory): a reader, or a process killed mid-write, sees the old file
  or the new one, never a torn one.
- Files are 0600 in a 0700 directory whatever the umask (the mode is set explicitly on every
  save, so an older, looser file converges); a directory that is a symlink or belongs to
  another user is refused.
- Entries hold tokens, never the client secret, a code or a PKCE verifier. Listing them shows
  no secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.core.errors import RunnerError
from runner.core.files import write_atomic

CACHE_ENV = "RUNNER_CACHE_DIR"
FORMAT_VERSION = 1
EXPIRY_MARGIN_S = 60.0  # refresh this long before expiry (at most a tenth of the lifetime)
STALE_TMP_S = 600.0  # a temporary file older than this was left by a killed process


class TokenCacheError(RunnerError):
    """The cache directory cannot be used safely (not ours, a symlink, not a directory)."""

    kind = "token cache"


@dataclass(frozen=True, slots=True)
class TokenKey:
    """What a token is kept under: the authorization server (its token URL), the client, the
    scopes (order and repeats do not matter) and the environment's name."""

    token_url: str
    client_id: str
    scopes: tuple[str, ...] = ()
    environment: str = ""

    @staticmethod
    def make(
        token_url: str, client_id: str, scopes: tuple[str, ...] | list[str], environment: str | None
    ) -> TokenKey:
        return TokenKey(token_url, client_id, tuple(sorted(set(scopes))), environment or "")

    @property
    def id(self) -> str:
        """A stable file name for the key (no secret goes into it)."""
        text = json.dumps(
            [self.token_url, self.client_id, list(self.scopes), self.environment],
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class TokenSet:
    """A token response, kept: the access token, when it expires, and the refresh token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - a token type, not a token
    refresh_token: str | None = None
    expires_at: float | None = None  # seconds since the epoch; None: the server did not say
    lifetime: float | None = None  # expires_in as issued
    scope: str | None = None
    obtained_at: float = field(default_factory=time.time)

    @staticmethod
    def from_response(doc: Mapping[str, Any], now: float | None = None) -> TokenSet:
        """Read a token endpoint's JSON (RFC 6749 §5.1); unknown names are ignored."""
        now = time.time() if now is None else now
        lifetime: float | None = None
        raw = doc.get("expires_in")
        if isinstance(raw, int | float | str) and not isinstance(raw, bool):
            try:
                lifetime = max(float(raw), 0.0)
            except ValueError:
                lifetime = None
        refresh = doc.get("refresh_token")
        scope = doc.get("scope")
        return TokenSet(
            access_token=str(doc["access_token"]),
            token_type=str(doc.get("token_type") or "bearer"),
            refresh_token=str(refresh) if isinstance(refresh, str) and refresh else None,
            expires_at=None if lifetime is None else now + lifetime,
            lifetime=lifetime,
            scope=scope if isinstance(scope, str) else None,
            obtained_at=now,
        )

    def fresh(self, now: float | None = None) -> bool:
        """Usable now and not about to expire (within a minute, or a tenth of its lifetime
        for short-lived tokens)."""
        if self.expires_at is None:
            return True
        now = time.time() if now is None else now
        margin = EXPIRY_MARGIN_S
        if self.lifetime is not None:
            margin = min(margin, self.lifetime / 10)
        return self.expires_at - margin > now

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "lifetime": self.lifetime,
            "scope": self.scope,
            "obtained_at": self.obtained_at,
        }

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> TokenSet:
        def number(name: str) -> float | None:
            value = doc.get(name)
            return float(value) if isinstance(value, int | float) else None

        refresh = doc.get("refresh_token")
        scope = doc.get("scope")
        return TokenSet(
            access_token=str(doc["access_token"]),
            token_type=str(doc.get("token_type") or "bearer"),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=number("expires_at"),
            lifetime=number("lifetime"),
            scope=scope if isinstance(scope, str) else None,
            obtained_at=number("obtained_at") or 0.0,
        )


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached token as ``runner auth list`` shows it: where and what, without a secret."""

    id: str
    path: Path | None
    key: TokenKey | None  # None: the file could not be read
    grant: str | None = None
    expires_at: float | None = None
    has_refresh_token: bool = False
    obtained_at: float | None = None


def default_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$RUNNER_CACHE_DIR/tokens``, else ``$XDG_CACHE_HOME/runner/tokens``, else the platform's
    user cache directory (platformdirs) ``/tokens``."""
    environ = os.environ if environ is None else environ
    own = environ.get(CACHE_ENV)
    if own:
        return Path(own).expanduser() / "tokens"
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "runner" / "tokens"
    import platformdirs  # deferred: only runs that use oauth2 or `runner auth` need it

    return Path(platformdirs.user_cache_dir("runner", appauthor=False)) / "tokens"


class TokenCache:
    """Cached tokens in ``directory`` (one file per key); ``directory=None`` keeps them in
    memory only, for this process (``--no-token-cache``, the demo)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._memory: dict[str, dict[str, Any]] = {}

    @staticmethod
    def default(environ: Mapping[str, str] | None = None) -> TokenCache:
        return TokenCache(default_directory(environ))

    # -- reading ----------------------------------------------------------------------------
    def load(self, key: TokenKey) -> TokenSet | None:
        """The cached token for ``key``, or None (absent, unreadable, or another key's)."""
        doc = self._read(key.id)
        if doc is None or _key_of(doc) != key:
            return None
        try:
            return TokenSet.from_json(doc["token"])
        except (KeyError, TypeError, ValueError):
            return None

    def entries(self) -> list[CacheEntry]:
        """Every entry, sorted by server, client and environment; unreadable files too."""
        out: list[CacheEntry] = []
        for entry_id, path in self._ids():
            doc = self._read(entry_id)
            key = _key_of(doc) if doc is not None else None
            token = doc.get("token") if doc is not None else None
            if key is None or not isinstance(token, dict):
                out.append(CacheEntry(entry_id, path, None))
                continue
            expires = token.get("expires_at")
            obtained = token.get("obtained_at")
            assert doc is not None
            grant = doc.get("grant")
            out.append(
                CacheEntry(
                    entry_id,
                    path,
                    key,
                    grant=grant if isinstance(grant, str) else None,
                    expires_at=float(expires) if isinstance(expires, int | float) else None,
                    has_refresh_token=bool(token.get("refresh_token")),
                    obtained_at=float(obtained) if isinstance(obtained, int | float) else None,
                )
            )
        out.sort(key=lambda e: (e.key is None, e.key.token_url if e.key else "", e.id))
        return out

    # -- writing ----------------------------------------------------------------------------
    def save(self, key: TokenKey, token: TokenSet, grant: str) -> None:
        """Keep ``token`` for ``key``, replacing the file atomically (0600)."""
        doc = {
            "version": FORMAT_VERSION,
            "key": {
                "token_url": key.token_url,
                "client_id": key.client_id,
                "scopes": list(key.scopes),
                "environment": key.environment,
            },
            "grant": grant,
            "token": token.to_json(),
        }
        if self.directory is None:
            self._memory[key.id] = json.loads(json.dumps(doc))
            return
        directory = self._ensure_directory()
        data = json.dumps(doc, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        write_atomic(directory / f"{key.id}.json", data)
        self._sweep_stale(key.id)

    def delete(self, key: TokenKey) -> bool:
        return self.remove(key.id) > 0

    def remove(self, entry_id: str) -> int:
        """Delete the entry ``entry_id`` (and its leftovers); how many files went."""
        if self.directory is None:
            return 1 if self._memory.pop(entry_id, None) is not None else 0
        if not self.directory.is_dir():
            return 0
        removed = 0
        for path in self.directory.iterdir():
            if path.name == f"{entry_id}.json" or (
                path.name.startswith(f".{entry_id}.json.") and path.name.endswith(".tmp")
            ):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += path.suffix == ".json"
        return removed

    def clear(self) -> int:
        """Delete every entry (and leftover temporary files); how many entries went."""
        if self.directory is None:
            count = len(self._memory)
            self._memory.clear()
            return count
        if not self.directory.is_dir():
            return 0
        self._check_directory(self.directory)
        count = 0
        for path in self.directory.iterdir():
            if path.suffix in (".json", ".tmp", ".lock") and path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    count += path.suffix == ".json"
        return count

    @contextlib.contextmanager
    def locked(self, key: TokenKey) -> Iterator[None]:
        """Hold an exclusive lock for ``key`` across processes (POSIX), so that two runs do not
        both spend a rotating refresh token."""
        if self.directory is None:
            yield
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, the refresh may race
            yield
            return
        try:
            directory = self._ensure_directory()
            fd = os.open(directory / f"{key.id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except (TokenCacheError, OSError):  # best effort: the save says what is wrong
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- internals --------------------------------------------------------------------------
    def _ids(self) -> list[tuple[str, Path | None]]:
        if self.directory is None:
            return [(entry_id, None) for entry_id in sorted(self._memory)]
        if not self.directory.is_dir():
            return []
        return sorted(
            (path.stem, path)
            for path in self.directory.iterdir()
            if path.suffix == ".json" and not path.name.startswith(".")
        )

    def _read(self, entry_id: str) -> dict[str, Any] | None:
        if self.directory is None:
            return self._memory.get(entry_id)
        path = self.directory / f"{entry_id}.json"
        try:
            with path.open("rb") as handle:
                doc = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) and doc.get("version") == FORMAT_VERSION else None

    def _ensure_directory(self) -> Path:
        assert self.directory is not None
        directory = self.directory
        if not directory.exists():
            # the runner's own cache folder too, when this creates it: nobody else needs it
            parent = directory.parent
            if not parent.exists():
                parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                with contextlib.suppress(OSError):
                    os.chmod(parent, 0o700)
            directory.mkdir(exist_ok=True, mode=0o700)
        self._check_directory(directory)
        os.chmod(directory, 0o700)  # whatever the umask made of it, or an older looser mode
        return directory

    @staticmethod
    def _check_directory(directory: Path) -> None:
        info = os.lstat(directory)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise TokenCacheError(
                f"the token cache {directory} is not a plain directory",
                hint=f"remove it, or set {CACHE_ENV} to another folder",
            )
        getuid = getattr(os, "getuid", None)
        if getuid is not None and info.st_uid != getuid():
            raise TokenCacheError(
                f"the token cache {directory} belongs to another user",
                hint=f"set {CACHE_ENV} to a folder of your own",
            )

    def _sweep_stale(self, entry_id: str) -> None:
        """Remove temporary files a killed process left for this entry (old enough not to be
        another process's write in progress)."""
        assert self.directory is not None
        now = time.time()
        for path in self.directory.glob(f".{entry_id}.json.*.tmp"):
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > STALE_TMP_S:
                    path.unlink()


def _key_of(doc: Mapping[str, Any]) -> TokenKey | None:
    raw = doc.get("key")
    if not isinstance(raw, dict):
        return None
    scopes = raw.get("scopes")
    try:
        return TokenKey(
            str(raw["token_url"]),
            str(raw["client_id"]),
            tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            str(raw.get("environment") or ""),
        )
    except KeyError:
        return None
