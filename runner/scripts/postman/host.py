"""Run Postman scripts in Postman's own sandbox, hosted by a long-lived Node.js process.

``PostmanSandbox.start()`` installs ``postman-sandbox`` on first use (install.py), starts
``node host.js`` and waits for the sandbox to boot (about a second, once). Each ``run()``
sends one script with its context as a JSON line and reads JSON lines back until the result;
a ``pm.sendRequest`` in the script arrives as a "send" line that the caller's callback
answers, so scripts never reach the network themselves. Scripts run in the sandbox's vm
context inside a worker thread: no ``require('fs')``, ``process`` or sockets. A script that
outlives the time limit is stopped by the sandbox; if the whole host stops answering (or
runs out of heap, ``--max-old-space-size``) it is killed and started again on the next run.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import selectors
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runner.scripts.postman import install

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

Event = Literal["prerequest", "test"]
# Postman's scope names, lowest precedence first; "_variables" is pm.variables' local layer.
SCOPES = ("globals", "collectionVariables", "environment", "_variables")
TIME_LIMIT_S = 2.0
MEMORY_LIMIT_MB = 256
BOOT_LIMIT_S = 60.0
# What a script needs Postman's legacy interface for (postman-sandbox's
# lib/sandbox/postman-legacy-interface.js): its globals (LEGACY_GLOBS, and JSON, which it
# replaces with liquid-json) named as a variable, not as a property (``pm.environment``; a
# spread ``...data`` is a variable), and what reaches a global without naming it (``this``,
# ``globalThis``, ``eval``, ``Function``, ``constructor``, string timers, ``\u`` escapes in
# identifiers). Anything else cannot tell whether the interface was set up.
_LEGACY = re.compile(
    r"(?<![\w$])(?<!(?<!\.)\.)(?:tests|globals|environment|data|request|responseCookies"
    r"|responseHeaders|responseTime|responseCode|responseBody|iteration|postman|_|CryptoJS"
    r"|tv4|xml2Json|Backbone|cheerio|JSON)(?![\w$])"
    r"|(?<![\w$])(?:this|globalThis|global|self|window|eval|Function|constructor|setTimeout"
    r"|setInterval|setImmediate)(?![\w$])"
    r"|\\u"
)
# The sandbox reports a stuck script itself after its limit plus 0.5 s; past this margin the
# host is considered dead and killed.
HOST_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as scripts see it (``pm.request``) or send it (``pm.sendRequest``)."""

    method: str = "GET"
    url: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: str | None = None  # raw text; see body_mode
    body_mode: str | None = None  # "raw", "urlencoded", "formdata" or None
    form: Sequence[tuple[str, str]] = ()  # the fields of a urlencoded / formdata body


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response (``pm.response``, or the answer to ``pm.sendRequest``)."""

    code: int
    status: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    response_time_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ScriptContext:
    """What one script sees: the request, the response (tests), variables, iteration."""

    request: HttpRequest = field(default_factory=HttpRequest)
    response: HttpResponse | None = None
    # scope name (one of SCOPES) -> {name: value}
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)  # the data file's row
    iteration: int = 0  # from 0
    iteration_count: int = 1
    request_name: str = ""
    request_id: str = ""
    cookies: Sequence[tuple[str, str]] = ()  # (name, value): pm.cookies
    request_description: str = ""  # the legacy ``request.description``


@dataclass(frozen=True, slots=True)
class ScriptTest:
    """One ``pm.test`` (or ``tests["name"]``), in the order the script ran them."""

    name: str
    passed: bool
    error: str | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class VariableChange:
    """The last ``set`` / ``unset`` of a name in one scope (``value`` None for unset)."""

    scope: str
    op: Literal["set", "unset"]
    name: str
    value: Any = None


@dataclass(slots=True)
class ScriptOutcome:
    tests: list[ScriptTest] = field(default_factory=list)
    changes: list[VariableChange] = field(default_factory=list)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # each scope afterwards
    console: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    errors: list[str] = field(default_factory=list)
    request: HttpRequest | None = None  # pm.request after a pre-request script
    next_request: str | None = None
    stop: bool = False  # setNextRequest(null)
    skip_request: bool = False  # pm.execution.skipRequest()
    timed_out: bool = False


class SandboxError(RuntimeError):
    """The host process died or broke the protocol (not a script's own error)."""


class PostmanSandbox:
    """One Node host running Postman's sandbox; not thread-safe, one script at a time."""

    def __init__(
        self,
        modules: Path,
        *,
        node: str | None = None,
        time_limit_s: float = TIME_LIMIT_S,
        memory_limit_mb: int = MEMORY_LIMIT_MB,
    ) -> None:
        self.modules = modules
        self.node = node or install.find_tool("node")
        self.time_limit_s = time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self.boot_ms: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._output: LineReader | None = None
        self._count = 0

    @classmethod
    def start(
        cls,
        *,
        cache_root: Path | None = None,
        node: str | None = None,
        time_limit_s: float = TIME_LIMIT_S,
        memory_limit_mb: int = MEMORY_LIMIT_MB,
    ) -> PostmanSandbox:
        """Install (first use only) and boot the sandbox."""
        root = install.ensure_installed(cache_root)
        sandbox = cls(
            install.package_dir(root).parent,
            node=node,
            time_limit_s=time_limit_s,
            memory_limit_mb=memory_limit_mb,
        )
        sandbox._spawn()
        return sandbox

    def __enter__(self) -> PostmanSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the host's stdin (it exits by itself), killing it if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        _close_stdin(process)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._close_output(process)

    def run(
        self,
        event: Event,
        script: str,
        context: ScriptContext,
        *,
        send_request: Callable[[HttpRequest], HttpResponse] | None = None,
        time_limit_s: float | None = None,
    ) -> ScriptOutcome:
        """Run one script; its own failures come back in the outcome, never as exceptions.

        ``send_request`` sends what ``pm.sendRequest`` asks for (the engine will route it
        through the runner's transport); an exception it raises is the error the script's
        callback receives.
        """
        if self._process is None or self._process.poll() is not None:
            self._spawn()
        limit = self.time_limit_s if time_limit_s is None else time_limit_s
        self._count += 1
        run_id = f"run{self._count}"
        self._write(
            {
                "op": "run",
                "id": run_id,
                "event": event,
                "script": script,
                "context": _context_json(context),
                "cursor": {
                    "iteration": context.iteration,
                    "cycles": context.iteration_count,
                },
                "legacy": {"_itemName": context.request_name, "_itemId": context.request_id},
                "timeout": round(limit * 1000),
                "legacy_apis": uses_legacy_apis(script),
            }
        )
        started = time.monotonic()
        deadline = started + limit + HOST_MARGIN_S
        while True:
            message = self._read(deadline)
            if message is None:
                return self._stopped(limit)
            if message.get("op") == "send" and message.get("id") == run_id:
                self._answer_send(message, send_request)
                deadline = time.monotonic() + limit + HOST_MARGIN_S  # the request took its time
            elif message.get("op") == "result" and message.get("id") == run_id:
                outcome = _outcome(message, limit)
                if outcome.timed_out and time.monotonic() - started < limit:
                    # the sandbox's worker stopped answering before the time was up: it ran
                    # out of memory (the sandbox reports both the same way)
                    self._kill()
                    reason = f"it used more than {self.memory_limit_mb} MB or the sandbox crashed"
                    return ScriptOutcome(errors=[f"script stopped: {reason}"])
                return outcome

    def _stopped(self, limit: float) -> ScriptOutcome:
        """The host died (out of heap, most likely) or stopped answering: kill it."""
        exited = False
        if self._process is not None:
            try:  # its output ended as it died: give the system a moment to reap it
                self._process.wait(timeout=1.0)
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
        self._kill()
        if exited:
            reason = f"it used more than {self.memory_limit_mb} MB or the sandbox crashed"
            return ScriptOutcome(errors=[f"script stopped: {reason}"])
        return ScriptOutcome(
            errors=[f"script stopped: it ran longer than {limit:g}s"], timed_out=True
        )

    def _answer_send(
        self, message: dict[str, Any], send_request: Callable[[HttpRequest], HttpResponse] | None
    ) -> None:
        reply: dict[str, Any] = {"op": "response", "id": message["id"]}
        reply["event_id"] = message["event_id"]
        if send_request is None:
            reply["error"] = "pm.sendRequest is not available here"
        else:
            try:
                response = send_request(_request_from(message["request"]))
            except Exception as exc:  # the script's callback gets the error, as in Postman
                reply["error"] = str(exc) or type(exc).__name__
            else:
                reply["response"] = {
                    "code": response.code,
                    "status": response.status,
                    "headers": [list(h) for h in response.headers],
                    "body_b64": base64.b64encode(response.body).decode("ascii"),
                    "response_time_ms": response.response_time_ms,
                }
        self._write(reply)

    def _spawn(self) -> None:
        self._kill()
        host = resources.files("runner.scripts.postman").joinpath("host.js")
        with resources.as_file(host) as host_path:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                [
                    self.node,
                    f"--max-old-space-size={self.memory_limit_mb}",
                    str(host_path),
                    str(self.modules),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
                cwd=str(self.modules),
            )
        self._process = process
        assert process.stdout is not None
        self._output = LineReader(process.stdout.fileno())
        ready = self._read(time.monotonic() + BOOT_LIMIT_S)
        if ready is None or ready.get("op") != "ready":
            self._kill()
            raise SandboxError(f"Postman's sandbox did not start in {BOOT_LIMIT_S:g}s")
        self.boot_ms = float(ready.get("boot_ms", 0))

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        _close_stdin(process)
        self._close_output(process)

    def _close_output(self, process: subprocess.Popen[bytes]) -> None:
        output, self._output = self._output, None
        if output is not None:
            output.close()
        if process.stdout is not None:
            process.stdout.close()

    def _write(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise SandboxError("Postman's sandbox is not running")
        data = memoryview((json.dumps(message) + "\n").encode("utf-8"))
        try:
            while data:  # one system call for a message that fits the pipe
                data = data[os.write(process.stdin.fileno(), data) :]
        except OSError as exc:
            raise SandboxError(f"Postman's sandbox stopped: {exc}") from exc

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or None when the deadline passed or the host exited."""
        line = self._output.read(deadline) if self._output is not None else None
        if line is None:
            return None
        value = json.loads(line)
        return value if isinstance(value, dict) else {}


class LineReader:
    """The host's output read line by line in the calling thread, with a deadline: no reader
    thread, so a message reaches ``run`` without a second thread's wake-up in between."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(fd, selectors.EVENT_READ)
        self.ended = False

    def read(self, deadline: float) -> bytes | None:
        """The next line, or None when the deadline passed or the output ended."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if self.ended:
                return None
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not self.selector.select(timeout):
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.ended = True
            self.buffer += chunk

    def close(self) -> None:
        self.selector.close()


@functools.lru_cache(maxsize=512)
def uses_legacy_apis(script: str) -> bool:
    """Whether ``script`` may use Postman's legacy interface (``tests[]``, ``responseBody``,
    ``postman.*``, ``_``, ``CryptoJS``...: see ``_LEGACY``). The sandbox sets that interface
    up for every execution, about 5 % of one; a script that cannot reach it runs without it
    (the sandbox's ``disableLegacyAPIs``) and sees no difference."""
    return _LEGACY.search(script) is not None


def _close_stdin(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        try:
            process.stdin.close()
        except OSError:
            pass  # the host is gone: nothing left to flush


def _context_json(context: ScriptContext) -> dict[str, Any]:
    request = context.request
    body: dict[str, Any] | None = None
    if request.body_mode == "raw" or (request.body_mode is None and request.body is not None):
        body = {"mode": "raw", "raw": request.body or ""}
    elif request.body_mode in ("urlencoded", "formdata"):
        body = {
            "mode": request.body_mode,
            request.body_mode: [{"key": k, "value": v} for k, v in request.form],
        }
    out: dict[str, Any] = {
        "request": {
            "method": request.method,
            "url": request.url,
            "header": [{"key": k, "value": v} for k, v in request.headers],
            **({"body": body} if body else {}),
            **({"description": context.request_description} if context.request_description else {}),
        },
        "data": dict(context.data),
        "cookies": [{"name": n, "value": v} for n, v in context.cookies],
    }
    for scope in SCOPES:
        values = context.variables.get(scope, {})
        out[scope] = {"values": [{"key": k, "value": v} for k, v in values.items()]}
    response = context.response
    if response is not None:
        out["response"] = {
            "code": response.code,
            "status": response.status,
            "headers": [list(h) for h in response.headers],
            "body_b64": base64.b64encode(response.body).decode("ascii"),
            "response_time_ms": response.response_time_ms,
        }
    return out


def _request_from(data: Mapping[str, Any] | None) -> HttpRequest:
    if not data:
        return HttpRequest()
    return HttpRequest(
        method=str(data.get("method") or "GET"),
        url=str(data.get("url") or ""),
        headers=tuple((str(k), str(v)) for k, v in data.get("headers") or ()),
        body=data.get("body"),
        body_mode=data.get("body_mode"),
        form=tuple((str(k), str(v)) for k, v in data.get("form") or ()),
    )


def _outcome(message: Mapping[str, Any], limit: float) -> ScriptOutcome:
    outcome = ScriptOutcome(
        tests=[
            ScriptTest(
                name=t["name"], passed=t["passed"], error=t.get("error"), skipped=t["skipped"]
            )
            for t in message.get("tests", ())
        ],
        console=[(level, text) for level, text in message.get("console", ())],
        errors=[str(e) for e in message.get("errors", ())],
        skip_request=bool(message.get("skip_request")),
        timed_out=bool(message.get("timed_out")),
    )
    for scope, changes in (message.get("variables") or {}).items():
        for op, name, value in changes:
            outcome.changes.append(VariableChange(scope, op, name, value))
    outcome.values = {scope: dict(pairs) for scope, pairs in (message.get("values") or {}).items()}
    if message.get("request"):
        outcome.request = _request_from(message["request"])
    if "next_request" in message:
        nxt = message["next_request"]
        outcome.next_request = None if nxt is None else str(nxt)
        outcome.stop = nxt is None
    if outcome.timed_out:
        outcome.errors = [f"script stopped: it ran longer than {limit:g}s"]
    return outcome
