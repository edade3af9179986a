"""Quick checks of the test server itself, over real HTTP with httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from server import TestServer


def test_echo_round_trips_a_json_body_and_query(server: TestServer) -> None:
    payload = {"a": 1, "b": [1, 2], "c": {"d": None}}
    r = httpx.post(f"{server.url}/echo/sub?x=1&x=2&y=3", json=payload, headers={"X-Hi": "yo"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["method"] == "POST"
    assert doc["path"] == "/echo/sub"
    assert doc["args"] == {"x": ["1", "2"], "y": "3"}
    assert doc["json"] == payload
    assert doc["form"] is None
    assert doc["headers"]["x-hi"] == "yo"
    assert doc["headers"]["content-type"] == "application/json"


def test_echo_parses_a_form_body(server: TestServer) -> None:
    r = httpx.put(f"{server.url}/echo", data={"name": "Ada Lovelace", "n": "1"})
    doc = r.json()
    assert doc["method"] == "PUT"
    assert doc["form"] == {"name": "Ada Lovelace", "n": "1"}
    assert doc["json"] is None
    assert doc["body"] == "name=Ada+Lovelace&n=1"


def test_chunked_request_body_is_read(fresh_server: TestServer) -> None:
    def parts() -> Iterator[bytes]:  # a generator makes httpx send Transfer-Encoding: chunked
        yield b'{"chunked": '
        yield b"true}"

    r = httpx.post(f"{fresh_server.url}/echo", content=parts())
    assert r.json()["json"] == {"chunked": True}
    (rec,) = fresh_server.log
    assert rec.headers["transfer-encoding"] == "chunked"
    assert rec.body == b'{"chunked": true}'


def test_status_codes(server: TestServer) -> None:
    r = httpx.get(f"{server.url}/status/418")
    assert r.status_code == 418
    assert r.json() == {"status": 418}
    r = httpx.delete(f"{server.url}/status/204")
    assert r.status_code == 204
    assert r.content == b""
    assert httpx.get(f"{server.url}/status/abc").status_code == 400


def test_fixed_documents(server: TestServer) -> None:
    doc = httpx.get(f"{server.url}/json").json()
    assert doc["owner"] == {"name": "Ada", "token": "tok-123"}
    assert [item["id"] for item in doc["items"]] == [1, 2]
    text = httpx.get(f"{server.url}/text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == "hello world"
    assert 'name="csrf" value="abc123"' in httpx.get(f"{server.url}/html").text
    bad = httpx.get(f"{server.url}/badjson")
    assert bad.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        bad.json()
    missing = httpx.get(f"{server.url}/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found"}


def test_slow_delays_at_least_the_requested_time(server: TestServer) -> None:
    start = time.monotonic()
    r = httpx.get(f"{server.url}/slow", params={"seconds": "0.3"})
    assert time.monotonic() - start >= 0.3
    assert r.json() == {"slept": 0.3}


def test_hang_times_out_on_the_client_and_is_still_logged(fresh_server: TestServer) -> None:
    start = time.monotonic()
    with (
        httpx.Client(timeout=httpx.Timeout(5.0, read=0.5)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(f"{fresh_server.url}/hang?seconds=5", content=b"ping")
    assert time.monotonic() - start < 3
    (rec,) = fresh_server.log
    assert (rec.method, rec.path, rec.query, rec.body) == (
        "POST",
        "/hang",
        {"seconds": ["5"]},
        b"ping",
    )


def test_stop_is_fast_while_a_request_hangs() -> None:
    srv = TestServer().start()
    url = srv.url
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(f"{url}/hang?seconds=30", timeout=10)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    assert [r.path for r in srv.wait_for(1, timeout=5)] == ["/hang"]
    start = time.monotonic()
    srv.stop()
    caller.join(timeout=5)
    assert time.monotonic() - start < 2
    assert not caller.is_alive()
    assert len(errors) == 1  # the server closed the connection without answering
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_drip_trips_a_read_timeout_but_completes_slowly(server: TestServer) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.url}/drip?seconds=1&count=3", timeout=httpx.Timeout(5.0, read=0.3))
    r = httpx.get(f"{server.url}/drip", params={"seconds": "0.02", "count": "5"})
    assert r.headers["content-length"] == "5"
    assert r.content == b"*****"


def test_response_headers_and_cookies(server: TestServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        r = client.get("/headers")
        assert r.headers["x-request-id"] == "req-42"
        assert r.headers["x-rate-limit"] == "100"
        assert client.cookies["session"] == "s3ss10n"
        r = client.get("/cookies/set", params={"flavor": "oat", "size": "big"})
        assert r.json() == {"flavor": "oat", "size": "big"}
        cookies = client.get("/cookies").json()["cookies"]
    assert cookies == {"session": "s3ss10n", "flavor": "oat", "size": "big"}


def test_redirects(fresh_server: TestServer) -> None:
    r = httpx.get(f"{fresh_server.url}/redirect", params={"to": "/json", "status": "307"})
    assert r.status_code == 307
    assert r.headers["location"] == "/json"
    r = httpx.get(f"{fresh_server.url}/redirect/2", follow_redirects=True)
    assert r.json()["path"] == "/echo"
    assert fresh_server.paths() == ["/redirect", "/redirect/2", "/redirect/1", "/echo"]


def test_auth(server: TestServer) -> None:
    ok = httpx.get(f"{server.url}/basic-auth/ada/s3cret", auth=("ada", "s3cret"))
    assert ok.json() == {"authenticated": True, "user": "ada"}
    bad = httpx.get(f"{server.url}/basic-auth/ada/s3cret", auth=("ada", "wrong"))
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == 'Basic realm="test"'
    token = httpx.get(f"{server.url}/bearer", headers={"Authorization": "Bearer t-1"})
    assert token.json() == {"authenticated": True, "token": "t-1"}
    assert httpx.get(f"{server.url}/bearer").status_code == 401


def test_big(server: TestServer) -> None:
    r = httpx.get(f"{server.url}/big", params={"bytes": str(200_000)})
    assert len(r.content) == 200_000
    assert set(r.content) == {ord("a")}


def test_malformed_requests_get_400_and_print_nothing(
    fresh_server: TestServer, capfd: pytest.CaptureFixture[str]
) -> None:
    def raw(data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", fresh_server.port), timeout=5) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    assert raw(b"POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").startswith(
        b"HTTP/1.1 400"
    )
    assert raw(b"GET / HTTP/x.y\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort").startswith(
        b"HTTP/1.1 400"
    )
    assert fresh_server.paths() == ["/echo", "/echo", "/echo"]
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
