"""A small shop API for the load tests: each log-in gets its own token, and the server logs
every request with the token it carried, so a test can see each user's order of steps and
that no user sent another's token.

``python tests/load_server.py [PORT]`` serves it in the foreground (for trying
``runner load`` by hand).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Hit", "ShopServer"]


@dataclass(frozen=True)
class Hit:
    path: str
    token: str | None  # the bearer token sent (None: none), or the one /login issued
    worker: str | None  # the X-Worker header: which load process sent it
    user: str | None  # the log-in's user name (from the JSON body), for /login


class _Quiet(ThreadingHTTPServer):
    request_queue_size = 512  # 5 by default: a burst of users connecting at once is reset

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a load stopped mid-request drops its connections: expected, not news


class ShopServer:
    """``POST /login`` -> ``{"token": "t-N"}`` (a new token each time); ``GET /items`` and
    ``POST /orders`` need ``Authorization: Bearer t-N`` (401 otherwise). ``delay`` seconds
    are added to every answer (to make a threshold fail)."""

    __test__ = False

    def __init__(self, port: int = 0) -> None:
        self.delay = 0.0
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        numbers = itertools.count(1)
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # one write per answer (headers and body apart meet delayed ACKs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, doc: Any) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if shop.delay:
                    time.sleep(shop.delay)
                worker = self.headers.get("X-Worker")
                if self.path == "/login" and self.command == "POST":
                    user = json.loads(raw or b"{}").get("user")
                    issued = f"t-{next(numbers)}"
                    with shop.lock:
                        shop.tokens.add(issued)
                        shop.hits.append(Hit("/login", issued, worker, user))
                    self._reply(200, {"token": issued})
                    return
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                with shop.lock:
                    shop.hits.append(Hit(self.path, token, worker, None))
                    known = token in shop.tokens
                if not known:
                    self._reply(401, {"error": "unknown token"})
                elif self.path == "/items":
                    self._reply(200, {"items": [{"id": 1, "name": "tea"}]})
                elif self.path == "/orders":
                    self._reply(201, {"order": 7})
                else:
                    self._reply(404, {"error": "not found"})

            do_GET = _serve
            do_POST = _serve

        self.httpd = _Quiet(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ShopServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)


if __name__ == "__main__":
    server = ShopServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"serving on {server.url}", flush=True)
    server.httpd.serve_forever()
