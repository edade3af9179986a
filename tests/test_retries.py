"""Retries (issue 9, point 4): idempotent requests are sent again after a connection error, a
429 or a 503, honouring Retry-After, with capped exponential backoff; a POST, a PATCH and a
token request never are unless marked; the report counts the attempts.

The server is real (127.0.0.1, a free port) and answers from a script: ``/fail/N/STATUS``
answers STATUS to its first N requests, then 200; ``?ra=`` adds a Retry-After header
(``date:S`` for an HTTP-date S seconds ahead). It logs when each request arrived.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import RunCli
from local_http import LocalServer, reply_json

from runner.core.model import IDEMPOTENT_METHODS, Retries
from runner.engine.retries import retry_after_seconds, verdict

WriteFile = Callable[[str, str], Path]


class FlakyServer(LocalServer):
    """Fails the first N requests of each path, then answers 200."""

    def __init__(self, port: int = 0) -> None:
        self.log: list[tuple[str, str, float]] = []  # method, path, arrival (monotonic)
        self.counts: dict[str, int] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                url = urlsplit(self.path)
                owner.log.append((self.command, url.path, time.monotonic()))
                seen = owner.counts[url.path] = owner.counts.get(url.path, 0) + 1
                parts = url.path.split("/")
                status, extra = 200, []
                if len(parts) == 4 and parts[1] == "fail" and seen <= int(parts[2]):
                    status = int(parts[3])
                    ra = parse_qs(url.query).get("ra", [None])[0]
                    if ra is not None and ra.startswith("date:"):
                        ra = formatdate(time.time() + float(ra[5:]), usegmt=True)
                    if ra is not None:
                        extra.append(("Retry-After", ra))
                if parts[1] == "token" and seen <= 1:
                    status = 503
                    extra.append(("Retry-After", "0"))
                reply_json(
                    self,
                    status,
                    {"access_token": "tok-123", "token_type": "Bearer", "seen": seen},
                    extra,
                )

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        super().__init__(Handler, port)

    def hits(self, path: str) -> list[float]:
        return [t for _, p, t in self.log if p == path]


@pytest.fixture
def flaky() -> Iterator[FlakyServer]:
    with FlakyServer() as server:
        yield server


class Run(NamedTuple):
    """One run's exit code, JSON report steps, JUnit XML and console output."""

    code: int
    steps: list[dict[str, Any]]
    junit: str
    output: str  # stdout and stderr


RunRetries = Callable[..., Run]


@pytest.fixture
def run_retries(run_cli: RunCli, write_file: WriteFile, tmp_path: Path) -> RunRetries:
    """``run_retries(text, *flags)``: run collection ``text`` with a JSON and a JUnit report."""

    def run(text: str, *flags: str) -> Run:
        collection = write_file("retries.yaml", text)
        report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
        result = run_cli(
            "run", collection, "--reporter", f"json:{report}", "--reporter", f"junit:{junit}",
            "--no-color", *flags,
        )  # fmt: skip
        assert report.exists(), result.output
        steps = json.loads(report.read_text())["steps"]
        return Run(result.code, steps, junit.read_text(), result.output)

    return run


def test_a_503_with_retry_after_is_sent_again_after_that_long(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, junit, output = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Flaky
            url: {flaky.url}/fail/1/503?ra=1
            retries: 2
            expect:
              status: 200
        """,
    )  # fmt: skip
    assert code == 0, output
    first, second = flaky.hits("/fail/1/503")
    assert second - first >= 0.95  # Retry-After: 1 was honoured (not the 0.25 s backoff)
    step = steps[0]
    assert step["status"] == "passed" and step["status_code"] == 200
    assert step["attempts"] == 2
    assert "sent 2 times after 503" in step["note"]
    assert "attempts: 2" in junit
    assert "503: sending again in 1.0 s (attempt 2)" in output


def test_retry_after_as_an_http_date_is_honoured(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        retries: 1
        steps:
          - request: Flaky
            url: {flaky.url}/fail/1/503?ra=date:2
        """,
    )  # fmt: skip
    assert code == 0
    first, second = flaky.hits("/fail/1/503")
    assert second - first >= 0.9  # an HTTP-date 2 s ahead (1 s resolution): at least 1 s
    assert steps[0]["attempts"] == 2


def test_429_is_retried_with_backoff_by_the_run_flag(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Rate limited
            url: {flaky.url}/fail/2/429
            expect:
              status: 200
        """,
        "--retries", "3",
    )  # fmt: skip
    assert code == 0
    hits = flaky.hits("/fail/2/429")
    assert len(hits) == 3
    # default backoff 0.5 s with equal jitter: [0.25, 0.5] then [0.5, 1.0]
    assert hits[1] - hits[0] >= 0.24 and hits[2] - hits[1] >= 0.49
    assert steps[0]["attempts"] == 3
    assert steps[0]["note"] == "sent 3 times after 429, 429"


def test_without_retries_nothing_is_sent_again(flaky: FlakyServer, run_retries: RunRetries) -> None:
    """Retries are off by default: a 503 is the step's answer, as the server gave it."""
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Flaky
            url: {flaky.url}/fail/1/503?ra=0
            expect:
              status: 200
        """,
    )  # fmt: skip
    assert code == 1
    assert len(flaky.hits("/fail/1/503")) == 1
    assert steps[0]["status_code"] == 503 and steps[0]["attempts"] == 1
    assert steps[0]["note"] is None


def test_a_refused_connection_is_retried_until_the_server_is_up(
    run_retries: RunRetries, free_port: int
) -> None:
    servers: list[FlakyServer] = []

    def start() -> None:
        servers.append(FlakyServer(free_port).start())

    timer = threading.Timer(0.6, start)
    timer.start()
    try:
        code, steps, _, output = run_retries(
            f"""\
            name: Retries
            steps:
              - request: Not up yet
                url: http://127.0.0.1:{free_port}/ok
                retries: {{max: 8, backoff: 0.2, max_delay: 0.4}}
                expect:
                  status: 200
            """,
        )  # fmt: skip
    finally:
        timer.join()
        for server in servers:
            server.close()
    assert code == 0, output
    step = steps[0]
    assert step["status"] == "passed" and step["attempts"] >= 2
    assert "connection refused" in step["note"]


def test_a_refused_connection_gives_up_after_max_and_reports_every_attempt(
    run_retries: RunRetries, free_port: int
) -> None:
    code, steps, junit, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Never up
            url: http://127.0.0.1:{free_port}/ok
            retries: {{max: 2, backoff: 0.05}}
        """,
    )  # fmt: skip
    assert code == 1
    step = steps[0]
    assert step["status"] == "error" and step["error"]["reason"] == "refused"
    assert step["attempts"] == 3
    assert step["note"] == "sent 3 times after connection refused, connection refused"
    assert "attempts: 3" in junit


def test_a_post_is_never_sent_again_unless_marked(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        retries: 3
        steps:
          - request: Create
            method: POST
            url: {flaky.url}/fail/1/503?ra=0
            body: {{json: {{a: 1}}}}
          - request: Patch
            method: PATCH
            url: {flaky.url}/fail/1/429?ra=0
        """,
        "--retries", "3",
    )  # fmt: skip
    assert code == 0  # no expectations: the 503 is an answer
    assert len(flaky.hits("/fail/1/503")) == 1
    assert len(flaky.hits("/fail/1/429")) == 1
    assert [s["attempts"] for s in steps] == [1, 1]


def test_a_post_marked_idempotent_is_sent_again(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Upsert
            method: POST
            url: {flaky.url}/fail/1/503?ra=0
            idempotent: true
            retries: 2
            body: {{json: {{id: 7}}}}
            expect:
              status: 200
        """,
    )  # fmt: skip
    assert code == 0
    assert [m for m, p, _ in flaky.log if p == "/fail/1/503"] == ["POST", "POST"]
    assert steps[0]["attempts"] == 2


def test_a_get_marked_not_idempotent_is_not_sent_again(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Consume a one-time link
            url: {flaky.url}/fail/1/503?ra=0
            idempotent: false
        """,
        "--retries", "3",
    )  # fmt: skip
    assert code == 0
    assert len(flaky.hits("/fail/1/503")) == 1 and steps[0]["attempts"] == 1


def test_a_token_request_is_never_sent_again(flaky: FlakyServer, run_retries: RunRetries) -> None:
    """The token endpoint answers 503 (Retry-After: 0) once: with --retries 3 the token POST
    is still sent once, the step errors and its API request is never sent."""
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        auth:
          type: oauth2
          grant: client_credentials
          token_url: {flaky.url}/token
          client_id: app
          client_secret: s3cr3t-value
        steps:
          - request: Me
            url: {flaky.url}/me
        """,
        "--retries", "3", "--no-token-cache",
    )  # fmt: skip
    assert code == 1
    assert len(flaky.hits("/token")) == 1
    assert flaky.hits("/me") == []
    assert steps[0]["status"] == "error" and steps[0]["attempts"] == 1


def test_a_retry_after_beyond_the_cap_ends_the_retries(
    flaky: FlakyServer, run_retries: RunRetries
) -> None:
    started = time.monotonic()
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Come back in an hour
            url: {flaky.url}/fail/5/503?ra=3600
            retries: {{max: 3, max_delay: 1}}
            expect:
              status: 200
        """,
    )  # fmt: skip
    assert time.monotonic() - started < 30  # not an hour
    assert code == 1
    assert len(flaky.hits("/fail/5/503")) == 1
    assert steps[0]["attempts"] == 1
    assert "Retry-After 3600 s is longer than max_delay 1 s" in steps[0]["note"]


def test_the_backoff_is_capped_by_max_delay(flaky: FlakyServer, run_retries: RunRetries) -> None:
    """backoff 100 s would wait 50 to 100 s, then 100 to 200 s; max_delay 0.3 caps each wait."""
    started = time.monotonic()
    code, steps, _, _ = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Always down
            url: {flaky.url}/fail/9/503
            retries: {{max: 2, backoff: 100, max_delay: 0.3}}
        """,
    )  # fmt: skip
    hits = flaky.hits("/fail/9/503")
    assert code == 0  # no expectations: the last 503 is the step's answer
    assert len(hits) == 3
    assert all(0.14 <= b - a < 10 for a, b in itertools.pairwise(hits))
    assert time.monotonic() - started < 30
    assert steps[0]["attempts"] == 3 and steps[0]["status_code"] == 503


def test_polling_and_retries_count_every_send(flaky: FlakyServer, run_retries: RunRetries) -> None:
    """``retry`` polls until the expectations pass; ``retries`` resends a 503 within one poll:
    attempts counts every request sent."""
    code, steps, _, output = run_retries(
        f"""\
        name: Retries
        steps:
          - request: Poll
            url: {flaky.url}/fail/1/503?ra=0
            retries: 1
            retry: {{max: 3, interval: 0}}
            expect:
              json:
                $.seen: 3
        """,
    )  # fmt: skip
    assert code == 0, output
    assert len(flaky.hits("/fail/1/503")) == 3
    assert steps[0]["attempts"] == 3
    assert steps[0]["note"].startswith("2 attempts")


def test_retries_on_a_post_without_idempotent_is_a_load_error_with_its_line(
    run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = write_file(
        "bad.yaml",
        """\
        name: Bad
        steps:
          - request: Create
            method: POST
            url: http://127.0.0.1:9/x
            retries: 3
        """,
    )
    result = run_cli("run", collection)
    assert result.code == 2
    assert "bad.yaml:6" in result.output
    assert "not sent again unless it is marked idempotent" in result.output
    assert "idempotent: true" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("retries: -1", "retries must be 0 (off) or more"),
        ("retries: {max: 2, wait: 1}", "wait"),
        ("retries: {max: 2, backoff: -1}", "retries.backoff must be 0 or more seconds"),
        ("retries: lots", "retries must be a whole number"),
    ],
)
def test_bad_retries_keys_are_load_errors(
    run_cli: RunCli, write_file: WriteFile, text: str, message: str
) -> None:
    collection = write_file(
        "bad.yaml", f"name: Bad\nsteps:\n  - request: A\n    url: http://127.0.0.1:9/\n    {text}\n"
    )
    result = run_cli("run", collection)
    assert result.code == 2
    assert message in result.output and "bad.yaml:5" in result.output


def test_a_bad_retries_flag_is_a_usage_error(run_cli: RunCli, write_file: WriteFile) -> None:
    collection = write_file("c.yaml", "steps:\n  - request: A\n    url: http://127.0.0.1:9/\n")
    result = run_cli("run", collection, "--retries", "-2")
    assert result.code == 2
    assert result.err.endswith("runner run: error: argument --retries: expected 0 or more\n")
    assert result.out == ""


# -- the policy, without a server ---------------------------------------------------------------


def test_verdict_retries_only_transient_failures() -> None:
    policy = Retries(3)
    assert verdict(policy, 1, status=503).wait is not None
    assert verdict(policy, 1, status=429).wait is not None
    for status in (200, 400, 404, 500, 502, 504):
        assert verdict(policy, 1, status=status).wait is None
    for reason in ("refused", "connect", "network"):
        assert verdict(policy, 1, error_reason=reason).wait is not None
    for reason in ("timeout", "tls", "dns", "protocol", "too_large", "redirects"):
        assert verdict(policy, 1, error_reason=reason).wait is None
    assert verdict(policy, 4, status=503).wait is None  # 1 + max attempts made
    assert set(IDEMPOTENT_METHODS) == {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = Retries(10, backoff=1.0, max_delay=5.0)
    lows = [verdict(policy, n, status=503, rand=lambda: 0.0).wait for n in range(1, 6)]
    highs = [verdict(policy, n, status=503, rand=lambda: 1.0).wait for n in range(1, 6)]
    assert lows == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert highs == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_seconds_and_dates() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds("120", lambda: now) == 120.0
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), lambda: now) == 30.0
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), lambda: now) == 0.0
    assert retry_after_seconds("soon", lambda: now) is None
    assert retry_after_seconds("-5", lambda: now) is None
    policy = Retries(3, max_delay=60)
    assert verdict(policy, 1, status=503, retry_after="20").wait == 20.0
    stop = verdict(policy, 1, status=503, retry_after="61")
    assert stop.wait is None and stop.note is not None and "max_delay 60" in stop.note
    assert verdict(policy, 1, status=503, retry_after="junk", rand=lambda: 1.0).wait == 0.5
