"""Walk a collection's steps in order: render -> send -> capture -> check, emitting events.

The engine never prints and never exits. ``prepare()`` checks every variable of every step
before anything is sent (raising RenderError); ``run()`` always returns a RunResult, with
failed expectations and network errors recorded on their steps.

``Engine`` wires the parts together and runs the iterations; the parts live beside it:
runner.engine.preparation (the checks before sending), request_build (a step rendered into a
PreparedRequest), request_step (send, capture, check), interactive (browser and pause
steps), scripting (Postman scripts), emitter (where events go), flow (the step walker, which
drives the engine through its public ``StepRunner`` methods) and iterations.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any

from runner.auth.session import AuthSession, settings_from
from runner.core.errors import RunnerError, Terminated, UsageError
from runner.core.events import (
    Event,
    Interrupted,
    IterationFinished,
    IterationStarted,
    Listener,
    RunFinished,
    RunStarted,
)
from runner.core.model import Auth, BrowserStep, Collection, Environment, PauseStep, RequestStep
from runner.core.redact import Redactor, is_secret_name
from runner.core.results import RunResult, StepResult
from runner.engine.context import RunContext
from runner.engine.control import Control
from runner.engine.emitter import EventHub
from runner.engine.flow import Iteration, Walker
from runner.engine.flow_keys import select_steps
from runner.engine.interactive import PersonSteps
from runner.engine.iterations import (
    OrderedEvents,
    iteration_rows,
    run_parallel,
    with_csv_values,
)
from runner.engine.options import RunOptions
from runner.engine.preparation import prepare_run
from runner.engine.request_build import RequestBuilder
from runner.engine.request_step import RequestSteps
from runner.engine.scripting import RequestScripts
from runner.engine.steps import (
    Leaf,
    Selected,
    check_templates,
    effective_auth,
    effective_redirects,
    step_kind,
    step_outputs,
    step_templates,
)
from runner.http.transport import (
    MAX_BODY_BYTES,
    PreparedRequest,
    TLSContexts,
    Transport,
    TransportOptions,
    load_cookie_jar,
    save_cookie_jar,
)
from runner.pause.prompts import Prompter, StandardPrompter
from runner.render.scope import Scope, build_scope
from runner.render.templates import Renderer

# The step helpers are imported from here by the exporters, docs and the CLI.
__all__ = [
    "Engine",
    "RunOptions",
    "check_templates",
    "effective_auth",
    "effective_redirects",
    "open_in_browser",
    "step_outputs",
    "step_templates",
]


def open_in_browser(url: str) -> bool:
    """The system browser (webbrowser is imported when a step opens one: start-up time)."""
    import webbrowser

    return webbrowser.open(url)


class Engine:
    """One run of a collection. Its public step methods (``emit``, ``run_request``...) are
    the ``StepRunner`` interface the walker, retries and load users drive it through."""

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
        options = with_csv_values(options or RunOptions(), collection)
        self.collection = collection
        self.environment = environment
        self.prompter = prompter or StandardPrompter(environ=options.environ)
        self.listeners = list(listeners)
        self.redactor = redactor or Redactor()
        self.renderer = Renderer(options.environ)
        self.open_url = open_url or open_in_browser
        self.events = EventHub(self.listeners, self.redactor)
        self.auth = AuthSession(
            renderer=self.renderer,
            redactor=self.redactor,
            prompter=self.prompter,
            emit=self.events.emit,
            open_url=self.open_url,
            settings=settings_from(options, str(Path(collection.path or ".").parent)),
            environment=environment.name if environment else None,
        )
        env_secrets = environment.secrets if environment else frozenset()
        self.context = RunContext(
            collection=collection,
            environment=environment,
            options=options,
            renderer=self.renderer,
            redactor=self.redactor,
            auth=self.auth,
            emit=self.events.emit,
            wants=self.events.wants,
            steps=select_steps(collection, options.folders, options.tags, options.exclude_tags),
            secret_names=collection.secrets | env_secrets,
        )
        self.scope: Scope | None = None
        self.iteration: Iteration | None = None  # the one running (runner.engine.resume)
        self._builder = RequestBuilder(self.context)
        self._scripts = RequestScripts(self.context)
        self._requests = RequestSteps(
            self.context, self._builder, self._scripts, self.render_request
        )
        self._persons = PersonSteps(self.context, self._builder, self.prompter, self.open_url)

    # -- what the parts read at each step: may be replaced after construction ----------------
    @property
    def options(self) -> RunOptions:
        return self.context.options

    @options.setter
    def options(self, options: RunOptions) -> None:
        self.context.options = options

    @property
    def steps(self) -> Selected:
        """The selected steps with their folders, in run order."""
        return self.context.steps

    @steps.setter
    def steps(self, steps: Selected) -> None:
        self.context.steps = steps

    @property
    def secret_names(self) -> frozenset[str]:
        """Variables the collection or environment declares secret."""
        return self.context.secret_names

    # -- before anything is sent ---------------------------------------------------------
    def prepare(self) -> Scope:
        """Render the variables and check every template of every step; raises RenderError."""
        if self.scope is not None:
            return self.scope
        prepared = prepare_run(self.context)
        self._resolved = prepared.resolved
        self._row_dependent = prepared.row_dependent
        self._check_connections()
        self.scope = prepared.scope
        return self.scope

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

    def prepare_request(
        self, step: RequestStep, scope: Scope, auth: Auth | None = None
    ) -> PreparedRequest:
        """The request ``step`` would send with ``auth``, rendered and signed, not sent (for
        ``runner export curl``)."""
        return self.auth.sign(auth, scope, self.render_request(step, auth, scope))

    def render_request(
        self, step: RequestStep, auth: Auth | None, scope: Scope, index: int = 0
    ) -> PreparedRequest:
        """Render ``step`` with ``auth`` applied, before scripts' changes and signing. Every
        request of the run is rendered here: a subclass may override it to see them."""
        return self._builder.build(step, auth, scope, index)

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
        self.events.result = self.context.result = result
        control = Control(result, bail=self.options.bail, run_timeout=self.options.run_timeout)
        self.context.control = control
        self.auth.oauth2.wait = control.sleep  # device-grant polls end with the run
        count, rows = iteration_rows(self.options.data, self.options.iterations)
        self.context.count = count
        self._last: tuple[int, Scope, list[Cookie]] | None = None
        self._last_lock = threading.Lock()
        running: list[Iteration] = []  # the sequential run's iteration, for Interrupted
        started = time.perf_counter()
        walker = Walker(self, control)
        self.emit(RunStarted(result.collection, result.environment, len(self.steps), count))
        saved: OSError | None = None
        fatal: RunnerError | None = None
        try:
            self._iterations(walker, control, count, rows, running)
        except RunnerError as exc:  # what ran is reported, then the error ends the command
            fatal = exc
            result.stopped_reason = exc.message
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as runner.core.errors.Terminated
            result.interrupted = True
            result.terminated = isinstance(exc, Terminated)
            result.stopped_reason = "terminated (SIGTERM)" if result.terminated else "interrupted"
        except Exception as exc:  # a bug: reported with the step it was in, the reports whole
            current = running[-1].current if running else None
            where = f" in step '{current[1]}'" if current else ""
            result.internal_error = True
            result.stopped_reason = f"internal error{where}: {describe(exc)}"
        finally:
            self.auth.close()
            self._scripts.close()
            result.tests_not_run = self._scripts.tests_not_run
            result.duration_s = time.perf_counter() - started
            saved = self._save_last()
        if result.interrupted:
            current = running[-1].current if running else None
            self.emit(Interrupted(*(current or (None, None))))
        self.emit(RunFinished(result))
        if fatal is not None:
            raise fatal
        if saved is not None:  # after the report: what ran is shown, then this error
            raise UsageError(f"cannot save the cookie jar {self.options.cookie_jar}: {saved}")
        return result

    def _iterations(
        self,
        walker: Walker,
        control: Control,
        count: int,
        rows: Iterator[dict[str, Any]],
        running: list[Iteration],
    ) -> None:
        """The iterations one after the other, or ``--parallel`` at once."""
        workers = min(self.options.parallel, count)
        if workers > 1:
            ordered = OrderedEvents(self.events.deliver, window=2 * workers)
            run_parallel(
                rows,
                workers,
                lambda number, row, t: self._iteration(walker, number, row, t, None),
                self.new_transport,
                ordered,
                self.events_to,
                control.stopped,
            )
            return
        transport = self.new_transport()
        try:
            for number, row in enumerate(rows, start=1):
                if control.should_stop():
                    break
                self._iteration(walker, number, row, transport, running)
        finally:
            transport.close()

    def _save_last(self) -> OSError | None:
        """Keep the last iteration's scope and save its cookies (--cookie-jar); the error
        saving them, raised once the run is reported."""
        if self._last is None:
            return None
        self.scope = self._last[1]
        if self.options.cookie_jar:
            try:
                save_cookie_jar(self.options.cookie_jar, self._last[2])
            except OSError as exc:
                return exc
        return None

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
        self.iteration = it  # the one running, for listeners that save its state
        if running is not None:
            running[:] = [it]
        count = self.context.count
        many = count > 1
        if many:
            self.emit(IterationStarted(number, count))
        try:
            walker.run(it)
        finally:
            if many:
                self.emit(IterationFinished(number, count))
            with self._last_lock:
                if self._last is None or number > self._last[0]:
                    jar = list(transport.cookies) if self.options.cookie_jar else []
                    self._last = (number, scope, jar)

    def _iteration_scope(self, number: int, row: dict[str, Any]) -> Scope:
        """The variables of one iteration: the row's values above the environment, --var
        above them; ``iteration`` and ``data`` below everything the user defined."""
        assert self.scope is not None
        if self.context.count == 1 and self.options.data is None:
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

    # -- the StepRunner interface (runner.engine.steps): walker, retries, load users ----------
    def emit(self, event: Event) -> None:
        """Report an event: to the listeners, or to this thread's holding buffer."""
        self.events.emit(event)

    def events_to(
        self, sink: Callable[[Event], None], kinds: tuple[type[Event], ...] | None = None
    ) -> AbstractContextManager[None]:
        """Within the block, this thread's events go to ``sink`` instead of the listeners
        (with ``kinds``: only events of those types; the others are dropped)."""
        return self.events.events_to(sink, kinds)

    def error(self, result: StepResult, message: str, reason: str) -> StepResult:
        """Mark a step's result as an error (message masked)."""
        return self.context.error(result, message, reason)

    def take_script_jump(self) -> tuple[str | None] | None:
        """The setNextRequest of this thread's last test script, once: (name,), (None,) stops."""
        return self._scripts.take_jump()

    def request_timeout(self, step: RequestStep, scope: Scope) -> float:
        """The step's timeout (or --timeout), cut to what is left of --run-timeout."""
        return self._builder.request_timeout(step, scope)

    def new_transport(self, kind: type[Transport] = Transport) -> Transport:
        """A transport (one connection pool) for one thread of the run, with the run's
        starting cookies; ``prepare()`` first. ``kind``: a Transport subclass with the same
        constructor (the load users' FastTransport)."""
        transport = kind(
            timeout=self.options.timeout,
            max_body_bytes=self.options.max_response_size or MAX_BODY_BYTES,
            options=self.transport_options(),
            tls=self._tls,
        )
        transport.reset_cookies(self._cookies)
        return transport

    @property
    def cookies(self) -> list[Cookie]:
        """The cookies every iteration starts with (--cookie-jar, a resumed run's)."""
        return self._cookies

    def run_request(
        self,
        index: int,
        step: RequestStep,
        path: tuple[str, ...],
        auth: Auth | None,
        scope: Scope,
        transport: Transport,
    ) -> StepResult:
        """Run request step ``index`` (1-based) with ``auth``; never raises for the step."""
        try:
            return self._requests.run(index, step, path, auth, scope, transport)
        except RunnerError:  # the run cannot go on (no Node.js for scripts): raised
            raise
        except Exception as exc:
            return self.step_failed(index, step, path, exc, method=step.method)

    def step_failed(
        self, index: int, step: Leaf, path: tuple[str, ...], exc: Exception, method: str = ""
    ) -> StepResult:
        """A step that raised: an error result named by what went wrong (``step_failure``).
        What the runner cannot name is a bug: the run stops there and exits 70."""
        result = StepResult(index, step.name, step_kind(step), step.loc, path, method=method)
        url = getattr(step, "url", None)
        result.url = self.redactor.mask(str(url)) if url is not None else None
        message, reason = step_failure(exc)
        if reason == "internal" and self.context.control is not None:
            self.context.control.result.internal_error = True
            self.context.control.stop(f"internal error in step '{step.name}' ({step.loc})")
        return self.error(result, message, reason)

    def run_browser(
        self, index: int, step: BrowserStep, path: tuple[str, ...], scope: Scope
    ) -> tuple[StepResult, str | None]:
        """Show or open a browser step's URL; the result and the URL (None on failure)."""
        try:
            return self._persons.browser(index, step, path, scope)
        except RunnerError:  # the run cannot go on (no Node.js for scripts): raised
            raise
        except Exception as exc:
            return self.step_failed(index, step, path, exc), None

    def run_pause(
        self,
        index: int,
        step: PauseStep,
        path: tuple[str, ...],
        scope: Scope,
        browser_url: str | None,
        run: RunResult,
    ) -> StepResult:
        """Ask for a pause step's value (or take the browser's redirect)."""
        try:
            return self._persons.pause(index, step, path, scope, browser_url, run)
        except RunnerError:  # the run cannot go on (no Node.js for scripts): raised
            raise
        except Exception as exc:
            return self.step_failed(index, step, path, exc)


def describe(exc: BaseException) -> str:
    """An exception as one line: its type and message (no traceback)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def step_failure(exc: Exception) -> tuple[str, str]:
    """The message and reason of an exception a step raised. Values too deep, numbers too
    large and text that cannot be encoded are the input's fault, named as such; anything
    else is the runner's (reason ``internal``)."""
    if isinstance(exc, RecursionError):
        return "a value is nested too deeply to be handled (Python's recursion limit)", "recursion"
    if isinstance(exc, OverflowError):
        return f"a number is out of range: {describe(exc)}", "overflow"
    if isinstance(exc, MemoryError):
        return "out of memory", "memory"
    if isinstance(exc, UnicodeError):
        return f"text that cannot be encoded: {describe(exc)}", "encoding"
    return f"internal error (a bug in runner; please report it): {describe(exc)}", "internal"
