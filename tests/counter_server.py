"""A small server whose answers change between requests, for retry, goto and concurrency
tests (``tests/server.py`` answers every request the same way)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Counter"]


class Counter:
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
                    self.answer(200 if n >= ready else 503, {"n": n})
                elif url.path == "/wait":
                    with counter.lock:
                        counter.inflight += 1
                        counter.max_inflight = max(counter.max_inflight, counter.inflight)
                    time.sleep(0.3)
                    with counter.lock:
                        counter.inflight -= 1
                    self.answer(200, {"ok": True})
                else:
                    self.answer(200, {"path": url.path})

            def answer(self, status: int, doc: object) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
