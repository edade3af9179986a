"""Resuming a run: its state is saved as it goes; ``runner run --resume`` continues after the
last step that passed, ``--from STEP`` starts at a named step, both with the saved state.

Why: a flow that waited for a person (the OAuth pause) should not need a new authorization
because a later step failed. The state of a run is what its later steps need:

- the collection and environment variables as they were rendered (a random ``state`` or PKCE
  verifier stays the same), each with a fingerprint of its definition: a variable whose
  definition was edited since takes its new value instead;
- the ``--var`` values (given again, the new ones win);
- every value captured or pasted at a pause;
- the cookie jar;
- which step comes next: the first one that did not pass.

Where, and how it is kept safe: one file per (collection, environment) in the user's state
directory (``$RUNNER_STATE_DIR``, else ``$XDG_STATE_HOME/runner``, else the platform's, e.g.
``~/.local/state/runner``), under ``runs/``; never in the project. It holds secrets (tokens,
a pasted code, cookies), so it is written like the token cache: atomically, mode 0600, in a
0700 directory. ``--no-state`` keeps nothing. When no state directory can be found (no HOME),
nothing is saved.

When it is saved: after each step that passed and changed the state (a capture, a pause, a
cookie), at most once a second (a pause always), and when the run ends, however it ends; not
after every step, so that long runs do not pay for a write per step (a run killed outright
resumes a little earlier, never later).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookiejar import Cookie
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.core.errors import UsageError, close_matches
from runner.core.events import (
    CheckDone,
    Event,
    IterationFinished,
    IterationStarted,
    RequestSent,
    ResponseReceived,
    RunFinished,
    StepFinished,
    StepStarted,
)
from runner.core.model import Collection, Environment, PauseStep, RequestStep, Step
from runner.core.redact import is_secret_name
from runner.render.scope import Scope

if TYPE_CHECKING:
    from runner.engine.engine import Engine

STATE_ENV = "RUNNER_STATE_DIR"
FORMAT_VERSION = 1


# --- where ---------------------------------------------------------------------------------------


def state_directory(environ: Mapping[str, str]) -> Path | None:
    """``$RUNNER_STATE_DIR/runs``, else ``$XDG_STATE_HOME/runner/runs``, else the platform's
    user state directory; None when there is no home to keep it in."""
    own = environ.get(STATE_ENV)
    if own:
        return Path(own).expanduser() / "runs"
    xdg = environ.get("XDG_STATE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "runner" / "runs"
    if not environ.get("HOME") and not environ.get("USERPROFILE"):
        return None
    import platformdirs  # deferred: only runs that save state need it

    return Path(platformdirs.user_state_dir("runner", appauthor=False)) / "runs"


def state_path(directory: Path, collection: Collection, environment: Environment | None) -> Path:
    """One file per (collection, environment), named by a hash of their absolute paths."""
    env = str(Path(environment.path).resolve()) if environment and environment.path else ""
    key = f"{Path(collection.path).resolve()}\0{env}"
    return directory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:24] + ".json")


def _secure_directory(directory: Path) -> None:
    """Create the directory 0700 (whatever the umask); refuse one that is a symlink or belongs
    to another user: its files hold secrets."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = directory.lstat()
    if stat.S_ISLNK(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise UsageError(
            f"the state directory {directory} is a symlink or belongs to another user",
            hint=f"set {STATE_ENV} to a directory of your own, or pass --no-state",
        )
    os.chmod(directory, 0o700)


# --- what -------------------------------------------------------------------------------------


def fingerprint(value: Any) -> str:
    """A variable's definition, as written, hashed (to notice it was edited)."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _definitions(collection: Collection, environment: Environment | None) -> dict[str, Any]:
    raw = dict(collection.variables)
    if environment is not None:
        raw.update(environment.variables)
    return raw


def _cookie_dict(cookie: Cookie) -> dict[str, Any]:
    return {
        "name": cookie.name, "value": cookie.value, "domain": cookie.domain,
        "path": cookie.path, "secure": cookie.secure, "expires": cookie.expires,
        "port": cookie.port, "domain_specified": cookie.domain_specified,
        "domain_initial_dot": cookie.domain_initial_dot, "path_specified": cookie.path_specified,
        "rest": {k: v for k, v in getattr(cookie, "_rest", {}).items() if isinstance(v, str)},
    }  # fmt: skip


def _cookie(data: Mapping[str, Any]) -> Cookie:
    return Cookie(
        version=0, name=str(data["name"]), value=data.get("value"),
        port=data.get("port"), port_specified=data.get("port") is not None,
        domain=str(data.get("domain", "")),
        domain_specified=bool(data.get("domain_specified", False)),
        domain_initial_dot=bool(data.get("domain_initial_dot", False)),
        path=str(data.get("path", "/")), path_specified=bool(data.get("path_specified", True)),
        secure=bool(data.get("secure", False)), expires=data.get("expires"), discard=False,
        comment=None, comment_url=None, rest=dict(data.get("rest") or {}),
    )  # fmt: skip


@dataclass
class RunState:
    """What a resumed run starts from (see the module doc)."""

    collection: str
    environment: str | None
    steps: list[str]
    next: int = 0  # index in the run's steps of the first step that did not pass
    saved_at: float = 0.0
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    captures: dict[str, Any] = field(default_factory=dict)
    cookies: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        doc = {"version": FORMAT_VERSION, **self.__dict__}
        return json.dumps(doc, ensure_ascii=False, default=str, indent=1).encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> RunState | None:
        """The saved state, or None when there is none (or it is unreadable: start afresh)."""
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        except RecursionError:
            raise UsageError(
                f"the saved run state {path} is not valid: nested too deeply",
                hint="delete it, or run with --no-state or --from STEP",
            ) from None
        if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
            return None
        problem = state_problem(doc)
        if problem is not None:
            raise UsageError(
                f"the saved run state {path} is not valid: {problem}",
                hint=f"delete it, or run with --no-state or --from STEP ({path} is rewritten)",
            )
        doc.pop("version")
        return cls(**doc)


_TEXT = {"type": "string", "maxLength": 100_000}
_OBJECT = {"type": "object"}
STATE_SCHEMA: dict[str, Any] = {  # a state file of the wrong shape (next: -5) is refused
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "collection", "steps"],
    "properties": {
        "version": {"const": FORMAT_VERSION},
        "collection": _TEXT,
        "environment": {"type": ["string", "null"], "maxLength": 100_000},
        "steps": {"type": "array", "items": _TEXT, "maxItems": 10_000_000},
        "next": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        "saved_at": {"type": "number", "minimum": 0},
        "variables": {"type": "object", "additionalProperties": _OBJECT},
        "overrides": _OBJECT,
        "captures": _OBJECT,
        "cookies": {"type": "array", "items": _OBJECT},
    },
}


def state_problem(doc: Any) -> str | None:
    """Why a state document does not fit STATE_SCHEMA (the first reason, with its path),
    or is nested deeper than the loader allows; else None."""
    import jsonschema

    from runner.core.limits import MAX_VALUE_DEPTH, value_problem

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(STATE_SCHEMA).iter_errors(doc)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the document"
        return f"{where}: {error.message}"
    return value_problem(doc, depth=MAX_VALUE_DEPTH + 3, chars=None)


def save(path: Path, state: RunState) -> None:
    from runner.core.files import write_atomic

    _secure_directory(path.parent)
    state.saved_at = time.time()
    write_atomic(path, state.to_json(), mode=0o600)


def step_label(step: Step, parents: tuple[Any, ...]) -> str:
    return " / ".join([*(f.name for f in parents), step.name])


# --- saving as the run goes ----------------------------------------------------------------------


class StateSaver:
    """A listener that keeps the run's state, and writes it when it changed (module doc)."""

    WRITE_EVERY = 1.0  # seconds: a long run of capturing steps writes at most once a second
    # It reads only StepFinished and RunFinished: the others, per step and per iteration,
    # are not masked for it.
    ignored_events = (
        StepStarted,
        RequestSent,
        ResponseReceived,
        CheckDone,
        IterationStarted,
        IterationFinished,
    )
    # It writes nothing of an event (the state's captures and cookies come from the engine,
    # unmasked by design: module doc): the events need no masking for it (runner.engine.emitter).
    events_as_made = True

    def __init__(
        self, engine: Engine, path: Path | None, state: RunState, keep_snapshots: bool = True
    ) -> None:
        self.engine = engine
        self.path = path
        self.state = state
        # index -> (captures, cookies) after that step: where ``runner run --watch`` reruns.
        # Only --watch needs them: a copy per step grew as steps x captures (bench/limits.py).
        self.keep_snapshots = keep_snapshots
        self.snapshots: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        self._written = 0.0  # time.monotonic() of the last write

    def snapshot(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        it = getattr(self.engine, "iteration", None)
        if it is None:
            return dict(self.state.captures), list(self.state.cookies)
        cookies = [_cookie_dict(c) for c in it.transport.cookies]
        return dict(it.scope.captures), cookies

    def on_event(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            result = event.result
            i = result.index - 1
            captures, cookies = self.snapshot()
            if self.keep_snapshots:
                self.snapshots[i] = (captures, cookies)
            changed = captures != self.state.captures or cookies != self.state.cookies
            self.state.captures, self.state.cookies = captures, cookies
            if result.status in ("passed", "skipped") and i == self.state.next:
                self.state.next = i + 1
                due = time.monotonic() - self._written >= self.WRITE_EVERY
                if (changed and due) or result.kind == "pause":
                    self.write()
        elif isinstance(event, RunFinished):
            self.write()

    def write(self) -> None:
        if self.path is not None:
            save(self.path, self.state)
            self._written = time.monotonic()


# --- starting from a saved state ----------------------------------------------------------------


@dataclass
class Plan:
    """How a run starts: at ``start`` with ``state`` (None: fresh), saving to ``path``."""

    path: Path | None
    state: RunState | None
    start: int = 0
    from_label: str | None = None
    start_index: int | None = None  # ``run --watch``: start here (and stop before ``stop``)
    stop: int | None = None
    saver: StateSaver | None = None
    messages: list[str] = field(default_factory=list)


def find_step(steps: Sequence[tuple[Step, tuple[Any, ...]]], wanted: str) -> int:
    """The index of the step named ``wanted`` (its id, name, or 'Folder / Name')."""
    for i, (step, parents) in enumerate(steps):
        if wanted in (step.id, step_label(step, parents)):
            return i
    named = [i for i, (step, _) in enumerate(steps) if step.name == wanted]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(
            f"--from {wanted!r}: {len(named)} steps have that name",
            hint="name it as 'Folder / Name', or give the step an id",
        )
    labels = [step_label(s, p) for s, p in steps]
    close = close_matches(wanted, labels, n=1, cutoff=0.5)
    raise UsageError(
        f"--from {wanted!r}: no step has that name or id",
        hint=f"did you mean '{close[0]}'?" if close else "steps: " + ", ".join(labels),
    )


def plan_run(
    collection: Collection,
    environment: Environment | None,
    environ: Mapping[str, str],
    *,
    resume: bool = False,
    from_step: str | None = None,
    keep: bool = True,
) -> Plan:
    """Read the saved state for ``--resume``/``--from`` (errors are UsageErrors, exit 2)."""
    directory = state_directory(environ) if keep else None
    path = state_path(directory, collection, environment) if directory else None
    if not resume and from_step is None:
        return Plan(path, None)
    if path is None:
        raise UsageError(
            "there is no saved state to start from"
            + (" (--no-state)" if not keep else " (no state directory: HOME is not set)"),
            hint=f"set {STATE_ENV}=DIR, and run once without --resume/--from",
        )
    state = RunState.read(path)
    if resume and state is None:
        raise UsageError(
            "no saved run of this collection"
            + (f" with {environment.name}" if environment else "")
            + " to resume",
            hint="run it once without --resume; its state is saved as it goes",
        )
    return Plan(path, state, from_label=from_step)


def setup_engine(engine: Engine, plan: Plan, resume: bool) -> None:
    """Before the engine prepares: where to start and the saved cookies; after: the saved
    variables and captures in its scope; and the saver listening. Raises UsageError."""
    steps = engine.steps
    labels = [step_label(s, p) for s, p in steps]
    state = plan.state
    start = 0
    if plan.start_index is not None:
        start = plan.start_index
    elif plan.from_label is not None:
        start = find_step(steps, plan.from_label)
    elif resume and state is not None:
        start = state.next
        changed = next(
            (i for i in range(min(start, len(labels))) if i >= len(state.steps)
             or state.steps[i] != labels[i]),
            None,
        )  # fmt: skip
        if changed is not None or len(state.steps) != len(labels):
            raise UsageError(
                "the collection's steps changed since the saved run"
                + (f" (step {changed + 1} was '{state.steps[changed]}', now '{labels[changed]}')"
                   if changed is not None and changed < len(state.steps) else ""),
                hint="--from STEP starts at a step you name with the saved state, "
                "or run without --resume",
            )  # fmt: skip
        if start >= len(steps):
            raise UsageError(
                f"the saved run passed all {len(steps)} steps; there is nothing to resume",
                hint="--from STEP runs again from a step with the saved state",
            )
    options = engine.options
    if options.data is not None or (options.iterations or 1) > 1:
        if resume or plan.from_label is not None:
            raise UsageError("--resume and --from run one iteration; drop --data/--iterations")
        plan.path = None  # an iteration's state is not one run's state
    cookies = tuple(_cookie(c) for c in state.cookies) if state else ()
    engine.options = replace(options, start_at=start, stop_at=plan.stop, cookies=cookies)
    scope = engine.prepare()
    if state is not None:
        engine.scope = restored_scope(engine, scope, state)
        _check_missing(engine, start, state)
    plan.start = start
    assert engine.scope is not None
    new_state = RunState(
        collection=str(Path(engine.collection.path).resolve()),
        environment=str(Path(engine.environment.path).resolve())
        if engine.environment and engine.environment.path
        else None,
        steps=labels,
        next=start,
        variables={
            name: {"value": engine.scope.base[name], "definition": fingerprint(raw)}
            for name, raw in _definitions(engine.collection, engine.environment).items()
            if name in engine.scope.base
        },
        overrides=dict(engine.scope.overrides),
        captures=dict(engine.scope.captures),
        cookies=list(state.cookies) if state else [],
    )
    plan.saver = StateSaver(engine, plan.path, new_state, keep_snapshots=False)
    engine.listeners.append(plan.saver)
    if start:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.saved_at)) if state else ""
        plan.messages.append(
            f"starting at step {start + 1} '{labels[start]}'"
            + (f" with the state saved {when}" if state else " with no saved state")
        )


def restored_scope(engine: Engine, scope: Scope, state: RunState) -> Scope:
    """The scope with the saved values: variables whose definition is unchanged, --var values
    not given again, and every capture; their secrets registered with the run's Redactor."""
    definitions = _definitions(engine.collection, engine.environment)
    base = dict(scope.base)
    for name, saved in state.variables.items():
        if name in definitions and saved.get("definition") == fingerprint(definitions[name]):
            base[name] = saved.get("value")
    overrides = {**state.overrides, **scope.overrides}
    restored = Scope(base, overrides)
    secret_names = engine.secret_names
    for name, value in {**base, **overrides}.items():
        if name in secret_names or is_secret_name(name):
            engine.redactor.add(value)
    secret_outputs = _secret_outputs(engine)
    for name, value in state.captures.items():
        restored.capture(name, value)
        if name in secret_outputs or name in secret_names or is_secret_name(name):
            engine.redactor.add(value)
    return restored


def _secret_outputs(engine: Engine) -> set[str]:
    out: set[str] = set()
    for step, _ in engine.steps:
        if isinstance(step, PauseStep) and step.secret:
            out.add(step.variable)
        if isinstance(step, RequestStep):
            out.update(c.variable for c in step.captures if c.secret)
    return out


def _check_missing(engine: Engine, start: int, state: RunState) -> None:
    """Steps from ``start`` on must not need a value that only a skipped step would set."""
    from runner.engine.engine import effective_auth, step_outputs, step_templates

    earlier: dict[str, str] = {}
    for step, parents in engine.steps[:start]:
        for name in step_outputs(step):
            earlier[name] = step_label(step, parents)
    assert engine.scope is not None
    missing: dict[str, str] = {}
    for step, parents in engine.steps[start:]:
        auth = (
            effective_auth(step, parents, engine.collection)
            if isinstance(step, RequestStep)
            else None
        )
        for text in step_templates(step, auth):
            for name in engine.renderer.names(text):
                if name in earlier and name not in engine.scope:
                    missing.setdefault(name, earlier[name])
        for name in step_outputs(step):
            earlier.pop(name, None)
    if missing:
        first = sorted(missing)[0]
        raise UsageError(
            f"the saved state has no value for {', '.join(repr(n) for n in sorted(missing))}, "
            f"set by step '{missing[first]}' before the one you start at",
            hint="start earlier (--from), or run that step first",
        )


# --- the resume options of a run --------------------------------------------------------------


@dataclass(frozen=True)
class ResumeOptions:
    """Where a run starts and whether its state is kept (``runner run``'s resume options)."""

    resume: bool = False  # continue after the last step that passed
    from_step: str | None = None  # start at this step (name, id or 'Folder / Name')
    keep: bool = True  # save this run's state (False: ``--no-state``)


def engine_setup(
    options: ResumeOptions,
    collection: Collection,
    environment: Environment | None,
    environ: Mapping[str, str],
    say: Callable[[str], None],
) -> Callable[[Engine], None]:
    """The ``execute(setup=...)`` hook of a run for its resume options; ``say`` is told what
    the plan decided (where the run starts, what was restored)."""
    plan = plan_run(
        collection,
        environment,
        environ,
        resume=options.resume,
        from_step=options.from_step,
        keep=options.keep,
    )

    def setup(engine: Engine) -> None:
        setup_engine(engine, plan, options.resume)
        for message in plan.messages:
            say(message)

    return setup


def clear_state(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
