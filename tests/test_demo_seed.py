"""`runner demo` shows the seed: the flow as ordered steps with the person played at the pause
(the pasted redirect shown as pasted), then the oauth2 helper in one step, then the cached
token; lines in the order things happen."""

from __future__ import annotations

import re

from conftest import child_env, runner_process


def test_the_demo_plays_the_seed_flow_then_the_helper_then_the_cache() -> None:
    proc = runner_process("demo", "--no-color", env=child_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()

    def at(pattern: str, start: int = 0) -> int:
        for i in range(start, len(lines)):
            if re.search(pattern, lines[i]):
                return i
        raise AssertionError(f"{pattern!r} not after line {start}:\n{proc.stdout}")

    order = [
        at(r"^1\. The flow step by step \(collections/zoom_oauth_steps\.yaml\)"),
    ]
    order.append(at(r"^Zoom OAuth 2\.0 step by step .* · 5 steps$", order[-1]))
    order.append(at(r"↗ Request user authorization: Open this URL in your browser:", order[-1]))
    order.append(at(r"\(demo\) the person opens that URL in a browser and clicks Allow", order[-1]))
    order.append(at(r"\? Paste the URL your browser was redirected to", order[-1]))
    order.append(at(r"/oauth/callback\?code=\[REDACTED\]&state=\S+ +← \(demo\) pasted", order[-1]))
    order.append(at(r"✔ Paste the authorization code → code", order[-1]))
    order.append(at(r"✔ Request access token — POST ", order[-1]))
    order.append(at(r"✔ Get the current user — GET ", order[-1]))
    order.append(at(r"✔ Refresh the access token — POST ", order[-1]))
    order.append(at(r"^5 passed, 0 failed · 5 steps in ", order[-1]))
    order.append(at(r"^2\. The same with the oauth2 helper, in one step", order[-1]))
    order.append(at(r" · environment local · 1 step$", order[-1]))
    order.append(at(r"↗ Authorize demo-client-id .*: Opened in your browser:", order[-1]))
    order.append(at(r"\(demo\) the browser shows the consent page", order[-1]))
    order.append(at(r"\(demo\) the browser is redirected to .*code=\[REDACTED\]", order[-1]))
    order.append(at(r"auth: obtained an access token", order[-1]))
    order.append(at(r"^1 passed, 0 failed · 1 step in ", order[-1]))
    order.append(at(r"^3\. Again: the token is in the cache now", order[-1]))
    order.append(at(r"auth: using the cached access token", order[-1]))
    order.append(at(r"^1 passed, 0 failed · 1 step in ", order[-1]))
    assert "Opened in your browser" not in "\n".join(lines[order[-3] :])  # no browser again
    assert " 1 steps" not in proc.stdout
    assert "demo-client-secret" not in proc.stdout + proc.stderr
