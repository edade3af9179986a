"""runner.scripts."""
