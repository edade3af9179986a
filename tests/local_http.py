"""Plumbing shared by the tests' small purpose-built HTTP servers (``tests/server.py`` is the
general one): serve a handler class on 127.0.0.1 in a daemon thread, stop it, answer JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["LocalServer", "reply_json"]


def reply_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    doc: object,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Answer ``doc`` as JSON with a Content-Length (and any extra ``headers`` first)."""
    body = json.dumps(doc).encode()
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class LocalServer:
    """``handler`` served on 127.0.0.1 (``port`` 0: a free one) by ``server_class``, one daemon
    thread per connection. Nothing runs until ``start()`` (or ``with``); ``close()`` stops it."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        port: int = 0,
        *,
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        poll_interval: float = 0.5,
    ) -> None:
        self.httpd = server_class(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )

    def start(self) -> Self:
        self.thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
