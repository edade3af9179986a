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

from local_http import LocalServer, reply_json

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


class ShopServer(LocalServer):
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
                    reply_json(self, 200, {"token": issued})
                    return
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                with shop.lock:
                    shop.hits.append(Hit(self.path, token, worker, None))
                    known = token in shop.tokens
                if not known:
                    reply_json(self, 401, {"error": "unknown token"})
                elif self.path == "/items":
                    reply_json(self, 200, {"items": [{"id": 1, "name": "tea"}]})
                elif self.path == "/orders":
                    reply_json(self, 201, {"order": 7})
                else:
                    reply_json(self, 404, {"error": "not found"})

            do_GET = _serve
            do_POST = _serve

        super().__init__(Handler, port, server_class=_Quiet, poll_interval=0.05)

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)


if __name__ == "__main__":
    server = ShopServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"serving on {server.url}", flush=True)
    server.httpd.serve_forever()
