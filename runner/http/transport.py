"""The only module that touches the network: one httpx.Client per run.

Why: connection reuse across steps, one cookie jar, TLS verification on, and a wall-clock
deadline per request on top of httpx's per-phase timeouts (a server that drips one byte a
second never trips a read timeout). Failures become ``TransportError`` with a short reason.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar, LoadError, MozillaCookieJar
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode

import httpcore
import httpx

from runner.core.errors import TransportError, UsageError
from runner.core.model import IDEMPOTENT_METHODS

DEFAULT_TIMEOUT = 30.0
MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_HEADER_BYTES = 65_536  # a request's header names and values together
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 5.1: a header name
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")  # what httpx sends (ASCII, no CR, LF, NUL)
# Methods sent without Content-Length when they carry nothing; any other (POST, a custom
# method) says `Content-Length: 0`, as Node's HTTP client (so Newman) and httpx for POST do:
# a server may wait for a body it is not told is empty.
_NO_LENGTH_WHEN_EMPTY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A fully rendered request, ready to send."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    timeout: float = DEFAULT_TIMEOUT
    follow_redirects: bool = False
    max_redirects: int = 20  # redirects followed at most; one more is a "redirects" error
    keep_method: bool = False  # a 301/302/303 keeps method and body (followOriginalHttpMethod)
    referer: bool = False  # each hop sends Referer: the URL it was redirected from
    http2: bool = False  # offer HTTP/2 (TLS with ALPN); the server may still answer HTTP/1.1
    digest: tuple[str, str] | None = None  # username, password: answer a Digest challenge
    secret_headers: tuple[str, ...] = ()  # also never sent to another origin on a redirect
    max_body_bytes: int | None = None  # the response size cap; None: the transport's


@dataclass(slots=True)
class Exchange:
    """A request and the response it got."""

    request: PreparedRequest
    url: str  # the final URL, with the query string
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    elapsed_ms: float
    _cookies: dict[str, str] | None = None
    _json: Any = _UNSET
    http_version: str = "HTTP/1.1"
    # Reading cookies parses Set-Cookie through http.cookiejar (a tenth of a millisecond):
    # done only when a capture asks for them.
    _cookie_source: Callable[[], dict[str, str]] | None = None

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the client holds after this response, by name."""
        if self._cookies is None:
            self._cookies = self._cookie_source() if self._cookie_source is not None else {}
        return self._cookies

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))

    def text(self) -> str:
        return self.body.decode(charset_of(self.content_type), errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON, once; raises ValueError with a readable reason."""
        if self._json is _UNSET:
            if not self.body.strip():
                raise ValueError("the response body is empty")
            try:
                self._json = json.loads(self.body)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                preview = self.text()[:60].replace("\n", " ")
                ctype = self.content_type or "no content-type"
                raise ValueError(f"the response body is not JSON ({ctype}): {preview!r}") from exc
        return self._json


def charset_of(content_type: str) -> str:
    """The charset a Content-Type names, if Python knows it; else UTF-8."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            name = str(value).strip().strip('"')
            try:
                codecs.lookup(name)  # a server may send a charset Python does not know
            except LookupError:
                return "utf-8"
            return name
    return "utf-8"


def header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent as written, else None: a name that is not an HTTP token
    (spaces, non-ASCII, CR or LF), a value with a character outside printable ASCII (a
    non-ASCII one, or CR/LF, which would split the header)."""
    if not _TOKEN.fullmatch(name):
        bad = next((c for c in name if not _TOKEN.fullmatch(c)), "")
        what = f"{bad!r} (U+{ord(bad):04X})" if bad else "nothing"
        return (
            f"header name {name!r} has {what}: a header name is letters, digits and !#$%&'*+-.^_`|~"
        )
    if not _FIELD_VALUE.fullmatch(value):
        at, bad = next((i, c) for i, c in enumerate(value) if not _FIELD_VALUE.fullmatch(c))
        return (
            f"header {name!r} has {bad!r} (U+{ord(bad):04X}) at position {at + 1}: a header "
            "value is printable ASCII (percent-encode the value, or send it in the body)"
        )
    return None


def host_problem(host: str) -> str | None:
    """Why a host name cannot be looked up, else None: an empty label (``a..b``), a label
    longer than 63 characters, or a name longer than 253 (RFC 1035 2.3.4). Found before
    sending: the resolver's IDNA codec raised a bare UnicodeError."""
    if not host or ":" in host or host.replace(".", "").isdigit():
        return None  # an IP address (IPv6 holds ':'), or none: httpx says what is wrong
    labels = host.rstrip(".").split(".") if host != "." else [""]
    if len(host.rstrip(".")) > 253:
        return f"host name {host[:60]!r}... is longer than 253 characters"
    for label in labels:
        if not label:
            return f"host name {host!r} has an empty label (two dots, or a leading dot)"
        if len(label) > 63:
            return f"host name {host!r} has a label longer than 63 characters"
    return None


def check_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Raise TransportError (reason ``header``) for a header that cannot be sent, or
    headers larger than MAX_HEADER_BYTES altogether."""
    size = 0
    for name, value in headers:
        problem = header_problem(name, value)
        if problem is not None:
            raise TransportError(problem, "header")
        size += len(name) + len(value) + 4
    if size > MAX_HEADER_BYTES:
        raise TransportError(
            f"the request's headers are {size:,} bytes, more than {MAX_HEADER_BYTES:,}", "header"
        )


class Transport:
    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        max_body_bytes: int = MAX_BODY_BYTES,
        options: TransportOptions | None = None,
        tls: TLSContexts | None = None,
        cookies: CookieJar | None = None,
    ) -> None:
        """``options`` (TLS, proxies) win over ``verify``; ``tls`` shares the SSL contexts of
        a run between its transports; ``cookies`` is the jar this transport fills."""
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        if options is None:
            cacert = verify if isinstance(verify, str) else None
            options = TransportOptions(verify=verify is not False, cacert=cacert)
        self.options = options
        self.tls = tls or TLSContexts(options)
        self.cookies = cookies if cookies is not None else CookieJar()
        self.client = _Client(
            timeout=timeout,
            follow_redirects=False,
            max_redirects=_MAX_REDIRECTS,  # the request's own limit is _count_redirect's
            trust_env=False,  # proxies and CA bundles come from TransportOptions.environ
            cookies=self.cookies,
            transport=_Router(self.tls),
            mounts=_proxy_mounts(options, self.tls),
            event_hooks={"request": [_guard_redirect], "response": [_count_redirect]},
            headers={"Accept-Encoding": ACCEPT_ENCODING},
        )
        self._watchdog = _Watchdog()
        self._urls: dict[str, httpx.URL] = {}

    def close(self) -> None:
        self._watchdog.stop()
        self.client.close()

    def _url(self, text: str) -> httpx.URL:
        """The parsed URL, once per distinct URL (parsing costs as much as the rest of the
        request's preparation; iterations send the same URLs again and again)."""
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= 512:
                self._urls.clear()
            url = self._urls[text] = httpx.URL(text)
        return url

    def reset_cookies(self, cookies: Iterable[Cookie] = ()) -> None:
        """Start again from these cookies (each iteration of a run starts from the same jar)."""
        self.cookies.clear()
        for cookie in cookies:
            self.cookies.set_cookie(copy.copy(cookie))

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, req: PreparedRequest) -> Exchange:
        deadline = time.monotonic() + req.timeout
        started = time.perf_counter()
        _DEADLINE.value = deadline  # every socket operation of this request ends by then
        try:
            return self._send(req, deadline, started)
        finally:
            _DEADLINE.value = None

    def _send(self, req: PreparedRequest, deadline: float, started: float) -> Exchange:
        try:
            request = self._build(req)
            response = self._open(request, req)
            token = self._watchdog.arm(response, deadline)
            limit = req.max_body_bytes or self.max_body_bytes
            try:
                raw = _read_body(response, req, deadline, limit)
            finally:
                self._watchdog.disarm(token)
                response.close()
        except TransportError:
            raise
        except (httpx.HTTPError, ssl.SSLError, UnicodeError) as exc:
            raise _transport_error(exc, req) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        body = decode_body(raw, response.headers, limit)

        def cookies() -> dict[str, str]:
            held = {c.name: c.value or "" for c in self.client.cookies.jar}
            if "set-cookie" in response.headers:  # parsing costs 0.04 ms even when none is set
                held.update(response.cookies)
            return held

        return Exchange(
            request=req,
            url=str(response.url),
            status=response.status_code,
            reason=response.reason_phrase,
            headers=response.headers,
            body=body,
            elapsed_ms=elapsed_ms,
            http_version=response.http_version,
            _cookie_source=cookies,
        )

    def _build(self, req: PreparedRequest) -> httpx.Request:
        """The httpx request, its host and headers checked first, with the redirect
        settings it carries to every hop."""
        # merge, not replace: params add to a query string written in the URL
        url = self._url(req.url)
        if req.params:
            url = with_params(url, req.params)
        problem = host_problem(url.host)
        if problem is not None:
            raise TransportError(f"invalid URL {req.url!r}: {problem}", "invalid_url")
        # Spaces around a value are not part of it (RFC 9110 5.5) and h11 refuses them: a
        # "Bearer <<token>>" with an empty token is sent as "Bearer", what a server reads of
        # Newman's "Bearer ".
        headers = [(name, value.strip(" \t")) for name, value in req.headers]
        check_headers(headers)
        request = self.client.build_request(
            req.method,
            url,
            headers=headers,
            content=req.content,
            timeout=httpx.Timeout(req.timeout),
            extensions={_HTTP2: True} if req.http2 else None,
        )
        if req.method not in _NO_LENGTH_WHEN_EMPTY and "content-length" not in request.headers:
            if "transfer-encoding" not in request.headers:
                request.headers["Content-Length"] = "0"
        if req.follow_redirects:  # checked by _guard_redirect on every hop
            request.extensions[_ORIGIN] = _Hops(
                origin=_origin(request.url),
                secret_headers=req.secret_headers,
                method=request.method,
                max=req.max_redirects,
                keep_method=req.keep_method,
                referer=req.referer,
                stream=request.stream,
                length=request.headers.get("content-length"),
            )
        return request

    def _open(self, request: httpx.Request, req: PreparedRequest) -> httpx.Response:
        """Send, and get the response's status line and headers (the body is read after)."""
        auth: Any = httpx.DigestAuth(*req.digest) if req.digest else httpx.USE_CLIENT_DEFAULT
        try:
            return self.client.send(
                request, stream=True, follow_redirects=req.follow_redirects, auth=auth
            )
        except httpx.RemoteProtocolError as exc:
            # A kept-alive connection the server had closed: httpcore finds out only when
            # the answer never comes. Once, on a new connection, for idempotent requests.
            if req.method.upper() not in IDEMPOTENT_METHODS or not _closed_before_answer(exc):
                raise
            return self.client.send(
                request, stream=True, follow_redirects=req.follow_redirects, auth=auth
            )


def _read_body(
    response: httpx.Response, req: PreparedRequest, deadline: float, limit: int
) -> bytes:
    """The raw body, at most ``limit`` bytes, by the request's deadline."""
    try:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TransportError(f"no complete response within {req.timeout:g} s", "timeout")
        return b"".join(chunks)
    except httpx.TransportError:
        if time.monotonic() >= deadline:  # the watchdog cut a body that came too slowly
            raise TransportError(
                f"no complete response within {req.timeout:g} s", "timeout"
            ) from None
        raise


_TIMEOUT_PHASES = {
    "ConnectTimeout": "connecting",
    "ReadTimeout": "waiting for the response",
    "WriteTimeout": "sending the request",
    "PoolTimeout": "waiting for a connection",
}


def _transport_error(exc: Exception, req: PreparedRequest) -> TransportError:
    """What went wrong in transit, as the step error a person reads (its reason the kind)."""
    if isinstance(exc, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(exc).__name__, "")
        return TransportError(f"timed out after {req.timeout:g} s {phase}".rstrip(), "timeout")
    if isinstance(exc, httpx.ConnectError):
        return _connect_error(req.url, exc)
    if isinstance(exc, ssl.SSLError):
        return TransportError(f"TLS failed with {httpx.URL(req.url).host}: {exc}", "tls")
    if isinstance(exc, httpx.TooManyRedirects):
        return TransportError(f"more than {_MAX_REDIRECTS} redirects", "redirects")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | UnicodeError):
        # UnicodeError: the resolver's IDNA codec, past what host_problem knows
        return TransportError(f"invalid URL {req.url!r}: {exc}", "invalid_url")
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransportError(f"the server broke the HTTP protocol: {exc}", "protocol")
    return TransportError(f"{type(exc).__name__}: {exc}", "network")


def _closed_before_answer(exc: httpx.RemoteProtocolError) -> bool:
    return "without sending a response" in str(exc) or "Server disconnected" in str(exc)


class _SetCookies(httpx.Cookies):
    """httpx's cookies of a client, whose ``extract_cookies`` goes through http.cookiejar
    only for a response that sets a cookie. Why: httpx wraps every response and its request
    for the jar (a urllib Request, an email Message of all the headers: about a tenth of the
    time of a request to a fast server), and the jar then finds no Set-Cookie and does
    nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _Client(httpx.Client):
    """httpx's client, its cookies read and written through ``_SetCookies`` (the same jar)."""

    @property
    def cookies(self) -> httpx.Cookies:
        found = self.__dict__.get("_set_cookies")
        jar = super().cookies.jar
        if found is None or found.jar is not jar:
            found = self.__dict__["_set_cookies"] = _SetCookies(jar)
        return found

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        httpx.Client.cookies.fset(self, cookies)  # type: ignore[attr-defined]


class _Deadline(threading.local):
    value: float | None = None


_DEADLINE = _Deadline()  # the deadline of the request this thread is sending, if any


def _remaining(timeout: float | None) -> float | None:
    """The timeout of one socket operation: httpx's per-phase one, cut to what is left of the
    request's deadline, so a server that drips its status line and headers a byte at a time
    is cut off too (httpx's read timeout counts only the gap between two bytes)."""
    deadline = _DEADLINE.value
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        return _DeadlineStream(
            self.inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, its streams wrapped in ``_DeadlineStream``."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        stream = self.inner.connect_tcp(
            host, port, _remaining(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # fmt: skip
        return _DeadlineStream(
            self.inner.connect_unix_socket(path, _remaining(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _with_deadlines(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """httpx takes no network backend of its own; its pool (httpcore's) does. The attribute
    is httpcore's, pinned by tests/test_network_faults.py (a server dripping its headers)."""
    pool: Any = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


class _Watchdog:
    """Enforces wall-clock deadlines on response bodies: httpx's read timeout counts the gap
    between chunks, so a server dripping a byte a second never trips it. One thread per
    Transport (started on first use) shuts the socket down when a body's deadline passes;
    arming and disarming cost a lock, not a thread per request."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, socket.socket]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._wake_at = float("inf")  # when the thread wakes next (it waits until then)

    def arm(self, response: httpx.Response, deadline: float) -> int | None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return None
        with self._cond:
            self._next += 1
            self._armed[self._next] = (deadline, sock)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="runner-deadline", daemon=True
                )
                self._thread.start()
            if deadline < self._wake_at:  # else it wakes in time anyway: no thread switch
                self._cond.notify()
            return self._next

    def disarm(self, token: int | None) -> None:
        if token is None:
            return
        with self._cond:
            self._armed.pop(token, None)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                for token, (deadline, sock) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                soonest = min((d for d, _ in self._armed.values()), default=None)
                self._wake_at = float("inf") if soonest is None else soonest
                self._cond.wait(None if soonest is None else max(soonest - now, 0.001))


def decode_body(raw: bytes, headers: httpx.Headers, limit: int) -> bytes:
    """Undo Content-Encoding with a size cap, so a gzip bomb cannot fill memory. Stacked
    encodings (``gzip, br``) are undone last first, each under the cap; an encoding that was
    not asked for (Accept-Encoding says which: ``ACCEPT_ENCODING``) keeps the bytes as sent."""
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if any(c not in _DECODERS for c in codings):
        return raw  # something we did not advertise (zstd, compress): the bytes as sent
    body = raw
    for coding in reversed(codings):
        try:
            body = _DECODERS[coding](body, limit + 1)
        except Exception as exc:  # zlib.error, brotli.error: a corrupt body, not a crash
            raise TransportError(
                f"cannot decode the {coding} response body: {exc}", "decode"
            ) from None
        if len(body) > limit:
            raise too_large(limit, "decoded ")
    return body


def _inflate(wbits: int) -> Callable[[bytes, int], bytes]:
    def decode(data: bytes, cap: int) -> bytes:
        import zlib

        return zlib.decompressobj(wbits).decompress(data, cap)

    return decode


def _unbrotli(data: bytes, cap: int) -> bytes:
    import brotli  # type: ignore[import-untyped]

    out = brotli.Decompressor().process(data, output_buffer_limit=cap)
    return bytes(out[: cap + 1])


def _brotli_bounded() -> bool:
    """brotli 1.2 and later bound the output of one call (``output_buffer_limit``); earlier
    versions could be made to inflate a small body into gigabytes, so br is not asked for.
    (The module's own version, not importlib.metadata's: that costs 40 ms of start-up.)"""
    try:
        import brotli
    except ImportError:
        return False
    version = str(getattr(brotli, "__version__", getattr(brotli, "version", "0")))
    try:
        major, minor, *_ = (int(part) for part in [*version.split(".")[:2], "0"])
    except ValueError:
        return False
    return (major, minor) >= (1, 2)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _inflate(47),
    "x-gzip": _inflate(47),
    "deflate": _inflate(15),
}
if _brotli_bounded():
    _DECODERS["br"] = _unbrotli
# What every request offers: exactly the encodings decode_body undoes.
ACCEPT_ENCODING = ", ".join(c for c in ("gzip", "deflate", "br") if c in _DECODERS)


def too_large(limit: int, what: str = "") -> TransportError:
    """The size cap crossed: reason ``too_large``, the cap named, and how to raise it."""
    from runner.core.sizes import format_size

    return TransportError(
        f"{what}response body is larger than the {format_size(limit)} cap ({limit} bytes); "
        "stopped reading (raise it with max_response_size or --max-response-size)",
        "too_large",
    )


def _connect_error(url: str, exc: httpx.ConnectError) -> TransportError:
    text = str(exc)
    cause: BaseException | None = exc.__context__ or exc.__cause__
    if isinstance(cause, ssl.SSLError) or "CERTIFICATE" in text.upper() or "SSL" in text:
        return TransportError(f"TLS handshake with {httpx.URL(url).host} failed: {text}", "tls")
    if "refused" in text.lower() or "Errno 111" in text:
        return TransportError(f"connection refused by {httpx.URL(url).netloc.decode()}", "refused")
    if (
        "Name or service not known" in text
        or "nodename nor servname" in text
        or "getaddrinfo" in text
    ):
        return TransportError(f"cannot resolve host {httpx.URL(url).host!r}", "dns")
    return TransportError(f"cannot connect to {httpx.URL(url).netloc.decode()}: {text}", "connect")


# --- how to reach servers: TLS, proxies, HTTP/2, the cookie jar file (issue 6) -----------------

_HTTP2 = "runner.http2"  # request extension: send over an HTTP/2-capable connection
_ORIGIN = "runner.origin"  # request extension: the origin a followed request started at
# Never sent to another origin when a redirect is followed (with any header named like a
# credential, see redact.SECRET_HEADER, and the request's own secret_headers).
_CROSS_ORIGIN_DROP = ("authorization", "proxy-authorization", "cookie")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


_MAX_REDIRECTS = 1000  # the client's own cap, above any request's redirects.max


@dataclass(slots=True)
class _Hops:
    """One followed request's redirect settings and what its hops so far have seen (shared
    by every hop: httpx hands the request's extensions on to each redirect it builds)."""

    origin: tuple[str, str, int | None]  # where the request started
    secret_headers: tuple[str, ...]
    method: str
    max: int
    keep_method: bool
    referer: bool
    stream: Any = None  # the body, sent again on a hop that keeps the method
    length: str | None = None  # its Content-Length
    count: int = 0  # redirect answers followed so far
    previous: httpx.URL | None = None  # the URL that answered with the last redirect


def _count_redirect(response: httpx.Response) -> None:
    """Called by httpx on every response: count the redirects of a followed request and stop
    at its ``max`` (the client's own cap is per client, not per request)."""
    hops = response.request.extensions.get(_ORIGIN)
    if hops is None or not response.has_redirect_location:
        return
    hops.count += 1
    hops.previous = response.request.url
    if hops.count > hops.max:
        raise TransportError(
            f"too many redirects (more than {hops.max}; raise redirects.max)", "redirects"
        )


def _referer(previous: httpx.URL, url: httpx.URL) -> str | None:
    """The Referer a browser sends (strict-origin-when-cross-origin): the whole URL within
    its origin, only the origin across, nothing from https to http. Never the user:password
    or the fragment, and never a query string (it may hold a key) to another origin."""
    if previous.scheme == "https" and url.scheme != "https":
        return None
    if _origin(previous) != _origin(url):
        return str(previous.copy_with(path="/", query=None, fragment=None, userinfo=b""))
    return str(previous.copy_with(fragment=None, userinfo=b""))


def _guard_redirect(request: httpx.Request) -> None:
    """Called by httpx before every request it sends, each redirect hop included. On a hop:
    keep the method and body when asked (``keep_method``; httpx turns a 301/302/303 into
    GET without a body, Postman's followOriginalHttpMethod keeps both), set Referer when
    asked. When a followed redirect leaves the origin the request started at (scheme, host
    and port), drop the Authorization, Cookie and secret headers, and refuse a 307/308 that
    would send the body there. httpx alone forwards custom secret headers and 307 bodies."""
    from runner.core.redact import SECRET_HEADER

    hops = request.extensions.get(_ORIGIN)
    if not isinstance(hops, _Hops):
        return
    if hops.previous is not None:  # a redirect hop, not the request itself
        if hops.keep_method and request.method != hops.method:
            request.method = hops.method  # and the body httpx dropped, as Postman sends it
            request.stream = hops.stream
            if hops.length is not None:
                request.headers["Content-Length"] = hops.length
        if hops.referer:
            referer = _referer(hops.previous, request.url)
            if referer is None:
                request.headers.pop("referer", None)
            else:
                request.headers["Referer"] = referer
    if _origin(request.url) == hops.origin:
        return
    secret = {name.lower() for name in hops.secret_headers}
    for name in list(request.headers.keys()):
        lower = name.lower()
        if lower in _CROSS_ORIGIN_DROP or lower in secret or SECRET_HEADER.search(lower):
            del request.headers[name]
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if has_body:
        target = f"{request.url.scheme}://{request.url.netloc.decode('ascii', 'replace')}"
        raise TransportError(
            f"not following the redirect to {target}: it would send the request body to "
            "another origin",
            "redirect_refused",
        )


@dataclass(frozen=True, slots=True)
class TransportOptions:
    """TLS trust and client certificate, proxies. ``environ`` is where HTTP_PROXY,
    HTTPS_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE and SSL_CERT_DIR are read (default:
    ``os.environ``); ``proxy``/``no_proxy`` (the flags) win over it."""

    verify: bool = True  # False: --insecure
    cacert: str | None = None  # a CA bundle (PEM) to trust instead of the default one
    cert: str | None = None  # a client certificate (PEM), with its key in it or in ``key``
    key: str | None = None
    proxy: str | None = None
    no_proxy: str | None = None  # comma-separated hosts, as in NO_PROXY
    environ: Mapping[str, str] | None = None


class TLSContexts:
    """The SSL contexts of a run, built on first use and shared by its transports.

    Why lazily: loading the default CA bundle costs about 50 ms, which a run that sends only
    plain-HTTP requests should not pay at start-up. One context per ALPN setting, because
    httpcore sets the ALPN protocols on the context it is given."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self._contexts: dict[bool, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def context(self, http2: bool = False) -> ssl.SSLContext:
        with self._lock:
            ctx = self._contexts.get(http2)
            if ctx is None:
                ctx = self._contexts[http2] = build_ssl_context(self.options)
            return ctx


def build_ssl_context(options: TransportOptions) -> ssl.SSLContext:
    """Verification on (the default bundle, ``--cacert`` or SSL_CERT_FILE/DIR) unless
    ``--insecure``; the client certificate loaded when given. Raises UsageError."""
    environ = os.environ if options.environ is None else options.environ
    try:
        if not options.verify:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            cafile = options.cacert or environ.get("SSL_CERT_FILE") or None
            capath = None if cafile else environ.get("SSL_CERT_DIR") or None
            if cafile is None and capath is None:
                import certifi  # httpx's own dependency: Mozilla's bundle

                cafile = certifi.where()
            ctx = ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"cannot load the CA certificates ({options.cacert or 'SSL_CERT_FILE'}): {exc}",
            hint="--cacert takes a PEM file of one or more CA certificates",
        ) from None
    if options.cert:
        try:
            # an encrypted key fails here instead of OpenSSL asking on the terminal
            ctx.load_cert_chain(options.cert, options.key, password=lambda: "")
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                f"cannot load the client certificate {options.cert}: {exc}",
                hint="--cert takes a PEM certificate; give its private key with --key "
                "unless the same file holds it",
            ) from None
    return ctx


class _Router(httpx.BaseTransport):
    """Plain HTTP on a pool that never does TLS; HTTPS on pools built on first use (with
    HTTP/2 offered for requests that ask for it)."""

    def __init__(self, tls: TLSContexts) -> None:
        self.tls = tls
        self.plain = _with_deadlines(httpx.HTTPTransport(verify=False))  # http:// URLs only
        self._secure: dict[bool, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return self.plain.handle_request(request)
        http2 = bool(request.extensions.get(_HTTP2))
        transport = self._secure.get(http2)
        if transport is None:
            transport = self._create(http2)
        return transport.handle_request(request)

    def _create(self, http2: bool) -> httpx.HTTPTransport:
        with self._lock:
            transport = self._secure.get(http2)
            if transport is None:
                try:
                    ctx = self.tls.context(http2)
                except UsageError as exc:
                    raise TransportError(exc.message, "tls") from None
                try:
                    if http2:  # httpcore would offer h2 by ALPN, then fail to import it
                        import h2  # noqa: F401 - the optional `http2` extra (start-up cost)
                except ImportError:
                    raise TransportError(
                        "http2: true needs the h2 package, which is not installed "
                        "(pip install 'runner[http2]')",
                        "http2",
                    ) from None
                transport = _with_deadlines(httpx.HTTPTransport(verify=ctx, http2=http2))
                self._secure[http2] = transport
            return transport

    def close(self) -> None:
        self.plain.close()
        for transport in self._secure.values():
            transport.close()


class _Lazy(httpx.BaseTransport):
    """A proxy's transport, built on first use (it needs the SSL context)."""

    def __init__(self, proxy: str, tls: TLSContexts) -> None:
        self.proxy = proxy
        self.tls = tls
        self._inner: httpx.HTTPTransport | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self._inner is None:
                try:
                    ctx = self.tls.context()
                except UsageError as exc:
                    raise TransportError(exc.message, "tls") from None
                self._inner = _with_deadlines(httpx.HTTPTransport(verify=ctx, proxy=self.proxy))
        return self._inner.handle_request(request)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def proxy_map(options: TransportOptions) -> dict[str, str | None]:
    """URL pattern -> proxy URL (None: go direct), as httpx mounts read them."""
    environ = os.environ if options.environ is None else options.environ

    def env(name: str) -> str | None:
        return environ.get(name) or environ.get(name.lower()) or None

    mapping: dict[str, str | None] = {}
    if options.proxy:
        mapping["all://"] = options.proxy
    else:
        for scheme in ("all", "http", "https"):
            value = env(f"{scheme.upper()}_PROXY")
            if value:
                mapping[f"{scheme}://"] = value if "://" in value else f"http://{value}"
    if not mapping:
        return {}
    no_proxy = options.no_proxy if options.no_proxy is not None else env("NO_PROXY")
    for host in (h.strip() for h in (no_proxy or "").split(",")):
        if not host:
            continue
        if host == "*":
            return {}
        mapping[_no_proxy_pattern(host)] = None
    return mapping


def _no_proxy_pattern(host: str) -> str:
    import ipaddress  # deferred: only runs with NO_PROXY hosts need it

    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host.lower() == "localhost":
            return "all://localhost"
        return f"all://*{host}"  # the host and its subdomains
    return f"all://[{address}]" if address.version == 6 else f"all://{address}"


def _proxy_mounts(
    options: TransportOptions, tls: TLSContexts
) -> dict[str, httpx.BaseTransport | None]:
    return {
        pattern: None if proxy is None else _Lazy(proxy, tls)
        for pattern, proxy in proxy_map(options).items()
    }


def load_cookie_jar(path: str | Path) -> list[Cookie]:
    """The cookies of a Netscape/curl cookie file (none when it does not exist yet)."""
    jar = MozillaCookieJar()
    try:
        jar.load(str(path), ignore_discard=True, ignore_expires=False)
    except FileNotFoundError:
        return []
    except (LoadError, OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the cookie jar {path}: {exc}",
            hint="--cookie-jar reads and writes the Netscape cookie file format (as curl does)",
        ) from None
    return list(jar)


def save_cookie_jar(path: str | Path, cookies: Iterable[Cookie]) -> None:
    """Write the cookies (session cookies too) atomically, readable by the owner only."""
    target = Path(path)
    jar = MozillaCookieJar()
    for cookie in cookies:
        jar.set_cookie(cookie)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        jar.save(str(tmp), ignore_discard=True, ignore_expires=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def with_params(url: httpx.URL, params: Iterable[tuple[str, str]]) -> httpx.URL:
    """``url`` with ``params`` merged into its query as httpx merges them (a param replaces
    the URL's own of that name), a space sent as ``%20`` (RFC 3986, and what Postman sends),
    not the ``+`` of HTML forms that httpx would write."""
    pairs = list(params)
    names = {name for name, _ in pairs}
    kept = [
        part
        for part in url.query.split(b"&")
        if part and unquote_plus(part.split(b"=")[0].decode("ascii")) not in names
    ]
    added = urlencode(pairs, quote_via=quote).encode("ascii")
    return url.copy_with(query=b"&".join([*kept, added]) if added else url.query)
