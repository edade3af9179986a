"""The ``runner`` command line: argparse, the console and exit codes live here only."""
