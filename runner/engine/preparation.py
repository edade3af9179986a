"""Before anything is sent: the selection is runnable, the variables render, and every
template of every step only uses variables that will be defined when the step runs.

Why up front: a typo in the twentieth step must not be found after nineteen requests (and
perhaps a browser authorization) were made. ``prepare_run`` raises RenderError (with the
template's file:line and a hint) or UsageError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.core.errors import RenderError, UsageError
from runner.core.model import Collection, Environment, Folder, RequestStep, Step, walk
from runner.core.redact import SECRET_HEADER, Redactor
from runner.engine.context import RunContext
from runner.engine.flow_keys import flow_templates, goto_targets, parallel_groups, repeat_names
from runner.engine.options import RunOptions
from runner.engine.steps import (
    Leaf,
    Selected,
    check_templates,
    effective_auth,
    step_outputs,
    step_templates,
)
from runner.render.scope import Scope, build_scope, template_strings
from runner.render.templates import Renderer, name_location

if TYPE_CHECKING:
    from runner.core.model import Scripts
    from runner.format.data import DataFile


@dataclass(frozen=True, slots=True)
class Prepared:
    """The run's first scope, the rendered collection and environment variables, and whether
    they read a data column (then they are rendered again for every row)."""

    scope: Scope
    resolved: dict[str, Any]
    row_dependent: bool


def prepare_run(context: RunContext) -> Prepared:
    """Render the variables and check every template of every step; raises RenderError."""
    collection, options = context.collection, context.options
    register_literal_secrets(collection, context.redactor)  # before an error quotes a line
    check_selection(context.steps, options)
    data = options.data
    columns = set(data.columns) if data else set()
    partial = set(data.partial_columns) if data else set()
    overrides: dict[str, Any] = dict(options.variables)
    row_dependent = data is not None and variables_read(
        collection, context.environment, context.renderer, columns | partial
    )
    if row_dependent:
        overrides = {**dict.fromkeys(columns | partial, ""), **overrides}
    built = build_scope(
        collection, context.environment, overrides, context.renderer, context.redactor
    )
    scope = Scope({"iteration": 1, **built.base}, built.overrides)
    known = set(scope) | columns | {"iteration"} | ({"data"} if data else set())
    known |= script_assigned_names(context)
    check_defined(context.steps, collection, context.renderer, known, data, built.deferred)
    return Prepared(scope, built.base, row_dependent)


def check_defined(
    steps: Selected,
    collection: Collection,
    renderer: Renderer,
    known: set[str],
    data: DataFile | None,
    deferred: Mapping[str, RenderError] | None = None,
) -> None:
    """Every variable a step's templates use is known before it runs (defined, from a data
    column, or captured by an earlier step outside its parallel folder). A variable whose
    value reads an unset ``env('X')`` is an error here only if a step uses it (``deferred``)."""
    known = set(known)
    defined_later = {name: step for step, _ in steps for name in step_outputs(step)}
    groups = parallel_groups(steps)
    group_end: int | None = None
    pending: set[str] = set()  # captured inside a parallel folder: known after it
    entered: set[int] = set()
    for i, (step, parents) in enumerate(steps):
        if group_end is not None and i >= group_end:
            known |= pending
            pending, group_end = set(), None
        group_end = groups.get(i, group_end)
        own = set(step_outputs(step))
        local = repeat_names(step.flow)
        for text, after_captures in _templates(step, parents, collection, entered):
            for name in sorted(renderer.names(text)):
                if name in known or name in renderer.helper_names or name in local:
                    continue
                if after_captures and name in own:
                    continue
                if deferred and name in deferred:
                    raise deferred[name]
                in_group = name in pending or (group_end is not None and name in defined_later)
                raise RenderError(
                    f"undefined variable '{name}' in step '{step.name}'",
                    name_location(text, name) or step.loc,
                    _hint(name, data, defined_later.get(name), in_group=in_group,
                          known=known | local),
                )  # fmt: skip
        (pending if group_end is not None else known).update(step_outputs(step))


def _templates(
    step: Leaf, parents: tuple[Folder, ...], collection: Collection, entered: set[int]
) -> Iterator[tuple[str, bool]]:
    """A step's templates with whether they render after its captures; first those of the
    folders it enters (each folder once, the innermost first)."""
    entering = [folder for folder in parents if id(folder) not in entered]
    entered.update(id(folder) for folder in entering)
    for folder in reversed(entering):
        yield from ((t, False) for t in flow_templates(folder.flow)[0])
    auth = effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None
    before, after = flow_templates(step.flow)
    yield from ((t, False) for t in step_templates(step, auth) + before)
    yield from ((t, True) for t in check_templates(step) + after)


def _did_you_mean(name: str, known: set[str] | frozenset[str]) -> str:
    """``did you mean 'new_id'? `` when a defined name is close (as for a misspelled key)."""
    from runner.core.errors import close_matches

    close = close_matches(name, sorted(n for n in known if n != name), n=1)
    return f"did you mean '{close[0]}'? or " if close else ""


def _hint(
    name: str,
    data: DataFile | None,
    later: Step | None,
    *,
    in_group: bool,
    known: set[str] | frozenset[str] = frozenset(),
) -> str:
    """How to define an undefined variable (first a defined name close to it, if any)."""
    if in_group:
        return (
            f"'{name}' is captured inside the parallel folder this step is in; "
            "steps of a parallel folder cannot use each other's captures"
        )
    if data is not None and name in data.partial_columns:
        hint = f"'{name}' is missing from some rows of {data.path}"
        if name in data.first_missing:
            hint += f" (first: line {data.first_missing[name]})"
        return hint
    if later is not None:
        return (
            f"'{name}' is set by the later step '{later.name}' ({later.loc}); "
            "move that step earlier"
        )
    return _did_you_mean(name, known) + (
        f"define '{name}' in the environment or the collection's variables, "
        f"or pass --var {name}=VALUE"
    )


def unused_columns(
    collection: Collection, environment: Environment | None, renderer: Renderer, data: DataFile
) -> list[tuple[str, str | None]]:
    """The data file's columns that no template reads, each with the used name it is close to
    (``usr`` for ``user``: a misspelled column would otherwise be silently ignored, the
    environment's value used instead). Empty when ``data[...]`` or a script may read them."""
    from runner.core.errors import close_matches

    if collection.scripts is not None or any(
        getattr(step, "scripts", None) is not None for step, _ in walk(collection.steps)
    ):
        return []
    texts: list[str] = [*template_strings(collection.variables)]
    if environment is not None:
        texts += template_strings(environment.variables)
    for step, parents in walk(collection.steps):
        if isinstance(step, Folder):
            texts += flow_templates(step.flow)[0]
            continue
        auth = effective_auth(step, parents, collection) if isinstance(step, RequestStep) else None
        before, after = flow_templates(step.flow)
        texts += step_templates(step, auth) + before + check_templates(step) + after
    used = {name for text in texts for name in renderer.names(text)}
    if "data" in used:
        return []
    columns = [*data.columns, *sorted(data.partial_columns)]
    candidates = sorted(used - set(columns) - renderer.helper_names)
    return [
        (column, next(iter(close_matches(column, candidates, n=1)), None))
        for column in columns
        if column not in used
    ]


def check_selection(steps: Selected, options: RunOptions) -> None:
    """--folder/--tag must leave steps to run, and every goto a step to go to."""
    if not steps:
        chosen = [f"--folder {f}" for f in options.folders]
        chosen += [f"--tag {t}" for t in options.tags]
        chosen += [f"--exclude-tag {t}" for t in options.exclude_tags]
        raise UsageError(
            f"no step of the collection is left to run ({' '.join(chosen)})",
            hint="steps carry the tags of their folders and of the collection",
        )
    goto_targets(steps, parallel_groups(steps))
    if options.parallel < 1:
        raise UsageError("--parallel must be 1 or more")


def variables_read(
    collection: Collection, environment: Environment | None, renderer: Renderer, names: set[str]
) -> bool:
    """Whether a collection or environment variable's value reads one of ``names``."""
    values = list(collection.variables.values())
    if environment is not None:
        values += list(environment.variables.values())
    texts = (text for value in values for text in template_strings(value))
    return any(renderer.names(text) & names for text in texts)


def register_literal_secrets(collection: Collection, redactor: Redactor) -> None:
    """Passwords, tokens and credential headers written literally in the file."""
    auths = [collection.auth]
    for step, _ in walk(collection.steps):
        if isinstance(step, Folder | RequestStep):
            auths.append(step.auth)
        if isinstance(step, RequestStep):
            for header in step.headers:
                if SECRET_HEADER.search(header.name) and isinstance(header.value, str):
                    redactor.add(header.value)
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
                    redactor.add(value)


def script_assigned_names(context: RunContext) -> set[str]:
    """When scripts run: the names any script sets by a literal name, taken as defined
    before sending (which script runs first is decided at run time, by setNextRequest
    too); a step that reads one before a script set it ends with an undefined-variable
    error then."""
    collection = context.collection
    if not (context.options.scripts or collection.run_scripts):
        return set()
    owners: dict[int, Scripts] = {}
    for step, parents in context.steps:
        for owner in (collection, *parents, step):
            scripts = getattr(owner, "scripts", None)
            if scripts is not None:
                owners[id(scripts)] = scripts
    if not owners:
        return set()
    from runner.scripts.syntax import assigned_names  # tree-sitter, lazily

    return {
        name
        for scripts in owners.values()
        for source in (scripts.prerequest, scripts.test)
        if source
        for name in assigned_names(source)
    }
