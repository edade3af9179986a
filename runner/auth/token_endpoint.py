"""An ``oauth2`` client as rendered for a run, and its requests to the token endpoint.

Token requests go through ``runner.http.transport`` like every request of a run, exactly
once each (an authorization code is single use, RFC 6749 §4.1.2); the client secret and the
tokens are registered with the run's ``Redactor`` as soon as they exist.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode, urlsplit

from runner.auth.oidc import Provider
from runner.auth.settings import AuthSettings
from runner.core.errors import RunnerError, SourceLocation, TransportError
from runner.core.model import OAUTH2_CLIENT_AUTH, OAUTH2_CLIENT_AUTH_ALIASES, OAuth2
from runner.core.redact import Redactor, token_request_secrets

if TYPE_CHECKING:  # runner.auth.tokens is imported when an oauth2 step first needs a token
    from runner.auth.tokens import TokenSet

_FORM = "application/x-www-form-urlencoded"
_HINTS = {
    "invalid_client": "check client_id and client_secret, and client_auth "
    "(client_secret_basic, client_secret_post or none)",
    "invalid_grant": "the code or refresh token expired, was used, or does not match "
    "(redirect_uri, PKCE verifier); run again to authorize anew",
    "invalid_scope": "check the scopes the client may ask for",
    "unauthorized_client": "the client may not use this grant; check the app's settings",
    "unsupported_grant_type": "the server does not offer this grant",
}


class OAuthError(RunnerError):
    """Obtaining a token failed: the token endpoint refused or could not be reached.

    ``error`` is the OAuth error code (RFC 6749 §5.2) when the server gave one."""

    kind = "oauth"

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        *,
        error: str | None = None,
    ) -> None:
        super().__init__(message, location, hint)
        self.error = error


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """An ``oauth2`` block with its templates rendered."""

    grant: str
    token_url: str
    client_id: str
    auth_url: str | None
    client_secret: str | None
    scopes: tuple[str, ...]
    redirect_uri: str | None
    pkce: bool
    client_auth: str
    account_id: str | None
    refresh_token: str | None
    params: tuple[tuple[str, str], ...] = ()
    provider: Provider | None = None  # OpenID Connect, from the issuer's discovery

    @property
    def openid(self) -> bool:
        """OpenID Connect: ``openid`` among the scopes (a nonce is sent, the ID token checked)."""
        return "openid" in self.scopes


# Parameters of the authorize request the runner sets itself; ``params`` may not change them.
RESERVED_PARAMS = frozenset(
    ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
     "code_challenge", "code_challenge_method")
)  # fmt: skip


def render_client(
    flow: OAuth2,
    render: Callable[[str], str],
    redactor: Redactor,
    discover: Callable[[str], Provider] | None = None,
) -> OAuthClient:
    """Render an ``oauth2`` block; its secrets are masked from here on. With ``issuer``, the
    endpoints not given come from ``discover`` (the provider's openid-configuration). Raises
    RenderError, OIDCError, or OAuthError for a token or authorize URL that is not absolute
    http(s) or a ``params`` entry the runner sets itself."""

    def opt(text: str | None) -> str | None:
        return None if text is None else render(text)

    provider = None
    if flow.issuer is not None and discover is not None:
        provider = discover(render(flow.issuer))
    token_url = render(flow.token_url) if flow.token_url else None
    auth_url = opt(flow.auth_url)
    if provider is not None:
        token_url = token_url or provider.token_endpoint
        auth_url = auth_url or provider.authorization_endpoint
    if token_url is None:
        raise OAuthError(f"the OpenID provider {flow.issuer} names no token_endpoint", flow.loc)
    if flow.grant == "authorization_code" and auth_url is None:
        raise OAuthError(
            f"the OpenID provider {flow.issuer} names no authorization_endpoint", flow.loc
        )
    client_auth = render(flow.client_auth).strip()
    client_auth = OAUTH2_CLIENT_AUTH_ALIASES.get(client_auth, client_auth)
    if client_auth not in OAUTH2_CLIENT_AUTH:
        raise OAuthError(
            f"oauth2 client_auth must be one of {', '.join(OAUTH2_CLIENT_AUTH)}, "
            f"not {client_auth!r}",
            flow.loc,
        )
    params = tuple((name, render(value)) for name, value in flow.params)
    for name, _ in params:
        if name in RESERVED_PARAMS:
            raise OAuthError(
                f"oauth2 params may not set {name!r}: the runner sets it",
                flow.loc,
                "use scopes for the scope; state, nonce and PKCE are new for each authorization",
            )

    scopes: list[str] = []
    for item in flow.scopes:
        scopes.extend(render(item).split())
    client = OAuthClient(
        grant=flow.grant,
        token_url=token_url,
        client_id=render(flow.client_id),
        auth_url=auth_url,
        client_secret=opt(flow.client_secret),
        scopes=tuple(scopes),
        redirect_uri=opt(flow.redirect_uri),
        pkce=flow.pkce,
        client_auth=client_auth,
        account_id=opt(flow.account_id),
        refresh_token=opt(flow.refresh_token),
        params=params,
        provider=provider,
    )
    redactor.add(client.client_secret)
    redactor.add(client.refresh_token)
    for name, url in (("token_url", client.token_url), ("auth_url", client.auth_url)):
        if url is not None and (
            urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc
        ):
            raise OAuthError(
                f"oauth2 {name} must be an absolute http(s) URL, not {url!r}", flow.loc
            )
    return client


def token_request(
    client: OAuthClient,
    form: dict[str, str],
    what: str,
    settings: AuthSettings,
    redactor: Redactor,
) -> dict[str, Any]:
    """POST to the token endpoint once (never retried: a code is single use); the response
    document, which holds an access token. Raises OAuthError."""
    from runner.http.transport import PreparedRequest, Transport

    headers = [("Accept", "application/json"), ("Content-Type", _FORM)]
    body = dict(form)
    if client.client_secret and client.client_auth == "client_secret_basic":
        headers.append(("Authorization", client_basic_header(client)))
    else:  # client_secret_post, none, or a public client (client_id only)
        body["client_id"] = client.client_id
        if client.client_secret and client.client_auth == "client_secret_post":
            body["client_secret"] = client.client_secret
    redactor.add(token_request_secrets(body.items()))  # the code, the verifier...
    request = PreparedRequest(
        method="POST",
        url=client.token_url,
        headers=tuple(headers),
        content=urlencode(body).encode("ascii"),
        timeout=settings.timeout,
        follow_redirects=False,
    )
    try:
        with Transport(timeout=settings.timeout, verify=settings.verify) as transport:
            exchange = transport.send(request)
    except TransportError as exc:
        raise OAuthError(
            f"{what} at {client.token_url} failed: {redactor.mask(exc.message)}",
            hint="it was not retried (a code is single use); run again",
        ) from None
    try:
        doc = exchange.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        for name in ("access_token", "refresh_token", "id_token"):
            redactor.add(doc.get(name))
    if exchange.status != 200 or not isinstance(doc, dict) or not doc.get("access_token"):
        raise _refused(doc, what, exchange.status, redactor)
    token_type = str(doc.get("token_type") or "bearer")
    if token_type.lower() != "bearer":
        raise OAuthError(
            f"{what} gave a token of type {token_type!r}; only bearer tokens are supported"
        )
    return doc


def _refused(doc: Any, what: str, status: int, redactor: Redactor) -> OAuthError:
    """The error for a token response without an access token (the server's error code and
    description when it gave them)."""
    error = doc.get("error") if isinstance(doc, dict) else None
    error = error if isinstance(error, str) and error else None
    detail = ""
    if isinstance(doc, dict):
        description = doc.get("error_description") or doc.get("reason")
        if isinstance(description, str) and description:
            detail = f": {description}"
    if error is not None:
        message = f"{what} was refused: {error}{detail} (HTTP {status})"
    else:
        message = f"{what} failed: HTTP {status}, no access_token in the response"
    return OAuthError(redactor.mask(message), hint=_HINTS.get(error or ""), error=error)


def client_basic_header(client: OAuthClient) -> str:
    """``client_secret_basic``: RFC 6749 §2.3.1 form-urlencodes the id and the secret before
    Base64, so a secret with ``+``, ``%``, ``:`` or a space reaches the server intact."""
    assert client.client_secret is not None
    return basic_header(quote_plus(client.client_id), quote_plus(client.client_secret))


def basic_header(username: str, password: str) -> str:
    """``Basic base64(username:password)`` (RFC 7617), as Zoom and Postman send it."""
    pair = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def token_set(doc: dict[str, Any]) -> TokenSet:
    """The tokens of a token response."""
    from runner.auth.tokens import TokenSet

    return TokenSet.from_response(doc)


def expiry(token: TokenSet) -> str:
    """`` (expires in 5 min)``, for the auth notes; empty when the token does not say."""
    if token.expires_at is None:
        return ""
    left = token.expires_at - time.time()
    if left <= 0:
        return " (expired)"
    if left < 120:
        return f" (expires in {left:.0f} s)"
    if left < 7200:
        return f" (expires in {left / 60:.0f} min)"
    return f" (expires in {left / 3600:.1f} h)"
