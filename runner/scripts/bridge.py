"""What crosses between the runner and Postman's sandbox (runner.scripts.postman).

The request and the response as a script sees them, the step's variables in Postman's
scopes, and back: what a pre-request script changed in ``pm.request`` as operations on the
rendered request (its values are data, never rendered again). Pure Python: nothing here
starts the sandbox, so a run without scripts never pays for it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from runner.render.scope import SCRIPT_LAYERS
from runner.scripts.postman.host import HttpRequest, HttpResponse, uses_legacy_apis
from runner.scripts.syntax import imported_name

if TYPE_CHECKING:
    from runner.core.model import Body, RequestStep
    from runner.http.transport import Exchange, PreparedRequest
    from runner.render.scope import Scope

_PLACEHOLDER = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")
_LITERAL = re.compile(r"""(["'])([^"'\\\n]{1,200})\1""")
_POSTMAN_VAR = re.compile(r"\{\{([^{}]+)\}\}")
# runner.render.scope's layers -> the sandbox's scope names ("data" is the iteration row)
SANDBOX_SCOPE = {
    "globals": "globals",
    "collectionVariables": "collectionVariables",
    "environment": "environment",
    "local": "_variables",
}
RUNNER_LAYER = {v: k for k, v in SANDBOX_SCOPE.items()}


@dataclass(frozen=True, slots=True)
class RequestChanges:
    """What pre-request scripts changed in ``pm.request``, ``{{variables}}`` resolved."""

    url: str | None = None  # the whole URL, query included (replaces the step's params)
    query: tuple[tuple[str, ...], ...] = ()  # ("add"|"upsert", key, value) / ("remove", key)
    headers: tuple[tuple[str, ...], ...] = ()  # the same operations, names without case
    method: str | None = None
    body: tuple[str, Any] | None = None  # ("raw", text) or ("urlencoded", [(key, value)])

    def __bool__(self) -> bool:
        return bool(self.url or self.query or self.headers or self.method or self.body)


def postman_text(text: str) -> str:
    """A template as Postman writes it: ``<< name >>`` becomes ``{{name}}`` (what a
    pre-request script sees, and what it resolves when it changes the request)."""
    return _PLACEHOLDER.sub(lambda m: "{{" + m.group(1) + "}}", text)


def variable_layers(scope: Scope, collection_names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The step's variables in Postman's layers: the data row is ``iterationData``, the
    collection's own variables ``collectionVariables``, the rest (environment, ``--var``,
    captures) ``environment``; what a script set stays on its layer. ``runner import postman``
    merges Postman's globals into the environment, so ``globals`` sees them too."""
    layers: dict[str, dict[str, Any]] = {layer: {} for layer in SCRIPT_LAYERS}
    own = set(collection_names)
    row = scope.row
    for name, raw in dict(scope).items():
        value = _plain(raw)
        layer = scope.script_layers.get(name)
        if layer is None:
            if name in row:
                layer = "iterationData"
            elif name in ("iteration", "data") and name not in scope.base:
                continue  # the runner's own
            elif name in own and name not in scope.captures and name not in scope.overrides:
                layer = "collectionVariables"
            else:
                layer = "environment"
        layers[layer][name] = value
    for name in row:
        if name not in layers["iterationData"] and name in scope:  # --var over the row
            layers["iterationData"][name] = _plain(row[name])
    scripted = set(scope.script_layers)
    layers["globals"] = {
        **{k: v for k, v in layers["environment"].items() if k not in scripted},
        **layers["globals"],
    }
    return layers


def _body_view(body: Body | None) -> dict[str, Any] | None:
    """The step's body as Postman's ``pm.request.body`` shows it (templates as ``{{name}}``)."""
    if body is None:
        return None
    if body.kind == "form":
        return {"mode": "urlencoded", "urlencoded": _pairs_view(body.form)}
    if body.kind == "multipart":
        fields = [
            (postman_text(p.name), postman_text(p.value or ""))
            for p in body.parts
            if p.enabled and p.file is None
        ]
        return {"mode": "formdata", "formdata": fields}
    if body.kind == "json":
        return {"mode": "raw", "raw": postman_text(json.dumps(body.json, ensure_ascii=False))}
    if body.text is not None:
        return {"mode": "raw", "raw": postman_text(body.text)}
    return {"mode": body.kind}


def _pairs_view(params: Iterable[Any]) -> list[tuple[str, str]]:
    return [
        (postman_text(p.name), postman_text(str(v)))
        for p in params
        if p.enabled and p.value is not None
        for v in (p.value if isinstance(p.value, list) else [p.value])
    ]


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """A variable as JSON can carry it (anything else as its text); a text, number, boolean
    or null (most values) is that already and is not copied through JSON."""
    if type(value) in _SCALARS:
        return value
    return json.loads(json.dumps(value, default=str))


def _apply(
    pairs: list[tuple[str, str]], ops: Iterable[tuple[str, ...]], *, caseless: bool
) -> list[tuple[str, str]]:
    """Apply PropertyList operations (add, upsert, remove) to rendered pairs."""

    def same(a: str, b: str) -> bool:
        return a.lower() == b.lower() if caseless else a == b

    out = list(pairs)
    for op in ops:
        kind, key = op[0], op[1]
        if kind == "add":
            out.append((key, op[2]))
        elif kind == "upsert":
            if any(same(k, key) for k, _ in out):
                out = [(k, op[2] if same(k, key) else v) for k, v in out]
            else:
                out.append((key, op[2]))
        elif kind == "remove":
            out = [(k, v) for k, v in out if not same(k, key)]
    return out


def apply_request_changes(
    prepared: PreparedRequest, changes: RequestChanges, step_params: int
) -> PreparedRequest:
    """The request to send after pre-request scripts changed ``pm.request``: their values are
    data, never rendered again. ``step_params`` is how many of ``prepared.params`` are the
    step's own (the rest, such as an API key in the query, come from its auth)."""
    url, params, headers = prepared.url, list(prepared.params), list(prepared.headers)
    content = prepared.content
    if changes.url is not None:
        url, params = changes.url, params[step_params:]
    elif changes.query:
        params = _apply(params[:step_params], changes.query, caseless=False) + params[step_params:]
    headers = _apply(headers, changes.headers, caseless=True)
    if changes.body is not None:
        kind, value = changes.body
        names = {name.lower() for name, _ in headers}
        if kind == "raw":
            content = str(value).encode("utf-8")
            if "content-type" not in names:
                headers.append(("Content-Type", "text/plain"))
        else:
            content = urlencode(list(value)).encode("ascii")
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return replace(
        prepared,
        method=changes.method or prepared.method,
        url=url,
        params=tuple(params),
        headers=tuple(headers),
        content=content,
    )


def request_view(step: RequestStep) -> HttpRequest:
    """``pm.request`` in a pre-request script: the step as written, ``<<name>>`` as
    ``{{name}}``, its query parameters in the URL."""
    url = postman_text(step.url)
    query = _pairs_view(step.params)
    if query:
        url += ("&" if "?" in url else "?") + "&".join(f"{k}={v}" for k, v in query)
    headers = tuple(_pairs_view(step.headers))
    return _with_body(HttpRequest(step.method, url, headers), _body_view(step.body))


def sent_view(exchange: Exchange, body: Body | None) -> HttpRequest:
    """``pm.request`` in a test script: the request as sent (with ``Host``, as Postman
    lists it)."""
    sent = exchange.request
    headers = list(sent.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", urlsplit(exchange.url).netloc))
    view: dict[str, Any] | None = None
    if sent.content is not None:
        text = sent.content.decode("utf-8", "replace")
        if body is not None and body.kind == "form":
            view = {"mode": "urlencoded", "urlencoded": parse_qsl(text, keep_blank_values=True)}
        elif body is not None and body.kind == "multipart":
            view = _body_view(body)
        else:
            view = {"mode": "raw", "raw": text}
    return _with_body(HttpRequest(sent.method, exchange.url, tuple(headers)), view)


def response_view(exchange: Exchange) -> HttpResponse:
    """``pm.response``."""
    return HttpResponse(
        exchange.status,
        exchange.reason,
        tuple(exchange.headers.multi_items()),
        exchange.body,
        round(exchange.elapsed_ms),
    )


def _with_body(request: HttpRequest, view: dict[str, Any] | None) -> HttpRequest:
    if view is None:
        return request
    mode = str(view["mode"])
    if mode in ("urlencoded", "formdata"):
        return replace(request, body_mode=mode, form=tuple(view[mode]))
    if mode == "raw":
        return replace(request, body_mode="raw", body=str(view["raw"]))
    return request


def sandbox_variables(
    layers: Mapping[str, Mapping[str, Any]],
    aliases: Mapping[str, str] = {},
    *,
    mirror: bool = True,
) -> dict[str, dict[str, Any]]:
    """``variable_layers``' layers under the sandbox's scope names; each value the runner
    holds under an imported name (``order_id``) is also there under the Postman name the
    script uses (``order-id``, see ``postman_aliases``). ``mirror=False`` (a script that
    cannot read the globals layer, ``reads_globals``) leaves out of ``globals`` the copies of
    the environment's values: the sandbox builds a Postman variable for each (about 13 us)."""
    out: dict[str, dict[str, Any]] = {}
    for layer, scope_name in SANDBOX_SCOPE.items():
        values = dict(layers.get(layer, {}))
        for postman, runner in aliases.items():
            if runner in values and postman not in values:
                values[postman] = values[runner]
        out[scope_name] = values
    if not mirror:
        environment = out["environment"]
        out["globals"] = {
            name: value
            for name, value in out["globals"].items()
            if not (name in environment and _same(environment[name], value))
        }
    return out


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


# Where a script could see the globals layer other than through a value the environment
# shadows (pm.variables reads the environment first): naming it (pm.globals, the legacy
# globals and postman.*Global*), unset/clear (the environment's value gone, the copy shows),
# pm.variables other than get/set/has/replaceIn (toObject lists the layers in order), pm
# itself handed on, and whatever reaches the legacy interface (host.uses_legacy_apis).
_GLOBALS_READ = re.compile(
    r"globals|Global|unset|clear"
    r"|(?<![\w$])pm(?![\w$])(?!\s*\.\s*[A-Za-z_$])"
    r"|variables(?!\s*\.\s*(?:get|set|has|replaceIn)\s*\()"
)


@functools.lru_cache(maxsize=512)
def reads_globals(source: str) -> bool:
    """Whether a script may see the globals layer's copies of the environment's values."""
    return uses_legacy_apis(source) or _GLOBALS_READ.search(source) is not None


def postman_aliases(source: str) -> dict[str, str]:
    """The Postman names a script writes as string literals that ``runner import postman``
    renamed (``"order-id"`` -> ``order_id``): ``{postman name: runner name}``."""
    return dict(_aliases(source))


@functools.lru_cache(maxsize=512)
def _aliases(source: str) -> tuple[tuple[str, str], ...]:
    """``postman_aliases``, found once per script text (a run runs the same few again)."""
    out: dict[str, str] = {}
    for match in _LITERAL.finditer(source):
        name = match.group(2)
        runner = imported_name(name)
        if runner != name:
            out[name] = runner
    return tuple(out.items())


def resolve(text: str, values: Mapping[str, Any]) -> str:
    """``{{name}}`` replaced by its value, as Postman resolves a request after its
    pre-request scripts; an unknown name stays as written."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return value if isinstance(value, str) else json.dumps(value)

    return _POSTMAN_VAR.sub(one, text)


def request_changes(
    before: HttpRequest, after: HttpRequest, values: Mapping[str, Any]
) -> RequestChanges | None:
    """What pre-request scripts changed between ``before`` and ``after`` (``pm.request``),
    with ``{{variables}}`` resolved from ``values``; None when nothing changed."""

    def res(text: str) -> str:
        return resolve(text, values)

    body: tuple[str, Any] | None = None
    if after.body_mode == "raw" and (
        before.body_mode != "raw" or (after.body or "") != (before.body or "")
    ):
        body = ("raw", res(after.body or ""))
    elif after.body_mode == "urlencoded" and (
        before.body_mode != "urlencoded" or list(after.form) != list(before.form)
    ):
        body = ("urlencoded", [(res(k), res(v)) for k, v in after.form])
    url: str | None = None
    query: tuple[tuple[str, ...], ...] = ()
    if after.url != before.url:
        before_base, _, before_query = before.url.partition("?")
        after_base, _, after_query = after.url.partition("?")
        if before_base == after_base:  # only the query changed: the step's params change
            query = _query_ops(before_query, after_query, res)
        else:
            url = res(after.url)
    changes = RequestChanges(
        url=url,
        query=query,
        headers=_header_ops(before.headers, after.headers, res),
        method=after.method if after.method.upper() != before.method.upper() else None,
        body=body,
    )
    return changes or None


def _query_ops(before: str, after: str, res: Callable[[str], str]) -> tuple[tuple[str, ...], ...]:
    """Query operations that turn the raw query ``before`` into ``after`` (values are
    encoded when sent, as the step's own params are)."""

    def pairs(query: str) -> list[tuple[str, str]]:
        return [(k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)]

    ops: list[tuple[str, ...]] = [("remove", k) for k in dict.fromkeys(k for k, _ in pairs(before))]
    return tuple(ops + [("add", res(k), res(v)) for k, v in pairs(after)])


def _header_ops(
    before: Sequence[tuple[str, str]],
    after: Sequence[tuple[str, str]],
    res: Callable[[str], str],
) -> tuple[tuple[str, ...], ...]:
    """Header operations (remove, add) that turn ``before`` into ``after``, by name."""
    if list(before) == list(after):
        return ()
    ops: list[tuple[str, ...]] = []
    kept = {name.lower() for name, _ in after}
    for name in dict.fromkeys(name.lower() for name, _ in before):
        if name not in kept:
            ops.append(("remove", name))
    for name in dict.fromkeys(name.lower() for name, _ in after):
        old = [v for k, v in before if k.lower() == name]
        new = [(k, v) for k, v in after if k.lower() == name]
        if [v for _, v in new] != old:
            ops.append(("remove", name))
            ops += [("add", k, res(v)) for k, v in new]
    return tuple(ops)
