"""The single choke point that masks secrets in everything the runner shows or writes.

A value becomes secret when it is the value of a variable marked secret (or named like one:
``client_secret``, ``access_token``, ``password``...), a captured secret, a password or token
used for auth, or the value of an Authorization-like header. Reporters and error formatters
pass every string through ``Redactor.mask``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Iterator
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
        # Matchers over the values, oldest (and largest) first, and the values added since.
        # Why chunks: a data file with a secret column adds values on every row; compiling one
        # pattern of all of them again each row cost time and memory that grew with the rows
        # (bench/limits.py). A chunk is merged with the next when they are of a size, so a run
        # of N values builds O(N log N) in all and masks with at most log2(N) matchers.
        self._chunks: list[_Chunk] = []
        self._pending: list[str] = []
        self._lock = threading.Lock()
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
        with self._lock:
            new = forms - self._values
            if new:
                self._values |= new
                self._pending.extend(new)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def mask(self, text: str) -> str:
        if not self._values or not text:
            return text
        chunks = self._patterns()
        if len(chunks) == 1 and chunks[0].pattern is not None:
            return chunks[0].pattern.sub(MASK, text)
        # several matchers: mask every stretch any of them matches (overlaps merged), so a
        # short secret in one chunk never splits a longer one in another
        spans = sorted(span for chunk in chunks for span in chunk.spans(text))
        if not spans:
            return text
        out: list[str] = []
        done = 0
        start, end = spans[0]
        for s, e in spans[1:]:
            if s < end:
                end = max(end, e)
                continue
            out += (text[done:start], MASK)
            done, start, end = end, s, e
        out += (text[done:start], MASK, text[end:])
        return "".join(out)

    def _patterns(self) -> list[_Chunk]:
        """The chunks, with the values added since the last call compiled in."""
        if self._pending:
            with self._lock:
                if self._pending:
                    few = len(self._values) <= SMALL_CHUNK  # the usual run: one pattern
                    chunks = [*self._chunks, _Chunk(self._pending, few)]
                    self._pending = []
                    while len(chunks) > 1 and len(chunks[-2].values) <= 2 * len(chunks[-1].values):
                        chunks[-2:] = [_Chunk(chunks[-2].values + chunks[-1].values, few)]
                    self._chunks = chunks  # replaced whole: readers in other threads see one
        return self._chunks

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


SMALL_CHUNK = 64  # values; a run with more masks them with Aho-Corasick automata


class _Chunk:
    """Finds a set of secret values in text: a regular expression for a few values (the
    usual run); an Aho-Corasick automaton (pyahocorasick) for many, because Python's regular
    expressions try every alternative at every position (65,536 values: 26 s to mask 60 KB,
    against 2 ms)."""

    def __init__(self, values: list[str], few: bool) -> None:
        self.values = values
        self.pattern: re.Pattern[str] | None = None
        self.automaton: Any = None
        if few:
            ordered = sorted(values, key=len, reverse=True)  # longest first: a longer one wins
            self.pattern = re.compile("|".join(re.escape(v) for v in ordered))
        else:
            import ahocorasick  # type: ignore[import-not-found]  # deferred: many secrets only

            automaton = ahocorasick.Automaton()
            for value in values:
                automaton.add_word(value, len(value))
            automaton.make_automaton()
            self.automaton = automaton

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of every occurrence, overlapping ones included for automata."""
        if self.pattern is not None:
            for match in self.pattern.finditer(text):
                yield match.span()
            return
        for end, length in self.automaton.iter(text):
            yield end - length + 1, end + 1
