"""``runner export openapi COLLECTION``: an OpenAPI 3.1 description written from a documented
collection.

Each request step is an operation (browser and pause steps are not API operations and are
left out): its path from the URL (``<<name>>`` in the path becomes ``{name}``), its query and
header parameters and body from what the collection documents (type, required,
description, enum; literal values become examples), its responses from ``expect`` (status,
and the JSON Schema of each status; schema files named by ``$ref`` become components), and
its security from the step's auth. Folders become tags. Steps that share a method and path
(a token endpoint used twice) are merged into one operation. The result is validated with
openapi-spec-validator before it is written. See docs/openapi.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from runner.core.errors import LoadError
from runner.core.model import BrowserStep

if TYPE_CHECKING:
    from runner.core.model import Auth, Collection, Folder, Param, RequestStep

_VAR = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")
_TEMPLATE = re.compile(r"<<.*?>>|<<%.*?%>>")
_SKIP_HEADERS = {"authorization", "content-type", "accept", "cookie"}


@dataclass(frozen=True)
class OpenAPIExportOptions:
    """``runner export openapi``: the collection, and where and how the document goes."""

    collection: str
    output: Path | None = None  # where the command writes it; its extension picks the format
    format: str | None = None  # yaml | json; default: the output's extension, else yaml
    show_secrets: bool = False  # else the secrets the collection holds literally are masked


@dataclass
class OpenAPIExport:
    """The document's text and its size."""

    text: str
    operations: int
    paths: int


def export_openapi(options: OpenAPIExportOptions) -> OpenAPIExport:
    """Load, export and validate the collection; the command writes the text."""
    from runner.format.loader import load_collection

    collection = load_collection(options.collection)
    spec = export(collection)
    validate(spec)
    fmt = options.format or ("json" if str(options.output or "").endswith(".json") else "yaml")
    if fmt == "json":
        text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    else:
        from runner.formats.openapi.importer import dump_yaml

        text = dump_yaml(spec)
    if not options.show_secrets:  # examples, defaults and headers written in the collection
        from runner.format.secrets import literal_secrets_redactor

        text = literal_secrets_redactor(collection).mask(text)
    count = sum(len(item) for item in spec["paths"].values())
    return OpenAPIExport(text, count, len(spec["paths"]))


def validate(spec: Mapping[str, Any]) -> None:
    """The exported document must be valid OpenAPI 3.1; a failure here is a runner bug."""
    from openapi_spec_validator import validate as validate_spec
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate_spec(spec)
    except OpenAPIValidationError as exc:  # pragma: no cover - means our export is wrong
        where = "/".join(str(p) for p in exc.absolute_path)
        raise LoadError(
            f"the exported OpenAPI document is invalid at {where}: {exc.message}"
        ) from None


# -- the conversion --------------------------------------------------------------------------


class _Values:
    def __init__(self, collection: Collection) -> None:
        self.plain = {
            name: str(value)
            for name, value in collection.variables.items()
            if isinstance(value, str | int | float)
            and not isinstance(value, bool)
            and "<<" not in str(value)
            and name not in collection.secrets
        }

    def fill(self, text: str) -> str:
        return _VAR.sub(lambda m: self.plain.get(m.group(1), m.group(0)), text)

    def split(self, url: str) -> tuple[str, str, list[str]]:
        """(server, path, path variables) of a step's URL. A URL that starts with a variable
        holding a base (``<<base_url>>/pets``) has that value as its server."""
        m = re.match(r"^<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>", url)
        value = self.plain.get(m.group(1)) if m else None
        if m and value is not None and ("://" in value or value.startswith("/")):
            _, path, names = _split_url(url[m.end() :] or "/")
            return value.rstrip("/") or "/", path, names
        return _split_url(self.fill_base(url))

    def fill_base(self, url: str) -> str:
        """Fill only the variables that hold a base URL or path (``<<base_url>>``), so that
        path variables (``<<petId>>``) stay templates whatever their default value."""

        def base(m: re.Match[str]) -> str:
            value = self.plain.get(m.group(1))
            looks_like_base = value is not None and ("://" in value or value.startswith("/"))
            return value if looks_like_base and value is not None else m.group(0)

        return _VAR.sub(base, url)


def export(collection: Collection) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a collection (plain data)."""
    from runner.core.model import RequestStep, walk
    from runner.engine.engine import effective_auth

    values = _Values(collection)
    base = Path(collection.path).parent
    components = _Components(base)
    paths: dict[str, dict[str, Any]] = {}
    origins: list[str] = []
    path_origin: dict[str, str] = {}
    tags: dict[str, str | None] = {}
    schemes: dict[str, Any] = {}
    for step, parents in walk(collection.steps):
        if not isinstance(step, RequestStep | BrowserStep):
            continue
        origin, path, path_vars = values.split(str(step.url))
        if origin not in origins:
            origins.append(origin)
        path_origin.setdefault(path, origin)
        operation = _operation(step, parents, path_vars, values, components)
        auth = effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None
        security = _security(auth, schemes, values)
        if security is not None:
            operation["security"] = security
        for folder in parents[:1]:
            tags.setdefault(folder.name, folder.description)
        item = paths.setdefault(path, {})
        method = step.method.lower()
        if method in item:
            _merge(item[method], operation)
        else:
            item[method] = operation
    if not paths:
        raise LoadError(f"{collection.path} has no request steps to describe")
    main = origins[0]
    for path, origin in path_origin.items():
        if origin != main:
            paths[path]["servers"] = [{"url": origin}]
    _unique_operation_ids(paths)
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": collection.name, "version": "1.0.0"},
        "servers": [{"url": main}],
    }
    if collection.description:
        spec["info"]["description"] = collection.description.strip()
    if tags:
        spec["tags"] = [
            {"name": name, **({"description": d.strip()} if d else {})} for name, d in tags.items()
        ]
    spec["paths"] = paths
    parts: dict[str, Any] = {}
    if components.schemas:
        parts["schemas"] = components.schemas
    if schemes:
        parts["securitySchemes"] = schemes
    if parts:
        spec["components"] = parts
    from runner.formats.openapi.importer import plain

    result: dict[str, Any] = plain(spec)  # model strings (Text) as plain str
    return result


def _split_url(url: str) -> tuple[str, str, list[str]]:
    """(origin, OpenAPI path with {name} templates, the path's variable names)."""
    names: list[str] = []

    def template(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return "{" + m.group(1) + "}"

    marked = _VAR.sub(template, url)
    marked = _TEMPLATE.sub("x", marked)  # other expressions: not describable, keep a segment
    if "://" not in marked:
        return "/", "/" + marked.lstrip("/").split("?")[0], names
    split = urlsplit(marked)
    origin = f"{split.scheme}://{split.netloc}"
    return origin, unquote(split.path) or "/", [n for n in names if "{" + n + "}" in split.path]


def _operation(
    step: RequestStep | BrowserStep,
    parents: tuple[Folder, ...],
    path_vars: list[str],
    values: _Values,
    components: _Components,
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if parents:
        operation["tags"] = [parents[0].name]
    operation["summary"] = step.name
    description = step.description.strip() if step.description else ""
    if isinstance(step, BrowserStep):
        note = "A person opens this URL in a browser; it is not called by a program."
        description = f"{description}\n\n{note}".strip()
    if description:
        operation["description"] = description
    operation["operationId"] = step.id or _operation_id(step.name)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_vars
    ]
    parameters += [_parameter(p, "query", values) for p in step.params]
    if isinstance(step, BrowserStep):
        operation["parameters"] = parameters
        operation["responses"] = {"default": {"description": "a page for the person"}}
        return operation
    parameters += [
        _parameter(p, "header", values) for p in step.headers if p.name.lower() not in _SKIP_HEADERS
    ]
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(step, values)
    if body is not None:
        operation["requestBody"] = body
    operation["responses"] = _responses(step, components)
    return operation


def _operation_id(name: str) -> str:
    words: list[str] = re.findall(r"[A-Za-z0-9]+", name)
    if not words:
        return "operation"
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _unique_operation_ids(paths: Mapping[str, Mapping[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for item in paths.values():
        for key, operation in item.items():
            if key == "servers":
                continue
            op_id = operation["operationId"]
            if op_id in seen:
                seen[op_id] += 1
                operation["operationId"] = f"{op_id}{seen[op_id]}"
            else:
                seen[op_id] = 1


def _schema_of(param: Param, values: _Values) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if param.type is not None:
        schema["type"] = param.type
    if param.enum is not None:
        schema["enum"] = list(param.enum)
    example = _literal(param.value, values)
    if example is not None:
        schema["examples"] = [example]
    return schema


def _literal(value: Any, values: _Values) -> Any:
    """A param's value as an example, if it has no run-time parts left once filled."""
    if value is None or isinstance(value, list):
        return None
    text = values.fill(str(value))
    return None if "<<" in text else text


def _parameter(param: Param, where: str, values: _Values) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param.name, "in": where}
    if param.description:
        out["description"] = param.description.strip()
    out["required"] = param.required
    out["schema"] = _schema_of(param, values)
    return out


def _object_schema(params: Iterable[Param], values: _Values) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in params:
        prop = _schema_of(param, values)
        if param.description:
            prop["description"] = param.description.strip()
        properties[param.name] = prop
        if param.required:
            required.append(param.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _request_body(step: RequestStep, values: _Values) -> dict[str, Any] | None:
    body = step.body
    if body is None:
        return None
    if body.kind == "form":
        media = body.content_type or "application/x-www-form-urlencoded"
        return {"content": {media: {"schema": _object_schema(body.form, values)}}}
    if body.kind == "json":
        media_type: dict[str, Any] = {}
        if body.fields:
            media_type["schema"] = _object_schema(body.fields, values)
        media_type["example"] = _example(body.json, values)
        return {"content": {body.content_type or "application/json": media_type}}
    return {"content": {body.content_type or "text/plain": {"schema": {"type": "string"}}}}


def _example(value: Any, values: _Values) -> Any:
    if isinstance(value, str):
        return values.fill(value)
    if isinstance(value, list):
        return [_example(v, values) for v in value]
    if isinstance(value, dict):
        return {str(k): _example(v, values) for k, v in value.items()}
    return value


def _responses(step: RequestStep, components: _Components) -> dict[str, Any]:
    statuses: list[str] = []
    schemas: dict[str, Any] = {}
    for check in step.checks:
        matcher = check.matchers[0]
        if check.subject == "status" and matcher.op in ("eq", "in"):
            codes = matcher.expected if matcher.op == "in" else [matcher.expected]
            statuses += [str(c) for c in codes if isinstance(c, int)]
        elif check.subject == "schema":
            if matcher.op == "in":
                for code, schema in matcher.expected.items():
                    schemas[str(code)] = components.schema(schema)
            else:
                schemas["__plain__"] = components.schema(matcher.expected)
    plain = schemas.pop("__plain__", None)
    responses: dict[str, Any] = {}
    for code in statuses or ([] if schemas else ["default"]):
        responses[code] = {"description": "the expected response"}
        if plain is not None:
            responses[code]["content"] = {"application/json": {"schema": plain}}
    for code, schema in schemas.items():
        entry = responses.setdefault(code, {"description": f"a {code} response"})
        entry["content"] = {"application/json": {"schema": schema}}
    for example in step.examples:
        code = str(example.status)
        entry = responses.setdefault(code, {"description": example.description or "an example"})
        media = "application/json" if example.is_json else "text/plain"
        content = entry.setdefault("content", {}).setdefault(media, {})
        content.setdefault("example", example.body)
    if not responses:
        responses["default"] = {"description": "any response"}
    return responses


def _merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Two steps with one method and path: one operation with both steps' parameters."""
    names = {(p["name"], p["in"]) for p in into.get("parameters", [])}
    for param in other.get("parameters", []):
        if (param["name"], param["in"]) not in names:
            into.setdefault("parameters", []).append({**param, "required": False})
    if "requestBody" in other and "requestBody" in into:
        for media, content in other["requestBody"]["content"].items():
            mine = into["requestBody"]["content"].setdefault(media, content)
            props = mine.get("schema", {}).get("properties")
            for name, prop in content.get("schema", {}).get("properties", {}).items():
                if props is not None and name not in props:
                    props[name] = prop
            if "schema" in mine and "required" in mine["schema"]:
                # a field only one use requires is not required by the operation
                theirs = set(content.get("schema", {}).get("required", []))
                both = [r for r in mine["schema"]["required"] if r in theirs]
                if both:
                    mine["schema"]["required"] = both
                else:
                    del mine["schema"]["required"]
    elif "requestBody" in other:
        into["requestBody"] = other["requestBody"]
    for code, response in other.get("responses", {}).items():
        into.setdefault("responses", {}).setdefault(code, response)
    summary = other.get("summary")
    if summary and summary != into.get("summary"):
        note = f"Also used as: {summary}."
        into["description"] = f"{into.get('description', '')}\n\n{note}".strip()


def _security(
    auth: Auth | None, schemes: dict[str, Any], values: _Values
) -> list[dict[str, list[str]]] | None:
    if auth is None:
        return None
    if auth.kind == "none":
        return []
    if auth.kind == "basic":
        schemes.setdefault("basicAuth", {"type": "http", "scheme": "basic"})
        return [{"basicAuth": []}]
    if auth.kind == "bearer":
        schemes.setdefault("bearerAuth", {"type": "http", "scheme": "bearer"})
        return [{"bearerAuth": []}]
    # the other helpers (runner/auth/session.py): read what they carry by name
    kind = str(auth.kind)
    if kind == "apikey":
        where = str(getattr(auth, "where", None) or "header")
        name = str(getattr(auth, "key", None) or "X-API-Key")
        schemes.setdefault("apiKey", {"type": "apiKey", "name": name, "in": where})
        return [{"apiKey": []}]
    oauth2 = getattr(auth, "oauth2", None)
    if kind == "oauth2" and oauth2 is not None:
        grant = str(oauth2.grant)
        scopes = [s for item in oauth2.scopes for s in str(item).split()]
        token_url = values.fill(str(oauth2.token_url))
        flow: dict[str, Any] = {"tokenUrl": token_url, "scopes": {s: s for s in scopes}}
        if grant == "authorization_code":
            auth_url = values.fill(str(oauth2.auth_url))
            flows = {"authorizationCode": {"authorizationUrl": auth_url, **flow}}
        elif grant in ("client_credentials", "account_credentials"):
            flows = {"clientCredentials": flow}
        else:
            return None
        schemes.setdefault("oauth2", {"type": "oauth2", "flows": flows})
        return [{"oauth2": scopes}]
    if kind == "digest":
        schemes.setdefault("digestAuth", {"type": "http", "scheme": "digest"})
        return [{"digestAuth": []}]
    return None


class _Components:
    """Schemas from ``expect: schema`` as OpenAPI 3.1 (JSON Schema 2020-12) components: files
    embedded by the loader (runner.format.schema_refs) become ``components/schemas`` entries. A file
    that only holds ``$defs`` (as ``runner import openapi`` writes) gives one component per
    definition."""

    def __init__(self, base: Path) -> None:
        self.base = base.resolve()
        self.schemas: dict[str, Any] = {}
        self._names: dict[str, str] = {}  # file URI -> component name ("" when hoisted)

    def schema(self, schema: Any) -> Any:
        from runner.format.schema_refs import EMBED_PREFIX

        if not isinstance(schema, dict):
            return schema
        container = "$defs" if "$defs" in schema else "definitions"
        defs = schema.get(container) or {}
        embedded = {k: v for k, v in defs.items() if str(k).startswith(EMBED_PREFIX)}
        fresh = [r for r in embedded.values() if str(r.get("$id", "")) not in self._names]
        for resource in fresh:  # name them all first: they may refer to each other
            self._name(resource)
        for resource in fresh:
            self._add(resource)
        rest = {k: v for k, v in schema.items() if k != container}
        kept = {k: v for k, v in defs.items() if k not in embedded}
        if kept:
            rest[container] = kept
        return self._rewrite(rest, None)

    @staticmethod
    def _defs_only(resource: Mapping[str, Any]) -> bool:
        return "$defs" in resource and set(resource) <= {"$defs", "$id", "$schema", "$comment"}

    def _name(self, resource: Mapping[str, Any]) -> None:
        uri = str(resource.get("$id", ""))
        if self._defs_only(resource):
            self._names[uri] = ""
            return
        stem = Path(unquote(urlsplit(uri).path)).name.split(".")[0] or "schema"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
        while name in self.schemas or name in self._names.values():
            name += "_"
        self._names[uri] = name

    def _add(self, resource: Mapping[str, Any]) -> None:
        uri = str(resource.get("$id", ""))
        if self._names[uri] == "":
            for name, definition in resource["$defs"].items():
                self.schemas[name] = self._rewrite(definition, uri)
            return
        body = {k: v for k, v in resource.items() if k not in ("$id", "$schema")}
        self.schemas[self._names[uri]] = self._rewrite(body, uri)

    def _rewrite(self, node: Any, base_uri: str | None) -> Any:
        if isinstance(node, list):
            return [self._rewrite(v, base_uri) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = self._ref(value, base_uri)
            else:
                out[key] = self._rewrite(value, base_uri)
        return out

    def _ref(self, ref: str, base_uri: str | None) -> str:
        from urllib.parse import urljoin

        if ref.startswith("#") and base_uri is None:
            return ref  # a reference inside the step's own schema
        target = urljoin(base_uri, ref) if base_uri else ref
        document, _, fragment = target.partition("#")
        name = self._names.get(document)
        if name is None:
            return ref
        if name == "":  # a hoisted $defs file: #/$defs/Pet -> #/components/schemas/Pet
            return "#/components/schemas/" + fragment.removeprefix("/$defs/")
        return f"#/components/schemas/{name}{fragment}"
