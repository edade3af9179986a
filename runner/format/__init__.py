"""Load: the collection file format. YAML to the typed model (line-aware, with file:line:col
errors), schema ``$ref`` resolution, data files, the editor JSON Schema."""
