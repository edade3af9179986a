"""runner.check."""
