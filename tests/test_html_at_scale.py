"""The HTML report at 1,200 steps (300 data rows × 4 requests), looked at in headless Chromium:
a screenshot is taken (kept in the test's folder) and the rendered page is checked for what
made it hard to read at scale: totals per request, every iteration labelled and grouped, the
expected values rendered and in words, failures of the same request not all open."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer
from test_reporters import chromium, dump_dom

COLLECTION = """\
name: Users at scale
variables:
  base: {base}
steps:
  - folder: Users
    steps:
      - request: List users
        url: <<base>>/get?page=<<iteration>>
        expect:
          status: 200
          max_time_ms: 500
      - request: Create user
        method: POST
        url: <<base>>/post
        body:
          json: {{name: <<new_name>>}}
        expect:
          json:
            $.json.name: <<new_name>>
  - request: Get user
    url: <<base>>/status/<<code>>
    expect: {{status: 200}}
  - request: Health
    url: <<base>>/get
"""


@pytest.fixture
def report(run_cli: RunCli, echo: EchoServer, tmp_path: Path) -> Path:
    (tmp_path / "big.yaml").write_text(COLLECTION.format(base=echo.url), encoding="utf-8")
    rows = ["new_name,code"] + [f"user{i},{500 if i % 50 == 0 else 200}" for i in range(1, 301)]
    (tmp_path / "rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    result = run_cli(
        "run", tmp_path / "big.yaml", "-d", tmp_path / "rows.csv", "-q",
        "--reporter", f"html:{out}",
    )  # fmt: skip
    assert result.code == 1  # rows 50, 100, ... 300: Get user answers 500
    return out


def test_the_report_reads_well_at_1200_steps(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert "1200 steps (4 × 300 iterations)" in page
    totals = re.findall(r"<tr(?: class=\"bad\")?><td>#(\d)</td><td><a [^>]*>([^<]+)</a></td>"
                        r"<td>(\d+)</td><td>(?:<span class=\"s-failed\">)?(\d+)", page)  # fmt: skip
    assert totals == [
        ("1", "Users / List users", "300", "0"),
        ("2", "Users / Create user", "300", "0"),
        ("3", "Get user", "300", "6"),
        ("4", "Health", "300", "0"),
    ]
    assert len(re.findall(r"<b>Iteration \d+/300</b>", page)) == 300  # iteration 1 too
    assert "<b>Iteration 1/300</b>" in page
    assert "at most 500 ms" in page  # max_time_ms in words
    assert "&lt;&lt;new_name&gt;&gt;" not in page and "<code>user7</code>" in page  # rendered
    ids = re.findall(r'id="(step-[\d-]+)"', page)
    assert len(ids) == len(set(ids)) == 1200
    failures = re.findall(r'<details class="step st-failed"[^>]*>', page)
    assert len(failures) == 6 and sum(" open" in f for f in failures) == 1  # one per request


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_a_screenshot_of_the_report_at_1200_steps(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    browser = chromium()
    assert browser is not None
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={tmp_path / 'profile-shot'}", "--window-size=1280,2400",
         f"--screenshot={shot}", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2400)
    dom = dump_dom(report.as_uri() + "#filter=user50", tmp_path / "profile-dom")
    assert "1 of 1200 steps shown" in dom  # the script ran over all 1,200 steps
    # the filter opens the one iteration that matches and hides the 299 others
    assert len(re.findall(r'<details class="iter[^"]*"[^>]*hidden', dom)) == 299
    opened = re.search(
        r'<details class="iter iter-bad" open="">\s*<summary><b>Iteration 50/300', dom
    )
    assert opened is not None


DOCUMENTED = """\
name: Users API
description: |
  The **users** service. Use `runner run` to try it.

  - lists users
  - creates *one* user, see [the guide](https://example.com/guide) or [x](javascript:alert(1))
steps:
  - request: Get user
    description: Reads one user by `id`; answers **404** when there is none.
    url: https://api.example.com/users/1
    expect:
      status: 200
      max_time_ms: 500
      json:
        $.id: {ge: 1}
      schema:
        type: object
        properties:
          user: {$ref: "schemas/user.json#/$defs/User"}
          friend: {$ref: "#/$defs/Friend"}
        $defs:
          Friend: {type: object, properties: {id: {type: integer}}}
    capture:
      user_id: $.id
      etag: {header: ETag}
"""


def test_docs_html_renders_markdown_resolves_refs_and_lists_checks(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "user.json").write_text(
        '{"$defs": {"User": {"type": "object", "properties": {"id": {"type": "integer"}}}}}'
    )
    (tmp_path / "api.yaml").write_text(DOCUMENTED, encoding="utf-8")
    result = run_cli("docs", tmp_path / "api.yaml", "-o", tmp_path / "out", "--format", "html")
    assert result.code == 0, result.err
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert (
        "<p>The <strong>users</strong> service. Use <code>runner run</code> to try it.</p>" in index
    )
    assert (
        '<li>creates <em>one</em> user, see <a href="https://example.com/guide">the guide</a>'
        in index
    )
    assert 'href="javascript' not in index
    page = (tmp_path / "out" / "get-user.html").read_text(encoding="utf-8")
    assert "Reads one user by <code>id</code>; answers <strong>404</strong>" in page
    assert "`" not in page.split("<pre>")[0]  # no literal backticks outside code blocks
    resolved = page[page.index("(references resolved)") :]
    assert "&quot;$ref (resolved)&quot;: &quot;schemas/user.json#/$defs/User&quot;" in resolved
    assert "&quot;$ref (resolved)&quot;: &quot;#/$defs/Friend&quot;" in resolved
    assert "<tr><td><code>time</code></td><td>at most 500 ms</td></tr>" in page
    assert "<tr><td><code>json $.id</code></td><td>at least 1</td></tr>" in page
    assert "<tr><td><code>user_id</code></td><td>the JSON body at $.id</td></tr>" in page
    assert "<tr><td><code>etag</code></td><td>the header ETag</td></tr>" in page
