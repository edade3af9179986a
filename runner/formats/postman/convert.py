"""Postman Collection v2.0 / v2.1 and environment JSON -> our collection and environment data.

Pure: no files, no printing. ``convert_collection`` returns the YAML-ready mapping and a
report of what was translated, what was kept as script (inert unless ``run --scripts``), and
why. The mapping follows what Postman's own runtime (postman-runtime, as Newman runs it)
does, not what the JSON might suggest: the URL comes from its parts, ``{{ name }}`` with
spaces is not a variable, a GET's body is not sent, redirects are followed, ``{{var}}`` is
rendered in names too, an item's own ``variable`` list is not used by Newman (we scope it to
the folder or request instead), and so on. docs/postman.md has the whole table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from runner.core.errors import LoadError
from runner.formats.postman.script_import import (
    CaptureSpec,
    ExpectBuilder,
    Translator,
    escape_text,
)
from runner.render.dynamic import DYNAMIC_HELPERS

SCHEMA_VERSIONS = {"v2.0.0": "2.0", "v2.1.0": "2.1"}
POSTMAN_VAR = re.compile(r"\{\{([^{}]*?)}}")
NESTED_VAR = re.compile(r"\{\{[^{}]*\{\{")
JINJA_WORDS = frozenset(
    "and or not in is if else elif for endfor endif true false none True False None "
    "recursive loop self block extends import include macro call set with without".split()
)
METHODS_WITHOUT_BODY = frozenset(("GET", "COPY", "HEAD", "PURGE", "UNLOCK"))
RAW_CONTENT_TYPES = {
    "html": "text/html",
    "text": "text/plain",
    "json": "application/json",
    "javascript": "application/javascript",
    "xml": "application/xml",
}
UNSUPPORTED_AUTH = ("hawk", "ntlm", "awsv4", "edgegrid", "akamai", "asap", "jwt")
UNSUPPORTED_BEHAVIOUR = {
    "strictSSL": False,
    "followAuthorizationHeader": True,
    "disableUrlEncoding": True,
    "insecureHTTPParser": True,
    "disableCookies": True,
}


# protocolProfileBehavior -> our ``redirects`` keys (removeRefererHeaderOnRedirect inverted),
# and Postman's defaults, written on the collection so its requests behave as in Newman.
REDIRECT_BEHAVIOUR = {
    "followRedirects": "follow",
    "maxRedirects": "max",
    "followOriginalHttpMethod": "keep_method",
    "removeRefererHeaderOnRedirect": "referer",
}
POSTMAN_REDIRECTS = {"follow": True, "max": 10, "keep_method": False, "referer": True}
UNSUPPORTED_WHY = {
    "followAuthorizationHeader": "credentials never follow a redirect to another origin",
}


def fail(message: str, hint: str | None = None) -> LoadError:
    return LoadError(message, None, hint)


# -- the report ----------


@dataclass
class Note:
    """Something the person should know about one item (``where`` is its path)."""

    where: str
    message: str


@dataclass
class KeptScript:
    where: str
    listen: str  # prerequest | test
    line: int
    text: str
    reason: str


@dataclass
class Report:
    """What an import did, for the person (printed) and for tests (read)."""

    name: str = ""
    version: str = ""
    requests: int = 0
    folders: int = 0
    collection_variables: int = 0
    scoped_variables: int = 0
    test_scripts: int = 0
    prerequest_scripts: int = 0
    test_lines: int = 0
    translated_lines: int = 0
    checks: int = 0
    captures: int = 0
    kept: list[KeptScript] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    undefined: list[str] = field(default_factory=list)
    secrets_inline: bool = False  # the collection file holds a secret value

    def note(self, where: str, message: str) -> None:
        self.notes.append(Note(where, message))

    @property
    def translated_share(self) -> float:
        return self.translated_lines / self.test_lines if self.test_lines else 1.0


# -- variable names ----------


class Names:
    """Postman variable names -> our identifiers, stable for one import (collection, its
    environments and globals share it)."""

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}
        self.taken: set[str] = set()
        self.defined: set[str] = set()  # Postman names with a value somewhere
        self.used: dict[str, str] = {}  # our name -> first place it is read
        self.helpers_used: set[str] = set()
        self.reserved: set[str] = set()  # helpers the collection calls: no variable may hide them

    def __call__(self, name: str) -> str:
        found = self.mapping.get(name)
        if found is not None:
            return found
        base = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "var"
        if base[0].isdigit():
            base = "v_" + base
        if base in JINJA_WORDS or base in self.reserved:
            base += "_"
        candidate, n = base, 2
        while candidate in self.taken:
            candidate, n = f"{base}_{n}", n + 1
        self.mapping[name] = candidate
        self.taken.add(candidate)
        return candidate

    def reserve(self, data: Any) -> None:
        """The dynamic helpers a collection calls (``{{$guid}}``): a variable named ``guid``
        would hide ``guid()``, so such variables get another name."""
        text = json.dumps(data)
        self.reserved |= {m for m in re.findall(r"\{\{\$(\w+)}}", text) if m in DYNAMIC_HELPERS}

    def renamed(self) -> dict[str, str]:
        return {k: v for k, v in self.mapping.items() if k != v}


class Templates:
    """Converts Postman text (``{{var}}``, ``{{$guid}}``) to ours (``<<var>>``, ``<<guid()>>``),
    escaping a literal ``<<`` so it is never read as a template."""

    def __init__(
        self, names: Names, report: Report, rename: Callable[[str], str] | None = None
    ) -> None:
        self.names = names
        self.report = report
        self.rename = rename or names  # a folder's scoped names first, when converting items

    def __call__(self, text: Any, where: str) -> str:
        if text is None:
            return ""
        if not isinstance(text, str):
            text = json.dumps(text) if isinstance(text, dict | list) else _js_string(text)
        if NESTED_VAR.search(text):
            self.report.note(
                where,
                "a nested variable reference ({{a{{b}}}}) is sent as written after the "
                "inner one is replaced",
            )
        out: list[str] = []
        position = 0
        for match in POSTMAN_VAR.finditer(text):
            out.append(escape_text(text[position : match.start()]))
            out.append(self._variable(match.group(1), match.group(0), where))
            position = match.end()
        out.append(escape_text(text[position:]))
        return "".join(out)

    def _variable(self, name: str, whole: str, where: str) -> str:
        if name.startswith("$"):
            helper = name[1:]
            if helper in DYNAMIC_HELPERS:
                self.names.helpers_used.add(helper)
                return f"<<{helper}()>>"
            self.report.note(where, f"{whole} is not a dynamic variable we know: sent as written")
            return escape_text(whole)
        if not name or (name != name.strip() and name not in self.names.defined):
            if name.strip():
                self.report.note(
                    where,
                    f"{whole} has spaces inside the braces: Postman does not read it "
                    "as a variable, so it is sent as written",
                )
            return whole
        ours = self.rename(name)
        self.names.used.setdefault(ours, where)
        return f"<<{ours}>>"


def _js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the collection ----------


def detect_version(data: Any) -> str:
    """'2.0' or '2.1' from ``info.schema``; a clear LoadError for anything else."""
    if not isinstance(data, dict):
        raise fail(
            "this is not a Postman collection: the file holds JSON but not an object",
            "export the collection from Postman as 'Collection v2.1'",
        )
    if "requests" in data and ("order" in data or "folders" in data) and "item" not in data:
        raise fail(
            "this is a Postman Collection v1 file, which is not supported",
            "convert it first: open it in Postman and export it as 'Collection v2.1', or run "
            "'npx postman-collection-transformer convert -i FILE -o OUT.json -j 1.0.0 -p 2.1.0'",
        )
    if "item" not in data:
        if "values" in data and isinstance(data.get("values"), list):
            raise fail(
                "this is a Postman environment, not a collection",
                "pass it with -e next to the collection: runner import postman COLLECTION -e ENV",
            )
        raise fail(
            "this is not a Postman collection: it has no 'item' list",
            "export the collection from Postman as 'Collection v2.1'",
        )
    info = data.get("info")
    schema = info.get("schema") if isinstance(info, dict) else None
    if schema is None:
        return "2.1"  # Newman runs collections without an info block (its own fixtures do)
    if not isinstance(schema, str):
        raise fail("info.schema is not text")
    for marker, version in SCHEMA_VERSIONS.items():
        if f"/{marker}/" in schema:
            return version
    if "/v1.0.0/" in schema:
        raise fail(
            "this is a Postman Collection v1 file, which is not supported",
            "open it in Postman and export it as 'Collection v2.1'",
        )
    raise fail(
        f"unknown Postman collection schema {schema!r}",
        "only Collection v2.0 and v2.1 are supported; export as 'Collection v2.1'",
    )


@dataclass
class _Context:
    """What a folder passes down to what it holds."""

    path: tuple[str, ...] = ()
    expect: ExpectBuilder = field(default_factory=ExpectBuilder)
    behaviour: dict[str, Any] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)  # folder variables scoped by rename
    auth_type: str | None = None  # the Postman auth in force here (inherited), if any


class Converter:
    def __init__(
        self,
        names: Names | None = None,
        *,
        host_vars: Mapping[str, str] | None = None,
    ) -> None:
        self.report = Report()
        self.names = names or Names()
        self.templates = Templates(self.names, self.report, self._script_name)
        self.translator = Translator(self._script_name)
        self.host_vars = dict(host_vars or {})
        self.variables: dict[str, Any] = {}
        self.secrets: list[str] = []
        self.captured: set[str] = set()
        self._context = _Context()

    def _script_name(self, name: str) -> str:
        """Names read or set by scripts, through the current folder's scoped renames."""
        return self._context.renames.get(name) or self.names(name)

    # -- entry point ----------
    def convert(self, data: Any, source: str = "") -> dict[str, Any]:
        version = detect_version(data)
        self.names.reserve(data)
        info = data.get("info") if isinstance(data.get("info"), dict) else {}
        name = _text(info.get("name")) or _text(data.get("name")) or _stem(source) or "Postman"
        self.report.name = name
        self.report.version = version
        self._declare(data.get("variable"))
        out: dict[str, Any] = {"name": name}
        description = _description(info.get("description") or data.get("description"))
        variables = self._variable_list(data.get("variable"), "the collection")
        if data.get("variables") and not data.get("variable"):
            self.report.note(
                "the collection", "'variables' (not 'variable') is ignored, as Newman ignores it"
            )
        self.report.collection_variables = len(variables)
        self.variables = dict(variables)
        behaviour = _behaviour(data.get("protocolProfileBehavior"), {})
        context = _Context(behaviour=behaviour, auth_type=_auth_type(data.get("auth")))
        auth = self._auth(data.get("auth"), "the collection")
        scripts, expect, _ = self._events(data.get("event"), "the collection", context.expect)
        context.expect = expect
        self._context = context
        steps = self._items(data.get("item"), context)
        if not steps:
            raise fail(
                "the collection has no requests", "add a request in Postman and export again"
            )
        if description:
            out["description"] = description
        for origin, var in self.host_vars.items():
            self.variables.setdefault(var, origin)
        if self.variables:
            out["variables"] = self.variables
        if self.secrets:
            out["secrets"] = sorted(set(self.secrets))
        if auth is not None:
            out["auth"] = auth
        out["redirects"] = {
            **POSTMAN_REDIRECTS,
            **self._redirects(data.get("protocolProfileBehavior"), "the collection"),
        }
        if scripts:
            out["scripts"] = scripts
        out["steps"] = steps
        self.report.renamed = self.names.renamed()
        return out

    def _declare(self, variables: Any) -> None:
        for var in variables if isinstance(variables, list) else []:
            if isinstance(var, dict) and isinstance(var.get("key"), str):
                self.names.defined.add(var["key"])

    def _variable_list(self, variables: Any, where: str) -> dict[str, Any]:
        """Enabled variables (the last of a name wins, as in Postman); secrets recorded."""
        out: dict[str, Any] = {}
        for var in variables if isinstance(variables, list) else []:
            if not isinstance(var, dict):
                continue
            key = var.get("key", var.get("id"))
            if not isinstance(key, str) or not key:
                continue
            if var.get("disabled") is True or var.get("enabled") is False:
                self.report.note(where, f"disabled variable '{key}' left out")
                continue
            ours = self.names(key)
            self.names.defined.add(key)
            out[ours] = self._variable_value(var.get("value"), f"{where}: variable {key}")
            if var.get("type") == "secret" or _secret_name(ours):
                self.secrets.append(ours)
                if out[ours] not in ("", None) and "<<" not in str(out[ours]):
                    self.report.secrets_inline = True
        return out

    def _variable_value(self, value: Any, where: str) -> Any:
        if value is None:
            return ""
        if isinstance(value, str):
            return self.templates(value, where)
        if isinstance(value, dict | list):
            return self.templates(json.dumps(value), where)
        return value

    # -- items ----------
    def _items(self, items: Any, context: _Context) -> list[dict[str, Any]]:
        if items is None:
            return []
        if not isinstance(items, list):
            raise fail(f"'item' in {_where(context.path)} is not a list")
        out: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise fail(f"item {index + 1} in {_where(context.path)} is not an object")
            name = _text(item.get("name")) or (
                "Untitled folder" if "item" in item else "Untitled request"
            )
            if "item" in item:
                folder = self._folder(item, name, context)
                if folder is not None:
                    out.append(folder)
            elif "request" in item:
                out.append(self._request(item, name, context))
            else:
                raise fail(
                    f"item '{name}' in {_where(context.path)} has neither 'request' nor 'item'",
                    "each item is a request (with 'request') or a folder (with 'item')",
                )
        return out

    def _scoped(self, variables: Any, where: str, context: _Context) -> dict[str, str]:
        """Folder and request variables: added to the collection's; a name that clashes with
        a different value is renamed for the items in this scope only."""
        renames = dict(context.renames)
        for var in variables if isinstance(variables, list) else []:
            if not isinstance(var, dict) or var.get("disabled") is True:
                continue
            key = var.get("key", var.get("id"))
            if not isinstance(key, str) or not key:
                continue
            value = self._variable_value(var.get("value"), f"{where}: variable {key}")
            ours = self.names(key)
            existing = self.variables.get(ours, _MISSING)
            if existing is _MISSING or existing == value:
                self.variables[ours] = value
                renames.pop(key, None)
            else:
                scoped = self.names(f"{key}__{'_'.join(context.path[-1:]) or 'scope'}")
                self.variables[scoped] = value
                renames[key] = scoped
                self.report.note(
                    where,
                    f"variable '{key}' is named '{scoped}' inside (another value of it exists)",
                )
            self.names.defined.add(key)
            self.report.scoped_variables += 1
        return renames

    @contextmanager
    def _inside(
        self, item: dict[str, Any], name: str, parent: _Context, auth_type: str | None
    ) -> Iterator[tuple[str, _Context]]:
        """(where, context) of a folder or request: its path, redirect behaviour, scoped
        variables, the parent's expectations and the auth in force; current while inside."""
        path = (*parent.path, name)
        where = _where(path)
        context = _Context(
            path=path,
            behaviour=_behaviour(item.get("protocolProfileBehavior"), parent.behaviour),
            renames=self._scoped(item.get("variable"), where, parent),
            expect=parent.expect,
            auth_type=auth_type,
        )
        previous, self._context = self._context, context
        try:
            yield where, context
        finally:
            self._context = previous

    def _folder(self, item: dict[str, Any], name: str, parent: _Context) -> dict[str, Any] | None:
        self.report.folders += 1
        auth_type = _auth_type(item.get("auth")) or parent.auth_type
        with self._inside(item, name, parent, auth_type) as (where, context):
            auth = self._auth(item.get("auth"), where)
            scripts, context.expect, _ = self._events(item.get("event"), where, parent.expect)
            steps = self._items(item.get("item"), context)
        if not steps:
            self.report.note(where, "empty folder left out (a folder needs steps)")
            return None
        out: dict[str, Any] = {"folder": name}
        description = _description(item.get("description"))
        if description:
            out["description"] = description
        if auth is not None:
            out["auth"] = auth
        redirects = self._redirects(item.get("protocolProfileBehavior"), where)
        if redirects:
            out["redirects"] = redirects
        if scripts:
            out["scripts"] = scripts
        out["steps"] = steps
        return out

    def _request(self, item: dict[str, Any], name: str, parent: _Context) -> dict[str, Any]:
        self.report.requests += 1
        with self._inside(item, name, parent, parent.auth_type) as (where, context):
            return self._request_body(item, name, where, context)

    def _request_body(
        self, item: dict[str, Any], name: str, where: str, context: _Context
    ) -> dict[str, Any]:
        request = item["request"]
        if isinstance(request, str):
            request = {"url": request, "method": "GET"}
        if not isinstance(request, dict):
            raise fail(f"request '{where}' is not an object or a URL")
        out: dict[str, Any] = {"request": name}
        description = _description(request.get("description") or item.get("description"))
        method = _text(request.get("method")) or "GET"
        method = method.upper() if method.upper() in _STANDARD else method
        if method != "GET":
            out["method"] = method
        url, params = self._url(request.get("url"), where)
        for origin, var in self.host_vars.items():
            if url == origin or url.startswith((origin + "/", origin + "?", origin + "#")):
                url = f"<<{var}>>" + url[len(origin) :]
        out["url"] = url
        if params:
            out["params"] = params
        headers = self._headers(request.get("header"), where)
        auth_type = _auth_type(request.get("auth")) or context.auth_type
        if auth_type not in (None, "noauth"):
            for key, value in headers.items():
                if key.lower() == "authorization" and _enabled(value):
                    headers[key] = (
                        {"value": value, "enabled": False}
                        if not isinstance(value, dict)
                        else {**value, "enabled": False}
                    )
                    self.report.note(
                        where,
                        f"the Authorization header is not sent: Postman's "
                        f"{auth_type} auth replaces it",
                    )
        if headers:
            out["headers"] = headers
        body = self._body(request.get("body"), method, headers, context.behaviour, where)
        if body is not None:
            out["body"] = body
        form_request = method in ("POST", "PUT") and isinstance(request.get("body"), dict)
        form_request = form_request and request["body"].get("mode") == "urlencoded"
        auth = self._auth(request.get("auth"), where, form_request=form_request)
        if auth is not None:
            out["auth"] = auth
        redirects = self._redirects(item.get("protocolProfileBehavior"), where)
        if redirects:
            out["redirects"] = redirects
        for key, default in UNSUPPORTED_BEHAVIOUR.items():
            if key in context.behaviour and context.behaviour[key] != (
                not default if isinstance(default, bool) else default
            ):
                why = UNSUPPORTED_WHY.get(key)
                self.report.note(
                    where,
                    f"protocolProfileBehavior.{key} is not supported" + (f": {why}" if why else ""),
                )
        for key in ("proxy", "certificate"):
            if request.get(key):
                self.report.note(where, f"the request's {key} settings are not imported")
        scripts, expect, captures = self._events(
            item.get("event"), where, context.expect, request=True
        )
        if expect:
            out["expect"] = expect.to_yaml()
        if captures:
            out["capture"] = {c.name: _capture_yaml(c) for c in captures}
        if scripts:
            out["scripts"] = scripts
        examples = self._examples(item.get("response"), where)
        if examples:
            out["examples"] = examples
        if description:
            out = {
                "request": name,
                "description": description,
                **{k: v for k, v in out.items() if k != "request"},
            }
        return out

    def _redirects(self, behaviour: Any, where: str) -> dict[str, Any]:
        """The ``redirects`` keys this level's own protocolProfileBehavior sets (the levels
        below inherit them in the runner as in Postman, so each is written where it was)."""
        out: dict[str, Any] = {}
        if not isinstance(behaviour, dict):
            return out
        for key, ours in REDIRECT_BEHAVIOUR.items():
            if key not in behaviour:
                continue
            value = behaviour[key]
            if ours == "max":
                if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000:
                    out[ours] = value
                    continue
            elif isinstance(value, bool):
                out[ours] = not value if ours == "referer" else value
                continue
            self.report.note(where, f"protocolProfileBehavior.{key}: {value!r} is ignored")
        return {k: out[k] for k in POSTMAN_REDIRECTS if k in out}

    def _name(self, name: str, where: str) -> str:
        """A parameter, header or field name: a template, as Postman renders ``{{var}}`` in
        names too (``{{msg}}`` as a form field's name sends the variable's value)."""
        return self.templates(name, where)

    # -- URL --------------------------------------------------------------------------------------
    def _url(self, url: Any, where: str) -> tuple[str, dict[str, Any]]:
        if url is None or url == "":
            raise fail(f"request '{where}' has no URL")
        path_vars: list[Any] = []
        query: list[Any] | None = None
        if isinstance(url, str):
            parts = _split_raw(url)
        elif isinstance(url, dict):
            if isinstance(url.get("variable"), list):
                path_vars = url["variable"]
            if isinstance(url.get("query"), list):
                query = url["query"]
            if url.get("host") is None and isinstance(url.get("raw"), str):
                parts = _split_raw(url["raw"])
            else:
                parts = _from_parts(url)
                if query is None:
                    query = []
        else:
            raise fail(f"the URL of request '{where}' is not text or an object")
        base, raw_query, fragment = parts
        if query is None:
            query = _parse_query(raw_query)
        base = self._path_variables(base, path_vars, where)
        text = self.templates(base, where)
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) and not text.startswith("<<"):
            text = "http://" + text
            self.report.note(where, "the URL has no scheme: http:// added (as Postman does)")
        params, bare = self._query(query, where)
        if bare:
            text += "?" + "&".join(bare)
        if fragment:
            text += "#" + self.templates(fragment, where)
        return text, params

    def _path_variables(self, base: str, variables: list[Any], where: str) -> str:
        """``/users/:id`` with ``{key: id, value: 5}`` -> ``/users/5``."""
        values: dict[str, Any] = {}
        for var in variables:
            key = var.get("key", var.get("id")) if isinstance(var, dict) else None
            if isinstance(key, str):
                values[key] = var.get("value")
        if not values:
            return base

        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in values:
                return match.group(0)
            value = values[key]
            if value is None or value == "":
                self.report.note(where, f"path variable :{key} has no value: <<{key}>> used")
                return "{{" + key + "}}"
            return _js_string(value)

        scheme, sep, rest = base.partition("://")
        if not sep:
            scheme, rest = "", base
        host, slash, path = rest.partition("/")
        segments = [
            replace(m) if (m := re.fullmatch(r":(.+)", seg)) else seg for seg in path.split("/")
        ]
        return f"{scheme}{sep}{host}{slash}{'/'.join(segments)}"

    def _query(self, query: list[Any], where: str) -> tuple[dict[str, Any], list[str]]:
        params: dict[str, Any] = {}
        bare: list[str] = []
        for entry in query:
            if not isinstance(entry, dict):
                continue
            key, value = entry.get("key"), entry.get("value")
            disabled = entry.get("disabled") is True or entry.get("enabled") is False
            if key is None or key == "":
                if value not in (None, "") and not disabled:
                    bare.append(self.templates("=" + str(value), where))
                continue
            if value is None:
                if not disabled:
                    bare.append(self.templates(str(key), where))
                continue
            name = self._name(_decode(str(key)), where)
            text = self.templates(_decode(_js_string(value)), where)
            description = _description(entry.get("description"))
            _add_param(params, name, text, disabled, description, where, self.report)
        return params, bare

    # -- headers ----------
    def _headers(self, headers: Any, where: str) -> dict[str, Any]:
        if isinstance(headers, str):
            headers = [
                {"key": k.strip(), "value": v.strip()}
                for k, _, v in (line.partition(":") for line in headers.splitlines())
                if k.strip()
            ]
        out: dict[str, Any] = {}
        for entry in headers if isinstance(headers, list) else []:
            if not isinstance(entry, dict) or not _text(entry.get("key")):
                continue
            disabled = entry.get("disabled") is True or entry.get("enabled") is False
            name = self._name(str(entry["key"]).strip(), where)
            value = self.templates(_js_string(entry.get("value") or ""), where)
            _add_param(
                out,
                name,
                value,
                disabled,
                _description(entry.get("description")),
                where,
                self.report,
            )
        return out

    # -- body ----------
    def _body(
        self,
        body: Any,
        method: str,
        headers: dict[str, Any],
        behaviour: dict[str, Any],
        where: str,
    ) -> dict[str, Any] | None:
        if not isinstance(body, dict) or not body.get("mode"):
            return None
        mode = body["mode"]
        if body.get("disabled") is True:
            self.report.note(where, f"the {mode} body is disabled in Postman: left out")
            return None
        content: Any = body.get(mode)
        if _empty_body(mode, content):
            return None
        if method.upper() in METHODS_WITHOUT_BODY and not behaviour.get("disableBodyPruning"):
            self.report.note(
                where,
                f"Postman does not send a body with {method.upper()} "
                f"(without disableBodyPruning): the {mode} body is left out",
            )
            return None
        has_type = any(k.lower() == "content-type" and _enabled(v) for k, v in headers.items())
        if mode == "raw":
            language = (((body.get("options") or {}).get("raw") or {}).get("language")) or "text"
            out: dict[str, Any] = {}
            if not has_type:
                out["content_type"] = RAW_CONTENT_TYPES.get(language, "text/plain")
            out["text"] = self.templates(
                content if isinstance(content, str) else json.dumps(content), where
            )
            return out
        if mode == "urlencoded":
            form: dict[str, Any] = {}
            for entry in content:
                if not isinstance(entry, dict) or entry.get("key") in (None, ""):
                    continue
                disabled = entry.get("disabled") is True or entry.get("enabled") is False
                _add_param(
                    form,
                    self._name(str(entry["key"]), where),
                    self.templates(_js_string(entry.get("value") or ""), where),
                    disabled,
                    _description(entry.get("description")),
                    where,
                    self.report,
                )
            return {"form": form} if form else None
        if mode == "formdata":
            return self._multipart(content, where)
        if mode == "graphql":
            return self._graphql(content, where)
        if mode == "file":
            src = content.get("src") if isinstance(content, dict) else None
            if not isinstance(src, str) or not src:
                self.report.note(where, "a binary body with no file chosen: left out")
                return None
            self._file_note(src, where)
            return {"file": self.templates(src, where)}
        self.report.note(where, f"body mode '{mode}' is not supported: left out")
        return None

    def _multipart(self, content: list[Any], where: str) -> dict[str, Any] | None:
        parts: dict[str, Any] = {}
        for entry in content:
            if not isinstance(entry, dict) or entry.get("key") in (None, ""):
                continue
            disabled = entry.get("disabled") is True or entry.get("enabled") is False
            name = self._name(str(entry["key"]), where)
            part: dict[str, Any]
            if entry.get("type") == "file":
                src = entry.get("src")
                if isinstance(src, list):
                    if len(src) != 1:
                        self.report.note(
                            where, f"form-data file field '{name}' with {len(src)} files: left out"
                        )
                        continue
                    src = src[0]
                if not src:
                    self.report.note(where, f"form-data file field '{name}' has no file: left out")
                    continue
                part = {"file": self.templates(str(src), where)}
                self._file_note(str(src), where)
            else:
                value = self.templates(_js_string(entry.get("value") or ""), where)
                part = {"value": value}
            if entry.get("contentType"):
                part["content_type"] = self.templates(str(entry["contentType"]), where)
            if disabled:  # kept, as Postman keeps it, and not sent
                part["enabled"] = False
            if name in parts:
                if disabled or not _enabled(parts[name]):  # the one Postman sends wins
                    self.report.note(
                        where,
                        f"form-data field '{name}' appears twice: a disabled duplicate is left out",
                    )
                    if disabled:
                        continue
                else:
                    self.report.note(
                        where, f"form-data field '{name}' appears twice: the last is kept"
                    )
            parts[name] = part["value"] if list(part) == ["value"] else part
        return {"multipart": parts} if parts else None

    def _file_note(self, src: str, where: str) -> None:
        if src.startswith("/"):
            self.report.note(
                where,
                f"file '{src}' is an absolute path: the runner reads files under the "
                "collection's folder only (or under --file-root)",
            )
        else:
            self.report.note(
                where,
                f"file '{src}' is read relative to the collection file: copy it there "
                "(or allow its folder with --file-root)",
            )

    def _graphql(self, content: Any, where: str) -> dict[str, Any] | None:
        if not isinstance(content, dict):
            return None
        query = self.templates(_text(content.get("query")), where)
        graphql: dict[str, Any] = {"query": query}
        variables = content.get("variables")
        if isinstance(variables, str) and variables.strip():
            try:
                parsed = json.loads(variables)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                graphql["variables"] = _template_values(parsed, lambda s: self.templates(s, where))
            else:
                self.report.note(
                    where,
                    "GraphQL variables that are not a JSON object: sent "
                    "as text instead of a graphql body",
                )
                body = '{"query":' + json.dumps(_text(content.get("query")))
                body += ',"variables":' + variables + "}"
                return {"content_type": "application/json", "text": self.templates(body, where)}
        elif isinstance(variables, dict):
            graphql["variables"] = _template_values(variables, lambda s: self.templates(s, where))
        if content.get("operationName"):
            graphql["operation_name"] = self.templates(str(content["operationName"]), where)
        return {"graphql": graphql if len(graphql) > 1 else query}

    # -- auth ----------
    def _auth(
        self, auth: Any, where: str, *, form_request: bool | None = None
    ) -> dict[str, Any] | None:
        """``form_request``: the request is a POST or PUT with a urlencoded body (None at
        collection and folder level), for where oauth1 puts its parameters."""
        if not isinstance(auth, dict) or not auth.get("type"):
            return None
        kind = auth["type"]
        if kind == "inherit":
            return None
        if kind == "noauth":
            return {"type": "none"}
        params = _auth_params(auth.get(kind))

        def get(key: str, default: str = "") -> str:
            value = params.get(key)
            return self.templates(_js_string(value), where) if value not in (None, "") else default

        if kind == "basic":
            return {"type": "basic", "username": get("username"), "password": get("password")}
        if kind == "bearer":
            return {"type": "bearer", "token": get("token")}
        if kind == "digest":
            return {"type": "digest", "username": get("username"), "password": get("password")}
        if kind == "apikey":
            where_to = "query" if params.get("in") == "query" else "header"
            return {
                "type": "apikey",
                "key": get("key", "api_key"),
                "value": get("value"),
                "in": where_to,
            }
        if kind == "oauth2":
            return self._oauth2(params, get, where)
        if kind == "oauth1":
            return self._oauth1(params, get, where, form_request)
        if kind in UNSUPPORTED_AUTH:
            self.report.note(where, f"{kind} auth is not supported: the request is sent without it")
        else:
            self.report.note(where, f"unknown auth type '{kind}': the request is sent without it")
        return {"type": "none"}

    def _oauth1(
        self, params: dict[str, Any], get: Any, where: str, form_request: bool | None
    ) -> dict[str, Any]:
        """Postman's OAuth 1.0 helper (postman-runtime's authorizer/oauth1.js)."""
        from runner.auth.oauth1 import SIGNATURE_METHODS

        method = (get("signatureMethod") or "HMAC-SHA1").upper()
        if method not in SIGNATURE_METHODS:
            self.report.note(
                where, f"oauth1 signature method '{method}' is not supported: sent without auth"
            )
            return {"type": "none"}
        rsa = method.startswith("RSA-")
        if not get("consumerKey") or not get("privateKey" if rsa else "consumerSecret"):
            self.report.note(
                where,
                "oauth1 needs a consumer key and "
                + ("a private key" if rsa else "a consumer secret")
                + ": Postman sends this request unsigned, and so does the runner",
            )
            return {"type": "none"}
        out: dict[str, Any] = {"type": "oauth1", "consumer_key": get("consumerKey")}
        keys = (
            ("consumer_secret", "consumerSecret"),
            ("token", "token"),
            ("token_secret", "tokenSecret"),
            ("private_key", "privateKey"),
            ("realm", "realm"),
            ("callback", "callback"),
            ("verifier", "verifier"),
            ("nonce", "nonce"),
            ("timestamp", "timestamp"),
        )
        for ours, theirs in keys:
            value = get(theirs) or (get("timeStamp") if theirs == "timestamp" else "")
            if value and not (ours == "consumer_secret" and rsa):
                out[ours] = value
        if method != "HMAC-SHA1":
            out["signature_method"] = method
        if get("version") != "1.0":
            out["version"] = get("version")  # Postman leaves an empty (or no) version out
        if params.get("addParamsToHeader") not in (True, "true"):
            # Postman: a POST or PUT with a urlencoded body carries them, else the query
            out["in"] = "query" if form_request is False else "body"
        if params.get("includeBodyHash") in (True, "true"):
            out["body_hash"] = True
        for flag, why in (
            ("addEmptyParamsToSign", "empty parameters are left out of the signature"),
            ("disableHeaderEncoding", "header parameters are always percent-encoded"),
        ):
            if params.get(flag) in (True, "true"):
                self.report.note(where, f"oauth1 {flag} is not supported: {why}")
        return out

    def _oauth2(self, params: dict[str, Any], get: Any, where: str) -> dict[str, Any]:
        grant = {
            "authorization_code": "authorization_code",
            "authorization_code_with_pkce": "authorization_code",
            "client_credentials": "client_credentials",
        }.get(str(params.get("grant_type") or params.get("grantType") or ""))
        token_url = get("accessTokenUrl")
        if grant and token_url and get("clientId"):
            out: dict[str, Any] = {"type": "oauth2", "grant": grant, "token_url": token_url}
            if grant == "authorization_code":
                out["auth_url"] = get("authUrl")
                out["redirect_uri"] = get("redirect_uri") or get("callBackUrl")
            out["client_id"] = get("clientId")
            if get("clientSecret"):
                out["client_secret"] = get("clientSecret")
            scopes = get("scope")
            if scopes:
                out["scopes"] = scopes.split()
            if grant == "authorization_code":
                pkce = params.get("grant_type") == "authorization_code_with_pkce"
                out["pkce"] = pkce
            client_auth = params.get("client_authentication") or params.get("clientAuth")
            out["client_auth"] = "body" if client_auth == "body" else "basic"
            if not out.get("auth_url", True) or not out.get("redirect_uri", True):
                self.report.note(
                    where, "oauth2 authorization code without authUrl or callback URL: fill them in"
                )
            return out
        token = get("accessToken")
        grant_name = params.get("grant_type") or params.get("grantType")
        if grant_name:
            self.report.note(
                where,
                f"oauth2 grant '{grant_name}' is not supported: "
                + ("its saved token is sent" if token else "sent without auth"),
            )
        if not token:
            if not grant_name:
                self.report.note(
                    where, "oauth2 auth with no token and no grant settings: sent without auth"
                )
            return {"type": "none"}
        prefix = _text(params.get("headerPrefix")) or "Bearer"
        if params.get("addTokenTo") == "queryParams":
            return {"type": "apikey", "key": "access_token", "value": token, "in": "query"}
        if prefix != "Bearer":
            return {
                "type": "apikey",
                "key": "Authorization",
                "value": f"{prefix} {token}",
                "in": "header",
            }
        return {"type": "bearer", "token": token}

    # -- scripts ----------
    def _events(
        self, events: Any, where: str, inherited: ExpectBuilder, *, request: bool = False
    ) -> tuple[dict[str, str], ExpectBuilder, list[CaptureSpec]]:
        """Translate the test script; keep the rest. Returns (scripts, checks so far,
        captures)."""
        if isinstance(events, dict):
            events = [events]
        scripts: dict[str, str] = {}
        expect = inherited
        captures: list[CaptureSpec] = []
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            listen = event.get("listen")
            script = event.get("script")
            source = _exec(script.get("exec") if isinstance(script, dict) else None)
            if listen not in ("prerequest", "test") or not source.strip():
                continue
            if event.get("disabled") is True:
                self.report.note(where, f"disabled {listen} script left out")
                continue
            if listen == "prerequest":
                self.report.prerequest_scripts += 1
                scripts["prerequest"] = _join(scripts.get("prerequest"), source.strip("\n") + "\n")
                self.report.kept.append(
                    KeptScript(
                        where,
                        "prerequest",
                        1,
                        _first_line(source),
                        "pre-request scripts are kept, not translated",
                    )
                )
                continue
            self.report.test_scripts += 1
            result = self.translator.translate_test(source, expect, captures=request)
            expect = result.expect
            self.report.test_lines += result.lines
            self.report.translated_lines += result.translated_lines
            self.report.checks += result.checks_added
            self.report.captures += len(result.captures)
            for cap in result.captures:
                self.captured.add(cap.name)
            captures.extend(result.captures)
            for kept in result.kept:
                self.report.kept.append(
                    KeptScript(where, "test", kept.line, kept.text, kept.reason)
                )
            if result.remaining:
                scripts["test"] = _join(scripts.get("test"), result.remaining)
        ordered: dict[str, str] = {k: scripts[k] for k in ("prerequest", "test") if k in scripts}
        return ordered, expect, captures

    # -- examples ----------
    def _examples(self, responses: Any, where: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for response in responses if isinstance(responses, list) else []:
            if not isinstance(response, dict):
                continue
            code = response.get("code")
            if not isinstance(code, int) or not 100 <= code <= 599:
                self.report.note(
                    where,
                    f"saved example '{_text(response.get('name'))}' has no status code: left out",
                )
                continue
            example: dict[str, Any] = {"status": code}
            if _text(response.get("name")):
                example["description"] = _text(response["name"])
            headers: dict[str, str] = {}
            for header in response.get("header") or []:
                if isinstance(header, dict) and _text(header.get("key")):
                    key = _text(header["key"])
                    value = _js_string(header.get("value") or "")
                    headers[key] = f"{headers[key]}, {value}" if key in headers else value
            if headers:
                example["headers"] = headers
            body = response.get("body")
            if isinstance(body, str) and body:
                parsed = _json_or_none(body, headers, response.get("_postman_previewlanguage"))
                if parsed is not None:
                    example["json"] = parsed
                else:
                    example["text"] = body
            out.append(example)
        return out


# -- environments ----------


def convert_environment(
    data: Any,
    names: Names,
    *,
    source: str = "",
    globals_: Any = None,
    collection_variables: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[Note], bool]:
    """An environment (and the globals under it) -> (YAML mapping, notes, holds secrets)."""
    notes: list[Note] = []
    values: list[Any] = []
    name = ""
    if data is not None:
        if isinstance(data, dict) and "item" in data and "info" in data:
            raise fail(f"{source} is a collection, not an environment")
        values = _values(data, source)
        name = _text(data.get("name")) if isinstance(data, dict) else ""
    name = name or _stem(source) or "environment"
    variables: dict[str, Any] = {}
    secrets: list[str] = []
    holds_secret = False
    report = Report()
    templates = Templates(names, report)
    layers: list[tuple[list[Any], str]] = []
    if globals_ is not None:
        layers.append((_values(globals_, "globals"), "globals"))
    layers.append((values, name))
    for layer, label in layers:
        for var in layer:
            if not isinstance(var, dict) or not isinstance(var.get("key"), str) or not var["key"]:
                continue
            key = var["key"]
            if var.get("enabled") is False or var.get("disabled") is True:
                notes.append(Note(label, f"disabled variable '{key}' left out"))
                continue
            ours = names(key)
            names.defined.add(key)
            if label == "globals" and ours in collection_variables:
                notes.append(
                    Note(
                        "globals",
                        f"global '{key}' left out: the collection's "
                        "variable of that name wins in Postman",
                    )
                )
                continue
            value = var.get("value")
            variables[ours] = (
                ""
                if value is None
                else (templates(value, f"{label}: {key}") if isinstance(value, str) else value)
            )
            if var.get("type") == "secret" or _secret_name(ours):
                secrets.append(ours)
                if variables[ours] not in ("", None):
                    holds_secret = True
    notes.extend(report.notes)
    out: dict[str, Any] = {"name": name}
    if variables:
        out["variables"] = variables
    if secrets:
        out["secrets"] = sorted(set(secrets))
    return out, notes, holds_secret


def _values(data: Any, source: str) -> list[Any]:
    if isinstance(data, list):
        return data  # a bare list of variables (Newman's --globals accepts one)
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        return list(data["values"])
    raise fail(
        f"{source or 'the file'} is not a Postman environment: it has no 'values' list",
        "export the environment from Postman (Environments > ... > Export)",
    )


# -- small helpers ----------

_MISSING = object()
_STANDARD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else _js_string(value))


def _stem(source: str) -> str:
    stem = source.rsplit("/", 1)[-1]
    for suffix in (".json", ".postman_collection", ".postman_environment", ".postman_globals"):
        stem = stem.removesuffix(suffix)
    return stem


def _where(path: tuple[str, ...]) -> str:
    return " / ".join(path) if path else "the collection"


def _description(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("content")
    return value.strip("\n") if isinstance(value, str) and value.strip() else ""


def _exec(value: Any) -> str:
    text = "\n".join(str(v) for v in value) if isinstance(value, list) else _text(value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _join(first: str | None, second: str) -> str:
    return second if not first else first.rstrip("\n") + "\n\n" + second


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= 80 else line[:77] + "..."


def _secret_name(name: str) -> bool:
    from runner.core.redact import is_secret_name

    return is_secret_name(name)


def _enabled(value: Any) -> bool:
    return not (isinstance(value, dict) and value.get("enabled") is False)


def _decode(text: str) -> str:
    """Postman sends query text as typed; the runner encodes it, so decode it first."""
    return unquote_plus(text) if ("%" in text or "+" in text) else text


def _add_param(
    out: dict[str, Any],
    name: str,
    value: str,
    disabled: bool,
    description: str,
    where: str,
    report: Report,
) -> None:
    """Add a param/header/field in our plain or documented form; a repeated name becomes a
    list (sent once per value)."""
    if name in out:
        existing = out[name]
        if disabled:  # the one Postman sends wins over a disabled alternative
            report.note(where, f"'{name}' appears twice: a disabled duplicate is left out")
            return
        if not _enabled(existing):  # replaced in place: the order stays
            report.note(where, f"'{name}' appears twice: a disabled duplicate is left out")
        elif isinstance(existing, dict) or description:
            report.note(where, f"'{name}' appears twice with settings: only the first is kept")
            return
        else:
            out[name] = [*(existing if isinstance(existing, list) else [existing]), value]
            return
    if disabled or description:
        entry: dict[str, Any] = {"value": value}
        if description:
            entry["description"] = description
        if disabled:
            entry["enabled"] = False
        out[name] = entry
    else:
        out[name] = value


def _empty_body(mode: str, content: Any) -> bool:
    if content is None:
        return True
    if mode in ("urlencoded", "formdata"):  # disabled fields count: they are kept, disabled
        if not isinstance(content, list):
            return True
        return not any(isinstance(e, dict) and e.get("key") not in (None, "") for e in content)
    return bool(_empty_other(mode, content))


def _empty_other(mode: str, content: Any) -> bool:
    if mode == "raw":
        return bool(content == "")
    if mode == "file":
        return not isinstance(content, dict) or (
            not content.get("src") and not content.get("content")
        )
    if mode == "graphql":
        return not isinstance(content, dict) or not content.get("query")
    return False


def _split_raw(raw: str) -> tuple[str, str | None, str]:
    """A raw URL -> (before the query, the query or None, the fragment)."""
    text = raw.strip()
    fragment = ""
    if "#" in text:
        text, fragment = text.split("#", 1)
    if "?" in text:
        base, query = text.split("?", 1)
        return base, query, fragment
    return text, None, fragment


def _from_parts(url: dict[str, Any]) -> tuple[str, str | None, str]:
    """A URL object -> its base, as postman-collection's Url.toString builds it."""
    protocol = _text(url.get("protocol")).rstrip(":/")
    host = url.get("host")
    host_text = ".".join(_text(h) for h in host) if isinstance(host, list) else _text(host)
    auth = url.get("auth") if isinstance(url.get("auth"), dict) else None
    port = _text(url.get("port"))
    path = url.get("path")
    if isinstance(path, list):
        path_text = "/".join(
            _text(p) if not isinstance(p, dict) else _text(p.get("value")) for p in path
        )
    else:
        path_text = _text(path).lstrip("/")
    out = f"{protocol}://" if protocol else ""
    if auth and (auth.get("user") or auth.get("password")):
        out += (
            _text(auth.get("user"))
            + (":" + _text(auth.get("password")) if auth.get("password") else "")
            + "@"
        )
    out += host_text
    if port:
        out += ":" + port
    if path is not None and (path_text or isinstance(path, list)):
        out += "/" + path_text
    return out, None, _text(url.get("hash"))


def _parse_query(query: str | None) -> list[dict[str, Any]]:
    if query is None:
        return []
    out: list[dict[str, Any]] = []
    for piece in query.split("&"):
        if piece == "":
            continue
        key, sep, value = piece.partition("=")
        out.append({"key": key, "value": value if sep else None})
    return out


def _auth_params(value: Any) -> dict[str, Any]:
    """v2.1 lists ``[{key, value}]`` and v2.0 mappings, as one mapping."""
    if isinstance(value, list):
        return {e["key"]: e.get("value") for e in value if isinstance(e, dict) and "key" in e}
    return dict(value) if isinstance(value, dict) else {}


def _auth_type(auth: Any) -> str | None:
    """The type of a Postman auth block; None when absent (inherit)."""
    if isinstance(auth, dict) and isinstance(auth.get("type"), str) and auth["type"] != "inherit":
        return str(auth["type"])
    return None


def _behaviour(value: Any, inherited: dict[str, Any]) -> dict[str, Any]:
    return {**inherited, **value} if isinstance(value, dict) else dict(inherited)


def _capture_yaml(capture: CaptureSpec) -> Any:
    """A translated setter. Where the value is missing (a JSON property, header or cookie),
    Postman's setter stores ``undefined``, which Newman sends as ``null`` (``""`` for
    ``pm.variables``): ``default``; under a guard (`if (d.x !== undefined)`) it sets nothing
    (``optional``). A regex that matches nothing throws there too."""
    if capture.source in ("json", "header", "cookie"):
        if capture.guarded:
            return {capture.source: capture.expr, "optional": True}
        return {capture.source: capture.expr, "default": capture.missing}
    if capture.source == "regex":
        out: dict[str, Any] = {"regex": escape_text(capture.expr or "")}
        if capture.group != 1:
            out["group"] = capture.group
        return out
    return {capture.source: True}


def _template_values(value: Any, convert: Any) -> Any:
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, list):
        return [_template_values(v, convert) for v in value]
    if isinstance(value, dict):
        return {convert(str(k)): _template_values(v, convert) for k, v in value.items()}
    return value


def _json_or_none(body: str, headers: dict[str, str], language: Any) -> Any:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" not in content_type.lower() and language != "json":
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def iter_requests(data: Any) -> Iterator[dict[str, Any]]:
    """Every request item of a Postman collection, depth first (for counting)."""
    for item in data.get("item") or [] if isinstance(data, dict) else []:
        if isinstance(item, dict):
            if "item" in item:
                yield from iter_requests(item)
            elif "request" in item:
                yield item
