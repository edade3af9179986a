"""Flow control within one iteration: which steps run, in which order, how often.

The engine renders, sends and checks one step; this module decides around it:
``skip_if``/``run_if`` (on steps and folders), ``delay``, ``retry`` (with ``until``),
``repeat`` over a list, ``goto`` with its loop guard, folders whose steps run concurrently
(``parallel``). What those keys and the selection flags say before the run (the selected
steps, the templates, the goto targets) is runner.engine.flow_keys, re-exported here.

Events keep their documented order. A retried request shows only its last attempt (the
earlier attempts' events are dropped); a parallel folder's steps run together but their
events are delivered in the order the steps are written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.core.errors import RenderError
from runner.core.events import CheckDone, Event, StepFinished, StepStarted
from runner.core.limits import MAX_REPEAT
from runner.core.model import (
    BrowserStep,
    Flow,
    Folder,
    PauseStep,
    RequestStep,
)
from runner.core.results import CheckResult, StepResult
from runner.engine.control import Control
from runner.engine.flow_keys import (
    condition_template,
    flow_templates,
    goto_targets,
    group_starts,
    parallel_groups,
    repeat_names,
    select_steps,
    truthy,
)
from runner.engine.steps import (
    Leaf,
    Selected,
    StepRunner,
    effective_auth,
    step_kind,
    step_outputs,
    step_path,
    step_templates,
)
from runner.render.scope import Scope

if TYPE_CHECKING:
    from runner.http.transport import Transport

# Imported from here by the engine, the load process and the CLI.
__all__ = [
    "SCRIPT_JUMP_MAX",
    "Control",
    "Iteration",
    "Leaf",
    "LocalScope",
    "Selected",
    "Walker",
    "child_scope",
    "condition_template",
    "flow_templates",
    "goto_targets",
    "parallel_groups",
    "repeat_names",
    "select_steps",
    "truthy",
]


class LocalScope(Scope):
    """A scope with a few variables of its own on top (a repeat's item); captures go through
    to the scope below, so later steps see them."""

    def __init__(self, parent: Scope, local: Mapping[str, Any]) -> None:
        self.parent = parent
        self.base = parent.base
        self.captures = parent.captures
        self.overrides = parent.overrides
        self._merged = {**parent, **local}

    def capture(self, name: str, value: Any) -> None:
        self.parent.capture(name, value)
        if name not in self.overrides:
            self._merged[name] = value


def child_scope(scope: Scope) -> Scope:
    """A copy for a step of a parallel folder: it renders from its own dict while its
    siblings capture; its captures are merged back in step order afterwards."""
    return Scope({**scope.base, **scope.captures}, scope.overrides)


# --- one iteration -----------------------------------------------------------------------------


@dataclass
class Iteration:
    """One pass over the steps, with its own variables and transport."""

    number: int
    scope: Scope
    transport: Transport
    browser_url: str | None = None
    current: tuple[int, str] | None = None  # the step running now (for Interrupted)
    jumps: dict[int, int] = field(default_factory=dict)
    # variables a step failed or was skipped before capturing: name -> why, for the steps
    # that need them ("needs first_user_id from 'List users', which failed")
    missing: dict[str, str] = field(default_factory=dict)


# Why a step's captures are missing, by the step's status (others: they are not).
_MISSING_BECAUSE = {"failed": "failed", "error": "failed", "skipped": "was skipped"}
SCRIPT_JUMP_MAX = 1000  # setNextRequest jumps from one request per iteration (loop guard)


# What is worked out once per list of selected steps rather than once per iteration or per
# request (a load user walks the same list thousands of times): the parallel groups, the goto
# targets, and each step's auth, folder path, kind and outputs. The list is kept in the entry,
# so its id is not reused while the entry lives.
@dataclass(frozen=True, slots=True)
class _Leaf:
    """One selected step's facts that never change during a run."""

    auth: Any  # runner.core.model.Auth | None (request steps)
    path: tuple[str, ...]
    kind: Any  # StepResult.kind
    outputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    groups: dict[int, int]
    group_start: dict[int, int]
    targets: dict[str, int]
    leaves: tuple[_Leaf, ...]


_PLANS: dict[int, tuple[Selected, int, Any, _Plan]] = {}
_PLANS_LOCK = threading.Lock()


def _plan(steps: Selected, collection: Any) -> _Plan:
    with _PLANS_LOCK:
        found = _PLANS.get(id(steps))
    if (
        found is not None
        and found[0] is steps
        and found[1] == len(steps)
        and found[2] is collection
    ):
        return found[3]
    groups = parallel_groups(steps)
    leaves = tuple(
        _Leaf(
            effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None,
            step_path(parents),
            step_kind(step),
            tuple(step_outputs(step)),
        )
        for step, parents in steps
    )
    plan = _Plan(groups, group_starts(groups), goto_targets(steps, groups), leaves)
    with _PLANS_LOCK:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        _PLANS[id(steps)] = (steps, len(steps), collection, plan)
    return plan


class Walker:
    """Walks the selected steps of one iteration, applying the flow-control keys."""

    def __init__(self, engine: StepRunner, control: Control) -> None:
        self.engine = engine
        self.control = control
        self.steps = engine.steps
        plan = _plan(self.steps, engine.collection)
        self.groups, self.group_start, self.targets = plan.groups, plan.group_start, plan.targets
        self.leaves = plan.leaves
        self._needs: dict[int, list[str]] = {}

    # -- dependencies --------------------------------------------------------------------------
    def needs(self, i: int) -> list[str]:
        """The variables step ``i`` renders before sending (cached per step)."""
        if i not in self._needs:
            step, parents = self.steps[i]
            auth = None
            if isinstance(step, RequestStep):
                auth = effective_auth(step, parents, self.engine.collection)
            names = self.engine.renderer.names
            texts = step_templates(step, auth) + flow_templates(step.flow)[0]
            self._needs[i] = sorted({name for text in texts for name in names(text)})
        return self._needs[i]

    def _blocked(self, it: Iteration, i: int, scope: Scope) -> str | None:
        """Why step ``i`` cannot be sent: a variable it needs was to be captured by a step
        that failed or was skipped (and nothing else defined it). Never with
        ``undefined_variables: literal``: Newman sends such a request with the text as written."""
        if not it.missing or self.engine.collection.undefined_variables == "literal":
            return None
        for name in self.needs(i):
            if name in it.missing and name not in scope:
                return f"needs {name} from {it.missing[name]}"
        return None

    def _note_outputs(self, it: Iteration, i: int, status: str, scope: Scope) -> None:
        """Remember which of step ``i``'s captures are missing because it did not pass."""
        outputs = self.leaves[i].outputs
        if not outputs:
            return
        step = self.steps[i][0]
        how = _MISSING_BECAUSE.get(status)
        for name in outputs:
            if how is not None and name not in scope:
                it.missing[name] = f"'{step.name}', which {how}"
            else:
                it.missing.pop(name, None)

    # -- the walk ----------------------------------------------------------------------------
    def run(self, it: Iteration) -> None:
        i = self.engine.options.start_at  # > 0 when resuming a run (runner.engine.resume)
        stop = self.engine.options.stop_at or len(self.steps)
        active: tuple[Folder, ...] = ()
        skipped: dict[int, str] = {}  # id(folder) -> why its steps are skipped
        while i < stop:
            if self.control.should_stop():
                return
            parents = self.steps[i][1]
            for depth, folder in enumerate(parents):
                if depth < len(active) and active[depth] is folder:
                    continue
                skipped.pop(id(folder), None)
                if any(id(f) in skipped for f in parents[:depth]):
                    continue
                reason = self._folder_gate(folder, it.scope)
                if reason is not None:
                    skipped[id(folder)] = reason
            active = parents
            reason = (
                next((skipped[id(f)] for f in parents if id(f) in skipped), None)
                if skipped
                else None
            )
            if reason is not None:
                self._skipped(it, i, reason)
                i += 1
                continue
            end = self.groups.get(i)
            if end is not None:
                self._group(it, i, end)
                i = end
                continue
            following = self.run_step(it, i, it.scope)
            if following is None:
                return
            i = following

    def _folder_gate(self, folder: Folder, scope: Scope) -> str | None:
        """Why a folder's steps are skipped (its skip_if/run_if), or None; waits its delay."""
        flow = folder.flow
        if flow is None:
            return None
        try:
            reason = self._condition_reason(flow, scope)
        except RenderError as exc:
            return f"folder '{folder.name}': {exc.message}"
        if reason is not None:
            return f"folder '{folder.name}': {reason}"
        if flow.delay:
            self.control.sleep(flow.delay)
        return None

    def _condition_reason(self, flow: Flow | None, scope: Scope) -> str | None:
        if flow is None:
            return None
        if flow.skip_if is not None and self.evaluate(flow.skip_if, scope):
            return f"skip_if {flow.skip_if.strip()} holds"
        if flow.run_if is not None and not self.evaluate(flow.run_if, scope):
            return f"run_if {flow.run_if.strip()} does not hold"
        return None

    def evaluate(self, condition: str, scope: Mapping[str, Any]) -> bool:
        return truthy(self.engine.renderer.render_native(condition_template(condition), scope))

    # -- one step ----------------------------------------------------------------------------
    def run_step(self, it: Iteration, i: int, scope: Scope) -> int | None:
        """Run step ``i`` (all its repetitions); the index of the next step, None to end."""
        step = self.steps[i][0]
        blocked = self._blocked(it, i, scope)
        if blocked is not None:
            self._skipped(it, i, blocked)
            return i + 1
        flow = step.flow
        if flow is not None:
            try:
                reason = self._condition_reason(flow, scope)
            except RenderError as exc:
                self._failed_before(it, i, exc.message)
                return self._after_error(i)
            if reason is not None:
                self._skipped(it, i, reason)
                return i + 1
            if flow.delay and not self.control.sleep(flow.delay):
                return None
        items: list[Any] = [None]
        if flow is not None and flow.repeat is not None:
            try:
                items = self._repeat_items(flow, scope)
            except RenderError as exc:
                self._failed_before(it, i, exc.message)
                return self._after_error(i)
            if not items:
                self._skipped(it, i, "repeat: the list is empty")
                return i + 1
        following: int | None = i + 1
        for number, item in enumerate(items, start=1):
            local = scope
            name = step.name
            if flow is not None and flow.repeat is not None:
                local = LocalScope(scope, {flow.repeat.var: item, "repeat_index": number})
                name = f"{step.name} [{number}/{len(items)}]"
            it.current = (i + 1, step.name)
            leaf = self.leaves[i]
            self.engine.emit(StepStarted(i + 1, name, leaf.kind, leaf.path, it.number))
            result = self._attempts(it, i, local)
            result.name = name
            result.iteration = it.number
            if number == len(items):
                following = self._goto(it, i, result, local)
            it.current = None
            self._note_outputs(it, i, result.status, scope)
            self.engine.emit(StepFinished(result))
            if self.control.result.stopped_reason is not None:
                self.control.stopped.set()
                return None
            if self.control.bail and result.status in ("failed", "error"):
                self.control.stop(f"--bail: step '{step.name}' did not pass")
                return None
            if self.control.should_stop():
                return None
        return following

    def _after_error(self, i: int) -> int | None:
        step = self.steps[i][0]
        if self.control.bail:
            self.control.stop(f"--bail: step '{step.name}' did not pass")
            return None
        return i + 1

    def _repeat_items(self, flow: Flow, scope: Scope) -> list[Any]:
        assert flow.repeat is not None
        over = flow.repeat.over
        if isinstance(over, int):
            return list(range(1, over + 1))
        value = self.engine.renderer.render_value(over, scope)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            if value > MAX_REPEAT:  # the bound a file's ``repeat: N`` has, for a template's N
                raise RenderError(
                    f"repeat {value} times is more than {MAX_REPEAT} (docs/security.md#limits)",
                    flow.repeat.loc,
                )
            return list(range(1, value + 1))
        if isinstance(value, dict):
            return list(value.items())
        if not isinstance(value, list | tuple):
            raise RenderError(
                f"repeat needs a list, but {over!s} is a {type(value).__name__}",
                flow.repeat.loc,
            )
        return list(value)

    def _attempts(self, it: Iteration, i: int, scope: Scope) -> StepResult:
        """The step, sent again under ``retry`` until it holds; only the last attempt's events
        reach the listeners."""
        step = self.steps[i][0]
        retry = step.flow.retry if step.flow is not None else None
        if retry is None or not isinstance(step, RequestStep):
            return self._attempt(it, i, scope)
        attempt = sent = 0
        while True:
            attempt += 1
            last = attempt >= retry.max
            with self._buffered(not last) as events:
                result = self._attempt(it, i, scope)
                sent += result.attempts  # each poll may be sent more than once (retries)
                held, problem = self._retry_holds(retry.until, result, scope)
            done = (
                held
                or last
                or result.error_reason in ("render", "docs")
                or self.control.should_stop()
            )
            if done:
                events.flush()
                break
            if not self.control.sleep(retry.interval):
                break
        result.attempts = sent
        if attempt > 1:
            result.note = "; ".join(n for n in (f"{attempt} attempts", result.note) if n)
        if retry.until is not None and not held:
            check = CheckResult(
                f"retry until {retry.until.strip()}",
                False,
                "to hold",
                None,
                problem or f"it did not hold after {attempt} attempts",
                retry.loc,
            )
            result.checks.append(check)
            self.engine.emit(CheckDone(i + 1, check))
            if result.status == "passed":
                result.status = "failed"
        return result

    def _retry_holds(
        self, until: str | None, result: StepResult, scope: Scope
    ) -> tuple[bool, str | None]:
        if until is None:
            return result.status == "passed", None
        if result.status == "error":
            return False, None
        try:
            return self.evaluate(until, scope), None
        except RenderError as exc:
            return False, exc.message

    def _attempt(self, it: Iteration, i: int, scope: Scope) -> StepResult:
        step = self.steps[i][0]
        leaf = self.leaves[i]
        engine, index, path = self.engine, i + 1, leaf.path
        if isinstance(step, RequestStep):
            return engine.run_request(index, step, path, leaf.auth, scope, it.transport)
        if isinstance(step, BrowserStep):
            result, url = engine.run_browser(index, step, path, scope)
            it.browser_url = url
            return result
        assert isinstance(step, PauseStep)
        with self.control.prompt_lock:
            return engine.run_pause(index, step, path, scope, it.browser_url, self.control.result)

    def _goto(self, it: Iteration, i: int, result: StepResult, scope: Scope) -> int | None:
        step = self.steps[i][0]
        jump = self.engine.take_script_jump()  # setNextRequest in a test script (--scripts)
        if jump is not None and result.status != "error":
            return self._script_jump(it, i, result, jump[0])
        goto = step.flow.goto if step.flow is not None else None
        if goto is None or result.status == "error":
            return i + 1
        if goto.condition is not None:
            try:
                if not self.evaluate(goto.condition, scope):
                    return i + 1
            except RenderError as exc:
                self.engine.error(result, f"goto: {exc.message}", "render")
                return i + 1
        if goto.target is None:
            return None
        taken = it.jumps.get(i, 0) + 1
        if taken > goto.max:
            self.engine.error(
                result,
                f"goto '{goto.target}' would be taken a {_ordinal(taken)} time; "
                f"stopped this iteration (loop guard: goto max is {goto.max})",
                "loop",
            )
            return None
        it.jumps[i] = taken
        return self.targets[goto.target]

    def _script_jump(
        self, it: Iteration, i: int, result: StepResult, name: str | None
    ) -> int | None:
        """``postman.setNextRequest(name)``: go to that request; ``null`` ends the iteration. A
        jump taken more than SCRIPT_JUMP_MAX times from one step stops it (loop guard)."""
        if name is None:
            return None
        target = next(
            (j for j, (step, _) in enumerate(self.steps) if name in (step.name, step.id)), None
        )
        if target is None:
            self.engine.error(
                result, f"setNextRequest('{name}'): no request of that name in this run", "flow"
            )
            return None
        key = -1 - i  # beside the goto counts, never the same key
        taken = it.jumps.get(key, 0) + 1
        if taken > SCRIPT_JUMP_MAX:
            self.engine.error(
                result,
                f"setNextRequest('{name}') would be taken a {_ordinal(taken)} time; stopped "
                f"this iteration (loop guard: at most {SCRIPT_JUMP_MAX} from one request)",
                "loop",
            )
            return None
        it.jumps[key] = taken
        return self.group_start.get(target, target)

    # -- parallel folders ----------------------------------------------------------------------
    def _group(self, it: Iteration, start: int, end: int) -> None:
        """Run steps start..end-1 (a parallel folder) together; deliver their events in order."""
        parents = self.steps[start][1]
        depth = next(d for d, f in enumerate(parents) if f.parallel)
        folder = parents[depth]
        scopes = [child_scope(it.scope) for _ in range(start, end)]
        buffers: list[_Buffer] = [_Buffer(self.engine) for _ in range(start, end)]

        def one(offset: int) -> None:
            with self.engine.events_to(buffers[offset].append):
                i = start + offset
                for inner in self.steps[i][1][depth + 1 :]:  # folders inside the parallel one
                    try:
                        reason = self._condition_reason(inner.flow, scopes[offset])
                    except RenderError as exc:
                        reason = exc.message
                    if reason is not None:
                        self._skipped(it, i, f"folder '{inner.name}': {reason}")
                        return
                self.run_step(it, i, scopes[offset])

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=folder.parallel) as pool:
            futures = [pool.submit(one, offset) for offset in range(end - start)]
        for offset, future in enumerate(futures):
            buffers[offset].flush()
            for name, value in scopes[offset].captures.items():
                it.scope.capture(name, value)
            future.result()

    # -- reporting steps that did not run -------------------------------------------------------
    def _skipped(self, it: Iteration, i: int, reason: str) -> None:
        result = self._not_run(it, i)
        result.status = "skipped"
        result.note = reason
        self._report_not_run(it, result)

    def _failed_before(self, it: Iteration, i: int, message: str) -> None:
        result = self._not_run(it, i)
        self.engine.error(result, message, "render")
        self._report_not_run(it, result)

    def _not_run(self, it: Iteration, i: int) -> StepResult:
        """The result of step ``i`` when it never got to render or send."""
        step, parents = self.steps[i]
        result = StepResult(i + 1, step.name, step_kind(step), step.loc, step_path(parents))
        result.iteration = it.number
        return result

    def _report_not_run(self, it: Iteration, result: StepResult) -> None:
        self._note_outputs(it, result.index - 1, result.status, it.scope)
        self.engine.emit(
            StepStarted(result.index, result.name, result.kind, result.path, it.number)
        )
        self.engine.emit(StepFinished(result))

    @contextmanager
    def _buffered(self, active: bool) -> Iterator[_Buffer]:
        buffer = _Buffer(self.engine)
        if not active:
            yield buffer
            return
        with self.engine.events_to(buffer.append):
            yield buffer


class _Buffer:
    """Events held back, then passed on (in order) to whatever received events before."""

    def __init__(self, engine: StepRunner) -> None:
        self.engine = engine
        self.events: list[Event] = []
        self.append: Callable[[Event], None] = self.events.append

    def flush(self) -> None:
        """Pass the held events on; call it outside the ``events_to`` that filled it."""
        events, self.events = self.events, []
        self.append = self.events.append
        for event in events:
            self.engine.emit(event)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
