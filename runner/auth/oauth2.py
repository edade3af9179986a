"""OAuth 2.0 access tokens for a run: obtained before the first request that needs one, the
way Postman's OAuth 2.0 helper does, and kept.

- a valid cached token (``runner.auth.tokens``) is reused, with no browser;
- one about to expire is refreshed with its refresh token, and a rotated refresh token is
  saved before the new access token is used;
- a refused refresh (``invalid_grant``) goes back to the grant (for ``authorization_code``:
  the browser, runner.auth.authorize) and says why;
- a grant that failed is not tried again in the same run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runner.auth.authorize import Authorizer
from runner.auth.oidc import OIDCError, Provider, discover, verify_id_token
from runner.auth.settings import AuthSettings
from runner.auth.token_endpoint import (
    OAuthClient,
    OAuthError,
    expiry,
    render_client,
    token_request,
    token_set,
)
from runner.core.errors import PauseError, RunnerError, SourceLocation
from runner.core.events import AuthNote, Event
from runner.core.model import OAuth2
from runner.core.redact import Redactor

if TYPE_CHECKING:  # runner.auth.tokens is imported when an oauth2 step first needs a token
    from runner.auth.tokens import TokenCache, TokenKey, TokenSet


@dataclass(slots=True)
class _Held:
    token: TokenSet
    from_cache: bool  # read from the cache this run (not obtained or refreshed by it)


class OAuth2Tokens:
    """The run's OAuth 2.0 tokens and what failed; parallel iterations share them (one
    obtains, the others wait for it)."""

    def __init__(
        self,
        *,
        redactor: Redactor,
        emit: Callable[[Event], None],
        settings: AuthSettings,
        authorizer: Authorizer,
        environment: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        self.redactor = redactor
        self.emit = emit
        self.settings = settings
        self.authorizer = authorizer
        self.environment = environment
        self._cache = cache
        self._held: dict[TokenKey, _Held] = {}
        self._failed: dict[TokenKey, str] = {}
        self._retried: set[TokenKey] = set()
        self._providers: dict[str, Provider] = {}
        self._lock = threading.RLock()

    @property
    def cache(self) -> TokenCache:
        """The token cache, opened on first use (runs without oauth2 never touch it)."""
        if self._cache is None:
            from runner.auth.tokens import TokenCache

            if self.settings.token_cache:
                self._cache = TokenCache.default(self.settings.environ)
            else:
                self._cache = TokenCache(None)
        return self._cache

    def note(self, index: int, message: str) -> None:
        """Tell the reports what the auth helper did for step ``index``."""
        self.emit(AuthNote(index, self.redactor.mask(message)))

    def provider(self, issuer: str) -> Provider:
        """The OpenID provider at ``issuer``, discovered once per run."""
        with self._lock:
            if issuer not in self._providers:
                self._providers[issuer] = discover(issuer, self.settings, self.redactor)
            return self._providers[issuer]

    def client(self, flow: OAuth2, render: Callable[[str], str]) -> OAuthClient:
        """``flow`` rendered, its endpoints discovered when it names an issuer."""
        return render_client(flow, render, self.redactor, self.provider)

    def access_token(
        self,
        flow: OAuth2,
        render: Callable[[str], str],
        index: int,
        step: str,
        loc: SourceLocation | None,
    ) -> str:
        """The access token for ``flow`` (rendered with ``render``): held, cached, refreshed
        or obtained. Raises RenderError, OAuthError or the pause errors of an authorization."""
        with self._lock:
            try:
                client = self.client(flow, render)
            except OIDCError as exc:
                raise OAuthError(exc.message, exc.location or loc, exc.hint) from None
            key = self._key(client)
            failed = self._failed.get(key)
            if failed is not None:
                raise OAuthError(
                    f"{failed} (earlier in this run; not tried again)",
                    loc,
                    "fix the cause, then run again",
                )
            try:
                token = self._token(client, key, index, step, loc)
            except (OAuthError, PauseError) as exc:
                self._failed[key] = exc.message
                if exc.location is None:
                    exc.location = loc
                raise
            return token.access_token

    def drop_after_401(self, flow: OAuth2, render: Callable[[str], str], index: int) -> bool:
        """After a 401 to a request sent with a token read from the cache: drop that token
        so the next request refreshes (or authorizes again), once per token per run. True
        when the request should be sent again."""
        try:
            client = self.client(flow, render)
        except RunnerError:
            return False
        key = self._key(client)
        with self._lock:
            held = self._held.get(key)
            if held is None or not held.from_cache or key in self._retried:
                return False
            self._retried.add(key)
            held.token = replace(held.token, expires_at=0.0, lifetime=None)
        self.note(index, "the cached access token was refused (HTTP 401); getting a new one")
        return True

    def _token(
        self, client: OAuthClient, key: TokenKey, index: int, step: str, loc: SourceLocation | None
    ) -> TokenSet:
        held = self._held.get(key)
        if held is None:
            cached = self.cache.load(key)
            if cached is not None:
                self._register(cached)
                held = _Held(cached, from_cache=True)
                self._held[key] = held
                if cached.fresh():
                    self.note(index, f"using the cached access token{expiry(cached)}")
        if held is not None and held.token.fresh():
            return held.token
        if held is not None and held.token.refresh_token:
            refreshed = self._refresh(client, key, held.token, index)
            if refreshed is not None:
                return refreshed
        token = self._obtain(client, index, step, loc)
        self._keep(key, client, token, index)
        return token

    def _refresh(
        self, client: OAuthClient, key: TokenKey, old: TokenSet, index: int
    ) -> TokenSet | None:
        """Refresh with the refresh token; None when the server refused it (invalid_grant)."""
        with self.cache.locked(key):
            latest = self.cache.load(key)
            if latest is not None and latest.access_token != old.access_token and latest.fresh():
                self._register(latest)  # another run refreshed it meanwhile
                self._held[key] = _Held(latest, from_cache=True)
                self.note(index, f"using the access token another run refreshed{expiry(latest)}")
                return latest
            refresh_token = (latest.refresh_token if latest else None) or old.refresh_token
            assert refresh_token is not None
            self.redactor.add(refresh_token)
            try:
                doc = self._token_request(
                    client,
                    {"grant_type": "refresh_token", "refresh_token": refresh_token},
                    "the token refresh",
                )
            except OAuthError as exc:
                if exc.error != "invalid_grant":
                    raise
                self.cache.delete(key)
                self._held.pop(key, None)
                again = (
                    "authorizing again"
                    if client.grant == "authorization_code"
                    else "requesting a new token"
                )
                self.note(index, f"the refresh token was refused ({exc.message}); {again}")
                return None
            self._check_id_token(client, doc, nonce=None)
            token = token_set(doc)
            if token.refresh_token is None:  # RFC 6749 §6: no new one issued, the old one stays
                token.refresh_token = refresh_token
            self._keep(key, client, token, index)  # saved before it is used (rotation)
            self.note(index, f"refreshed the access token{expiry(token)}")
            return token

    def _obtain(
        self, client: OAuthClient, index: int, step: str, loc: SourceLocation | None
    ) -> TokenSet:
        if client.grant == "authorization_code":
            form, nonce = self.authorizer.code_exchange(client, index, step, loc)
            doc = self._token_request(client, form, "the code exchange")
            self._check_id_token(client, doc, nonce=nonce, index=index, required=client.openid)
        else:
            form = {"grant_type": client.grant}
            if client.grant == "account_credentials" and client.account_id is not None:
                form["account_id"] = client.account_id
            if client.grant == "refresh_token" and client.refresh_token is not None:
                form["refresh_token"] = client.refresh_token
            if client.scopes and client.grant != "refresh_token":
                form["scope"] = " ".join(client.scopes)
            doc = self._token_request(client, form, f"the token request ({client.grant})")
        token = token_set(doc)
        self.note(
            index,
            f"obtained an access token from {client.token_url} ({client.grant}){expiry(token)}",
        )
        return token

    def _check_id_token(
        self,
        client: OAuthClient,
        doc: dict[str, Any],
        *,
        nonce: str | None,
        index: int = 0,
        required: bool = False,
    ) -> None:
        """OpenID Connect: the token response's ID token verified against the provider's
        keys (and this authorization's nonce). Raises OAuthError."""
        id_token = doc.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            if required:
                raise OAuthError(
                    "the code exchange asked for openid but the answer has no id_token",
                    hint="OpenID Connect Core §3.1.3.3: the provider must return an ID token",
                )
            return
        if client.provider is None:
            if required:
                self.note(index, "the ID token is not verified: give the oauth2 block an issuer")
            return
        try:
            claims = verify_id_token(
                id_token, client.provider, client.client_id, nonce, self.settings, self.redactor
            )
        except OIDCError as exc:
            raise OAuthError(exc.message, hint="nothing was cached; run again") from None
        if required:
            self.note(index, f"verified the ID token of {claims['sub']!r} from {claims['iss']}")

    def _token_request(
        self, client: OAuthClient, form: dict[str, str], what: str
    ) -> dict[str, Any]:
        return token_request(client, form, what, self.settings, self.redactor)

    def _key(self, client: OAuthClient) -> TokenKey:
        from runner.auth.tokens import TokenKey

        return TokenKey.make(client.token_url, client.client_id, client.scopes, self.environment)

    def _keep(self, key: TokenKey, client: OAuthClient, token: TokenSet, index: int) -> None:
        self._register(token)
        self._held[key] = _Held(token, from_cache=False)
        from runner.auth.tokens import TokenCacheError

        try:
            self.cache.save(key, token, client.grant)
        except (TokenCacheError, OSError) as exc:  # the run goes on with the token it has
            reason = exc.message if isinstance(exc, TokenCacheError) else str(exc)
            self.note(index, f"the token is kept for this run only: {reason}")

    def _register(self, token: TokenSet) -> None:
        self.redactor.add(token.access_token)
        self.redactor.add(token.refresh_token)
