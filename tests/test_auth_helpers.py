"""Template helpers for OAuth (PKCE pair, state, random values) and the auth block's loading."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli

from runner.core.errors import LoadError
from runner.format.loader import parse_collection
from runner.pause.loopback import loopback_target
from runner.render.templates import (
    Renderer,
    pkce_challenge,
    pkce_verifier,
    random_state,
    random_token,
)

# RFC 7636 Appendix B: the 32 octets, the verifier they encode to, and its S256 challenge.
APPENDIX_B_OCTETS = bytes(
    [116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
     22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121]
)  # fmt: skip
APPENDIX_B_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
APPENDIX_B_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
WriteFile = Callable[[str, str], Path]
UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


# -- PKCE ---------------------------------------------------------------------------------------


def test_rfc7636_appendix_b_vector() -> None:
    assert pkce_challenge(APPENDIX_B_VERIFIER) == APPENDIX_B_CHALLENGE
    # the verifier is the base64url (no padding) of the appendix's octets, as ours are made
    encoded = base64.urlsafe_b64encode(APPENDIX_B_OCTETS).rstrip(b"=").decode()
    assert encoded == APPENDIX_B_VERIFIER


def test_the_vector_through_a_template() -> None:
    renderer = Renderer({})
    text = f"<< pkce_challenge('{APPENDIX_B_VERIFIER}') >>"
    assert renderer.render_str(text, {}) == APPENDIX_B_CHALLENGE


def test_a_padded_standard_base64_challenge_is_not_what_we_make() -> None:
    # the common bug: standard base64 with padding gives "...Sstw+cM="
    assert "+" not in pkce_challenge(APPENDIX_B_VERIFIER)
    assert not pkce_challenge(APPENDIX_B_VERIFIER).endswith("=")


def test_1000_verifiers_are_unreserved_43_to_128_and_all_differ() -> None:
    verifiers = [pkce_verifier() for _ in range(1000)]
    assert all(UNRESERVED.match(v) for v in verifiers)
    assert all("=" not in v and len(v) == 43 for v in verifiers)
    assert len(set(verifiers)) == 1000
    challenges = {pkce_challenge(v) for v in verifiers}
    assert len(challenges) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", c) for c in challenges)


@pytest.mark.parametrize("length", [43, 44, 64, 100, 128])
def test_verifier_lengths(length: int) -> None:
    values = {pkce_verifier(length) for _ in range(50)}
    assert len(values) == 50
    assert all(len(v) == length and UNRESERVED.match(v) for v in values)


@pytest.mark.parametrize("length", [0, 42, 129, True])
def test_verifier_lengths_outside_the_rfc_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        pkce_verifier(length)


def test_bad_verifier_length_in_a_template_is_a_render_error() -> None:
    from runner.core.errors import RenderError

    with pytest.raises(RenderError, match="43 to 128"):
        Renderer({}).render_str("<< pkce_verifier(12) >>", {})


# -- state and random values ---------------------------------------------------------------------


def test_state_has_at_least_128_random_bits() -> None:
    states = [random_state() for _ in range(2000)]
    assert len(set(states)) == len(states)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", s) for s in states)
    # it is 32 random octets (256 bits, RFC 6749 §10.10 asks for at least 128)
    assert {len(base64.urlsafe_b64decode(s + "=")) for s in states} == {32}
    # and the octets look uniform: the first 42 characters carry 6 bits each (the 43rd only 4),
    # so over the sample each of the 64 base64url characters comes about equally often
    counts = Counter("".join(s[:42] for s in states))
    assert len(counts) == 64
    expected = sum(counts.values()) / 64
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 150  # 63 degrees of freedom: p < 1e-8 above this


def test_random_token_and_uuid_helpers() -> None:
    renderer = Renderer({})
    tokens = {renderer.render_str("<< random_token() >>", {}) for _ in range(200)}
    assert len(tokens) == 200 and all(len(t) == 43 for t in tokens)
    assert len(random_token(16)) == 22
    with pytest.raises(ValueError):
        random_token(0)
    uuids = {renderer.render_str("<< uuid() >>", {}) for _ in range(200)}
    assert len(uuids) == 200
    v4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(v4.fullmatch(u) for u in uuids)


def test_a_pkce_pair_per_run_from_variables() -> None:
    from runner.core.redact import Redactor
    from runner.engine.engine import Engine

    text = """
name: PKCE
variables:
  code_verifier: << pkce_verifier() >>
  code_challenge: << pkce_challenge(code_verifier) >>
steps:
  - request: r
    url: http://127.0.0.1:9/
"""
    scopes = [Engine(parse_collection(text), redactor=Redactor()).prepare() for _ in range(3)]
    for scope in scopes:
        assert pkce_challenge(scope["code_verifier"]) == scope["code_challenge"]
    assert len({s["code_verifier"] for s in scopes}) == 3


# -- the auth block ------------------------------------------------------------------------------


def load_auth(block: str) -> Any:
    text = f"name: A\nauth: {block}\nsteps:\n  - request: r\n    url: http://127.0.0.1:9/\n"
    return parse_collection(text, "auth.yaml").auth


def test_apikey_digest_and_oauth2_load() -> None:
    apikey = load_auth("{type: apikey, key: X-API-Key, value: <<api_key>>}")
    assert (apikey.kind, apikey.key, apikey.value, apikey.where) == (
        "apikey", "X-API-Key", "<<api_key>>", "header",
    )  # fmt: skip
    query = load_auth("{type: apikey, key: api_key, value: v, in: query}")
    assert query.where == "query"
    digest = load_auth("{type: digest, username: u, password: p}")
    assert (digest.kind, digest.username, digest.password) == ("digest", "u", "p")
    flow = load_auth(
        "{type: oauth2, grant: authorization_code, auth_url: https://a/authorize, "
        "token_url: https://a/token, client_id: c, client_secret: s, scopes: [a, b], "
        "redirect_uri: 'http://127.0.0.1:8766/cb', pkce: false, client_auth: body}"
    ).oauth2
    assert flow.grant == "authorization_code" and flow.scopes == ("a", "b")
    assert flow.pkce is False and flow.client_auth == "body"
    s2s = load_auth(
        "{type: oauth2, grant: account_credentials, token_url: https://a/token, "
        "client_id: c, client_secret: s, account_id: acct, scopes: 'x y'}"
    ).oauth2
    assert s2s.account_id == "acct" and s2s.scopes == ("x y",) and s2s.pkce is True


@pytest.mark.parametrize(
    ("block", "message", "hint"),
    [
        ("{type: oauth}", "unknown auth type 'oauth'", "did you mean 'oauth2'?"),
        ("{type: apikey, key: k}", "missing the required key 'value'", None),
        ("{type: apikey, key: k, value: v, in: body}", "must be header or query", None),
        ("{type: oauth2, grant: authorization_code, token_url: t, client_id: c, "
         "redirect_uri: r}", "missing the required key 'auth_url'", None),
        ("{type: oauth2, grant: client_credential, token_url: t, client_id: c}",
         "unknown oauth2 grant", "did you mean 'client_credentials'?"),
        ("{type: oauth2, grant: client_credentials, token_url: t, client_id: c, "
         "account_id: a}", "'account_id' applies to grant account_credentials only", None),
        ("{type: oauth2, grant: refresh_token, token_url: t, client_id: c}",
         "missing the required key 'refresh_token'", None),
        ("{type: oauth2, grant: client_credentials, token_url: t, client_id: c, "
         "client_auth: header}", "client_auth must be one of client_secret_basic", None),
        ("{type: oauth2, grant: client_credentials, token_url: t, client_id: c, pkce: yes}",
         "'pkce' applies to grant authorization_code only", None),
        ("{type: oauth2, grant: client_credentials, token_url: t, clientid: c}",
         "unknown key 'clientid'", "did you mean 'client_id'?"),
    ],
)  # fmt: skip
def test_bad_auth_blocks_are_one_clear_error_with_a_location(
    block: str, message: str, hint: str | None
) -> None:
    with pytest.raises(LoadError) as info:
        load_auth(block)
    assert message in info.value.message
    assert info.value.location is not None and info.value.location.file == "auth.yaml"
    assert info.value.location.line == 2
    if hint is not None:
        assert info.value.hint == hint


def test_check_names_an_undefined_variable_in_an_oauth2_block(
    run_cli: RunCli, write_file: WriteFile
) -> None:
    path = write_file(
        "c.yaml",
        """
        name: C
        auth:
          type: oauth2
          grant: client_credentials
          token_url: https://auth.example.com/token
          client_id: my-client
          client_secret: <<client_secret>>
        steps:
          - request: r
            url: https://api.example.com/
        """,
    )
    result = run_cli("check", path)
    assert result.code == 2
    assert "undefined variable 'client_secret'" in result.err
    assert "c.yaml:7" in result.err


# -- loopback redirect URIs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://127.0.0.1:8766/oauth/callback", ("127.0.0.1", 8766, "/oauth/callback")),
        ("http://[::1]:9000/cb", ("::1", 9000, "/cb")),
        ("http://localhost:9000", ("localhost", 9000, "/")),
        ("https://127.0.0.1:8766/cb", None),  # RFC 8252 loopback redirects are http
        ("http://127.0.0.1/cb", None),  # no port: nothing to bind
        ("http://example.com:8766/cb", None),
        ("http://10.0.0.1:8766/cb", None),
        ("http://127.0.0.1:notaport/cb", None),
    ],
)
def test_loopback_targets(uri: str, expected: tuple[str, int, str] | None) -> None:
    target = loopback_target(uri)
    if expected is None:
        assert target is None
    else:
        assert target is not None
        assert (target.host, target.port, target.path) == expected
