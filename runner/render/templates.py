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
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from runner.core.errors import RenderError, SourceLocation
from runner.render.dynamic import dynamic_helpers, uuid4

if TYPE_CHECKING:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RENDERED_CHARS = 10 * 1024 * 1024
_EXACT = re.compile(r"^<<(?![#%])(?P<expr>(?:(?!<<|>>).)+)>>$", re.S)
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")
# Text with plain ``<<name>>`` placeholders (``<<base_url>>/users/<<id>>``), the most common
# template of all, is rendered by substitution, as Jinja would render it, without Jinja: no
# context to build on every request, and a run whose templates are all of this kind does not
# import Jinja at all (start-up time). Anything else (filters, calls, blocks) goes to Jinja.
_PLACEHOLDER = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>>")
_JINJA_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})
_JINJA_GLOBALS = frozenset({"range", "dict"})  # Jinja's own, after the ones removed below
# The caches keyed by template text are emptied when full, so that a run's memory does not
# grow with the number of templates (a 10,000-step collection has 30,000): at worst a template
# is split or compiled again (docs/security.md#limits).
CACHE_LIMIT = 4096  # split templates and the names they read: a few hundred bytes each
COMPILED_LIMIT = 512  # compiled Jinja templates: about 4.5 KB each
_V = TypeVar("_V")


class MissingEnvironmentVariable(RenderError):
    pass


def pkce_verifier(length: int = 43) -> str:
    """A PKCE code_verifier (RFC 7636 §4.1) from the system's secure random source: 43 to 128
    unreserved characters; the default 43 are 32 random octets, base64url (RFC 7636 §4.1)."""
    if isinstance(length, bool) or not isinstance(length, int) or not 43 <= length <= 128:
        raise ValueError("a PKCE code_verifier has 43 to 128 characters (RFC 7636 §4.1)")
    if length == 43:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return secrets.token_urlsafe(96)[:length]  # 128 base64url characters, all unreserved


def pkce_challenge(verifier: str) -> str:
    """The S256 code_challenge of a verifier: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(str(verifier).encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def random_state() -> str:
    """An OAuth ``state`` with 256 bits of entropy (RFC 6749 §10.10 asks for at least 128)."""
    return secrets.token_urlsafe(32)


def random_token(nbytes: int = 32) -> str:
    """``nbytes`` random octets from the secure source, base64url (a nonce, an idempotency
    key); at most 1024."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or not 1 <= nbytes <= 1024:
        raise ValueError("random_token takes a number of bytes from 1 to 1024")
    return secrets.token_urlsafe(nbytes)


def _b64encode(value: Any) -> str:
    return base64.b64encode(str(value).encode("utf-8")).decode("ascii")


class Renderer:
    """Compiles and renders the templates of one run.

    ``environ`` is the operating-system environment that ``env('NAME')`` reads; tests pass
    their own."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self._helpers = self.helpers()
        self._jinja: ImmutableSandboxedEnvironment | None = None
        self._jinja_lock = threading.Lock()
        self._templates: dict[str, jinja2.Template] = {}
        self._expressions: dict[str, jinja2.Template] = {}
        self._simple: dict[str, tuple[str, ...] | None] = {}
        self._names: dict[str, frozenset[str]] = {}

    @property
    def env(self) -> ImmutableSandboxedEnvironment:
        """The Jinja sandbox, made on first use (importing Jinja costs about 15 ms)."""
        if self._jinja is None:
            with self._jinja_lock:
                if self._jinja is None:
                    self._jinja = self._make_env()
        return self._jinja

    def _make_env(self) -> ImmutableSandboxedEnvironment:
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        from runner.render import bounds

        class BoundedSandbox(ImmutableSandboxedEnvironment):
            """The immutable sandbox with runner.render.bounds checked before each ``*``,
            ``**``, ``%`` and call."""

            intercepted_binops = frozenset({"*", "**", "%"})

            def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
                bounds.check_binop(operator, left, right)
                if operator == "%":
                    bounds.check_printf(left)
                return super().call_binop(context, operator, left, right)

            def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
                bounds.check_call(__obj, args, kwargs)
                return super().call(__context, __obj, *args, **kwargs)

        env = BoundedSandbox(
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
            env.globals.pop(name, None)
        env.globals.update(self._helpers)
        env.filters["b64encode"] = _b64encode
        env.filters.update(bounds.bounded_filters(env.filters))
        return env

    def helpers(self) -> dict[str, Callable[..., Any]]:
        """The functions a template may call. Pure, with no access to files or network."""
        return {
            # Postman's {{$guid}}, {{$randomEmail}}... (runner/render/dynamic.py)
            **dynamic_helpers(),
            "env": self._env,
            "uuid": uuid4,
            "random_state": random_state,
            "random_token": random_token,
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
        if self._jinja is not None:
            return frozenset(self._jinja.globals)
        return _JINJA_GLOBALS | frozenset(self._helpers)

    def names(self, text: str) -> frozenset[str]:
        """The names a template reads, helpers included (a variable may shadow a helper);
        raises RenderError on bad syntax."""
        if "<<" not in text:
            return frozenset()
        cached = self._names.get(text)
        if cached is None:
            parts = self._parts(text)
            if parts is not None:
                return _remember(self._names, text, frozenset(parts[1::2]), CACHE_LIMIT)
            import jinja2
            from jinja2 import nodes

            try:
                ast = self.env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                raise self._error(text, exc) from None
            # meta.find_undeclared_variables hides names that match a global, but a user's
            # variable may shadow a helper: collect loaded names ourselves.
            loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
            stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
            cached = _remember(self._names, text, frozenset(loaded - stored), CACHE_LIMIT)
        return cached

    # -- rendering --------------------------------------------------------------------------
    def render_str(self, text: str, scope: Mapping[str, Any]) -> str:
        """Render one string; the result is plain ``str``, never rendered again."""
        if "<<" not in text:
            return str(text)
        parts = self._parts(text)
        if parts is not None:
            if len(parts) == 3 and not parts[0] and not parts[2]:  # "<<name>>" alone
                out = str(_as_text(self._lookup(text, parts[1], scope)))
            else:
                out = "".join(
                    str(_as_text(self._lookup(text, part, scope))) if i % 2 else part
                    for i, part in enumerate(parts)
                )
            if len(out) > MAX_RENDERED_CHARS:
                raise RenderError(
                    f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
                )
            return out
        template = self._templates.get(text)
        try:
            if template is None:  # compiled once per run, on first use
                template = self.env.from_string(text)
                _remember(self._templates, text, template, COMPILED_LIMIT)
            out = self.env.concat(template.root_render_func(self._context(template, scope)))
        except Exception as exc:  # every template failure becomes one RenderError
            raise self._error(text, exc) from None
        if len(out) > MAX_RENDERED_CHARS:
            raise RenderError(
                f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
            )
        return out

    def render_native(self, text: str, scope: Mapping[str, Any]) -> Any:
        """Render a string; if it is exactly ``<< expr >>``, return the expression's own value."""
        if "<<" not in text:
            return str(text)
        name = self._bare_name(text)
        if name is not None:
            value = self._lookup(text, name, scope)
            if isinstance(value, str) and len(value) > MAX_RENDERED_CHARS:
                raise RenderError(
                    f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
                )
            return value
        match = _EXACT.match(text)
        if match is None:
            return self.render_str(text, scope)
        import jinja2

        expr = match.group("expr")
        try:
            compiled = self._expressions.get(expr)
            if compiled is None:
                compiled = self.env.compile_expression(expr, undefined_to_none=False)._template
                _remember(self._expressions, expr, compiled, COMPILED_LIMIT)
            context = self._context(compiled, scope)
            for _ in compiled.root_render_func(context):
                pass
            value = context.vars["result"]
            if isinstance(value, jinja2.Undefined):
                str(value)  # StrictUndefined raises here with its message
        except Exception as exc:
            raise self._error(text, exc) from None
        if isinstance(value, str) and len(value) > MAX_RENDERED_CHARS:
            raise RenderError(
                f"rendered text is larger than {MAX_RENDERED_CHARS} characters", _loc(text)
            )
        return value

    def _parts(self, text: str) -> tuple[str, ...] | None:
        """``(text, name, text, name, ..., text)`` of a template made only of text and
        ``<<name>>`` placeholders (rendered without Jinja), else None."""
        try:
            return self._simple[text]
        except KeyError:
            pass
        parts = tuple(_PLACEHOLDER.split(text))
        texts, names = parts[0::2], parts[1::2]
        simple = (
            all("<<" not in t for t in texts)
            # "<<<x>>": Jinja reads the first "<<" as the tag (and fails): leave it to Jinja
            and all(not t.endswith("<") for t in texts[:-1])
            and not any(n in _JINJA_CONSTANTS for n in names)
        )
        return _remember(self._simple, text, parts if simple else None, CACHE_LIMIT)

    def _bare_name(self, text: str) -> str | None:
        """The variable a template is made of alone (``<< name >>``), else None."""
        parts = self._parts(text)
        if parts is not None and len(parts) == 3 and parts[0] == parts[2] == "":
            return parts[1]
        return None

    def _lookup(self, text: str, name: str, scope: Mapping[str, Any]) -> Any:
        """A placeholder's value, as Jinja would find it: the scope, then the helpers."""
        if name in scope:
            return scope[name]
        if name in self._helpers:
            return self._helpers[name]
        if name in _JINJA_GLOBALS:
            return self.env.globals[name]
        import jinja2

        raise self._error(text, jinja2.UndefinedError(f"'{name}' is undefined"))

    def _context(self, template: jinja2.Template, scope: Mapping[str, Any]) -> Any:
        """A template's context reading the scope and the helpers in place.

        Why not ``template.render(scope)``: that copies the helpers (over a hundred, with the
        Postman dynamic variables) and the scope into a new dict on every call, which cost
        more than the rest of a request step. Variables win over helpers, as with render()."""
        layered: Any = _Layered(scope, self.env.globals)  # Context reads it as a dict does
        return self.env.context_class(self.env, layered, template.name, template.blocks)

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
        import jinja2
        from jinja2.exceptions import SecurityError

        loc = _loc(text)
        if isinstance(exc, RenderError):
            exc.location = exc.location or loc
            return exc
        if isinstance(exc, jinja2.TemplateSyntaxError):
            if loc is not None and exc.lineno and exc.lineno > 1:  # on line 1: all of the text
                loc = SourceLocation(loc.file, loc.line + exc.lineno - 1, 1)
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
                    name_location(text, name),
                    f"define '{name}' in the environment, the collection's variables, "
                    f"or pass --var {name}=VALUE",
                )
            return RenderError(f"undefined value: {exc.message}", loc)
        if isinstance(exc, SecurityError):
            return RenderError(f"unsafe template refused by the sandbox: {exc}", loc)
        return RenderError(f"template failed: {type(exc).__name__}: {exc}", loc)


class _Layered(Mapping[str, Any]):
    """The scope over the helpers, without copying either."""

    __slots__ = ("helpers", "scope")

    def __init__(self, scope: Mapping[str, Any], helpers: Mapping[str, Any]) -> None:
        self.scope = scope
        self.helpers = helpers

    def __getitem__(self, key: str) -> Any:
        if key in self.scope:
            return self.scope[key]
        return self.helpers[key]

    def __contains__(self, key: object) -> bool:
        return key in self.scope or key in self.helpers

    def __iter__(self) -> Iterator[str]:
        return iter({**self.helpers, **self.scope})

    def __len__(self) -> int:
        return len({**self.helpers, **self.scope})


def _as_text(value: Any) -> Any:
    """In text, values read as JSON does: true, null, {"a": 1}, not Python's True, None."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _remember(cache: dict[str, _V], key: str, value: _V, limit: int) -> _V:
    """Keep ``value`` under ``key``, first emptying the cache when it holds ``limit`` (one
    atomic clear: the parallel iterations' threads share the caches)."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


def _loc(text: str) -> SourceLocation | None:
    return getattr(text, "loc", None)


_TAG = re.compile(r"<<%.*?%>>|<<(?![#%]).*?>>", re.S)


def name_location(text: str, name: str) -> SourceLocation | None:
    """Where the tag that reads ``name`` (``<<name>>``, ``<<name | upper>>``) is in ``text``'s
    file, spanning the tag, so that an undefined variable's caret is under the variable; the
    location of ``text`` itself when that cannot be known.

    Only a text written on one line, as a plain scalar or a quoted one without escapes, maps
    character for character to its source: that is when the source's width (from the
    location's end) is the text's length, or two more (the quotes)."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    for tag in _TAG.finditer(text):
        if word.search(tag.group()):
            return span_location(text, tag.start(), tag.end())
    return _loc(text)


def span_location(text: str, start: int, end: int) -> SourceLocation | None:
    """Where ``text[start:end]`` is in its file (see ``name_location``: only a one-line
    text written as it reads maps character for character); else where ``text`` is."""
    loc = _loc(text)
    if loc is None or loc.end_column is None or loc.end_line not in (None, loc.line):
        return loc
    written = loc.end_column - loc.column
    if written == len(text):
        offset = 0
    elif written == len(text) + 2:
        offset = 1
    else:
        return loc
    column = loc.column + offset + start
    return SourceLocation(loc.file, loc.line, column, loc.line, column + end - start)
