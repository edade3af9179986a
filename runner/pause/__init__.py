"""runner.pause."""
