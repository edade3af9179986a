"""OpenID Connect against django-oauth-toolkit (OIDC_ENABLED, RS256): discovery from the
issuer, ``params`` and the ``nonce`` on the authorize URL, a real ID token verified (and
refused when its audience, nonce or signature is wrong), and the redirect's ``iss`` checked
(RFC 9207) before any token request."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from dot_support import CONFIDENTIAL, CONFIDENTIAL_SECRET, REDIRECT_PATH, DotServer, scripted_code
from oauth_support import free_port

from runner.auth.oidc import OIDCError, Provider, discover, verify_id_token
from runner.auth.settings import AuthSettings
from runner.core.redact import Redactor
from runner.render.templates import pkce_challenge, pkce_verifier

SETTINGS = AuthSettings(timeout=15)


@pytest.fixture(scope="module")
def provider(dot: DotServer) -> Provider:
    return discover(dot.issuer, SETTINGS, Redactor())


def id_token_for(dot: DotServer, nonce: str) -> str:
    """A real ID token: the seeded user authorizes (scripted), the code is exchanged."""
    verifier = pkce_verifier()
    redirect = f"http://127.0.0.1:{free_port()}{REDIRECT_PATH}"
    url = str(
        httpx.URL(dot.auth_url).copy_merge_params(
            {
                "response_type": "code",
                "client_id": CONFIDENTIAL,
                "redirect_uri": redirect,
                "scope": "openid read",
                "state": "s",
                "nonce": nonce,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
    )
    code = parse_qs(urlsplit(scripted_code(dot, url)).query)["code"][0]
    answer = httpx.post(
        dot.token_url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
              "code_verifier": verifier, "client_id": CONFIDENTIAL,
              "client_secret": CONFIDENTIAL_SECRET},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["id_token"]
    return token


def test_discovery_names_the_endpoints(dot: DotServer, provider: Provider) -> None:
    assert provider.issuer == dot.issuer
    assert provider.authorization_endpoint == dot.auth_url
    assert provider.token_endpoint == dot.token_url
    assert provider.jwks_uri == f"{dot.issuer}/.well-known/jwks.json"


def test_discovery_refuses_another_issuer(dot: DotServer) -> None:
    with pytest.raises(OIDCError) as caught:
        discover(dot.issuer + "/", SETTINGS, Redactor())
    assert caught.value.message == (
        f"OpenID discovery at {dot.issuer}/.well-known/openid-configuration names the issuer "
        f"'{dot.issuer}', not '{dot.issuer}/'"
    )


def test_a_real_id_token_verifies(dot: DotServer, provider: Provider) -> None:
    token = id_token_for(dot, "n-0123456789")
    claims = verify_id_token(token, provider, CONFIDENTIAL, "n-0123456789", SETTINGS, Redactor())
    assert claims["iss"] == dot.issuer
    assert claims["aud"] == CONFIDENTIAL
    assert claims["nonce"] == "n-0123456789"


def test_id_token_for_another_client_nonce_or_tampered_is_refused(
    dot: DotServer, provider: Provider
) -> None:
    token = id_token_for(dot, "n-abc")
    with pytest.raises(OIDCError, match="Audience doesn't match"):
        verify_id_token(token, provider, "another-client", "n-abc", SETTINGS, Redactor())
    with pytest.raises(OIDCError, match="nonce is not the one this authorization sent"):
        verify_id_token(token, provider, CONFIDENTIAL, "n-other", SETTINGS, Redactor())
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(OIDCError, match="Signature verification failed"):
        verify_id_token(
            f"{head}.{forged}.{signature}", provider, CONFIDENTIAL, "n-abc", SETTINGS, Redactor()
        )
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(OIDCError, match="signed with 'none', which is not accepted"):
        verify_id_token(
            f"{unsigned}.{payload}.", provider, CONFIDENTIAL, None, SETTINGS, Redactor()
        )


# -- the oauth2 block with an issuer, in a run --------------------------------------------------


def oidc_collection(tmp_path: Path, dot: DotServer) -> Path:
    path = tmp_path / "oidc.yaml"
    path.write_text(
        f"""name: OpenID Connect, discovered
auth:
  type: oauth2
  grant: authorization_code
  issuer: {dot.issuer}
  client_id: {CONFIDENTIAL}
  client_secret: << env('DOT_SECRET') >>
  client_auth: body
  redirect_uri: <<redirect_uri>>
  scopes: openid read
  params:
    prompt: login
    login_hint: <<user>>
variables:
  user: ada
steps:
  - request: Who am I
    url: {dot.api_url}
    expect:
      status: 200
""",
        encoding="utf-8",
    )
    return path


def run_with_browser(
    tmp_path: Path, dot: DotServer, run_cli: Any, monkeypatch: pytest.MonkeyPatch, iss: str | None
) -> tuple[int, str, list[str]]:
    """Run the collection in process; the "browser" signs in, authorizes, and delivers the
    redirect to the runner's listener, with ``iss`` added when given."""
    import webbrowser

    opened: list[str] = []
    redirect = f"http://127.0.0.1:{free_port()}{REDIRECT_PATH}"

    def browser(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        location = scripted_code(dot, url)
        if iss is not None:
            location += "&" + urlencode({"iss": iss})
        httpx.get(location, timeout=10)
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = run_cli(
        "run", str(oidc_collection(tmp_path, dot)), "--var", f"redirect_uri={redirect}",
        "--open", "--callback-timeout", "30", "--no-color",
        env={"DOT_SECRET": CONFIDENTIAL_SECRET, "RUNNER_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    return result.code, result.out + result.err, opened


def test_block_discovers_sends_params_and_nonce_and_verifies_the_id_token(
    dot: DotServer, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, opened = run_with_browser(tmp_path, dot, run_cli, monkeypatch, dot.issuer)
    assert code == 0, output
    (url,) = opened
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(dot.auth_url + "?")
    assert query["prompt"] == ["login"] and query["login_hint"] == ["ada"]
    assert query["scope"] == ["openid read"]
    assert len(query["nonce"][0]) >= 43
    assert f"verified the ID token of '1' from {dot.issuer}" in output
    assert "1 passed, 0 failed" in output


def test_a_redirect_from_another_issuer_is_refused_before_the_token_request(
    dot: DotServer, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(dot.requests("/o/token/"))
    code, output, _ = run_with_browser(
        tmp_path, dot, run_cli, monkeypatch, "https://attacker.example"
    )
    assert code == 1, output
    assert (
        f"the redirect comes from the issuer 'https://attacker.example', not '{dot.issuer}' "
        "(a mix-up attack, RFC 9207); refused before any token request"
    ) in output
    assert len(dot.requests("/o/token/")) == before
