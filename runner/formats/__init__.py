"""Foreign formats, one sub-package or module each: Postman, curl, HAR, OpenAPI, documentation
pages. Pure conversions: data in, data (and notes) out."""


def is_postman_source(source: str) -> bool:
    """A Postman collection: a ``.json`` file, or the JSON text itself (``{`` first).

    Here, not in runner.formats.newman: every ``runner run`` asks, and a YAML run need not
    import Newman's loader to know."""
    return source.lstrip().startswith("{") or source.lower().endswith(".json")
