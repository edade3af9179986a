"""Secrets never need the command line (security checklist item 20, docs/security.md).

Anything in a process's argv can be read by every local user (``ps -o args``). So no option
of any command takes a secret value (secret-named options are switches only), and when the
runner starts a process of its own (``runner load`` runs Locust in one), the values it hands
over travel on a pipe, never in that process's argv."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.cli.main import build_parser
from runner.core.redact import SECRET_NAME


def _options(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*path, name))
        elif action.option_strings:
            yield path, action


def test_no_option_of_any_command_takes_a_secret_value() -> None:
    seen = list(_options(build_parser()))
    commands = {path[0] for path, _ in seen if path}
    assert {"run", "check", "load", "import", "export", "auth"} <= commands  # all registered
    offending = [
        f"runner {' '.join(path)} {'/'.join(action.option_strings)}"
        for path, action in seen
        if any(SECRET_NAME.search(o) for o in action.option_strings) and action.nargs != 0
    ]
    assert offending == [], "secrets come from the environment, a file or stdin, not argv"


def test_the_secret_named_switches_are_found_by_the_walk() -> None:
    """The walk above would pass vacuously if it found no secret-named option at all."""
    named = [
        o
        for _, action in _options(build_parser())
        for o in action.option_strings
        if SECRET_NAME.search(o)
    ]
    assert "--no-token-cache" in named and "--show-secrets" in named


SHOP = """
name: Secret pause under load
steps:
  - pause: The password
    variable: password
    secret: true
  - request: Log in
    method: POST
    url: {base}/login
    body:
      json: {{user: <<password>>}}
    expect:
      status: 200
    capture:
      token: $.token
  - request: Items
    url: {base}/items
    auth: {{type: bearer, token: <<token>>}}
    expect:
      status: 200
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc (Linux)")
@pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="runner load needs the 'load' extra"
)
def test_a_load_run_hands_a_pasted_secret_to_its_load_process_off_argv(
    tmp_path: Path,
) -> None:
    from load_server import ShopServer

    canary = "canary-s3cr3t-9f1c2b7e"
    with ShopServer() as shop:
        collection = tmp_path / "load.yaml"
        collection.write_text(SHOP.format(base=shop.url), encoding="utf-8")
        env = {**os.environ, "RUNNER_INPUT_PASSWORD": canary}
        argv = [sys.executable, "-m", "runner", "load", str(collection), "--progress", "0"]
        argv += ["-u", "2", "-r", "2", "-t", "3s"]
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        leaks: list[str] = []
        scanned = 0
        try:
            while proc.poll() is None:
                for entry in Path("/proc").iterdir():
                    if not entry.name.isdigit():
                        continue
                    try:
                        args = (entry / "cmdline").read_bytes().decode(errors="replace")
                    except OSError:
                        continue  # ended meanwhile, or not ours to read
                    scanned += 1
                    if canary in args:
                        leaks.append(args.replace("\0", " "))
                time.sleep(0.1)
            out = proc.communicate(timeout=60)[0]
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, out
        assert leaks == []
        assert scanned > 0
        assert canary not in out  # and masked in what the run printed
        logins = [h for h in shop.snapshot() if h.path == "/login"]
        assert logins and {h.user for h in logins} == {canary}  # it reached the users
