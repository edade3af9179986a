"""runner.authoring."""
