"""One module per ``runner`` command, each with ``register(subparsers)``."""
