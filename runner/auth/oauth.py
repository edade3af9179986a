"""OAuth 2.0 authorization-code helpers: read what a person pasted after authorizing.

RFC 6749 §4.1.2: the redirect carries ``code`` and the exact ``state`` we sent; an
``error`` redirect (§4.1.2.1) ends the flow. A bare code (no URL, so no state) is accepted:
PKCE binds it to this run (RFC 9700 §2.1).
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from runner.core.errors import PauseRefusedError, SourceLocation


def looks_like_url(value: str, param: str = "code") -> bool:
    """A redirect URL, a query string, or ``code=...`` rather than a bare value."""
    return "://" in value or value.startswith(("?", f"{param}=")) or ("=" in value and "&" in value)


def parse_pasted(
    value: str, *, param: str, expected_state: str | None, loc: SourceLocation | None = None
) -> str:
    """Return the value of ``param`` from a pasted redirect URL, or the pasted value itself.

    Raises PauseRefusedError on an OAuth error redirect, a missing parameter, or a ``state``
    that differs from ``expected_state`` (compared in constant time)."""
    value = value.strip()
    if not value:  # an empty paste would send an empty code to the token endpoint
        raise PauseRefusedError(
            f"nothing was pasted: expected the redirect URL or the '{param}' value",
            loc,
            "paste the whole redirect URL from the browser's address bar",
        )
    if not looks_like_url(value, param):
        return value
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. "http://[::1/?code=c": an unclosed IPv6 bracket
        raise PauseRefusedError(
            f"the pasted URL cannot be parsed: {exc}",
            loc,
            "paste the whole redirect URL from the browser's address bar",
        ) from None
    query = parse_qs(parts.query or value.lstrip("?"), keep_blank_values=True)
    fragment = parse_qs(parts.fragment, keep_blank_values=True)
    for name in (param, "state", "error"):  # a redirect carries each once (RFC 6749 §3.1)
        if len(query.get(name, [])) + len(fragment.get(name, [])) > 1:
            raise PauseRefusedError(
                f"the pasted URL gives '{name}' more than once; refused",
                loc,
                "paste the redirect URL exactly as the browser shows it",
            )
    fields = {k: v[0] for k, v in {**fragment, **query}.items() if v}
    # The state first, on error redirects too: an error that is not this run's answer is not
    # trusted either (a forged access_denied could otherwise end the run).
    if expected_state is not None:
        got = fields.get("state")
        if got is None:
            raise PauseRefusedError(
                "the pasted URL has no 'state'; it may not come from this run's authorization",
                loc,
                "authorize again with the URL this run printed, then paste its redirect",
            )
        if not hmac.compare_digest(got.encode(), expected_state.encode()):
            raise PauseRefusedError(
                "the pasted URL's 'state' does not match this run's (possible CSRF); refused",
                loc,
                "authorize again with the URL this run printed, then paste its redirect",
            )
    if "error" in fields:
        description = fields.get("error_description", "")
        raise PauseRefusedError(
            f"authorization failed: {fields['error']}"
            + (f": {description}" if description else ""),
            loc,
            "the authorization server refused; nothing more was sent",
        )
    if param not in fields or not fields[param]:
        raise PauseRefusedError(
            f"the pasted URL has no '{param}' parameter",
            loc,
            f"paste the whole redirect URL, or just the {param}",
        )
    return fields[param]
