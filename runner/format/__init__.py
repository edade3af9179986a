"""runner.format."""
