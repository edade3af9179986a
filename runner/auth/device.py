"""The device authorization grant (RFC 8628): for a command line with no browser of its own.

The runner asks the device authorization endpoint for a device code and a user code, shows
the person the verification URL and the user code (``--open`` opens the URL), and polls the
token endpoint until the person approved or denied on any device. Why these rules:

- each poll waits ``interval`` seconds first (5 when the server names none, §3.2), and
  ``slow_down`` adds 5 seconds to it for every later poll (§3.5), so the server is never
  polled faster than it asked;
- ``authorization_pending`` polls again; ``expired_token``, ``access_denied`` and any other
  error end the grant with that reason (§3.5);
- polling ends too when the code's ``expires_in`` or ``--callback-timeout`` has passed, or
  the run stops (``--run-timeout``, Ctrl-C): ``wait`` returns false then;
- the device code is a secret (it redeems the token): masked from the moment it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.auth.settings import AuthSettings
from runner.auth.token_endpoint import OAuthClient, OAuthError, post_form, refused
from runner.core.redact import Redactor

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL_S = 5.0  # RFC 8628 §3.2
SLOW_DOWN_S = 5.0  # RFC 8628 §3.5
_AGAIN = "run again, and enter the new code in time"


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """The device authorization response (RFC 8628 §3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


def request_device_code(
    client: OAuthClient, settings: AuthSettings, redactor: Redactor
) -> DeviceAuthorization:
    """Ask the device authorization endpoint for a device code and a user code. Raises
    OAuthError."""
    assert client.device_url is not None
    form = {"scope": " ".join(client.scopes)} if client.scopes else {}
    what = "the device authorization request"
    status, doc = post_form(client, client.device_url, form, what, settings, redactor)
    if isinstance(doc, dict):
        redactor.add(doc.get("device_code"))
    if status != 200 or not isinstance(doc, dict):
        raise refused(doc, what, status, redactor)

    def text(*names: str) -> str | None:
        for name in names:  # verification_url: Google's name from a draft of the RFC
            value = doc.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    def number(name: str, default: float) -> float:
        value = doc.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        return default

    device_code = text("device_code")
    user_code = text("user_code")
    verification_uri = text("verification_uri", "verification_url")
    if device_code is None or user_code is None or verification_uri is None:
        missing = [
            name
            for name, value in (
                ("device_code", device_code),
                ("user_code", user_code),
                ("verification_uri", verification_uri),
            )
            if value is None
        ]
        raise OAuthError(
            f"{what} at {client.device_url} answered without {', '.join(missing)}",
            hint="RFC 8628 §3.2: the server must send device_code, user_code and verification_uri",
        )
    return DeviceAuthorization(
        device_code=device_code,
        user_code=user_code,
        verification_uri=verification_uri,
        verification_uri_complete=text("verification_uri_complete"),
        expires_in=number("expires_in", 1800.0),
        interval=number("interval", DEFAULT_INTERVAL_S),
    )


def poll_token(
    grant: DeviceAuthorization,
    send: Callable[[dict[str, str]], dict[str, Any]],
    wait: Callable[[float], bool],
    limit_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll the token endpoint (``send`` posts one token request) until the person approved:
    the token response. ``wait(seconds)`` sleeps and returns false when the run stopped.
    Raises OAuthError on a denial, an expired code, ``limit_s`` passed, or a stopped run."""
    form = {"grant_type": DEVICE_GRANT, "device_code": grant.device_code}
    started = clock()
    interval = grant.interval
    where = grant.verification_uri
    while True:
        left = min(grant.expires_in, limit_s) - (clock() - started)
        if left <= 0 or interval > left:
            if grant.expires_in <= limit_s:
                raise OAuthError(
                    f"the device code expired before anyone entered {grant.user_code} at "
                    f"{where} ({grant.expires_in:g} s)",
                    hint=_AGAIN,
                )
            raise OAuthError(
                f"nobody entered the code {grant.user_code} at {where} within "
                f"--callback-timeout {limit_s:g} s",
                hint="run again with a longer --callback-timeout, and enter the code in time",
            )
        if not wait(interval):
            raise OAuthError(
                f"the run stopped while waiting for the code {grant.user_code} to be entered "
                f"at {where}",
                hint="nothing was cached",
            )
        try:
            return send(form)
        except OAuthError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += SLOW_DOWN_S
                continue
            if exc.error == "expired_token":
                raise OAuthError(
                    f"the device code expired before anyone entered {grant.user_code} at "
                    f"{where} (expired_token)",
                    hint=_AGAIN,
                    error=exc.error,
                ) from None
            if exc.error == "access_denied":
                raise OAuthError(
                    f"the authorization was denied at {where} (access_denied)",
                    hint="nothing was cached; run again to ask anew",
                    error=exc.error,
                ) from None
            raise
