"""Authentication applied to requests: basic, bearer, API key, digest, OAuth 1.0a, OAuth 2.0
with its token cache."""
