"""A canary secret with a quote, a backslash, a newline and non-ASCII characters, sent raw in a
header, inside a JSON body, URL-encoded in a query, in basic auth and as a bearer token, and
echoed back by a real local server: no command that prints or writes something from the
collection (run with every reporter and -v, check, docs, the exports), and no file it leaves
(reports, recorded examples, resume state), holds it in any encoding it could take."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from conftest import CliResult, RunCli
from echo_server import EchoServer

SECRET = 's3cr"et\\line\nnon-ASCII-é€-end'
# what of it an HTTP header can carry (no newline, ASCII only): sent raw and as a bearer token
HEADER_SECRET = 's3cr"et\\line-ASCII-end'
USER = "canary-user"
# a client_secret form field whose variable has a harmless name
FORM_SECRET = "form-canary-9b1d7e"
# a password written in a URL (http://admin:PASSWORD@host/)
URL_PASSWORD = "userinfo-canary-42f0"
# a bearer token written literally in a header of the collection
LITERAL_TOKEN = "literal-canary-c0ffee"


def encodings(secret: str) -> dict[str, str]:
    """Every form the secret could take in an output."""
    b64 = {
        f"{name}{what}": encode(data.encode()).decode("ascii")
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode))
        for what, data in (("", secret), (" of user:secret", f"{USER}:{secret}"))
    }
    return {
        "raw": secret,
        "json": json.dumps(secret)[1:-1],
        "json (not ASCII)": json.dumps(secret, ensure_ascii=False)[1:-1],
        "quote": quote(secret, safe=""),
        "quote_plus": quote_plus(secret),
        "html": html.escape(secret),
        "html (no quotes)": html.escape(secret, quote=False),
        **{k: v.rstrip("=") for k, v in b64.items()},
    }


FORMS = {
    **encodings(SECRET),
    **{f"header secret {k}": v for k, v in encodings(HEADER_SECRET).items()},
    **{f"form secret {k}": v for k, v in encodings(FORM_SECRET).items()},
    **{f"URL password {k}": v for k, v in encodings(URL_PASSWORD).items()},
    **{f"literal token {k}": v for k, v in encodings(LITERAL_TOKEN).items()},
}


def leaks(text: str) -> list[str]:
    return [name for name, form in FORMS.items() if form in text]


COLLECTION = """\
name: Canary
secrets: [canary, header_canary]
steps:
  - request: Everything at once
    method: POST
    url: <<base>>/post
    headers:
      X-Canary: <<header_canary>>
    params:
      q: <<canary>>
    auth: {type: basic, username: %(user)s, password: <<canary>>}
    body:
      json: {secret: <<canary>>, nested: {list: [<<canary>>]}}
    capture:
      echoed: $.json.secret
    expect:
      status: 200
  - request: Bearer
    url: <<base>>/get
    params:
      q: <<canary>>
    auth: {type: bearer, token: <<header_canary>>}
    expect:
      status: 200
  - request: Token request
    method: POST
    url: <<base>>/post
    body:
      form:
        grant_type: client_credentials
        client_id: app
        client_secret: <<app_key>>
    expect:
      status: 200
  - request: Password in the URL, a literal token
    url: http://admin:<<url_password>>@<<host>>/get
    headers:
      X-Api-Token: Bearer %(token)s
    expect:
      status: 200
  - request: Echoed in a failed expectation
    url: <<base>>/headers
    headers:
      X-Raw: <<header_canary>>
    expect:
      status: 201
      json:
        "$.headers['x-raw']": <<canary>>
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, Path, EchoServer]]:
    with EchoServer() as echo:
        collection = tmp_path / "in" / "canary.yaml"
        collection.parent.mkdir()
        collection.write_text(COLLECTION % {"user": USER, "token": LITERAL_TOKEN}, encoding="utf-8")
        env = tmp_path / "in" / "env.yaml"
        values = {
            "base": f"http://127.0.0.1:{echo.port}",
            "host": f"127.0.0.1:{echo.port}",
            "canary": SECRET,
            "header_canary": HEADER_SECRET,
            "app_key": FORM_SECRET,
            "url_password": URL_PASSWORD,
        }
        env.write_text(json.dumps({"name": "local", "variables": values}), encoding="utf-8")
        yield collection, env, echo


def written_files(root: Path) -> dict[Path, str]:
    return {
        p: p.read_bytes().decode("utf-8", "replace")
        for p in root.rglob("*")
        if p.is_file() and "in" not in p.relative_to(root).parts[:1]
    }


def outputs(
    project: tuple[Path, Path, EchoServer], run_cli: RunCli, tmp_path: Path
) -> dict[str, str]:
    """Where -> what: each command's standard output and error, and each file written."""
    collection, env, echo = project
    out = tmp_path / "out"
    out.mkdir()
    environ = {
        "RUNNER_STATE_DIR": str(tmp_path / "state"),
        "RUNNER_CACHE_DIR": str(tmp_path / "cache"),
    }
    results: dict[str, CliResult] = {}
    results["run"] = run_cli(
        "run", collection, "-e", env, "-v",
        "--reporter", f"json:{out / 'report.json'}",
        "--reporter", f"junit:{out / 'report.xml'}",
        "--reporter", f"html:{out / 'report.html'}",
        "--reporter", f"console:{out / 'report.txt'}",
        "--record", out / "examples.json",
        env=environ,
    )  # fmt: skip
    # the canaries were sent, in each form, and echoed back
    sent = [r for r in echo.log if r.path in ("/post", "/get")]
    assert any(r.headers.get("x-canary") == HEADER_SECRET for r in sent)
    assert any(json.dumps(SECRET, ensure_ascii=False)[1:-1].encode() in r.body for r in sent)
    assert any(("q", SECRET) in r.query for r in sent)
    assert any(r.headers.get("authorization") == f"Bearer {HEADER_SECRET}" for r in sent)
    assert any(FORM_SECRET.encode() in r.body for r in sent)
    assert results["run"].code == 1, results["run"]  # the last step fails on purpose
    assert "[REDACTED]" in results["run"].output
    results["run stdout"] = run_cli(
        "run", collection, "-e", env, "-v", "--reporter", "json", env=environ
    )
    results["check"] = run_cli("check", collection, "-e", env)
    results["docs"] = run_cli("docs", collection, "-e", env)
    results["docs html"] = run_cli(
        "docs", collection, "-e", env, "-o", out / "site", "--format", "html"
    )
    results["export curl"] = run_cli("export", "curl", collection, "-e", env)
    results["export postman"] = run_cli("export", "postman", collection, "-o", out / "pm.json")
    results["export openapi"] = run_cli("export", "openapi", collection)
    assert (out / "report.json").is_file() and (out / "examples.json").is_file()
    assert list((tmp_path / "state").rglob("*.json")), "no resume state was written"
    found = {name: result.output for name, result in results.items()}
    found.update(
        {str(p.relative_to(tmp_path)): text for p, text in written_files(tmp_path).items()}
    )
    return found


def leaked(found: dict[str, str]) -> str:
    return "\n".join(
        f"{where}: {', '.join(forms)}" for where, text in found.items() if (forms := leaks(text))
    )


# where secrets are kept on purpose, or written by an exporter that does not mask (see below)
KEPT = ("state/", "export openapi", "out/pm.json")


def test_the_canary_is_masked_in_every_output_and_file(
    project: tuple[Path, Path, EchoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    found = outputs(project, run_cli, tmp_path)
    assert not leaked({k: v for k, v in found.items() if not k.startswith(KEPT)})


@pytest.mark.xfail(
    strict=True,
    reason="the resume state keeps the rendered variables and the captures in clear by design "
    "(0600 in a 0700 folder, like the token cache): --resume needs them; keeping only what "
    "cannot be read again (captures, pasted values) needs a change in runner/engine/resume.py",
)
def test_the_resume_state_holds_no_secret(
    project: tuple[Path, Path, EchoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    found = outputs(project, run_cli, tmp_path)
    assert not leaked({k: v for k, v in found.items() if k.startswith("state/")})


def test_the_exports_mask_literal_credentials(
    project: tuple[Path, Path, EchoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    found = outputs(project, run_cli, tmp_path)
    assert not leaked({k: v for k, v in found.items() if k in ("export openapi", "out/pm.json")})
