"""A small server whose answers change between requests, for retry, goto and concurrency
tests (``tests/server.py`` answers every request the same way)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from local_http import LocalServer, reply_json

__all__ = ["Counter"]


class Counter(LocalServer):
    """A server whose answers change: ``/count/KEY`` answers ``{"n": N}`` (1, 2, ...) with
    status 503 until N reaches ``?ready=``; ``/wait`` sleeps 0.3 s and records how many
    requests were in flight at once."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.inflight = 0
        self.max_inflight = 0
        self.paths: list[str] = []
        self.lock = threading.Lock()
        counter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                with counter.lock:
                    counter.paths.append(url.path)
                if url.path.startswith("/count/"):
                    key = url.path.removeprefix("/count/")
                    with counter.lock:
                        n = counter.counts[key] = counter.counts.get(key, 0) + 1
                    ready = int(url.query.partition("ready=")[2] or 0)
                    reply_json(self, 200 if n >= ready else 503, {"n": n})
                elif url.path == "/wait":
                    with counter.lock:
                        counter.inflight += 1
                        counter.max_inflight = max(counter.max_inflight, counter.inflight)
                    time.sleep(0.3)
                    with counter.lock:
                        counter.inflight -= 1
                    reply_json(self, 200, {"ok": True})
                else:
                    reply_json(self, 200, {"path": url.path})

        super().__init__(Handler)
        self.start()
