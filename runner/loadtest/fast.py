"""A load user's transport: requests sent through Locust's ``FastHttpSession``.

Why: in the load process the engine's httpx client costs more CPU per request than everything
else a user does, and one load process is one core. Locust's fast client (geventhttpclient,
which Locust ships) sends the same request for a fraction of that. The engine sees the same
``send(PreparedRequest) -> Exchange`` contract as ``runner.http.transport.Transport``; checks,
captures and redaction run on the Exchange exactly as in a run.

What stays on httpx (the parent class, the same user's cookie jar): the requests whose
semantics the fast client does not give, namely followed redirects (hop rules for methods,
Referer, secret headers across origins), Digest auth, HTTP/2, and proxies. Imported only in
the load process (gevent must patch sockets first).
"""

from __future__ import annotations

import email.message
import socket
import ssl
import time
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import gevent  # type: ignore[import-untyped]  # gevent ships no annotations
import httpx
from geventhttpclient.url import URL
from locust.contrib.fasthttp import FastHttpSession

from runner.core.errors import TransportError
from runner.format.spec import MAX_PARALLEL
from runner.http.transport import (
    ACCEPT_ENCODING,
    Exchange,
    PreparedRequest,
    TLSContexts,
    Transport,
    TransportOptions,
    decode_body,
    proxy_map,
    too_large,
    with_params,
)


class _Late(Exception):
    """The request's wall-clock deadline passed (raised in the user's greenlet by gevent)."""


class _NoEvents:
    """Locust's request event for the session: the user fires its own (one per step)."""

    def fire(self, **kwargs: Any) -> None:
        return None


class FastTransport(Transport):
    """One load user's connections: Locust's FastHttpSession, with httpx for the rest."""

    def __init__(
        self,
        *,
        timeout: float,
        max_body_bytes: int,
        options: TransportOptions,
        tls: TLSContexts,
    ) -> None:
        super().__init__(timeout=timeout, max_body_bytes=max_body_bytes, options=options, tls=tls)
        self.session = FastHttpSession(
            None,
            request_event=_NoEvents(),
            user=None,
            insecure=not options.verify,
            ssl_context_factory=self._ssl_context,
            connection_timeout=timeout,
            network_timeout=timeout,
            max_retries=0,
            # connections per host, made when needed: a parallel folder's steps send at the
            # same time (the client's default, one, made them wait for each other)
            concurrency=MAX_PARALLEL,
        )
        self.session.client.cookiejar = self.cookies  # one jar for both clients
        self._proxied = any(proxy_map(options).values())
        self._targets: dict[str, tuple[Any, str]] = {}
        self._loop = gevent.get_hub().loop

    def _ssl_context(self, **kwargs: Any) -> ssl.SSLContext:
        """The run's context (--cacert, --cert, --insecure), shared with the httpx pools."""
        return self.tls.context()

    def close(self) -> None:
        self.session.client.close()
        super().close()

    def send(self, req: PreparedRequest) -> Exchange:
        if req.follow_redirects or req.digest or req.http2 or self._proxied:
            return super().send(req)
        url = req.url
        if req.params:  # merged into a query string written in the URL, as the transport does
            url = str(with_params(httpx.URL(url), req.params))
        started = time.perf_counter()
        # The deadline: a timer of the hub throwing _Late into this greenlet, what
        # gevent.Timeout does without making an exception object and its bookkeeping on
        # every request (1.5 us of a few dozen). A new timer each request: a reused,
        # restarted one failed later requests once it had fired.
        timer = self._loop.timer(req.timeout)
        timer.start(gevent.getcurrent().throw, _Late)
        try:
            try:
                status, reason, headers, raw, encoded = self._exchange(req, url)
            finally:
                timer.close()
        except _Late:
            raise TransportError(
                f"no complete response within {req.timeout:g} s", "timeout"
            ) from None
        except TransportError:
            raise
        except ssl.SSLError as exc:
            raise TransportError(f"TLS failed with {httpx.URL(url).host}: {exc}", "tls") from None
        except ConnectionRefusedError:
            netloc = httpx.URL(url).netloc.decode()
            raise TransportError(f"connection refused by {netloc}", "refused") from None
        except socket.gaierror:
            raise TransportError(f"cannot resolve host {httpx.URL(url).host!r}", "dns") from None
        except (OSError, ValueError) as exc:  # geventhttpclient's parse errors are ValueErrors
            raise TransportError(f"{type(exc).__name__}: {exc}", "network") from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        limit = req.max_body_bytes or self.max_body_bytes
        jar = self.cookies
        return Exchange(
            request=req,
            url=url,
            status=status,
            reason=reason,
            headers=headers,
            body=decode_body(raw, headers, limit) if encoded else raw,
            elapsed_ms=elapsed_ms,
            _cookie_source=lambda: {c.name: c.value or "" for c in jar},
        )

    def _target(self, url: str) -> tuple[Any, str]:
        """The session's client for the URL's host and the request target, once per URL."""
        found = self._targets.get(url)
        if found is None:
            if len(self._targets) >= 512:
                self._targets.clear()
            split = URL(url)
            if split.scheme not in ("http", "https"):
                raise TransportError(f"invalid URL {url!r}: not http or https", "invalid_url")
            client = self.session.client.clientpool.get_client(split)
            found = self._targets[url] = (client, split.quoted_uri)
        return found

    def _exchange(
        self, req: PreparedRequest, url: str
    ) -> tuple[int, str, httpx.Headers, bytes, bool]:
        """Status, reason, headers, the body as received, and whether it is encoded."""
        client, target = self._target(url)
        headers = list(req.headers)
        names = {name.lower() for name, _ in headers}
        if "accept-encoding" not in names:
            headers.append(("Accept-Encoding", ACCEPT_ENCODING))
        if len(self.cookies):
            headers.extend(_cookie_header(self.cookies, url))
        response = client.request(req.method, target, body=req.content or b"", headers=headers)
        try:
            limit = req.max_body_bytes or self.max_body_bytes
            length = response.content_length
            if length is not None and length > limit:
                raise too_large(limit)
            raw = response.read()
            if len(raw) > limit:
                raise too_large(limit)
        finally:
            response.release()
        answer = httpx.Headers(response.items())
        # asked of the response's own headers (a dict by lower-cased name: one lookup), not of
        # httpx's (a scan that first works out their encoding)
        if "set-cookie" in response:
            _take_cookies(self.cookies, url, answer)
        status = response.status_code
        reason = getattr(response, "status_message", "") or ""
        return status, reason, answer, raw, "content-encoding" in response


def _cookie_header(jar: CookieJar, url: str) -> list[tuple[str, str]]:
    """The Cookie header the jar sends to ``url`` (http.cookiejar's rules, as httpx's)."""
    request = urllib.request.Request(url)  # noqa: S310 - never opened: http(s) URLs only
    jar.add_cookie_header(request)
    cookie = request.get_header("Cookie")
    return [("Cookie", cookie)] if cookie else []


def _take_cookies(jar: CookieJar, url: str, headers: httpx.Headers) -> None:
    """Store the response's Set-Cookie headers in the jar (only responses that set one)."""
    message = email.message.Message()
    for value in headers.get_list("set-cookie"):
        message["Set-Cookie"] = value

    class _Response:
        def info(self) -> email.message.Message:
            return message

    request = urllib.request.Request(url)  # noqa: S310 - never opened
    jar.extract_cookies(_Response(), request)  # type: ignore[arg-type]
