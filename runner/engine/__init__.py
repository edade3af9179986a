"""runner.engine.engine."""
