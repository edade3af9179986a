"""Apply a request's ``auth``: basic, bearer, API key, digest, OAuth 1.0a and OAuth 2.0.

The engine hands each request's effective auth (request -> nearest folder -> collection) to
``AuthSession.apply``, which returns the headers and query parameters to add, and to
``AuthSession.sign`` (oauth1 signs the request as sent). The simple kinds are applied here;
OAuth 2.0 tokens are obtained, cached and refreshed by ``runner.auth.oauth2`` (the
authorization-code grant's browser and pause part is ``runner.auth.authorize``, the token
endpoint ``runner.auth.token_endpoint``). Every secret is registered with the run's
``Redactor`` as soon as it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.auth.authorize import Authorizer
from runner.auth.oauth2 import OAuth2Tokens
from runner.auth.settings import AuthSettings, settings_from
from runner.auth.token_endpoint import OAuthError, basic_header
from runner.core.events import Event
from runner.core.model import Auth
from runner.core.redact import Redactor
from runner.pause.prompts import Prompter
from runner.render.templates import Renderer

if TYPE_CHECKING:
    from runner.auth.tokens import TokenCache
    from runner.http.transport import Exchange, PreparedRequest
    from runner.pause.loopback import CallbackListener

# Also imported from here by older code: the settings, the error, the Basic header.
__all__ = [
    "TOKEN_FIELDS",
    "Applied",
    "AuthSession",
    "AuthSettings",
    "OAuthError",
    "auth_templates",
    "basic_header",
    "learn_token_response",
    "settings_from",
]


@dataclass(slots=True)
class Applied:
    """What auth adds to one request."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)
    digest: tuple[str, str] | None = None  # username, password: the transport answers 401s


def auth_templates(auth: Auth | None) -> list[str]:
    """Every template an auth block renders, for the check before sending."""
    if auth is None:
        return []
    fields: list[str | None] = [auth.username, auth.password, auth.token, auth.key, auth.value]
    flow = auth.oauth2
    if flow is not None:
        fields += [
            flow.token_url,
            flow.auth_url,
            flow.client_id,
            flow.client_secret,
            flow.redirect_uri,
            flow.account_id,
            flow.refresh_token,
            flow.issuer,
            *flow.scopes,
            *(value for _, value in flow.params),
        ]
    signed = auth.oauth1
    if signed is not None:
        fields += [
            signed.consumer_key,
            signed.consumer_secret,
            signed.token,
            signed.token_secret,
            signed.private_key,
            signed.realm,
            signed.callback,
            signed.verifier,
            signed.nonce,
            signed.timestamp,
        ]
    return [text for text in fields if text is not None]


class AuthSession:
    """Applies auth for one run; its OAuth 2.0 tokens live in ``oauth2`` (runner.auth.oauth2)."""

    def __init__(
        self,
        *,
        renderer: Renderer,
        redactor: Redactor,
        prompter: Prompter,
        emit: Callable[[Event], None],
        open_url: Callable[[str], object],
        settings: AuthSettings,
        environment: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        self.renderer = renderer
        self.redactor = redactor
        self.settings = settings
        self.authorizer = Authorizer(
            redactor=redactor,
            prompter=prompter,
            emit=emit,
            note=self._note,
            open_url=open_url,
            settings=settings,
        )
        self.oauth2 = OAuth2Tokens(
            redactor=redactor,
            emit=emit,
            settings=settings,
            authorizer=self.authorizer,
            environment=environment,
            cache=cache,
        )

    @property
    def cache(self) -> TokenCache:
        """The token cache, opened on first use (runs without oauth2 never touch it)."""
        return self.oauth2.cache

    def close(self) -> None:
        """Close any loopback listener still open."""
        self.authorizer.close()

    def listen(
        self, redirect_uri: str, *, param: str, expected_state: str | None, index: int
    ) -> CallbackListener | None:
        """Open a loopback listener for ``redirect_uri`` (runner.auth.authorize); None when
        it is not a loopback address with a port, or the port is taken."""
        return self.authorizer.listen(
            redirect_uri, param=param, expected_state=expected_state, index=index
        )

    def apply(
        self,
        auth: Auth | None,
        scope: Mapping[str, Any],
        *,
        index: int = 0,
        step: str = "",
        header_names: frozenset[str] | set[str] = frozenset(),
    ) -> Applied:
        """The headers and params ``auth`` adds to a request whose own headers are
        ``header_names`` (lower case). A request with its own ``Authorization`` gets nothing
        from basic, bearer, digest or oauth2; one with the API key's header, no API key.

        Raises RenderError, OAuthError, or the pause errors of an authorization."""
        if auth is None or auth.kind == "none":
            return Applied()
        render = self._renderer(scope)
        if auth.kind == "apikey":
            name = render(auth.key or "")
            value = render(auth.value or "")
            self.redactor.add(value)
            if not name:  # as Newman: an API key without a name is not sent
                return Applied()
            if auth.where == "query":
                return Applied(params=[(name, value)])
            if name.lower() in header_names:
                return Applied()
            return Applied(headers=[(name, value)])
        if "authorization" in header_names:
            return Applied()
        if auth.kind == "basic":
            password = render(auth.password or "")
            self.redactor.add(password)
            if not render(auth.username or ""):  # as Newman: no user, no header
                return Applied()
            return Applied(
                headers=[("Authorization", basic_header(render(auth.username or ""), password))]
            )
        if auth.kind == "bearer":
            token = render(auth.token or "")
            self.redactor.add(token)
            if not token:  # as Newman: an empty token sends no header
                return Applied()
            return Applied(headers=[("Authorization", f"Bearer {token}")])
        if auth.kind == "digest":
            password = render(auth.password or "")
            self.redactor.add(password)
            return Applied(digest=(render(auth.username or ""), password))
        if auth.kind == "oauth2" and auth.oauth2 is not None:
            token = self.oauth2.access_token(auth.oauth2, render, index, step, auth.loc)
            return Applied(headers=[("Authorization", f"Bearer {token}")])
        return Applied()

    def sign(
        self, auth: Auth | None, scope: Mapping[str, Any], prepared: PreparedRequest
    ) -> PreparedRequest:
        """``prepared`` signed with OAuth 1.0a when ``auth`` is ``oauth1`` (and the request
        has no ``Authorization`` of its own, for signing in the header); else as it is.
        The secrets and the signature are masked from here on."""
        signed = auth.oauth1 if auth is not None and auth.kind == "oauth1" else None
        if signed is None:
            return prepared
        if signed.where == "header" and any(
            name.lower() == "authorization" for name, _ in prepared.headers
        ):
            return prepared
        from runner.auth.oauth1 import Credentials, sign

        render = self._renderer(scope)

        def opt(text: str | None) -> str:
            return "" if text is None else render(text)

        creds = Credentials(
            consumer_key=render(signed.consumer_key),
            consumer_secret=opt(signed.consumer_secret),
            token=opt(signed.token),
            token_secret=opt(signed.token_secret),
            signature_method=signed.signature_method,
            private_key=opt(signed.private_key),
            realm=opt(signed.realm),
            callback=opt(signed.callback),
            verifier=opt(signed.verifier),
            nonce=opt(signed.nonce),
            timestamp=opt(signed.timestamp),
            version=signed.version,
            where=signed.where,
            body_hash=signed.body_hash,
        )
        for secret in (creds.consumer_secret, creds.token, creds.token_secret, creds.private_key):
            self.redactor.add(secret)
        result = sign(prepared, creds, signed.loc or (auth.loc if auth is not None else None))
        self.redactor.add(result.signature)
        return result.request

    def retry_after_401(self, auth: Auth | None, scope: Mapping[str, Any], index: int = 0) -> bool:
        """After a 401 to a request sent with a token read from the cache: drop that token
        so the next ``apply`` refreshes (or authorizes again), once per token per run. True
        when the request should be sent again."""
        if auth is None or auth.kind != "oauth2" or auth.oauth2 is None:
            return False
        return self.oauth2.drop_after_401(auth.oauth2, self._renderer(scope), index)

    def _renderer(self, scope: Mapping[str, Any]) -> Callable[[str], str]:
        return lambda text: self.renderer.render_str(text, scope)

    def _note(self, index: int, message: str) -> None:
        self.oauth2.note(index, message)


TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")


def learn_token_response(exchange: Exchange, redactor: Redactor) -> None:
    """A response shaped like a token endpoint's (RFC 6749 §5.1, OpenID's id_token): its
    tokens are secrets from the moment they arrive, captured or not, so that no report or
    recorded example shows them."""
    if b"_token" not in exchange.body or "json" not in exchange.content_type.lower():
        return
    try:
        doc = exchange.json()
    except ValueError:
        return
    if isinstance(doc, dict):
        for name in TOKEN_FIELDS:
            value = doc.get(name)
            if isinstance(value, str):
                redactor.add(value)
