"""Shared fixtures: real local HTTP servers, a free port, a file writer, and the ``runner``
command in-process (``run_cli``) or as a child process (``runner_process``)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from echo_server import EchoServer
from server import TestServer

from runner.scripts.postman import PostmanSandbox, SandboxInstallError


@pytest.fixture(scope="session")
def server() -> Iterator[TestServer]:
    """One server for the whole session (its log is shared: use ``fresh_server`` to inspect it)."""
    with TestServer() as srv:
        yield srv


@pytest.fixture
def fresh_server() -> Iterator[TestServer]:
    """A new server for this test only, with an empty log."""
    with TestServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def postman_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostmanSandbox]:
    """Postman's own sandbox (runner.scripts.postman), installed once per session into the
    user cache the runner itself uses (the install renames atomically, so xdist workers may
    race); skipped with the reason without node/npm or the npm registry."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Postman's sandbox needs Node.js and npm, which are not on PATH")
    try:
        started = PostmanSandbox.start()
    except SandboxInstallError as exc:
        pytest.skip(f"postman-sandbox could not be installed: {exc}; {exc.hint}")
    with started:
        yield started


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """``write_file(name, text)``: write dedented ``text`` to ``tmp_path/name``; return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = textwrap.dedent(text)
        if content.startswith("\n"):
            content = content[1:]
        path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def dot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """django-oauth-toolkit on 127.0.0.1 for one test module (tests/dot_support.py)."""
    from dot_support import DotServer

    server = DotServer(tmp_path_factory.mktemp("dot"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, for one test module (never a downloaded one)."""
    from dot_support import launch_chromium

    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install -e '.[test]')",
    )
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    """A local Postman Echo stand-in (tests/echo_server.py) for this test only."""
    with EchoServer() as srv:
        yield srv


# =============================================================================================
# run_cli fixture — RESERVED FOR THE LEAD. Add it below this line.
# =============================================================================================


class CliResult:
    """What one ``runner`` command did: its exit code and what it wrote to stdout and stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.out + self.err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


RunCli = Callable[..., CliResult]


class _Terminal(io.StringIO):
    """A stdout that says it is a terminal (for colour and progress)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """``run_cli(*argv, env=None, stdin="", cwd=None, tty=False)``: call ``runner.cli.main.main``
    in-process with its own streams and ``env`` as the whole environment (empty by default);
    ``cwd`` runs it in that folder, ``tty`` makes its stdout say it is a terminal."""
    from runner.cli.main import Console, main

    def run(
        *argv: object,
        env: dict[str, str] | None = None,
        stdin: str = "",
        cwd: Path | None = None,
        tty: bool = False,
    ) -> CliResult:
        out = _Terminal() if tty else io.StringIO()
        err = io.StringIO()
        console = Console(stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=dict(env or {}))
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main([str(arg) for arg in argv], console)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would change a child runner's behaviour (CI,
    NO_COLOR, BROWSER, preset inputs), plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("CI", "NO_COLOR", "BROWSER") and not name.startswith("RUNNER_INPUT_")
    }
    env.update(extra)
    return env


def runner_process(
    *argv: object,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m runner ARGV`` as a child process, stdin from /dev/null, ``env`` as its whole
    environment (``child_env()`` by default): for what only a real process shows (the entry
    point, a pipe or /dev/null as streams, signals, the umask, a browser command)."""
    return subprocess.run(
        [sys.executable, "-m", "runner", *(str(arg) for arg in argv)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=dict(child_env() if env is None else env),
        cwd=cwd,
        check=False,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )
