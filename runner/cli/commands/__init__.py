"""runner.cli.main.commands."""
