"""``runner run --watch``: run again when the collection or environment file changes.

What runs again:

- a step inside a folder changed: that folder's steps;
- a step at the top level changed: that step and the ones after it;
- anything else (the collection's variables or auth, the environment, steps added, removed or
  renamed): the whole collection.

A partial run starts from the state the previous run had just before it (variables, captures,
cookies: runner.engine.resume's snapshots), so a token obtained after an OAuth pause is kept and the
person is not asked again. Pause answers are kept for whole runs too (given as ``--input``).
A change that leaves the steps as they were (a comment) runs nothing; an invalid file is
reported with its file:line and the watch goes on.

Why watchfiles: it waits on the operating system's file events (inotify, FSEvents,
ReadDirectoryChangesW) with debouncing, so an editor's save (often a write and a rename) is
one change, without a polling loop of our own to keep. It watches the folders that hold the
files, so editors that save by renaming a new file over the old one are seen too. Each change
is confirmed by the files' contents (a save without a change runs nothing); the contents are
also compared every half second, so a change made while a run was running is not missed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.core.errors import RunnerError
from runner.format.loader import parse_data, read_text

from .console import Console
from .running import resume_options, run_collection

if TYPE_CHECKING:
    from runner.engine.engine import Engine
    from runner.engine.resume import StateSaver

CLEAR_SCREEN = "\x1b[2J\x1b[H"
DEBOUNCE_MS = 300


@dataclass(frozen=True)
class Leaf:
    """A step as written, with where it sits: what tells a change from no change."""

    label: str
    fingerprint: str
    folders: tuple[int, ...]  # ids of the folders that hold it (outermost first)


@dataclass
class Shape:
    """A collection as written: everything but its steps, and its steps in run order."""

    top: str
    leaves: list[Leaf]
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # folder -> leaf range


def shape_of(text: str, path: str) -> Shape:
    data = parse_data(text, path)
    top = json.dumps({k: v for k, v in data.items() if k != "steps"}, sort_keys=True, default=str)
    shape = Shape(top, [])
    counter = [0]

    def walk(items: list[Any], labels: list[str], ids: tuple[int, ...], own: list[str]) -> None:
        for item in items:
            if not isinstance(item, dict):
                continue
            if "folder" in item:
                counter[0] += 1
                fid = counter[0]
                first = len(shape.leaves)
                rest = json.dumps({k: v for k, v in item.items() if k != "steps"},
                                  sort_keys=True, default=str)  # fmt: skip
                walk(item.get("steps") or [], [*labels, str(item["folder"])], (*ids, fid),
                     [*own, rest])  # fmt: skip
                shape.spans[fid] = (first, len(shape.leaves))
                continue
            kind = next((k for k in ("request", "browser", "pause") if k in item), "step")
            label = " / ".join([*labels, str(item.get(kind))])
            fingerprint = json.dumps([own, item], sort_keys=True, default=str)
            shape.leaves.append(Leaf(label, fingerprint, ids))

    walk(data.get("steps") or [], [], (), [])
    return shape


def rerun_range(old: Shape, new: Shape) -> tuple[int, int | None] | None:
    """The steps to run again as (start, stop) (stop None: to the end); None: nothing."""
    if old.top != new.top or [x.label for x in old.leaves] != [x.label for x in new.leaves]:
        return 0, None
    changed = [i for i, (a, b) in enumerate(zip(old.leaves, new.leaves, strict=True))
               if a.fingerprint != b.fingerprint]  # fmt: skip
    if not changed:
        return None
    start, stop = len(new.leaves), 0
    to_end = False
    for i in changed:
        folders = new.leaves[i].folders
        if folders:
            first, end = new.spans[folders[-1]]
            start, stop = min(start, first), max(stop, end)
        else:
            start, to_end = min(start, i), True
    return start, None if to_end else stop


class _Runs:
    """What the previous run left: its state saver (snapshots after each step)."""

    def __init__(self) -> None:
        self.saver: StateSaver | None = None
        self.engine: Engine | None = None
        self.started = 0  # runs that got as far as their engine (past loading the files)

    def remember(self, engine: Engine) -> None:
        from runner.engine.resume import StateSaver

        self.started += 1
        self.engine = engine
        self.saver = next((x for x in engine.listeners if isinstance(x, StateSaver)), None)
        if self.saver is not None:
            self.saver.keep_snapshots = True  # a rerun starts from the one after its step

    def pause_answers(self) -> dict[str, str]:
        from runner.core.model import PauseStep

        if self.saver is None or self.engine is None:
            return {}
        captures = self.saver.state.captures
        return {
            step.variable: str(captures[step.variable])
            for step, _ in self.engine.steps
            if isinstance(step, PauseStep) and step.variable in captures
        }


def _digest(paths: Iterable[Path]) -> dict[Path, str]:
    out = {}
    for path in paths:
        try:
            out[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            out[path] = ""
    return out


def watch(
    args: argparse.Namespace,
    console: Console,
    *,
    stop: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> int:
    """Run, then run again on each change until Ctrl-C (or ``stop`` is set, for tests)."""
    from runner.engine.resume import Plan, RunState, engine_setup, setup_engine, state_directory
    from runner.engine.resume import state_path as state_file

    files = [Path(args.collection).resolve()]
    if args.env:
        files.append(Path(args.env).resolve())
    base = copy.copy(args)
    base.watch = False
    runs = _Runs()

    def first_setup(engine: Engine) -> None:
        setup = engine_setup(
            resume_options(base),
            engine.collection,
            engine.environment,
            console.environ,
            console.say,
        )
        setup(engine)
        runs.remember(engine)

    seen = _digest(files)  # what this run reads: a change while it runs is caught below
    shape = _shape(files[0], console)
    code = _run(base, console, first_setup)
    for _ in _changes(files, stop, debounce_ms):
        now = _digest(files)
        if now == seen:
            continue
        changed = {path for path in files if now[path] != seen[path]}
        seen = now
        new_shape = _shape(files[0], console)
        if new_shape is None:
            console.stderr.write("watching for the next change (Ctrl-C to stop)\n")
            continue
        env_changed = len(files) > 1 and files[1] in changed
        span = (0, None) if shape is None or env_changed else rerun_range(shape, new_shape)
        if span is None:
            console.stderr.write("no step changed; nothing to run\n")
            continue
        start, end = span
        saver = runs.saver
        snapshot = saver.snapshots.get(start - 1) if saver and start > 0 else None
        if start > 0 and snapshot is None:
            start, end = 0, None
        rerun = copy.copy(base)
        rerun.resume, rerun.from_step = False, None
        answers = runs.pause_answers()
        rerun.input = [*answers.items(), *getattr(args, "input", [])]
        previous = saver.state if saver else None

        def setup(
            engine: Engine,
            start: int = start,
            end: int | None = end,
            previous: RunState | None = previous,
            snapshot: tuple[dict[str, Any], list[dict[str, Any]]] | None = snapshot,
        ) -> None:
            directory = state_directory(console.environ)
            keep = not getattr(args, "no_state", False)
            path = state_file(directory, engine.collection, engine.environment) if (
                directory and keep) else None  # fmt: skip
            state = None
            if previous is not None:
                captures, cookies = snapshot if snapshot is not None else ({}, [])
                state = replace(previous, captures=dict(captures), cookies=list(cookies),
                                next=start)  # fmt: skip
            elif start:
                state = RunState(collection="", environment=None, steps=[])
            plan = Plan(path, state, start_index=start, stop=end)
            setup_engine(engine, plan, resume=False)
            runs.remember(engine)

        _clear(console, changed, start, end, len(new_shape.leaves))
        started = runs.started
        code = _run(rerun, console, setup)
        if runs.started > started:
            shape = new_shape  # what the next change is compared with: what last ran
    return code


def _run(args: argparse.Namespace, console: Console, setup: Callable[[Engine], None]) -> int:
    try:
        return run_collection(args, console, setup=setup)
    except RunnerError as exc:  # an invalid file: say where, and keep watching
        console.error(exc)
        return int(exc.exit_status)


def _shape(path: Path, console: Console) -> Shape | None:
    try:
        return shape_of(read_text(path), str(path))
    except RunnerError as exc:
        console.error(exc)
        return None


def _clear(console: Console, changed: set[Path], start: int, end: int | None, total: int) -> None:
    names = ", ".join(sorted(p.name for p in changed))
    if start == 0 and end is None:
        what = "running the collection again"
    else:
        what = f"running steps {start + 1}–{end or total} again"
    if _isatty(console.stdout):
        console.stdout.write(CLEAR_SCREEN)
    else:
        console.stdout.write("\n")
    console.stdout.write(f"── {names} changed: {what}\n")
    console.stdout.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _changes(
    files: list[Path], stop: threading.Event | None, debounce_ms: int
) -> Iterable[set[Path]]:
    """Sets of watched files the operating system reports changed (an empty set every half
    second too, so a change made before the watch began is seen by comparing contents)."""
    import watchfiles  # deferred: only --watch needs it

    targets = set(files)
    folders = sorted({str(f.parent) for f in files})
    for batch in watchfiles.watch(
        *folders,
        watch_filter=lambda _change, path: Path(path).resolve() in targets,
        debounce=debounce_ms,
        step=50,
        stop_event=stop,
        rust_timeout=500,
        yield_on_timeout=True,  # an empty batch now and then: contents are compared anyway
        raise_interrupt=True,
    ):
        yield {Path(path).resolve() for _, path in batch}
