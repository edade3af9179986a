"""The person: where a pause gets its value (a preset, a terminal, a loopback redirect)."""
