"""The ``runner`` command's start-up leaves out httpx's own command-line client (click,
Pygments), which runner never runs; httpx's ``main`` still works if something calls it."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from runner.__main__ import _without_httpx_command
_without_httpx_command()
import httpx
print("click" in sys.modules, "pygments" in sys.modules, callable(httpx.main))
"""


def test_httpx_command_line_client_is_not_imported_at_start_up() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False", "True"]


def test_a_plain_run_does_not_import_click() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['runner', '--version']\n"
        "try:\n    runpy.run_module('runner', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('click' in sys.modules, 'httpx' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split()[-2:] == ["False", "True"]
