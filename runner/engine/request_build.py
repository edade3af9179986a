"""Rendering a request step into the ``PreparedRequest`` the transport sends.

Headers, params and the body are rendered with the step's scope; auth adds its headers or
params (runner.auth.session), oauth1 signs last; the redirect settings, timeout and size cap
are resolved from the step, its folders and the collection. Nothing is sent here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from runner.auth.session import Applied
from runner.core.errors import RenderError
from runner.core.limits import MAX_SECONDS, number_problem
from runner.core.model import Auth, Body, Param, RequestStep
from runner.core.redact import SECRET_HEADER, token_request_secrets
from runner.engine.context import RunContext
from runner.engine.per_step import PerStep
from runner.engine.steps import effective_redirects, pair_count
from runner.http.transport import PreparedRequest
from runner.render.scope import Scope

if TYPE_CHECKING:
    from runner.render.templates import Renderer
    from runner.scripts.bridge import RequestChanges  # only --scripts runs import it

# json.dumps(value, ensure_ascii=False) builds an encoder on every call (a microsecond of a
# request's few): one, shared (encode keeps no state between calls), gives the same text.
_JSON = json.JSONEncoder(ensure_ascii=False)
_NO_AUTH = Applied()  # what a request without auth gets (read, never changed)


class RequestBuilder:
    """Renders request steps for one run."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        # The folders of each request, for the steps that sit in a folder setting redirects.
        self._redirect_parents = {
            id(step): parents
            for step, parents in context.steps
            if isinstance(step, RequestStep) and any(f.redirects is not None for f in parents)
        }
        # What a step sends that no variable changes, once per step: its redirect settings,
        # HTTP/2 and response size cap.
        self._fixed: PerStep[RequestStep, _Fixed] = PerStep(self._fixed_of)
        # Whether a header name looks like a credential's (a pattern search), once per name.
        self._secret_names: dict[str, bool] = {}

    def pairs(self, params: Iterable[Param], scope: Scope) -> list[tuple[str, str]]:
        """The (name, value) pairs of the enabled params, rendered; a list value gives one
        pair per item."""
        render = self.context.renderer.render_str
        out: list[tuple[str, str]] = []
        for param in params:
            value = param.value
            if not param.enabled or value is None:
                continue
            name = render(param.name, scope)  # plain text skips Jinja
            for v in value if isinstance(value, list) else (value,):
                out.append((name, render(v if isinstance(v, str) else str(v), scope)))
        return out

    def build(
        self, step: RequestStep, auth: Auth | None, scope: Scope, index: int = 0
    ) -> PreparedRequest:
        """The request ``step`` sends with ``auth`` applied (not signed yet); ``index`` is the
        step's number for the auth helper's events."""
        context = self.context
        headers = self.pairs(step.headers, scope)
        names = {name.lower() for name, _ in headers}
        content: bytes | None = None
        if step.body is not None:
            content, content_type = self._body(step.body, scope)
            if "content-type" not in names:
                headers.append(("Content-Type", content_type))
        applied = (
            _NO_AUTH
            if auth is None
            else context.auth.apply(auth, scope, index=index, step=step.name, header_names=names)
        )
        headers.extend(applied.headers)
        secret_headers = self.secret_headers(headers)
        fixed = self._fixed.get(step)
        url = context.renderer.render_str(step.url, scope)  # before the params, as always
        params = self.pairs(step.params, scope) if step.params else ()
        return PreparedRequest(
            method=step.method,
            url=url,
            params=(*params, *applied.params) if applied.params else tuple(params),
            headers=tuple(headers),
            content=content,
            timeout=self.request_timeout(step, scope),
            follow_redirects=fixed.follow_redirects,
            max_redirects=fixed.max_redirects,
            keep_method=fixed.keep_method,
            referer=fixed.referer,
            http2=fixed.http2,
            digest=applied.digest,
            secret_headers=secret_headers,
            max_body_bytes=fixed.max_body_bytes,
        )

    def _fixed_of(self, step: RequestStep) -> _Fixed:
        collection = self.context.collection
        redirects = effective_redirects(step, self._redirect_parents.get(id(step), ()), collection)
        return _Fixed(
            follow_redirects=bool(redirects.follow),
            max_redirects=redirects.max if redirects.max is not None else 20,
            keep_method=bool(redirects.keep_method),
            referer=bool(redirects.referer),
            http2=step.http2 if step.http2 is not None else collection.http2,
            max_body_bytes=step.max_response_size or collection.max_response_size,
        )

    def finish(
        self,
        step: RequestStep,
        auth: Auth | None,
        scope: Scope,
        prepared: PreparedRequest,
        changes: RequestChanges | None,
    ) -> PreparedRequest:
        """``prepared`` with what pre-request scripts changed in ``pm.request``; signed last
        (oauth1 signs the request as sent)."""
        sign = self.context.auth.sign
        if changes is None:
            return sign(auth, scope, prepared)
        from runner.scripts.bridge import apply_request_changes

        prepared = apply_request_changes(prepared, changes, pair_count(step.params))
        secret_headers = self.secret_headers(prepared.headers)  # a script's may carry one
        return sign(auth, scope, replace(prepared, secret_headers=secret_headers))

    def secret_headers(self, headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
        """Learn the values of headers named like credentials; the names of the headers that
        carry a secret (never sent across origins on a redirect)."""
        redactor = self.context.redactor
        headers = tuple(headers)
        known = self._secret_names
        for name, value in headers:
            secret = known.get(name)
            if secret is None:
                if len(known) >= 4096:
                    known.clear()
                secret = known[name] = SECRET_HEADER.search(name) is not None
            if secret:
                redactor.add(value)
        return tuple(name for name, value in headers if redactor.mask(value) != value)

    def request_timeout(self, step: RequestStep, scope: Scope) -> float:
        """The step's timeout (or --timeout), cut to what is left of --run-timeout."""
        timeout = step_timeout(step, self.context.renderer, scope) or self.context.options.timeout
        control = self.context.control
        remaining = control.remaining() if control is not None else None
        return timeout if remaining is None else min(timeout, remaining)

    def _body(self, body: Body, scope: Scope) -> tuple[bytes, str]:
        """The rendered body and its content type (the body's own, else its kind's)."""
        renderer = self.context.renderer
        content_type = body.content_type
        if body.kind == "json":
            value = renderer.render_value(body.json, scope)
            content = _JSON.encode(value).encode("utf-8")
            return content, content_type or "application/json"
        if body.kind == "form":
            fields = self.pairs(body.form, scope)
            self.context.redactor.add(token_request_secrets(fields))  # client_secret, code...
            content = urlencode(fields).encode("ascii")
            return content, content_type or "application/x-www-form-urlencoded"
        if body.kind in ("multipart", "graphql", "file"):
            content, encoded_type = self._encode_body(body, scope)
            return content, content_type or encoded_type
        content = renderer.render_str(body.text or "", scope).encode("utf-8")
        return content, content_type or "text/plain; charset=utf-8"

    def _encode_body(self, body: Body, scope: Scope) -> tuple[bytes, str]:
        from runner.http.bodies import encode_body  # deferred: most runs send JSON

        base_dir = Path(self.context.collection.path).parent
        roots = [Path(root) for root in self.context.options.file_roots]
        return encode_body(body, self.context.renderer, scope, base_dir=base_dir, roots=roots)


@dataclass(frozen=True, slots=True)
class _Fixed:
    """The parts of a step's request that no variable changes (RequestBuilder._fixed_of)."""

    follow_redirects: bool
    max_redirects: int
    keep_method: bool
    referer: bool
    http2: bool
    max_body_bytes: int | None


def step_timeout(step: RequestStep, renderer: Renderer, scope: Scope) -> float | None:
    """The step's ``timeout`` in seconds (None: --timeout's); ``timeout: <<slow_s>>`` is
    rendered here, when the step is sent, and must give a number the loader would take."""
    value = step.timeout
    if not isinstance(value, str):
        return value
    rendered = renderer.render_str(value, scope).strip()
    where = getattr(value, "loc", None)
    try:
        seconds = float(rendered)
    except ValueError:
        raise RenderError(
            f"timeout must be a number of seconds, not {rendered!r} (from {value})", where
        ) from None
    problem = "must be greater than 0" if not seconds > 0 else None
    problem = problem or number_problem(seconds, MAX_SECONDS, " seconds (a week)")
    if problem is not None:
        raise RenderError(f"timeout {problem}, not {rendered} (from {value})", where)
    return seconds
