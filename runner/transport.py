"""The only module that touches the network: one httpx.Client per run.

Why: connection reuse across steps, one cookie jar, TLS verification on, and a wall-clock
deadline per request on top of httpx's per-phase timeouts (a server that drips one byte a
second never trips a read timeout). Failures become ``TransportError`` with a short reason.
"""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.errors import TransportError

DEFAULT_TIMEOUT = 30.0
MAX_BODY_BYTES = 50 * 1024 * 1024
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
    cookies: dict[str, str] = field(default_factory=dict)
    _json: Any = _UNSET

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", ""))

    def text(self) -> str:
        return self.body.decode(_charset(self.content_type), errors="replace")

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


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return str(value).strip('"')
    return "utf-8"


class Transport:
    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.client = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, req: PreparedRequest) -> Exchange:
        deadline = time.monotonic() + req.timeout
        started = time.perf_counter()
        try:
            request = self.client.build_request(
                req.method,
                req.url,
                params=list(req.params) or None,
                headers=list(req.headers),
                content=req.content,
                timeout=httpx.Timeout(req.timeout),
            )
            response = self.client.send(request, stream=True, follow_redirects=req.follow_redirects)
            try:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise TransportError(
                            f"response body is larger than {self.max_body_bytes} bytes", "too_large"
                        )
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TransportError(
                            f"no complete response within {req.timeout:g} s", "timeout"
                        )
                raw = b"".join(chunks)
            finally:
                response.close()
        except TransportError:
            raise
        except httpx.TimeoutException as exc:
            phase = {
                "ConnectTimeout": "connecting",
                "ReadTimeout": "waiting for the response",
                "WriteTimeout": "sending the request",
                "PoolTimeout": "waiting for a connection",
            }
            raise TransportError(
                f"timed out after {req.timeout:g} s {phase.get(type(exc).__name__, '')}".rstrip(),
                "timeout",
            ) from None
        except httpx.ConnectError as exc:
            raise _connect_error(req.url, exc) from None
        except httpx.TooManyRedirects:
            raise TransportError("too many redirects", "redirects") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise TransportError(f"invalid URL {req.url!r}: {exc}", "invalid_url") from None
        except httpx.RemoteProtocolError as exc:
            raise TransportError(f"the server broke the HTTP protocol: {exc}", "protocol") from None
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}", "network") from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        body = _decode(raw, response.headers, self.max_body_bytes)
        cookies = {c.name: c.value or "" for c in self.client.cookies.jar}
        cookies.update(response.cookies)
        return Exchange(
            request=req,
            url=str(response.url),
            status=response.status_code,
            reason=response.reason_phrase,
            headers=response.headers,
            body=body,
            elapsed_ms=elapsed_ms,
            cookies=cookies,
        )


def _decode(raw: bytes, headers: httpx.Headers, limit: int) -> bytes:
    """Undo Content-Encoding with a size cap, so a gzip bomb cannot fill memory."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if not encoding or encoding == "identity":
        return raw
    import zlib

    wbits = {"gzip": 47, "x-gzip": 47, "deflate": 15}.get(encoding)
    if wbits is None:
        return raw  # an encoding we do not undo (br, zstd): keep the bytes as sent
    try:
        decompressor = zlib.decompressobj(wbits)
        out = decompressor.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise TransportError(
            f"cannot decode the {encoding} response body: {exc}", "decode"
        ) from None
    if len(out) > limit:
        raise TransportError(f"decoded response body is larger than {limit} bytes", "too_large")
    return out


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
