"""Render ``<<variables>>`` with Jinja2's immutable sandbox, strictly.

Why these settings:
- ``<< >>`` for expressions, and ``<<% %>>`` / ``<<# #>>`` for blocks and comments, so that
  ``{{``, ``{%`` and ``{#`` in bodies (Postman variables, Go templates, JSON) stay literal.
- ``StrictUndefined``: a missing variable is an error, never an empty string in a header.
- ``keep_trailing_newline``: bodies are sent byte for byte.
- Each template is compiled once per Renderer and cached; strings without ``<<`` skip Jinja.
- A value that is exactly ``<< expr >>`` keeps its type (number, boolean, object) in JSON.
- Rendered values are never rendered again: a captured ``<< x >>`` is sent literally.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from runner.errors import RenderError, SourceLocation

MAX_RENDERED_CHARS = 10 * 1024 * 1024
_EXACT = re.compile(r"^<<(?![#%])(?P<expr>(?:(?!<<|>>).)+)>>$", re.S)
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")


class MissingEnvironmentVariable(RenderError):
    pass


def pkce_verifier() -> str:
    """A PKCE code_verifier (RFC 7636 §4.1): 32 random octets, base64url, 43 characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """The S256 code_challenge of a verifier: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(str(verifier).encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def random_state() -> str:
    """An OAuth ``state`` with 256 bits of entropy (RFC 6749 §10.10 asks for at least 128)."""
    return secrets.token_urlsafe(32)


def _b64encode(value: Any) -> str:
    return base64.b64encode(str(value).encode("utf-8")).decode("ascii")


class Renderer:
    """Compiles and renders the templates of one run.

    ``environ`` is the operating-system environment that ``env('NAME')`` reads; tests pass
    their own."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.env = ImmutableSandboxedEnvironment(
            variable_start_string="<<",
            variable_end_string=">>",
            block_start_string="<<%",
            block_end_string="%>>",
            comment_start_string="<<#",
            comment_end_string="#>>",
            line_statement_prefix=None,
            line_comment_prefix=None,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_as_text,
            cache_size=0,  # we keep our own cache keyed by source
        )
        for name in ("lipsum", "cycler", "joiner", "namespace"):  # a minimal surface
            self.env.globals.pop(name, None)
        self.env.globals.update(self.helpers())
        self.env.filters["b64encode"] = _b64encode
        self._templates: dict[str, jinja2.Template] = {}
        self._expressions: dict[str, Callable[..., Any]] = {}
        self._names: dict[str, frozenset[str]] = {}

    def helpers(self) -> dict[str, Callable[..., Any]]:
        """The functions a template may call. Pure, with no access to files or network."""
        return {
            "env": self._env,
            "uuid": lambda: str(uuid.uuid4()),
            "random_state": random_state,
            "pkce_verifier": pkce_verifier,
            "pkce_challenge": pkce_challenge,
            "timestamp": lambda: int(time.time()),
        }

    def _env(self, name: str, default: Any = None) -> Any:
        value = self.environ.get(str(name))
        if value is not None:
            return value
        if default is not None:
            return default
        raise MissingEnvironmentVariable(
            f"environment variable {name!r} is not set",
            hint=f"set it in your shell (export {name}=...) or give env('{name}', 'default')",
        )

    # -- introspection ----------------------------------------------------------------------
    @property
    def helper_names(self) -> frozenset[str]:
        return frozenset(self.env.globals)

    def names(self, text: str) -> frozenset[str]:
        """The names a template reads, helpers included (a variable may shadow a helper);
        raises RenderError on bad syntax."""
        if "<<" not in text:
            return frozenset()
        cached = self._names.get(text)
        if cached is None:
            try:
                ast = self.env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                raise self._error(text, exc) from None
            # meta.find_undeclared_variables hides names that match a global, but a user's
            # variable may shadow a helper: collect loaded names ourselves.
            loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
            stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
            cached = frozenset(loaded - stored)
            self._names[text] = cached
        return cached

    # -- rendering --------------------------------------------------------------------------
    def render_str(self, text: str, scope: Mapping[str, Any]) -> str:
        """Render one string; the result is plain ``str``, never rendered again."""
        if "<<" not in text:
            return str(text)
        template = self._templates.get(text)
        try:
            if template is None:
                template = self.env.from_string(text)
                self._templates[text] = template
            out = template.render(scope)
        except Exception as exc:  # every template failure becomes one RenderError
            raise self._error(text, exc) from None
        if len(out) > MAX_RENDERED_CHARS:
            raise RenderError(
                f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
            )
        return out

    def render_native(self, text: str, scope: Mapping[str, Any]) -> Any:
        """Render a string; if it is exactly ``<< expr >>``, return the expression's own value."""
        match = _EXACT.match(text) if "<<" in text else None
        if match is None:
            return self.render_str(text, scope)
        expr = match.group("expr")
        try:
            compiled = self._expressions.get(expr)
            if compiled is None:
                compiled = self.env.compile_expression(expr, undefined_to_none=False)
                self._expressions[expr] = compiled
            value = compiled(**scope)
            if isinstance(value, jinja2.Undefined):
                str(value)  # StrictUndefined raises here with its message
        except Exception as exc:
            raise self._error(text, exc) from None
        if isinstance(value, str) and len(value) > MAX_RENDERED_CHARS:
            raise RenderError(
                f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
            )
        return value

    def render_value(self, value: Any, scope: Mapping[str, Any]) -> Any:
        """Render every string inside a JSON-like value, keeping types of exact references."""
        if isinstance(value, str):
            return self.render_native(value, scope)
        if isinstance(value, dict):
            return {
                self.render_str(k, scope): self.render_value(v, scope) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.render_value(v, scope) for v in value]
        return value

    def _error(self, text: str, exc: BaseException) -> RenderError:
        loc = _loc(text)
        if isinstance(exc, RenderError):
            exc.location = exc.location or loc
            return exc
        if isinstance(exc, jinja2.TemplateSyntaxError):
            if loc is not None and exc.lineno:
                loc = SourceLocation(
                    loc.file, loc.line + exc.lineno - 1, loc.column if exc.lineno == 1 else 1
                )
            return RenderError(
                f"template syntax error: {exc.message}",
                loc,
                "variables are written <<name>>; expressions <<name | filter>>",
            )
        if isinstance(exc, jinja2.UndefinedError):
            found = _UNDEFINED_NAME.match(str(exc.message))
            if found:
                name = found.group(1)
                return RenderError(
                    f"undefined variable '{name}'",
                    loc,
                    f"define '{name}' in the environment, the collection's variables, "
                    f"or pass --var {name}=VALUE",
                )
            return RenderError(f"undefined value: {exc.message}", loc)
        if isinstance(exc, SecurityError):
            return RenderError(f"unsafe template refused by the sandbox: {exc}", loc)
        return RenderError(f"template failed: {type(exc).__name__}: {exc}", loc)


def _as_text(value: Any) -> Any:
    """In text, values read as JSON does: true, null, {"a": 1}, not Python's True, None."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _loc(text: str) -> SourceLocation | None:
    return getattr(text, "loc", None)
