"""Transport faults at the root (robustness issue): deadlines that hold while the status line
and headers drip in, stacked and brotli encodings decoded, and a kept-alive connection that the
server closed before answering sent again once, for idempotent requests only.

Raw-socket servers on 127.0.0.1, so that each fault is exactly the one named."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from runner.core.errors import TransportError
from runner.http.transport import ACCEPT_ENCODING, PreparedRequest, Transport

Handler = Callable[[socket.socket, int], None]


def _read_request(conn: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client left")
        head += chunk
    head, _, rest = head.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += conn.recv(4096)
    return head


class RawServer:
    """Calls ``handler(conn, n)`` for the n-th connection (from 0), each in its thread."""

    def __init__(self, handler: Handler) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.handler = handler
        self.requests: list[bytes] = []
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            n, self.connections = self.connections, self.connections + 1
            threading.Thread(target=self._handle, args=(conn, n), daemon=True).start()

    def _handle(self, conn: socket.socket, n: int) -> None:
        try:
            self.handler(conn, n)
        except OSError:
            pass
        finally:
            conn.close()

    def read(self, conn: socket.socket) -> bytes:
        head = _read_request(conn)
        self.requests.append(head)
        return head


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.sock.close()


def _answer(body: bytes, *headers: bytes) -> bytes:
    extra = b"".join(h + b"\r\n" for h in headers)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def test_a_server_dripping_its_status_line_and_headers_is_cut_off_at_the_deadline(
    serve: Callable[[Handler], RawServer],
) -> None:
    stop = threading.Event()

    def drip(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            conn.sendall(bytes([byte]))
            if stop.wait(0.02):  # a byte every 20 ms: each read is quick, the whole is not
                return

    server = serve(drip)
    started = time.monotonic()
    with Transport() as transport, pytest.raises(TransportError) as info:
        transport.send(PreparedRequest("GET", server.url + "/", timeout=0.5))
    stop.set()
    assert info.value.reason == "timeout"
    assert info.value.message == "timed out after 0.5 s waiting for the response"
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate", lambda b: __import__("zlib").compress(b)),
        ("br", lambda b: __import__("brotli").compress(b)),
        ("gzip, br", lambda b: __import__("brotli").compress(gzip.compress(b))),
    ],
)
def test_every_advertised_encoding_is_decoded_stacked_ones_too(
    serve: Callable[[Handler], RawServer], encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    if "br" in encoding and "br" not in ACCEPT_ENCODING:
        pytest.skip("brotli 1.2 or later is not installed: br is not advertised")
    body = encode(b'{"hello": "world"}')

    def answer(conn: socket.socket, n: int) -> None:
        server.read(conn)
        conn.sendall(_answer(body, b"Content-Encoding: " + encoding.encode()))

    server = serve(answer)
    with Transport() as transport:
        exchange = transport.send(PreparedRequest("GET", server.url + "/"))
    assert exchange.body == b'{"hello": "world"}'
    assert f"accept-encoding: {ACCEPT_ENCODING}".encode() in server.requests[0].lower()


def test_only_decodable_encodings_are_advertised() -> None:
    assert ACCEPT_ENCODING in ("gzip, deflate", "gzip, deflate, br")


def test_an_encoding_not_asked_for_is_kept_as_sent(serve: Callable[[Handler], RawServer]) -> None:
    def answer(conn: socket.socket, n: int) -> None:
        _read_request(conn)
        conn.sendall(_answer(b"\x28\xb5\x2f\xfd", b"Content-Encoding: zstd"))

    server = serve(answer)
    with Transport() as transport:
        assert transport.send(PreparedRequest("GET", server.url + "/")).body == b"\x28\xb5\x2f\xfd"


def _closes_the_kept_connection(server_box: list[RawServer]) -> Handler:
    """Connection 0 answers its first request (keep-alive), reads the second and hangs up
    without answering; later connections answer every request."""

    def handler(conn: socket.socket, n: int) -> None:
        server = server_box[0]
        server.read(conn)
        conn.sendall(_answer(b"first"))
        server.read(conn)
        if n == 0:
            return  # closed before answering
        conn.sendall(_answer(b"again"))

    def first_or_later(conn: socket.socket, n: int) -> None:
        if n == 0:
            handler(conn, n)
            return
        server_box[0].read(conn)
        conn.sendall(_answer(b"again"))

    return first_or_later


def test_an_idempotent_request_is_sent_once_more_on_a_new_connection(
    serve: Callable[[Handler], RawServer],
) -> None:
    box: list[RawServer] = []
    box.append(serve(_closes_the_kept_connection(box)))
    with Transport() as transport:
        assert transport.send(PreparedRequest("GET", box[0].url + "/a")).body == b"first"
        assert transport.send(PreparedRequest("GET", box[0].url + "/b")).body == b"again"
    assert [r.split(b" ")[1] for r in box[0].requests] == [b"/a", b"/b", b"/b"]
    assert box[0].connections == 2


def test_a_post_on_a_closed_connection_is_not_sent_again(
    serve: Callable[[Handler], RawServer],
) -> None:
    box: list[RawServer] = []
    box.append(serve(_closes_the_kept_connection(box)))
    with Transport() as transport:
        transport.send(PreparedRequest("GET", box[0].url + "/a"))
        with pytest.raises(TransportError) as info:
            transport.send(PreparedRequest("POST", box[0].url + "/pay", content=b"{}"))
    assert info.value.reason == "protocol"
    assert [r.split(b" ")[1] for r in box[0].requests] == [b"/a", b"/pay"]
