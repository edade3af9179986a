"""Shared fixtures: real local HTTP servers, a free port, and a file writer."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
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


# =============================================================================================
# run_cli fixture — RESERVED FOR THE LEAD. Add it below this line.
# =============================================================================================
