"""``runner export curl COLLECTION``: each request step as the curl command that sends it.

The command is rendered by the engine (``Engine.prepare_request``), so it is exactly the
request a run would send: variables, params, default Content-Type, auth. Nothing is sent. A
value a step only gets at run time (a capture, a pause) is shown as ``<name>``. Secrets are
masked through the run's Redactor unless ``--show-secrets`` is given; an OAuth 2.0 token is
never fetched for an export (its header is a placeholder).

Round trip: ``runner import curl`` of an exported command gives the same step back, for every
option the importer supports.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.core.errors import UsageError
from runner.core.model import Folder, RequestStep, Step, walk

if TYPE_CHECKING:
    from runner.core.redact import Redactor
    from runner.engine.engine import Engine
    from runner.render.scope import Scope


@dataclass(frozen=True)
class CurlExportOptions:
    """``runner export curl``: the collection, its variables, which steps, and the secrets."""

    collection: str
    env: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    steps: Sequence[str] = ()  # names, ids or 'Folder / Name' (none: every request step)
    show_secrets: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)


def export_curl(options: CurlExportOptions) -> str:
    """Each chosen request step as ``# its path`` and its curl command, rendered as a run
    would send it (nothing is sent)."""
    from runner.core.redact import Redactor
    from runner.engine.engine import Engine, RunOptions
    from runner.format.loader import load_collection, load_environment

    collection = load_collection(options.collection)
    environment = load_environment(options.env) if options.env else None
    redactor = Redactor()
    engine = Engine(
        collection,
        environment,
        RunOptions(variables=dict(options.variables), environ=options.environ, token_cache=False),
        redactor=redactor,
    )
    scope = engine.prepare()
    chosen = select(collection.steps, list(options.steps))
    for step, _ in walk(collection.steps):
        for name in _outputs(step):
            if name not in scope:
                scope.capture(name, f"<{name}>")
    commands = []
    for step, parents in chosen:
        command = to_curl(engine, step, parents, scope, None if options.show_secrets else redactor)
        path = " / ".join([*(f.name for f in parents), step.name])
        commands.append(f"# {path}\n{command}\n")
    return "\n".join(commands)


def _outputs(step: Step) -> list[str]:
    from runner.engine.engine import step_outputs

    return step_outputs(step)


def select(
    steps: tuple[Step, ...], wanted: list[str]
) -> list[tuple[RequestStep, tuple[Folder, ...]]]:
    """The request steps to export: all, or those named by name, id or 'Folder / Name'."""
    requests = [(s, p) for s, p in walk(steps) if isinstance(s, RequestStep)]
    if not wanted:
        return requests
    out = []
    for name in wanted:
        found = [
            (s, p)
            for s, p in requests
            if name in (s.name, s.id, " / ".join([*(f.name for f in p), s.name]))
        ]
        if not found:
            import difflib

            names = [s.name for s, _ in requests]
            close = difflib.get_close_matches(name, names, n=1)
            raise UsageError(
                f"no request step is named {name!r}",
                hint=f"did you mean '{close[0]}'?" if close else "steps: " + ", ".join(names),
            )
        out.extend(found)
    return out


def to_curl(
    engine: Engine,
    step: RequestStep,
    parents: tuple[Folder, ...],
    scope: Scope,
    redactor: Redactor | None,
) -> str:
    """The curl command for ``step``; masked with ``redactor`` unless it is None."""
    import httpx

    from runner.engine.engine import effective_auth

    auth = effective_auth(step, parents, engine.collection)
    words: list[str] = ["curl"]
    user: str | None = None
    extra_headers: list[tuple[str, str]] = []
    send_auth = auth
    render = engine.renderer.render_str
    if auth is not None and auth.kind in ("basic", "digest"):
        password = render(auth.password or "", scope)
        engine.redactor.add(password)
        user = f"{render(auth.username or '', scope)}:{password}"
        send_auth = None
    elif auth is not None and auth.kind == "oauth2":
        extra_headers.append(("Authorization", "Bearer <oauth2 access token>"))
        send_auth = None
    prepared = engine.prepare_request(step, scope, send_auth)
    method = prepared.method
    if method == "HEAD":
        words.append("-I")
    elif method != "GET":
        words += ["-X", method]
    url = str(httpx.URL(prepared.url).copy_merge_params(prepared.params))
    url = re.sub(r"%3C(\w+)%3E", r"<\1>", url)  # a run-time value's placeholder, readable
    words.append(_mask(url, redactor))
    multipart = step.body is not None and step.body.kind == "multipart"
    names = {name.lower() for name, _ in prepared.headers}
    for name, value in [*prepared.headers, *extra_headers]:
        if name.lower() == "authorization" and "authorization" in names and extra_headers:
            continue
        if multipart and name.lower() == "content-type" and value.startswith("multipart/"):
            continue  # curl writes its own boundary
        shown = redactor.mask_header(name, value) if redactor else value
        words += ["-H", f"{name}: {shown}"]
    if user is not None:
        if auth is not None and auth.kind == "digest":
            words.append("--digest")
        words += ["-u", _mask(user, redactor)]
    if multipart:
        words += _form_words(engine, step, scope, redactor)
    elif prepared.content is not None:
        try:
            text = prepared.content.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                f"step '{step.name}' sends a binary body, which a curl command line cannot hold"
            ) from None
        words += ["--data-raw", _mask(text, redactor)]
    if prepared.follow_redirects:  # the step's, its folders' or the collection's setting
        words += ["-L", "--max-redirs", str(prepared.max_redirects)]
    if step.timeout is not None:  # rendered, as the step would send it
        words += ["-m", f"{prepared.timeout:g}"]
    return _join(words)


def _form_words(
    engine: Engine, step: RequestStep, scope: Scope, redactor: Redactor | None
) -> list[str]:
    assert step.body is not None
    render = engine.renderer.render_str
    words: list[str] = []
    for part in step.body.parts:
        if not part.enabled:
            continue
        if part.file is not None:
            spec = "@" + render(part.file, scope)
            if part.filename:
                spec += f";filename={render(part.filename, scope)}"
        else:
            spec = render(part.value or "", scope)
        if part.content_type:
            spec += f";type={render(part.content_type, scope)}"
        words += ["-F", _mask(f"{render(part.name, scope)}={spec}", redactor)]
    return words


def _mask(text: str, redactor: Redactor | None) -> str:
    return redactor.mask(text) if redactor is not None else text


_FLAGS = ("-I", "-L", "--digest")


def _join(words: list[str]) -> str:
    """One option per line, continued with backslashes: readable, and pastes into a shell."""
    groups: list[str] = []
    i = 1
    while i < len(words):
        word = words[i]
        if word.startswith("-") and word not in _FLAGS and i + 1 < len(words):
            groups.append(f"{word} {shlex.quote(words[i + 1])}")
            i += 2
        else:
            groups.append(shlex.quote(word))
            i += 1
    return "curl " + " \\\n  ".join(groups)
