"""Resume: a run saves its state as it goes; --resume and --from start again from it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from server import TestServer

CODE = "pasted-code-8c1f9e"

COLLECTION = """
name: OAuth then API
variables:
  base: {base}
  state: << random_state() >>
steps:
  - pause: Paste the code
    variable: code
  - request: Exchange the code
    method: POST
    url: <<base>>/echo/token
    body:
      form: {{code: <<code>>, state: <<state>>}}
    capture:
      access_token: $.form.code
      sent_state: $.form.state
  - request: Call the API
    url: <<base>>/<<api_path>>
    headers: {{X-State: <<sent_state>>}}
    auth: {{type: bearer, token: <<access_token>>}}
    expect:
      status: 200
"""


@pytest.fixture
def files(write_file: Any, fresh_server: TestServer, tmp_path: Path) -> dict[str, Any]:
    collection = write_file("flow.yaml", COLLECTION.format(base=fresh_server.url))
    environment = write_file("env.yaml", "variables:\n  api_path: status/500\n")
    state_dir = tmp_path / "state"
    return {
        "collection": collection,
        "environment": environment,
        "env": {"RUNNER_STATE_DIR": str(state_dir)},
        "state_dir": state_dir,
        "server": fresh_server,
    }


def both(files: dict[str, Any]) -> tuple[Any, ...]:
    return (files["collection"], "-e", files["environment"])


def state_file(files: dict[str, Any]) -> Path:
    (path,) = (files["state_dir"] / "runs").glob("*.json")
    return Path(path)


def test_a_run_that_fails_after_the_pause_resumes_without_asking_again(
    files: dict[str, Any], run_cli: Any
) -> None:
    server: TestServer = files["server"]
    args = (files["collection"], "-e", files["environment"])
    first = run_cli("run", *args, "--input", f"code={CODE}", env=files["env"])
    assert first.code == 1, first.output
    assert [r.path for r in server.log] == ["/echo/token", "/status/500"]
    first_state = server.log[0].body.decode()

    files["environment"].write_text("variables:\n  api_path: echo/api\n", encoding="utf-8")
    server.clear()
    # no --input and no terminal: a pause that asked again would stop with exit code 3
    second = run_cli("run", *args, "--resume", env=files["env"])
    assert second.code == 0, second.output
    assert "starting at step 3 'Call the API' with the state saved" in second.err
    assert [r.path for r in server.log] == ["/echo/api"]  # the code was not exchanged again
    call = server.log[0]
    assert call.headers["authorization"] == f"Bearer {CODE}"  # the captured token, restored
    assert f"state={call.headers['x-state']}" in first_state  # the same random state
    assert CODE not in second.output


def test_the_state_file_is_private_and_outside_the_project(
    files: dict[str, Any], run_cli: Any, tmp_path: Path
) -> None:
    old = os.umask(0)
    try:
        run_cli("run", *both(files), "--input", f"code={CODE}", env=files["env"])
    finally:
        os.umask(old)
    path = state_file(files)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.is_relative_to(files["state_dir"])
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["captures"]["code"] == CODE
    assert saved["next"] == 2  # the first step that did not pass
    project = {p.name for p in files["collection"].parent.iterdir()}
    assert project == {"flow.yaml", "env.yaml", "state"}  # nothing written beside the files


def test_from_starts_at_a_named_step_with_the_saved_state(
    files: dict[str, Any], run_cli: Any
) -> None:
    server: TestServer = files["server"]
    files["environment"].write_text("variables:\n  api_path: echo/api\n", encoding="utf-8")
    args = (files["collection"], "-e", files["environment"])
    assert run_cli("run", *args, "--input", f"code={CODE}", env=files["env"]).code == 0
    server.clear()
    done = run_cli("run", *args, "--from", "Call the API", env=files["env"])
    assert done.code == 0, done.output
    assert [r.path for r in server.log] == ["/echo/api"]
    assert "starting at step 3 'Call the API'" in done.err
    # a completed run has nothing to resume, but --from still starts where asked
    done = run_cli("run", *args, "--resume", env=files["env"])
    assert done.code == 2
    assert "passed all 3 steps; there is nothing to resume" in done.err


def test_from_names_a_missing_step_with_a_suggestion(files: dict[str, Any], run_cli: Any) -> None:
    run_cli("run", *both(files), "--input", f"code={CODE}", env=files["env"])
    done = run_cli("run", *both(files), "--from", "Call teh API", env=files["env"])
    assert done.code == 2
    assert "--from 'Call teh API': no step has that name or id" in done.err
    assert "did you mean 'Call the API'?" in done.err


def test_resume_without_a_saved_run_says_so(files: dict[str, Any], run_cli: Any) -> None:
    done = run_cli("run", *both(files), "--resume", env=files["env"])
    assert done.code == 2
    assert "no saved run of this collection with env to resume" in done.err
    assert files["server"].log == []


def test_from_a_step_whose_values_were_never_captured_is_refused(
    files: dict[str, Any], run_cli: Any
) -> None:
    server: TestServer = files["server"]
    server.stop()  # the exchange cannot happen: only the pause passes
    run_cli("run", *both(files), "--input", f"code={CODE}", env=files["env"])
    done = run_cli("run", *both(files), "--from", "Call the API", env=files["env"])
    assert done.code == 2
    assert "no value for 'access_token', 'sent_state'" in done.err
    assert "set by step 'Exchange the code'" in done.err


def test_resume_refuses_a_collection_whose_earlier_steps_changed(
    files: dict[str, Any], run_cli: Any
) -> None:
    run_cli("run", *both(files), "--input", f"code={CODE}", env=files["env"])
    text = files["collection"].read_text(encoding="utf-8")
    files["collection"].write_text(text.replace("Exchange the code", "Swap"), encoding="utf-8")
    done = run_cli("run", *both(files), "--resume", env=files["env"])
    assert done.code == 2
    assert "steps changed since the saved run (step 2 was 'Exchange the code', now 'Swap')" in (
        done.err
    )


def test_no_state_saves_nothing(files: dict[str, Any], run_cli: Any) -> None:
    run_cli("run", *both(files), "--input", f"code={CODE}", "--no-state", env=files["env"])
    assert not (files["state_dir"] / "runs").exists()


def test_without_a_home_nothing_is_saved_and_resume_says_why(
    files: dict[str, Any], run_cli: Any
) -> None:
    assert run_cli("run", *both(files), "--input", f"code={CODE}").code == 1
    done = run_cli("run", *both(files), "--resume")
    assert done.code == 2
    assert "no state directory" in done.err
