"""OpenID Connect for the ``oauth2`` block: the provider's endpoints discovered from its
issuer, ID tokens verified, and the redirect's ``iss`` checked (RFC 9207).

Why each check (OpenID Connect Core 1.0 §3.1.3.7, Discovery 1.0 §4.3):

- discovery: the document's ``issuer`` must be exactly the issuer asked for, or an attacker's
  document could name its own endpoints;
- the ID token's signature is checked with a key of the provider's JWKS, by PyJWT (a
  maintained JOSE library, imported only here); only asymmetric algorithms, so neither
  ``none`` nor an HMAC keyed with a public key is ever accepted;
- ``iss``, ``aud`` (and ``azp`` with several audiences), ``exp`` and the ``nonce`` this
  authorization sent must match: a token minted for another client, another login or
  another provider is refused;
- ``iss`` on the redirect (RFC 9207) defends a client that talks to several servers against
  the mix-up attack (RFC 9700 §4.4).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from runner.auth.settings import AuthSettings
from runner.core.errors import PauseRefusedError, RunnerError, SourceLocation, TransportError
from runner.core.redact import Redactor

# Algorithms an ID token may be signed with: public-key ones only (RFC 8725 §3.1).
ID_TOKEN_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
LEEWAY_S = 60  # clock skew allowed on exp and iat


class OIDCError(RunnerError):
    """Discovery failed, or an ID token did not verify."""

    kind = "oauth"


@dataclass(frozen=True, slots=True)
class Provider:
    """What an OpenID provider's ``/.well-known/openid-configuration`` says."""

    issuer: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    jwks_uri: str | None = None
    device_authorization_endpoint: str | None = None
    iss_parameter_supported: bool = False


def fetch_json(url: str, what: str, settings: AuthSettings, redactor: Redactor) -> dict[str, Any]:
    """GET a JSON document (discovery, JWKS) through the run's transport. Raises OIDCError."""
    from runner.http.transport import PreparedRequest, Transport

    request = PreparedRequest(
        method="GET",
        url=url,
        headers=(("Accept", "application/json"),),
        timeout=settings.timeout,
        follow_redirects=False,
    )
    try:
        with Transport(timeout=settings.timeout, verify=settings.verify) as transport:
            exchange = transport.send(request)
    except TransportError as exc:
        raise OIDCError(f"{what} at {url} failed: {redactor.mask(exc.message)}") from None
    try:
        doc = exchange.json() if exchange.status == 200 else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise OIDCError(f"{what} at {url} failed: HTTP {exchange.status}, not a JSON object")
    return doc


def discover(issuer: str, settings: AuthSettings, redactor: Redactor) -> Provider:
    """The provider's endpoints from ``{issuer}/.well-known/openid-configuration``."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    doc = fetch_json(url, "OpenID discovery", settings, redactor)
    if doc.get("issuer") != issuer:
        raise OIDCError(
            f"OpenID discovery at {url} names the issuer {doc.get('issuer')!r}, not {issuer!r}",
            hint="the issuer must be given exactly as the provider states it (OpenID "
            "Connect Discovery §4.3)",
        )

    def endpoint(name: str) -> str | None:
        value = doc.get(name)
        return value if isinstance(value, str) and value else None

    return Provider(
        issuer=issuer,
        authorization_endpoint=endpoint("authorization_endpoint"),
        token_endpoint=endpoint("token_endpoint"),
        jwks_uri=endpoint("jwks_uri"),
        device_authorization_endpoint=endpoint("device_authorization_endpoint"),
        iss_parameter_supported=doc.get("authorization_response_iss_parameter_supported") is True,
    )


def verify_id_token(
    id_token: str,
    provider: Provider,
    client_id: str,
    nonce: str | None,
    settings: AuthSettings,
    redactor: Redactor,
) -> dict[str, Any]:
    """The ID token's claims, once its signature (a key of the provider's JWKS), issuer,
    audience, expiry and ``nonce`` (when one was sent) are verified. Raises OIDCError."""
    try:
        import jwt  # PyJWT with its crypto extra: oauthlib[signedtoken]
    except ImportError:
        raise OIDCError(
            "verifying an ID token needs PyJWT with cryptography",
            hint="pip install 'runner[oidc]'",
        ) from None
    if provider.jwks_uri is None:
        raise OIDCError(f"the OpenID provider {provider.issuer} publishes no jwks_uri")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise OIDCError(f"the ID token is not a JWT: {exc}") from None
    algorithm = header.get("alg")
    if algorithm not in ID_TOKEN_ALGORITHMS:
        raise OIDCError(f"the ID token is signed with {algorithm!r}, which is not accepted")
    jwks = fetch_json(provider.jwks_uri, "the provider's JWKS", settings, redactor)
    try:
        keys = jwt.PyJWKSet.from_dict(jwks).keys
    except jwt.PyJWTError as exc:
        raise OIDCError(f"the provider's JWKS at {provider.jwks_uri} is unusable: {exc}") from None
    kid = header.get("kid")
    candidates = [key for key in keys if kid is None or key.key_id == kid]
    if not candidates:
        raise OIDCError(f"no key of the provider's JWKS has the ID token's kid {kid!r}")
    failure: Exception | None = None
    for key in candidates:
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key.key,
                algorithms=[algorithm],
                audience=client_id,
                issuer=provider.issuer,
                leeway=LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
            break
        except jwt.InvalidSignatureError as exc:
            failure = exc  # another key with this kid (or none) may be the one
        except jwt.PyJWTError as exc:
            raise OIDCError(f"the ID token was refused: {exc}") from None
    else:
        raise OIDCError(f"the ID token was refused: {failure}")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OIDCError("the ID token has several audiences and its azp is not this client")
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise OIDCError(
                "the ID token's nonce is not the one this authorization sent (a replayed "
                "or injected token); refused"
            )
    return claims


def check_redirect_issuer(
    raw: str, expected: str | None, required: bool, loc: SourceLocation | None
) -> None:
    """RFC 9207: the redirect's ``iss`` must be the issuer the request went to; a provider
    that says it sends ``iss`` must send it. A bare code (no URL) carries none."""
    if "://" not in raw and not raw.lstrip().startswith("?"):
        return
    try:
        query = parse_qs(urlsplit(raw.strip()).query, keep_blank_values=True)
    except ValueError:
        return  # parse_pasted already refused it
    got = query.get("iss", [None])[0]
    if got is None:
        if required and expected is not None:
            raise PauseRefusedError(
                f"the redirect has no 'iss', which {expected} says it sends (RFC 9207); refused",
                loc,
                "authorize again with the URL this run printed",
            )
        return
    if expected is not None and not hmac.compare_digest(got.encode(), expected.encode()):
        raise PauseRefusedError(
            f"the redirect comes from the issuer {got!r}, not {expected!r} (a mix-up attack, "
            "RFC 9207); refused before any token request",
            loc,
            "authorize again with the URL this run printed",
        )
