"""runner.formats."""
