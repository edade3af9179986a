"""``runner export postman COLLECTION.yaml [-o FILE]``: Postman Collection v2.1 JSON.

The collection is read through the loader (so only a valid collection is exported) and
written as Postman expects it: ``<<var>>`` as ``{{var}}``, expectations and captures as
``pm.test`` / ``pm.environment.set`` test scripts (postman_scripts.py), kept scripts after
them, redirects and auth as Postman's settings. What has no Postman form (browser and pause
steps, a schema per status code, template expressions other than a variable or a helper) is
left out and listed. The result validates against the official v2.1 JSON Schema.
"""

from __future__ import annotations

import contextvars
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.core.model import (
        Auth,
        Body,
        Collection,
        Example,
        Param,
        Redirects,
        RequestStep,
        Scripts,
        Step,
    )
    from runner.formats.postman.script_export import Notes
    from runner.formats.results import Exported

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
LANGUAGES = {
    "application/json": "json",
    "application/xml": "xml",
    "text/html": "html",
    "application/javascript": "javascript",
    "text/plain": "text",
}


def export_postman(collection_path: str, *, show_secrets: bool = False) -> Exported:
    """The collection at ``collection_path`` as Postman Collection v2.1 JSON, with what was
    left out or changed. The secrets it holds literally are masked unless ``show_secrets``
    (runner.format.secrets): a file written for another tool is still a file that leaves."""
    from runner.format.loader import load_collection
    from runner.formats.postman.script_export import Notes
    from runner.formats.results import Exported

    collection = load_collection(collection_path)
    notes = Notes()
    document = export_collection(collection, notes)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not show_secrets:
        from runner.format.secrets import literal_secrets_redactor

        text = literal_secrets_redactor(collection).mask(text)
    return Exported(text, [str(item) for item in notes.items], secret=_has_secret(collection))


def _has_secret(collection: Collection) -> bool:
    """A secret variable's value, or an auth password, token or key, written out (not a
    ``<<variable>>``): the file is then written with mode 0600."""
    from runner.core.model import Folder, RequestStep, walk

    def literal(value: Any) -> bool:
        return isinstance(value, str) and bool(value) and "<<" not in value

    if any(literal(collection.variables.get(name)) for name in collection.secrets):
        return True
    auths = [collection.auth] + [
        step.auth for step, _ in walk(collection.steps) if isinstance(step, RequestStep | Folder)
    ]
    for auth in auths:
        if auth is None:
            continue
        oauth = auth.oauth2
        values = [auth.password, auth.token, auth.value]
        if oauth is not None:
            values += [oauth.client_secret, oauth.refresh_token]
        signed = auth.oauth1
        if signed is not None:
            values += [signed.consumer_secret, signed.token_secret, signed.private_key]
        if any(literal(v) for v in values):
            return True
    return False


# -- the collection ----------


# The collection's variables whose value is text, during export_collection: a JSON body value
# that is exactly <<name>> of one of these stays a quoted string; others are written unquoted.
TEXT_VARIABLES: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "TEXT_VARIABLES", default=frozenset()
)


def export_collection(collection: Collection, notes: Notes) -> dict[str, Any]:
    from runner.formats.postman.script_export import to_postman, value_to_postman

    out: dict[str, Any] = {"info": {"name": collection.name, "schema": SCHEMA_URL}}
    if collection.description:
        out["info"]["description"] = to_postman(collection.description, "the collection", notes)
    texts = {n for n, v in collection.variables.items() if isinstance(v, str)}
    token = TEXT_VARIABLES.set(frozenset(texts))  # read by _body: which <<name>> stay quoted
    try:
        out["item"] = _items(collection.steps, (), notes)
    finally:
        TEXT_VARIABLES.reset(token)
    events = _events(collection.scripts, None, "the collection", notes)
    if events:
        out["event"] = events
    if collection.variables:
        out["variable"] = [
            {"key": name, "value": _variable_value(value_to_postman(value, name, notes))}
            for name, value in collection.variables.items()
        ]
        hidden = sorted(
            n for n in collection.secrets if n in collection.variables and not _named_secret(n)
        )
        if hidden:
            notes.add(
                "the collection",
                "Postman collection variables have no secret type: "
                f"{', '.join(hidden)} will not be masked there",
            )
    if collection.auth is not None:
        out["auth"] = _auth(collection.auth, "the collection", notes)
    out["protocolProfileBehavior"] = _collection_behaviour(collection)
    if not out["protocolProfileBehavior"]:
        del out["protocolProfileBehavior"]
    return out


# Postman's redirect defaults (postman-runtime), as our ``redirects`` keys.
POSTMAN_REDIRECTS = {"follow": True, "max": 10, "keep_method": False, "referer": True}


def _collection_behaviour(collection: Collection) -> dict[str, Any]:
    """The collection's redirect settings (ours where it sets none) where they differ from
    Postman's defaults, so every request inherits in Postman what it would here."""
    from runner.core.model import REDIRECT_DEFAULTS

    own = collection.redirects
    effective = own.over(REDIRECT_DEFAULTS) if own is not None else REDIRECT_DEFAULTS
    return _behaviour(effective, skip=POSTMAN_REDIRECTS)


def _behaviour(redirects: Redirects | None, skip: dict[str, Any] | None = None) -> dict[str, Any]:
    """``redirects`` keys as protocolProfileBehavior (those set, and not equal to ``skip``)."""
    out: dict[str, Any] = {}
    if redirects is None:
        return out
    for ours, theirs in (
        ("follow", "followRedirects"),
        ("max", "maxRedirects"),
        ("keep_method", "followOriginalHttpMethod"),
        ("referer", "removeRefererHeaderOnRedirect"),
    ):
        value = getattr(redirects, ours)
        if value is None or (skip is not None and skip[ours] == value):
            continue
        out[theirs] = not value if ours == "referer" else value
    return out


def _named_secret(name: str) -> bool:
    from runner.core.redact import is_secret_name

    return is_secret_name(name)


def _variable_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _items(steps: tuple[Step, ...], path: tuple[str, ...], notes: Notes) -> list[dict[str, Any]]:
    from runner.core.model import BrowserStep, Folder, PauseStep
    from runner.formats.postman.script_export import to_postman

    out: list[dict[str, Any]] = []
    for step in steps:
        where = " / ".join((*path, step.name))
        if isinstance(step, Folder):
            folder: dict[str, Any] = {"name": step.name}
            if step.description:
                folder["description"] = to_postman(step.description, where, notes)
            folder["item"] = _items(step.steps, (*path, step.name), notes)
            if step.auth is not None:
                folder["auth"] = _auth(step.auth, where, notes)
            events = _events(step.scripts, None, where, notes)
            if events:
                folder["event"] = events
            behaviour = _behaviour(step.redirects)
            if behaviour:
                folder["protocolProfileBehavior"] = behaviour
            out.append(folder)
        elif isinstance(step, BrowserStep | PauseStep):
            kind = "browser" if isinstance(step, BrowserStep) else "pause"
            notes.add(where, f"a {kind} step has no Postman form: left out")
        else:
            out.append(_request(step, where, notes))
    return out


def _request(step: RequestStep, where: str, notes: Notes) -> dict[str, Any]:
    from runner.formats.postman.script_export import to_postman

    request: dict[str, Any] = {"method": step.method}
    headers = _params(step.headers, where, notes)
    request["header"] = [
        {k: v for k, v in h.items() if k in ("key", "value", "disabled", "description")}
        for h in headers
    ]
    body = _body(step.body, request["header"], where, notes) if step.body else None
    if body is not None:
        request["body"] = body
    request["url"] = _url(step.url, step.params, where, notes)
    if step.auth is not None:
        request["auth"] = _auth(step.auth, where, notes)
    if step.description:
        request["description"] = to_postman(step.description, where, notes)
    item: dict[str, Any] = {"name": step.name}
    events = _events(step.scripts, step, where, notes)
    if events:
        item["event"] = events
    item["request"] = request
    if step.examples:
        item["response"] = [_example(e, where, notes) for e in step.examples]
    behaviour = _behaviour(step.redirects)
    if step.follow_redirects is not None:
        behaviour["followRedirects"] = step.follow_redirects
    if body is not None and step.method.upper() in ("GET", "COPY", "HEAD", "PURGE", "UNLOCK"):
        behaviour["disableBodyPruning"] = True  # else Postman would not send the body
    if behaviour:
        item["protocolProfileBehavior"] = behaviour
    for label, present in (
        ("timeout", step.timeout is not None),
        ("tags", bool(step.tags)),
        ("flow control (skip_if, retry, repeat, goto...)", getattr(step, "flow", None) is not None),
    ):
        if present:
            notes.add(where, f"{label} has no Postman form: left out")
    return item


# -- parts of a request ----------


def _params(params: tuple[Param, ...], where: str, notes: Notes) -> list[dict[str, Any]]:
    """Params, headers and form fields as Postman's key/value lists (a list repeats the key)."""
    from runner.formats.postman.script_export import to_postman

    out: list[dict[str, Any]] = []
    for param in params:
        values = param.value if isinstance(param.value, list) else [param.value]
        for value in values:
            entry: dict[str, Any] = {"key": to_postman(param.name, where, notes)}
            entry["value"] = "" if value is None else to_postman(_text(value), where, notes)
            if not param.enabled or param.value is None:
                entry["disabled"] = True
            if param.description:
                entry["description"] = to_postman(param.description, where, notes)
            out.append(entry)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _encode_query(text: str, *, key: bool) -> str:
    """Postman sends query text as written: escape what would change its meaning."""
    chars = "%&+#=" if key else "%&+#"
    return "".join(f"%{ord(c):02X}" if c in chars else c for c in text)


def _url(url: str, params: tuple[Param, ...], where: str, notes: Notes) -> dict[str, Any]:
    from runner.formats.postman.script_export import to_postman

    text = to_postman(url, where, notes)
    fragment = ""
    if "#" in text:
        text, fragment = text.split("#", 1)
    base, _, query_text = text.partition("?")
    query: list[dict[str, Any]] = []
    for piece in query_text.split("&") if query_text else []:
        key, sep, value = piece.partition("=")
        query.append({"key": key, "value": value if sep else None})
    for entry in _params(params, where, notes):
        entry["key"] = _encode_query(entry["key"], key=True)
        entry["value"] = _encode_query(entry["value"], key=False)
        query.append(entry)
    out: dict[str, Any] = {}
    raw = base
    if query:
        raw += "?" + "&".join(
            q["key"] + ("" if q["value"] is None else "=" + q["value"])
            for q in query
            if not q.get("disabled")
        )
    if fragment:
        raw += "#" + fragment
    out["raw"] = raw
    scheme, sep, rest = base.partition("://")
    if sep:
        out["protocol"] = scheme
    else:
        rest = base
    host, slash, path = rest.partition("/")
    if ":" in host and not host.startswith("{{") and re.fullmatch(r"[^:]+:\d+", host):
        host, port = host.rsplit(":", 1)
        out["host"] = host.split(".")
        out["port"] = port
    else:
        out["host"] = host.split(".") if not host.startswith("{{") else [host]
    if slash:
        out["path"] = path.split("/")
    if query:
        out["query"] = query
    if fragment:
        out["hash"] = fragment
    return out


def _body(
    body: Body, headers: list[dict[str, Any]], where: str, notes: Notes
) -> dict[str, Any] | None:
    from runner.formats.postman.script_export import to_postman, value_to_postman

    has_type = any(h["key"].lower() == "content-type" and not h.get("disabled") for h in headers)
    if body.kind == "json":
        # A value that is exactly <<name>> is rendered with its type (a number stays a number):
        # Postman writes it unquoted, {"id": {{new_id}}}, so it goes through a placeholder;
        # a collection variable holding text stays quoted (unquoted text is not JSON).
        import uuid

        whole = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")
        text_names = TEXT_VARIABLES.get()
        typed: dict[str, str] = {}
        marker = f"runner-typed-{uuid.uuid4().hex}-"

        def keep_type(value: Any) -> Any:
            found = whole.fullmatch(value) if isinstance(value, str) else None
            if found is not None and found.group(1) not in text_names:
                token = f"{marker}{len(typed)}"
                typed[json.dumps(token)] = "{{" + found.group(1) + "}}"
                return token
            if isinstance(value, list):
                return [keep_type(v) for v in value]
            if isinstance(value, dict):
                return {k: keep_type(v) for k, v in value.items()}
            return value

        converted = value_to_postman(keep_type(body.json), where, notes)
        text = json.dumps(converted, indent=2, ensure_ascii=False)
        for quoted, variable in typed.items():
            text = text.replace(quoted, variable)
        if body.content_type and not has_type and body.content_type != "application/json":
            headers.append({"key": "Content-Type", "value": body.content_type})
        return {"mode": "raw", "raw": text, "options": {"raw": {"language": "json"}}}
    if body.kind == "text":
        language = LANGUAGES.get((body.content_type or "text/plain").lower(), "text")
        if body.content_type and not has_type and body.content_type.lower() not in LANGUAGES:
            headers.append({"key": "Content-Type", "value": body.content_type})
        return {
            "mode": "raw",
            "raw": to_postman(body.text or "", where, notes),
            "options": {"raw": {"language": language}},
        }
    if body.content_type and not has_type:
        headers.append({"key": "Content-Type", "value": body.content_type})
    if body.kind == "form":
        fields = _params(body.form, where, notes)
        return {"mode": "urlencoded", "urlencoded": [{**f, "type": "text"} for f in fields]}
    if body.kind == "multipart":
        parts: list[dict[str, Any]] = []
        for part in body.parts:
            entry: dict[str, Any] = {"key": to_postman(part.name, where, notes)}
            if part.file is not None:
                entry["type"] = "file"
                entry["src"] = to_postman(part.file, where, notes)
                if part.filename:
                    notes.add(where, f"the file name of part '{part.name}' is not kept")
            else:
                entry["type"] = "text"
                entry["value"] = to_postman(part.value or "", where, notes)
            if part.content_type:
                entry["contentType"] = to_postman(part.content_type, where, notes)
            if not part.enabled:
                entry["disabled"] = True
            parts.append(entry)
        return {"mode": "formdata", "formdata": parts}
    if body.kind == "graphql" and body.graphql is not None:
        graphql: dict[str, Any] = {"query": to_postman(body.graphql.query, where, notes)}
        if body.graphql.variables is not None:
            graphql["variables"] = json.dumps(
                value_to_postman(body.graphql.variables, where, notes), indent=2
            )
        if body.graphql.operation_name:
            graphql["operationName"] = to_postman(body.graphql.operation_name, where, notes)
        return {"mode": "graphql", "graphql": graphql}
    if body.kind == "file" and body.file is not None:
        return {"mode": "file", "file": {"src": to_postman(body.file, where, notes)}}
    notes.add(where, f"a {body.kind} body has no Postman form: left out")
    return None


def _auth(auth: Auth, where: str, notes: Notes) -> dict[str, Any]:
    from runner.formats.postman.script_export import to_postman

    def attrs(**values: Any) -> list[dict[str, Any]]:
        return [
            {
                "key": k,
                "value": to_postman(v, where, notes) if isinstance(v, str) else v,
                "type": "boolean" if isinstance(v, bool) else "string",
            }
            for k, v in values.items()
            if v is not None
        ]

    kind = auth.kind
    if kind == "none":
        return {"type": "noauth"}
    if kind in ("basic", "digest"):
        return {
            "type": kind,
            kind: attrs(username=auth.username or "", password=auth.password or ""),
        }
    if kind == "bearer":
        return {"type": "bearer", "bearer": attrs(token=auth.token or "")}
    if kind == "apikey":
        return {
            "type": "apikey",
            "apikey": attrs(key=auth.key or "", value=auth.value or "", **{"in": auth.where}),
        }
    oauth = auth.oauth2
    if kind == "oauth2" and oauth is not None:
        grant = oauth.grant
        if grant == "authorization_code" and oauth.pkce:
            grant_type = "authorization_code_with_pkce"
        elif grant in ("authorization_code", "client_credentials"):
            grant_type = grant
        else:
            notes.add(
                where, f"oauth2 grant '{grant}' has no Postman form: written as client_credentials"
            )
            grant_type = "client_credentials"
        values: dict[str, Any] = {
            "grant_type": grant_type,
            "accessTokenUrl": oauth.token_url,
            "authUrl": oauth.auth_url,
            "redirect_uri": oauth.redirect_uri,
            "clientId": oauth.client_id,
            "clientSecret": oauth.client_secret,
            "scope": " ".join(oauth.scopes) if oauth.scopes else None,
            "client_authentication": (
                "body" if oauth.client_auth in ("body", "client_secret_post") else "header"
            ),
            "addTokenTo": "header",
        }
        if grant == "authorization_code" and oauth.pkce:
            values["challengeAlgorithm"] = "S256"
        return {"type": "oauth2", "oauth2": attrs(**values)}
    signed = auth.oauth1
    if kind == "oauth1" and signed is not None:
        if signed.where == "query":
            notes.add(
                where,
                "oauth1 'in: query': Postman puts the parameters in the body of a POST or PUT "
                "with a urlencoded body, in the query otherwise",
            )
        return {
            "type": "oauth1",
            "oauth1": attrs(
                consumerKey=signed.consumer_key,
                consumerSecret=signed.consumer_secret,
                token=signed.token,
                tokenSecret=signed.token_secret,
                signatureMethod=signed.signature_method,
                privateKey=signed.private_key,
                realm=signed.realm,
                callback=signed.callback,
                verifier=signed.verifier,
                nonce=signed.nonce,
                timestamp=signed.timestamp,
                version=signed.version,
                addParamsToHeader=signed.where == "header",
                includeBodyHash=signed.body_hash,
                addEmptyParamsToSign=False,
            ),
        }
    notes.add(where, f"{kind} auth has no Postman form: left out")
    return {"type": "noauth"}


def _events(
    scripts: Scripts | None, step: RequestStep | None, where: str, notes: Notes
) -> list[dict[str, Any]]:
    from runner.formats.postman.script_export import capture_script, check_script

    out: list[dict[str, Any]] = []
    if scripts is not None and scripts.prerequest:
        out.append(_event("prerequest", scripts.prerequest))
    generated: list[str] = []
    if step is not None:
        for capture in step.captures:
            line = capture_script(capture, where, notes)
            if line is not None:
                generated.append(line)
        for check in step.checks:
            code = check_script(check, where, notes)
            if code is not None:
                generated.append(code)
    test = "\n".join(generated)
    if scripts is not None and scripts.test:
        test = (test + "\n\n" if test else "") + scripts.test.rstrip("\n")
    if test:
        out.append(_event("test", test + "\n"))
    return out


def _event(listen: str, source: str) -> dict[str, Any]:
    lines = source.rstrip("\n").split("\n")
    return {"listen": listen, "script": {"type": "text/javascript", "exec": lines}}


def _example(example: Example, where: str, notes: Notes) -> dict[str, Any]:
    from http import HTTPStatus

    out: dict[str, Any] = {"name": example.description or ""}
    try:
        out["status"] = HTTPStatus(example.status).phrase
    except ValueError:
        out["status"] = ""
    out["code"] = example.status
    out["header"] = [{"key": k, "value": v} for k, v in example.headers]
    if example.is_json:
        out["_postman_previewlanguage"] = "json"
        out["body"] = json.dumps(example.body, indent=2, ensure_ascii=False)
    elif example.body is not None:
        out["_postman_previewlanguage"] = "text"
        out["body"] = str(example.body)
    return out
