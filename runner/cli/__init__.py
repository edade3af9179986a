"""runner.cli.main."""
