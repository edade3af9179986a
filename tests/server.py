"""A real HTTP server for the tests: standard library only, one daemon thread per connection.

Every request is recorded (``TestServer.log``) *before* it is answered, so a test can prove
that a request arrived even when the client gave up on it. Nothing is ever printed.
"""

from __future__ import annotations

import base64
import binascii
import json
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Recorded", "TestServer"]

_CHUNK = 64 * 1024
_MAX_LINE = 65536

JSON_DOC: dict[str, Any] = {
    "id": 7,
    "name": "widget",
    "price": 9.5,
    "active": True,
    "tags": ["a", "b"],
    "owner": {"name": "Ada", "token": "tok-123"},
    "items": [{"id": 1}, {"id": 2}],
}
HTML_DOC = (
    '<!doctype html>\n<html><body>\n<form method="post" action="/echo">\n'
    '<input type="hidden" name="csrf" value="abc123">\n'
    '<input name="user">\n</form>\n</body></html>\n'
)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes


class _BadRequest(Exception):
    """The request (or one of its parameters) is malformed: answer 400."""


class _Server(ThreadingHTTPServer):
    """The socket server, with a back-reference to its ``TestServer``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: TestServer) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Swallow handler exceptions: the tests must never see a traceback."""


class _Handler(BaseHTTPRequestHandler):
    """Routes every method to ``_dispatch``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "TestServer/1.0"
    default_request_version = "HTTP/1.0"  # so errors on garbled request lines get a status line

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _srv(self) -> _Server:
        return cast(_Server, self.server)

    def setup(self) -> None:
        """Track the connection so ``stop()`` can cut it."""
        super().setup()
        self._srv.owner._track(self.connection)

    def finish(self) -> None:
        """Stop tracking the connection."""
        try:
            super().finish()
        finally:
            self._srv.owner._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Never print."""

    def handle_one_request(self) -> None:
        """Like the standard one, but any method is accepted and I/O errors are silent."""
        try:
            self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
            if len(self.raw_requestline) > _MAX_LINE:
                self.requestline = ""
                self.request_version = ""
                self.command = ""
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._dispatch()
            self.wfile.flush()
        except OSError:  # timeouts, resets, broken pipes, sockets cut by stop()
            self.close_connection = True

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False if the server is stopping (then drop the connection)."""
        if self._srv.stopping.wait(max(seconds, 0.0)):
            self.close_connection = True
            return False
        return True

    # -- reading ----------------------------------------------------------------------------

    def _header_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw.strip())
        except ValueError:
            raise _BadRequest(f"bad Content-Length: {raw!r}") from None
        if length < 0:
            raise _BadRequest(f"bad Content-Length: {raw!r}")
        body = self.rfile.read(length)
        if len(body) < length:
            raise _BadRequest("request body shorter than Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size: {size_text!r}") from None
            if size < 0:
                raise _BadRequest(f"bad chunk size: {size_text!r}")
            if size == 0:
                break
            data = self.rfile.read(size)
            if len(data) < size:
                raise _BadRequest("truncated chunked body")
            self.rfile.readline(_MAX_LINE + 1)  # the CRLF after the chunk
            parts.append(data)
        while self.rfile.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)

    # -- writing ----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        no_body = status in (204, 304) or status < 200
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not no_body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, doc: object, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json", headers)

    # -- routing ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        problem: str | None = None
        try:
            body = self._read_body()
        except _BadRequest as exc:
            body, problem = b"", str(exc)
        rec = Recorded(self.command, path, query, self._header_dict(), body)
        self._srv.owner._record(rec)
        if problem is not None:
            self.close_connection = True
            self._send_json(400, {"error": problem})
            return
        try:
            self._route(rec)
        except _BadRequest as exc:
            self._send_json(400, {"error": str(exc)})

    def _route(self, rec: Recorded) -> None:
        path = rec.path
        parts = path.split("/")  # "/a/b" -> ["", "a", "b"]
        if path == "/echo" or path.startswith("/echo/"):
            self._echo(rec)
        elif path == "/json":
            self._send_json(200, JSON_DOC)
        elif len(parts) == 3 and parts[1] == "status":
            self._status(parts[2])
        elif path == "/text":
            self._send(200, b"hello world", "text/plain; charset=utf-8")
        elif path == "/html":
            self._send(200, HTML_DOC.encode(), "text/html; charset=utf-8")
        elif path == "/badjson":
            self._send(200, b"not json {", "application/json")
        elif path == "/slow":
            seconds = _float_arg(rec, "seconds", 2.0)
            if self._wait(seconds):
                self._send_json(200, {"slept": seconds})
        elif path == "/drip":
            self._drip(_float_arg(rec, "seconds", 0.5), _int_arg(rec, "count", 10))
        elif path == "/hang":
            self._wait(_float_arg(rec, "seconds", 10.0))
            self.close_connection = True  # never answer
        elif path == "/headers":
            extra = [
                ("X-Request-Id", "req-42"),
                ("X-Rate-Limit", "100"),
                ("Set-Cookie", "session=s3ss10n; Path=/"),
            ]
            self._send_json(200, {}, extra)
        elif path == "/cookies/set":
            pairs = {k: v[-1] for k, v in rec.query.items()}
            self._send_json(
                200, pairs, [("Set-Cookie", f"{k}={v}; Path=/") for k, v in pairs.items()]
            )
        elif path == "/cookies":
            self._send_json(200, {"cookies": self._cookies()})
        elif path == "/redirect":
            self._redirect(_str_arg(rec, "to", "/echo"), _int_arg(rec, "status", 302))
        elif len(parts) == 3 and parts[1] == "redirect":
            hops = _int_text(parts[2], "redirect count")
            target = "/echo" if hops <= 1 else f"/redirect/{hops - 1}"
            self._redirect(target, 302)
        elif len(parts) == 4 and parts[1] == "basic-auth":
            self._basic_auth(unquote(parts[2]), unquote(parts[3]))
        elif path == "/bearer":
            self._bearer()
        elif path == "/big":
            self._big(_int_arg(rec, "bytes", 1024))
        else:
            self._send_json(404, {"error": "not found"})

    # -- routes -----------------------------------------------------------------------------

    def _echo(self, rec: Recorded) -> None:
        parsed: object = None
        if rec.body.strip():
            try:
                parsed = json.loads(rec.body)
            except (ValueError, RecursionError):
                parsed = None
        form: dict[str, str | list[str]] | None = None
        ctype = rec.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            text = rec.body.decode("utf-8", errors="replace")
            form = _flatten(parse_qs(text, keep_blank_values=True))
        doc = {
            "method": rec.method,
            "path": rec.path,
            "args": _flatten(rec.query),
            "headers": rec.headers,
            "body": rec.body.decode("utf-8", errors="replace"),
            "json": parsed,
            "form": form,
        }
        self._send_json(200, doc)

    def _status(self, text: str) -> None:
        code = _int_text(text, "status code")
        if not 200 <= code <= 599:
            raise _BadRequest(f"status code out of range: {code}")
        if code in (204, 304):
            self._send(code)
        else:
            self._send_json(code, {"status": code})

    def _drip(self, seconds: float, count: int) -> None:
        if count < 0:
            raise _BadRequest("count must be >= 0")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(count))
        self.end_headers()
        self.wfile.flush()
        if self.command == "HEAD":
            return
        for _ in range(count):
            if not self._wait(seconds):
                return
            self.wfile.write(b"*")
            self.wfile.flush()

    def _cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = {}
        for header in self.headers.get_all("Cookie") or []:
            for item in header.split(";"):
                name, sep, value = item.strip().partition("=")
                if name and sep:
                    cookies[name] = value
        return cookies

    def _redirect(self, target: str, status: int) -> None:
        if not 300 <= status <= 399:
            raise _BadRequest(f"not a redirect status: {status}")
        self._send_json(status, {"redirect": target}, [("Location", target)])

    def _basic_auth(self, user: str, password: str) -> None:
        scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
        given: str | None = None
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                given = None
        if given == f"{user}:{password}":
            self._send_json(200, {"authenticated": True, "user": user})
        else:
            challenge = [("WWW-Authenticate", 'Basic realm="test"')]
            self._send_json(401, {"authenticated": False}, challenge)

    def _bearer(self) -> None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            self._send_json(200, {"authenticated": True, "token": token})
        else:
            challenge = [("WWW-Authenticate", 'Bearer realm="test"')]
            self._send_json(401, {"authenticated": False}, challenge)

    def _big(self, size: int) -> None:
        if size < 0:
            raise _BadRequest("bytes must be >= 0")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        block = b"a" * _CHUNK
        left = size
        while left > 0:
            n = min(left, _CHUNK)
            self.wfile.write(block[:n])
            left -= n


def _flatten(query: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """``{"a": ["1"], "b": ["1", "2"]}`` -> ``{"a": "1", "b": ["1", "2"]}``."""
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


def _str_arg(rec: Recorded, name: str, default: str) -> str:
    values = rec.query.get(name)
    return values[-1] if values else default


def _int_text(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _BadRequest(f"bad {what}: {text!r}") from None


def _int_arg(rec: Recorded, name: str, default: int) -> int:
    values = rec.query.get(name)
    return _int_text(values[-1], name) if values else default


def _float_arg(rec: Recorded, name: str, default: float) -> float:
    values = rec.query.get(name)
    if not values:
        return default
    try:
        value = float(values[-1])
    except ValueError:
        raise _BadRequest(f"bad {name}: {values[-1]!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _BadRequest(f"bad {name}: {values[-1]!r}")
    return value


class TestServer:
    """A real HTTP server on ``host``:``port`` (0 = a free port), run in a daemon thread."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._log: list[Recorded] = []
        self._conns: set[socket.socket] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> TestServer:
        """Bind, listen and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("TestServer already started")
        httpd = _Server((self._host, self._port), self)
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"TestServer:{httpd.server_address[1]}",
            daemon=True,
        )
        self._httpd, self._thread = httpd, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and wake sleeping handlers. Idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._cond:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> TestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- inspection ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("TestServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    @property
    def log(self) -> list[Recorded]:
        """A copy of the recorded requests, in arrival order."""
        with self._cond:
            return list(self._log)

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._cond:
            self._log.clear()

    def paths(self) -> list[str]:
        """The paths requested (without query strings), in arrival order."""
        return [rec.path for rec in self.log]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        """Wait until at least ``count`` requests are recorded (or ``timeout``); return the log."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._log) >= count, timeout)
            return list(self._log)

    # -- called by the handler threads --------------------------------------------------------

    def _record(self, rec: Recorded) -> None:
        with self._cond:
            self._log.append(rec)
            self._cond.notify_all()

    def _track(self, conn: socket.socket) -> None:
        with self._cond:
            self._conns.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._cond:
            self._conns.discard(conn)
