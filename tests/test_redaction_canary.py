"""Canary secrets in the client secret, the code, the PKCE verifier and the tokens: after real
runs (the oauth2 helper and the step-by-step flow, verbose, with every reporter and the example
recorder), no output, report or file the run wrote holds any of them. The token cache is the
one place tokens are kept on purpose, and it holds no client secret, code or verifier."""

from __future__ import annotations

from pathlib import Path

from conftest import runner_process
from oauth_support import ROOT, browser_command, child_env, free_port

from runner.demo.server import DemoClient, OAuthDemoServer

SECRET = "CANARY-client-secret-7f3a9"
TOKENS = "CANARYTOK"  # every code and token the server issues starts with it
VERIFIER = "CANARYVERIFIER" + "v" * 29  # 43 unreserved characters


def run(tmp_path: Path, collection: str, name: str, server: OAuthDemoServer, redirect: str) -> str:
    out_dir = tmp_path / "out" / name
    out_dir.mkdir(parents=True)
    args = [
        "run", str(ROOT / "collections" / collection),
        "-e", str(ROOT / "environments" / "local.yaml"),
        "--var", f"zoom_oauth_base={server.base_url}",
        "--var", f"zoom_api_base={server.base_url}/v2",
        "--var", f"redirect_uri={redirect}",
        "--var", f"oAuthDevClientSecret={SECRET}",
        "--open", "-v",
        "--reporter", f"json:{out_dir / 'report.json'}",
        "--reporter", f"junit:{out_dir / 'report.xml'}",
        "--reporter", f"html:{out_dir / 'report.html'}",
        "--reporter", f"console:{out_dir / 'report.txt'}",
        "--record", str(out_dir / "examples.json"),
    ]  # fmt: skip
    if collection == "zoom_oauth_steps.yaml":
        args += ["--var", f"code_verifier={VERIFIER}"]
    env = child_env(
        BROWSER=str(browser_command(tmp_path)), RUNNER_CACHE_DIR=str(tmp_path / "cache")
    )
    proc = runner_process(*args, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_no_secret_in_any_output_report_or_file(tmp_path: Path) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/oauth/callback"
    client = DemoClient("demo-client-id", SECRET, redirect)
    with OAuthDemoServer(client, value_prefix=TOKENS) as server:
        outputs = run(tmp_path, "zoom_oauth.yaml", "helper", server, redirect)
        outputs += run(tmp_path, "zoom_oauth_steps.yaml", "steps", server, redirect)
        calls = server.requests_to("/oauth/token")
        api = server.requests_to("/v2/users/me")
    # the canaries were really used: sent by the runner, and issued by the server
    assert calls and all(c.headers["authorization"].startswith("Basic ") for c in calls)
    assert any(c.form.get("code_verifier") == VERIFIER for c in calls)
    assert any(c.form.get("code", "").startswith(TOKENS) for c in calls)
    assert all(r.headers["authorization"].startswith(f"Bearer {TOKENS}") for r in api)
    assert "[REDACTED]" in outputs
    canaries = (SECRET, TOKENS, VERIFIER, "CANARY")
    for canary in canaries:
        assert canary not in outputs, canary
    written = [
        p for p in tmp_path.rglob("*")
        if p.is_file() and "cache" not in p.relative_to(tmp_path).parts
        and p.name not in ("fake-browser", "opened.txt")  # the stand-in browser's own files
    ]  # fmt: skip
    names = {p.name for p in written}
    assert {"report.json", "report.xml", "report.html", "report.txt", "examples.json"} <= names
    for path in written:
        data = path.read_bytes()
        for canary in canaries:
            assert canary.encode() not in data, f"{canary} in {path}"
    cache = list((tmp_path / "cache").rglob("*.json"))
    assert cache
    codes = [c.form["code"] for c in calls if "code" in c.form]
    for path in cache:
        text = path.read_text()
        assert TOKENS in text  # the tokens themselves: that is what the cache is for
        for secret in (SECRET, VERIFIER, *codes):
            assert secret not in text
