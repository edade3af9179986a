"""The package version, in a module of its own so that any layer can read it without importing
the public API (``runner/__init__.py`` loads the engine on first use)."""

__version__ = "0.1.0"
