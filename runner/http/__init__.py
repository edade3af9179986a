"""runner.http."""
