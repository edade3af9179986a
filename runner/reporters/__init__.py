"""Reporters: listeners on the run's event stream (see runner.events) that show or write it.

Every reporter masks what it prints through the run's ``Redactor``."""

from __future__ import annotations

from runner.reporters.console import ConsoleReporter

__all__ = ["ConsoleReporter"]
