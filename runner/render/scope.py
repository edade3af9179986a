"""Variables of a run, in layers. Precedence, highest first: ``--var``, captures made during
the run, the environment, the collection's variables.

Collection and environment values are templates written by the user: they are rendered once,
at the start, in dependency order (so ``redirect_uri: <<base>>/callback`` works wherever
``base`` is defined). ``--var`` values and captures are data: never rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from runner.core.errors import RenderError, SourceLocation
from runner.core.model import Collection, Environment
from runner.core.redact import Redactor, is_secret_name
from runner.render.templates import Renderer, name_location


def template_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from template_strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from template_strings(v)


# Postman's variable layers, lowest precedence first (runner.engine.scripting).
SCRIPT_LAYERS = ("globals", "collectionVariables", "environment", "iterationData", "local")


class Scope(Mapping[str, Any]):
    """The variables visible to a step; a Mapping so Jinja can read it directly."""

    def __init__(
        self,
        base: dict[str, Any],
        overrides: Mapping[str, Any],
        row: Mapping[str, Any] | None = None,
    ) -> None:
        self.base = base  # collection + environment, rendered
        self.captures: dict[str, Any] = {}
        self.overrides = dict(overrides)
        self._merged: dict[str, Any] = {**base, **self.overrides}
        self.row: Mapping[str, Any] = row or {}  # this iteration's data row (--data)
        # Names a Postman script set (run --scripts), with the layer it set them on
        # (SCRIPT_LAYERS): a set on a lower layer does not hide a higher layer's value.
        self.script_layers: dict[str, str] = {}

    def capture(self, name: str, value: Any) -> None:
        self.captures[name] = value
        if name not in self.overrides:
            self._merged[name] = value

    def assign(self, name: str, value: Any, layer: str = "environment") -> None:
        """A script's ``pm.<layer>.set``: like a capture, but it wins over ``--var`` too, as
        Postman's ``pm.environment.set`` replaces a value Newman's ``--env-var`` gave."""
        held = self.script_layers.get(name)
        if held is not None and SCRIPT_LAYERS.index(held) > SCRIPT_LAYERS.index(layer):
            return  # e.g. pm.globals.set under a value pm.environment.set gave
        self.script_layers[name] = layer
        self.captures[name] = value
        self._merged[name] = value

    def unset(self, name: str, layer: str = "environment") -> None:
        """A script's ``unset``: the name falls back to its ``--var`` value, else it is
        undefined (a later step that uses it fails to render)."""
        held = self.script_layers.get(name)
        if held is not None and held != layer:
            return  # another layer holds it
        self.script_layers.pop(name, None)
        self.captures.pop(name, None)
        if name in self.overrides:
            self._merged[name] = self.overrides[name]
        else:
            self._merged.pop(name, None)

    def __getitem__(self, key: str) -> Any:
        return self._merged[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged)

    def __len__(self) -> int:
        return len(self._merged)

    def __contains__(self, key: object) -> bool:
        return key in self._merged


def build_scope(
    collection: Collection,
    environment: Environment | None,
    overrides: Mapping[str, str],
    renderer: Renderer,
    redactor: Redactor,
) -> Scope:
    """Render the collection and environment variables and register secret values.

    Raises RenderError (with the variable's file:line) for an undefined reference, a cycle,
    or a failing helper such as ``env('UNSET')``."""
    raw: dict[str, Any] = dict(collection.variables)
    locs: dict[str, SourceLocation] = dict(collection.variable_locs)
    secrets = set(collection.secrets)
    if environment is not None:
        raw.update(environment.variables)
        locs.update(environment.variable_locs)
        secrets |= environment.secrets
    for name in overrides:
        raw.pop(name, None)
    known = set(raw) | set(overrides)
    resolved: dict[str, Any] = {}
    resolving: list[str] = []

    def resolve(name: str) -> Any:
        if name in resolved:
            return resolved[name]
        if name in resolving:
            cycle = " -> ".join([*resolving[resolving.index(name) :], name])
            raise RenderError(f"variables refer to each other in a cycle: {cycle}", locs.get(name))
        resolving.append(name)
        value = raw[name]
        deps: set[str] = set()
        for text in template_strings(value):
            deps |= renderer.names(text)
        for dep in sorted(deps):
            if dep not in known:
                if dep in renderer.helper_names:
                    continue
                raise RenderError(
                    f"undefined variable '{dep}' in the value of variable '{name}'",
                    _loc_of(value, dep, renderer) or locs.get(name),
                    f"define '{dep}' in the environment or the collection, "
                    f"or pass --var {dep}=VALUE",
                )
            if dep in raw:
                resolve(dep)
        context = {**resolved, **overrides}
        resolved[name] = renderer.render_value(value, context)
        resolving.pop()
        return resolved[name]

    for name in raw:
        resolve(name)
    secrets |= {name for name in overrides if is_secret_name(name)}
    for name in secrets:
        value = overrides.get(name, resolved.get(name))
        redactor.add(value)
    return Scope(resolved, overrides)


def _loc_of(value: Any, name: str, renderer: Renderer) -> SourceLocation | None:
    for text in template_strings(value):
        if name in renderer.names(text):
            return name_location(text, name)
    return None
