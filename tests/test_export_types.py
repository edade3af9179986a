"""`runner export postman` keeps a JSON body value that is exactly <<name>> typed (Postman's
unquoted {{name}}), so Newman sends what the runner sends; text variables stay quoted."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer

NEWMAN = Path(os.environ.get("RUNNER_NEWMAN_DIR", "/tmp/newman")) / "node_modules/.bin/newman"

COLLECTION = """\
name: typed
variables:
  base: {base}
  new_id: 5
  new_name: ada
steps:
  - request: Create
    method: POST
    url: <<base>>/post
    body:
      json: {{id: <<new_id>>, name: <<new_name>>, label: "n-<<new_id>>", tags: [<<new_id>>]}}
    expect:
      status: 200
      json:
        $.json.id: 5
        $.json.tags[0]: 5
        $.json.name: ada
        $.json.label: n-5
"""


def export(run_cli: RunCli, tmp_path: Path, base: str) -> Path:
    (tmp_path / "typed.yaml").write_text(COLLECTION.format(base=base), encoding="utf-8")
    out = tmp_path / "typed.postman.json"
    result = run_cli("export", "postman", tmp_path / "typed.yaml", "-o", out)
    assert result.code == 0, result.err
    return out


def test_a_whole_variable_in_a_json_body_is_written_unquoted(
    run_cli: RunCli, tmp_path: Path
) -> None:
    out = export(run_cli, tmp_path, "http://127.0.0.1:9")
    raw = json.loads(out.read_text())["item"][0]["request"]["body"]["raw"]
    assert raw == (
        '{\n  "id": {{new_id}},\n  "name": "{{new_name}}",\n  "label": "n-{{new_id}}",\n'
        '  "tags": [\n    {{new_id}}\n  ]\n}'
    )


@pytest.mark.skipif(not NEWMAN.exists(), reason=f"newman 6.2.2 is not installed ({NEWMAN})")
def test_newman_passes_what_the_runner_passes(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    out = export(run_cli, tmp_path, echo.url)
    assert run_cli("run", tmp_path / "typed.yaml").code == 0
    done = subprocess.run(
        [str(NEWMAN), "run", str(out), "--reporters", "json", "--reporter-json-export",
         str(tmp_path / "n.json")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    sent = [json.loads(r.body) for r in echo.log]
    assert sent[0] == sent[1] == {"id": 5, "name": "ada", "label": "n-5", "tags": [5]}
