"""runner.formats.openapi."""
