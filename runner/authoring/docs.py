"""``runner docs COLLECTION``: API documentation written from a collection, in the manner of a
Postman / Qodex documentation page.

Each request (and browser step) gets a page: its method and URL, description, PARAMS /
HEADERS / BODY tables (Key, Datatype, Required, Description), its auth, an example request
as a curl command, the responses it expects (status, JSON Schema) and example responses
(written in the collection under ``examples:``, or recorded with ``runner run --record``).
An index lists the folders and steps in order, and the variables a reader must provide.

Variables that hold a plain value (``base_url: https://api.example.com``) are written out;
secrets, and values made at run time, stay as ``<<name>>``; the text goes through the
Redactor last, so no secret value can reach a page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from runner.core.errors import RunnerError, UsageError

if TYPE_CHECKING:
    from runner.core.model import (
        Auth,
        BrowserStep,
        Collection,
        Environment,
        Folder,
        Param,
        RequestStep,
        Step,
    )
    from runner.core.redact import Redactor

_PLAIN_REF = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")
_PLACEHOLDER = re.compile(r"(<<.*?>>)")


# -- the page model --------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    datatype: str
    required: bool
    description: str


@dataclass
class Table:
    title: str  # PARAMS, HEADERS, BODY
    note: str | None
    rows: list[Row]


@dataclass
class ExampleView:
    status: int
    title: str
    content_type: str
    body: str
    language: str  # json or text


@dataclass
class Page:
    slug: str
    title: str
    kind: str  # request or browser
    method: str
    url: str
    folders: tuple[str, ...]
    description: str | None
    tables: list[Table]
    auth: str | None
    curl: str
    expect_status: str | None
    schemas: list[tuple[str, str]]  # (status or "", schema JSON)
    examples: list[ExampleView]
    location: str


@dataclass
class Entry:
    """One line of the index: a folder (with children), a page, or another step."""

    title: str
    depth: int
    slug: str | None = None
    method: str | None = None
    note: str | None = None


@dataclass
class Site:
    title: str
    description: str | None
    entries: list[Entry] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)
    needed: list[str] = field(default_factory=list)


# -- building it from a collection -----------------------------------------------------------


class _Values:
    """Which variables are written out in the pages: plain, non-secret values only."""

    def __init__(self, collection: Collection, environment: Environment | None) -> None:
        merged: dict[str, Any] = dict(collection.variables)
        secrets = set(collection.secrets)
        if environment is not None:
            merged.update(environment.variables)
            secrets |= environment.secrets
        self.secrets = secrets
        self.values: dict[str, str] = {}
        for name, value in merged.items():
            if name in secrets or isinstance(value, dict | list) or value is None:
                continue
            text = _as_text(value)
            if "<<" not in text:
                self.values[name] = text

    def fill(self, text: Any) -> str:
        """``<<name>>`` replaced by its plain value where it has one."""
        return _PLAIN_REF.sub(lambda m: self.values.get(m.group(1), m.group(0)), _as_text(text))


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def build_site(
    collection: Collection,
    environment: Environment | None = None,
    recorded: Mapping[str, list[dict[str, Any]]] | None = None,
) -> Site:
    from runner.core.model import BrowserStep, Folder, PauseStep, RequestStep

    values = _Values(collection, environment)
    site = Site(collection.name, collection.description)
    used_slugs: set[str] = set()

    def visit(steps: Iterable[Step], parents: tuple[Folder, ...]) -> None:
        for step in steps:
            depth = len(parents)
            if isinstance(step, Folder):
                site.entries.append(Entry(step.name, depth, note=step.description))
                visit(step.steps, (*parents, step))
            elif isinstance(step, RequestStep | BrowserStep):
                slug = _slug(step.name, used_slugs)
                page = _page(step, parents, collection, values, slug, recorded or {})
                site.pages.append(page)
                site.entries.append(Entry(step.name, depth, slug=slug, method=page.method))
            elif isinstance(step, PauseStep):
                site.entries.append(
                    Entry(step.name, depth, note=f"a pause: a person gives <<{step.variable}>>")
                )

    visit(collection.steps, ())
    helper_pages = _oauth2_pages(collection, values, used_slugs)
    if helper_pages:
        # the requests the auth helper makes come first, as they do in the run
        site.entries[:0] = [Entry("Authorization (oauth2 auth helper)", 0)] + [
            Entry(p.title, 1, slug=p.slug, method=p.method) for p in helper_pages
        ]
        site.pages[:0] = helper_pages
    for name, value in collection.variables.items():
        shown = "(secret)" if name in values.secrets else _as_text(value)
        site.variables.append((name, shown))
    site.needed = _needed_variables(collection, environment)
    return site


def _needed_variables(collection: Collection, environment: Environment | None) -> list[str]:
    """Variables the steps use that neither the collection, nor a step before, defines."""
    from runner.core.model import Folder, RequestStep, walk
    from runner.engine.engine import check_templates, effective_auth, step_outputs, step_templates
    from runner.render.templates import Renderer

    renderer = Renderer({})
    defined = set(collection.variables)
    if environment is not None:
        defined |= set(environment.variables)
    texts: list[str] = [t for v in collection.variables.values() for t in _strings(v)]
    for step, parents in walk(collection.steps):
        if isinstance(step, Folder):
            continue
        auth = effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None
        texts += step_templates(step, auth) + check_templates(step)
        defined |= set(step_outputs(step))
    needed: set[str] = set()
    for text in texts:
        try:
            needed |= renderer.names(text)
        except RunnerError:  # a bad template is `runner check`'s business
            continue
    return sorted(needed - defined - set(renderer.helper_names))


def _strings(value: Any) -> list[str]:
    from runner.render.scope import template_strings

    return list(template_strings(value))


def _slug(name: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "step"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _rows(params: Iterable[Param], values: _Values) -> list[Row]:
    rows = []
    for p in params:
        description = values.fill(p.description or "")
        if p.enum:
            allowed = ", ".join(f"`{_as_text(e)}`" for e in p.enum)
            description = f"{description} One of: {allowed}.".strip()
        if not p.enabled:
            description = f"{description} (disabled: not sent)".strip()
        rows.append(Row(p.name, p.type or "", p.required, description))
    return rows


def _page(
    step: RequestStep | BrowserStep,
    parents: tuple[Folder, ...],
    collection: Collection,
    values: _Values,
    slug: str,
    recorded: Mapping[str, list[dict[str, Any]]],
) -> Page:
    from runner.core.model import RequestStep
    from runner.engine.engine import effective_auth

    url = full_url(step, values)
    tables = []
    if step.params:
        tables.append(Table("PARAMS", "query parameters", _rows(step.params, values)))
    auth: Auth | None = None
    inherited = ""
    if isinstance(step, RequestStep):
        if step.headers:
            tables.append(Table("HEADERS", None, _rows(step.headers, values)))
        body = step.body
        if body is not None and body.kind == "form":
            tables.append(Table("BODY", "x-www-form-urlencoded", _rows(body.form, values)))
        elif body is not None and body.kind == "json" and body.fields:
            tables.append(Table("BODY", "JSON fields", _rows(body.fields, values)))
        auth = effective_auth(step, parents, collection)
        if step.auth is None and auth is not None:
            inherited = (
                " (inherited from the folder)"
                if any(f.auth for f in parents)
                else (" (inherited from the collection)")
            )
    schemas, expect_status = _expectations(step, Path(collection.path).parent)
    return Page(
        slug=slug,
        title=step.name,
        kind="request" if isinstance(step, RequestStep) else "browser",
        method=step.method,
        url=url,
        folders=tuple(f.name for f in parents),
        description=values.fill(step.description) if step.description else None,
        tables=tables,
        auth=_auth_text(auth, values) + inherited if auth is not None else None,
        curl=_curl(step, auth, values),
        expect_status=expect_status,
        schemas=schemas,
        examples=_examples(step, parents, recorded),
        location=str(step.loc),
    )


def _auth_text(auth: Auth, values: _Values) -> str:
    oauth2 = getattr(auth, "oauth2", None)
    if auth.kind == "oauth2" and oauth2 is not None:
        grant = str(oauth2.grant).replace("_", " ")
        return (
            f"OAuth 2.0 ({grant}): the runner gets a token from `{values.fill(oauth2.token_url)}` "
            "(see the Authorization pages), keeps and refreshes it, and sends "
            "`Authorization: Bearer <access token>`"
        )
    if auth.kind == "apikey":
        where = getattr(auth, "where", "header")
        return (
            f"API Key: `{getattr(auth, 'key', '')}` in the {where}, "
            f"value `{values.fill(getattr(auth, 'value', '') or '')}`"
        )
    if auth.kind == "basic":
        return (
            f"Basic Auth: username `{values.fill(auth.username)}`, "
            f"password `{values.fill(auth.password)}`"
        )
    if auth.kind == "bearer":
        return f"Bearer Token: `{values.fill(auth.token)}`"
    if auth.kind == "none":
        return "No Auth"
    return f"{auth.kind}"  # helpers added later (oauth2, apikey...) are named at least


def _expectations(
    step: RequestStep | BrowserStep, base: Path
) -> tuple[list[tuple[str, str]], str | None]:
    from runner.core.model import RequestStep

    if not isinstance(step, RequestStep):
        return [], None
    schemas: list[tuple[str, str]] = []
    status: str | None = None
    for check in step.checks:
        if check.subject == "status":
            m = check.matchers[0]
            status = (
                " or ".join(str(c) for c in m.expected)
                if m.op == "in"
                else (str(m.expected) if m.op == "eq" else f"{m.op} {m.expected}")
            )
        elif check.subject == "schema":
            m = check.matchers[0]
            if m.op == "in":
                for code, schema in m.expected.items():
                    schemas.append((code, _schema_json(schema, base)))
            else:
                schemas.append(("", _schema_json(m.expected, base)))
    return schemas, status


def display_schema(schema: Any, base: Path) -> Any:
    """A loaded schema as its author wrote it: embedded files dropped, file URIs made
    relative again (``schemas/user.json#/$defs/User``)."""
    from runner.format.schema_refs import EMBED_PREFIX

    folder = base.resolve()

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$defs", "definitions") and isinstance(value, dict):
                kept = {k: walk(v) for k, v in value.items() if not str(k).startswith(EMBED_PREFIX)}
                if kept:
                    out[key] = kept
            elif key == "$ref" and isinstance(value, str) and value.startswith("file:"):
                out[key] = _relative_ref(value, folder)
            else:
                out[key] = walk(value)
        return out

    return walk(schema)


def _relative_ref(ref: str, folder: Path) -> str:
    from urllib.parse import unquote, urlsplit

    split = urlsplit(ref)
    path = Path(unquote(split.path))
    try:
        shown = path.relative_to(folder).as_posix()
    except ValueError:
        shown = path.as_posix()
    return f"{shown}#{split.fragment}" if split.fragment else shown


def _schema_json(schema: Any, base: Path) -> str:
    return json.dumps(display_schema(schema, base), indent=2, ensure_ascii=False)


def _examples(
    step: RequestStep | BrowserStep,
    parents: tuple[Folder, ...],
    recorded: Mapping[str, list[dict[str, Any]]],
) -> list[ExampleView]:
    from runner.core.model import RequestStep
    from runner.reporters.output import pretty_body
    from runner.reporters.record import step_key

    out: list[ExampleView] = []
    if isinstance(step, RequestStep):
        for ex in step.examples:
            ctype = next((v for n, v in ex.headers if n.lower() == "content-type"), "")
            if ex.is_json:
                body, language = json.dumps(ex.body, indent=2, ensure_ascii=False), "json"
                ctype = ctype or "application/json"
            else:
                body, language = _as_text(ex.body), "json" if "json" in ctype else "text"
            title = f"{ex.status}" + (f" · {ex.description}" if ex.description else "")
            out.append(ExampleView(ex.status, title, ctype, body, language))
    key = step_key(tuple(f.name for f in parents), step.name)
    documented = {e.status for e in out}
    for item in recorded.get(key, []):
        status = item.get("status")
        if not isinstance(status, int) or status in documented:
            continue
        ctype = str(item.get("content_type") or "")
        body = pretty_body(str(item.get("body") or ""), ctype)
        if item.get("truncated"):
            body += "\n…"
        title = f"{status} {item.get('reason') or ''}".strip() + " · recorded"
        out.append(ExampleView(status, title, ctype, body, "json" if "json" in ctype else "text"))
    return out


# -- the requests of the oauth2 auth helper --------------------------------------------------

# What RFC 6749 and RFC 7636 say about each parameter the helper sends (type, required,
# description), so that a collection with `auth: {type: oauth2}` documents those requests too.
_AUTHORIZE_PARAMS = (
    ("response_type", True, 'Must be "code" for the authorization code grant.'),
    ("client_id", True, "The application's client ID."),
    (
        "redirect_uri",
        True,
        "Where the browser is sent back; must exactly match a redirect URI "
        "registered for the application.",
    ),
    ("scope", False, "Space-separated scopes to ask for."),
    (
        "state",
        False,
        "An opaque value the server appends to the redirect; the runner sends "
        "256 random bits and checks them against CSRF.",
    ),
    (
        "code_challenge",
        False,
        "PKCE challenge (RFC 7636): BASE64URL(SHA256(code_verifier)) "
        "without padding; required when using PKCE.",
    ),
    (
        "code_challenge_method",
        False,
        'How the challenge was derived: "S256" or "plain"; "plain" when left out.',
    ),
)


def _oauth2_pages(collection: Collection, values: _Values, used: set[str]) -> list[Page]:
    from runner.core.model import Folder, RequestStep, walk

    auths: list[Auth] = [a for a in [collection.auth] if a is not None]
    for step, _ in walk(collection.steps):
        if isinstance(step, Folder | RequestStep) and step.auth is not None:
            auths.append(step.auth)
    pages: list[Page] = []
    seen: list[Any] = []
    for auth in auths:
        oauth2 = getattr(auth, "oauth2", None)
        if auth.kind != "oauth2" or oauth2 is None or oauth2 in seen:
            continue
        seen.append(oauth2)
        pages += _oauth2_flow_pages(oauth2, values, used, str(auth.loc or collection.path))
    return pages


def _oauth2_flow_pages(oauth2: Any, values: _Values, used: set[str], where: str) -> list[Page]:
    fill = values.fill
    client_id = fill(oauth2.client_id)
    secret = fill(oauth2.client_secret) if oauth2.client_secret else None
    basic = oauth2.client_auth in ("basic", "client_secret_basic") and secret is not None
    auth_text = f"Basic Auth: username `{client_id}`, password `{secret}`" if basic else None
    pages: list[Page] = []

    def token_page(
        title: str, description: str, rows: list[Row], form: list[tuple[str, str]]
    ) -> Page:
        if not basic:
            rows = [*rows, Row("client_id", "string", True, "The application's client ID.")]
            form = [*form, ("client_id", client_id)]
            if secret is not None:
                rows.append(Row("client_secret", "string", True, "The client secret."))
                form.append(("client_secret", secret))
        token_url = fill(oauth2.token_url)
        curl = [f"curl --location --request POST {_sh(token_url)}"]
        if basic:
            curl.append(f"--user {_sh(f'{client_id}:{secret}')}")
        curl += [f"--data-urlencode {_sh(f'{k}={v}')}" for k, v in form]
        return Page(
            slug=_slug(title, used),
            title=title,
            kind="request",
            method="POST",
            url=token_url,
            folders=("Authorization",),
            description=description,
            tables=[Table("BODY", "x-www-form-urlencoded", rows)],
            auth=auth_text,
            curl=" \\\n  ".join(curl),
            expect_status="200",
            schemas=[],
            examples=[],
            location=where,
        )

    grant = oauth2.grant
    scopes = " ".join(oauth2.scopes)
    if grant == "authorization_code":
        query = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", fill(oauth2.redirect_uri or "<<redirect_uri>>")),
        ]
        if scopes:
            query.append(("scope", fill(scopes)))
        query.append(("state", "<<state>>"))
        if oauth2.pkce:
            query += [("code_challenge", "<<code_challenge>>"), ("code_challenge_method", "S256")]
        sent = {k for k, _ in query}
        rows = [
            Row(k, "string", req, d + (" One of: `S256`, `plain`." if k.endswith("method") else ""))
            for k, req, d in _AUTHORIZE_PARAMS
            if k in sent
        ]
        url = fill(oauth2.auth_url or "") + "?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in query)
        pages.append(
            Page(
                slug=_slug("Request user authorization", used),
                title="Request user authorization",
                kind="browser",
                method="GET",
                url=url,
                folders=("Authorization",),
                description="The runner opens this page for the person (or shows it); after "
                "they allow the application, the server redirects the browser to redirect_uri "
                "with ?code=...&state=... .",
                tables=[Table("PARAMS", "query parameters", rows)],
                auth=None,
                curl=f"curl --location {_sh(url)}",
                expect_status=None,
                schemas=[],
                examples=[],
                location=where,
            )
        )
        token_rows = [
            Row("grant_type", "string", True, 'Must be "authorization_code".'),
            Row("code", "string", True, "The authorization code from the redirect; single use."),
            Row(
                "redirect_uri",
                "string",
                True,
                "The same redirect URI as in the authorization request.",
            ),
        ]
        form = [
            ("grant_type", "authorization_code"),
            ("code", "<<code>>"),
            ("redirect_uri", fill(oauth2.redirect_uri or "<<redirect_uri>>")),
        ]
        if oauth2.pkce:
            token_rows.append(
                Row(
                    "code_verifier",
                    "string",
                    False,
                    "The PKCE verifier whose challenge was "
                    "sent to the authorization endpoint; required when using PKCE.",
                )
            )
            form.append(("code_verifier", "<<code_verifier>>"))
        pages.append(
            token_page(
                "Request access token",
                "Exchange the authorization code for an access token and a refresh token.",
                token_rows,
                form,
            )
        )
        refresh_rows = [
            Row("grant_type", "string", True, 'Must be "refresh_token".'),
            Row(
                "refresh_token",
                "string",
                True,
                "The refresh token from the last token "
                "response (servers may rotate it: the runner keeps the new one).",
            ),
        ]
        pages.append(
            token_page(
                "Refresh the access token",
                "Get a new access token before the old one expires.",
                refresh_rows,
                [("grant_type", "refresh_token"), ("refresh_token", "<<refresh_token>>")],
            )
        )
    else:
        rows = [Row("grant_type", "string", True, f'Must be "{grant}".')]
        form = [("grant_type", str(grant))]
        if grant == "account_credentials":
            rows.append(Row("account_id", "string", True, "The account the token is for."))
            form.append(("account_id", fill(oauth2.account_id or "<<account_id>>")))
        if grant == "refresh_token":
            rows.append(Row("refresh_token", "string", True, "The refresh token."))
            form.append(("refresh_token", fill(oauth2.refresh_token or "<<refresh_token>>")))
        if scopes:
            rows.append(Row("scope", "string", False, "Space-separated scopes to ask for."))
            form.append(("scope", fill(scopes)))
        pages.append(
            token_page(
                "Request access token", f"Get an access token with the {grant} grant.", rows, form
            )
        )
    return pages


# -- curl ------------------------------------------------------------------------------------


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _q(text: str) -> str:
    """URL-encode text but keep ``<<placeholders>>`` readable."""
    return "".join(
        part if _PLACEHOLDER.fullmatch(part) else quote(part, safe="")
        for part in _PLACEHOLDER.split(text)
        if part
    )


def _pairs(params: Iterable[Param], values: _Values) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for p in params:
        if not p.enabled or p.value is None:
            continue
        items = p.value if isinstance(p.value, list) else [p.value]
        out.extend((p.name, values.fill(v)) for v in items)
    return out


def full_url(step: RequestStep | BrowserStep, values: _Values) -> str:
    """The URL with its documented query parameters, as the seed page writes it."""
    url = values.fill(step.url)
    query = "&".join(f"{_q(k)}={_q(v)}" for k, v in _pairs(step.params, values))
    if query:
        url += ("&" if "?" in url else "?") + query
    return url


def _curl(step: RequestStep | BrowserStep, auth: Auth | None, values: _Values) -> str:
    from runner.core.model import RequestStep

    url = full_url(step, values)
    lines = [
        f"curl --location{'' if step.method == 'GET' else ' --request ' + step.method} {_sh(url)}"
    ]
    if isinstance(step, RequestStep):
        if auth is not None and auth.kind == "basic":
            user = f"{values.fill(auth.username)}:{values.fill(auth.password)}"
            lines.append(f"--user {_sh(user)}")
        elif auth is not None and auth.kind == "bearer":
            lines.append(f"--header {_sh('Authorization: Bearer ' + values.fill(auth.token))}")
        elif auth is not None and auth.kind == "oauth2":
            lines.append(f"--header {_sh('Authorization: Bearer <<access_token>>')}")
        elif auth is not None and auth.kind == "apikey" and getattr(auth, "where", "") == "header":
            header = f"{getattr(auth, 'key', '')}: {values.fill(getattr(auth, 'value', '') or '')}"
            lines.append(f"--header {_sh(header)}")
        for name, value in _pairs(step.headers, values):
            lines.append(f"--header {_sh(f'{name}: {value}')}")
        body = step.body
        if body is not None:
            if body.content_type:
                lines.append(f"--header {_sh('Content-Type: ' + body.content_type)}")
            if body.kind == "form":
                lines += [
                    f"--data-urlencode {_sh(f'{k}={v}')}" for k, v in _pairs(body.form, values)
                ]
            elif body.kind == "json":
                if not body.content_type:
                    lines.append(f"--header {_sh('Content-Type: application/json')}")
                text = json.dumps(_fill_json(body.json, values), indent=2, ensure_ascii=False)
                lines.append(f"--data {_sh(text)}")
            else:
                lines.append(f"--data-binary {_sh(values.fill(body.text or ''))}")
    return " \\\n  ".join(lines)


def _fill_json(value: Any, values: _Values) -> Any:
    if isinstance(value, str):
        return values.fill(value)
    if isinstance(value, list):
        return [_fill_json(v, values) for v in value]
    if isinstance(value, dict):
        return {values.fill(k): _fill_json(v, values) for k, v in value.items()}
    return value


# -- Markdown --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def page_markdown(page: Page, *, heading: str = "#", link: str = ".md") -> str:
    h = heading
    out = [f"{h} {page.title}", ""]
    if page.folders:
        out += [f"*{' / '.join(page.folders)}*", ""]
    out += [f"{page.method} {page.url}", ""]
    if page.kind == "browser":
        out += [
            "Opened in a browser by a person; the runner shows this URL and does not send it.",
            "",
        ]
    if page.description:
        out += [page.description.strip(), ""]
    for table in page.tables:
        out += [f"{h}# {table.title}" + (f" ({table.note})" if table.note else ""), ""]
        out += ["| Key | Datatype | Required | Description |", "| --- | --- | --- | --- |"]
        for row in table.rows:
            required = "Required" if row.required else "Optional"
            out.append(
                f"| `{_cell(row.key)}` | {_cell(row.datatype) or '—'} | {required} | "
                f"{_cell(row.description) or '—'} |"
            )
        out.append("")
    if page.auth:
        out += [f"{h}# AUTHORIZATION", "", page.auth, ""]
    out += [f"{h}# Example request", "", "```sh", page.curl, "```", ""]
    if page.expect_status or page.schemas:
        out += [f"{h}# Responses", ""]
        if page.expect_status:
            out += [f"Expected status: {page.expect_status}.", ""]
        for status, schema in page.schemas:
            label = f"Schema for status {status}" if status else "Schema"
            out += [f"{label}:", "", "```json", schema, "```", ""]
    if page.examples:
        out += [f"{h}# Example responses", ""]
        for ex in page.examples:
            ctype = f" (`{ex.content_type}`)" if ex.content_type else ""
            out += [f"{h}## {ex.title}{ctype}", "", f"```{ex.language}", ex.body, "```", ""]
    out += [f"<sub>Written by `runner docs` from {page.location}.</sub>", ""]
    return "\n".join(out)


def index_markdown(site: Site, *, single: bool = False) -> str:
    out = [f"# {site.title}", ""]
    if site.description:
        out += [site.description.strip(), ""]
    out += ["## Requests", ""]
    for entry in site.entries:
        indent = "  " * entry.depth
        if entry.slug is not None:
            target = f"#{entry.slug}" if single else f"{entry.slug}.md"
            out.append(f"{indent}- [{entry.method} {entry.title}]({target})")
        elif entry.note and entry.note.startswith("a pause"):
            out.append(f"{indent}- {entry.title} ({entry.note})")
        else:
            out.append(f"{indent}- **{entry.title}**")
    out.append("")
    if site.variables:
        out += ["## Variables", "", "| Name | Value |", "| --- | --- |"]
        out += [f"| `{n}` | `{_cell(v)}` |" for n, v in site.variables]
        out.append("")
    if site.needed:
        out += [
            "Give these in an environment file (`-e`) or with `--var NAME=VALUE`: "
            + ", ".join(f"`{n}`" for n in site.needed)
            + ".",
            "",
        ]
    return "\n".join(out)


def site_markdown(site: Site) -> str:
    """Everything as one Markdown document (for standard output)."""
    parts = [index_markdown(site, single=True)]
    for page in site.pages:
        parts.append(f'<a id="{page.slug}"></a>\n\n' + page_markdown(page, heading="##"))
    return "\n---\n\n".join(parts)


# -- HTML ------------------------------------------------------------------------------------

_CSS = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;"
    "color:#1f2328}code,pre{font-family:ui-monospace,monospace;font-size:13px}"
    "pre{background:#f6f8fa;padding:.7rem;border-radius:6px;overflow:auto}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}"
    "th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}.method{font-weight:700;margin-right:.5rem}.muted{color:#57606a}"
)


def _page_html_body(page: Page, h: int = 1) -> str:
    e = html.escape
    out = [f'<h{h} id="{page.slug}">{e(page.title)}</h{h}>']
    if page.folders:
        out.append(f'<p class="muted">{e(" / ".join(page.folders))}</p>')
    out.append(f'<p><span class="method">{e(page.method)}</span><code>{e(page.url)}</code></p>')
    if page.kind == "browser":
        out.append('<p class="muted">Opened in a browser by a person; not sent by the runner.</p>')
    if page.description:
        out.append(f"<p>{e(page.description.strip())}</p>")
    for table in page.tables:
        note = f' <span class="muted">({e(table.note)})</span>' if table.note else ""
        rows = "".join(
            f"<tr><td><code>{e(r.key)}</code></td><td>{e(r.datatype) or '—'}</td>"
            f"<td>{'Required' if r.required else 'Optional'}</td>"
            f"<td>{e(r.description) or '—'}</td></tr>"
            for r in table.rows
        )
        out.append(
            f"<h{h + 1}>{e(table.title)}{note}</h{h + 1}><table><tr><th>Key</th><th>Datatype</th>"
            f"<th>Required</th><th>Description</th></tr>{rows}</table>"
        )
    if page.auth:
        out.append(f"<h{h + 1}>AUTHORIZATION</h{h + 1}><p>{e(page.auth)}</p>")
    out.append(f"<h{h + 1}>Example request</h{h + 1}><pre>{e(page.curl)}</pre>")
    if page.expect_status or page.schemas:
        out.append(f"<h{h + 1}>Responses</h{h + 1}>")
        if page.expect_status:
            out.append(f"<p>Expected status: {e(page.expect_status)}.</p>")
        for status, schema in page.schemas:
            label = f"Schema for status {status}" if status else "Schema"
            out.append(f"<p>{e(label)}:</p><pre>{e(schema)}</pre>")
    if page.examples:
        out.append(f"<h{h + 1}>Example responses</h{h + 1}>")
        for ex in page.examples:
            out.append(f"<h{h + 2}>{e(ex.title)}</h{h + 2}><pre>{e(ex.body)}</pre>")
    out.append(
        f'<p class="muted"><small>Written by runner docs from {e(page.location)}.</small></p>'
    )
    return "\n".join(out)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n{body}\n"
        "</body></html>\n"
    )


def _index_html_body(site: Site, *, single: bool) -> str:
    e = html.escape
    out = [f"<h1>{e(site.title)}</h1>"]
    if site.description:
        out.append(f"<p>{e(site.description.strip())}</p>")
    out.append("<h2>Requests</h2><ul>")
    for entry in site.entries:
        pad = f' style="margin-left:{entry.depth * 1.5}rem"'
        if entry.slug is not None:
            target = f"#{entry.slug}" if single else f"{entry.slug}.html"
            out.append(
                f'<li{pad}><a href="{target}"><span class="method">{e(entry.method or "")}</span>'
                f"{e(entry.title)}</a></li>"
            )
        elif entry.note and entry.note.startswith("a pause"):
            out.append(
                f'<li{pad}>{e(entry.title)} <span class="muted">({e(entry.note)})</span></li>'
            )
        else:
            out.append(f"<li{pad}><strong>{e(entry.title)}</strong></li>")
    out.append("</ul>")
    if site.variables:
        rows = "".join(
            f"<tr><td><code>{e(n)}</code></td><td><code>{e(v)}</code></td></tr>"
            for n, v in site.variables
        )
        out.append(f"<h2>Variables</h2><table><tr><th>Name</th><th>Value</th></tr>{rows}</table>")
    if site.needed:
        names = ", ".join(f"<code>{e(n)}</code>" for n in site.needed)
        out.append(f"<p>Give these in an environment file (-e) or with --var: {names}.</p>")
    return "\n".join(out)


# -- writing the documentation ---------------------------------------------------------------


@dataclass(frozen=True)
class DocsOptions:
    """``runner docs``: the collection, its environment, and where and how pages go."""

    collection: str
    env: str | None = None  # an environment whose plain values fill the URLs
    output: Path | None = None  # a folder for index and pages (None: one document as text)
    format: str = "markdown"  # markdown | html
    examples: str | None = None  # recorded examples (default: COLLECTION.examples.json)


@dataclass
class DocsResult:
    """One document (without ``output``), or the files written into ``output``."""

    text: str | None = None
    written: list[Path] = field(default_factory=list)


def write_docs(options: DocsOptions) -> DocsResult:
    """Build the documentation of a collection, masked: as one text, or written as files."""
    from runner.format.loader import load_collection, load_environment
    from runner.reporters.record import default_examples_path, read_examples

    collection = load_collection(options.collection)
    environment = load_environment(options.env) if options.env else None
    examples_path = (
        Path(options.examples) if options.examples else default_examples_path(options.collection)
    )
    if options.examples and not examples_path.exists():
        raise UsageError(f"--examples {options.examples}: no such file")
    site = build_site(collection, environment, read_examples(examples_path))
    from runner.format.secrets import literal_secrets_redactor

    redactor = literal_secrets_redactor(collection, environment)
    if options.output is None:
        text = (
            site_markdown(site)
            if options.format == "markdown"
            else _document(
                site.title,
                _index_html_body(site, single=True)
                + "".join("\n<hr>\n" + _page_html_body(p, 2) for p in site.pages),
            )
        )
        return DocsResult(text=redactor.mask(text))
    folder = options.output
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return DocsResult(written=write_site(site, folder, options.format, redactor))


def write_site(site: Site, folder: Path, fmt: str, redactor: Redactor) -> list[Path]:
    """Write the index and one page per request into ``folder``; return the paths."""
    from runner.core.files import write_atomic

    ext = ".md" if fmt == "markdown" else ".html"
    files: list[tuple[Path, str]] = []
    if fmt == "markdown":
        files.append((folder / "index.md", index_markdown(site)))
        files += [(folder / f"{p.slug}.md", page_markdown(p)) for p in site.pages]
    else:
        files.append(
            (folder / "index.html", _document(site.title, _index_html_body(site, single=False)))
        )
        files += [
            (
                folder / f"{p.slug}{ext}",
                _document(p.title, _page_html_body(p) + '\n<p><a href="index.html">Index</a></p>'),
            )
            for p in site.pages
        ]
    for path, text in files:
        write_atomic(path, redactor.mask(text), mode=0o644)  # pages are meant to be shared
    return [path for path, _ in files]
