"""The single choke point that masks secrets in everything the runner shows or writes.

A value becomes secret when it is the value of a variable marked secret (or named like one:
``client_secret``, ``access_token``, ``password``...), a captured secret, a password or token
used for auth, or the value of an Authorization-like header. Reporters and error formatters
pass every string through ``Redactor.mask``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
_PATH_SAFE = "/:@!$&'()*+,;=~"  # what URL libraries leave unencoded in a path
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words and digits
SECRET_NAME = re.compile(r"secret|password|passwd|token|api_?key|credential|private", re.I)
SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token)$"
    r"|secret|token|password|api[-_]?key",
    re.I,
)


@functools.lru_cache(maxsize=1024)
def _secret_header(name: str) -> bool:
    """SECRET_HEADER, once per header name (every response's headers go through it)."""
    return SECRET_HEADER.search(name) is not None


def is_secret_name(name: str) -> bool:
    """Variables named like credentials are secret without being declared so."""
    return SECRET_NAME.search(name) is not None


class Redactor:
    """Knows the secret values of one run and replaces them with ``[REDACTED]``."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: Any) -> None:
        """Register a secret, with the encoded forms it takes in URLs and form bodies."""
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, dict):
            for item in value.values():
                self.add(item)
            return
        if isinstance(value, list | tuple):
            for item in value:
                self.add(item)
            return
        text = str(value)
        if len(text) < MIN_SECRET_LENGTH:
            return
        # the forms a value takes in query strings, form bodies and URL paths
        forms = {text, quote(text, safe=""), quote_plus(text), quote(text, safe=_PATH_SAFE)}
        new = forms - self._values
        if new:
            self._values |= new
            self._pattern = None

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def mask(self, text: str) -> str:
        if not self._values or not text:
            return text
        pattern = self._pattern  # one read: another thread's add() may reset it (--parallel)
        if pattern is None:
            ordered = sorted(self._values, key=len, reverse=True)  # longest first
            pattern = self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return pattern.sub(MASK, text)

    def mask_value(self, value: Any) -> Any:
        """Mask inside JSON-like data (for reports)."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask(str(k)): self.mask_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_value(v) for v in value]
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and str(value) in self._values
        ):
            return MASK
        return value

    def mask_header(self, name: str, value: str) -> str:
        """Headers that carry credentials are masked whole, whatever their value."""
        return MASK if _secret_header(name) else self.mask(value)
