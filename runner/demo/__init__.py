"""runner.cli.commands.demo."""
