"""OAuth 1.0a request signing (RFC 5849) for ``auth: {type: oauth1}``.

The signature covers the request as sent: method, URL with its query, and a form body. So
the engine signs the fully rendered request last, after pre-request scripts changed it
(``AuthSession.sign``). The signature base string and the signing are oauthlib's, imported
on the first signed request; this module only decides what Postman decides: where the
``oauth_*`` parameters go, the body hash, a version left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runner.core.errors import RunnerError, SourceLocation
from runner.core.model import OAUTH1_PLACEMENTS, OAUTH1_SIGNATURE_METHODS

if TYPE_CHECKING:
    from runner.http.transport import PreparedRequest

SIGNATURE_METHODS = OAUTH1_SIGNATURE_METHODS
PLACEMENTS = OAUTH1_PLACEMENTS
_FORM = "application/x-www-form-urlencoded"
_HASHES = {"SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}


class OAuth1Error(RunnerError):
    """A request could not be signed (a bad private key, a body oauthlib cannot sign)."""

    kind = "auth"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An ``oauth1`` block with its templates rendered; empty strings mean "not set"."""

    consumer_key: str
    consumer_secret: str = ""
    token: str = ""
    token_secret: str = ""
    signature_method: str = "HMAC-SHA1"
    private_key: str = ""  # RSA-*: PEM
    realm: str = ""
    callback: str = ""
    verifier: str = ""
    nonce: str = ""  # "": a fresh one per request
    timestamp: str = ""  # "": now
    version: str = "1.0"  # "": oauth_version is left out
    where: str = "header"
    body_hash: bool = False


@dataclass(frozen=True, slots=True)
class Signed:
    request: PreparedRequest
    signature: str


def sign(prepared: PreparedRequest, creds: Credentials, loc: SourceLocation | None) -> Signed:
    """``prepared`` with its ``oauth_*`` parameters and signature in the header, the query or
    the form body. ``where: body`` on a request that is not a POST or PUT with a form body
    puts them in the query, as Postman does."""
    import httpx  # the URL exactly as the transport will send it

    url = prepared.url
    if prepared.params:
        url = str(httpx.URL(url).copy_merge_params(prepared.params))
    content_type = next(
        (value for name, value in prepared.headers if name.lower() == "content-type"), ""
    )
    is_form = content_type.split(";")[0].strip().lower() == _FORM
    method = prepared.method.upper()
    form: str | None = None
    if is_form and method not in ("GET", "HEAD"):  # RFC 5849 §3.4.1.3.1: a form body is signed
        try:
            form = (prepared.content or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise OAuth1Error(
                "oauth1: the form body is not UTF-8 text and cannot be signed", loc
            ) from None
    where = creds.where
    if where == "body" and (form is None or method not in ("POST", "PUT")):
        where = "query"
    body_hash = None
    multipart = content_type.lower().startswith("multipart/")
    if creds.body_hash and not is_form and not multipart:  # as Postman: none for forms
        import base64
        import hashlib  # deferred, as this module is imported at start-up (runner.format.schema)

        algorithm = _HASHES.get(creds.signature_method.rsplit("-", 1)[-1], "sha1")
        digest = hashlib.new(algorithm, prepared.content or b"").digest()
        body_hash = base64.b64encode(digest).decode("ascii")
    client = _client(creds, where, body_hash)
    try:
        uri, headers, body = client.sign(
            url,
            http_method=method,
            body=form,
            headers={"Content-Type": _FORM} if form is not None else {},
            realm=creds.realm or None,
        )
    except ImportError:
        raise OAuth1Error(
            f"oauth1: {creds.signature_method} needs PyJWT and cryptography",
            loc,
            "pip install 'runner[oauth1-rsa]' (oauthlib[signedtoken])",
        ) from None
    except Exception as exc:  # oauthlib's ValueError; PyJWT's InvalidKeyError for a bad key
        raise OAuth1Error(
            f"oauth1: the request cannot be signed: {exc}", loc, _hint(creds)
        ) from None
    signature: str = client.signature
    if where == "header":
        out = replace(
            prepared,
            params=(),
            url=url,
            headers=(*prepared.headers, ("Authorization", headers["Authorization"])),
            secret_headers=(*prepared.secret_headers, "Authorization"),
        )
    elif where == "query":
        out = replace(prepared, url=uri, params=())
    else:
        out = replace(prepared, url=uri, params=(), content=str(body).encode("utf-8"))
    return Signed(out, signature)


def _hint(creds: Credentials) -> str | None:
    if creds.signature_method.startswith("RSA"):
        return "private_key must be a PEM RSA private key"
    return None


def _client(creds: Credentials, where: str, body_hash: str | None) -> Any:
    """An oauthlib client that sends the version and body hash the way Postman does."""
    from oauthlib import oauth1  # deferred: only collections with oauth1 auth need it

    placement = {
        "header": oauth1.SIGNATURE_TYPE_AUTH_HEADER,
        "query": oauth1.SIGNATURE_TYPE_QUERY,
        "body": oauth1.SIGNATURE_TYPE_BODY,
    }[where]

    class _Client(oauth1.Client):
        signature = ""

        def get_oauth_params(self, request: Any) -> list[tuple[str, str]]:
            # oauthlib always hashes a non-form body with SHA-1, and always sends 1.0
            params = [
                (name, value)
                for name, value in super().get_oauth_params(request)  # type: ignore[no-untyped-call]
                if name not in ("oauth_body_hash", "oauth_version")
            ]
            if creds.version:
                params.insert(2, ("oauth_version", creds.version))
            if body_hash is not None:
                params.append(("oauth_body_hash", body_hash))
            return params

        def get_oauth_signature(self, request: Any) -> str:
            self.signature = str(super().get_oauth_signature(request))  # type: ignore[no-untyped-call]
            return self.signature

    return _Client(
        creds.consumer_key,
        client_secret=creds.consumer_secret,
        resource_owner_key=creds.token or None,
        resource_owner_secret=creds.token_secret,
        callback_uri=creds.callback or None,
        signature_method=creds.signature_method,
        signature_type=placement,
        rsa_key=creds.private_key or None,
        verifier=creds.verifier or None,
        realm=creds.realm or None,
        nonce=creds.nonce or None,
        timestamp=creds.timestamp or None,
    )
