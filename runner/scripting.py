"""Run Postman test scripts (``scripts.test``) in a locked-down JavaScript sandbox.

Each script gets a fresh V8 isolate (``mini-racer``): no ``require``, ``process``, ``fetch``,
files or network exist there, and every script has a wall-clock time limit and a heap limit, so
a hostile or broken script becomes one failed check and the run goes on. The ``pm`` API the
script sees is defined in ``data/scripting_pm.js`` (a core subset of Postman's sandbox); the
script's outcome comes back as plain JSON: ``pm.test`` results, the variables it set and
``setNextRequest``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from py_mini_racer import MiniRacer

    from runner.model import RequestStep
    from runner.scope import Scope
    from runner.transport import Exchange

TIME_LIMIT_S = 2.0  # per script: Postman scripts are short; a loop that runs longer is a bug
MEMORY_LIMIT = 64 * 1024 * 1024  # bytes of V8 heap per script


@dataclass(frozen=True, slots=True)
class ScriptTest:
    """One ``pm.test`` (or ``tests["..."]``) outcome."""

    name: str
    passed: bool
    message: str | None = None


@dataclass(slots=True)
class ScriptOutcome:
    tests: list[ScriptTest] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)  # every layer's set(), in order
    next_request: str | None = None
    stop: bool = False  # setNextRequest(null)
    error: str | None = None  # the script threw, timed out or ran out of memory


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


def script_context(step: RequestStep, exchange: Exchange | None, scope: Scope) -> ScriptContext:
    """What a script sees: the request and the step's variables, and after ``exchange`` (test
    scripts) the response; a pre-request script (``exchange`` None) sees the unrendered request."""
    info = {
        "requestName": step.name,
        "requestId": step.id,
        "eventName": "prerequest" if exchange is None else "test",
        "description": step.description,  # the legacy ``request.description``
    }
    if exchange is None:
        headers = [(h.name, str(h.value)) for h in step.headers if h.value is not None]
        return ScriptContext(step.url, step.method, headers, dict(scope), info=info)
    return ScriptContext(
        request_url=exchange.url,
        request_method=exchange.request.method,
        request_headers=list(exchange.request.headers),
        variables=dict(scope),
        info=info,
        response={
            "code": exchange.status,
            "status": exchange.reason,
            "headers": [list(pair) for pair in exchange.headers.multi_items()],
            "text": exchange.body.decode("utf-8", "replace"),
            "responseTime": round(exchange.elapsed_ms),
        },
    )


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
    return resources.files("runner").joinpath("data", "scripting_pm.js").read_text(encoding="utf-8")


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
    from py_mini_racer import mini_racer  # heavy: deferred to the first script

    ctx = {
        "request": {
            "url": context.request_url,
            "method": context.request_method,
            "headers": [list(p) for p in context.request_headers],
        },
        "response": context.response,
        "info": context.info,
        "vars": {
            "variables": _plain(context.variables),
            "environment": _plain(context.environment or context.variables),
            "collectionVariables": _plain(context.variables),
            "globals": _plain(context.variables),
            "iterationData": _plain(context.variables),
        },
    }
    code = (
        _template()
        .replace("__CTX__", json.dumps(json.dumps(ctx)))
        .replace("__SRC__", json.dumps(source))
    )
    with mini_racer(_event_loop()) as racer:
        return _evaluate(racer, code, time_limit, memory_limit)


def _evaluate(racer: MiniRacer, code: str, time_limit: float, memory_limit: int) -> ScriptOutcome:
    from py_mini_racer import JSOOMException, JSTimeoutException

    try:
        raw = racer.eval(code, timeout_sec=time_limit, max_memory=memory_limit)
    except JSTimeoutException:
        return ScriptOutcome(error=f"script stopped: it ran longer than {time_limit:g}s")
    except JSOOMException:
        return ScriptOutcome(
            error=f"script stopped: it used more than {memory_limit // (1024 * 1024)} MB"
        )
    except Exception as exc:  # a syntax error or an engine failure: the script's problem
        return ScriptOutcome(error=f"script error: {str(exc).strip().splitlines()[0][:300]}")
    data = json.loads(str(raw))
    outcome = ScriptOutcome(
        tests=[ScriptTest(t["name"], bool(t["passed"]), t.get("error")) for t in data["tests"]],
        variables=dict(data["set"]),
        error=data["error"],
    )
    if "next" in data:  # JSON.stringify drops an undefined ``next``: present means set
        if data["next"] is None:
            outcome.stop = True
        else:
            outcome.next_request = str(data["next"])
    return outcome
