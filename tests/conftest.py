"""Shared fixtures: real local HTTP servers, a free port, and a file writer."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from echo_server import EchoServer
from server import TestServer


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


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli(*argv, env=None, stdin="")``: call ``runner.cli.main.main`` in-process with its own
    streams (not terminals) and ``env`` as the whole environment (empty by default)."""
    import io

    from runner.cli.main import Console, main

    def run(*argv: object, env: dict[str, str] | None = None, stdin: str = "") -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        console = Console(stdin=io.StringIO(stdin), stdout=out, stderr=err, environ=dict(env or {}))
        code = main([str(arg) for arg in argv], console)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run
