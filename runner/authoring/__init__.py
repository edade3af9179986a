"""Tools for people writing collections: ``fmt``, ``new`` (scaffold), ``docs`` (documentation
pages)."""
