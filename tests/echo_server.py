"""A local stand-in for Postman Echo (postman-echo.com) and Newman's two test servers.

Standard library only; serves on 127.0.0.1 in a daemon thread. Used by the Postman import
tests and by ``bench/newman_parity`` (which runs Newman and the runner against it), and from
a shell: ``python tests/echo_server.py --port 5555``.

- ``EchoServer``: Postman Echo's routes and answers (``/get``, ``/post``, ``/put``, ``/patch``,
  ``/delete``, ``/headers``, ``/status/{code}``, ``/delay/{s}``, ``/basic-auth``,
  ``/digest-auth``, ``/cookies``, ``/cookies/set``, ``/cookies/delete``, ``/redirect-to``,
  ``/response-headers``, ``/gzip``, ``/deflate``, ``/ip``, ``/time/now``, ``/encoding/utf8``,
  ``/stream/{n}``, ``/type/{html,xml,json}``, ``/oauth1``, ``/auth/hawk``). ``url_origin``
  sets the origin written in the ``url`` field (``https://postman-echo.com`` to pass tests that
  compare it). ``/oauth1`` verifies an OAuth 1.0a signature (header, query or form body;
  ``tests/oauth1_verify.py``) against ``oauth1_consumers``/``oauth1_tokens``/``oauth1_rsa_keys``,
  which hold Postman Echo's documented consumer by default.
  ``answer(path, ...)`` makes a path give a fixed answer instead, so a test can
  prove that a check fails when the server's answer changes.
- ``RawEchoServer``: answers with the raw request (request line, headers, body) as text, like
  the server Newman's integration tests start on port 4041.
- ``RedirectServer``: ``/N`` redirects N times, ``/status/30x`` once, then ``/`` echoes
  ``{url, method, headers, data}``, like Newman's server on port 4042.

Every request is recorded in ``log`` before it is answered.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import gzip
import hashlib
import json
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, cast
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Answer", "EchoServer", "RawEchoServer", "Received", "RedirectServer"]

USERNAME, PASSWORD, REALM = "postman", "password", "Users"  # as Postman Echo documents them
OAUTH1_CONSUMER_KEY, OAUTH1_CONSUMER_SECRET = "RKCGzna7bv9YD57c", "D+EdQ-gs$-%@2Nu7"  # likewise


@dataclass(frozen=True)
class Received:
    """One request as the server got it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Answer:
    """A fixed answer for a path (``EchoServer.answer``)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # dict/list: JSON; str/bytes: as is
    delay: float = 0.0  # seconds to wait before answering


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: _Base) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """No tracebacks on the console."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EchoServer/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:
        """Never print."""

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            owner = cast(_HTTPServer, self.server).owner
            body = self._body()
            split = urlsplit(self.path)
            received = Received(
                self.command,
                split.path or "/",
                parse_qsl(split.query, keep_blank_values=True),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            with owner.lock:
                owner.log.append(received)
            owner.handle(self, received)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = "application/json; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type and body:
            self.send_header("Content-Type", content_type)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(
        self, status: int, doc: Any, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send(status, json.dumps(doc).encode("utf-8"), headers=headers)


class _Base:
    """Lifecycle shared by the three servers."""

    name: ClassVar[str] = "server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.log: list[Received] = []
        self.lock = threading.Lock()
        self._httpd: _HTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> _Base:
        httpd = _HTTPServer((self.host, self.port), self)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}:{self.port}",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def handle(self, h: _Handler, r: Received) -> None:
        raise NotImplementedError


def _multi(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Postman Echo's args: a repeated key gives a list."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


class EchoServer(_Base):
    """Postman Echo's routes (see the module docstring)."""

    name = "EchoServer"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, url_origin: str | None = None
    ) -> None:
        super().__init__(host, port)
        self.url_origin = url_origin
        self.answers: dict[str, Answer] = {}
        self._nonces: set[str] = set()
        # /oauth1 verifies OAuth 1.0a signatures (tests/oauth1_verify.py) with these
        # credentials; Postman Echo documents the first consumer
        self.oauth1_consumers: dict[str, str] = {OAUTH1_CONSUMER_KEY: OAUTH1_CONSUMER_SECRET}
        self.oauth1_tokens: dict[str, str] = {}  # token -> token secret
        self.oauth1_rsa_keys: dict[str, bytes] = {}  # consumer key -> PEM public key

    def answer(
        self, path: str, status: int = 200, body: Any = None, delay: float = 0.0, **headers: str
    ) -> None:
        """From now on, ``path`` answers with this (``None`` body: empty; ``content_type=``
        and other keyword arguments are headers, ``_`` read as ``-``)."""
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        self.answers[path] = Answer(status, named, body, delay)

    def reset(self) -> None:
        self.answers.clear()

    def _url(self, h: _Handler, r: Received) -> str:
        origin = self.url_origin or f"http://{h.headers.get('Host') or f'{self.host}:{self.port}'}"
        return origin + h.path

    def handle(self, h: _Handler, r: Received) -> None:
        fixed = self.answers.get(r.path)
        if fixed is not None:
            time.sleep(fixed.delay)
            body = fixed.body
            if isinstance(body, dict | list):
                payload, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
            else:
                payload = body.encode() if isinstance(body, str) else (body or b"")
                ctype = "text/plain; charset=utf-8"
            extra = [(k, v) for k, v in fixed.headers.items() if k.lower() != "content-type"]
            named = [v for k, v in fixed.headers.items() if k.lower() == "content-type"]
            h.send(fixed.status, payload, named[0] if named else ctype, extra)
            return
        parts = [p for p in r.path.split("/") if p]
        route = parts[0] if parts else ""
        base: dict[str, Any] = {"args": _multi(r.query), "headers": r.headers}
        if r.path == "/get" or r.path == "/":
            h.send_json(200, {**base, "url": self._url(h, r)})
        elif r.path in ("/post", "/put", "/patch", "/delete"):
            h.send_json(200, {**base, **self._payload(r), "url": self._url(h, r)})
        elif r.path == "/headers":
            h.send_json(200, {"headers": r.headers})
        elif route == "status" and len(parts) == 2 and parts[1].isdigit():
            h.send_json(int(parts[1]), {"status": int(parts[1])})
        elif route == "delay" and len(parts) == 2:
            seconds = min(float(parts[1]), 10.0)
            time.sleep(seconds)
            h.send_json(200, {"delay": parts[1]})
        elif r.path == "/basic-auth":
            self._basic(h, r)
        elif r.path == "/digest-auth":
            self._digest(h, r)
        elif r.path == "/cookies":
            h.send_json(200, {"cookies": _cookies(r.headers.get("cookie", ""))})
        elif r.path == "/cookies/set":
            headers = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in r.query]
            h.send(302, b"", None, [*headers, ("Location", "/cookies")])
        elif r.path == "/cookies/delete":
            headers = [
                ("Set-Cookie", f"{k}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
                for k, _ in r.query
            ]
            h.send(302, b"", None, [*headers, ("Location", "/cookies")])
        elif r.path == "/redirect-to":
            query = dict(r.query)
            status = int(query.get("status_code", "302"))
            h.send(status, b"", None, [("Location", query.get("url", "/get"))])
        elif r.path == "/response-headers":
            found = [v for k, v in r.query if k.lower() == "content-type"]
            ctype = found[0] if found else "application/json; charset=utf-8"
            extra = [(k, v) for k, v in r.query if k.lower() != "content-type"]
            h.send(
                200,
                json.dumps(_multi(r.query)).encode(),
                ctype,
                extra,
            )
        elif r.path == "/gzip":
            doc = {"gzipped": True, "headers": r.headers, "method": r.method}
            h.send(
                200, gzip.compress(json.dumps(doc).encode()), headers=[("Content-Encoding", "gzip")]
            )
        elif r.path == "/deflate":
            doc = {"deflated": True, "headers": r.headers, "method": r.method}
            h.send(
                200,
                zlib.compress(json.dumps(doc).encode()),
                headers=[("Content-Encoding", "deflate")],
            )
        elif r.path == "/ip":
            h.send_json(200, {"ip": h.client_address[0]})
        elif r.path == "/time/now":
            h.send(200, email.utils.formatdate(usegmt=True).encode(), "text/html; charset=utf-8")
        elif r.path == "/encoding/utf8":
            h.send(
                200,
                "<h1>Unicode Demo</h1>\n<p>∑ ∏ ∫ ∂ — ¡Hola! 日本語</p>\n".encode(),
                "text/html; charset=utf-8",
            )
        elif route == "stream" and len(parts) == 2 and parts[1].isdigit():
            lines = [
                json.dumps({**base, "url": self._url(h, r), "id": i})
                for i in range(min(int(parts[1]), 100))
            ]
            h.send(200, "\n".join(lines).encode())
        elif route == "type" and len(parts) == 2:
            kinds = {
                "html": ("text/html; charset=utf-8", b"<html><body>Hello</body></html>"),
                "xml": ("application/xml; charset=utf-8", b'<?xml version="1.0"?><a>1</a>'),
                "json": ("application/json; charset=utf-8", b'{"type": "json"}'),
            }
            ctype, payload = kinds.get(parts[1], ("text/plain", b"unknown type"))
            h.send(200, payload, ctype)
        elif r.path == "/oauth1":
            self._oauth1(h, r)
        elif r.path == "/auth/hawk":
            h.send_json(401, {"status": "fail", "message": "signature verification failed"})
        else:
            h.send(404, b"Not Found", "text/plain; charset=utf-8")

    def _oauth1(self, h: _Handler, r: Received) -> None:
        """Postman Echo's /oauth1: 200 ``pass`` for a good signature, else 401 ``fail``
        with the base string the server computed (and, as Postman Echo does, no secret)."""
        from oauth1_verify import verify

        url = f"http://{h.headers.get('Host') or f'{self.host}:{self.port}'}{h.path}"
        verdict = verify(
            r.method, url, r.headers, r.body,
            self.oauth1_consumers, self.oauth1_tokens, self.oauth1_rsa_keys,
        )  # fmt: skip
        if verdict.ok:
            h.send_json(200, {"status": "pass", "message": verdict.message})
        else:
            h.send_json(
                401,
                {"status": "fail", "message": verdict.message, "base_string": verdict.base_string},
            )

    def _payload(self, r: Received) -> dict[str, Any]:
        """``data``, ``files``, ``form`` and ``json`` as Postman Echo fills them."""
        ctype = r.headers.get("content-type", "")
        out: dict[str, Any] = {"data": "", "files": {}, "form": {}, "json": None}
        if "application/x-www-form-urlencoded" in ctype:
            form = _multi(parse_qsl(r.body.decode("utf-8", "replace"), keep_blank_values=True))
            out["form"], out["json"] = form, form
        elif "multipart/form-data" in ctype:
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + r.body
            )
            pairs: list[tuple[str, str]] = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                raw = part.get_payload(decode=True)
                payload = raw if isinstance(raw, bytes) else b""
                if filename:
                    mime = part.get_content_type()
                    encoded = base64.b64encode(payload).decode()
                    out["files"][filename] = f"data:{mime};base64,{encoded}"
                elif isinstance(name, str):
                    pairs.append((name, payload.decode("utf-8", "replace")))
            out["form"] = _multi(pairs)
        elif r.body:
            text = r.body.decode("utf-8", "replace")
            try:
                parsed = json.loads(text)
            except ValueError:
                out["data"] = text
            else:
                out["data"] = parsed if "json" in ctype else text
                out["json"] = parsed if "json" in ctype else None
        return out

    def _basic(self, h: _Handler, r: Received) -> None:
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        if r.headers.get("authorization") == expected:
            h.send_json(200, {"authenticated": True})
        else:
            h.send(
                401, b"Unauthorized", "text/plain", [("WWW-Authenticate", 'Basic realm="Users"')]
            )

    def _digest(self, h: _Handler, r: Received) -> None:
        header = r.headers.get("authorization", "")
        if header.startswith("Digest ") and self._digest_ok(header[7:], r.method):
            h.send_json(200, {"authenticated": True})
            return
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        challenge = f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm="MD5"'
        h.send(401, b"Unauthorized", "text/plain", [("WWW-Authenticate", challenge)])

    def _digest_ok(self, params_text: str, method: str) -> bool:
        params = dict(
            (k.strip(), v.strip().strip('"'))
            for k, _, v in (p.partition("=") for p in _split_params(params_text))
        )

        def md5(text: str) -> str:
            return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

        if params.get("username") != USERNAME or params.get("nonce") not in self._nonces:
            return False
        ha1 = md5(f"{USERNAME}:{REALM}:{PASSWORD}")
        ha2 = md5(f"{method}:{params.get('uri', '')}")
        if params.get("qop"):
            expected = md5(
                f"{ha1}:{params['nonce']}:{params.get('nc', '')}:"
                f"{params.get('cnonce', '')}:{params['qop']}:{ha2}"
            )
        else:
            expected = md5(f"{ha1}:{params['nonce']}:{ha2}")
        return secrets.compare_digest(expected, params.get("response", ""))


def _split_params(text: str) -> list[str]:
    """Split ``a="x, y", b=z`` on the commas outside quotes."""
    out, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            out.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        out.append(current)
    return out


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for piece in header.split(";"):
        name, sep, value = piece.strip().partition("=")
        if sep and name:
            out[name] = value
    return out


class RawEchoServer(_Base):
    """Answers with the request exactly as received, as text."""

    name = "RawEchoServer"

    def handle(self, h: _Handler, r: Received) -> None:
        lines = [h.requestline] + [f"{k}: {v}" for k, v in h.headers.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + r.body
        h.send(200, raw, "text/plain; charset=utf-8")


class RedirectServer(_Base):
    """``/N`` -> 302 to ``/N-1`` ... -> ``/``; ``/status/30x`` -> that status to ``/``."""

    name = "RedirectServer"

    def handle(self, h: _Handler, r: Received) -> None:
        parts = [p for p in r.path.split("/") if p]
        if len(parts) == 1 and parts[0].isdigit() and int(parts[0]) > 0:
            following = int(parts[0]) - 1
            h.send(302, b"", None, [("Location", f"/{following}" if following else "/")])
        elif len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            h.send(int(parts[1]), b"", None, [("Location", "/")])
        else:
            data = r.body.decode("utf-8", "replace")
            h.send_json(
                200,
                {
                    "url": "/" if r.path in ("/", "/0") else r.path,
                    "method": r.method,
                    "headers": r.headers,
                    "data": data,
                },
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Postman Echo stand-in locally.")
    parser.add_argument("--port", type=int, default=5555)
    parser.add_argument("--raw-port", type=int, default=0, help="also the raw echo server")
    parser.add_argument("--redirect-port", type=int, default=0, help="also the redirect server")
    parser.add_argument("--url-origin", help="origin written in 'url' (https://postman-echo.com)")
    args = parser.parse_args()
    servers: list[_Base] = [EchoServer(port=args.port, url_origin=args.url_origin).start()]
    if args.raw_port:
        servers.append(RawEchoServer(port=args.raw_port).start())
    if args.redirect_port:
        servers.append(RedirectServer(port=args.redirect_port).start())
    for server in servers:
        print(f"{server.name} on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
