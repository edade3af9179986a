"""Before anything is sent: the selection is runnable, the variables render, and every
template of every step only uses variables that will be defined when the step runs.

Why up front: a typo in the twentieth step must not be found after nineteen requests (and
perhaps a browser authorization) were made. ``prepare_run`` raises RenderError (with the
template's file:line and a hint) or UsageError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.auth.session import auth_templates
from runner.core.errors import (
    RenderError,
    RenderErrors,
    SourceLocation,
    UsageError,
    close_matches,
)
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
    param_strings,
    step_outputs,
    step_templates,
)
from runner.render.scope import Scope, build_scope, template_strings
from runner.render.templates import Renderer, name_location, span_location

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
    scripted = script_assigned_names(context, running_only=False)
    if options.scripts or collection.run_scripts:
        known |= scripted
    check_static(context.steps, collection, known | scripted)
    if collection.undefined_variables != "literal":  # literal: sent as written, warned per step
        check_defined(
            context.steps, collection, context.renderer, known, data, scripted - known,
            deferred=built.deferred,
        )  # fmt: skip
    return Prepared(scope, built.base, row_dependent)


def check_static(steps: Selected, collection: Collection, known: AbstractSet[str]) -> None:
    """What can be known of each request without rendering it: JSONPaths and regexes that
    do not compile, headers written with characters that cannot be sent, and ``{{name}}`` of
    a ``known`` variable where ``<<name>>`` was meant (in a URL, param, header or auth field;
    ``<< '{{name}}' >>`` says the braces are meant). Raises RenderError(s)."""
    problems: list[RenderError] = []
    for step, parents in steps:
        if not isinstance(step, RequestStep):
            continue
        problems += [
            RenderError(message, loc, hint) for message, loc, hint in request_problems(step)
        ]
        auth = effective_auth(step, parents, collection)
        texts = [step.url, *param_strings(step.params), *param_strings(step.headers)]
        texts += auth_templates(auth)
        for text in texts:
            if "{{" in text:
                problems += braces_errors(text, known)
    raise_all(problems)


_BRACES = re.compile(r"\{\{([A-Za-z_][\w-]*)\}\}")  # as Postman resolves: no spaces
_TAGS = re.compile(r"<<.*?>>", re.S)


def braces_errors(text: str, known: AbstractSet[str]) -> list[RenderError]:
    """``{{name}}`` of a known variable, outside ``<< >>`` tags: Postman's syntax, which is
    sent as written here."""
    tags = [tag.span() for tag in _TAGS.finditer(text)]
    out = []
    for found in _BRACES.finditer(text):
        name = found.group(1)
        if name not in known or any(a < found.end() and found.start() < b for a, b in tags):
            continue
        out.append(
            RenderError(
                f"'{found.group()}' is sent as written: variables are written <<{name}>>",
                span_location(text, found.start(), found.end()),
                f"write <<{name}>>; to send the braces as they are, write << '{found.group()}' >>",
            )
        )
    return out


def request_problems(
    step: RequestStep,
) -> Iterator[tuple[str, SourceLocation | None, str | None]]:
    """JSONPaths and regexes that do not compile; headers that cannot be sent as written."""
    from runner.check.captures import compile_path
    from runner.http.transport import header_problem

    paths = [(c.target, c.loc) for c in step.checks if c.subject == "json" and c.target]
    paths += [(c.expr, c.loc) for c in step.captures if c.source == "json" and c.expr]
    for path, loc in paths:
        try:
            compile_path(path)
        except Exception as exc:  # jsonpath's errors share no base class of ours
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            yield (
                f"invalid JSONPath {path!r}: {reason}",
                loc,
                "JSONPath as RFC 9535 writes it: $.items[0].id, $..name, $[?@.ok]",
            )
    for capture in step.captures:
        if capture.source == "regex" and capture.expr:
            try:
                re.compile(capture.expr)
            except re.error as exc:
                yield f"invalid regex {capture.expr!r}: {exc}", capture.loc, "Python's re syntax"
    for header in step.headers:
        if not header.enabled or not isinstance(header.value, str):
            continue
        name = header.name if "<<" not in header.name else "X"
        value = header.value if "<<" not in header.value else ""
        problem = header_problem(name, value)
        if problem is not None:
            yield problem, header.loc or step.loc, None


def check_defined(
    steps: Selected,
    collection: Collection,
    renderer: Renderer,
    known: set[str],
    data: DataFile | None,
    scripted: AbstractSet[str] = frozenset(),
    deferred: Mapping[str, RenderError] | None = None,
) -> None:
    """Every variable a step's templates use is known before it runs (defined, from a data
    column, or captured by an earlier step outside its parallel folder), and every template
    compiles; raises RenderError, or RenderErrors listing every problem at once.
    ``scripted``: names scripts set, when scripts do not run (said in the hint). A variable
    whose value reads an unset ``env('X')`` is an error here only if a step uses it
    (``deferred``)."""
    known = set(known)
    defined_later = {name: step for step, _ in steps for name in step_outputs(step)}
    groups = parallel_groups(steps)
    group_end: int | None = None
    pending: set[str] = set()  # captured inside a parallel folder: known after it
    entered: set[int] = set()
    problems: list[RenderError] = []
    seen: set[tuple[str, object]] = set()
    for i, (step, parents) in enumerate(steps):
        if group_end is not None and i >= group_end:
            known |= pending
            pending, group_end = set(), None
        group_end = groups.get(i, group_end)
        own = set(step_outputs(step))
        local = repeat_names(step.flow)
        for text, after_captures in _templates(step, parents, collection, entered):
            try:
                names = renderer.names(text)
                compiles(renderer, text)
            except RenderError as exc:
                problems.append(exc)
                continue
            for name in sorted(names):
                if name in known or name in renderer.helper_names or name in local:
                    continue
                if after_captures and name in own:
                    continue
                loc = name_location(text, name) or step.loc
                if (name, loc) in seen:
                    continue
                seen.add((name, loc))
                if deferred and name in deferred:
                    problems.append(deferred[name])
                    continue
                in_group = name in pending or (group_end is not None and name in defined_later)
                hint = _hint(
                    name, data, defined_later.get(name), in_group=in_group, known=known | local
                )
                if name in scripted:
                    hint = f"'{name}' is set by a script, and scripts run only with --scripts"
                problems.append(
                    RenderError(f"undefined variable '{name}' in step '{step.name}'", loc, hint)
                )
        (pending if group_end is not None else known).update(step_outputs(step))
    raise_all(problems)


def raise_all(problems: list[RenderError]) -> None:
    """Raise the one problem, or all of them together (RenderErrors); nothing if none."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise RenderErrors(problems)


def closest(name: str, candidates: set[str] | frozenset[str]) -> str | None:
    """The candidate closest to ``name`` (a misspelling of it), if any is close."""
    close = close_matches(name, sorted(c for c in candidates if c != name), n=1)
    return close[0] if close else None


def did_you_mean(name: str, candidates: set[str]) -> str:
    """``; did you mean 'x'?`` for the closest candidate, else nothing."""
    close = closest(name, candidates)
    return f"; did you mean '{close}'?" if close else ""


_FILTER = re.compile(r"No (filter|test) named '([^']+)'")


def compiles(renderer: Renderer, text: str) -> None:
    """Compile a template that uses more than ``<<name>>`` placeholders: Jinja finds an
    unknown filter or test only then (``<< x | uper >>`` parsed, and failed at run time)."""
    if "<<" not in text or not ("|" in text or " is " in text):
        return
    import jinja2

    try:
        renderer.env.compile(text)
    except jinja2.TemplateSyntaxError as exc:
        found = _FILTER.search(exc.message or "")
        if found is None:
            loc = span_location(text, 0, len(text))
            raise RenderError(f"template syntax error: {exc.message}", loc) from None
        kind, name = found.groups()
        known = renderer.env.filters if kind == "filter" else renderer.env.tests
        where = text.find(name)
        raise RenderError(
            f"unknown {kind} '{name}'",
            span_location(text, where, where + len(name)) if where >= 0 else None,
            f"{kind}s are those of Jinja2{did_you_mean(name, set(known))}",
        ) from None


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
    close = closest(name, known)
    return (f"did you mean '{close}'? or " if close else "") + (
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


def script_assigned_names(context: RunContext, *, running_only: bool = True) -> set[str]:
    """When scripts run: the names any script sets by a literal name, taken as defined
    before sending (which script runs first is decided at run time, by setNextRequest
    too); a step that reads one before a script set it ends with an undefined-variable
    error then."""
    collection = context.collection
    if running_only and not (context.options.scripts or collection.run_scripts):
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
