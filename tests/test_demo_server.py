"""The demo authorization server, exercised over real HTTP the way the runner will use it."""

from __future__ import annotations

import _thread
import base64
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from runner.demo.server import (
    AuthorizePageError,
    DemoClient,
    OAuthDemoServer,
    follow_authorize,
)

REDIRECT = "http://127.0.0.1:9/callback"  # never followed: the tests read the Location only
CLIENT = DemoClient("demo-client", "demo-secret", REDIRECT)
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def server() -> Iterator[OAuthDemoServer]:
    with OAuthDemoServer(CLIENT) as srv:
        yield srv


# -- helpers ------------------------------------------------------------------------------------


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(server: OAuthDemoServer, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": CLIENT.client_id,
        "redirect_uri": CLIENT.redirect_uri,
        "state": "state-123",
    }
    params.update(overrides)
    given = {k: v for k, v in params.items() if v is not None}
    return f"{server.base_url}/oauth/authorize?{urlencode(given)}"


def redirect_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(server: OAuthDemoServer, verifier: str | None = None, **overrides: str | None) -> str:
    if verifier is not None:
        overrides.setdefault("code_challenge", s256(verifier))
        overrides.setdefault("code_challenge_method", "S256")
    location = follow_authorize(authorize_url(server, **overrides))
    params = redirect_params(location)
    assert "code" in params, location
    return params["code"]


def token(server: OAuthDemoServer, form: dict[str, str]) -> httpx.Response:
    auth = (CLIENT.client_id, CLIENT.client_secret)
    return httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth)


def refresh(server: OAuthDemoServer, refresh_token: str) -> httpx.Response:
    return token(server, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def redeem(server: OAuthDemoServer, code: str, verifier: str | None = None) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    return token(server, form)


def me(server: OAuthDemoServer, access_token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return httpx.get(f"{server.base_url}/v2/users/me", headers=headers)


# -- the whole flow -----------------------------------------------------------------------------


def test_happy_path_authorize_token_user_refresh(server: OAuthDemoServer) -> None:
    verifier = "v" * 43
    location = follow_authorize(
        authorize_url(server, code_challenge=s256(verifier), code_challenge_method="S256")
    )
    assert location.startswith(REDIRECT + "?")
    params = redirect_params(location)
    assert params["state"] == "state-123"

    response = redeem(server, params["code"], verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "user:read"
    assert tokens["access_token"] and tokens["refresh_token"]

    user = me(server, tokens["access_token"])
    assert user.status_code == 200
    assert user.json()["email"] == "demo.user@example.com"
    assert user.json()["first_name"] == "Demo"

    refreshed = refresh(server, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"] != tokens["refresh_token"]
    assert me(server, new["access_token"]).status_code == 200

    # Rotation: both old tokens are dead now.
    again = refresh(server, tokens["refresh_token"])
    assert again.status_code == 400
    assert again.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    old_access = me(server, tokens["access_token"])
    assert old_access.status_code == 401
    assert old_access.json() == {"code": 124, "message": "Invalid access token."}


def test_consent_page_is_a_form_bound_to_a_request_id(server: OAuthDemoServer) -> None:
    page = httpx.get(authorize_url(server))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/oauth/authorize">' in page.text
    assert '<button name="decision" value="allow">Allow</button>' in page.text
    assert '<button name="decision" value="deny">Deny</button>' in page.text
    assert 'name="request_id"' in page.text
    assert "user:read" in page.text


def test_deny_redirects_with_access_denied(server: OAuthDemoServer) -> None:
    location = follow_authorize(authorize_url(server), decision="deny")
    params = redirect_params(location)
    assert params == {
        "error": "access_denied",
        "error_description": "The user denied the request",
        "state": "state-123",
    }
    assert "error=access_denied&error_description=The+user+denied+the+request" in location


def test_state_is_left_out_when_not_sent(server: OAuthDemoServer) -> None:
    location = follow_authorize(authorize_url(server, state=None))
    assert set(redirect_params(location)) == {"code"}


def test_a_consent_form_can_be_answered_once(server: OAuthDemoServer) -> None:
    page = httpx.get(authorize_url(server))
    request_id = page.text.split('name="request_id" value="', 1)[1].split('"', 1)[0]
    form = {"request_id": request_id, "decision": "allow"}
    first = httpx.post(f"{server.base_url}/oauth/authorize", data=form)
    assert first.status_code == 302
    second = httpx.post(f"{server.base_url}/oauth/authorize", data=form)
    assert second.status_code == 400
    assert "location" not in second.headers
    forged = httpx.post(f"{server.base_url}/oauth/authorize", data={**form, "request_id": "x"})
    assert forged.status_code == 400


# -- authorize errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "/",  # trailing slash
        "http://127.0.0.1:10/callback",  # port
        "https://127.0.0.1:9/callback",  # scheme
        "http://localhost:9/callback",  # host
        "http://127.0.0.1:9/Callback",  # path
        None,  # missing
    ],
)
def test_redirect_uri_mismatch_is_an_error_page_not_a_redirect(
    server: OAuthDemoServer, redirect_uri: str | None
) -> None:
    response = httpx.get(authorize_url(server, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "4709" in response.text
    with pytest.raises(AuthorizePageError, match="4709"):
        follow_authorize(authorize_url(server, redirect_uri=redirect_uri))


def test_unknown_client_is_an_error_page(server: OAuthDemoServer) -> None:
    response = httpx.get(authorize_url(server, client_id="someone-else"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "client_id" in response.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"code_challenge": RFC7636_CHALLENGE, "code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_other_authorize_errors_redirect_with_state(
    server: OAuthDemoServer, overrides: dict[str, str | None], error: str
) -> None:
    response = httpx.get(authorize_url(server, **overrides))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    params = redirect_params(location)
    assert params["error"] == error
    assert params["error_description"]
    assert params["state"] == "state-123"
    assert "code" not in params


def test_redirect_uri_keeps_its_own_query() -> None:
    client = DemoClient("c", "s", "http://127.0.0.1:9/cb?tenant=a&x=<b>")
    with OAuthDemoServer(client) as srv:
        url = f"{srv.base_url}/oauth/authorize?" + urlencode(
            {"response_type": "code", "client_id": "c", "redirect_uri": client.redirect_uri}
        )
        page = httpx.get(url)
        assert "tenant=a&amp;x=&lt;b&gt;" in page.text  # echoed, escaped
        location = follow_authorize(url)
    assert location.startswith("http://127.0.0.1:9/cb?tenant=a&x=<b>&code=")


# -- token endpoint -----------------------------------------------------------------------------


def test_rfc7636_appendix_b_vector(server: OAuthDemoServer) -> None:
    code = get_code(server, code_challenge=RFC7636_CHALLENGE, code_challenge_method="S256")
    assert s256(RFC7636_VERIFIER) == RFC7636_CHALLENGE
    response = redeem(server, code, RFC7636_VERIFIER)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


def test_plain_is_the_default_challenge_method(server: OAuthDemoServer) -> None:
    code = get_code(server, code_challenge=RFC7636_VERIFIER)  # no method: plain
    assert redeem(server, code, RFC7636_VERIFIER).status_code == 200
    code = get_code(server, code_challenge=RFC7636_VERIFIER)
    response = redeem(server, code, s256(RFC7636_VERIFIER) + "a" * 10)
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "verifier",
    [
        "w" * 43,  # well-formed, wrong
        None,  # missing
        RFC7636_VERIFIER[:42],  # too short, even though a prefix of the right one
        RFC7636_VERIFIER + "!",  # outside the unreserved set
    ],
)
def test_wrong_code_verifier_is_refused(server: OAuthDemoServer, verifier: str | None) -> None:
    code = get_code(server, RFC7636_VERIFIER)
    response = redeem(server, code, verifier)
    assert response.status_code == 400
    assert response.json() == {"reason": "Invalid code_verifier", "error": "invalid_grant"}


def test_verifier_without_challenge_is_refused(server: OAuthDemoServer) -> None:
    code = get_code(server)
    response = redeem(server, code, RFC7636_VERIFIER)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_reuse_is_refused_and_revokes_its_tokens(server: OAuthDemoServer) -> None:
    code = get_code(server, RFC7636_VERIFIER)
    first = redeem(server, code, RFC7636_VERIFIER)
    assert first.status_code == 200
    tokens = first.json()
    assert me(server, tokens["access_token"]).status_code == 200

    second = redeem(server, code, RFC7636_VERIFIER)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert me(server, tokens["access_token"]).status_code == 401
    refreshed = refresh(server, tokens["refresh_token"])
    assert refreshed.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}


def test_reuse_after_refresh_revokes_the_rotated_tokens(server: OAuthDemoServer) -> None:
    code = get_code(server)
    tokens = redeem(server, code).json()
    new = refresh(server, tokens["refresh_token"]).json()
    assert me(server, new["access_token"]).status_code == 200
    assert redeem(server, code).status_code == 400
    assert me(server, new["access_token"]).status_code == 401


def test_expired_code_is_refused() -> None:
    with OAuthDemoServer(CLIENT, code_ttl=0.05) as srv:
        code = get_code(srv, RFC7636_VERIFIER)
        time.sleep(0.1)
        response = redeem(srv, code, RFC7636_VERIFIER)
    assert response.status_code == 400
    assert response.json() == {"reason": "Authorization code expired", "error": "invalid_grant"}


def test_expired_access_token_is_refused() -> None:
    with OAuthDemoServer(CLIENT, token_ttl=0) as srv:
        tokens = redeem(srv, get_code(srv)).json()
        assert tokens["expires_in"] == 0
        response = me(srv, tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["code"] == 124


def test_unknown_code_is_refused(server: OAuthDemoServer) -> None:
    response = redeem(server, "not-a-code")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("redirect_uri", [REDIRECT + "/", None])
def test_token_redirect_uri_must_be_identical(
    server: OAuthDemoServer, redirect_uri: str | None
) -> None:
    code = get_code(server)
    form = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        form["redirect_uri"] = redirect_uri
    response = token(server, form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert "redirect_uri" in body["reason"] and "4709" in body["reason"]


@pytest.mark.parametrize(
    "auth",
    [
        (CLIENT.client_id, "wrong-secret"),
        ("wrong-client", CLIENT.client_secret),
        None,
    ],
)
def test_bad_client_credentials_are_401_invalid_client(
    server: OAuthDemoServer, auth: tuple[str, str] | None
) -> None:
    code = get_code(server)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth)
    assert response.status_code == 401
    assert response.json() == {
        "reason": "Invalid client_id or client_secret",
        "error": "invalid_client",
    }
    assert response.headers["www-authenticate"] == 'Basic realm="demo"'


def test_client_secret_belongs_in_the_basic_header_only(server: OAuthDemoServer) -> None:
    tokens = redeem(server, get_code(server)).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": CLIENT.client_id,
        "client_secret": CLIENT.client_secret,
    }
    body_only = httpx.post(f"{server.base_url}/oauth/token", data=form)
    assert body_only.status_code == 401
    assert body_only.json()["error"] == "invalid_client"
    both = token(server, form)
    assert both.status_code == 400
    assert both.json()["error"] == "invalid_request"


def test_json_body_is_refused(server: OAuthDemoServer) -> None:
    code = get_code(server)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = httpx.post(
        f"{server.base_url}/oauth/token",
        json=body,
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert response.status_code == 400
    assert response.json() == {
        "reason": "Content-Type must be application/x-www-form-urlencoded",
        "error": "invalid_request",
    }


def test_query_string_parameters_are_refused(server: OAuthDemoServer) -> None:
    code = get_code(server)
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = httpx.post(
        f"{server.base_url}/oauth/token",
        params=params,
        data={},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert response.status_code == 400
    assert response.json() == {
        "reason": "parameters must be sent in a form body",
        "error": "invalid_request",
    }


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
    ],
)
def test_grant_type_errors(server: OAuthDemoServer, form: dict[str, str], error: str) -> None:
    response = token(server, form)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["reason"]


def test_repeated_parameter_is_refused(server: OAuthDemoServer) -> None:
    response = httpx.post(
        f"{server.base_url}/oauth/token",
        content=b"grant_type=refresh_token&refresh_token=a&refresh_token=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# -- the API ------------------------------------------------------------------------------------


def test_access_token_in_query_string_gives_code_124(server: OAuthDemoServer) -> None:
    tokens = redeem(server, get_code(server)).json()
    response = httpx.get(
        f"{server.base_url}/v2/users/me", params={"access_token": tokens["access_token"]}
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": 124,
        "message": "Invalid access token, this access token is not supported as query "
        "parameter string.",
    }


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic ZGVtbzpkZW1v"])
def test_missing_or_invalid_bearer_is_401(
    server: OAuthDemoServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{server.base_url}/v2/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}


# -- plumbing -----------------------------------------------------------------------------------


def test_request_log_records_each_call(server: OAuthDemoServer) -> None:
    code = get_code(server)
    tokens = redeem(server, code).json()
    me(server, tokens["access_token"])
    httpx.get(f"{server.base_url}/nowhere?x=1")

    log = server.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/oauth/authorize", 200),
        ("POST", "/oauth/authorize", 302),
        ("POST", "/oauth/token", 200),
        ("GET", "/v2/users/me", 200),
        ("GET", "/nowhere", 404),
    ]
    assert log[0].query["state"] == "state-123"
    assert log[1].form["decision"] == "allow"
    assert log[2].form == {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    assert log[2].headers["authorization"].startswith("Basic ")
    assert log[2].headers["content-type"] == "application/x-www-form-urlencoded"
    assert log[3].headers["authorization"] == f"Bearer {tokens['access_token']}"
    assert log[4].query == {"x": "1"}
    assert [r.path for r in server.requests_to("/oauth/token")] == ["/oauth/token"]
    log.clear()
    assert len(server.requests) == 5  # a copy was returned


def test_index_and_unknown_paths(server: OAuthDemoServer) -> None:
    index = httpx.get(server.base_url + "/")
    assert index.status_code == 200
    assert "token" in index.json()["endpoints"]
    assert CLIENT.client_secret not in index.text
    missing = httpx.get(server.base_url + "/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    wrong_method = httpx.get(server.base_url + "/oauth/token")
    assert wrong_method.status_code == 405


def _raw(server: OAuthDemoServer, data: bytes) -> bytes:
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_requests_get_400_and_no_output(
    server: OAuthDemoServer, capfd: pytest.CaptureFixture[str]
) -> None:
    bad_length = _raw(
        server, b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    )
    assert bad_length.startswith(b"HTTP/1.1 400")
    bad_line = _raw(server, b"NONSENSE\r\n\r\n")
    assert b" 400 " in bad_line.split(b"\r\n", 1)[0]
    bad_utf8 = _raw(
        server,
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=\xff",
    )
    assert bad_utf8.startswith(b"HTTP/1.1 400")
    chunked = httpx.post(
        f"{server.base_url}/oauth/token",
        content=iter([b"grant_type=refresh_token"]),  # an iterator is sent chunked
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert chunked.status_code == 400
    assert "Content-Length" in chunked.json()["reason"]
    assert [r.status for r in server.requests] == [400, 400, 400]
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_follow_authorize_reports_a_missing_button(server: OAuthDemoServer) -> None:
    with pytest.raises(AuthorizePageError, match="maybe"):
        follow_authorize(authorize_url(server), decision="maybe")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        OAuthDemoServer(CLIENT, host="0.0.0.0")
    with pytest.raises(ValueError, match="redirect_uri"):
        DemoClient("c", "s", "http://127.0.0.1/cb#frag")
    with pytest.raises(ValueError, match="client_id"):
        DemoClient("a:b", "s", REDIRECT)
    assert "demo-secret" not in repr(CLIENT)


def test_stop_closes_the_port_and_base_url_needs_a_running_server() -> None:
    srv = OAuthDemoServer(CLIENT)
    with pytest.raises(RuntimeError):
        _ = srv.base_url
    srv.start()
    url = srv.base_url
    assert httpx.get(url + "/").status_code == 200
    srv.stop()
    srv.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/")


def test_serve_forever_returns_cleanly_on_ctrl_c() -> None:
    srv = OAuthDemoServer(CLIENT)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pytest.fail("serve_forever let KeyboardInterrupt escape")
    finally:
        timer.cancel()
    with pytest.raises(RuntimeError):
        _ = srv.base_url  # stopped
