"""The single choke point that masks secrets in everything the runner shows or writes.

A value becomes secret when it is the value of a variable marked secret (or named like one:
``client_secret``, ``access_token``, ``password``...), a captured secret, a password or token
used for auth, a token request's credential field, or the value of an Authorization-like
header. Reporters and error formatters pass every string through ``Redactor.mask``.

A secret leaves the process in more forms than the one it was registered in: escaped inside a
JSON string, percent-encoded in a URL or form body, Base64-encoded (``Authorization: Basic``),
HTML- or XML-escaped. ``add`` registers every such form, so text masked at any point of its
way out (a response body that is JSON, a query string, a report) never shows the secret.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

from runner.core.walk import StringMap

MASK = "[REDACTED]"
_PATH_SAFE = "/:@!$&'()*+,;=~"  # what URL libraries leave unencoded in a path
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words and digits
MIN_BASE64_CORE = 8  # Base64 characters; a shorter run would match ordinary words
SECRET_NAME = re.compile(r"secret|password|passwd|token|api_?key|credential|private", re.I)
SECRET_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token)$"
    r"|secret|token|password|api[-_]?key",
    re.I,
)
# form fields of a token request (RFC 6749, 7523, 7636) whose values are credentials
TOKEN_REQUEST_FIELDS = frozenset(
    {"client_secret", "password", "refresh_token", "code_verifier", "client_assertion"}
)
# ``scheme://user:password@``: the password, whatever registered it
_USERINFO = re.compile(r"://[^\s/?#@:\"'<>]*:([^\s/?#@\"'<>]+)@")
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]*=*")
# What xml.sax.saxutils.escape writes, with quoteattr's entities for line breaks and tabs
# (written here: importing xml.sax.saxutils imports urllib.request, 20 ms of start-up).
_XML_ATTR = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def xml_escape(text: str) -> str:
    """``text`` as XML writes it inside an attribute, before quotes are chosen."""
    return "".join(_XML_ATTR.get(char, char) for char in text)


@functools.lru_cache(maxsize=1024)
def _secret_header(name: str) -> bool:
    """SECRET_HEADER, once per header name (every response's headers go through it)."""
    return SECRET_HEADER.search(name) is not None


# A name that ends in one of these words describes a credential, it is not one: token_url,
# token_endpoint, token_type, tokenUrl, secret_name, private_key_file are not masked.
NOT_SECRET_SUFFIX = frozenset(
    ("url", "uri", "endpoint", "type", "path", "file", "host", "name", "header", "kind",
     "expiry", "ttl", "length", "lifetime", "method", "location")
)  # fmt: skip
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_name(name: str) -> bool:
    """Variables named like credentials are secret without being declared so: access_token,
    client_secret, api_key; not the names that only describe one (token_url, token_type)."""
    if SECRET_NAME.search(name) is None:
        return False
    words = _NAME_WORDS.findall(name)
    return not words or words[-1].lower() not in NOT_SECRET_SUFFIX


def token_request_secrets(fields: Iterable[tuple[str, str]]) -> list[str]:
    """The credential values of a form body: the TOKEN_REQUEST_FIELDS always, and ``code``
    when the form is a token request (it has a ``grant_type``)."""
    pairs = list(fields)
    grant = any(name == "grant_type" for name, _ in pairs)
    return [v for n, v in pairs if n in TOKEN_REQUEST_FIELDS or (grant and n == "code")]


def encoded_forms(text: str) -> set[str]:
    """The forms ``text`` takes written out: as it is; inside a JSON string (ASCII-only or
    not, and a JSON string inside another); percent-encoded (path, query, form); HTML- and
    XML-escaped. Base64 is in ``base64_forms``."""
    json_forms = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    twice = {
        json.dumps(j, ensure_ascii=a)[1:-1] for j in json_forms - {text} for a in (True, False)
    }
    url = {quote(text, safe=""), quote_plus(text), quote(text, safe=_PATH_SAFE)}
    xml = xml_escape(text)
    markup = {html.escape(text), html.escape(text, quote=False), xml, xml.replace('"', "&quot;")}
    return {text} | json_forms | twice | url | markup


def base64_forms(text: str) -> set[str]:
    """Base64 (standard and URL-safe) of ``text`` alone, and the runs of characters that
    encode it wherever it sits in longer data (``user:secret``): for each of the three
    alignments, the whole groups of four that encode only bytes of ``text``."""
    data = text.encode("utf-8")
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        alone = encode(data).decode("ascii").rstrip("=")
        if len(alone) >= MIN_SECRET_LENGTH:
            forms.add(alone)
        for shift in (0, 1, 2):
            skip = (3 - shift) % 3  # bytes of text that share a group with what is before
            whole = (len(data) - skip) // 3 * 3
            if whole * 4 // 3 >= MIN_BASE64_CORE:
                forms.add(encode(data[skip : skip + whole]).decode("ascii"))
    return forms


class Redactor:
    """Knows the secret values of one run and replaces them with ``[REDACTED]``."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        # every registered form -> whether a match widens to the Base64 run around it
        self._values: dict[str, bool] = {}
        # Matchers over the values, oldest (and largest) first, and the values added since.
        # Why chunks: a data file with a secret column adds values on every row; compiling one
        # pattern of all of them again each row cost time and memory that grew with the rows
        # (bench/limits.py). A chunk is merged with the next when they are of a size, so a run
        # of N values builds O(N log N) in all and masks with at most log2(N) matchers.
        self._chunks: list[_Chunk] = []
        self._pending: list[tuple[str, bool]] = []
        self._lock = threading.Lock()
        # the walks of mask_data, made once: (then, whether there are secrets) -> walk
        self._walks: dict[tuple[Callable[[str], str] | None, bool], StringMap] = {}
        for value in values:
            self.add(value)

    def add(self, value: Any) -> None:
        """Register a secret, with the encoded forms it takes on the way out (encoded_forms,
        base64_forms)."""
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
        if len(text) < MIN_SECRET_LENGTH or text in self._values:
            return
        forms = dict.fromkeys(base64_forms(text), True)
        forms.update(dict.fromkeys(encoded_forms(text), False))  # exact beats Base64
        with self._lock:
            new = [(form, wide) for form, wide in forms.items() if form not in self._values]
            if new:
                self._values.update(new)
                self._pending.extend(new)

    def __contains__(self, value: str) -> bool:
        return value in self._values

    def mask(self, text: str) -> str:
        """``text`` with every form of every secret, and the password of any URL with
        ``user:password@``, replaced by ``[REDACTED]``. Linear in the text."""
        if not text:
            return text
        if "://" in text and "@" in text:
            text = self._mask_userinfo(text)
        if not self._values:
            return text
        # mask every stretch any matcher matches (overlaps merged), so a short secret in one
        # chunk never splits a longer one in another; a Base64 match widens to its whole run
        spans = sorted(span for chunk in self._patterns() for span in chunk.spans(text))
        if not spans:
            return text
        out: list[str] = []
        done = 0  # the end of what is copied or masked already
        start = end = -1  # the stretch being merged (none yet)
        for s, e, wide in spans:
            if wide and e > end:  # the whole Base64 run: ``Basic`` credentials, a token
                while s > max(end, 0) and text[s - 1] in _BASE64_CHARS:
                    s -= 1
                e = _BASE64_RUN.match(text, e).end()  # type: ignore[union-attr]  # matches ""
            if s < end:
                end = max(end, e)
                continue
            if start >= 0:
                out += (text[done:start], MASK)
                done = end
            start, end = s, e
        out += (text[done:start], MASK, text[end:])
        return "".join(out)

    def _mask_userinfo(self, text: str) -> str:
        """Mask URL userinfo passwords, and learn them: masked wherever else they appear."""

        def hide(match: re.Match[str]) -> str:
            self.add(match.group(1))
            return match.group(0).replace(match.group(1), MASK)

        return _USERINFO.sub(hide, text)

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

    def mask_data(self, value: Any, then: Callable[[str], str] | None = None) -> Any:
        """A copy of ``value`` (an event, a result, JSON-like data) with every string in it
        masked, headers by their name too (``mask_header``). What is unchanged is returned as
        it is, so a run with no secret allocates nothing here.

        ``then``, when given, rewrites every string after it is masked, in the same walk: the
        console's control characters made visible (runner.reporters.terminal) cost one walk
        of each event, not two.

        Why one function: this is the boundary. The engine hands events to it on their way to
        the reporters (runner.engine.emitter), so no reporter, plug-in or file written from
        events has to remember to mask."""
        # Without secrets, numbers are never masked: the walk skips them (and None, bools).
        key = (then, bool(self._values))
        walk = self._walks.get(key)
        if walk is None:
            walk = self._walks[key] = self._walk(then)
        return walk(value)

    def _walk(self, then: Callable[[str], str] | None) -> StringMap:
        number = self._number if self._values else None
        if then is None:
            return StringMap(self.mask, self._header_pair, number)

        values, mask = self._values, self.mask  # the dict itself: a secret added later counts
        own = type(self).mask is Redactor.mask  # a subclass may mask more (PassRedactor)

        def text(value: str) -> str:  # mask's quick exits inlined: one call a string, not two
            if not own or values or ("://" in value and "@" in value):
                value = mask(value)
            return then(value)

        def header(name: str, value: str) -> tuple[str, str]:
            return then(name), then(self.mask_header(name, value))

        def masked_number(value: float) -> Any:
            out = self._number(value)
            return then(out) if isinstance(out, str) else out

        return StringMap(text, header, masked_number if number is not None else None)

    def _header_pair(self, name: str, value: str) -> tuple[str, str]:
        return name, self.mask_header(name, value)

    def _number(self, value: float) -> Any:
        return MASK if self._values and str(value) in self._values else value

    def mask_header(self, name: str, value: str) -> str:
        """Headers that carry credentials are masked whole, whatever their value."""
        return MASK if _secret_header(name) else self.mask(value)


SMALL_CHUNK = 256  # values (a secret has up to ~20 forms); more are masked with automata


class _Chunk:
    """Finds a set of secret values in text: a regular expression for a few values (the
    usual run); an Aho-Corasick automaton (pyahocorasick) for many, because Python's regular
    expressions try every alternative at every position (65,536 values: 26 s to mask 60 KB,
    against 2 ms)."""

    def __init__(self, values: list[tuple[str, bool]], few: bool) -> None:
        self.values = values
        self.pattern: re.Pattern[str] | None = None
        self.automaton: Any = None
        self.wide = {value for value, wide in values if wide}
        if few:
            ordered = sorted((v for v, _ in values), key=len, reverse=True)  # a longer one wins
            self.pattern = re.compile("|".join(re.escape(v) for v in ordered))
        else:
            import ahocorasick  # type: ignore[import-not-found]  # deferred: many secrets only

            automaton = ahocorasick.Automaton()
            for value, wide in values:
                automaton.add_word(value, (len(value), wide))
            automaton.make_automaton()
            self.automaton = automaton

    def spans(self, text: str) -> Iterator[tuple[int, int, bool]]:
        """(start, end, widen to the Base64 run) of every occurrence, overlapping ones
        included for automata."""
        if self.pattern is not None:
            wide = self.wide
            for match in self.pattern.finditer(text):
                yield match.start(), match.end(), match.group() in wide
            return
        for end, (length, wide) in self.automaton.iter(text):
            yield end - length + 1, end + 1, wide
