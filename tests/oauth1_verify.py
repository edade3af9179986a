"""A server-side OAuth 1.0a signature check (RFC 5849 §3.4), standard library only.

Written apart from oauthlib (which the runner signs with), so a test that passes proves
two independent implementations agree; it is itself checked against the published example
(OAuth Core 1.0 Appendix A.5, the "photos" request) in tests/test_oauth1.py.
Used by the echo stand-in's ``/oauth1`` route.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, unquote_plus, urlsplit

_HEADER_PARAM = re.compile(r'\s*([^=\s,]+)\s*=\s*"([^"]*)"\s*,?')


def enc(text: str) -> str:
    """RFC 5849 §3.6: unreserved characters stay, everything else is %XX (UTF-8)."""
    return quote(text, safe="~")


@dataclass
class Verdict:
    ok: bool
    message: str
    params: dict[str, str] = field(default_factory=dict)  # the oauth_* parameters received
    base_string: str = ""
    where: str = ""  # header, query or body


def header_params(value: str) -> dict[str, str]:
    """The parameters of an ``Authorization: OAuth ...`` header (realm included)."""
    if not value[:6].lower() == "oauth ":
        return {}
    return {unquote(k): unquote(v) for k, v in _HEADER_PARAM.findall(value[6:])}


def _form(text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: METHOD & base string URI & normalized parameters."""
    split = urlsplit(url)
    scheme, host = split.scheme.lower(), (split.hostname or "").lower()
    port = split.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else (f"{host}:{port}")
    )
    uri = f"{scheme}://{netloc}{split.path or '/'}"
    pairs = sorted((enc(k), enc(v)) for k, v in params if k != "oauth_signature")
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), enc(uri), enc(normalized)))


def verify(
    method: str,
    url: str,  # scheme://host:port/path?raw-query, as received
    headers: Mapping[str, str],  # lower-case names
    body: bytes,
    consumers: Mapping[str, str],  # consumer key -> secret
    tokens: Mapping[str, str] | None = None,  # token -> token secret
    rsa_keys: Mapping[str, bytes] | None = None,  # consumer key -> PEM public key
) -> Verdict:
    """Check the request's OAuth 1.0a signature."""
    tokens = tokens or {}
    oauth: dict[str, str] = {}
    where = ""
    params: list[tuple[str, str]] = []
    auth = header_params(headers.get("authorization", ""))
    if auth:
        where = "header"
        oauth = {k: v for k, v in auth.items() if k != "realm"}
        params += [(k, v) for k, v in oauth.items()]
    query = _form(urlsplit(url).query)
    params += query
    form: list[tuple[str, str]] = []
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded" and method.upper() not in ("GET", "HEAD"):
        form = _form(body.decode("utf-8"))
        params += form
    if not where:
        for source, name in ((query, "query"), (form, "body")):
            found = {k: v for k, v in source if k.startswith("oauth_")}
            if "oauth_signature" in found:
                oauth, where = found, name
                break
    if "oauth_signature" not in oauth:
        return Verdict(False, "no OAuth 1.0a parameters")
    key = oauth.get("oauth_consumer_key", "")
    if key not in consumers:
        return Verdict(False, f"unknown consumer key {key!r}", oauth, where=where)
    token_secret = ""
    if "oauth_token" in oauth:
        if oauth["oauth_token"] not in tokens:
            return Verdict(False, "unknown token", oauth, where=where)
        token_secret = tokens[oauth["oauth_token"]]
    if "oauth_body_hash" in oauth:
        name = oauth.get("oauth_signature_method", "").rsplit("-", 1)[-1].lower()
        digest = hashlib.new(name if name in ("sha256", "sha512") else "sha1", body).digest()
        if base64.b64encode(digest).decode() != oauth["oauth_body_hash"]:
            return Verdict(False, "oauth_body_hash does not match the body", oauth, where=where)
    method_name = oauth.get("oauth_signature_method", "")
    text = base_string(method, url, params)
    signing_key = f"{enc(consumers[key])}&{enc(token_secret)}"
    given = oauth["oauth_signature"]
    if method_name == "PLAINTEXT":
        ok = hmac.compare_digest(given, signing_key)
    elif method_name.startswith("HMAC-"):
        algorithm = {"HMAC-SHA1": "sha1", "HMAC-SHA256": "sha256", "HMAC-SHA512": "sha512"}.get(
            method_name
        )
        if algorithm is None:
            return Verdict(False, f"unknown method {method_name}", oauth, text, where)
        mac = hmac.new(signing_key.encode(), text.encode(), algorithm).digest()
        ok = hmac.compare_digest(given, base64.b64encode(mac).decode())
    elif method_name == "RSA-SHA1" and rsa_keys and key in rsa_keys:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        public = serialization.load_pem_public_key(rsa_keys[key])
        assert isinstance(public, rsa.RSAPublicKey)
        try:
            public.verify(base64.b64decode(given), text.encode(), padding.PKCS1v15(), hashes.SHA1())
            ok = True
        except (InvalidSignature, ValueError):
            ok = False
    else:
        return Verdict(False, f"unsupported method {method_name}", oauth, text, where)
    if not ok:
        return Verdict(False, f"{method_name} verification failed", oauth, text, where)
    return Verdict(True, "OAuth-1.0a signature verification was successful", oauth, text, where)
