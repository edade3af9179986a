"""``runner import openapi SPEC``: a collection with one request per operation of an OpenAPI
3.0 or 3.1 description.

The document is read through the loader's safe YAML path (or as JSON) and validated with
openapi-spec-validator. Operations are grouped into folders by their first tag; parameters
are documented from the spec (type, required, description, enum) with example values where
the spec has them; each step expects the documented success status and, per status code,
the documented JSON Schema. The component schemas go to ``NAME.schemas.json`` beside the
collection (converted to JSON Schema 2020-12: OpenAPI 3.0's ``nullable`` and boolean
``exclusiveMinimum``/``exclusiveMaximum`` are rewritten), and steps refer to them with
``$ref``. Security schemes become auth: HTTP basic and bearer, API keys and OAuth 2.0 (the
``oauth2`` and ``apikey`` helpers where this runner has them, else a bearer token or a
header). See docs/openapi.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner.core.errors import LoadError, SourceLocation, UsageError
from runner.core.files import FileOut

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_IDENT = re.compile(r"[^A-Za-z0-9_]")
_CORE_NOT_TEXT = re.compile(  # what our YAML 1.2 core loader reads as something other than text
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN)|)$"
)
JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")


@dataclass(frozen=True)
class OpenAPIImportOptions:
    """``runner import openapi``: the document, and where the collection goes."""

    spec: Path
    output: Path | None = None  # default: collections/NAME.yaml, NAME from the title
    force: bool = False  # overwrite existing files


@dataclass
class OpenAPIImport:
    """The files to write (the collection, then its schemas), what they hold, and what the
    person should know."""

    collection: Path
    schemas: Path
    files: list[FileOut]
    operations: int
    folders: int
    notes: list[str] = field(default_factory=list)
    needed: list[str] = field(default_factory=list)  # variables to give (environment, --var)


def import_openapi(options: OpenAPIImportOptions) -> OpenAPIImport:
    """Read, validate and convert the document into the collection and its schemas (the
    command writes ``files``, every one or none)."""
    spec = read_spec(options.spec)
    result = convert(spec, source=options.spec.name)
    out = options.output or Path("collections") / f"{_slug(result.title)}.yaml"
    schemas_path = out.with_name(f"{out.stem}.schemas.json")
    for path in (out, schemas_path):
        if path.exists() and not options.force:
            raise UsageError(f"{path} exists", hint="pass --force to overwrite it")
    text = result.collection_yaml(schemas_path.name)
    files = [
        FileOut(schemas_path, json.dumps(result.schemas, indent=2) + "\n"),
        FileOut(out, text),
    ]
    return OpenAPIImport(
        out,
        schemas_path,
        files,
        result.operations,
        len(result.folders),
        list(result.notes),
        list(result.needed),
    )


# -- reading ---------------------------------------------------------------------------------


def read_spec(path: Path) -> dict[str, Any]:
    """Read and validate an OpenAPI 3.0/3.1 document; LoadError when it is not one."""
    from runner.format.loader import parse_data, read_text

    text = read_text(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(
                f"malformed JSON: {exc.msg}", SourceLocation(str(path), exc.lineno, exc.colno)
            ) from None
    else:
        data = plain(parse_data(text, str(path)))
    if not isinstance(data, dict):
        raise LoadError("an OpenAPI document is a mapping", SourceLocation(str(path), 1))
    version = str(data.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        hint = (
            "convert Swagger 2.0 to OpenAPI 3 first (for example with swagger2openapi)"
            if "swagger" in data
            else "the document needs an 'openapi: 3.0.x' or '3.1.x' key"
        )
        raise LoadError(
            f"not an OpenAPI 3.0 or 3.1 document (openapi: {version or 'missing'})",
            SourceLocation(str(path), 1),
            hint,
        )
    validate(data, path)
    return data


def validate(spec: Mapping[str, Any], path: Path) -> None:
    from openapi_spec_validator import validate as validate_spec  # deferred: heavy import
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate_spec(spec)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise LoadError(
            f"invalid OpenAPI document at {where}: {exc.message}", SourceLocation(str(path), 1)
        ) from None


def plain(value: Any) -> Any:
    """Loader values (``Text``) as plain Python types, so they dump and compare as such."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


# -- converting ------------------------------------------------------------------------------


class Conversion:
    """The collection (as plain data), the schemas document, and what the user must know."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.collection: dict[str, Any] = {}
        self.schemas: dict[str, Any] = {}
        self.folders: list[str] = []
        self.operations = 0
        self.notes: list[str] = []
        self.needed: list[str] = []
        self.header = ""

    def collection_yaml(self, schemas_file: str) -> str:
        data = _with_schemas_file(self.collection, schemas_file)
        return self.header + dump_yaml(data)


class _Dumper(yaml.SafeDumper):
    """Quotes every string our YAML 1.2 core loader would read as something else (``1e3``)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = '"' if _CORE_NOT_TEXT.match(value) else None
    if "\n" in value.strip("\n") and value == value.rstrip(" \t"):
        style = "|"  # descriptions read best as literal blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)


SCHEMAS_PLACEHOLDER = "\x00schemas\x00"


def _with_schemas_file(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        return {k: _with_schemas_file(v, name) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_schemas_file(v, name) for v in node]
    if isinstance(node, str) and node.startswith(SCHEMAS_PLACEHOLDER):
        return name + node[len(SCHEMAS_PLACEHOLDER) :]
    return node


class _Spec:
    """Look-ups in one OpenAPI document: local ``$ref``s, version quirks."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.v30 = str(spec.get("openapi", "")).startswith("3.0")

    def deref(self, node: Any, depth: int = 0) -> Any:
        """Follow a local ``$ref`` (parameters, bodies, responses, schemes) to its target."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 32:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise LoadError(
                    f"external $ref {ref!r} in the OpenAPI document is not supported",
                    hint="bundle the document into one file first",
                )
            target: Any = self.spec
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise LoadError(f"$ref {ref!r} points at nothing in the OpenAPI document")
                target = target[part]
            node, depth = target, depth + 1
        return node

    def schema(self, node: Any) -> Any:
        """An OpenAPI schema as JSON Schema 2020-12, its component refs into the schemas file."""
        return _json_schema(node, self.v30, prefix=SCHEMAS_PLACEHOLDER + "#/$defs/")


def _json_schema(node: Any, v30: bool, prefix: str) -> Any:
    if isinstance(node, list):
        return [_json_schema(v, v30, prefix) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
            out[key] = prefix + value[len("#/components/schemas/") :]
        elif v30 and key == "nullable":
            continue  # folded into "type" below
        elif v30 and key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in node:
                out[key] = node[bound]
        elif key in ("xml", "discriminator", "externalDocs") or key.startswith("x-"):
            continue  # OpenAPI annotations with no meaning in JSON Schema
        elif key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {k: _json_schema(v, v30, prefix) for k, v in value.items()}
        else:
            out[key] = _json_schema(value, v30, prefix)
    if v30:
        if node.get("exclusiveMinimum") is True and "minimum" in out:
            del out["minimum"]
        if node.get("exclusiveMaximum") is True and "maximum" in out:
            del out["maximum"]
        if node.get("nullable") is True:
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            elif "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
                out = {"anyOf": [out, {"type": "null"}]}
    return out


def convert(spec: Mapping[str, Any], *, source: str = "the OpenAPI document") -> Conversion:
    """Turn a validated OpenAPI document into a collection (plain data) and its schemas."""
    from runner.format.spec import AUTH_TYPES

    spec = plain(spec)
    doc = _Spec(spec)
    info = spec.get("info") or {}
    title = str(info.get("title") or "OpenAPI")
    result = Conversion(title)
    result.header = (
        f"# Imported from {source} (OpenAPI {spec.get('openapi')}, version "
        f"{info.get('version', '?')}) by `runner import openapi`.\n"
    )
    components = (spec.get("components") or {}).get("schemas") or {}
    result.schemas = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"The component schemas of {source}, as JSON Schema 2020-12.",
        "$defs": {
            name: _json_schema(schema, doc.v30, prefix="#/$defs/")
            for name, schema in components.items()
        },
    }
    variables: dict[str, Any] = {"base_url": _server_url(spec, result)}
    schemes = {
        name: doc.deref(s)
        for name, s in ((spec.get("components") or {}).get("securitySchemes") or {}).items()
    }
    mapper = _AuthMapper(schemes, "oauth2" in AUTH_TYPES, "apikey" in AUTH_TYPES, result)
    collection: dict[str, Any] = {"name": title}
    if info.get("description"):
        collection["description"] = str(info["description"]).strip()
    collection["variables"] = variables
    global_auth = mapper.auth_for(spec.get("security"))
    if global_auth is not None:
        collection["auth"] = global_auth.auth
    tag_docs = {t.get("name"): t.get("description") for t in spec.get("tags") or []}
    folders: dict[str, list[dict[str, Any]]] = {}
    top: list[Any] = []
    for path, item in (spec.get("paths") or {}).items():
        item = doc.deref(item)
        shared = item.get("parameters") or []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            step = _operation(doc, path, method, operation, shared, variables, mapper, result)
            if operation.get("security") is not None:
                auth = mapper.auth_for(operation["security"])
                step_auth = auth.auth if auth is not None and auth.auth else {"type": "none"}
                if step_auth != collection.get("auth", {"type": "none"}):
                    step["auth"] = step_auth
                if auth is not None and auth.headers:
                    step.setdefault("headers", {}).update(auth.headers)
            elif global_auth is not None and global_auth.headers:
                step.setdefault("headers", {}).update(global_auth.headers)
            step = _ordered(step)
            result.operations += 1
            tags = operation.get("tags") or []
            if tags:
                folders.setdefault(str(tags[0]), []).append(step)
            else:
                top.append(step)
    steps: list[Any] = []
    for name, folder_steps in folders.items():
        folder: dict[str, Any] = {"folder": name}
        if tag_docs.get(name):
            folder["description"] = str(tag_docs[name]).strip()
        folder["steps"] = folder_steps
        steps.append(folder)
        result.folders.append(name)
    steps += top
    if not steps:
        raise LoadError(f"{source} has no operations under 'paths'")
    collection["steps"] = steps
    result.needed = sorted(mapper.variables)
    result.collection = collection
    return result


def _server_url(spec: Mapping[str, Any], result: Conversion) -> str:
    servers = spec.get("servers") or [{"url": "/"}]
    server = servers[0]
    url = str(server.get("url") or "/")
    for name, var in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(var.get("default", "")))
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        result.notes.append(
            f"the server URL {url or '/'!r} is relative: pass --var base_url=https://HOST{url}"
        )
    return url


STEP_ORDER = (
    "request", "id", "description", "method", "url", "auth", "params", "headers", "body",
    "expect",
)  # fmt: skip


def _ordered(step: dict[str, Any]) -> dict[str, Any]:
    """The step's keys in the order people read them (as in docs/format.md)."""
    return {k: step[k] for k in (*STEP_ORDER, *step) if k in step}


def _ident(name: str) -> str:
    ident = _IDENT.sub("_", name)
    return ident if ident and not ident[0].isdigit() else f"p_{ident}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "openapi"


def _operation(
    doc: _Spec,
    path: str,
    method: str,
    operation: Mapping[str, Any],
    shared: list[Any],
    variables: dict[str, Any],
    mapper: _AuthMapper,
    result: Conversion,
) -> dict[str, Any]:
    name = str(operation.get("summary") or operation.get("operationId") or f"{method} {path}")
    step: dict[str, Any] = {"request": name.strip()}
    if operation.get("operationId"):
        step["id"] = str(operation["operationId"])
    if operation.get("description"):
        step["description"] = str(operation["description"]).strip()
    step["method"] = method.upper()
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(operation.get("parameters") or [])]:
        param = doc.deref(raw)
        params[(str(param.get("name")), str(param.get("in")))] = param
    url = path
    query: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    for (pname, where), param in params.items():
        schema = doc.deref(param.get("schema") or {})
        if where == "path":
            var = _ident(pname)
            url = url.replace("{" + pname + "}", f"<<{var}>>")
            if var not in variables:
                variables[var] = _scalar_text(_example(doc, param, schema))
        elif where in ("query", "header"):
            entry = _documented(doc, param, schema)
            (query if where == "query" else headers)[pname] = entry
        else:
            result.notes.append(f"{step['request']}: {where} parameter {pname!r} is not imported")
    step["url"] = "<<base_url>>" + url
    if query:
        step["params"] = query
    if headers:
        step["headers"] = headers
    body = _request_body(doc, operation.get("requestBody"), step["request"], result)
    if body is not None:
        step["body"] = body
    expect, accept_json = _responses(doc, operation.get("responses") or {})
    if accept_json:
        step.setdefault("headers", {})["Accept"] = "application/json"
    if expect:
        step["expect"] = expect
    return step


def _documented(doc: _Spec, param: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    example = _example(doc, param, schema, sample=bool(param.get("required")))
    if example is not None:
        if isinstance(example, list) and schema.get("type") == "array":
            entry["value"] = [_scalar_text(v) for v in example]
        else:
            entry["value"] = _scalar_text(example)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind in JSON_TYPES:
        entry["type"] = kind
    entry["required"] = bool(param.get("required"))
    if param.get("description"):
        entry["description"] = " ".join(str(param["description"]).split())
    enum = schema.get("enum") or (doc.deref(schema.get("items") or {}).get("enum"))
    if enum:
        entry["enum"] = [_scalar_text(e) for e in enum]
    return entry


def _example(
    doc: _Spec, holder: Mapping[str, Any], schema: Mapping[str, Any], *, sample: bool = True
) -> Any:
    """An example value: the parameter's or media type's, else the schema's, else (when
    ``sample``) one made from the schema's type."""
    if "example" in holder:
        return holder["example"]
    examples = holder.get("examples")
    if isinstance(examples, dict) and examples:
        first = doc.deref(next(iter(examples.values())))
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    return _sample(doc, schema) if sample else None


def _sample(doc: _Spec, schema: Any, depth: int = 0) -> Any:
    """A value that fits ``schema``, made from its examples and types (for bodies)."""
    schema = doc.deref(schema)
    if not isinstance(schema, dict) or depth > 6:
        return None
    for key in ("example", "const", "default"):
        if key in schema:
            return _fit(schema[key], schema)
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return _fit(schema["examples"][0], schema)
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("allOf",):
        if schema.get(key):
            merged: dict[str, Any] = {}
            for part in schema[key]:
                value = _sample(doc, part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _sample(doc, schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for prop, sub in (schema.get("properties") or {}).items():
            sub_schema = doc.deref(sub)
            has_example = isinstance(sub_schema, dict) and any(
                k in sub_schema for k in ("example", "examples", "default", "enum", "$ref")
            )
            if prop in required or has_example or (isinstance(sub, dict) and "$ref" in sub):
                out[prop] = _sample(doc, sub, depth + 1)
        return out
    if kind == "array":
        item = _sample(doc, schema.get("items") or {}, depth + 1)
        return [] if item is None else [item]
    if kind == "string":
        return {
            "date-time": "2024-01-01T00:00:00Z",
            "date": "2024-01-01",
            "email": "user@example.com",
            "uuid": "00000000-0000-4000-8000-000000000000",
            "uri": "https://example.com/",
        }.get(str(schema.get("format")), "string")
    if kind == "integer":
        return int(schema.get("minimum", 0) or 0)
    if kind == "number":
        return schema.get("minimum", 0) or 0
    if kind == "boolean":
        return False
    return None


def _fit(value: Any, schema: Mapping[str, Any]) -> Any:
    """An example as the documented type: specs write ``example: 12345`` for strings."""
    if schema.get("type") == "string" and isinstance(value, int | float | bool):
        return _scalar_text(value)
    return value


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value)


def _request_body(doc: _Spec, body: Any, name: str, result: Conversion) -> dict[str, Any] | None:
    if body is None:
        return None
    body = doc.deref(body)
    content: dict[str, Any] = body.get("content") or {}
    json_type = next((t for t in content if _is_json(t)), None)
    if json_type is not None:
        media = content[json_type]
        schema = doc.deref(media.get("schema") or {})
        example = _example(doc, media, schema)
        out: dict[str, Any] = {"json": example if example is not None else {}}
        if json_type != "application/json":
            out["content_type"] = json_type
        fields = _fields(doc, schema)
        if fields:
            out["fields"] = fields
        return out
    if "application/x-www-form-urlencoded" in content:
        schema = doc.deref(content["application/x-www-form-urlencoded"].get("schema") or {})
        required = set(schema.get("required") or [])
        form: dict[str, Any] = {}
        for prop, sub in (schema.get("properties") or {}).items():
            sub_schema = doc.deref(sub)
            param = {"required": prop in required}
            entry = _documented(doc, param, sub_schema)
            if "value" not in entry and prop in required:
                entry["value"] = _scalar_text(_sample(doc, sub_schema))
            form[prop] = entry
        return {"form": form} if form else None
    kinds = ", ".join(content) or "no content"
    result.notes.append(f"{name}: request body ({kinds}) is not imported; add it by hand")
    return None


def _fields(doc: _Spec, schema: Mapping[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required") or [])
    fields: dict[str, Any] = {}
    for prop, sub in (schema.get("properties") or {}).items():
        sub_schema = doc.deref(sub)
        entry: dict[str, Any] = {}
        kind = sub_schema.get("type") if isinstance(sub_schema, dict) else None
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None and isinstance(sub_schema, dict) and "properties" in sub_schema:
            kind = "object"
        if kind in JSON_TYPES:
            entry["type"] = kind
        entry["required"] = prop in required
        if isinstance(sub_schema, dict) and sub_schema.get("description"):
            entry["description"] = " ".join(str(sub_schema["description"]).split())
        if isinstance(sub_schema, dict) and sub_schema.get("enum"):
            entry["enum"] = list(sub_schema["enum"])
        fields[prop] = entry
    return fields


def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _responses(doc: _Spec, responses: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``expect`` for the documented responses: the success status(es) and a schema per
    status; and whether to ask for JSON (the spec offers other types too)."""
    success = sorted(
        int(code) for code in responses if str(code).isdigit() and 200 <= int(code) < 300
    )
    by_status: dict[str, Any] = {}
    other_types = False
    for code, response in responses.items():
        response = doc.deref(response)
        content = response.get("content") or {}
        json_type = next((t for t in content if _is_json(t)), None)
        other_types = other_types or any(not _is_json(t) for t in content)
        if json_type is None:
            continue
        schema = content[json_type].get("schema")
        if schema:
            by_status[str(code).upper()] = doc.schema(schema)
    expect: dict[str, Any] = {}
    if success:
        expect["status"] = success[0] if len(success) == 1 else success
    if by_status:
        expect["schema"] = by_status
    return expect, other_types and bool(by_status)


class _Auth:
    def __init__(self, auth: dict[str, Any] | None, headers: dict[str, Any] | None = None) -> None:
        self.auth = auth
        self.headers = headers or {}


class _AuthMapper:
    """Security requirements -> our auth blocks (the first requirement that maps wins)."""

    def __init__(
        self,
        schemes: Mapping[str, Any],
        has_oauth2: bool,
        has_apikey: bool,
        result: Conversion,
    ) -> None:
        self.schemes = schemes
        self.has_oauth2 = has_oauth2
        self.has_apikey = has_apikey
        self.result = result
        self.variables: set[str] = set()
        self._noted: set[str] = set()

    def _note(self, text: str) -> None:
        if text not in self._noted:
            self._noted.add(text)
            self.result.notes.append(text)

    def auth_for(self, requirements: Any) -> _Auth | None:
        if not requirements:
            return None
        for requirement in requirements:
            if not requirement:
                return None  # {} : anonymous access is allowed
            for name, scopes in requirement.items():
                scheme = self.schemes.get(name)
                if isinstance(scheme, dict):
                    mapped = self._map(name, scheme, list(scopes or []))
                    if mapped is not None:
                        return mapped
        return None

    def _var(self, name: str) -> str:
        self.variables.add(name)
        return f"<<{name}>>"

    def _map(self, name: str, scheme: Mapping[str, Any], scopes: list[str]) -> _Auth | None:
        kind = scheme.get("type")
        if kind == "http":
            http = str(scheme.get("scheme", "")).lower()
            if http == "basic":
                return _Auth(
                    {"type": "basic", "username": self._var("username"),
                     "password": self._var("password")}
                )  # fmt: skip
            if http == "bearer":
                return _Auth({"type": "bearer", "token": self._var("bearer_token")})
            self._note(f"security scheme {name!r} (http {http}) is not mapped")
            return None
        if kind == "apiKey":
            where, key = scheme.get("in"), str(scheme.get("name"))
            if where not in ("header", "query"):
                self._note(f"security scheme {name!r} (API key in {where}) is not mapped")
                return None
            if self.has_apikey:
                return _Auth(
                    {"type": "apikey", "key": key, "value": self._var("api_key"), "in": where}
                )
            if where == "header":
                return _Auth(None, {key: self._var("api_key")})
            self._note(f"security scheme {name!r} (API key in the query) is not mapped")
            return None
        if kind == "oauth2":
            return self._oauth2(name, scheme, scopes)
        if kind == "openIdConnect":
            return _Auth({"type": "bearer", "token": self._var("access_token")})
        self._note(f"security scheme {name!r} ({kind}) is not mapped")
        return None

    def _oauth2(self, name: str, scheme: Mapping[str, Any], scopes: list[str]) -> _Auth:
        flows = scheme.get("flows") or {}
        grants = {
            "authorizationCode": "authorization_code",
            "clientCredentials": "client_credentials",
        }
        for flow_name, grant in grants.items():
            flow = flows.get(flow_name)
            if flow is None or not self.has_oauth2:
                continue
            auth: dict[str, Any] = {"type": "oauth2", "grant": grant}
            auth["token_url"] = str(flow.get("tokenUrl"))
            if grant == "authorization_code":
                auth["auth_url"] = str(flow.get("authorizationUrl"))
                auth["redirect_uri"] = self._var("redirect_uri")
                auth["pkce"] = True
            auth["client_id"] = self._var("client_id")
            auth["client_secret"] = self._var("client_secret")
            if scopes:
                auth["scopes"] = scopes
            return _Auth(auth)
        which = ", ".join(flows) or "no flows"
        why = (
            "this runner has no oauth2 auth helper"
            if not self.has_oauth2
            else (f"its flows ({which}) have no helper here")
        )
        self._note(
            f"security scheme {name!r} (OAuth 2.0, {which}): {why}; the requests send "
            "Authorization: Bearer <<access_token>>"
        )
        return _Auth({"type": "bearer", "token": self._var("access_token")})
