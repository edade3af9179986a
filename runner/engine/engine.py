"""Walk a collection's steps in order: render -> send -> capture -> check, emitting events.

The engine never prints and never exits. ``prepare()`` checks every variable of every step
before anything is sent (raising RenderError); ``run()`` always returns a RunResult, with
failed expectations and network errors recorded on their steps.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import Cookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from runner.auth.oauth import parse_pasted
from runner.auth.session import AuthSession, auth_templates, learn_token_response, settings_from
from runner.check.captures import CaptureError, extract
from runner.check.checks import run_check
from runner.core.errors import (
    InputMissingError,
    PauseRefusedError,
    RenderError,
    RunnerError,
    TransportError,
    UsageError,
)
from runner.core.events import (
    BODY_PREVIEW_CHARS,
    BrowserShown,
    CheckDone,
    Event,
    Interrupted,
    IterationFinished,
    IterationStarted,
    Listener,
    RequestSent,
    ResponseReceived,
    RunFinished,
    RunStarted,
    StepFinished,
)
from runner.core.model import (
    Auth,
    Body,
    BrowserStep,
    Collection,
    Environment,
    Folder,
    Param,
    PauseStep,
    Redirects,
    RequestStep,
    Step,
    walk,
)
from runner.core.redact import SECRET_HEADER, Redactor, is_secret_name, token_request_secrets
from runner.core.results import CheckResult, RunResult, StepResult
from runner.engine.flow import (
    Control,
    Iteration,
    Walker,
    flow_templates,
    parallel_groups,
    repeat_names,
    select_steps,
)
from runner.engine.iterations import OrderedEvents, iteration_rows, run_parallel
from runner.http.transport import (
    DEFAULT_TIMEOUT,
    MAX_BODY_BYTES,
    Exchange,
    PreparedRequest,
    TLSContexts,
    Transport,
    TransportOptions,
    _charset,
    load_cookie_jar,
    save_cookie_jar,
)
from runner.pause.prompts import PauseRequest, Prompter, StandardPrompter
from runner.render.scope import Scope, build_scope, template_strings
from runner.render.templates import Renderer, name_location

if TYPE_CHECKING:
    from runner.core.errors import SourceLocation
    from runner.core.model import Scripts
    from runner.format.data import DataFile  # only data-driven runs import it
    from runner.scripts.sandbox import RequestChanges  # only --scripts runs import it


@dataclass(frozen=True)
class RunOptions:
    variables: Mapping[str, str] = field(default_factory=dict)  # --var, highest precedence
    bail: bool = False
    timeout: float = DEFAULT_TIMEOUT
    open_browser: bool = False
    verify: bool | str = True
    environ: Mapping[str, str] | None = None  # the OS environment env() reads
    keep_steps: bool = True  # False: RunResult.steps keeps only failures (streaming runs)
    # Iterations, selection and connections (docs/format.md#running-at-scale).
    data: DataFile | None = None  # --data: one iteration per row
    iterations: int | None = None  # --iterations N (with data: rows cycled or cut)
    parallel: int = 1  # --parallel N: iterations at once
    folders: tuple[str, ...] = ()  # --folder: only the steps inside these folders
    tags: tuple[str, ...] = ()  # --tag: only steps carrying one of these
    exclude_tags: tuple[str, ...] = ()  # --exclude-tag
    run_timeout: float | None = None  # --run-timeout: seconds for the whole run
    transport: TransportOptions | None = None  # TLS, proxies (None: from ``verify``)
    cookie_jar: str | None = None  # --cookie-jar FILE: loaded before, saved after the run
    file_roots: tuple[str, ...] = ()  # --file-root: more folders file parts may read
    docs_check: str = "warn"  # a request that breaks its documentation: error | warn | off
    callback_timeout: float = 300.0  # seconds a loopback listener waits for the redirect
    token_cache: bool = True  # False: OAuth tokens are kept for this run only (runner.auth.tokens)
    # Resuming a run (runner.engine.resume): begin at the selected step of this index (0-based) and
    # stop before ``stop_at``; the jar starts with ``cookies`` too (a saved run's).
    start_at: int = 0
    stop_at: int | None = None
    cookies: tuple[Cookie, ...] = ()
    scripts: bool = False  # --scripts: run imported Postman test scripts (runner.scripts.sandbox)
    retries: int | None = None  # --retries N: idempotent requests, below the file's keys
    max_response_size: int | None = None  # --max-response-size, bytes (None: 50 MiB)


def open_in_browser(url: str) -> bool:
    """The system browser (webbrowser is imported when a step opens one: start-up time)."""
    import webbrowser

    return webbrowser.open(url)


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


def effective_redirects(
    step: RequestStep, parents: tuple[Folder, ...], collection: Collection
) -> Redirects:
    """The redirect settings a request follows: each key from the request (``redirects``,
    then ``follow_redirects``), else the nearest folder, else the collection, else the
    defaults (model.REDIRECT_DEFAULTS)."""
    from runner.core.model import REDIRECT_DEFAULTS

    found = REDIRECT_DEFAULTS
    levels = (collection.redirects, *(folder.redirects for folder in parents), step.redirects)
    for own in levels:
        if own is not None:
            found = own.over(found)
    if step.follow_redirects is not None:
        found = Redirects(follow=step.follow_redirects).over(found)
    return found


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
            for part in step.body.parts:
                if part.enabled:
                    texts = (part.name, part.value, part.file, part.filename)
                    out.extend(t for t in texts if t is not None)
            if step.body.file is not None:
                out.append(step.body.file)
            if step.body.graphql is not None:
                out.append(step.body.graphql.query)
                out.extend(template_strings(step.body.graphql.variables))
                if step.body.graphql.operation_name is not None:
                    out.append(step.body.graphql.operation_name)
        out.extend(auth_templates(auth))
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


def _preview(value: object, limit: int = 200) -> object:
    """A captured value as reports show it: long text shortened."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return value if len(text) <= limit else text[: limit - 1] + "…"
    return value


def contracts_check_prepared(step: RequestStep, prepared: PreparedRequest) -> list[CheckResult]:
    if not _documented(step):
        return []
    from runner.engine.contracts import check_prepared  # deferred: most runs document nothing

    return check_prepared(step, prepared)


def contracts_check_url(step: BrowserStep, url: str) -> list[CheckResult]:
    if not _documented(step):
        return []
    from runner.engine.contracts import check_url

    return check_url(step, url)


def _documented(step: RequestStep | BrowserStep) -> bool:
    params: list[Param] = list(step.params)
    if isinstance(step, RequestStep):
        params += step.headers
        if step.body is not None:
            params += [*step.body.form, *step.body.fields]
    return any(p.required or p.type is not None or p.enum is not None for p in params)


def _param_strings(params: Iterable[Param]) -> list[str]:
    """The templates of the params that are sent: names (Postman renders them) and values."""
    return [
        s
        for p in params
        if p.enabled and p.value is not None
        for s in (p.name, *template_strings(p.value))
    ]


def _pair_count(params: Iterable[Param]) -> int:
    """How many (name, value) pairs ``Engine._pairs`` renders from ``params``."""
    return sum(
        len(p.value) if isinstance(p.value, list) else 1
        for p in params
        if p.enabled and p.value is not None
    )


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
        open_url: Callable[[str], object] | None = None,
    ) -> None:
        self.collection = collection
        self.environment = environment
        self.options = options or RunOptions()
        self.prompter = prompter or StandardPrompter(environ=self.options.environ)
        self.listeners = list(listeners)
        self.redactor = redactor or Redactor()
        self.renderer = Renderer(self.options.environ)
        self.open_url = open_url or open_in_browser
        self.steps = select_steps(
            collection, self.options.folders, self.options.tags, self.options.exclude_tags
        )
        self.scope: Scope | None = None
        self._local = threading.local()  # where this thread's events go (see events_to)
        self._result: RunResult | None = None
        self.auth = AuthSession(
            renderer=self.renderer,
            redactor=self.redactor,
            prompter=self.prompter,
            emit=self._emit,
            open_url=self.open_url,
            settings=settings_from(self.options),
            environment=environment.name if environment else None,
        )
        env_secrets = environment.secrets if environment else frozenset()
        self.secret_names = collection.secrets | env_secrets
        # The folders of each request, for the steps that sit in a folder setting redirects.
        self._redirect_parents = {
            id(step): parents
            for step, parents in self.steps
            if isinstance(step, RequestStep) and any(f.redirects is not None for f in parents)
        }

    # -- before anything is sent ---------------------------------------------------------
    def prepare(self) -> Scope:
        """Render the variables and check every template of every step; raises RenderError."""
        if self.scope is not None:
            return self.scope
        self._register_literal_secrets()  # before any error can quote a source line
        self._check_selection()
        data = self.options.data
        columns = set(data.columns) if data else set()
        partial = set(data.partial_columns) if data else set()
        overrides: dict[str, Any] = dict(self.options.variables)
        # Variables written in terms of a data column are rendered again for every row.
        self._row_dependent = data is not None and self._variables_read(columns | partial)
        if self._row_dependent:
            overrides = {**dict.fromkeys(columns | partial, ""), **overrides}
        built = build_scope(
            self.collection, self.environment, overrides, self.renderer, self.redactor
        )
        self._resolved = built.base
        scope = Scope({"iteration": 1, **built.base}, built.overrides)
        known = set(scope) | columns | {"iteration"} | ({"data"} if data else set())
        known |= self._set_by_scripts()
        defined_later = {name: step for step, _ in self.steps for name in step_outputs(step)}
        groups = parallel_groups(self.steps)
        group_end: int | None = None
        pending: set[str] = set()  # captured inside a parallel folder: known after it
        entered: set[int] = set()
        for i, (step, parents) in enumerate(self.steps):
            if group_end is not None and i >= group_end:
                known |= pending
                pending, group_end = set(), None
            group_end = groups.get(i, group_end)
            auth = (
                effective_auth(step, parents, self.collection)
                if isinstance(step, RequestStep)
                else None
            )
            own = set(step_outputs(step))
            local = repeat_names(step.flow)
            before, after = flow_templates(step.flow)
            texts = [(t, False) for t in step_templates(step, auth) + before]
            texts += [(t, True) for t in check_templates(step) + after]
            for folder in parents:
                if id(folder) not in entered:
                    entered.add(id(folder))
                    texts = [(t, False) for t in flow_templates(folder.flow)[0]] + texts
            for text, after_captures in texts:
                for name in sorted(self.renderer.names(text)):
                    if name in known or name in self.renderer.helper_names or name in local:
                        continue
                    if after_captures and name in own:
                        continue
                    later = defined_later.get(name)
                    if name in partial:
                        hint = f"'{name}' is missing from some rows of {data.path if data else ''}"
                        if data is not None and name in data.first_missing:
                            hint += f" (first: line {data.first_missing[name]})"
                    elif later is not None:
                        hint = (
                            f"'{name}' is set by the later step '{later.name}' ({later.loc}); "
                            "move that step earlier"
                        )
                    else:
                        hint = (
                            f"define '{name}' in the environment or the collection's variables, "
                            f"or pass --var {name}=VALUE"
                        )
                    if name in pending or (group_end is not None and name in defined_later):
                        hint = (
                            f"'{name}' is captured inside the parallel folder this step is in; "
                            "steps of a parallel folder cannot use each other's captures"
                        )
                    raise RenderError(
                        f"undefined variable '{name}' in step '{step.name}'",
                        name_location(text, name) or step.loc,
                        hint,
                    )
            if group_end is not None:
                pending.update(step_outputs(step))
            else:
                known.update(step_outputs(step))
        self._check_connections()
        self.scope = scope
        return scope

    def _check_selection(self) -> None:
        """--folder/--tag must leave steps to run, and every goto a step to go to."""
        from runner.engine.flow import goto_targets

        options = self.options
        if not self.steps:
            chosen = [f"--folder {f}" for f in options.folders]
            chosen += [f"--tag {t}" for t in options.tags]
            chosen += [f"--exclude-tag {t}" for t in options.exclude_tags]
            raise UsageError(
                f"no step of the collection is left to run ({' '.join(chosen)})",
                hint="steps carry the tags of their folders and of the collection",
            )
        goto_targets(self.steps, parallel_groups(self.steps))
        if options.parallel < 1:
            raise UsageError("--parallel must be 1 or more")

    def _variables_read(self, names: set[str]) -> bool:
        """Whether a collection or environment variable's value reads one of ``names``."""
        values = list(self.collection.variables.values())
        if self.environment is not None:
            values += list(self.environment.variables.values())
        texts = (text for value in values for text in template_strings(value))
        return any(self.renderer.names(text) & names for text in texts)

    def _check_connections(self) -> None:
        """Load the cookie jar and the TLS files now, so their errors come before any request."""
        jar = self.options.cookie_jar
        self._cookies = load_cookie_jar(jar) if jar else []
        if jar and not os.access(Path(jar).resolve().parent, os.W_OK):
            raise UsageError(f"--cookie-jar {jar}: its folder does not exist or is not writable")
        self._cookies += self.options.cookies
        options = self.transport_options()
        self._tls = TLSContexts(options)
        if options.cacert or options.cert:
            self._tls.context()

    def transport_options(self) -> TransportOptions:
        if self.options.transport is not None:
            return self.options.transport
        verify = self.options.verify
        return TransportOptions(
            verify=verify is not False,
            cacert=verify if isinstance(verify, str) else None,
            environ=self.options.environ,
        )

    def _register_literal_secrets(self) -> None:
        """Passwords, tokens and credential headers written literally in the file."""
        auths = [self.collection.auth]
        for step, _ in walk(self.collection.steps):
            if isinstance(step, Folder | RequestStep):
                auths.append(step.auth)
            if isinstance(step, RequestStep):
                for header in step.headers:
                    if SECRET_HEADER.search(header.name) and isinstance(header.value, str):
                        self.redactor.add(header.value)
        for auth in auths:
            if auth is not None:
                flow = auth.oauth2
                more: tuple[str | None, ...] = ()
                if flow is not None:
                    more = (flow.client_secret, flow.refresh_token)
                signed = auth.oauth1
                if signed is not None:
                    more += (signed.consumer_secret, signed.token, signed.token_secret)
                    more += (signed.private_key,)
                for value in (auth.password, auth.token, auth.value, *more):
                    if value and "<<" not in value:
                        self.redactor.add(value)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run every iteration (one, or one per data row; ``--parallel`` at once) and return
        the result; events reach the listeners in iteration order, steps in their order."""
        self.prepare()
        result = RunResult(
            self.collection.name,
            self.environment.name if self.environment else None,
            keep_steps=self.options.keep_steps,
        )
        self._result = result
        control = Control(result, bail=self.options.bail, run_timeout=self.options.run_timeout)
        self._control = control
        count, rows = iteration_rows(self.options.data, self.options.iterations)
        self._count = count
        walker = Walker(self, control)
        self._last: tuple[int, Scope, list[Cookie]] | None = None
        self._last_lock = threading.Lock()
        running: list[Iteration] = []  # the sequential run's iteration, for Interrupted
        started = time.perf_counter()
        self._emit(RunStarted(result.collection, result.environment, len(self.steps), count))
        transport: Transport | None = None
        try:
            workers = min(self.options.parallel, count)
            if workers <= 1:
                transport = self._transport()
                for number, row in enumerate(rows, start=1):
                    if control.should_stop():
                        break
                    self._iteration(walker, number, row, transport, running)
            else:
                ordered = OrderedEvents(self._deliver, window=2 * workers)
                run_parallel(
                    rows,
                    workers,
                    lambda number, row, t: self._iteration(walker, number, row, t, None),
                    self._transport,
                    ordered,
                    self.events_to,
                    control.stopped,
                )
        except KeyboardInterrupt:
            result.interrupted = True
            result.stopped_reason = "interrupted"
        finally:
            if transport is not None:
                transport.close()
            self.auth.close()
            result.duration_s = time.perf_counter() - started
            saved: OSError | None = None
            if self._last is not None:
                self.scope = self._last[1]
                if self.options.cookie_jar:
                    try:
                        save_cookie_jar(self.options.cookie_jar, self._last[2])
                    except OSError as exc:
                        saved = exc
        if result.interrupted:
            current = running[-1].current if running else None
            self._emit(Interrupted(*(current or (None, None))))
        self._emit(RunFinished(result))
        if saved is not None:  # after the report: what ran is shown, then this error
            raise UsageError(f"cannot save the cookie jar {self.options.cookie_jar}: {saved}")
        return result

    def _transport(self) -> Transport:
        """A transport (one connection pool) for one thread of the run."""
        transport = Transport(
            timeout=self.options.timeout,
            max_body_bytes=self.options.max_response_size or MAX_BODY_BYTES,
            options=self.transport_options(),
            tls=self._tls,
        )
        transport.reset_cookies(self._cookies)
        return transport

    def _iteration(
        self,
        walker: Walker,
        number: int,
        row: dict[str, Any],
        transport: Transport,
        running: list[Iteration] | None,
    ) -> None:
        """One pass over the steps with this row's variables; each starts from the cookie
        jar the run started with, so iterations do not depend on each other."""
        scope = self._iteration_scope(number, row)
        if number > 1:
            transport.reset_cookies(self._cookies)
        it = Iteration(number, scope, transport)
        self.iteration = (
            it  # the one running, for listeners that save its state (runner.engine.resume)
        )
        if running is not None:
            running[:] = [it]
        many = self._count > 1
        if many:
            self._emit(IterationStarted(number, self._count))
        try:
            walker.run(it)
        finally:
            if many:
                self._emit(IterationFinished(number, self._count))
            with self._last_lock:
                if self._last is None or number > self._last[0]:
                    jar = list(transport.cookies) if self.options.cookie_jar else []
                    self._last = (number, scope, jar)

    def _iteration_scope(self, number: int, row: dict[str, Any]) -> Scope:
        """The variables of one iteration: the row's values above the environment, --var
        above them; ``iteration`` and ``data`` below everything the user defined."""
        assert self.scope is not None
        if self._count == 1 and self.options.data is None:
            return self.scope
        overrides = dict(self.options.variables)
        resolved = self._resolved
        if self._row_dependent:
            resolved = build_scope(
                self.collection,
                self.environment,
                {**row, **overrides},
                self.renderer,
                self.redactor,
            ).base
        for name, value in row.items():
            if name in self.secret_names or is_secret_name(name):
                self.redactor.add(value)
        extra: dict[str, Any] = {"iteration": number}
        if self.options.data is not None:
            extra["data"] = row
        row_values = {k: v for k, v in row.items() if k not in overrides}
        return Scope({**extra, **resolved, **row_values}, overrides, row)

    def _emit(self, event: Event) -> None:
        """Send an event to where this thread's events go: the listeners, or a holding
        buffer (a retried attempt, a concurrent iteration or parallel step)."""
        sink = getattr(self._local, "sink", None)
        if sink is not None:
            sink(event)
        else:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        if isinstance(event, StepFinished) and self._result is not None:
            self._result.record(event.result)
        for listener in self.listeners:
            listener.on_event(event)

    @contextmanager
    def events_to(self, sink: Callable[[Event], None]) -> Iterator[None]:
        """Within the block, this thread's events go to ``sink`` instead of the listeners."""
        previous = getattr(self._local, "sink", None)
        self._local.sink = sink
        try:
            yield
        finally:
            self._local.sink = previous

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
        if self._docs_failed(result, contracts_check_url(step, url)):
            return result, None
        self._listen_for_pause(index, url, scope)  # before the URL is shown or opened
        opened = False
        if self.options.open_browser or step.open:
            opened = bool(self.open_url(url))
        self._local.browser_opened = opened
        self._emit(BrowserShown(index, step.name, result.url, opened))
        return result, url

    def _listen_for_pause(self, index: int, url: str, scope: Scope) -> None:
        """When the next step is a pause taking an OAuth redirect (``from_url``) and the URL's
        ``redirect_uri`` is a loopback address, listen there (RFC 8252): the pause then takes
        the browser's redirect by itself, or a pasted one, whichever comes first."""
        self._close_listener()
        following = self.steps[index][0] if index < len(self.steps) else None
        if not isinstance(following, PauseStep) or following.from_url is None:
            return
        redirect_uri = httpx.URL(url).params.get("redirect_uri")
        if not redirect_uri:
            return
        try:
            state = (
                self.renderer.render_str(following.state, scope)
                if following.state is not None
                else None
            )
        except RenderError:
            return  # the pause reports it
        self._local.listener = self.auth.listen(
            redirect_uri, param=following.from_url, expected_state=state, index=index
        )

    def _close_listener(self) -> None:
        listener = getattr(self._local, "listener", None)
        if listener is not None:
            listener.close()
            self._local.listener = None

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
        listener = getattr(self._local, "listener", None) if step.from_url else None
        request = PauseRequest(
            step.name, step.variable, step.loc, step.prompt, step.from_url, browser_url,
            step.secret, callback=listener,
            browser_opened=bool(getattr(self._local, "browser_opened", False)),
        )  # fmt: skip
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
        finally:
            self._close_listener()
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
        self._local.auth_step = (index, step.name)
        self._local.script_jump = None
        changes = None  # what pre-request scripts changed in pm.request (--scripts)
        pre = self._script_sources(index, step, "prerequest")
        if pre:
            changes = self._script(index, step, pre, None, scope, result, transport)
        try:
            prepared = self._scripted_request(step, auth, scope, changes)
        except RenderError as exc:
            result.url = self.redactor.mask(str(step.url))
            return self._error(result, exc.message, "render")
        except RunnerError as exc:  # auth: an OAuth flow that failed or was refused
            result.url = self.redactor.mask(str(step.url))
            return self._auth_failed(result, exc)
        shown = prepared.url  # parsing a URL costs more than the rest of the step: only if needed
        if prepared.params:
            shown = str(httpx.URL(prepared.url).copy_merge_params(prepared.params))
        result.url = self.redactor.mask(shown)
        if self.options.docs_check != "off" and self._docs_failed(
            result, contracts_check_prepared(step, prepared)
        ):
            return result
        self._emit(self._request_sent(index, result.url, prepared))
        try:
            exchange = self._send(index, step, prepared, transport, result)
            if exchange.status == 401 and self.auth.retry_after_401(auth, scope, index):
                prepared = self._scripted_request(step, auth, scope, changes)  # a new token
                exchange = self._send(index, step, prepared, transport, result)
        except TransportError as exc:
            return self._error(result, exc.message, exc.reason)
        except RunnerError as exc:
            return self._auth_failed(result, exc)
        learn_token_response(exchange, self.redactor)  # masked from the first event on
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
            result.captured_values[capture.variable] = _preview(self.redactor.mask_value(value))
        # after the captures: a value captured as a secret is masked in the response event too
        self._emit(self._response_received(index, exchange))
        for check in step.checks:
            check_result = run_check(check, exchange, self.renderer, scope)
            result.checks.append(check_result)
            self._emit(CheckDone(index, check_result))
        tests = self._script_sources(index, step, "test")
        if tests:
            self._script(index, step, tests, exchange, scope, result, transport)
        if result.failed_checks:
            result.status = "failed"
        return result

    def _send(
        self,
        index: int,
        step: RequestStep,
        prepared: PreparedRequest,
        transport: Transport,
        result: StepResult,
    ) -> Exchange:
        """Send, and send again while ``runner.engine.retries`` says the failure is worth it (an
        idempotent request, a connection error, 429 or 503); counts the attempts."""
        if step.retries is None and self.collection.retries is None and not self.options.retries:
            return transport.send(prepared)
        from runner.engine.retries import effective, retry_loop  # deferred: retries are opt-in

        policy = effective(step, self.collection, self.options.retries)
        if policy is None:
            return transport.send(prepared)
        return retry_loop(self, index, step, policy, prepared, transport, result)

    def _set_by_scripts(self) -> set[str]:
        """When scripts run: the names any script sets by a literal name, taken as defined
        before sending (which script runs first is decided at run time, by setNextRequest
        too); a step that reads one before a script set it ends with an undefined-variable
        error then."""
        if not (self.options.scripts or self.collection.run_scripts):
            return set()
        owners: dict[int, Scripts] = {}
        for step, parents in self.steps:
            for owner in (self.collection, *parents, step):
                scripts = getattr(owner, "scripts", None)
                if scripts is not None:
                    owners[id(scripts)] = scripts
        if not owners:
            return set()
        from runner.formats.postman.script_import import assigned_names  # tree-sitter, lazily

        return {
            name
            for scripts in owners.values()
            for source in (scripts.prerequest, scripts.test)
            if source
            for name in assigned_names(source)
        }

    def _script_sources(
        self, index: int, step: RequestStep, event: str
    ) -> list[tuple[str, str, SourceLocation | None]]:
        """The scripts of one event for a request, in Postman's order: the collection's, each
        folder's (outermost first), the request's own; none unless scripts run (--scripts, or
        the collection's ``run_scripts: true``)."""
        if not (self.options.scripts or self.collection.run_scripts):
            return []
        kind = "pre-request script" if event == "prerequest" else "test script"
        owners: list[tuple[str, Scripts | None]] = [(f"collection {kind}", self.collection.scripts)]
        owners += [(f"folder '{f.name}' {kind}", f.scripts) for f in self.steps[index - 1][1]]
        owners.append((kind, step.scripts))
        out = []
        for label, scripts in owners:
            source = getattr(scripts, event) if scripts is not None else None
            if source and scripts is not None:
                out.append((label, source, scripts.loc))
        return out

    def _script(
        self,
        index: int,
        step: RequestStep,
        sources: list[tuple[str, str, SourceLocation | None]],
        exchange: Exchange | None,
        scope: Scope,
        result: StepResult,
        transport: Transport,
    ) -> RequestChanges | None:
        """Postman scripts (runner.scripts.sandbox), pre-request (``exchange`` None) or test: their
        pm.test results are checks, the variables they set are captures; returns what
        pre-request scripts changed in the request."""
        from runner.scripts.sandbox import run_scripts, script_context, variable_layers

        if exchange is not None:
            cookies = list(exchange.cookies.items())
        else:
            cookies = [(c.name, c.value or "") for c in transport.cookies]
        context = script_context(
            step,
            exchange,
            scope,
            layers=variable_layers(scope, self.collection.variables),
            info={"iteration": int(scope.get("iteration", 1)) - 1, "iterationCount": self._count},
            cookies=cookies,
        )
        outcome = run_scripts([(label, src) for label, src, _ in sources], context)
        if outcome.stop or outcome.next_request is not None:  # taken by runner.engine.flow (once)
            self._local.script_jump = (outcome.next_request,)
        locs = {label: loc for label, _, loc in sources}
        loc = sources[-1][2]
        checks = [CheckResult(t.name, t.passed, None, None, t.message, loc) for t in outcome.tests]
        checks += [
            CheckResult(label, False, None, None, error, locs.get(label, loc))
            for label, error in outcome.errors
        ]
        for check_result in checks:
            result.checks.append(check_result)
            self._emit(CheckDone(index, check_result))
        for change in outcome.changes:
            if change.op == "unset":
                scope.unset(change.name, change.layer)
                result.captured_values.pop(change.name, None)
                continue
            value = change.value
            if change.name in self.secret_names:
                self.redactor.add(value)
            scope.assign(change.name, value, change.layer)
            if change.name not in result.captured:
                result.captured.append(change.name)
            result.captured_values[change.name] = _preview(self.redactor.mask_value(value))
        return outcome.request

    def take_script_jump(self) -> tuple[str | None] | None:
        """The setNextRequest of this thread's last test script, once: (name,), (None,) stops."""
        jump: tuple[str | None] | None = getattr(self._local, "script_jump", None)
        self._local.script_jump = None
        return jump

    def _docs_failed(self, result: StepResult, issues: list[CheckResult]) -> bool:
        """Record documentation findings (runner.engine.contracts); true when the step must stop."""
        mode = self.options.docs_check
        if not issues or mode == "off":
            return False
        for issue in issues:
            self._emit(CheckDone(result.index, issue, warning=mode != "error"))
        if mode != "error":
            result.warnings.extend(issues)
            return False
        result.checks.extend(issues)
        self._error(result, "the request does not match its documentation; not sent", "docs")
        return True

    def _request_sent(self, index: int, url: str, prepared: PreparedRequest) -> RequestSent:
        mask = self.redactor
        content = prepared.content
        body = None
        if content is not None:
            body = mask.mask(content[:BODY_PREVIEW_CHARS].decode("utf-8", "replace"))
        return RequestSent(
            index,
            prepared.method,
            url,
            tuple((n, mask.mask_header(n, v)) for n, v in prepared.headers),
            body,
            len(content or b""),
            truncated=len(content or b"") > BODY_PREVIEW_CHARS,
        )

    def _response_received(self, index: int, exchange: Exchange) -> ResponseReceived:
        mask = self.redactor
        head = exchange.body[:BODY_PREVIEW_CHARS]
        text = head.decode(_charset(exchange.content_type), errors="replace")
        return ResponseReceived(
            index,
            exchange.status,
            exchange.reason,
            tuple((n, mask.mask_header(n, v)) for n, v in exchange.headers.multi_items()),
            mask.mask(text),
            len(exchange.body),
            exchange.elapsed_ms,
            truncated=len(exchange.body) > BODY_PREVIEW_CHARS,
        )

    def _auth_failed(self, result: StepResult, exc: RunnerError) -> StepResult:
        """A request whose auth could not be applied: the step is an error; a pause that had
        no value (exit 3) or was refused (state, error=) stops the run, as a pause step does."""
        message = f"{exc.message}; {exc.hint}" if exc.hint else exc.message
        run = self._result
        if isinstance(exc, InputMissingError):
            if run is not None:
                run.input_missing = True
                run.stopped_reason = self.redactor.mask(exc.message)
            return self._error(result, message, "input_required")
        if isinstance(exc, PauseRefusedError) and run is not None:
            run.stopped_reason = self.redactor.mask(exc.message)
        return self._error(result, message, "auth")

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
            name = self.renderer.render_str(param.name, scope)  # plain text skips Jinja
            out.extend(
                (name, self.renderer.render_str(v if isinstance(v, str) else str(v), scope))
                for v in values
            )
        return out

    def prepare_request(
        self, step: RequestStep, scope: Scope, auth: Auth | None = None
    ) -> PreparedRequest:
        """The request ``step`` would send with ``auth``, rendered and not sent (for
        ``runner export curl``)."""
        return self.auth.sign(auth, scope, self._prepare_request(step, auth, scope))

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
                fields = self._pairs(body.form, scope)
                self.redactor.add(token_request_secrets(fields))  # client_secret, code...
                content = urlencode(fields).encode("ascii")
                content_type = content_type or "application/x-www-form-urlencoded"
            elif body.kind in ("multipart", "graphql", "file"):
                content, encoded_type = self._encode_body(body, scope)
                content_type = content_type or encoded_type
            else:
                content = render(body.text or "", scope).encode("utf-8")
                content_type = content_type or "text/plain; charset=utf-8"
            if "content-type" not in names:
                headers.append(("Content-Type", content_type))
        index, step_name = getattr(self._local, "auth_step", (0, step.name))
        applied = self.auth.apply(auth, scope, index=index, step=step_name, header_names=names)
        headers.extend(applied.headers)
        secret_headers = self._secret_headers(headers)
        redirects = effective_redirects(
            step, self._redirect_parents.get(id(step), ()), self.collection
        )
        return PreparedRequest(
            method=step.method,
            url=render(step.url, scope),
            params=(*self._pairs(step.params, scope), *applied.params),
            headers=tuple(headers),
            content=content,
            timeout=self._request_timeout(step),
            follow_redirects=bool(redirects.follow),
            max_redirects=redirects.max if redirects.max is not None else 20,
            keep_method=bool(redirects.keep_method),
            referer=bool(redirects.referer),
            http2=step.http2 if step.http2 is not None else self.collection.http2,
            digest=applied.digest,
            secret_headers=secret_headers,
            max_body_bytes=step.max_response_size or self.collection.max_response_size,
        )

    def _scripted_request(
        self, step: RequestStep, auth: Auth | None, scope: Scope, changes: RequestChanges | None
    ) -> PreparedRequest:
        """The rendered request, with what pre-request scripts changed in ``pm.request``;
        signed last (oauth1 signs the request as sent)."""
        prepared = self._prepare_request(step, auth, scope)
        if changes is None:
            return self.auth.sign(auth, scope, prepared)
        from dataclasses import replace

        from runner.scripts.sandbox import apply_request_changes

        prepared = apply_request_changes(prepared, changes, _pair_count(step.params))
        secret_headers = self._secret_headers(prepared.headers)  # a script's may carry one
        return self.auth.sign(auth, scope, replace(prepared, secret_headers=secret_headers))

    def _secret_headers(self, headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
        """Learn the values of headers named like credentials; the names of the headers that
        carry a secret (never sent across origins on a redirect)."""
        headers = tuple(headers)
        for name, value in headers:
            if SECRET_HEADER.search(name):
                self.redactor.add(value)
        mask = self.redactor.mask
        return tuple(name for name, value in headers if mask(value) != value)

    def _request_timeout(self, step: RequestStep) -> float:
        """The step's timeout (or --timeout), cut to what is left of --run-timeout."""
        timeout = step.timeout or self.options.timeout
        control: Control | None = getattr(self, "_control", None)
        remaining = control.remaining() if control is not None else None
        return timeout if remaining is None else min(timeout, remaining)

    def _encode_body(self, body: Body, scope: Scope) -> tuple[bytes, str]:
        from runner.http.bodies import encode_body  # deferred: most runs send JSON

        base_dir = Path(self.collection.path).parent
        roots = [Path(root) for root in self.options.file_roots]
        return encode_body(body, self.renderer, scope, base_dir=base_dir, roots=roots)
