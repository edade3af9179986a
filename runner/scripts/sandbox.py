"""Run Postman scripts (``scripts.prerequest`` / ``scripts.test``) in a locked-down sandbox.

The scripts of one request (the collection's, its folders', its own, in Postman's order) run
in a fresh V8 isolate (``mini-racer``): no ``require``, ``process``, ``fetch``, files or
network exist there, and the isolate has a wall-clock time limit and a heap limit, so a hostile
or broken script becomes one failed check and the run goes on. The ``pm`` API the scripts see
is defined in ``data/scripting_pm.js`` (a core subset of Postman's sandbox) and
``data/scripting_crypto.js`` (the ``CryptoJS`` subset). Everything crosses the boundary as
JSON: the request, the response and the variables go in; the ``pm.test`` results, the variable
changes, ``setNextRequest`` and the changes to the request come back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from runner.render.scope import SCRIPT_LAYERS

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Iterable, Mapping

    from py_mini_racer import MiniRacer

    from runner.core.model import Body, RequestStep
    from runner.http.transport import Exchange, PreparedRequest
    from runner.render.scope import Scope

TIME_LIMIT_S = 2.0  # per request's scripts: Postman scripts are short; longer is a bug
MEMORY_LIMIT = 64 * 1024 * 1024  # bytes of V8 heap per isolate
_PLACEHOLDER = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")


@dataclass(frozen=True, slots=True)
class ScriptTest:
    """One ``pm.test`` (or ``tests["..."]``) outcome."""

    name: str
    passed: bool
    message: str | None = None


@dataclass(frozen=True, slots=True)
class VariableChange:
    """``pm.<layer>.set`` / ``unset`` (``value`` None for unset)."""

    op: str  # "set" | "unset"
    layer: str  # one of runner.render.scope.SCRIPT_LAYERS
    name: str
    value: Any = None


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


@dataclass(slots=True)
class ScriptOutcome:
    tests: list[ScriptTest] = field(default_factory=list)
    changes: list[VariableChange] = field(default_factory=list)
    next_request: str | None = None
    stop: bool = False  # setNextRequest(null)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (script label, reason)
    request: RequestChanges | None = None

    @property
    def error(self) -> str | None:
        """The first script error (a throw, the time or memory limit), if any."""
        return self.errors[0][1] if self.errors else None

    @property
    def variables(self) -> dict[str, Any]:
        """The values the scripts left set, by name."""
        out: dict[str, Any] = {}
        for change in self.changes:
            if change.op == "set":
                out[change.name] = change.value
            else:
                out.pop(change.name, None)
        return out


@dataclass(frozen=True, slots=True)
class ScriptContext:
    """What a script may read: the request, the response (test scripts), the variables."""

    request_url: str
    request_method: str
    request_headers: list[tuple[str, str]]
    variables: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] | None = None  # code, status, headers, text, responseTime
    layers: dict[str, dict[str, Any]] | None = None  # by SCRIPT_LAYERS; None: all = variables
    request_query: list[tuple[str, str]] | None = None  # pre-request: the step's params
    request_body: dict[str, Any] | None = None  # mode, raw, urlencoded, formdata
    cookies: list[tuple[str, str]] = field(default_factory=list)


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
    for name, value in _plain(dict(scope)).items():
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


def script_context(
    step: RequestStep,
    exchange: Exchange | None,
    scope: Scope,
    *,
    layers: dict[str, dict[str, Any]] | None = None,
    info: Mapping[str, Any] | None = None,
    cookies: Iterable[tuple[str, str]] = (),
    request: PreparedRequest | None = None,
) -> ScriptContext:
    """What the scripts see: the request and the step's variables, and after ``exchange``
    (test scripts) the response; pre-request scripts (``exchange`` None) see the request as
    written (``{{name}}`` for a variable)."""
    full_info = {
        "requestName": step.name,
        "requestId": step.id,
        "eventName": "prerequest" if exchange is None else "test",
        "description": step.description,  # the legacy ``request.description``
        "iteration": 0,
        "iterationCount": 1,
        **(info or {}),
    }
    if exchange is None:
        headers = [
            (postman_text(h.name), postman_text(str(h.value)))
            for h in step.headers
            if h.enabled and h.value is not None
        ]
        query = [
            (postman_text(p.name), postman_text(str(v)))
            for p in step.params
            if p.enabled and p.value is not None
            for v in (p.value if isinstance(p.value, list) else [p.value])
        ]
        return ScriptContext(
            postman_text(step.url),
            step.method,
            headers,
            dict(scope),
            info=full_info,
            layers=layers,
            request_query=query,
            request_body=_body_view(step.body),
            cookies=list(cookies),
        )
    sent = request or exchange.request
    headers = list(sent.headers)
    if not any(name.lower() == "host" for name, _ in headers):  # as Postman lists it
        headers.append(("Host", urlsplit(exchange.url).netloc))
    return ScriptContext(
        request_url=exchange.url,
        request_method=sent.method,
        request_headers=headers,
        variables=dict(scope),
        info=full_info,
        layers=layers,
        request_body=_sent_body(sent, step.body),
        response={
            "code": exchange.status,
            "status": exchange.reason,
            "headers": [list(pair) for pair in exchange.headers.multi_items()],
            "text": exchange.body.decode("utf-8", "replace"),
            "responseTime": round(exchange.elapsed_ms),
        },
        cookies=list(cookies),
    )


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


def _sent_body(sent: PreparedRequest, body: Body | None) -> dict[str, Any] | None:
    """The body that was sent, for test scripts (form bodies as their fields)."""
    if sent.content is None:
        return None
    text = sent.content.decode("utf-8", "replace")
    if body is not None and body.kind == "form":
        from urllib.parse import parse_qsl

        return {"mode": "urlencoded", "urlencoded": parse_qsl(text, keep_blank_values=True)}
    if body is not None and body.kind == "multipart":
        return _body_view(body)
    return {"mode": "raw", "raw": text}


@cache
def _event_loop() -> asyncio.AbstractEventLoop:
    """One event loop, on a daemon thread, for every isolate of the process: mini-racer would
    start (and close) one per isolate, and a script stopped by its time limit can still report
    to its loop after that loop was closed."""
    import asyncio
    import threading

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="runner-scripts", daemon=True).start()
    return loop


@cache
def _template() -> str:
    data = resources.files("runner").joinpath("data")
    crypto = data.joinpath("scripting_crypto.js").read_text(encoding="utf-8")
    return crypto + "\n" + data.joinpath("scripting_pm.js").read_text(encoding="utf-8")


def _plain(value: Any) -> Any:
    """Variables as JSON can carry them (anything else as its text)."""
    return json.loads(json.dumps(value, default=str))


def run_script(
    source: str,
    context: ScriptContext,
    *,
    time_limit: float = TIME_LIMIT_S,
    memory_limit: int = MEMORY_LIMIT,
) -> ScriptOutcome:
    """Run one script in a fresh isolate; never raises for anything the script does."""
    return run_scripts(
        [("script", source)], context, time_limit=time_limit, memory_limit=memory_limit
    )


def run_scripts(
    sources: list[tuple[str, str]],
    context: ScriptContext,
    *,
    time_limit: float = TIME_LIMIT_S,
    memory_limit: int = MEMORY_LIMIT,
) -> ScriptOutcome:
    """Run ``(label, source)`` scripts in order in one fresh isolate (they share ``pm``, as
    a request's collection, folder and own scripts do in Postman); never raises for anything
    a script does. A throw stops that script only; the limits stop them all."""
    from py_mini_racer import mini_racer  # heavy: deferred to the first script

    layers = context.layers
    if layers is None:
        plain = _plain(context.variables)
        layers = {layer: dict(plain) for layer in SCRIPT_LAYERS}
        layers["environment"] = _plain(context.environment or context.variables)
        layers["local"] = {}
    ctx = {
        "request": {
            "url": context.request_url,
            "method": context.request_method,
            "headers": [list(p) for p in context.request_headers],
            "query": [list(p) for p in context.request_query] if context.request_query else None,
            "body": _plain(context.request_body),
        },
        "response": context.response,
        "info": _plain(context.info),
        "layers": layers,
        "cookies": [list(p) for p in context.cookies],
    }
    code = (
        _template()
        .replace("__CTX__", json.dumps(json.dumps(ctx)))
        .replace("__SOURCES__", json.dumps(json.dumps([list(s) for s in sources])))
    )
    label = sources[-1][0] if sources else "script"
    with mini_racer(_event_loop()) as racer:
        return _evaluate(racer, code, time_limit, memory_limit, label)


def _evaluate(
    racer: MiniRacer, code: str, time_limit: float, memory_limit: int, label: str
) -> ScriptOutcome:
    from py_mini_racer import JSOOMException, JSTimeoutException

    try:
        raw = racer.eval(code, timeout_sec=time_limit, max_memory=memory_limit)
    except JSTimeoutException:
        return ScriptOutcome(
            errors=[(label, f"script stopped: it ran longer than {time_limit:g}s")]
        )
    except JSOOMException:
        mb = memory_limit // (1024 * 1024)
        return ScriptOutcome(errors=[(label, f"script stopped: it used more than {mb} MB")])
    except Exception as exc:  # a syntax error or an engine failure: the script's problem
        return ScriptOutcome(
            errors=[(label, f"script error: {str(exc).strip().splitlines()[0][:300]}")]
        )
    data = json.loads(str(raw))
    outcome = ScriptOutcome(
        tests=[ScriptTest(t["name"], bool(t["passed"]), t.get("error")) for t in data["tests"]],
        changes=[
            VariableChange(c[0], c[1], c[2], c[3] if len(c) > 3 else None) for c in data["changes"]
        ],
        errors=[(str(e[0]), str(e[1])[:500]) for e in data["errors"]],
        request=_request_changes(data.get("request")),
    )
    if "next" in data:  # JSON.stringify drops an undefined ``next``: present means set
        if data["next"] is None:
            outcome.stop = True
        else:
            outcome.next_request = str(data["next"])
    return outcome


def _request_changes(data: dict[str, Any] | None) -> RequestChanges | None:
    if not data:
        return None
    body = data.get("body")
    changes = RequestChanges(
        url=data.get("url"),
        query=tuple(tuple(str(x) for x in op) for op in data.get("query") or ()),
        headers=tuple(tuple(str(x) for x in op) for op in data.get("headers") or ()),
        method=data.get("method"),
        body=None
        if body is None
        else ("raw", str(body["raw"]))
        if body["mode"] == "raw"
        else ("urlencoded", [(str(k), str(v)) for k, v in body["pairs"]]),
    )
    return changes or None


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
