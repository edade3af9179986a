"""What the flow-control keys and the selection flags say, before anything runs: which steps
are selected (``--folder``, ``--tag``, ``--exclude-tag``), the templates of ``skip_if``,
``run_if``, ``repeat``, ``retry.until`` and ``goto`` conditions, the parallel folders and
the goto targets.

Why apart from the walker (runner.engine.flow): the checks before sending
(runner.engine.preparation), the exporters and the CLI need these without running anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from runner.core.errors import UsageError
from runner.core.model import Collection, Flow, Folder, Text, walk
from runner.engine.steps import Selected

FALSE_TEXT = frozenset({"", "false", "0", "no", "off", "none", "null"})


# --- selection ---------------------------------------------------------------------------------


def select_steps(
    collection: Collection,
    folders: Iterable[str] = (),
    tags: Iterable[str] = (),
    exclude_tags: Iterable[str] = (),
) -> Selected:
    """The steps to run (folders left out), in order, with the folders that hold them.

    ``folders`` keeps the steps inside any of the named folders (by name or id, at any
    depth); ``tags`` keeps steps that carry one of them (a folder's and the collection's tags
    count for every step inside); ``exclude_tags`` drops steps that carry one of those."""
    everything = walk(collection.steps)
    steps: Selected = [(s, p) for s, p in everything if not isinstance(s, Folder)]
    wanted = tuple(folders)
    if wanted:
        known = [s for s, _ in everything if isinstance(s, Folder)]
        names = {f.name for f in known} | {f.id for f in known if f.id}
        for name in wanted:
            if name not in names:
                import difflib  # deferred, as below: start-up time

                close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
                raise UsageError(
                    f"--folder {name!r}: the collection has no folder of that name or id",
                    hint=f"did you mean '{close[0]}'?"
                    if close
                    else "folders: " + (", ".join(sorted(names)) or "none"),
                )
        steps = [(s, p) for s, p in steps if any(f.name in wanted or f.id in wanted for f in p)]
    include, exclude = set(tags), set(exclude_tags)
    if include or exclude:
        kept: Selected = []
        for step, parents in steps:
            carried = {*collection.tags, *step.tags, *(t for f in parents for t in f.tags)}
            if include and not carried & include:
                continue
            if carried & exclude:
                continue
            kept.append((step, parents))
        steps = kept
    return steps


# --- expressions -------------------------------------------------------------------------------


def condition_template(text: str) -> str:
    """``role == 'admin'`` becomes the template ``<<role == 'admin'>>`` (keeping its line)."""
    if "<<" in text:
        return text
    return Text(f"<<{text}>>", getattr(text, "loc", None))


def truthy(value: Any) -> bool:
    """A condition's value: text such as ``false``, ``0``, ``no`` or empty is false (data files
    give text), anything else by Python's rules."""
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_TEXT
    return bool(value)


def flow_templates(flow: Flow | None) -> tuple[list[str], list[str]]:
    """The templates a step's flow keys render: (before the step, after its captures)."""
    if flow is None:
        return [], []
    before = [condition_template(t) for t in (flow.skip_if, flow.run_if) if t is not None]
    if flow.repeat is not None:
        over = flow.repeat.over
        if isinstance(over, str):
            before.append(over)
        elif isinstance(over, list):
            before.extend(_strings(over))
    after = []
    if flow.retry is not None and flow.retry.until is not None:
        after.append(condition_template(flow.retry.until))
    if flow.goto is not None and flow.goto.condition is not None:
        after.append(condition_template(flow.goto.condition))
    return before, after


def repeat_names(flow: Flow | None) -> set[str]:
    """Variables a step's ``repeat`` defines for the step itself."""
    if flow is None or flow.repeat is None:
        return set()
    return {flow.repeat.var, "repeat_index"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def parallel_groups(steps: Selected) -> dict[int, int]:
    """start -> end (exclusive) of each outermost parallel folder's run of selected steps."""
    groups: dict[int, int] = {}
    i = 0
    while i < len(steps):
        folder = next((f for f in steps[i][1] if f.parallel), None)
        if folder is None:
            i += 1
            continue
        end = i + 1
        while end < len(steps) and any(f is folder for f in steps[end][1]):
            end += 1
        if end - i > 1:
            groups[i] = end
        i = end
    return groups


def goto_targets(steps: Selected, groups: Mapping[int, int]) -> dict[str, int]:
    """Every goto target of the selected steps -> the index it leads to; UsageError when
    ``--folder``/``--tag`` left the target out of the run."""
    index: dict[str, int] = {}
    for i, (step, parents) in reversed(list(enumerate(steps))):
        for item in (step, *parents):
            index[item.name] = i  # reversed: the first step of a folder wins
            if item.id is not None:
                index[item.id] = i
    inside = group_starts(groups)
    targets: dict[str, int] = {}
    for step, _ in steps:
        goto = step.flow.goto if step.flow is not None else None
        if goto is None or goto.target is None:
            continue
        if goto.target not in index:
            raise UsageError(
                f"goto '{goto.target}' in step '{step.name}' leads to a step this run leaves out",
                goto.loc,
                "--folder, --tag and --exclude-tag must keep the step a goto leads to",
            )
        target = index[goto.target]
        targets[goto.target] = inside.get(target, target)
    return targets


def group_starts(groups: Mapping[int, int]) -> dict[int, int]:
    """Each step inside a parallel folder -> the folder's first step (where a jump lands)."""
    return {j: start for start, end in groups.items() for j in range(start, end)}
