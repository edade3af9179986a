"""Apply a request's ``auth``: basic, bearer, API key, digest, and OAuth 2.0 with a token cache.

The engine hands each request's effective auth (request -> nearest folder -> collection) to
``AuthSession.apply``, which returns the headers and query parameters to add. For
``oauth2`` it obtains the access token before the first request that needs it, the way
Postman's OAuth 2.0 helper does, and keeps it:

- a valid cached token (``runner.auth.tokens``) is reused, with no browser;
- one about to expire is refreshed with its refresh token, and a rotated refresh token is
  saved before the new access token is used;
- a refused refresh (``invalid_grant``) goes back to the grant (for ``authorization_code``:
  the browser) and says why;
- the authorization-code grant builds the authorize URL with a fresh ``state`` and PKCE pair,
  listens on a loopback redirect URI (``runner.pause.loopback``) while also taking a pasted URL,
  checks ``state``, stops on an ``error=`` redirect, and redeems the code exactly once: the
  token request is never retried, and a failure is not tried again in the same run.

Token requests go through ``runner.http.transport`` like every request of a run; the client
secret, code, verifier and tokens are registered with the run's ``Redactor`` as soon as
they exist.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from runner.auth.oauth import parse_pasted
from runner.core.errors import PauseError, RunnerError, SourceLocation, TransportError
from runner.core.events import AuthNote, BrowserShown, Event
from runner.core.model import Auth, OAuth2
from runner.core.redact import Redactor, token_request_secrets
from runner.pause.prompts import PauseRequest, Prompter
from runner.render.templates import Renderer, pkce_challenge, pkce_verifier, random_state

if TYPE_CHECKING:  # runner.auth.tokens is imported when an oauth2 step first needs a token
    from runner.auth.tokens import TokenCache, TokenKey, TokenSet
    from runner.http.transport import Exchange, PreparedRequest
    from runner.pause.loopback import CallbackListener

_FORM = "application/x-www-form-urlencoded"
_HINTS = {
    "invalid_client": "check client_id and client_secret, and client_auth (basic or body)",
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
            *flow.scopes,
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


@dataclass(frozen=True, slots=True)
class _Client:
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


@dataclass(slots=True)
class _Held:
    token: TokenSet
    from_cache: bool  # read from the cache this run (not obtained or refreshed by it)


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """What the auth helper needs from the run's options."""

    timeout: float = 30.0
    verify: bool | str = True
    open_browser: bool = False
    callback_timeout: float = 300.0
    token_cache: bool = True
    environ: Mapping[str, str] | None = None


class AuthSession:
    """Applies auth for one run; keeps the run's tokens and what failed."""

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
        self.prompter = prompter
        self.emit = emit
        self.open_url = open_url
        self.settings = settings
        self.environment = environment
        self._cache = cache
        self._held: dict[TokenKey, _Held] = {}
        self._failed: dict[TokenKey, str] = {}
        self._retried: set[TokenKey] = set()
        self._listeners: list[CallbackListener] = []
        # parallel iterations share the run's tokens: one obtains, the others wait for it
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

    def close(self) -> None:
        """Close any loopback listener still open."""
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()

    # -- applying ----------------------------------------------------------------------------
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
            return Applied(
                headers=[("Authorization", basic_header(render(auth.username or ""), password))]
            )
        if auth.kind == "bearer":
            token = render(auth.token or "")
            self.redactor.add(token)
            return Applied(headers=[("Authorization", f"Bearer {token}")])
        if auth.kind == "digest":
            password = render(auth.password or "")
            self.redactor.add(password)
            return Applied(digest=(render(auth.username or ""), password))
        if auth.kind == "oauth2" and auth.oauth2 is not None:
            token = self._access_token(auth.oauth2, scope, index, step, auth.loc)
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
        try:
            client = self._client(auth.oauth2, scope)
        except RunnerError:
            return False
        key = self._key(client)
        with self._lock:
            held = self._held.get(key)
            if held is None or not held.from_cache or key in self._retried:
                return False
            self._retried.add(key)
            held.token = replace(held.token, expires_at=0.0, lifetime=None)
        self._note(index, "the cached access token was refused (HTTP 401); getting a new one")
        return True

    # -- OAuth 2.0 ---------------------------------------------------------------------------
    def _access_token(
        self,
        flow: OAuth2,
        scope: Mapping[str, Any],
        index: int,
        step: str,
        loc: SourceLocation | None,
    ) -> str:
        with self._lock:
            return self._access_token_locked(flow, scope, index, step, loc)

    def _access_token_locked(
        self,
        flow: OAuth2,
        scope: Mapping[str, Any],
        index: int,
        step: str,
        loc: SourceLocation | None,
    ) -> str:
        client = self._client(flow, scope)
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

    def _token(
        self, client: _Client, key: TokenKey, index: int, step: str, loc: SourceLocation | None
    ) -> TokenSet:
        held = self._held.get(key)
        if held is None:
            cached = self.cache.load(key)
            if cached is not None:
                self._register(cached)
                held = _Held(cached, from_cache=True)
                self._held[key] = held
                if cached.fresh():
                    self._note(index, f"using the cached access token{_expiry(cached)}")
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
        self, client: _Client, key: TokenKey, old: TokenSet, index: int
    ) -> TokenSet | None:
        """Refresh with the refresh token; None when the server refused it (invalid_grant)."""
        with self.cache.locked(key):
            latest = self.cache.load(key)
            if latest is not None and latest.access_token != old.access_token and latest.fresh():
                self._register(latest)  # another run refreshed it meanwhile
                self._held[key] = _Held(latest, from_cache=True)
                self._note(index, f"using the access token another run refreshed{_expiry(latest)}")
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
                self._note(index, f"the refresh token was refused ({exc.message}); {again}")
                return None
            token = _token_set(doc)
            if token.refresh_token is None:  # RFC 6749 §6: no new one issued, the old one stays
                token.refresh_token = refresh_token
            self._keep(key, client, token, index)  # saved before it is used (rotation)
            self._note(index, f"refreshed the access token{_expiry(token)}")
            return token

    def _obtain(
        self, client: _Client, index: int, step: str, loc: SourceLocation | None
    ) -> TokenSet:
        if client.grant == "authorization_code":
            doc = self._authorize(client, index, step, loc)
        else:
            form = {"grant_type": client.grant}
            if client.grant == "account_credentials" and client.account_id is not None:
                form["account_id"] = client.account_id
            if client.grant == "refresh_token" and client.refresh_token is not None:
                form["refresh_token"] = client.refresh_token
            if client.scopes and client.grant != "refresh_token":
                form["scope"] = " ".join(client.scopes)
            doc = self._token_request(client, form, f"the token request ({client.grant})")
        token = _token_set(doc)
        self._note(
            index,
            f"obtained an access token from {client.token_url} ({client.grant}){_expiry(token)}",
        )
        return token

    def _authorize(
        self, client: _Client, index: int, step: str, loc: SourceLocation | None
    ) -> dict[str, Any]:
        """The authorization-code grant: browser (or loopback) -> code -> one token request."""
        import httpx  # deferred: only the authorization-code grant builds an authorize URL

        assert client.auth_url is not None and client.redirect_uri is not None
        state = random_state()
        verifier = pkce_verifier() if client.pkce else None
        query: list[tuple[str, str]] = [
            ("response_type", "code"),
            ("client_id", client.client_id),
            ("redirect_uri", client.redirect_uri),
        ]
        if client.scopes:
            query.append(("scope", " ".join(client.scopes)))
        query.append(("state", state))
        if verifier is not None:
            self.redactor.add(verifier)
            query += [
                ("code_challenge", pkce_challenge(verifier)),
                ("code_challenge_method", "S256"),
            ]
        url = str(httpx.URL(client.auth_url).copy_merge_params(tuple(query)))
        listener = self.listen(client.redirect_uri, param="code", expected_state=state, index=index)
        try:
            opened = bool(self.open_url(url)) if self.settings.open_browser else False
            name = f"Authorize {client.client_id}" + (f" (for '{step}')" if step else "")
            self.emit(BrowserShown(index, name, self.redactor.mask(url), opened))
            request = PauseRequest(
                step=name,
                variable="code",
                loc=loc or SourceLocation("<auth>", 1),
                prompt="Paste the URL your browser was redirected to",
                from_url="code",
                browser_url=url,
                secret=True,
                callback=listener,
                browser_opened=opened,
            )
            raw = self.prompter.ask(request)
        finally:
            if listener is not None:
                listener.close()
        self.redactor.add(raw)
        code = parse_pasted(raw, param="code", expected_state=state, loc=loc)
        self.redactor.add(code)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,  # the very string the authorize URL carried
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        return self._token_request(client, form, "the code exchange")

    def listen(
        self, redirect_uri: str, *, param: str, expected_state: str | None, index: int
    ) -> CallbackListener | None:
        """Open a loopback listener for ``redirect_uri`` when it is a loopback address with a
        port (RFC 8252 §7.3); None (paste only) otherwise or when the port is taken."""
        from runner.pause.loopback import CallbackListener, loopback_target

        if loopback_target(redirect_uri) is None:
            return None
        try:
            listener = CallbackListener(
                redirect_uri,
                param=param,
                expected_state=expected_state,
                timeout=self.settings.callback_timeout,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._note(index, f"cannot listen on {redirect_uri} ({reason}); paste the redirect URL")
            return None
        self._listeners.append(listener)
        self._note(
            index,
            f"listening on {listener.url} for the browser's redirect "
            f"(for {self.settings.callback_timeout:g} s)",
        )
        return listener

    def _token_request(self, client: _Client, form: dict[str, str], what: str) -> dict[str, Any]:
        """POST to the token endpoint once (never retried: a code is single use)."""
        from runner.http.transport import PreparedRequest, Transport

        headers = [("Accept", "application/json"), ("Content-Type", _FORM)]
        body = dict(form)
        if client.client_secret and client.client_auth == "basic":
            headers.append(("Authorization", basic_header(client.client_id, client.client_secret)))
        else:  # client_secret_post, or a public client (client_id only)
            body["client_id"] = client.client_id
            if client.client_secret:
                body["client_secret"] = client.client_secret
        self.redactor.add(token_request_secrets(body.items()))  # the code, the verifier...
        request = PreparedRequest(
            method="POST",
            url=client.token_url,
            headers=tuple(headers),
            content=urlencode(body).encode("ascii"),
            timeout=self.settings.timeout,
            follow_redirects=False,
        )
        try:
            with Transport(timeout=self.settings.timeout, verify=self.settings.verify) as transport:
                exchange = transport.send(request)
        except TransportError as exc:
            raise OAuthError(
                f"{what} at {client.token_url} failed: {self.redactor.mask(exc.message)}",
                hint="it was not retried (a code is single use); run again",
            ) from None
        try:
            doc = exchange.json()
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            for name in ("access_token", "refresh_token", "id_token"):
                self.redactor.add(doc.get(name))
        if exchange.status != 200 or not isinstance(doc, dict) or not doc.get("access_token"):
            error = doc.get("error") if isinstance(doc, dict) else None
            error = error if isinstance(error, str) and error else None
            detail = ""
            if isinstance(doc, dict):
                description = doc.get("error_description") or doc.get("reason")
                if isinstance(description, str) and description:
                    detail = f": {description}"
            if error is not None:
                message = f"{what} was refused: {error}{detail} (HTTP {exchange.status})"
            else:
                message = f"{what} failed: HTTP {exchange.status}, no access_token in the response"
            raise OAuthError(self.redactor.mask(message), hint=_HINTS.get(error or ""), error=error)
        token_type = str(doc.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise OAuthError(
                f"{what} gave a token of type {token_type!r}; only bearer tokens are supported"
            )
        return doc

    # -- helpers -----------------------------------------------------------------------------
    def _renderer(self, scope: Mapping[str, Any]) -> Callable[[str], str]:
        return lambda text: self.renderer.render_str(text, scope)

    def _client(self, flow: OAuth2, scope: Mapping[str, Any]) -> _Client:
        render = self._renderer(scope)

        def opt(text: str | None) -> str | None:
            return None if text is None else render(text)

        scopes: list[str] = []
        for item in flow.scopes:
            scopes.extend(render(item).split())
        client = _Client(
            grant=flow.grant,
            token_url=render(flow.token_url),
            client_id=render(flow.client_id),
            auth_url=opt(flow.auth_url),
            client_secret=opt(flow.client_secret),
            scopes=tuple(scopes),
            redirect_uri=opt(flow.redirect_uri),
            pkce=flow.pkce,
            client_auth=flow.client_auth,
            account_id=opt(flow.account_id),
            refresh_token=opt(flow.refresh_token),
        )
        self.redactor.add(client.client_secret)
        self.redactor.add(client.refresh_token)
        for name, url in (("token_url", client.token_url), ("auth_url", client.auth_url)):
            if url is not None and (
                urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc
            ):
                raise OAuthError(
                    f"oauth2 {name} must be an absolute http(s) URL, not {url!r}", flow.loc
                )
        return client

    def _key(self, client: _Client) -> TokenKey:
        from runner.auth.tokens import TokenKey

        return TokenKey.make(client.token_url, client.client_id, client.scopes, self.environment)

    def _keep(self, key: TokenKey, client: _Client, token: TokenSet, index: int) -> None:
        self._register(token)
        self._held[key] = _Held(token, from_cache=False)
        from runner.auth.tokens import TokenCacheError

        try:
            self.cache.save(key, token, client.grant)
        except (TokenCacheError, OSError) as exc:  # the run goes on with the token it has
            reason = exc.message if isinstance(exc, TokenCacheError) else str(exc)
            self._note(index, f"the token is kept for this run only: {reason}")

    def _register(self, token: TokenSet) -> None:
        self.redactor.add(token.access_token)
        self.redactor.add(token.refresh_token)

    def _note(self, index: int, message: str) -> None:
        self.emit(AuthNote(index, self.redactor.mask(message)))


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


def basic_header(username: str, password: str) -> str:
    """``Basic base64(username:password)`` (RFC 7617), as Zoom and Postman send it."""
    pair = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _token_set(doc: dict[str, Any]) -> TokenSet:
    from runner.auth.tokens import TokenSet

    return TokenSet.from_response(doc)


def _expiry(token: TokenSet) -> str:
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


def settings_from(options: Any) -> AuthSettings:
    """The auth settings of a ``RunOptions`` (read by name, so older options objects work)."""
    return AuthSettings(
        timeout=float(getattr(options, "timeout", 30.0)),
        verify=getattr(options, "verify", True),
        open_browser=bool(getattr(options, "open_browser", False)),
        callback_timeout=float(getattr(options, "callback_timeout", 300.0)),
        token_cache=bool(getattr(options, "token_cache", True)),
        environ=os.environ if getattr(options, "environ", None) is None else options.environ,
    )
