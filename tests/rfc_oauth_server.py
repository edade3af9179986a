"""Small authorization servers of the tests' own, for what django-oauth-toolkit cannot be made
to do on demand:

- ``DeviceServer``: RFC 8628's device authorization endpoint and a token endpoint whose
  answers to the polls follow a script (``authorization_pending``, ``slow_down``,
  ``expired_token``, ``access_denied``, then a token), with an interval the test chooses (0
  for no waiting at all);
- ``AssertionServer``: a token endpoint that accepts only a ``private_key_jwt`` client
  assertion (RFC 7523) signed by the key whose public half it was given, for this client,
  with this endpoint as its audience, unexpired, and each ``jti`` once.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import parse_qs

from local_http import LocalServer, reply_json

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_ID = "cli-device"
DEVICE_CODE = "device-code-0123456789abcdef"
USER_CODE = "WDJB-MJHT"


class _Form(BaseHTTPRequestHandler):
    server_state: ClassVar[Any]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read ``seen``."""

    def form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("ascii")
        return {name: values[0] for name, values in parse_qs(raw).items()}


class DeviceServer(LocalServer):
    """RFC 8628 on 127.0.0.1; ``polls`` answers the token requests in order (the last one
    repeats), each an OAuth error code or ``"token"``."""

    def __init__(
        self,
        polls: list[str],
        *,
        interval: float | None = 0,
        expires_in: float = 600,
        complete: bool = True,
    ) -> None:
        owner = self

        class Handler(_Form):
            def do_POST(self) -> None:
                owner.record(self.path, self.form())
                if self.path == "/device":
                    reply_json(self, 200, owner.device_answer())
                elif self.path == "/token":
                    status, doc = owner.token_answer(self.headers.get("Authorization"))
                    reply_json(self, status, doc)
                else:
                    reply_json(self, 404, {"error": "not_found"})

            def do_GET(self) -> None:
                reply_json(self, 200, {"ok": self.headers.get("Authorization") == "Bearer at-1"})

        super().__init__(Handler)
        self.polls = list(polls)
        self.interval = interval
        self.expires_in = expires_in
        self.complete = complete
        self.seen: list[tuple[float, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def record(self, path: str, form: dict[str, str]) -> None:
        with self._lock:
            self.seen.append((time.monotonic(), path, form))

    def requests(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [form for _, seen_path, form in self.seen if seen_path == path]

    def device_answer(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "device_code": DEVICE_CODE,
            "user_code": USER_CODE,
            "verification_uri": f"{self.url}/activate",
            "expires_in": self.expires_in,
        }
        if self.complete:
            doc["verification_uri_complete"] = f"{self.url}/activate?user_code={USER_CODE}"
        if self.interval is not None:
            doc["interval"] = self.interval
        return doc

    def token_answer(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        form = self.requests("/token")[-1]
        if form.get("grant_type") != DEVICE_GRANT or form.get("device_code") != DEVICE_CODE:
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        with self._lock:
            answer = self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
        if answer == "token":
            return 200, {
                "access_token": "at-1",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "rt-1-device",
            }
        return 400, {"error": answer}


class AssertionServer(LocalServer):
    """A token endpoint (``/token``, client_credentials) that verifies ``private_key_jwt``
    with ``public_pem``; ``/api`` answers 200 to the token it issued."""

    def __init__(self, public_pem: str, client_id: str) -> None:
        owner = self

        class Handler(_Form):
            def do_POST(self) -> None:
                form = self.form()
                owner.forms.append(form)
                status, doc = owner.verify(form)
                reply_json(self, status, doc)

            def do_GET(self) -> None:
                good = self.headers.get("Authorization") == "Bearer jwt-client-token"
                reply_json(self, 200 if good else 401, {"client": client_id if good else None})

        super().__init__(Handler)
        self.public_pem = public_pem
        self.client_id = client_id
        self.forms: list[dict[str, str]] = []
        self.jtis: set[str] = set()
        self.failures: list[str] = []

    def verify(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        import jwt

        def refuse(why: str) -> tuple[int, dict[str, Any]]:
            self.failures.append(why)
            return 401, {"error": "invalid_client", "error_description": why}

        if form.get("client_assertion_type") != JWT_BEARER:
            return refuse("no jwt-bearer client assertion")
        if "client_secret" in form:
            return refuse("a client secret was sent too")
        try:
            claims = jwt.decode(
                form.get("client_assertion", ""),
                self.public_pem,
                algorithms=["RS256", "ES256", "EdDSA"],
                audience=f"{self.url}/token",
                issuer=self.client_id,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.PyJWTError as exc:
            return refuse(f"the assertion does not verify: {exc}")
        if claims["sub"] != self.client_id or form.get("client_id") != self.client_id:
            return refuse("the assertion is for another client")
        if claims["jti"] in self.jtis:
            return refuse("the assertion's jti was used before")
        self.jtis.add(claims["jti"])
        if claims["exp"] - time.time() > 300:
            return refuse("the assertion lives too long")
        return 200, {
            "access_token": "jwt-client-token",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": json.dumps(claims["aud"]),
        }
