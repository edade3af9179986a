"""runner.formats.curl."""
