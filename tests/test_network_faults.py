"""Servers that misbehave (issue 9, point 3): each fault ends its step with a named error within
its timeout, and the run goes on to the next step.

The server is a raw socket on 127.0.0.1 so that it can break HTTP in ways a framework will not:
reset the connection mid-headers or mid-body, send something that is not HTTP, a gzip bomb,
an endless body. Refused connections, silent servers and slow drips are in ``test_run.py``
and the TLS errors in ``test_connections.py``.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli

from runner.http.transport import MAX_BODY_BYTES

WriteFile = Callable[[str, str], Path]
BOMB = gzip.compress(b"\0" * (MAX_BODY_BYTES + 1024 * 1024), compresslevel=9)


def _reset(conn: socket.socket) -> None:
    """Close with a TCP RST rather than a FIN (SO_LINGER with a zero timeout)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class FaultServer:
    """Answers ``GET /<fault>`` by committing that fault; ``/ok`` answers properly."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1].decode()
            self.seen.append(path)
            getattr(self, "_" + path.strip("/").replace("-", "_"))(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _ok(self, conn: socket.socket) -> None:
        body = b'{"ok": true}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )

    def _reset_headers(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Ty")
        time.sleep(0.05)
        _reset(conn)

    def _reset_body(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        time.sleep(0.05)
        _reset(conn)

    def _malformed(self, conn: socket.socket) -> None:
        conn.sendall(b"THIS IS NOT HTTP\x00\xff\r\n\r\n")

    def _bad_json(self, conn: socket.socket) -> None:
        body = b'{"ok": tru'
        conn.sendall(  # Connection: close, as it closes: /ok must not race a reused socket
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )

    def _gzip_bomb(self, conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BOMB) + BOMB
        )

    def _endless(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")  # no length
        chunk = b"y" * 65536
        while True:  # until the client hangs up (OSError ends the thread)
            conn.sendall(chunk)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    server = FaultServer()
    yield server
    server.close()


def _run(
    run_cli: RunCli, write_file: WriteFile, tmp_path: Path, url: str, step: str
) -> tuple[int, list[dict[str, Any]], float]:
    """Run the faulty step then ``/ok``; return the exit code, the steps and the seconds."""
    collection = write_file(
        "faults.yaml",
        f"""\
        name: Faults
        steps:
          - request: Faulty
            url: {url}
            timeout: 5
        {step}
          - request: Afterwards
            url: {url.rsplit("/", 1)[0]}/ok
        """,
    )
    report = tmp_path / "report.json"
    started = time.monotonic()
    result = run_cli("run", collection, "--reporter", f"json:{report}", "--no-color")
    elapsed = time.monotonic() - started
    steps = json.loads(report.read_text())["steps"]
    assert steps[-1]["name"] == "Afterwards" and steps[-1]["status"] == "passed", result.output
    return result.code, steps, elapsed


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("reset-headers", "connection"),
        ("reset-body", "connection"),
        ("malformed", "protocol"),
        ("gzip-bomb", "larger than"),
        ("endless", "larger than"),
    ],
)
def test_a_fault_is_a_named_step_error_and_the_run_goes_on(
    faults: FaultServer,
    run_cli: RunCli,
    write_file: WriteFile,
    tmp_path: Path,
    fault: str,
    message: str,
) -> None:
    code, steps, elapsed = _run(run_cli, write_file, tmp_path, f"{faults.url}/{fault}", "")
    first = steps[0]
    assert first["status"] == "error", first
    assert message in str(first["error"]).lower(), first["error"]
    assert code == 1
    assert elapsed < 5 + 3  # the step's timeout, plus the rest of the run
    assert faults.seen[-1] == "/ok"


def test_invalid_json_with_a_json_content_type_fails_its_check_not_the_run(
    faults: FaultServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    expect = "    expect:\n              json:\n                $.ok: true"
    code, steps, _ = _run(run_cli, write_file, tmp_path, f"{faults.url}/bad-json", expect)
    first = steps[0]
    assert first["status"] in ("failed", "error"), first
    assert "json" in json.dumps(first).lower()
    assert code == 1


def test_a_self_signed_certificate_is_a_clear_tls_error_and_the_run_goes_on(
    faults: FaultServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """A raw TLS socket whose certificate no trusted CA signed: the step names the failure,
    the next (plain HTTP) step still runs, and ``--cacert`` with that CA makes it pass."""
    import ssl

    import trustme

    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    faults._handle(conn)
            except (OSError, ssl.SSLError):
                raw.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        collection = write_file(
            "tls.yaml",
            f"""\
            name: TLS
            steps:
              - request: Untrusted
                url: https://127.0.0.1:{port}/ok
                timeout: 5
              - request: Afterwards
                url: {faults.url}/ok
            """,
        )
        report = tmp_path / "tls.json"
        result = run_cli("run", collection, "--reporter", f"json:{report}", "--no-color")
        steps = json.loads(report.read_text())["steps"]
        assert result.code == 1
        assert steps[0]["status"] == "error"
        assert "certificate verify failed" in str(steps[0]["error"]), steps[0]["error"]
        assert steps[1]["status"] == "passed"

        trusted = run_cli("run", collection, "--cacert", tmp_path / "ca.pem", "--no-color")
        assert trusted.code == 0, trusted.output
    finally:
        listener.close()
