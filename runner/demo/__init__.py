"""The demo's local OAuth authorization server (Zoom-shaped): demo and test support, not
runtime code."""
