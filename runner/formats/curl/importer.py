"""``runner import curl 'curl ...'``: the curl command from an API's documentation as a step.

Supported: the method (``-X``, ``-I``, ``-G``), the URL (its query becomes ``params`` when that
reads back the same), headers (``-H``, ``-A``, ``-e``, ``-b 'a=1; b=2'``), bodies (``-d``,
``--data-raw``, ``--data-binary``, ``--data-urlencode``, ``--json``; a JSON body becomes
``body.json``, a URL-encoded one ``body.form``), multipart (``-F``, ``--form-string``), auth
(``-u``, ``--oauth2-bearer``, ``Authorization: Bearer ...``), ``-L`` and ``-m``. Output options
(``-s``, ``-v``, ``-o``, ...) are ignored. Anything else is refused by name, so nothing is
dropped silently. Shell syntax: '...', "...", $'...', backslash escapes and line continuations
(as copied from a browser or a docs page); ``$NAME`` outside single quotes becomes
``<< env('NAME') >>`` as the shell would expand it, and ``{{name}}`` (Postman) ``<<name>>``.

The step is printed, or appended to a collection with ``--to FILE`` (created when missing),
keeping that file's comments (runner.authoring.fmt).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from runner.core.errors import UsageError

# Options that take a value, by every name curl accepts (short ones without the dash).
_WITH_VALUE = {
    "X": "request", "request": "request", "H": "header", "header": "header",
    "d": "data", "data": "data", "data-ascii": "data", "data-raw": "data-raw",
    "data-binary": "data-binary", "data-urlencode": "data-urlencode", "json": "json",
    "F": "form", "form": "form", "form-string": "form-string", "u": "user", "user": "user",
    "b": "cookie", "cookie": "cookie", "A": "user-agent", "user-agent": "user-agent",
    "e": "referer", "referer": "referer", "m": "max-time", "max-time": "max-time",
    "url": "url", "oauth2-bearer": "oauth2-bearer", "url-query": "url-query",
    # output and connection options: read and ignored
    "o": "ignore", "output": "ignore", "w": "ignore", "write-out": "ignore",
    "connect-timeout": "ignore", "retry": "ignore", "retry-delay": "ignore",
    "retry-max-time": "ignore", "c": "ignore", "cookie-jar": "ignore", "D": "ignore",
    "dump-header": "ignore", "trace": "ignore", "trace-ascii": "ignore", "stderr": "ignore",
    "limit-rate": "ignore", "max-redirs": "ignore", "C": "ignore", "continue-at": "ignore",
}  # fmt: skip
_FLAGS = {
    "G": "get", "get": "get", "I": "head", "head": "head", "L": "location",
    "location": "location", "k": "insecure", "insecure": "insecure", "basic": "ignore",
    "digest": "digest", "compressed": "ignore", "s": "ignore", "silent": "ignore",
    "S": "ignore", "show-error": "ignore", "v": "ignore", "verbose": "ignore", "i": "ignore",
    "include": "ignore", "f": "ignore", "fail": "ignore", "fail-with-body": "ignore",
    "O": "ignore", "remote-name": "ignore", "N": "ignore", "no-buffer": "ignore",
    "http1.1": "ignore", "http2": "http2", "globoff": "ignore", "g": "ignore",
    "location-trusted": "location", "no-progress-meter": "ignore", "#": "ignore",
    "progress-bar": "ignore", "tr-encoding": "ignore", "raw": "ignore", "q": "ignore",
}  # fmt: skip

_POSTMAN_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SHELL_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
              "b": "\b", "e": "\x1b", "f": "\f", "v": "\v", "?": "?"}  # fmt: skip


@dataclass
class CurlRequest:
    """What a curl command asks for, before it becomes a step."""

    url: str | None = None
    method: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    json: bool = False
    form: list[tuple[str, str, bool]] = field(default_factory=list)  # name, spec, literal
    user: str | None = None
    bearer: str | None = None
    get: bool = False
    head: bool = False
    location: bool = False
    digest: bool = False
    max_time: float | None = None
    url_query: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- the shell's words -------------------------------------------------------------------------


def split_command(command: str) -> list[str]:
    """Split a shell command line into words as bash would (quotes, $'...', escapes, line
    continuations); ``$NAME`` outside single quotes becomes ``<< env('NAME') >>``."""
    words: list[str] = []
    word: list[str] = []
    started = False
    i, n = 0, len(command)

    def expand(text: str) -> str:
        return _SHELL_VAR.sub(lambda m: f"<< env('{m.group(1) or m.group(2)}') >>", text)

    while i < n:
        c = command[i]
        if c == "\\" and i + 1 < n:
            nxt = command[i + 1]
            if nxt == "\r" and command[i + 2 : i + 3] == "\n":
                i += 3
                continue
            if nxt == "\n":
                i += 2
                continue
            word.append(nxt)
            started = True
            i += 2
        elif c in " \t\r\n":
            if started:
                words.append("".join(word))
                word, started = [], False
            i += 1
        elif c == "'":
            end = command.find("'", i + 1)
            if end < 0:
                raise UsageError("the curl command has an unclosed ' quote")
            word.append(command[i + 1 : end])
            started = True
            i = end + 1
        elif c == "$" and command[i + 1 : i + 2] == "'":
            i += 2
            while i < n and command[i] != "'":
                if command[i] == "\\" and i + 1 < n:
                    esc = command[i + 1]
                    if esc == "x":
                        hexa = re.match(r"[0-9a-fA-F]{1,2}", command[i + 2 :])
                        if hexa:
                            word.append(chr(int(hexa.group(0), 16)))
                            i += 2 + len(hexa.group(0))
                            continue
                    if esc == "u":
                        uni = re.match(r"[0-9a-fA-F]{1,4}", command[i + 2 :])
                        if uni:
                            word.append(chr(int(uni.group(0), 16)))
                            i += 2 + len(uni.group(0))
                            continue
                    word.append(_C_ESCAPES.get(esc, "\\" + esc))
                    i += 2
                else:
                    word.append(command[i])
                    i += 1
            if i >= n:
                raise UsageError("the curl command has an unclosed $' quote")
            started = True
            i += 1
        elif c == '"':
            i += 1
            part: list[str] = []
            while i < n and command[i] != '"':
                if command[i] == "\\" and i + 1 < n and command[i + 1] in '"\\$`\n':
                    if command[i + 1] != "\n":
                        part.append(command[i + 1])
                    i += 2
                else:
                    part.append(command[i])
                    i += 1
            if i >= n:
                raise UsageError('the curl command has an unclosed " quote')
            word.append(expand("".join(part)))
            started = True
            i += 1
        else:
            end = i
            while (
                end < n
                and command[end] not in " \t\r\n'\"\\"
                and not (command[end] == "$" and command[end + 1 : end + 2] == "'")
            ):
                end += 1
            word.append(expand(command[i:end]))
            started = True
            i = end
    if started:
        words.append("".join(word))
    return words


# --- curl's options ------------------------------------------------------------------------------


def parse(words: list[str]) -> CurlRequest:
    """Read curl's arguments (the first word may be ``curl``); raises UsageError on anything
    it would have to drop."""
    if words and Path(words[0]).name in ("curl", "curl.exe"):
        words = words[1:]
    req = CurlRequest()
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            for rest in words[i:]:
                _set_url(req, rest)
            break
        if word.startswith("--") and len(word) > 2:
            name = word[2:]
            if name in _FLAGS:
                _flag(req, _FLAGS[name], word)
                continue
            if name in _WITH_VALUE:
                if i >= len(words):
                    raise UsageError(f"curl option {word} needs a value")
                _option(req, _WITH_VALUE[name], words[i], word)
                i += 1
                continue
            raise UsageError(
                f"curl option {word} is not supported by runner import curl",
                hint="remove it, or write the step by hand (docs/format.md)",
            )
        if word.startswith("-") and len(word) > 1:
            letters = word[1:]
            j = 0
            while j < len(letters):
                letter = letters[j]
                if letter in _FLAGS:
                    _flag(req, _FLAGS[letter], f"-{letter}")
                    j += 1
                    continue
                if letter in _WITH_VALUE:
                    value = letters[j + 1 :]
                    if not value:
                        if i >= len(words):
                            raise UsageError(f"curl option -{letter} needs a value")
                        value = words[i]
                        i += 1
                    _option(req, _WITH_VALUE[letter], value, f"-{letter}")
                    break
                raise UsageError(
                    f"curl option -{letter} is not supported by runner import curl",
                    hint="remove it, or write the step by hand (docs/format.md)",
                )
            continue
        _set_url(req, word)
    if req.url is None:
        raise UsageError("the curl command has no URL")
    return req


def _set_url(req: CurlRequest, url: str) -> None:
    if req.url is not None:
        raise UsageError(
            f"the curl command has more than one URL ({req.url}, {url})",
            hint="import one request at a time",
        )
    req.url = url


def _flag(req: CurlRequest, what: str, written: str) -> None:
    if what == "get":
        req.get = True
    elif what == "head":
        req.head = True
    elif what == "location":
        req.location = True
    elif what == "digest":
        req.digest = True
    elif what == "insecure":
        req.notes.append(f"{written} ignored: the runner keeps TLS verification on")
    elif what == "http2":
        req.notes.append(f"{written} ignored: set http2: true on the step to use HTTP/2")


def _option(req: CurlRequest, what: str, value: str, written: str) -> None:
    if what == "request":
        req.method = value.upper() if value.upper() == value.upper().strip() else value
    elif what == "header":
        name, sep, content = value.partition(":")
        if not sep:
            if value.endswith(";"):
                req.notes.append(f"header {value[:-1]!r} with an empty value skipped")
                return
            raise UsageError(f"curl header {value!r} has no ':'")
        if not content.strip():
            req.notes.append(f"header {name.strip()!r} with an empty value skipped")
            return
        req.headers.append((name.strip(), content.strip()))
    elif what in ("data", "data-raw", "data-binary"):
        if value.startswith("@") and what != "data-raw":
            raise UsageError(
                f"{written} {value} reads the body from a file, which a step cannot do yet",
                hint="paste the file's content instead, or use --data-raw",
            )
        req.data.append(value.replace("\r", "").replace("\n", "") if what == "data" else value)
    elif what == "data-urlencode":
        req.data.append(_urlencoded(value, written))
    elif what == "json":
        if value.startswith("@"):
            raise UsageError(f"{written} {value} reads the body from a file; paste it instead")
        req.data.append(value)
        req.json = True
    elif what in ("form", "form-string"):
        name, sep, spec = value.partition("=")
        if not sep:
            raise UsageError(f"curl {written} {value!r} has no '='")
        req.form.append((name, spec, what == "form-string"))
    elif what == "user":
        req.user = value
    elif what == "oauth2-bearer":
        req.bearer = value
    elif what == "cookie":
        if "=" not in value:
            raise UsageError(
                f"{written} {value} reads cookies from a file, which a step cannot do",
                hint="the runner keeps the cookies responses set; or use --cookie-jar on run",
            )
        req.headers.append(("Cookie", value))
    elif what == "user-agent":
        req.headers.append(("User-Agent", value))
    elif what == "referer":
        req.headers.append(("Referer", value))
    elif what == "max-time":
        try:
            req.max_time = float(value)
        except ValueError:
            raise UsageError(f"{written} {value!r} is not a number of seconds") from None
    elif what == "url":
        _set_url(req, value)
    elif what == "url-query":
        req.url_query.append(_urlencoded(value, written))


def _urlencoded(value: str, written: str) -> str:
    """curl's --data-urlencode forms: content, =content, name=content (file forms refused)."""
    at, eq = value.find("@"), value.find("=")
    if at >= 0 and (eq < 0 or at < eq):
        raise UsageError(f"{written} {value} reads a file; paste its content instead")
    name, sep, content = value.partition("=")
    if not sep:
        return quote_plus(value)
    if not name:
        return quote_plus(content)
    return f"{name}={quote_plus(content)}"


# --- the step ------------------------------------------------------------------------------------


def templates(text: str) -> str:
    """Postman's ``{{name}}`` as the runner's ``<<name>>``."""
    return _POSTMAN_VAR.sub(lambda m: f"<<{m.group(1)}>>", text)


def split_query(url: str) -> tuple[str, dict[str, Any]]:
    """The URL without its query, and the query as params, when they read back the same."""
    import httpx

    parts = urlsplit(url)
    if not parts.query or "<<" in parts.query or ">>" in parts.query:
        return url, {}
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not pairs or any(not v for _, v in pairs):
        return url, {}
    params = _multi_map(pairs)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment))
    flat = [(k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])]
    try:
        again = httpx.URL(base).copy_merge_params(flat).query.decode("ascii")
    except (httpx.InvalidURL, UnicodeDecodeError):
        return url, {}
    return (base, params) if again == parts.query else (url, {})


def form_fields(body: str) -> dict[str, Any] | None:
    """A URL-encoded body as form fields, when they encode back to the same bytes."""
    pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=False)
    if not pairs or any(not v for _, v in pairs) or urlencode(pairs) != body:
        return None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            return None  # a repeated name in another order would not read back the same
        fields[name] = value
    return fields


def to_step(req: CurlRequest, name: str | None = None) -> dict[str, Any]:
    """The step for a parsed curl command, as plain data in canonical order."""
    assert req.url is not None
    url = templates(req.url)
    if "://" not in url and not url.startswith("<<"):
        url = "http://" + url  # curl's default scheme
    headers = [(templates(n), templates(v)) for n, v in req.headers]
    data = "&".join(templates(d) for d in req.data)
    if req.get and req.data:
        req.url_query.append(data)
        data = ""
    if req.url_query:
        url += ("&" if "?" in url else "?") + "&".join(req.url_query)
    method = req.method or (
        "HEAD" if req.head else "POST" if (data or req.form) and not req.get else "GET"
    )
    url, params = split_query(url)
    step: dict[str, Any] = {"request": name or _default_name(method, url)}
    if method != "GET":
        step["method"] = method
    step["url"] = url
    if params:
        step["params"] = params
    lowered = {n.lower(): v for n, v in headers}
    content_type = lowered.get("content-type")
    if req.json:
        content_type = content_type or "application/json"
        if "accept" not in lowered:
            headers.append(("Accept", "application/json"))
    auth: dict[str, Any] | None = None
    auth_value = lowered.get("authorization", "")
    if req.bearer is not None:
        auth = {"type": "bearer", "token": templates(req.bearer)}
    elif auth_value.lower().startswith("bearer ") and auth_value[7:].strip():
        auth = {"type": "bearer", "token": auth_value[7:].strip()}
        headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
    if req.user is not None:
        user, sep, password = templates(req.user).partition(":")
        if not sep:
            password = "<<password>>"  # noqa: S105 - a variable to define, not a password
            req.notes.append("-u gave no password: define the variable 'password'")
        auth = {"type": "digest" if req.digest else "basic", "username": user,
                "password": password}  # fmt: skip
    body: dict[str, Any] | None = None
    if req.form:
        headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        body = {"multipart": _parts(req)}
    elif data:
        body, drop = _body(data, content_type, req)
        if drop:
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
    if headers:
        step["headers"] = _multi_map(headers)
    if body is not None:
        step["body"] = body
    if auth is not None:
        step["auth"] = auth
    if req.max_time is not None:
        step["timeout"] = int(req.max_time) if req.max_time.is_integer() else req.max_time
    if req.location:
        step["follow_redirects"] = True
    return step


def _default_name(method: str, url: str) -> str:
    path = urlsplit(url).path if "://" in url else url
    return f"{method} {path or '/'}"


def _multi_map(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Name-value pairs (headers, query params) as a mapping; a repeated name gets a list."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def _body(data: str, content_type: str | None, req: CurlRequest) -> tuple[dict[str, Any], bool]:
    """The body and whether the Content-Type header is now implied by it."""
    ctype = (content_type or "").strip()
    base = ctype.split(";")[0].strip().lower()
    if base == "application/json" or base.endswith("+json") or not ctype:
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if isinstance(value, dict | list):
            if not ctype:
                req.notes.append(
                    "the body is JSON: sent as application/json (curl itself would have said "
                    "application/x-www-form-urlencoded)"
                )
            body: dict[str, Any] = {"json": value}
            if ctype and ctype != "application/json":
                body["content_type"] = ctype
            return body, True
    if base in ("", "application/x-www-form-urlencoded"):
        fields = form_fields(data)
        if fields is not None:
            body = {"form": fields}
            if ctype and ctype != "application/x-www-form-urlencoded":
                body["content_type"] = ctype
            return body, True
        return {"text": data, "content_type": ctype or "application/x-www-form-urlencoded"}, True
    return {"text": data, "content_type": ctype}, True


def _parts(req: CurlRequest) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for name, spec, literal in req.form:
        if name in parts:
            raise UsageError(f"-F {name}= is given twice; a step's multipart names are unique")
        value, *attrs = [spec] if literal else spec.split(";")
        part: dict[str, Any] = {}
        if value.startswith("<") and not literal:
            raise UsageError(f"-F {name}=<FILE reads a file into a field; paste its content")
        if value.startswith("@") and not literal:
            part["file"] = templates(value[1:])
        else:
            part["value"] = templates(value)
        for attr in attrs:
            key, _, val = attr.strip().partition("=")
            if key == "type":
                part["content_type"] = val
            elif key == "filename":
                part["filename"] = val.strip('"')
        parts[name] = part if set(part) != {"value"} else part["value"]
    return parts


def command_step(words: list[str], name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The step of a curl command (its words, or one word holding it all), and the notes
    for the person (runner.authoring.place puts it somewhere)."""
    if len(words) == 1:
        words = split_command(words[0])
    request = parse(words)
    step = to_step(request, name)
    return step, list(request.notes)
