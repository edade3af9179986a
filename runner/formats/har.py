"""``runner import har FILE``: a collection from a browser recording (HAR 1.2).

Each recorded request becomes a step, in the order the browser sent them, with the status the
server answered as its expectation. By default what a browser fetches for itself is left out:
static assets (images, style sheets, scripts, fonts, media, by resource type, MIME type or
file extension) and non-HTTP URLs; ``--include-static`` keeps them. Headers the browser adds
on its own (User-Agent, Accept-Encoding, sec-*, ...) are dropped, and so are Cookie headers:
the run's cookie jar keeps the cookies that responses set. A credential header (Authorization,
X-Api-Key, ...) is never written into the collection: its value becomes a ``<<variable>>``
to define in an environment (``--keep-secrets`` writes it as recorded). When every request
goes to one origin, it becomes the ``base_url`` variable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from runner.core.errors import LoadError, SourceLocation
from runner.core.redact import SECRET_HEADER
from runner.formats.curl.importer import form_fields, split_query

MAX_HAR_BYTES = 200 * 1024 * 1024
STATIC_TYPES = {"image", "stylesheet", "script", "font", "media", "manifest", "texttrack",
                "imageset", "ping", "preflight", "cspviolationreport"}  # fmt: skip
STATIC_MIME = re.compile(r"^(image/|font/|audio/|video/|text/css|(text|application)/(x-)?javascript"
                         r"|application/font|application/wasm)")  # fmt: skip
STATIC_EXT = re.compile(
    r"\.(?:js|mjs|css|map|png|jpe?g|gif|svg|ico|webp|avif|bmp|woff2?|ttf|otf|eot|mp[34]|webm"
    r"|ogg|wav)$",
    re.IGNORECASE,
)
BROWSER_HEADERS = re.compile(
    r"^(?::.*|host|connection|content-length|accept-encoding|accept-language|user-agent|origin"
    r"|referer|cookie|pragma|cache-control|dnt|priority|upgrade-insecure-requests|te|keep-alive"
    r"|if-none-match|if-modified-since|sec-.*|purpose|x-client-data)$",
    re.IGNORECASE,
)


def is_static(entry: dict[str, Any]) -> bool:
    """What the browser fetched for the page itself rather than for the application."""
    kind = str(entry.get("_resourceType", "")).lower()
    if kind in STATIC_TYPES:
        return True
    mime = str(entry.get("response", {}).get("content", {}).get("mimeType", "")).lower()
    if STATIC_MIME.match(mime):
        return True
    path = urlsplit(str(entry.get("request", {}).get("url", ""))).path
    return bool(STATIC_EXT.search(path)) or path.endswith("/favicon.ico")


def read_har(path: Path) -> list[dict[str, Any]]:
    """The entries of a HAR file; raises LoadError naming the file for anything else."""
    try:
        size = path.stat().st_size
        if size > MAX_HAR_BYTES:
            raise LoadError(f"{path} is larger than {MAX_HAR_BYTES} bytes")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise LoadError(f"no such file: {path}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise LoadError(
            f"{path} is not a HAR file (not JSON: {exc})", SourceLocation(str(path), 1)
        ) from None
    entries = data.get("log", {}).get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LoadError(
            f"{path} is not a HAR file: it has no log.entries", SourceLocation(str(path), 1),
            "save the recording from the browser's network panel (Save all as HAR)",
        )  # fmt: skip
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("request"), dict)]


def to_collection(
    entries: list[dict[str, Any]],
    *,
    name: str,
    include_static: bool = False,
    keep_secrets: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """The collection (plain data) for recorded entries, and notes for the person."""
    notes: list[str] = []
    kept = []
    dropped = 0
    for entry in entries:
        url = str(entry["request"].get("url", ""))
        if not url.startswith(("http://", "https://")):
            dropped += 1
            continue
        if not include_static and is_static(entry):
            dropped += 1
            continue
        kept.append(entry)
    if dropped:
        notes.append(
            f"{dropped} static or non-HTTP requests left out (--include-static keeps them)"
        )
    origins = {_origin(str(e["request"]["url"])) for e in kept}
    base = origins.pop() if len(origins) == 1 else None
    secrets: dict[str, str] = {}
    steps = [_step(entry, base, secrets, keep_secrets, notes) for entry in kept]
    collection: dict[str, Any] = {"name": name}
    if base is not None:
        collection["variables"] = {"base_url": base}
    collection["steps"] = steps or [{"request": "nothing recorded", "url": "http://localhost/"}]
    if not steps:
        notes.append("the recording has no request to keep")
    if secrets:
        names = ", ".join(sorted(set(secrets.values())))
        notes.append(f"credential headers became variables to define in an environment: {names}")
    return collection, notes


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _step(
    entry: dict[str, Any],
    base: str | None,
    secrets: dict[str, str],
    keep_secrets: bool,
    notes: list[str],
) -> dict[str, Any]:
    request = entry["request"]
    method = str(request.get("method", "GET")).upper()
    url = str(request["url"]).split("#")[0]
    path = urlsplit(url).path or "/"
    url, params = split_query(url)
    if base is not None and url.startswith(base):
        url = "<<base_url>>" + url[len(base) :]
    step: dict[str, Any] = {"request": f"{method} {path}"}
    if method != "GET":
        step["method"] = method
    step["url"] = url
    if params:
        step["params"] = params
    headers: dict[str, Any] = {}
    content_type = None
    for header in request.get("headers", []):
        name, value = str(header.get("name", "")), str(header.get("value", ""))
        if name.lower() == "content-type":
            content_type = value
            continue
        if BROWSER_HEADERS.match(name) or not value:
            continue
        if SECRET_HEADER.search(name) and not keep_secrets:
            var = secrets.setdefault(name.lower(), re.sub(r"\W", "_", name.lower()))
            value = f"<<{var}>>"
        if name in headers:
            previous = headers[name]
            headers[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            headers[name] = value
    body = _body(request.get("postData"), content_type, notes, step["request"])
    if (
        body is not None
        and "content_type" not in body
        and content_type
        and not _implied(body, content_type)
    ):
        body["content_type"] = content_type
    if headers:
        step["headers"] = headers
    if body is not None:
        step["body"] = body
    status = entry.get("response", {}).get("status")
    if isinstance(status, int) and 100 <= status <= 599:
        step["expect"] = {"status": status}
    return step


def _implied(body: dict[str, Any], content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return (
        ("json" in body and base == "application/json")
        or ("form" in body and base == "application/x-www-form-urlencoded")
        or ("multipart" in body and base == "multipart/form-data")
    )


def _body(
    post: Any, content_type: str | None, notes: list[str], name: str
) -> dict[str, Any] | None:
    if not isinstance(post, dict):
        return None
    mime = str(post.get("mimeType") or content_type or "").lower()
    text = post.get("text")
    if mime.startswith("multipart/form-data"):
        parts: dict[str, Any] = {}
        for param in post.get("params") or []:
            part_name = str(param.get("name", ""))
            if param.get("fileName"):
                parts[part_name] = {"file": str(param["fileName"])}
                notes.append(f"step '{name}': file part '{part_name}' reads {param['fileName']}")
            elif param.get("value"):
                parts[part_name] = str(param["value"])
        if parts:
            return {"multipart": parts}
    if text is None or text == "":
        return None
    text = str(text)
    if "json" in mime:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict | list):
            return {"json": value}
    if mime.startswith("application/x-www-form-urlencoded"):
        fields = form_fields(text)
        if fields is not None:
            return {"form": fields}
    return {"text": text, "content_type": post.get("mimeType") or content_type or "text/plain"}


@dataclass(frozen=True)
class HarImportOptions:
    """``runner import har``: the recording, where its collection goes, what it keeps."""

    har: Path
    to: Path | None = None  # write the collection here, or append its steps (None: as text)
    name: str | None = None  # the collection's name (default: the file's name)
    include_static: bool = False
    keep_secrets: bool = False


def har_collection(options: HarImportOptions) -> tuple[dict[str, Any], list[str]]:
    """Read and convert the recording: the collection (plain data) and notes for the person
    (the command puts it where ``options`` say: runner.authoring.place)."""
    collection, notes = to_collection(
        read_har(options.har), name=options.name or options.har.stem,
        include_static=options.include_static, keep_secrets=options.keep_secrets,
    )  # fmt: skip
    if options.to is not None and options.to.exists() and "variables" in collection:
        notes.append("define base_url in the collection or environment")  # not appended
    return collection, notes
