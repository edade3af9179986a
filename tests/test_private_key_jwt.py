"""``client_auth: private_key_jwt`` (RFC 7523) against a token endpoint of the tests' own
(tests/rfc_oauth_server.py) that verifies the client assertion with the client's public key:
signature, issuer, subject, audience, expiry and a fresh ``jti`` each time; the key file is
templated and confined to the collection's folder (or a --file-root)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rfc_oauth_server import JWT_BEARER, AssertionServer

pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CLIENT = "jwt-client"


def key_pair(kind: str = "rsa") -> tuple[str, str]:
    """A private key (PEM, PKCS#8) and its public half (PEM)."""
    key: Any = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private, public


def collection(folder: Path, server: AssertionServer, key: str) -> Path:
    path = folder / "c.yaml"
    path.write_text(
        f"""name: private_key_jwt
variables:
  key_name: client
auth:
  type: oauth2
  grant: client_credentials
  token_url: {server.url}/token
  client_id: {CLIENT}
  client_auth: private_key_jwt
  client_assertion_key: {key}
steps:
  - request: Me
    url: {server.url}/me
    expect:
      status: 200
""",
        encoding="utf-8",
    )
    return path


def run(run_cli: Any, path: Path, *args: str) -> tuple[int, str]:
    result = run_cli("run", str(path), "--no-color", "--no-token-cache", *args)
    return result.code, result.out + result.err


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_the_server_verifies_the_signed_assertion(tmp_path: Path, run_cli: Any, kind: str) -> None:
    private, public = key_pair(kind)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "client.pem").write_text(private)
    with AssertionServer(public, CLIENT) as server:
        path = collection(tmp_path, server, "keys/<<key_name>>.pem")
        for _ in range(2):  # a fresh jti each time: the second one is accepted too
            code, output = run(run_cli, path)
            assert code == 0, output + str(server.failures)
            assert "1 passed, 0 failed" in output
        assert server.failures == []
        assert len(server.jtis) == 2
        form = server.forms[0]
        assert form["client_assertion_type"] == JWT_BEARER
        assert form["client_id"] == CLIENT and form["grant_type"] == "client_credentials"
        assert form["client_assertion"] not in output and "PRIVATE KEY" not in output


def test_a_key_the_server_does_not_know_is_refused(tmp_path: Path, run_cli: Any) -> None:
    private, _ = key_pair()
    _, other_public = key_pair()
    (tmp_path / "client.pem").write_text(private)
    with AssertionServer(other_public, CLIENT) as server:
        code, output = run(run_cli, collection(tmp_path, server, "client.pem"))
    assert code == 1, output
    assert (
        "the token request (client_credentials) was refused: invalid_client: the assertion "
        "does not verify: Signature verification failed (HTTP 401)"
    ) in output


def test_a_key_outside_the_collection_folder_is_refused_unless_allowed(
    tmp_path: Path, run_cli: Any
) -> None:
    private, public = key_pair()
    outside = tmp_path / "secrets"
    outside.mkdir()
    (outside / "client.pem").write_text(private)
    project = tmp_path / "project"
    project.mkdir()
    with AssertionServer(public, CLIENT) as server:
        path = collection(project, server, "../secrets/client.pem")
        code, output = run(run_cli, path)
        assert code == 1, output
        assert (
            f"oauth2 client_assertion_key ../secrets/client.pem is outside the collection's "
            f"folder ({project.resolve()})"
        ) in output
        assert server.forms == []  # nothing was sent
        code, output = run(run_cli, path, "--file-root", str(outside))
        assert code == 0, output


def test_a_file_that_is_not_a_key_is_an_error_before_sending(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "client.pem").write_text("not a key\n")
    _, public = key_pair()
    with AssertionServer(public, CLIENT) as server:
        code, output = run(run_cli, collection(tmp_path, server, "client.pem"))
        assert code == 1, output
        assert "the client_assertion_key is not an unencrypted PEM private key" in output
        assert server.forms == []
