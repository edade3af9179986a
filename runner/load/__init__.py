"""runner.load."""
