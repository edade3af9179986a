"""Walk a collection's steps in order: render -> send -> capture -> check, emitting events.

The engine never prints and never exits. ``prepare()`` checks every variable of every step
before anything is sent (raising RenderError); ``run()`` always returns a RunResult, with
failed expectations and network errors recorded on their steps.
"""

from __future__ import annotations

import base64
import json
import time
import webbrowser
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from runner.captures import CaptureError, extract
from runner.checks import run_check
from runner.errors import InputMissingError, PauseRefusedError, RenderError, TransportError
from runner.events import (
    BrowserShown,
    Event,
    Listener,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from runner.model import (
    Auth,
    BrowserStep,
    Collection,
    Environment,
    Folder,
    Param,
    PauseStep,
    RequestStep,
    Step,
    walk,
)
from runner.oauth import parse_pasted
from runner.prompts import PauseRequest, Prompter, StandardPrompter
from runner.redact import SECRET_HEADER, Redactor
from runner.render import Renderer
from runner.results import CheckResult, RunResult, StepResult
from runner.scope import Scope, build_scope, template_strings
from runner.transport import DEFAULT_TIMEOUT, PreparedRequest, Transport


@dataclass(frozen=True)
class RunOptions:
    variables: Mapping[str, str] = field(default_factory=dict)  # --var, highest precedence
    bail: bool = False
    timeout: float = DEFAULT_TIMEOUT
    open_browser: bool = False
    verify: bool | str = True
    environ: Mapping[str, str] | None = None  # the OS environment env() reads


def effective_auth(
    step: RequestStep, parents: tuple[Folder, ...], collection: Collection
) -> Auth | None:
    """The request's own auth, else the nearest folder's, else the collection's."""
    if step.auth is not None:
        return step.auth
    for folder in reversed(parents):
        if folder.auth is not None:
            return folder.auth
    return collection.auth


def step_templates(step: Step, auth: Auth | None) -> list[str]:
    """Every template string a step renders, in the order they appear."""
    out: list[str] = []
    if isinstance(step, RequestStep | BrowserStep):
        out.append(step.url)
        out.extend(_param_strings(step.params))
    if isinstance(step, RequestStep):
        out.extend(_param_strings(step.headers))
        if step.body is not None:
            out.extend(template_strings(step.body.json))
            out.extend(_param_strings(step.body.form))
            if step.body.text is not None:
                out.append(step.body.text)
        if auth is not None:
            out.extend(s for s in (auth.username, auth.password, auth.token) if s is not None)
    if isinstance(step, PauseStep) and step.state is not None:
        out.append(step.state)
    return out


def check_templates(step: Step) -> list[str]:
    """The templates in a step's expectations: they may use the step's own captures."""
    if not isinstance(step, RequestStep):
        return []
    return [
        text
        for check in step.checks
        if check.subject != "schema"
        for matcher in check.matchers
        for text in template_strings(matcher.expected)
    ]


def _param_strings(params: Iterable[Param]) -> list[str]:
    return [s for p in params if p.enabled for s in template_strings(p.value)]


def step_outputs(step: Step) -> list[str]:
    """The variables a step defines for the steps after it."""
    if isinstance(step, RequestStep):
        return [c.variable for c in step.captures]
    if isinstance(step, PauseStep):
        return [step.variable]
    return []


class Engine:
    def __init__(
        self,
        collection: Collection,
        environment: Environment | None = None,
        options: RunOptions | None = None,
        *,
        prompter: Prompter | None = None,
        listeners: Iterable[Listener] = (),
        redactor: Redactor | None = None,
        open_url: Callable[[str], object] = webbrowser.open,
    ) -> None:
        self.collection = collection
        self.environment = environment
        self.options = options or RunOptions()
        self.prompter = prompter or StandardPrompter(environ=self.options.environ)
        self.listeners = list(listeners)
        self.redactor = redactor or Redactor()
        self.renderer = Renderer(self.options.environ)
        self.open_url = open_url
        self.steps = [(s, p) for s, p in walk(collection.steps) if not isinstance(s, Folder)]
        self.scope: Scope | None = None
        env_secrets = environment.secrets if environment else frozenset()
        self.secret_names = collection.secrets | env_secrets

    # -- before anything is sent ---------------------------------------------------------
    def prepare(self) -> Scope:
        """Render the variables and check every template of every step; raises RenderError."""
        if self.scope is not None:
            return self.scope
        scope = build_scope(
            self.collection, self.environment, self.options.variables, self.renderer, self.redactor
        )
        known = set(scope)
        defined_later = {name: step for step, _ in self.steps for name in step_outputs(step)}
        for step, parents in self.steps:
            auth = (
                effective_auth(step, parents, self.collection)
                if isinstance(step, RequestStep)
                else None
            )
            own = set(step_outputs(step))
            texts = [(t, False) for t in step_templates(step, auth)]
            texts += [(t, True) for t in check_templates(step)]
            for text, after_captures in texts:
                for name in sorted(self.renderer.names(text)):
                    if name in known or name in self.renderer.helper_names:
                        continue
                    if after_captures and name in own:
                        continue
                    later = defined_later.get(name)
                    hint = (
                        f"'{name}' is set by the later step '{later.name}' ({later.loc}); "
                        "move that step earlier"
                        if later is not None
                        else f"define '{name}' in the environment or the collection's variables, "
                        f"or pass --var {name}=VALUE"
                    )
                    raise RenderError(
                        f"undefined variable '{name}' in step '{step.name}'",
                        getattr(text, "loc", None) or step.loc,
                        hint,
                    )
            known.update(step_outputs(step))
        self.scope = scope
        return scope

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> RunResult:
        scope = self.prepare()
        result = RunResult(
            self.collection.name, self.environment.name if self.environment else None
        )
        started = time.perf_counter()
        self._emit(RunStarted(result.collection, result.environment, len(self.steps)))
        browser_url: str | None = None
        transport = Transport(timeout=self.options.timeout, verify=self.options.verify)
        try:
            for index, (step, parents) in enumerate(self.steps, start=1):
                path = tuple(f.name for f in parents)
                kind = (
                    "request"
                    if isinstance(step, RequestStep)
                    else ("browser" if isinstance(step, BrowserStep) else "pause")
                )
                self._emit(StepStarted(index, step.name, kind, path))
                if isinstance(step, RequestStep):
                    auth = effective_auth(step, parents, self.collection)
                    step_result = self._request(index, step, path, auth, scope, transport)
                elif isinstance(step, BrowserStep):
                    step_result, browser_url = self._browser(index, step, path, scope)
                else:
                    assert isinstance(step, PauseStep)
                    step_result = self._pause(index, step, path, scope, browser_url, result)
                result.steps.append(step_result)
                self._emit(StepFinished(step_result))
                if result.stopped_reason is not None:
                    break
                if self.options.bail and step_result.status in ("failed", "error"):
                    result.stopped_reason = f"--bail: step '{step.name}' did not pass"
                    break
        except KeyboardInterrupt:
            result.interrupted = True
            result.stopped_reason = "interrupted"
        finally:
            transport.close()
            result.duration_s = time.perf_counter() - started
        self._emit(RunFinished(result))
        return result

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener.on_event(event)

    # -- steps -------------------------------------------------------------------------------
    def _browser(
        self, index: int, step: BrowserStep, path: tuple[str, ...], scope: Scope
    ) -> tuple[StepResult, str | None]:
        result = StepResult(index, step.name, "browser", step.loc, path, method=step.method)
        try:
            url = str(
                httpx.URL(self.renderer.render_str(step.url, scope)).copy_merge_params(
                    tuple(self._pairs(step.params, scope))
                )
            )
        except RenderError as exc:
            return self._error(result, exc.message, "render"), None
        result.url = self.redactor.mask(url)
        opened = False
        if self.options.open_browser or step.open:
            opened = bool(self.open_url(url))
        self._emit(BrowserShown(index, step.name, result.url, opened))
        return result, url

    def _pause(
        self,
        index: int,
        step: PauseStep,
        path: tuple[str, ...],
        scope: Scope,
        browser_url: str | None,
        run: RunResult,
    ) -> StepResult:
        result = StepResult(index, step.name, "pause", step.loc, path)
        request = PauseRequest(
            step.name, step.variable, step.loc, step.prompt, step.from_url, browser_url, step.secret
        )
        try:
            expected_state = (
                self.renderer.render_str(step.state, scope) if step.state is not None else None
            )
            raw = self.prompter.ask(request)
            value = raw
            if step.from_url is not None:
                value = parse_pasted(
                    raw, param=step.from_url, expected_state=expected_state, loc=step.loc
                )
        except InputMissingError as exc:
            run.input_missing = True
            run.stopped_reason = exc.message
            return self._error(
                result, f"{exc.message}; {exc.hint}" if exc.hint else exc.message, "input_required"
            )
        except PauseRefusedError as exc:
            run.stopped_reason = exc.message
            return self._error(result, exc.message, "refused")
        except RenderError as exc:
            return self._error(result, exc.message, "render")
        if step.secret or step.variable in self.secret_names:
            self.redactor.add(value)
            self.redactor.add(raw)
        scope.capture(step.variable, value)
        result.captured.append(step.variable)
        return result

    def _request(
        self,
        index: int,
        step: RequestStep,
        path: tuple[str, ...],
        auth: Auth | None,
        scope: Scope,
        transport: Transport,
    ) -> StepResult:
        result = StepResult(index, step.name, "request", step.loc, path, method=step.method)
        try:
            prepared = self._prepare_request(step, auth, scope)
        except RenderError as exc:
            result.url = self.redactor.mask(str(step.url))
            return self._error(result, exc.message, "render")
        result.url = self.redactor.mask(
            str(httpx.URL(prepared.url).copy_merge_params(prepared.params))
        )
        try:
            exchange = transport.send(prepared)
        except TransportError as exc:
            return self._error(result, exc.message, exc.reason)
        result.status_code = exchange.status
        result.elapsed_ms = exchange.elapsed_ms
        result.size = len(exchange.body)
        for capture in step.captures:
            try:
                value = extract(capture, exchange)
            except CaptureError as exc:
                result.checks.append(
                    CheckResult(
                        f"capture {capture.variable}", False, None, None, str(exc), capture.loc
                    )
                )
                continue
            if capture.secret or capture.variable in self.secret_names:
                self.redactor.add(value)
            scope.capture(capture.variable, value)
            result.captured.append(capture.variable)
        for check in step.checks:
            result.checks.append(run_check(check, exchange, self.renderer, scope))
        if result.failed_checks:
            result.status = "failed"
        return result

    def _error(self, result: StepResult, message: str, reason: str) -> StepResult:
        result.status = "error"
        result.error = self.redactor.mask(message)
        result.error_reason = reason
        return result

    # -- rendering a request -----------------------------------------------------------------
    def _pairs(self, params: Iterable[Param], scope: Scope) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for param in params:
            if not param.enabled or param.value is None:
                continue
            values = param.value if isinstance(param.value, list) else [param.value]
            out.extend(
                (param.name, self.renderer.render_str(v if isinstance(v, str) else str(v), scope))
                for v in values
            )
        return out

    def _prepare_request(
        self, step: RequestStep, auth: Auth | None, scope: Scope
    ) -> PreparedRequest:
        render = self.renderer.render_str
        headers = self._pairs(step.headers, scope)
        names = {name.lower() for name, _ in headers}
        content: bytes | None = None
        body = step.body
        if body is not None:
            content_type = body.content_type
            if body.kind == "json":
                value = self.renderer.render_value(body.json, scope)
                content = json.dumps(value, ensure_ascii=False).encode("utf-8")
                content_type = content_type or "application/json"
            elif body.kind == "form":
                content = urlencode(self._pairs(body.form, scope)).encode("ascii")
                content_type = content_type or "application/x-www-form-urlencoded"
            else:
                content = render(body.text or "", scope).encode("utf-8")
                content_type = content_type or "text/plain; charset=utf-8"
            if "content-type" not in names:
                headers.append(("Content-Type", content_type))
        if auth is not None and auth.kind != "none" and "authorization" not in names:
            if auth.kind == "basic":
                password = render(auth.password or "", scope)
                self.redactor.add(password)
                pair = f"{render(auth.username or '', scope)}:{password}".encode()
                value = "Basic " + base64.b64encode(pair).decode("ascii")
            else:
                token = render(auth.token or "", scope)
                self.redactor.add(token)
                value = f"Bearer {token}"
            headers.append(("Authorization", value))
        for name, value in headers:
            if SECRET_HEADER.search(name):
                self.redactor.add(value)
        follow = step.follow_redirects if step.follow_redirects is not None else False
        return PreparedRequest(
            method=step.method,
            url=render(step.url, scope),
            params=tuple(self._pairs(step.params, scope)),
            headers=tuple(headers),
            content=content,
            timeout=step.timeout or self.options.timeout,
            follow_redirects=follow,
        )
