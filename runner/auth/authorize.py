"""The authorization-code grant's part with a person: the authorize URL shown (or opened),
the redirect taken from a loopback listener (RFC 8252) or pasted, ``state`` checked.

Builds the authorize URL with a fresh ``state`` and PKCE pair; returns the form of the code
exchange, which ``runner.auth.oauth2`` sends to the token endpoint exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from runner.auth.oauth import parse_pasted
from runner.auth.oidc import check_redirect_issuer
from runner.auth.settings import AuthSettings
from runner.auth.token_endpoint import OAuthClient
from runner.core.errors import InputMissingError, SourceLocation
from runner.core.events import BrowserShown, Event
from runner.core.redact import Redactor
from runner.pause.prompts import PauseRequest, Prompter
from runner.render.templates import pkce_challenge, pkce_verifier, random_state

if TYPE_CHECKING:
    from runner.pause.loopback import CallbackListener


# Without a terminal the authorization-code grant cannot be answered with --input: the state
# and the PKCE verifier are new each run, so an earlier redirect (or its spent code) is
# refused. What works in CI is a refresh token obtained once by a person (docs/auth.md).
NO_TERMINAL_HINT = (
    "authorize once where a person and a browser are (`runner run COLLECTION -e ENV --open`),"
    " then give CI the token cache (RUNNER_CACHE_DIR) so it refreshes without a person; or "
    "start from a stored refresh token (grant: refresh_token); see docs/auth.md"
)


class Authorizer:
    """Asks a person to authorize a client; keeps the loopback listeners it opened."""

    def __init__(
        self,
        *,
        redactor: Redactor,
        prompter: Prompter,
        emit: Callable[[Event], None],
        note: Callable[[int, str], None],
        open_url: Callable[[str], object],
        settings: AuthSettings,
    ) -> None:
        self.redactor = redactor
        self.prompter = prompter
        self.emit = emit
        self.note = note
        self.open_url = open_url
        self.settings = settings
        self._listeners: list[CallbackListener] = []

    def close(self) -> None:
        """Close any loopback listener still open."""
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()

    def code_exchange(
        self, client: OAuthClient, index: int, step: str, loc: SourceLocation | None
    ) -> tuple[dict[str, str], str | None]:
        """Browser (or loopback) -> code: the form of the token request that redeems it, and
        the nonce sent (OpenID Connect), which the ID token must carry."""
        assert client.auth_url is not None and client.redirect_uri is not None
        state = random_state()
        nonce = random_state() if client.openid else None
        verifier = pkce_verifier() if client.pkce else None
        url = self._authorize_url(client, state, verifier, nonce)
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
            try:
                raw = self.prompter.ask(request)
            except InputMissingError as exc:
                exc.hint = NO_TERMINAL_HINT
                raise
        finally:
            if listener is not None:
                listener.close()
        self.redactor.add(raw)
        code = parse_pasted(raw, param="code", expected_state=state, loc=loc)
        provider = client.provider
        check_redirect_issuer(
            raw,
            provider.issuer if provider is not None else None,
            provider is not None and provider.iss_parameter_supported,
            loc,
        )
        self.redactor.add(code)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,  # the very string the authorize URL carried
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        return form, nonce

    def _authorize_url(
        self, client: OAuthClient, state: str, verifier: str | None, nonce: str | None
    ) -> str:
        import httpx  # deferred: only the authorization-code grant builds an authorize URL

        assert client.auth_url is not None and client.redirect_uri is not None
        query: list[tuple[str, str]] = [
            ("response_type", "code"),
            ("client_id", client.client_id),
            ("redirect_uri", client.redirect_uri),
        ]
        if client.scopes:
            query.append(("scope", " ".join(client.scopes)))
        query.append(("state", state))
        if nonce is not None:
            query.append(("nonce", nonce))
        query += client.params
        if verifier is not None:
            self.redactor.add(verifier)
            query += [
                ("code_challenge", pkce_challenge(verifier)),
                ("code_challenge_method", "S256"),
            ]
        return str(httpx.URL(client.auth_url).copy_merge_params(tuple(query)))

    def listen(
        self, redirect_uri: str, *, param: str, expected_state: str | None, index: int
    ) -> CallbackListener | None:
        """Open a loopback listener for ``redirect_uri`` when it is a loopback address with a
        port (RFC 8252 §7.3); None (paste only) otherwise or when the port is taken."""
        from runner.pause.loopback import CallbackListener, loopback_target

        if loopback_target(redirect_uri) is None:
            return None
        preset = getattr(self.prompter, "preset", None)
        if callable(preset) and preset(param) is not None:
            return None  # given with --input: nobody is redirected, nothing to listen for
        try:
            listener = CallbackListener(
                redirect_uri,
                param=param,
                expected_state=expected_state,
                timeout=self.settings.callback_timeout,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.note(index, f"cannot listen on {redirect_uri} ({reason}); paste the redirect URL")
            return None
        self._listeners.append(listener)
        self.note(
            index,
            f"listening on {listener.url} for the browser's redirect "
            f"(for {self.settings.callback_timeout:g} s)",
        )
        return listener
