"""Render: ``<<variables>>`` in Jinja2's sandbox, the layered variable scope, Postman's dynamic
variables."""
