"""runner.render.templates."""
