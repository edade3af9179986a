"""The ``runner`` command and ``python -m runner``: start up, then hand over to runner.cli.main.

Why a module of its own: start-up time is a feature (docs/performance.md), and the cheapest
part of it to save is the cyclic garbage collector's. Importing the CLI allocates thousands
of long-lived objects (modules, classes, functions) among which there is no garbage to find;
collecting while they are made costs about 6 ms of every run. So the collector is paused
while the CLI is imported, and ``gc.freeze()`` then moves those objects out of its way for
the rest of the run. This must happen before ``runner.cli.main`` is imported, hence here.

The same goes for httpx's own command-line client (``httpx._main``), which httpx imports
with itself: where click and Pygments are installed (Locust brings them), they cost about a
tenth of the command's start-up, and runner never runs httpx's command.
"""

from __future__ import annotations

import gc
import importlib
import sys
import types


def main() -> int:
    """Import the CLI with the collector paused, then run the command line."""
    gc.disable()
    _without_httpx_command()
    try:
        from runner.cli.main import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    return cli_main()


def _without_httpx_command() -> None:
    """Stand in for ``httpx._main`` before httpx is imported: its ``main`` imports the real
    module when called (nothing in runner calls it)."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main")

    def main() -> None:
        del sys.modules["httpx._main"]
        importlib.import_module("httpx._main").main()

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


if __name__ == "__main__":
    sys.exit(main())
