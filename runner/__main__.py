"""The ``runner`` command and ``python -m runner``: start up, then hand over to runner.cli.main.

Why a module of its own: start-up time is a feature (docs/performance.md), and the cheapest
part of it to save is the cyclic garbage collector's. Importing the CLI allocates thousands
of long-lived objects (modules, classes, functions) among which there is no garbage to find;
collecting while they are made costs about 6 ms of every run. So the collector is paused
while the CLI is imported, and ``gc.freeze()`` then moves those objects out of its way for
the rest of the run. This must happen before ``runner.cli.main`` is imported, hence here.
"""

from __future__ import annotations

import gc
import sys


def main() -> int:
    """Import the CLI with the collector paused, then run the command line."""
    gc.disable()
    try:
        from runner.cli.main import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
