"""runner.formats.postman."""
