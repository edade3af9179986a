"""RFC 8252 loopback capture: receive the browser's OAuth redirect on 127.0.0.1 or [::1].

When the redirect URI is ``http://127.0.0.1:PORT/path`` (or ``[::1]``, or ``localhost``), the
runner can take the authorization response itself instead of asking a person to paste it.
Why it is built this way (RFC 8252 §7.3, §8.3; RFC 6749 §4.1.2, §10.12):

- Bound to the loopback interface only, opened just before the authorize URL is shown and
  closed as soon as one callback is accepted or the wait times out.
- Only a request on the registered path that carries the parameter (``code``) or an OAuth
  ``error``, and whose ``state`` equals this run's (compared in constant time), is accepted.
  Anything else (another path, a stray tab, a forged request with another state) gets a short
  page saying why and changes nothing, so a web page cannot end or hijack the flow.
- The browser gets a short page: the person may close the tab, or what went wrong. The page
  never echoes the code.
- One thread serves the sockets; a connection is read only once it has data, so a browser's
  idle preconnection cannot stall the real request.

Nothing here prints; the caller says what happens.
"""

from __future__ import annotations

import contextlib
import hmac
import html
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

_WINDOWS = sys.platform == "win32"  # there SO_REUSEADDR lets another process take the port
DEFAULT_TIMEOUT = 300.0  # seconds a person has to authorize in the browser
_READ_TIMEOUT = 5.0  # a connection that started a request must finish it this fast
_LOOPBACK = {
    "127.0.0.1": ((socket.AF_INET, "127.0.0.1"),),
    "::1": ((socket.AF_INET6, "::1"),),
    "localhost": ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")),
}
_PAGE_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
)


class CallbackTimeout(Exception):
    """No acceptable callback arrived before the deadline."""


@dataclass(frozen=True, slots=True)
class LoopbackTarget:
    """Where a loopback redirect URI points: ``host`` as written (without brackets)."""

    host: str
    port: int
    path: str

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def loopback_target(redirect_uri: str) -> LoopbackTarget | None:
    """The listener a redirect URI allows: ``http`` on a loopback host with an explicit port;
    None for anything else (https, another host, no port), which stays paste-only."""
    try:
        parts = urlsplit(redirect_uri.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or host not in _LOOPBACK or port is None or port == 0:
        return None
    return LoopbackTarget(host, port, parts.path or "/")


@dataclass(frozen=True, slots=True)
class _Verdict:
    accept: bool
    status: int
    title: str
    message: str


class CallbackListener:
    """A one-shot HTTP listener for one authorization response.

    ``param`` is the query parameter that carries the value (``code``); ``expected_state``,
    when given, must equal the callback's ``state``. ``wait()`` returns the whole callback URL
    (for the same checks a pasted URL gets) or raises CallbackTimeout. Raises OSError when
    the port cannot be bound (in use, or no IPv6)."""

    def __init__(
        self,
        redirect_uri: str,
        *,
        param: str = "code",
        expected_state: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        target = loopback_target(redirect_uri)
        if target is None:
            raise ValueError(f"not a loopback redirect URI with a port: {redirect_uri!r}")
        self.target = target
        self.redirect_uri = redirect_uri
        self.param = param
        self.expected_state = expected_state
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.refused: list[str] = []  # why earlier requests were not accepted, for messages
        self._result: str | None = None
        self._arrived = threading.Event()
        self._closed = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._sockets = self._bind(target)
        for sock in self._sockets:
            self._selector.register(sock, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._serve, name="runner-loopback", daemon=True)
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{self.target.origin}{self.target.path}"

    def poll(self) -> str | None:
        """The accepted callback URL, if it has arrived."""
        return self._result if self._arrived.is_set() else None

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def wait(self, timeout: float | None = None) -> str:
        """Block until the callback arrives (its URL) or the deadline passes (CallbackTimeout)."""
        limit = self.remaining() if timeout is None else min(timeout, self.remaining())
        if not self._arrived.wait(limit) or self._result is None:
            raise CallbackTimeout(
                f"no authorization redirect reached {self.url} within {self.timeout:g} s"
            )
        return self._result

    def close(self) -> None:
        """Stop listening (idempotent); the serving thread ends within a fraction of a second."""
        self._closed.set()
        self._thread.join(timeout=2.0)

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving -----------------------------------------------------------------------------
    @staticmethod
    def _bind(target: LoopbackTarget) -> list[socket.socket]:
        sockets: list[socket.socket] = []
        errors: list[OSError] = []
        for family, address in _LOOPBACK[target.host]:
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as exc:  # no IPv6 on this machine
                errors.append(exc)
                continue
            try:
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if hasattr(socket, "SO_REUSEADDR") and not _WINDOWS:
                    # a run again within a minute: the last one's closed connections are in
                    # TIME_WAIT on this port (POSIX reuse still refuses a live listener)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, target.port))
                sock.listen(8)
                sock.setblocking(False)
            except OSError as exc:
                sock.close()
                errors.append(exc)
                continue
            sockets.append(sock)
        if not sockets:
            raise errors[0] if errors else OSError(f"cannot listen on {target.origin}")
        return sockets

    def _serve(self) -> None:
        connections: list[socket.socket] = []
        try:
            while not self._closed.is_set() and not self._arrived.is_set():
                if time.monotonic() >= self.deadline:
                    break
                for key, _ in self._selector.select(timeout=0.1):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    if key.data is None:  # a listening socket: a new connection
                        with contextlib.suppress(OSError):
                            conn, _ = sock.accept()
                            conn.setblocking(True)
                            self._selector.register(conn, selectors.EVENT_READ, "conn")
                            connections.append(conn)
                        continue
                    self._selector.unregister(sock)
                    self._handle(sock)
                    with contextlib.suppress(OSError):
                        sock.close()
                    if self._arrived.is_set():
                        break
        finally:
            for sock in [*self._sockets, *connections]:
                with contextlib.suppress(OSError, KeyError, ValueError):
                    self._selector.unregister(sock)
                with contextlib.suppress(OSError):
                    sock.close()
            self._selector.close()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(_READ_TIMEOUT)
        with contextlib.suppress(OSError):
            _Handler(conn, conn.getpeername(), self)

    def verdict(self, method: str, target: str, host: str | None) -> _Verdict:
        """Decide about one request; on acceptance, hand its URL to the waiting caller."""
        if method not in ("GET", "HEAD"):
            return _Verdict(
                False, 405, "Not here", "This address only takes the browser's redirect."
            )
        allowed_hosts = {
            f"{name}:{self.target.port}" for name in ("127.0.0.1", "[::1]", "localhost")
        }
        if host is None or host.lower() not in allowed_hosts:
            return _Verdict(False, 400, "Not here", "Unexpected Host header.")
        parts = urlsplit(target)
        if parts.path != self.target.path:
            return _Verdict(False, 404, "Not here", "This is not the authorization callback.")
        fields = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items() if v}
        if self.param not in fields and "error" not in fields:
            return _Verdict(
                False,
                400,
                "Waiting for the authorization",
                "This address waits for the authorization server's redirect; "
                f"this request has no '{self.param}'.",
            )
        if self.expected_state is not None:
            got = fields.get("state")
            if got is None or not hmac.compare_digest(
                got.encode("utf-8"), self.expected_state.encode("utf-8")
            ):
                why = "has no 'state'" if got is None else "has another 'state'"
                self.refused.append(f"a redirect that {why} was ignored")
                return _Verdict(
                    False,
                    400,
                    "Not from this run",
                    f"This redirect {why}: it does not answer the runner's current "
                    "authorization request, so it was ignored (CSRF protection). Authorize "
                    "again from the URL the runner printed.",
                )
        url = f"{self.target.origin}{target}"
        if method == "GET":
            self._result = url
            self._arrived.set()
        if "error" in fields:
            description = fields.get("error_description", "")
            detail = fields["error"] + (f": {description}" if description else "")
            return _Verdict(
                True,
                200,
                "Authorization failed",
                f"The authorization server answered: {detail}. The run stops here. "
                "You may close this tab.",
            )
        return _Verdict(
            True,
            200,
            "Authorization received",
            "The runner has the authorization response. You may close this tab and go back "
            "to the terminal.",
        )


class _Handler(BaseHTTPRequestHandler):
    """One request on one connection, answered with a short page, then the connection closes."""

    protocol_version = "HTTP/1.0"
    server_version = "runner-loopback"
    sys_version = ""

    def __init__(self, conn: socket.socket, address: Any, listener: CallbackListener) -> None:
        self.listener = listener
        super().__init__(conn, address, listener)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the terminal belongs to the run's report."""

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        verdict = self.listener.verdict(self.command, self.path, self.headers.get("Host"))
        page = _page(verdict.title, verdict.message).encode("utf-8")
        self.send_response(verdict.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in _PAGE_HEADERS:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)


def _page(title: str, message: str) -> str:
    esc = html.escape
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n<p>{esc(message)}</p>\n</body>\n</html>\n"
    )
