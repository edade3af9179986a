"""OpenAPI 3.0/3.1 descriptions: import and export."""
