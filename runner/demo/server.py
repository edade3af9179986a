"""A local OAuth 2.0 authorization server that answers the way Zoom documents its endpoints.

Zoom's real flow needs an account, a registered app and a person at a browser. This server lets
``runner demo`` and the test suite walk the whole authorization-code flow offline: consent page,
code, PKCE, token, refresh-token rotation and one API call. It is strict on purpose: what Zoom,
RFC 6749 or RFC 7636 refuse, it refuses, with Zoom's error shapes, so a runner that passes here
does not depend on leniency.

The server is standard library only (``http.server`` in a daemon thread) and binds to loopback.
``follow_authorize`` uses httpx to play the person's browser. Nothing is ever printed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import ipaddress
import json
import math
import re
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

__all__ = [
    "AuthorizePageError",
    "DemoClient",
    "OAuthDemoServer",
    "RecordedRequest",
    "follow_authorize",
]

_SCOPE = "user:read"
_APP_NAME = "Runner demo app"
_CONSENT_TTL = 600.0  # a consent page left open longer than this must be reloaded
_MAX_LINE = 65536
_MAX_BODY = 1 << 20
_MAX_FIELDS = 100
_FORM_TYPE = "application/x-www-form-urlencoded"
_PKCE_RE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1 (verifier) and §4.2 (challenge)
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_HTML_HEADERS = (
    *_NO_STORE,
    ("Content-Security-Policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),  # the authorize URL carries state and the challenge
)
_USER: dict[str, Any] = {
    "id": "demo-user-0001",
    "first_name": "Demo",
    "last_name": "User",
    "email": "demo.user@example.com",
    "type": 1,
    "status": "active",
    "account_id": "demo-account-0001",
}


# -- public data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoClient:
    """The one app registered with the demo server (Zoom's "General" app: ID, secret, redirect)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str

    def __post_init__(self) -> None:
        # HTTP Basic splits user:password at the first colon (RFC 7617 §2), so an ID with one
        # could never authenticate; a fragment is forbidden in a redirect URI (RFC 6749 §3.1.2).
        if not self.client_id or ":" in self.client_id:
            raise ValueError("client_id must be non-empty and must not contain ':'")
        if not self.client_secret:
            raise ValueError("client_secret must be non-empty")
        parts = urlsplit(self.redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or "#" in self.redirect_uri:
            raise ValueError("redirect_uri must be an absolute http(s) URL without a fragment")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it, with the status it was answered."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # first value of each name
    form: dict[str, str]  # parsed urlencoded body when present, else {}
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    status: int


class AuthorizePageError(RuntimeError):
    """``follow_authorize`` met something a consent flow should not show (error page, no form)."""


# -- state --------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """An authorization request whose consent page awaits the person's decision."""

    redirect_uri: str
    state: str | None
    challenge: str | None
    method: str | None
    expires_at: float


@dataclass
class _Grant:
    """The current token pair of one authorization; rotation replaces both values in place."""

    client_id: str
    access_token: str
    refresh_token: str
    access_expires_at: float


@dataclass
class _Code:
    """An authorization code and everything the token request must match."""

    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False
    grant: _Grant | None = None  # revoked if the code is ever presented again


@dataclass(frozen=True)
class _Incoming:
    """What the socket handler read, before any OAuth meaning is given to it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    problem: tuple[int, str] | None  # the framing was broken: answer this and close


@dataclass(frozen=True)
class _Request:
    """A parsed request, as the routes see it."""

    method: str
    path: str
    raw_query: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    form: list[tuple[str, str]] | None  # None unless a well-formed urlencoded body was sent

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


# -- the authorization server's logic (no sockets) ----------------------------------------------


class _Authority:
    """Holds codes, tokens and the request log behind one lock, and answers parsed requests."""

    def __init__(
        self,
        client: DemoClient,
        code_ttl: float,
        token_ttl: int,
        body_client_auth: bool = False,
        value_prefix: str = "",
    ) -> None:
        self.client = client
        self.code_ttl = code_ttl
        self.body_client_auth = body_client_auth
        self.value_prefix = value_prefix  # codes and tokens start with it (canary tests)
        self.token_ttl = token_ttl
        self.lock = threading.Lock()
        self.log: list[RecordedRequest] = []
        self._pending: dict[str, _Pending] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._routes: dict[str, dict[str, Callable[[_Request], _Reply]]] = {
            "/": {"GET": self._index},
            "/oauth/authorize": {"GET": self._authorize_page, "POST": self._authorize_decision},
            "/oauth/token": {"POST": self._token},
            "/v2/users/me": {"GET": self._users_me},
        }

    def respond(self, incoming: _Incoming) -> _Reply:
        """Answer one request and log it (with its status) before the caller sends the reply."""
        path, raw_query, query, form = incoming.target, "", None, None
        try:
            split = urlsplit(incoming.target)
            path, raw_query = split.path or "/", split.query
            query = _parse_pairs(raw_query)
            media = incoming.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if incoming.problem is None and media == _FORM_TYPE:
                form = _parse_pairs(incoming.body.decode("utf-8"))
        except ValueError:  # includes UnicodeDecodeError
            pass
        with self.lock:
            if incoming.problem is not None:
                status, reason = incoming.problem
                reply = _json(status, _oauth_body("invalid_request", reason), close=True)
            elif query is None:
                reply = _json(400, _oauth_body("invalid_request", "Malformed request target"))
            else:
                request = _Request(incoming.method, path, raw_query, query, incoming.headers, form)
                try:
                    reply = self._route(request)
                except Exception:  # a bug here must answer 500, never kill the thread noisily
                    reply = _json(500, _oauth_body("server_error", "Internal server error"))
            self.log.append(
                RecordedRequest(
                    method=incoming.method,
                    path=path,
                    query=_first(query or []),
                    form=_first(form or []),
                    headers=dict(incoming.headers),
                    status=reply.status,
                )
            )
        return reply

    def _route(self, request: _Request) -> _Reply:
        methods = self._routes.get(request.path)
        if methods is None:
            return _json(404, _oauth_body("not_found", f"No such endpoint: {request.path}"))
        handler = methods.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(methods))
            body = _oauth_body("invalid_request", f"Method not allowed; use {allow}")
            return _json(405, body, headers=(("Allow", allow),))
        return handler(request)

    # -- GET / -------------------------------------------------------------------------------

    def _index(self, request: _Request) -> _Reply:
        doc = {
            "name": "runner OAuth 2.0 demo server (answers like Zoom)",
            "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri,
            "scope": _SCOPE,
            "endpoints": {
                "authorize": "GET /oauth/authorize?response_type=code&client_id=..."
                "&redirect_uri=...[&state=...][&code_challenge=...&code_challenge_method=S256]",
                "consent": "POST /oauth/authorize (the consent form)",
                "token": "POST /oauth/token, Basic client auth, form body: grant_type="
                "authorization_code (code, redirect_uri[, code_verifier]), refresh_token, "
                "client_credentials or account_credentials (account_id)",
                "user": "GET /v2/users/me with Authorization: Bearer <access_token>",
            },
        }
        return _json(200, doc)

    # -- GET /oauth/authorize ----------------------------------------------------------------

    def _authorize_page(self, request: _Request) -> _Reply:
        params = _given(request.query)
        repeated = _repeated(request.query)
        # Until client_id and redirect_uri are trusted, errors go to the person, never to the
        # redirect URI: that would make the server an open redirector (RFC 6749 §4.1.2.1).
        if repeated in ("client_id", "redirect_uri"):
            return _html_error(f"The {repeated} parameter was given more than once.")
        if params.get("client_id") != self.client.client_id:
            return _html_error("Invalid client_id (4702): no app is registered with this ID.")
        if params.get("redirect_uri") != self.client.redirect_uri:
            return _html_error(
                "Invalid redirect (4709): redirect_uri is missing or does not exactly match "
                "the redirect URL registered for this app."
            )
        redirect_uri = self.client.redirect_uri
        state = params.get("state")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")

        def refuse(error: str, description: str) -> _Reply:
            return _redirect(_error_redirect(redirect_uri, error, description, state))

        if repeated is not None:
            return refuse("invalid_request", f"The {repeated} parameter was given more than once")
        response_type = params.get("response_type")
        if response_type is None:
            return refuse("invalid_request", "Missing response_type")
        if response_type != "code":
            return refuse("unsupported_response_type", "response_type must be code")
        if challenge is None and method is not None:
            return refuse(
                "invalid_request", "code_challenge_method was sent without code_challenge"
            )
        if challenge is not None:
            method = method or "plain"  # RFC 7636 §4.3
            if method not in ("S256", "plain"):
                return refuse("invalid_request", "code_challenge_method must be S256 or plain")
            if not _PKCE_RE.fullmatch(challenge):
                return refuse(
                    "invalid_request",
                    "code_challenge must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~",
                )
        request_id = secrets.token_urlsafe(24)
        expires_at = time.monotonic() + _CONSENT_TTL
        self._pending[request_id] = _Pending(redirect_uri, state, challenge, method, expires_at)
        return _html(200, _consent_page(self.client, request_id))

    # -- POST /oauth/authorize ---------------------------------------------------------------

    def _authorize_decision(self, request: _Request) -> _Reply:
        if request.form is None:
            return _html_error("The consent form must be posted as " + _FORM_TYPE + ".")
        params = _given(request.form)
        request_id = params.get("request_id", "")
        pending = self._pending.get(request_id)
        if pending is None or pending.expires_at <= time.monotonic():
            self._pending.pop(request_id, None)
            return _html_error(
                "This authorization request is unknown, expired or already answered."
            )
        decision = params.get("decision")
        if decision not in ("allow", "deny"):
            return _html_error("The decision must be allow or deny.")
        del self._pending[request_id]  # one answer per consent page
        if decision == "deny":
            description = "The user denied the request"
            location = _error_redirect(
                pending.redirect_uri, "access_denied", description, pending.state
            )
            return _redirect(location)
        code = self.value_prefix + secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client_id=self.client.client_id,
            redirect_uri=pending.redirect_uri,
            challenge=pending.challenge,
            method=pending.method,
            expires_at=time.monotonic() + self.code_ttl,
        )
        fields = {"code": code}
        if pending.state is not None:
            fields["state"] = pending.state
        return _redirect(_append_query(pending.redirect_uri, fields))

    # -- POST /oauth/token -------------------------------------------------------------------

    def _token(self, request: _Request) -> _Reply:
        if request.raw_query:
            return _token_error(400, "invalid_request", "parameters must be sent in a form body")
        if request.media_type != _FORM_TYPE:
            return _token_error(400, "invalid_request", f"Content-Type must be {_FORM_TYPE}")
        if request.form is None:
            return _token_error(
                400, "invalid_request", "The form body is not valid UTF-8 urlencoded"
            )
        header = request.headers.get("authorization", "")
        client_id = self._authenticate(header)
        in_body = False
        if client_id is None and not header and self.body_client_auth:
            client_id = self._authenticate_body(request.form)
            in_body = client_id is not None
        if client_id is None:
            challenge = (("WWW-Authenticate", 'Basic realm="demo"'),)
            body = _oauth_body("invalid_client", "Invalid client_id or client_secret")
            return _json(401, body, headers=challenge + _NO_STORE)
        repeated = _repeated(request.form)
        if repeated is not None:
            return _token_error(400, "invalid_request", f"{repeated} was given more than once")
        params = _given(request.form)
        if in_body:
            params.pop("client_id", None)
            params.pop("client_secret", None)
        elif "client_secret" in params:  # one authentication method only (RFC 6749 §2.3)
            return _token_error(
                400, "invalid_request", "Send the client secret only in the Authorization header"
            )
        grant_type = params.get("grant_type")
        if grant_type is None:
            return _token_error(400, "invalid_request", "Missing grant_type")
        if grant_type == "authorization_code":
            return self._redeem_code(client_id, params)
        if grant_type == "refresh_token":
            return self._refresh_tokens(client_id, params)
        if grant_type == "client_credentials":  # a Team Chat bot's token: no refresh token
            return self._token_reply(self._issue(client_id, refreshable=False))
        if grant_type == "account_credentials":  # Zoom's server-to-server OAuth
            if params.get("account_id") != _USER["account_id"]:
                return _token_error(400, "invalid_request", "Invalid account_id")
            return self._token_reply(self._issue(client_id, refreshable=False))
        return _token_error(400, "unsupported_grant_type", "Unsupported grant_type")

    def _authenticate_body(self, form: list[tuple[str, str]] | None) -> str | None:
        """client_secret_post (RFC 6749 §2.3.1): client_id and client_secret in the body."""
        params = _given(form or [])
        given_id, given_secret = params.get("client_id", ""), params.get("client_secret", "")
        client = self.client
        id_ok = hmac.compare_digest(given_id.encode(), client.client_id.encode())
        secret_ok = hmac.compare_digest(given_secret.encode(), client.client_secret.encode())
        return client.client_id if id_ok and secret_ok else None

    def _authenticate(self, authorization: str) -> str | None:
        """Return the client ID if the Basic credentials are right, else None."""
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        given_id, sep, given_secret = decoded.partition(":")
        if not sep:
            return None
        client = self.client
        id_ok = hmac.compare_digest(given_id.encode(), client.client_id.encode())
        secret_ok = hmac.compare_digest(given_secret.encode(), client.client_secret.encode())
        return client.client_id if id_ok and secret_ok else None

    def _redeem_code(self, client_id: str, params: dict[str, str]) -> _Reply:
        code_value = params.get("code")
        if code_value is None:
            return _token_error(400, "invalid_request", "Missing code")
        code = self._codes.get(code_value)
        if code is None or code.client_id != client_id:
            return _token_error(400, "invalid_grant", "Invalid authorization code")
        if code.used:
            # RFC 6749 §4.1.2: a replayed code means it leaked; cancel what it produced.
            if code.grant is not None:
                self._revoke(code.grant)
            return _token_error(400, "invalid_grant", "Authorization code has already been used")
        # The first redemption attempt consumes the code, whether or not it succeeds: a failed
        # attempt must not leave a code around for guessing the verifier or redirect_uri.
        code.used = True
        if code.expires_at <= time.monotonic():
            return _token_error(400, "invalid_grant", "Authorization code expired")
        if params.get("redirect_uri") != code.redirect_uri:
            return _token_error(
                400,
                "invalid_grant",
                "Redirect URI mismatch (4709): redirect_uri must be identical to the one "
                "sent to /oauth/authorize",
            )
        verifier = params.get("code_verifier")
        if code.challenge is None:
            if verifier is not None:  # RFC 9700 §2.1.1: refuse a PKCE downgrade
                return _token_error(
                    400,
                    "invalid_grant",
                    "code_verifier sent, but the authorization had no challenge",
                )
        elif verifier is None or not _verifier_matches(verifier, code.challenge, code.method):
            return _token_error(400, "invalid_grant", "Invalid code_verifier")
        code.grant = self._issue(client_id)
        return self._token_reply(code.grant)

    def _refresh_tokens(self, client_id: str, params: dict[str, str]) -> _Reply:
        old = params.get("refresh_token")
        if old is None:
            return _token_error(400, "invalid_request", "Missing refresh_token")
        grant = self._refresh.get(old)
        if grant is None or grant.client_id != client_id:
            return _token_error(400, "invalid_grant", "Invalid Token!")
        # Rotation: both old tokens stop working; the grant object stays the same so that a
        # replayed authorization code still finds (and revokes) the current pair.
        self._revoke(grant)
        grant.access_token = self.value_prefix + secrets.token_urlsafe(32)
        grant.refresh_token = self.value_prefix + secrets.token_urlsafe(32)
        grant.access_expires_at = time.monotonic() + self.token_ttl
        self._register(grant)
        return self._token_reply(grant)

    def _issue(self, client_id: str, *, refreshable: bool = True) -> _Grant:
        grant = _Grant(
            client_id=client_id,
            access_token=self.value_prefix + secrets.token_urlsafe(32),
            refresh_token=self.value_prefix + secrets.token_urlsafe(32) if refreshable else "",
            access_expires_at=time.monotonic() + self.token_ttl,
        )
        self._register(grant)
        return grant

    def _register(self, grant: _Grant) -> None:
        self._access[grant.access_token] = grant
        if grant.refresh_token:  # server-to-server grants have none
            self._refresh[grant.refresh_token] = grant

    def _revoke(self, grant: _Grant) -> None:
        self._access.pop(grant.access_token, None)
        self._refresh.pop(grant.refresh_token, None)

    def _token_reply(self, grant: _Grant) -> _Reply:
        body: dict[str, Any] = {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "refresh_token": grant.refresh_token,
            "expires_in": self.token_ttl,
            "scope": _SCOPE,
        }
        if not grant.refresh_token:
            del body["refresh_token"]
        return _json(200, body, headers=_NO_STORE)

    # -- GET /v2/users/me --------------------------------------------------------------------

    def _users_me(self, request: _Request) -> _Reply:
        if any(name == "access_token" for name, _ in request.query):
            # Zoom stopped accepting token values in URLs in February 2023.
            message = (
                "Invalid access token, this access token is not supported as query "
                "parameter string."
            )
            return _json(401, {"code": 124, "message": message})
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        grant = self._access.get(token) if scheme.lower() == "bearer" and token else None
        if grant is None or grant.access_expires_at <= time.monotonic():
            challenge = (
                'Bearer realm="demo", error="invalid_token"' if token else 'Bearer realm="demo"'
            )
            body = {"code": 124, "message": "Invalid access token."}
            return _json(401, body, headers=(("WWW-Authenticate", challenge),))
        return _json(200, _USER)


# -- helpers ------------------------------------------------------------------------------------


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    """Parse urlencoded text strictly (bad UTF-8 or too many fields raise ValueError)."""
    return parse_qsl(
        text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=_MAX_FIELDS
    )


def _first(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name, value)
    return out


def _given(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """First value of each parameter; an empty one counts as omitted (RFC 6749 §3.1)."""
    return {name: value for name, value in _first(pairs).items() if value}


def _repeated(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The first parameter sent twice: RFC 6749 §3.1 forbids it, so it is an error."""
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return name
        seen.add(name)
    return None


def _verifier_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if not _PKCE_RE.fullmatch(verifier):
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return hmac.compare_digest(computed, challenge)
    return hmac.compare_digest(verifier, challenge)


def _append_query(uri: str, fields: dict[str, str]) -> str:
    """Add ``fields`` to ``uri``, keeping its own query exactly as registered."""
    if "?" not in uri:
        sep = "?"
    elif uri.endswith(("?", "&")):
        sep = ""
    else:
        sep = "&"
    return uri + sep + urlencode(fields)


def _error_redirect(uri: str, error: str, description: str, state: str | None) -> str:
    fields = {"error": error, "error_description": description}
    if state is not None:
        fields["state"] = state
    return _append_query(uri, fields)


def _oauth_body(error: str, reason: str) -> dict[str, str]:
    return {"reason": reason, "error": error}


def _json(
    status: int, doc: object, *, headers: tuple[tuple[str, str], ...] = (), close: bool = False
) -> _Reply:
    body = json.dumps(doc).encode("utf-8")
    return _Reply(status, body, "application/json", headers, close)


def _token_error(status: int, error: str, reason: str) -> _Reply:
    return _json(status, _oauth_body(error, reason), headers=_NO_STORE)


def _redirect(location: str) -> _Reply:
    return _Reply(302, b"", None, (("Location", location), *_NO_STORE))


def _html(status: int, page: str) -> _Reply:
    return _Reply(status, page.encode("utf-8"), "text/html; charset=utf-8", _HTML_HEADERS)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _html_error(message: str) -> _Reply:
    body = f"<h1>Authorization error</h1>\n<p>{html.escape(message)}</p>\n"
    return _html(400, _page("Authorization error", body))


def _consent_page(client: DemoClient, request_id: str) -> str:
    esc = html.escape
    body = (
        f"<h1>{esc(_APP_NAME)} would like to access your account</h1>\n"
        f"<p>Client ID: <code>{esc(client.client_id)}</code></p>\n"
        "<p>It asks for these scopes:</p>\n"
        f"<ul><li><code>{esc(_SCOPE)}</code>: view your user information</li></ul>\n"
        f"<p>Your answer will be sent to <code>{esc(client.redirect_uri)}</code>.</p>\n"
        '<form method="post" action="/oauth/authorize">\n'
        f'<input type="hidden" name="request_id" value="{esc(request_id)}">\n'
        '<button name="decision" value="allow">Allow</button>\n'
        '<button name="decision" value="deny">Deny</button>\n'
        "</form>\n"
    )
    return _page(f"Authorize {_APP_NAME}", body)


# -- the socket side ----------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket; knows its authority and the open connections (to cut on stop)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], authority: _Authority) -> None:
        self.authority = authority
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup, which can stall for seconds."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay silent: a broken client connection is not worth a traceback on stderr."""

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def cut_connections(self) -> None:
        """End kept-alive connections, so their threads finish instead of waiting for input."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, hands it to the authority, writes the reply; any method is accepted."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    server_version = "OAuthDemoServer/1.0"
    sys_version = ""
    timeout = 30.0  # an idle kept-alive connection is dropped after this

    @property
    def _server(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def setup(self) -> None:
        super().setup()
        self._server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self._server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Never print: the demo's terminal and the tests' output belong to others."""

    def handle_one_request(self) -> None:
        """The standard loop, but every method reaches ``_handle`` and I/O errors stay quiet."""
        try:
            self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
            if len(self.raw_requestline) > _MAX_LINE:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # answers 400 itself
                return
            self._handle()
            self.wfile.flush()
        except OSError:  # timeouts, resets, sockets cut by stop()
            self.close_connection = True

    def _handle(self) -> None:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body, problem = self._read_body(headers)
        incoming = _Incoming(self.command, self.path, headers, body, problem)
        self._send(self._server.authority.respond(incoming))

    def _read_body(self, headers: dict[str, str]) -> tuple[bytes, tuple[int, str] | None]:
        if "transfer-encoding" in headers:
            return b"", (400, "Transfer-Encoding is not supported; send Content-Length")
        raw = headers.get("content-length")
        if raw is None:
            return b"", None
        if not re.fullmatch(r"[0-9]{1,12}", raw.strip()):
            return b"", (400, "Malformed Content-Length")
        length = int(raw)
        if length > _MAX_BODY:
            return b"", (413, "Request body too large")
        body = self.rfile.read(length)
        if len(body) < length:
            return b"", (400, "Request body shorter than Content-Length")
        return body, None

    def _send(self, reply: _Reply) -> None:
        if reply.close:
            self.close_connection = True
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.close:
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)


# -- the public server --------------------------------------------------------------------------


class OAuthDemoServer:
    """A Zoom-shaped OAuth 2.0 authorization server (plus ``/v2/users/me``) on loopback.

    Usage::

        with OAuthDemoServer(DemoClient("id", "secret", "http://127.0.0.1:9/cb")) as server:
            url = server.base_url + "/oauth/authorize?response_type=code&client_id=id&..."
            redirect = follow_authorize(url)

    State (consent requests, codes, tokens, the request log) lives in memory and survives a
    stop/start; each ``start()`` after a ``stop()`` binds a new socket (a new port if port=0).
    """

    def __init__(
        self,
        client: DemoClient,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        code_ttl: float = 300.0,
        token_ttl: int = 3600,
        body_client_auth: bool = False,
        value_prefix: str = "",
    ) -> None:
        """``body_client_auth`` also accepts client_id and client_secret in the form body
        (client_secret_post) from a request without an Authorization header; ``value_prefix``
        starts every code and token (a canary that tests look for in the runner's output)."""
        if host == "localhost":
            host = "127.0.0.1"
        try:
            loopback = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"host must be a loopback IPv4 address, not {host!r}") from None
        if loopback.version != 4 or not loopback.is_loopback:
            raise ValueError(f"host must be a loopback IPv4 address, not {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) to 65535, not {port}")
        if not (math.isfinite(code_ttl) and code_ttl >= 0):
            raise ValueError("code_ttl must be a finite number of seconds >= 0")
        if token_ttl < 0:
            raise ValueError("token_ttl must be >= 0")
        self._host = host
        self._port = port
        self._authority = _Authority(client, code_ttl, token_ttl, body_client_auth, value_prefix)
        self._lifecycle = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    def start(self) -> OAuthDemoServer:
        """Bind and serve in a daemon thread; a no-op if already running. Returns self."""
        with self._lifecycle:
            if self._httpd is None:
                httpd = _HTTPServer((self._host, self._port), self._authority)
                thread = threading.Thread(
                    target=httpd.serve_forever,
                    kwargs={"poll_interval": 0.05},  # stop() waits at most this long
                    name="oauth-demo-server",
                    daemon=True,
                )
                thread.start()
                self._httpd, self._thread = httpd, thread
                self._base_url = f"http://{self._host}:{httpd.server_port}"
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and close the socket; safe to call twice."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = self._base_url = None
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.cut_connections()
        httpd.server_close()
        thread.join(timeout=5.0)

    def __enter__(self) -> OAuthDemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; only known once started (port 0 picks the port)."""
        base = self._base_url
        if base is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return base

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in arrival order (a copy: later requests do not change it)."""
        with self._authority.lock:
            return list(self._authority.log)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path (without query) is ``path``."""
        return [r for r in self.requests if r.path == path]

    def serve_forever(self) -> None:
        """Serve until Ctrl-C or ``stop()`` from another thread, then return normally.

        For ``runner demo --serve``: the work stays in the daemon thread, and this thread only
        waits, so KeyboardInterrupt lands here and shuts the server down cleanly.
        """
        self.start()
        try:
            while True:
                thread = self._thread
                if thread is None or not thread.is_alive():
                    break
                thread.join(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


# -- the person's browser -----------------------------------------------------------------------


@dataclass
class _Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _PageReader(HTMLParser):
    """Collects the forms of a page (hidden fields, submit buttons) and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.text: list[str] = []
        self._form: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = _Form(attr.get("method", "get").lower(), attr.get("action", ""))
        elif self._form is None or "name" not in attr:
            return
        elif tag == "input" and attr.get("type", "text").lower() == "hidden":
            self._form.fields[attr["name"]] = attr.get("value", "")
        elif tag == "button" and attr.get("type", "submit").lower() == "submit":
            self._form.buttons.append((attr["name"], attr.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _read_page(text: str) -> _PageReader:
    reader = _PageReader()
    reader.feed(text)
    reader.close()
    return reader


def _location(response: httpx.Response) -> str:
    location: str = response.headers.get("location", "")
    if not location:
        raise AuthorizePageError(f"HTTP {response.status_code} redirect without a Location header")
    return urljoin(str(response.url), location)


def _unexpected(what: str, response: httpx.Response) -> AuthorizePageError:
    words = " ".join("".join(_read_page(response.text).text).split())
    return AuthorizePageError(f"{what} answered HTTP {response.status_code}: {words[:300]}")


def follow_authorize(authorize_url: str, *, decision: str = "allow", timeout: float = 5.0) -> str:
    """Act as the person's browser: GET the authorize URL, read the consent form, submit the
    decision, and return the redirect URL from the Location header (without following it).

    This is what lets the demo and the tests run the consent step with nobody at a browser.
    An immediate redirect from the authorize URL (an OAuth error redirect) is returned as is,
    as a browser would land there. Raises AuthorizePageError for an error page, a page without
    the consent form, or a ``decision`` the form offers no button for; httpx errors propagate.
    """
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as browser:
        page = browser.get(authorize_url)
        if page.is_redirect:
            return _location(page)
        if page.status_code != 200:
            raise _unexpected("the authorize page", page)
        forms = [form for form in _read_page(page.text).forms if form.method == "post"]
        if not forms:
            raise AuthorizePageError("the authorize page has no consent form")
        form = forms[0]
        button = next((b for b in form.buttons if b[1] == decision), None)
        if button is None:
            offered = ", ".join(value for _, value in form.buttons) or "none"
            raise AuthorizePageError(f"the consent form has no {decision!r} button ({offered})")
        data = {**form.fields, button[0]: button[1]}
        answer = browser.post(urljoin(str(page.url), form.action), data=data)
        if not answer.is_redirect:
            raise _unexpected("the consent form", answer)
        return _location(answer)
