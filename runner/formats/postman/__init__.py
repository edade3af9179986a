"""Postman Collection v2.0/v2.1 and environments: import, export, script translation."""
