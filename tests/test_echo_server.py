"""The Postman Echo stand-in answers as Postman Echo does (the parity bench relies on it)."""

from __future__ import annotations

import httpx
from echo_server import EchoServer, RawEchoServer, RedirectServer


def test_echo_routes(echo: EchoServer) -> None:
    with httpx.Client(base_url=echo.url) as client:
        got = client.get("/get", params=[("a", "1"), ("a", "2"), ("b", "x")]).json()
        assert got["args"] == {"a": ["1", "2"], "b": "x"}
        assert got["url"].endswith("/get?a=1&a=2&b=x")
        posted = client.post("/post", data={"k": "v"}).json()
        assert posted["form"] == {"k": "v"} and posted["json"] == {"k": "v"}
        assert client.put("/put", json={"n": 1}).json()["json"] == {"n": 1}
        assert client.get("/status/418").status_code == 418
        assert client.get("/basic-auth", auth=("postman", "password")).json() == {
            "authenticated": True
        }
        assert client.get("/basic-auth", auth=("postman", "wrong")).status_code == 401
        digest = client.get("/digest-auth", auth=httpx.DigestAuth("postman", "password"))
        assert digest.status_code == 200
        cookies = client.get("/cookies/set", params={"foo": "bar"}, follow_redirects=True)
        assert cookies.json() == {"cookies": {"foo": "bar"}}
        headers = client.get("/response-headers", params={"X-Ref": "r-1"})
        assert headers.headers["x-ref"] == "r-1" and headers.json() == {"X-Ref": "r-1"}
        assert client.get("/gzip").json()["gzipped"] is True


def test_fixed_answers_replace_the_echo(echo: EchoServer) -> None:
    echo.answer("/get", 503, {"down": True}, X_Why="test")
    response = httpx.get(echo.url + "/get")
    assert response.status_code == 503 and response.json() == {"down": True}
    assert response.headers["x-why"] == "test"
    echo.reset()
    assert httpx.get(echo.url + "/get").status_code == 200


def test_url_origin_and_the_log() -> None:
    with EchoServer(url_origin="https://postman-echo.com") as server:
        assert (
            httpx.get(server.url + "/get?x=1").json()["url"] == "https://postman-echo.com/get?x=1"
        )
        assert [(r.method, r.path, r.query) for r in server.log] == [("GET", "/get", [("x", "1")])]


def test_raw_echo_and_redirect_servers() -> None:
    with RawEchoServer() as raw, RedirectServer() as redirect:
        text = httpx.request("POSTMAN", raw.url + "/", content=b"hi").text
        assert text.startswith("POSTMAN / HTTP/1.1\r\n") and text.endswith("\r\n\r\nhi")
        followed = httpx.get(redirect.url + "/3", follow_redirects=True)
        assert len(followed.history) == 3 and followed.json()["url"] == "/"
        kept = httpx.post(redirect.url + "/status/307", content=b"body", follow_redirects=True)
        assert kept.json()["method"] == "POST" and kept.json()["data"] == "body"
