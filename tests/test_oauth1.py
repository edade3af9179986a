"""``auth: {type: oauth1}``: requests signed per RFC 5849, checked by a server that verifies
the signature (tests/oauth1_verify.py, written apart from oauthlib), secrets masked, Postman's
OAuth 1.0 helper imported and exported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import OAUTH1_CONSUMER_KEY, OAUTH1_CONSUMER_SECRET, EchoServer
from oauth1_verify import base_string, header_params, verify
from postman_support import collection, request, write_json

from runner.auth.oauth1 import Credentials, sign
from runner.http.transport import PreparedRequest

TOKEN, TOKEN_SECRET = "tok-7Hq2", "tok-secret-Zr81x"

# OAuth Core 1.0 Appendix A.5 (the "photos" example), the published test vector
PHOTOS_URL = "http://photos.example.net/photos?file=vacation.jpg&size=original"
PHOTOS = {
    "consumer": ("dpf43f3p2l4k3l03", "kd94hf93k423kf44"),
    "token": ("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"),
    "nonce": "kllo9940pd9333jh",
    "timestamp": "1191242096",
    "base_string": "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26"
    "oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26"
    "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26"
    "oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
    "signature": "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
}


def _photos_creds(**changes: Any) -> Credentials:
    values: dict[str, Any] = {
        "consumer_key": PHOTOS["consumer"][0],
        "consumer_secret": PHOTOS["consumer"][1],
        "token": PHOTOS["token"][0],
        "token_secret": PHOTOS["token"][1],
        "nonce": PHOTOS["nonce"],
        "timestamp": PHOTOS["timestamp"],
        **changes,
    }
    return Credentials(**values)


# -- the signer and the verifier against the published vector ----------


def test_the_verifier_computes_the_published_base_string() -> None:
    params = [
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1191242096"),
        ("oauth_nonce", "kllo9940pd9333jh"),
        ("oauth_version", "1.0"),
        ("file", "vacation.jpg"),
        ("size", "original"),
    ]
    assert base_string("GET", PHOTOS_URL, params) == PHOTOS["base_string"]


def test_the_signer_gives_the_published_signature_and_the_verifier_accepts_it() -> None:
    prepared = PreparedRequest(method="GET", url=PHOTOS_URL)
    signed = sign(prepared, _photos_creds(realm="Photos"), None)
    assert signed.signature == PHOTOS["signature"]
    (header,) = [v for k, v in signed.request.headers if k == "Authorization"]
    assert header.startswith('OAuth realm="Photos", ')
    assert header_params(header)["oauth_signature"] == PHOTOS["signature"]
    tokens = {PHOTOS["token"][0]: PHOTOS["token"][1]}
    consumers = {PHOTOS["consumer"][0]: PHOTOS["consumer"][1]}
    ok = verify("GET", PHOTOS_URL, {"authorization": header}, b"", consumers, tokens)
    assert ok.ok and ok.base_string == PHOTOS["base_string"], ok
    wrong = verify("GET", PHOTOS_URL, {"authorization": header}, b"", {PHOTOS["consumer"][0]: "x"},
                   tokens)  # fmt: skip
    assert not wrong.ok and "verification failed" in wrong.message


def test_params_given_apart_from_the_url_are_signed_as_sent() -> None:
    prepared = PreparedRequest(
        method="GET",
        url="http://photos.example.net/photos?file=vacation.jpg",
        params=(("size", "original"),),
    )
    signed = sign(prepared, _photos_creds(), None)
    assert signed.signature == PHOTOS["signature"]
    assert signed.request.url == PHOTOS_URL and signed.request.params == ()


# -- runs against a server that verifies the signature ----------


def _collection(echo: EchoServer, auth: str, steps: str) -> str:
    return f"""\
name: OAuth 1.0a
variables:
  base: {echo.url}
  consumer_key: {OAUTH1_CONSUMER_KEY}
  cs: '{OAUTH1_CONSUMER_SECRET}'  # names that do not say "secret": the auth masks them
  ts: {TOKEN_SECRET}
auth:
{auth}
steps:
{steps}"""


COLLECTION_AUTH = """\
  type: oauth1
  consumer_key: <<consumer_key>>
  consumer_secret: <<cs>>
  token: tok-7Hq2
  token_secret: <<ts>>"""

SIGNED_STEPS = """\
  - request: Header, inherited
    url: <<base>>/oauth1?a=1&b=x%20y&list=%5B1%5D
    params: {q: "hello world", tilde: "~ok*"}
    expect: {status: 200, json: {$.status: pass}}
  - request: Query, HMAC-SHA256
    url: <<base>>/oauth1
    params: {q: "a+b"}
    auth:
      type: oauth1
      consumer_key: <<consumer_key>>
      consumer_secret: <<cs>>
      signature_method: HMAC-SHA256
      in: query
    expect: {status: 200, json: {$.status: pass}}
  - request: Form body, PLAINTEXT
    method: POST
    url: <<base>>/oauth1?z=1
    body: {form: {x: "a b", "y": "ü+&="}}
    auth:
      type: oauth1
      consumer_key: <<consumer_key>>
      consumer_secret: <<cs>>
      token: tok-7Hq2
      token_secret: <<ts>>
      signature_method: PLAINTEXT
      in: body
    expect: {status: 200, json: {$.status: pass}}
  - request: JSON body with its hash, HMAC-SHA512, realm, no version
    method: PUT
    url: <<base>>/oauth1
    body: {json: {a: [1, 2]}}
    auth:
      type: oauth1
      consumer_key: <<consumer_key>>
      consumer_secret: <<cs>>
      signature_method: HMAC-SHA512
      body_hash: true
      realm: Photos
      version: ""
      nonce: fixed-nonce-1
      timestamp: "1461319769"
    expect: {status: 200, json: {$.status: pass}}
"""


def _report_and_console(run_cli: RunCli, path: Path, *extra: str) -> tuple[int, str]:
    report = path.parent / "report.json"
    result = run_cli("run", path, "-v", "--reporter", f"json:{report}", *extra)
    return result.code, result.output + report.read_text(encoding="utf-8")


def test_signed_requests_pass_a_verifying_server_and_nothing_secret_is_shown(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    echo.oauth1_tokens[TOKEN] = TOKEN_SECRET
    path = write_file("o1.yaml", _collection(echo, COLLECTION_AUTH, SIGNED_STEPS))
    code, shown = _report_and_console(run_cli, path)
    assert code == 0, shown
    log = [r for r in echo.log if r.path == "/oauth1"]
    assert len(log) == 4
    header = header_params(log[0].headers["authorization"])
    assert header["oauth_token"] == TOKEN and header["oauth_signature_method"] == "HMAC-SHA1"
    assert dict(log[0].query)["q"] == "hello world"
    query = dict(log[1].query)
    assert (
        query["oauth_signature_method"] == "HMAC-SHA256" and "authorization" not in log[1].headers
    )
    assert b"oauth_signature=" in log[2].body and "authorization" not in log[2].headers
    fourth = header_params(log[3].headers["authorization"])
    assert fourth["realm"] == "Photos" and fourth["oauth_nonce"] == "fixed-nonce-1"
    assert "oauth_version" not in fourth and "oauth_body_hash" in fourth
    signatures = [header["oauth_signature"], query["oauth_signature"], fourth["oauth_signature"]]
    for secret in (OAUTH1_CONSUMER_SECRET, TOKEN_SECRET, TOKEN, *signatures):
        assert secret not in shown
    assert "D%2BEdQ" not in shown  # the PLAINTEXT signature holds the encoded secret
    assert "[REDACTED]" in shown


def test_a_wrong_secret_fails_at_the_server(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    steps = """\
  - request: Signed with the wrong secret
    url: <<base>>/oauth1
    expect: {status: 200}
"""
    auth = COLLECTION_AUTH.replace("<<ts>>", "not-the-token-secret")
    echo.oauth1_tokens[TOKEN] = TOKEN_SECRET
    path = write_file("wrong.yaml", _collection(echo, auth, steps))
    code, shown = _report_and_console(run_cli, path)
    assert code == 1
    assert "expected 200, got 401" in shown
    assert "HMAC-SHA1 verification failed" in shown
    assert "not-the-token-secret" not in shown and OAUTH1_CONSUMER_SECRET not in shown


def test_each_request_gets_a_fresh_nonce_and_body_falls_back_to_the_query(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    auth = """\
  type: oauth1
  consumer_key: <<consumer_key>>
  consumer_secret: <<cs>>
  in: body"""
    steps = """\
  - request: One
    url: <<base>>/oauth1
    expect: {status: 200}
  - request: Two
    url: <<base>>/oauth1
    expect: {status: 200}
"""
    path = write_file("nonce.yaml", _collection(echo, auth, steps))
    code, shown = _report_and_console(run_cli, path)
    assert code == 0, shown
    first, second = (dict(r.query) for r in echo.log)
    assert first["oauth_nonce"] != second["oauth_nonce"]  # a GET has no form body: the query


def test_an_own_authorization_header_is_sent_unsigned(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    steps = """\
  - request: Own header
    url: <<base>>/oauth1
    headers: {Authorization: Custom abc-123}
    expect: {status: 401}
"""
    path = write_file("own.yaml", _collection(echo, COLLECTION_AUTH, steps))
    code, shown = _report_and_console(run_cli, path)
    assert code == 0, shown
    assert echo.log[0].headers["authorization"] == "Custom abc-123"


def test_rsa_sha1_signature_verifies_with_the_public_key(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    pytest.importorskip("jwt", reason="RSA-SHA1 needs oauthlib[signedtoken]")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    echo.oauth1_rsa_keys["rsa-consumer"] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    echo.oauth1_consumers["rsa-consumer"] = ""
    auth = """\
  type: oauth1
  consumer_key: rsa-consumer
  signature_method: RSA-SHA1
  private_key: << env('RSA_KEY') >>"""
    steps = """\
  - request: RSA
    url: <<base>>/oauth1?x=1
    expect: {status: 200, json: {$.status: pass}}
"""
    path = write_file("rsa.yaml", _collection(echo, auth, steps))
    report = path.parent / "report.json"
    result = run_cli("run", path, "-v", "--reporter", f"json:{report}", env={"RSA_KEY": pem})
    assert result.code == 0, result.output
    shown = result.output + report.read_text(encoding="utf-8")
    assert "PRIVATE KEY" not in shown
    assert header_params(echo.log[0].headers["authorization"])["oauth_signature_method"] == (
        "RSA-SHA1"
    )


# -- bad input ----------


@pytest.mark.parametrize(
    ("auth", "message", "line"),
    [
        (
            "{type: oauth1, consumer_key: k, signature_method: HMAC-SHA265}",
            "unknown oauth1 signature_method 'HMAC-SHA265'",
            "did you mean 'HMAC-SHA256'?",
        ),
        ("{type: oauth1, consumer_secret: s}", "missing the required key 'consumer_key'", ""),
        (
            "{type: oauth1, consumer_key: k, signature_method: RSA-SHA1}",
            "needs 'private_key'",
            "",
        ),
        ("{type: oauth1, consumer_key: k, in: cookie}", "must be header, query or body", ""),
        ("{type: oauth1, consumer_key: k, nonse: x}", "unknown key 'nonse'", "'nonce'"),
    ],
)
def test_bad_oauth1_blocks_are_one_clear_error(
    run_cli: RunCli, write_file: Any, auth: str, message: str, line: str
) -> None:
    path = write_file(
        "bad.yaml",
        f"""\
        name: Bad
        steps:
          - request: R
            url: http://127.0.0.1:9/x
            auth: {auth}
        """,
    )
    result = run_cli("check", path)
    assert result.code == 2, result.output
    assert message in result.output
    assert "bad.yaml:5:" in result.output
    assert line in result.output
    assert "Traceback" not in result.output


def test_an_unusable_private_key_is_an_error_on_its_step(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    pytest.importorskip("jwt", reason="RSA-SHA1 needs oauthlib[signedtoken]")
    auth = """\
  type: oauth1
  consumer_key: rsa-consumer
  signature_method: RSA-SHA1
  private_key: not-a-pem-key"""
    steps = """\
  - request: RSA
    url: <<base>>/oauth1
"""
    path = write_file("badkey.yaml", _collection(echo, auth, steps))
    result = run_cli("run", path)
    assert result.code == 1, result.output
    assert "oauth1: the request cannot be signed" in result.output
    assert "not-a-pem-key" not in result.output
    assert echo.log == []


# -- Postman ----------


def _postman_oauth1(**values: Any) -> dict[str, Any]:
    return {"type": "oauth1", "oauth1": [{"key": k, "value": v} for k, v in values.items()]}


def test_postman_oauth1_imports_with_inheritance_runs_and_exports_back(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    echo.oauth1_tokens[TOKEN] = TOKEN_SECRET
    doc = collection(
        request("Collection level, header", "{{host}}/oauth1?a=1"),
        {
            "name": "Folder",
            "auth": _postman_oauth1(
                consumerKey=OAUTH1_CONSUMER_KEY,
                consumerSecret="{{consumer_secret}}",
                token="{{token}}",
                tokenSecret="{{token_secret}}",
                signatureMethod="HMAC-SHA256",
                version="1.0",
                addParamsToHeader=False,
            ),
            "item": [
                request("Folder level, query", "{{host}}/oauth1"),
                request(
                    "Folder level, form body",
                    "{{host}}/oauth1",
                    method="POST",
                    body={"mode": "urlencoded", "urlencoded": [{"key": "f", "value": "1 2"}]},
                ),
                request(
                    "Own auth, PLAINTEXT in the query",
                    "{{host}}/oauth1",
                    auth=_postman_oauth1(
                        consumerKey=OAUTH1_CONSUMER_KEY,
                        consumerSecret="{{consumer_secret}}",
                        signatureMethod="PLAINTEXT",
                        timestamp=1461319769,
                        nonce="ik3oT5",
                        addParamsToHeader=False,
                        addEmptyParamsToSign=True,
                    ),
                ),
                request("No auth", "{{host}}/oauth1", auth={"type": "noauth"}),
            ],
        },
        auth=_postman_oauth1(
            consumerKey=OAUTH1_CONSUMER_KEY,
            consumerSecret="{{consumer_secret}}",
            signatureMethod="HMAC-SHA1",
            version="1.0",
            realm="",
            addParamsToHeader=True,
            includeBodyHash=True,
        ),
    )
    src = write_json(tmp_path / "in" / "oauth1.postman_collection.json", doc)
    out = tmp_path / "out"
    result = run_cli("import", "postman", src, "-o", out)
    assert result.code == 0, result.output
    assert "addEmptyParamsToSign is not supported" in result.output
    (path,) = (out / "collections").glob("*.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["auth"] == {
        "type": "oauth1",
        "consumer_key": OAUTH1_CONSUMER_KEY,
        "consumer_secret": "<<consumer_secret>>",
        "body_hash": True,
    }
    folder = data["steps"][1]
    assert folder["auth"]["in"] == "body"  # Postman: a POST/PUT form body, else the query
    assert folder["auth"]["signature_method"] == "HMAC-SHA256"
    assert folder["auth"]["token_secret"] == "<<token_secret>>"
    own = folder["steps"][2]["auth"]
    assert own["in"] == "query" and own["nonce"] == "ik3oT5"
    assert own["timestamp"] == "1461319769" and own["signature_method"] == "PLAINTEXT"
    assert folder["steps"][3]["auth"] == {"type": "none"}

    report = tmp_path / "report.json"
    values = {
        "host": echo.url,
        "consumer_secret": OAUTH1_CONSUMER_SECRET,
        "token": TOKEN,
        "token_secret": TOKEN_SECRET,
    }
    args = [arg for name, value in values.items() for arg in ("--var", f"{name}={value}")]
    ran = run_cli("run", path, *args, "--reporter", f"json:{report}")
    steps = json.loads(report.read_text(encoding="utf-8"))["steps"]
    codes = [s["status_code"] for s in steps if s["kind"] == "request"]
    assert codes == [200, 200, 200, 200, 401], ran.output
    assert b"oauth_signature=" in echo.log[2].body
    assert "oauth_signature" in dict(echo.log[3].query)
    assert "oauth_body_hash" in echo.log[0].headers["authorization"]  # GET: an empty body's

    # with another consumer secret the server refuses every signed request
    echo.log.clear()
    values["consumer_secret"] = "another-secret"
    args = [arg for name, value in values.items() for arg in ("--var", f"{name}={value}")]
    again = run_cli("run", path, *args, "--reporter", f"json:{report}")
    steps = json.loads(report.read_text(encoding="utf-8"))["steps"]
    assert [s["status_code"] for s in steps if s["kind"] == "request"] == [401] * 5
    assert "another-secret" not in again.output + report.read_text(encoding="utf-8")

    exported = tmp_path / "back.json"
    assert run_cli("export", "postman", path, "-o", exported).code == 0
    back = json.loads(exported.read_text(encoding="utf-8"))
    attrs = {a["key"]: a["value"] for a in back["auth"]["oauth1"]}
    assert attrs["consumerSecret"] == "{{consumer_secret}}"
    assert attrs["addParamsToHeader"] is True and attrs["includeBodyHash"] is True
    folder_attrs = {a["key"]: a["value"] for a in back["item"][1]["auth"]["oauth1"]}
    assert folder_attrs["addParamsToHeader"] is False
    assert folder_attrs["signatureMethod"] == "HMAC-SHA256"
    # the round trip gives the same YAML
    out2 = tmp_path / "out2"
    assert run_cli("import", "postman", exported, "-o", out2).code == 0
    (path2,) = (out2 / "collections").glob("*.yaml")
    assert yaml.safe_load(path2.read_text(encoding="utf-8"))["steps"] == data["steps"]


def test_postman_oauth1_without_a_secret_is_sent_unsigned_as_postman_does(
    run_cli: RunCli, tmp_path: Path
) -> None:
    doc = collection(
        request("R", "https://api.example.com/", auth=_postman_oauth1(consumerKey="k")),
        request(
            "S",
            "https://api.example.com/",
            auth=_postman_oauth1(consumerKey="k", consumerSecret="s", signatureMethod="HMAC-MD5"),
        ),
    )
    src = write_json(tmp_path / "c.json", doc)
    result = run_cli("import", "postman", src, "-o", tmp_path / "out")
    assert result.code == 0, result.output
    assert "oauth1 needs a consumer key and a consumer secret" in result.output
    assert "oauth1 signature method 'HMAC-MD5' is not supported" in result.output


def test_a_pre_request_script_change_is_signed_too(
    run_cli: RunCli, echo: EchoServer, write_file: Any
) -> None:
    steps = """\
  - request: Changed by its script
    url: <<base>>/oauth1
    scripts:
      prerequest: |
        pm.request.url.query.add({key: 'late', value: 'added by the script'});
    expect: {status: 200, json: {$.status: pass}}
"""
    echo.oauth1_tokens[TOKEN] = TOKEN_SECRET
    path = write_file("scripted.yaml", _collection(echo, COLLECTION_AUTH, steps))
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert dict(echo.log[0].query) == {"late": "added by the script"}
