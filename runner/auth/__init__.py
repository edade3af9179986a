"""runner.auth.session."""
