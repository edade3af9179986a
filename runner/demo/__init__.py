"""The demo: a local stand-in for an OAuth provider (server) and what plays its browser (play)."""
