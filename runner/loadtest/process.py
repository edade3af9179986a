"""The load process of ``runner load``: Locust users that walk a collection's steps.

Why a process of its own: Locust runs on gevent, which must monkey-patch sockets, ssl and
threads before anything imports them, and which would change every other command (and every
test) sharing the process. ``runner load`` starts ``python -c BOOT`` (BOOT is the command's):
BOOT patches first, then imports this module and calls ``main`` with the ``LoadPlan`` (JSON)
read from standard input; ``main`` writes a ``LoadReport`` (JSON) to the plan's
``result_path``, and progress lines to the stream it is given (standard error).

Each simulated user is one iteration of the engine, again and again: the engine's Walker
renders, sends, captures and checks every selected step in order, with the user's own
variables, cookies and connections, and every request step becomes one Locust request
(named after the step; a failed expectation or a network error is a Locust failure with
that name). Steps that need a person (pauses, browser steps) are not run here: their values
were resolved once before the load and arrive in the plan (or, on a worker, from the
master), shared by all users.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runner.core.redact import Redactor
from runner.loadtest.plan import CollectionPlan, LoadPlan, LoadReport, StepStats, user_class_name

if TYPE_CHECKING:
    from locust.env import Environment as LocustEnvironment
    from locust.stats import StatsEntry

    from runner.engine.engine import Engine

SHARED_MESSAGE = "runner_shared"  # master -> worker: the values resolved before the load
HELLO_MESSAGE = "runner_hello"  # worker -> master: ready for them (sent once it listens)
SHARED_WAIT_S = 60.0  # how long a worker's users wait for the master's values
PERSON_KINDS = ("browser", "pause")


Say = Callable[[str], None]


def main(plan_json: str, log: TextIO) -> int:
    """Run the load of ``plan_json`` (a LoadPlan), writing progress lines to ``log``."""
    plan = LoadPlan.from_json(plan_json)
    started = time.monotonic()
    report = LoadReport(plan.mode)
    try:
        run(plan, report, _sayer(log))
    except KeyboardInterrupt:
        report.interrupted = True
    except Exception as exc:
        report.problem = f"{type(exc).__name__}: {exc}"
    report.duration_s = report.duration_s or time.monotonic() - started
    Path(plan.result_path).write_text(report.to_json(), encoding="utf-8")
    return 0


# --- the users ---------------------------------------------------------------------------------


class PassRedactor(Redactor):
    """The load process's redactor: the run's own secrets, plus those a user learns during its
    current pass (tokens, Authorization values), forgotten when that user's next pass starts.

    Why: one Redactor for the whole load would learn a token per pass, and every mask would
    scan (and recompile) a pattern of thousands of values: the load would slow as it runs."""

    def __init__(self) -> None:
        super().__init__()
        self._pass = threading.local()  # greenlet-local: the load process is monkey-patched

    def begin_pass(self) -> None:
        self._pass.learned = None  # a Redactor once the pass learns its first secret
        self._pass.in_pass = True

    def add(self, value: Any) -> None:
        if not getattr(self._pass, "in_pass", False):
            super().add(value)
            return
        learned: Redactor | None = self._pass.learned
        if learned is None:
            learned = self._pass.learned = Redactor()
        learned.add(value)

    def __contains__(self, value: str) -> bool:
        learned: Redactor | None = getattr(self._pass, "learned", None)
        return super().__contains__(value) or (learned is not None and value in learned)

    def mask(self, text: str) -> str:
        text = super().mask(text)
        learned: Redactor | None = getattr(self._pass, "learned", None)
        return learned.mask(text) if learned is not None else text


class Counter:
    """The requests this process reported to Locust (a worker's stats are sent away)."""

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0


def build_engine(plan: LoadPlan, item: CollectionPlan) -> Engine:
    """The collection's engine, prepared, with only its request steps left to walk."""
    from runner.core.model import RequestStep
    from runner.engine.engine import Engine, RunOptions
    from runner.format.loader import load_collection, load_environment
    from runner.http.transport import TransportOptions
    from runner.pause.prompts import StandardPrompter

    collection = load_collection(item.path)
    environment = load_environment(plan.env) if plan.env else None
    options = RunOptions(
        variables=dict(plan.variables),
        timeout=plan.timeout,
        environ=plan.environ,
        keep_steps=False,
        folders=tuple(plan.folders),
        tags=tuple(plan.tags),
        exclude_tags=tuple(plan.exclude_tags),
        docs_check="off",
        transport=TransportOptions(verify=not plan.insecure, environ=plan.environ),
    )
    engine = Engine(
        collection,
        environment,
        options,
        prompter=StandardPrompter({}, {}),  # nobody to ask: a missing value is a failure
        redactor=PassRedactor(),
        open_url=lambda url: False,
    )
    engine.prepare()  # with the person steps, which define their variables
    engine.steps = [(s, p) for s, p in engine.steps if isinstance(s, RequestStep)]
    return engine


def user_class(
    index: int,
    engine: Engine,
    item: CollectionPlan,
    plan: LoadPlan,
    fire: Callable[..., Any],
    counter: Counter,
    prefix: str,
    ready: Any,
) -> type:
    """A Locust user class whose task is one pass over the collection's steps."""
    import gevent  # type: ignore[import-untyped]  # gevent ships no annotations
    from locust import User, constant, task

    from runner.core.events import StepFinished, StepStarted
    from runner.core.results import RunResult
    from runner.engine.flow import Control, Iteration, Walker
    from runner.render.scope import Scope

    assert engine.scope is not None
    base = engine.scope
    think = plan.think_time

    class CollectionUser(User):
        weight = item.weight
        wait_time = constant(0)

        def on_start(self) -> None:
            ready.wait(SHARED_WAIT_S)  # a worker's users: the master's values first
            from runner.loadtest.fast import FastTransport  # after gevent's patching

            self.transport = engine.new_transport(FastTransport)
            self.passes = 0
            self.started: float | None = None
            # One walker and one Control for all the user's passes (each pass its own
            # result): building them, with the Control's event and locks, cost about 2 us a
            # request. A pass that stopped (its Control's event set) gets a new Control.
            self.control = Control(self.fresh_result(), bail=False, run_timeout=None)
            self.walker = Walker(engine, self.control)

        def on_stop(self) -> None:
            self.transport.close()

        @task
        def walk(self) -> None:
            """One pass: a fresh iteration (variables, cookies), the user's connections."""
            self.passes += 1
            scope = Scope({**base.base, "iteration": self.passes}, base.overrides)
            for name, value in item.shared.items():  # set by the master on a worker
                scope.capture(name, value)
            if self.passes > 1:
                self.transport.reset_cookies(engine.cookies)
            if isinstance(engine.redactor, PassRedactor):
                engine.redactor.begin_pass()
            if self.control.stopped.is_set():
                self.control = self.walker.control = Control(
                    self.fresh_result(), bail=False, run_timeout=None
                )
            else:
                self.control.result = self.fresh_result()
            with engine.events_to(self.on_event, (StepStarted, StepFinished)):
                self.walker.run(Iteration(self.passes, scope, self.transport))

        def fresh_result(self) -> RunResult:
            return RunResult(engine.collection.name, None, keep_steps=False)

        def on_event(self, event: object) -> None:
            kind = type(event)  # only these two reach it (events_to's kinds)
            if kind is StepStarted:
                self.started = time.perf_counter()
            elif kind is StepFinished:
                assert isinstance(event, StepFinished)
                step = event.result
                if step.kind != "request" or step.status == "skipped":
                    return
                elapsed = step.elapsed_ms
                if elapsed is None:
                    elapsed = (time.perf_counter() - (self.started or time.perf_counter())) * 1e3
                problem = failure(step)
                name = engine.steps[step.index - 1][0].name  # without a repeat's [n/m]
                fire(
                    request_type=step.method or "GET",
                    name=prefix + name,
                    response_time=elapsed,
                    response_length=step.size or 0,
                    exception=None
                    if problem is None
                    else StepFailure(engine.redactor.mask(problem)),
                    context={},
                    url=step.url,
                )
                counter.requests += 1
                counter.failures += problem is not None
                if think is not None and think[1] > 0:
                    gevent.sleep(random.uniform(*think))  # noqa: S311 - pacing, not secrets

    CollectionUser.__name__ = CollectionUser.__qualname__ = user_class_name(index)
    return CollectionUser


class StepFailure(Exception):
    """A step that did not pass, as Locust records it (its message groups the failures)."""


def failure(step: Any) -> str | None:
    """Why a request step failed, in words that stay the same from one request to the next
    (Locust groups failures by message), or None when it passed."""
    if step.status == "error":
        return str(step.error or step.error_reason or "error")
    failed = step.failed_checks
    if not failed:
        return None
    check = failed[0]
    if check.expected is not None:
        return f"{check.label}: expected {check.expected}"
    return f"{check.label}: {check.message or 'did not hold'}"


# --- the run -----------------------------------------------------------------------------------


def run(plan: LoadPlan, report: LoadReport, say: Say) -> None:
    import gevent
    import gevent.event  # type: ignore[import-untyped]
    from locust import events
    from locust.env import Environment as LocustEnvironment
    from locust.log import setup_logging

    configure: Any = setup_logging
    configure("WARNING")  # not every request httpx makes
    if plan.mode != "local":  # workers connecting, spawning, stopping
        logging.getLogger("locust.runners").setLevel(logging.INFO)
    counter = Counter()
    engines = [build_engine(plan, item) for item in plan.collections]
    many = len(plan.collections) > 1
    ready = gevent.event.Event()
    if plan.mode != "worker":
        ready.set()
    classes = [
        user_class(
            i,
            engine,
            item,
            plan,
            events.request.fire,
            counter,
            prefix=f"{engine.collection.name}: " if many else "",
            ready=ready,
        )
        for i, (engine, item) in enumerate(zip(engines, plan.collections, strict=True))
    ]
    env = LocustEnvironment(user_classes=classes, events=events)
    # What is alive now (the imports, the engines) lives as long as the process: out of the
    # garbage collector's sight, a full collection during the load walks only the users'
    # objects (it walked all of this, about 40 ms each time, a few us a request).
    gc.freeze()
    for engine, item in zip(engines, plan.collections, strict=True):
        for value in (item.shared.get(name) for name in item.secret):
            engine.redactor.add(value)

    locust: Any  # Locust's runner: local, master or worker
    if plan.mode == "worker":
        locust = env.create_worker_runner(plan.master_host, plan.master_port)

        def take_shared(environment: Any, msg: Any, **kwargs: Any) -> None:
            values: list[dict[str, Any]] = (msg.data or {}).get("collections", [])
            for item, engine, doc in zip(plan.collections, engines, values, strict=False):
                item.shared = dict(doc.get("shared", {}))
                item.secret = list(doc.get("secret", []))
                for name in item.secret:
                    engine.redactor.add(item.shared.get(name))
            ready.set()

        # Registered after connecting (Locust connects in the constructor), so the master
        # sends the values when asked, not when the worker connects.
        locust.register_message(SHARED_MESSAGE, take_shared)
        locust.send_message(HELLO_MESSAGE, None)
        stop = stop_on_signals(report)
        gevent.spawn(lambda: (locust.greenlet.join(), stop.set()))  # the master said quit
        try:
            stop.wait()
        finally:
            if report.interrupted:
                locust.quit()  # tells the master this worker is gone
            report.sent = {"requests": counter.requests, "failures": counter.failures}
        return

    if plan.mode == "master":
        locust = env.create_master_runner(plan.master_bind, plan.master_port)
        shared = [{"shared": item.shared, "secret": item.secret} for item in plan.collections]
        greeted: set[str] = set()

        def on_hello(environment: Any, msg: Any, **kwargs: Any) -> None:
            greeted.add(msg.node_id)
            locust.send_message(SHARED_MESSAGE, {"collections": shared}, client_id=msg.node_id)

        locust.register_message(HELLO_MESSAGE, on_hello)
    else:
        locust = env.create_local_runner()
    if plan.web_ui:
        env.create_web_ui(plan.web_host, plan.web_port)
        say(f"Locust's web UI: http://{plan.web_host}:{plan.web_port}")
    progress = gevent.spawn(show_progress, env, plan.progress, say) if plan.progress > 0 else None
    started = time.monotonic()
    stop = stop_on_signals(report)
    gevent.spawn(lambda: (locust.greenlet.join(), stop.set()))  # Locust's runner ended
    try:
        if plan.mode == "master":
            waiting = gevent.spawn(wait_for_workers, locust, greeted, plan.expect_workers, say)
            waiting.link(lambda _: stop.set())
            stop.wait()
            if report.interrupted:
                return
            stop.clear()
        started = time.monotonic()
        locust.start(plan.users, spawn_rate=plan.spawn_rate)
        stop.wait(plan.run_time)
    finally:
        report.duration_s = time.monotonic() - started
        report.users = locust.user_count
        if progress is not None:
            progress.kill()
        locust.stop()
        if plan.mode == "master":
            report.workers = len(locust.clients.all)
        locust.quit()
        web: Any = env.web_ui
        if web is not None:
            web.stop()
    report.sent = {"requests": counter.requests, "failures": counter.failures}
    fill_report(env, report)


def stop_on_signals(report: LoadReport) -> Any:
    """An event set by Ctrl-C (SIGINT) or SIGTERM: the load stops, and what it measured is
    reported. Python's own SIGINT handling does not reach a greenlet waiting in gevent."""
    import signal

    import gevent
    import gevent.event

    stop = gevent.event.Event()

    def interrupted() -> None:
        report.interrupted = True
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, interrupted)
    return stop


def wait_for_workers(locust: Any, greeted: set[str], expected: int, say: Say) -> None:
    """Until ``expected`` workers are connected and have been sent the shared values."""
    import gevent

    last = -1
    while len(locust.clients.ready) < expected or len(greeted) < expected:
        ready = min(len(locust.clients.ready), len(greeted))
        if ready != last:
            say(f"waiting for workers: {ready} of {expected} connected")
            last = ready
        gevent.sleep(0.1)
    say(f"{expected} worker{'s' if expected != 1 else ''} connected; starting")


def show_progress(env: LocustEnvironment, every: float, say: Say) -> None:
    import gevent

    while True:
        gevent.sleep(every)
        total = env.stats.total
        locust = env.runner
        users = locust.user_count if locust is not None else 0
        say(
            f"{users} users · {total.num_requests} requests · {total.num_failures} failures · "
            f"{total.current_rps:.1f} req/s"
        )


def _sayer(log: TextIO) -> Say:
    """A progress line on ``log``, at once: the person watches the load as it runs."""

    def say(text: str) -> None:
        log.write(text + "\n")
        log.flush()

    return say


def fill_report(env: LocustEnvironment, report: LoadReport) -> None:
    """Locust's statistics per step (in the order first seen), and its failures."""
    stats = env.stats
    report.steps = [step_stats(e) for e in stats.entries.values()]
    report.total = step_stats(stats.total, "Aggregated", "")
    report.errors = [
        {"method": e.method, "name": e.name, "error": str(e.error), "count": e.occurrences}
        for e in stats.errors.values()
    ]


def step_stats(entry: StatsEntry, name: str | None = None, method: str | None = None) -> StepStats:
    pct: Callable[[float], float] = entry.get_response_time_percentile
    return StepStats(
        method=entry.method if method is None else method,
        name=entry.name if name is None else name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        rps=float(entry.total_rps),
        median_ms=float(entry.median_response_time),
        p95_ms=float(pct(0.95)),
        p99_ms=float(pct(0.99)),
        avg_ms=float(entry.avg_response_time),
        min_ms=float(entry.min_response_time or 0),
        max_ms=float(entry.max_response_time),
    )
