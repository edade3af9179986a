"""``runner load`` on Locust's fast client (runner/loadtest/fast.py): the semantics of a run.

A real server on 127.0.0.1 sets a cookie, echoes what it got, and answers one path too slowly;
the load's users must send the cookie back, send the query parameters and headers the step
says, fail a step on its deadline with a timeout, and fail an expectation with its message."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import RunCli

# Never import locust here: importing it monkey-patches this process with gevent.
if importlib.util.find_spec("locust") is None:
    pytest.skip("runner load needs the 'load' extra (Locust)", allow_module_level=True)

COLLECTION = """
name: Fast
variables:
  base: {base}
steps:
  - request: Set cookie
    url: <<base>>/set
    expect:
      status: 200
  - request: Echo
    method: POST
    url: <<base>>/echo?a=1
    params:
      b: two words
    headers:
      X-Test: yes
    body:
      json: {{n: 1}}
    expect:
      status: 200
      json:
        $.cookie: session=abc
        $.path: /echo?a=1&b=two%20words
        $.x_test: "yes"
        $.body: '{{"n": 1}}'
    capture:
      path: $.path
  - request: Wrong status
    url: <<base>>/echo
    expect:
      status: 201
  - request: Too slow
    url: <<base>>/slow
    timeout: 0.3
    expect:
      status: 200
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return None

    def answer(self, doc: dict[str, object], extra: tuple[tuple[str, str], ...] = ()) -> None:
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:  # /slow: the client's deadline came first, as it should
            self.close_connection = True

    def do_GET(self) -> None:
        self.handle_any()

    def do_POST(self) -> None:
        self.handle_any()

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/set":
            self.answer({}, (("Set-Cookie", "session=abc; Path=/"),))
        elif self.path == "/slow":
            time.sleep(1.0)
            self.answer({})
        else:
            self.answer(
                {
                    "cookie": self.headers.get("Cookie"),
                    "path": self.path,
                    "x_test": self.headers.get("X-Test"),
                    "body": body,
                }
            )


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fast_client_keeps_cookies_params_checks_and_deadlines(
    run_cli: RunCli, server: str, tmp_path: Path
) -> None:
    collection = tmp_path / "fast.yaml"
    collection.write_text(COLLECTION.format(base=server), encoding="utf-8")
    out = tmp_path / "stats.json"
    result = run_cli(
        "load", collection, "--users", 2, "--spawn-rate", 2, "--run-time", "3s",
        "--threshold", "error_rate=100%", "--json", out, "--progress", 0,
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    doc = json.loads(out.read_text(encoding="utf-8"))
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["Set cookie"]["requests"] > 0 and steps["Set cookie"]["failures"] == 0
    # the cookie came back, the query merged, the header and the body sent as written
    assert steps["Echo"]["requests"] > 0 and steps["Echo"]["failures"] == 0
    assert steps["Wrong status"]["failures"] == steps["Wrong status"]["requests"] > 0
    assert steps["Too slow"]["failures"] == steps["Too slow"]["requests"] > 0
    errors = {e["name"]: e["error"] for e in doc["errors"]}
    assert errors["Wrong status"] == "status: expected 201"
    assert errors["Too slow"] == "no complete response within 0.3 s"
    # the deadline cut the request: far less than the server's second
    assert steps["Too slow"]["max_ms"] < 900


PARALLEL = """
name: Parallel
variables:
  base: {base}
steps:
  - folder: Together
    parallel: true
    steps:
      - request: Slow one
        url: <<base>>/slow
        timeout: 0.3
      - request: Slow two
        url: <<base>>/slow
        timeout: 0.3
      - request: Quick
        url: <<base>>/echo
        timeout: 0.3
        expect:
          status: 200
"""


def test_parallel_steps_of_a_user_keep_their_own_deadlines(
    run_cli: RunCli, server: str, tmp_path: Path
) -> None:
    """A parallel folder's steps send at the same time through the user's one transport, each
    on a connection of its own and with its own deadline: a quick step is not held up by two
    slow ones (with one connection per host it waited for them, and timed out)."""
    collection = tmp_path / "parallel.yaml"
    collection.write_text(PARALLEL.format(base=server), encoding="utf-8")
    out = tmp_path / "stats.json"
    result = run_cli(
        "load", collection, "--users", 1, "--spawn-rate", 1, "--run-time", "2s",
        "--threshold", "error_rate=100%", "--json", out, "--progress", 0,
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    doc = json.loads(out.read_text(encoding="utf-8"))
    steps = {s["name"]: s for s in doc["steps"]}
    for name in ("Slow one", "Slow two"):
        assert steps[name]["failures"] == steps[name]["requests"] > 0
        assert steps[name]["max_ms"] < 900
    assert steps["Quick"]["requests"] > 0 and steps["Quick"]["failures"] == 0, doc["errors"]
    assert {e["name"]: e["error"] for e in doc["errors"]} == {
        "Slow one": "no complete response within 0.3 s",
        "Slow two": "no complete response within 0.3 s",
    }
