"""``private_key_jwt`` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the
client proves who it is with a short-lived JWT signed by its private key, so no shared secret
travels or sits in a CI secret store.

The JWT is signed by PyJWT (the ``oidc`` extra), imported only here; the algorithm follows
the key (RSA: RS256, EC: ES256/384/512 by curve, Ed25519: EdDSA). Each assertion has a fresh
``jti`` and lives two minutes, so a captured one is of little use.
"""

from __future__ import annotations

import secrets
import time

from runner.core.errors import RunnerError

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME_S = 120
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


class ClientAssertionError(RunnerError):
    """The client assertion key cannot sign (not a PEM private key, or PyJWT is missing)."""

    kind = "oauth"


def client_assertion(pem: str, client_id: str, audience: str, now: float | None = None) -> str:
    """A signed client assertion: ``iss`` and ``sub`` the client, ``aud`` the token endpoint
    (the audience OpenID Connect Core §9 names), a fresh ``jti``, two minutes of life."""
    try:
        import jwt
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError:
        raise ClientAssertionError(
            "private_key_jwt needs PyJWT with cryptography", hint="pip install 'runner[oidc]'"
        ) from None
    try:
        key = load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError) as exc:
        raise ClientAssertionError(
            f"the client_assertion_key is not an unencrypted PEM private key: {exc}"
        ) from None
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": secrets.token_urlsafe(24),
        "iat": issued,
        "exp": issued + LIFETIME_S,
    }
    return jwt.encode(claims, key, algorithm=_algorithm(key))  # type: ignore[arg-type]


def _algorithm(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _EC_ALGORITHMS:
        return _EC_ALGORITHMS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ClientAssertionError(
        "the client_assertion_key must be an RSA, EC (P-256, P-384, P-521) or Ed25519 key"
    )
