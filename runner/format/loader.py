"""Read collection and environment files into the typed model, or fail with file:line:column.

YAML is parsed with the safe C parser into nodes (never into objects), with YAML 1.2 core
scalars: only ``true``/``false`` are booleans, ``no``/``on``/``012``/``2024-01-02`` stay as
written. Anchors and aliases are refused (they make "billion laughs" bombs possible and a
collection never needs them; a lone anchor is harmless and allowed); duplicate keys are
refused. Every model string is a ``Text``
that remembers its line, so later errors can point at it. A collection's top-level steps are
turned into the model one at a time as the parser reads them (runner.format.yaml_compose), so a
large file never has all its nodes in memory at once.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner.core.errors import LoadError, SourceLocation, close_matches
from runner.core.limits import MAX_COUNT, MAX_REPEAT, MAX_SECONDS, number_problem
from runner.core.model import (
    IDEMPOTENT_METHODS,
    MATCH_OPS,
    Auth,
    Body,
    BrowserStep,
    Capture,
    Check,
    Collection,
    Environment,
    Example,
    Flow,
    Folder,
    Goto,
    GraphQL,
    LoadSettings,
    Matcher,
    OAuth1,
    OAuth2,
    Param,
    Part,
    PauseStep,
    Redirects,
    Repeat,
    RequestStep,
    Retries,
    Retry,
    Scripts,
    Step,
    Text,
    Threshold,
    walk,
)
from runner.core.redact import is_secret_name
from runner.format import spec
from runner.format.schema_refs import resolve_file_refs
from runner.format.spec import CUSTOM_METHOD, HTTP_METHODS, JSON_TYPE_NAMES, PARAM_TYPES
from runner.format.yaml_compose import compose

_T = TypeVar("_T")

MAX_DEPTH = 64
MAX_FILE_BYTES = 20 * 1024 * 1024
IDENTIFIER = re.compile(spec.IDENTIFIER_PATTERN)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: no yes/no/on/off booleans, no octal 012, no sexagesimal, no dates."""


CoreResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreResolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
CoreResolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
CoreResolver.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)

try:  # libyaml's parser when present: the same nodes and marks, several times faster
    from yaml.cyaml import CParser as _CParser  # type: ignore[attr-defined]

    class _NodeLoader(_CParser, CoreResolver):
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            CoreResolver.__init__(self)

except ImportError:  # pragma: no cover - PyYAML built without libyaml

    class _NodeLoader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        CoreResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            CoreResolver.__init__(self)


def compose_tree(text: str, path: str) -> Node | None:
    """The whole file's node tree, by the parser's own composer (``runner fmt`` compares two)."""
    node: Node | None = _parsing(text, path, lambda loader: loader.get_single_node())
    return node


def _parsing(text: str, path: str, work: Callable[[Any], _T]) -> _T:
    """``work(parser)``, with the parser's errors turned into a LoadError at their mark."""
    loader = _NodeLoader(text)
    try:
        return work(loader)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"malformed YAML: {exc}", SourceLocation(path, 1)) from None
    except RecursionError:
        raise LoadError("malformed YAML: nested too deeply", SourceLocation(path, 1)) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()


# A construct that must be closed: its error is reported where it opened (the parser only
# notices on a later line, which would point one line or more too late).
_OPENED = {"quoted scalar": "quoted string", "flow mapping": "{ mapping", "flow sequence": "[ list"}


def _yaml_error(exc: yaml.MarkedYAMLError, path: str) -> LoadError:
    problem = exc.problem or exc.context or "invalid YAML"
    mark, opened = exc.context_mark, (exc.context or "").split(" a ", 1)[-1]
    if mark is not None and exc.problem_mark is not None and opened in _OPENED:
        if mark.line < exc.problem_mark.line:
            at = exc.problem_mark
            return LoadError(
                f"malformed YAML: the {_OPENED[opened]} opened here is not closed "
                f"({problem} at line {at.line + 1}, column {at.column + 1})",
                SourceLocation(path, mark.line + 1, mark.column + 1),
            )
    mark = exc.problem_mark or exc.context_mark
    loc = SourceLocation(path, mark.line + 1, mark.column + 1) if mark else None
    return LoadError(f"malformed YAML: {problem}", loc)


def read_text(path: Path) -> str:
    """Read a user's file as UTF-8 (a BOM is dropped), or fail with a LoadError naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(
                f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})",
                SourceLocation(str(path), 1),
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise LoadError(f"{path} is a directory, not a YAML file") from None
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            SourceLocation(str(path), line),
        ) from None
    return text.removeprefix("\ufeff")


class _Doc:
    """Turns YAML nodes of one file into model values, raising LoadError at the node."""

    def __init__(self, path: str) -> None:
        self.path = path

    # -- locations and failures ---------------------------------------------------------
    def loc(self, node: Node) -> SourceLocation:
        """Where ``node`` starts, and where it ends (so that an error underlines all of it)."""
        mark, end = node.start_mark, node.end_mark
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            # a block scalar's text starts on the line after its indicator
            return SourceLocation(self.path, mark.line + 2, 1)
        return SourceLocation(
            self.path, mark.line + 1, mark.column + 1, end.line + 1, end.column + 1
        )

    def fail(self, node: Node, message: str, hint: str | None = None) -> NoReturn:
        raise LoadError(message, self.loc(node), hint)

    # -- scalars ----------------------------------------------------------------------------
    def text(self, node: Node, what: str) -> Text:
        """A string field: any scalar, taken exactly as written (so `on` stays "on")."""
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{what} must be a string, not a {_kind(node)}")
        if node.tag not in (_STR, _INT, _FLOAT, _BOOL, _NULL) or (
            node.tag == _NULL and node.value in ("", "~")
        ):
            if node.tag == _NULL:
                self.fail(node, f"{what} must be a string, not empty")
            self.fail(node, f"unsupported YAML tag {node.tag} on {what}")
        return Text(node.value, self.loc(node))

    def scalar(self, node: ScalarNode) -> Any:
        """A typed scalar (YAML 1.2 core); strings come back as Text."""
        tag, value = node.tag, node.value
        try:
            if tag == _STR:
                return Text(value, self.loc(node))
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return value.lower() == "true"
            if tag == _INT:
                if value.startswith(("0x", "0o")):
                    return int(value, 0)
                return int(value)
            if tag == _FLOAT:
                lowered = value.lower()
                if lowered.endswith(".inf"):
                    return -math.inf if lowered.startswith("-") else math.inf
                if lowered == ".nan":
                    return math.nan
                return float(value)
        except ValueError:
            self.fail(node, f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
        self.fail(
            node,
            f"unsupported YAML tag {tag}",
            "only plain strings, numbers, booleans, null, lists and mappings are allowed",
        )

    def value(self, node: Node, depth: int = 0) -> Any:
        """Any YAML value as plain data (dict, list, scalars); used for variables and JSON."""
        if depth > MAX_DEPTH:
            self.fail(node, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            self._plain_tag(node, _SEQ)
            return [self.value(item, depth + 1) for item in node.value]
        if isinstance(node, MappingNode):
            return {  # keys interned: steps repeat their bodies' keys (memory per step)
                sys.intern(str(k)): self.value(v, depth + 1)
                for k, (_, v) in self.mapping(node, "value").items()
            }
        self.fail(node, "unsupported YAML node")

    def boolean(self, node: Node, what: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return bool(self.scalar(node))
        self.fail(node, f"{what} must be true or false, not {_show(node)}")

    def number(
        self,
        node: Node,
        what: str,
        *,
        positive: bool = True,
        maximum: float = MAX_SECONDS,
        unit: str = " seconds (a week)",
    ) -> float:
        """A finite number up to ``maximum`` (seconds by default: ``.inf`` or ``1e999`` would
        overflow the clock when waited for)."""
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT):
            value = self.scalar(node)
            num = float(value) if abs(value) < 10**400 else math.inf
            if positive and not num > 0:
                self.fail(node, f"{what} must be greater than 0")
            problem = number_problem(num, maximum, unit)
            if problem is not None:
                self.fail(node, f"{what} {problem}")
            return num
        self.fail(node, f"{what} must be a number, not {_show(node)}")

    def integer(self, node: Node, what: str) -> int:
        if isinstance(node, ScalarNode) and node.tag == _INT:
            num = int(self.scalar(node))
            if abs(num) > MAX_COUNT:
                self.fail(node, f"{what} must be at most {MAX_COUNT:,}")
            return num
        self.fail(node, f"{what} must be a whole number, not {_show(node)}")

    def count(self, node: Node, what: str, least: int, rule: str) -> int:
        """A whole number of ``least`` or more; the error says ``{what} must be {rule}``."""
        num = self.integer(node, what)
        if num < least:
            self.fail(node, f"{what} must be {rule}")
        return num

    def seconds(self, node: Node, what: str) -> float:
        """A duration: 0 or more seconds."""
        num = self.number(node, what, positive=False)
        if num < 0:
            self.fail(node, f"{what} must be 0 or more seconds")
        return num

    def option(
        self, entries: dict[str, tuple[ScalarNode, Node]], key: spec.Key, what: str = ""
    ) -> Any:
        """An optional key of the spec: its value, read by its type, or the spec's default.
        ``what`` names it in errors (the key's name by default)."""
        if key.name not in entries:
            return key.default
        node = entries[key.name][1]
        if key.type == "bool":
            return self.boolean(node, what or key.name)
        if key.type == "text":
            return self.text(node, what or key.name)
        raise TypeError(f"{key.name}: a {key.type} key is read by its own code")

    def identifier(self, node: Node, what: str) -> Text:
        name = self.text(node, what)
        if not IDENTIFIER.match(name):
            self.fail(
                node,
                f"{what} {name!r} is not a valid variable name",
                "use letters, digits and underscores, not starting with a digit",
            )
        return name

    # -- collections ------------------------------------------------------------------------
    def _plain_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            self.fail(node, f"unsupported YAML tag {node.tag}")

    def mapping(self, node: Node, what: str) -> dict[str, tuple[ScalarNode, Node]]:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping (key: value), not {_show(node)}")
        self._plain_tag(node, _MAP)
        out: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, f"keys in {what} must be plain strings")
            key = Text(key_node.value, self.loc(key_node))
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.fail(key_node, f"duplicate key {key!r} in {what} (first set on line {first})")
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list, not {_show(node)}")
        self._plain_tag(node, _SEQ)
        return list(node.value)

    def check_keys(
        self,
        entries: dict[str, tuple[ScalarNode, Node]],
        node: Node,
        what: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> None:
        allowed = tuple(allowed)
        for key, (key_node, _) in entries.items():
            if key not in allowed:
                close = close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
                )
                self.fail(key_node, f"unknown key '{key}' in {what}", hint)
        self.require(entries, node, what, required)

    def require(
        self,
        entries: dict[str, tuple[ScalarNode, Node]],
        node: Node,
        what: str,
        required: Iterable[str],
    ) -> None:
        for key in required:
            if key not in entries:
                self.fail(node, f"{what} is missing the required key '{key}'")


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return "scalar"


def _show(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return "empty" if node.tag == _NULL else repr(node.value)
    return f"a {_kind(node)}"


class _StepStream:
    """A collection's top-level steps, each turned into the model as soon as the parser has
    read it, so that only one step's nodes are held at a time (docs/security.md#limits).

    The first error is kept and raised when the loader reaches ``steps``, as if the steps
    were read after the rest of the file: malformed YAML, aliases and the collection's own
    keys are still reported first."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.node: Node | None = None  # the `steps` list whose items came here
        self.steps: list[Step] = []
        self.error: LoadError | None = None

    def take(self, node: Node) -> None:
        if self.error is None:
            try:
                self.steps.append(_step(self.doc, node))
            except LoadError as exc:
                self.error = exc

    def result(self) -> list[Step]:
        if self.error is not None:
            raise self.error
        return self.steps


def _parse_root(
    text: str, path: str, what: str, stream: _StepStream | None = None
) -> tuple[_Doc, Node]:
    """The root node; with ``stream``, the root's ``steps`` items go to it, not into the tree.
    Aliases (never expanded: "billion laughs") and nesting deeper than MAX_DEPTH are refused
    after the whole file is parsed, so malformed YAML anywhere is reported first."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise LoadError(
            "file contains a NUL byte; it is not a text file", SourceLocation(path, line)
        )
    key, on_item = ("steps", stream.take) if stream is not None else (None, None)
    resolvers = CoreResolver.yaml_implicit_resolvers
    composed = _parsing(
        text, path, lambda parser: compose(parser, resolvers, MAX_DEPTH, key, on_item)
    )
    root, problem = composed.root, composed.problem
    if stream is not None:
        stream.node = composed.streamed
    if root is None:
        raise LoadError(f"the {what} file is empty", SourceLocation(path, 1))
    doc = stream.doc if stream is not None else _Doc(path)
    if problem is not None and problem.kind == "alias":
        doc.fail(
            problem.node,
            "YAML anchors and aliases (&name / *name) are not supported",
            "write the value out again; collections may be shared by others and "
            "aliases can expand without bound",
        )
    if problem is not None:
        doc.fail(problem.node, f"nested deeper than {MAX_DEPTH} levels")
    return doc, root


# --- collection ------------------------------------------------------------------------------

# The keys each mapping allows and requires come from runner.format.spec (the one definition
# of the format, which the editor schemas are generated from too); the code here reads them.
BODY_KINDS = spec.BODY.one_of
CAPTURE_SOURCES = spec.CAPTURE.one_of


def parse_data(text: str, path: str = "<data>") -> Any:
    """Any YAML (or JSON) document as plain data, through the same safe parser and limits as
    collections (no aliases, no duplicate keys); for schema files and OpenAPI documents."""
    doc, root = _parse_root(text, path, "YAML")
    return doc.value(root)


def load_collection(path: str | Path) -> Collection:
    """Load and validate a collection file; raises LoadError with file:line:col."""
    p = Path(path)
    return parse_collection(read_text(p), str(p))


def parse_collection(text: str, path: str = "<collection>") -> Collection:
    stream = _StepStream(_Doc(path))  # the steps are read one at a time: flat memory
    doc, root = _parse_root(text, path, "collection", stream)
    entries = doc.mapping(root, "the collection")
    doc.check_keys(entries, root, "the collection", spec.COLLECTION.names, spec.COLLECTION.required)
    variables, variable_locs = _variables(doc, entries)
    secrets = _secret_names(doc, entries, variables)
    steps_node = entries["steps"][1]
    steps = stream.result() if steps_node is stream.node else _steps(doc, steps_node, "steps")
    if not steps:
        doc.fail(steps_node, "the collection has no steps")
    name = doc.text(entries["name"][1], "name") if "name" in entries else Path(path).stem
    description = _opt_text(doc, entries, "description")
    auth = _auth(doc, entries["auth"][1]) if "auth" in entries else None
    _check_unique_ids(steps)
    _check_flow(steps)
    return Collection(
        name=str(name), steps=tuple(steps), path=path, description=description,
        variables=variables, variable_locs=variable_locs, secrets=secrets, auth=auth,
        tags=_tags(doc, entries), scripts=_scripts(doc, entries),
        http2=doc.option(entries, spec.COLLECTION["http2"]),
        run_scripts=doc.option(entries, spec.COLLECTION["run_scripts"]),
        undefined_variables=_one_of(doc, entries, "undefined_variables"),
        csv_values=_one_of(doc, entries, "csv_values"),
        missing_files=_one_of(doc, entries, "missing_files"),
        load=_load_settings(doc, entries["load"][1]) if "load" in entries else None,
        retries=_retries(doc, entries["retries"][1]) if "retries" in entries else None,
        max_response_size=_size(doc, entries, "max_response_size"),
        redirects=_redirects(doc, entries),
    )  # fmt: skip


def _load_settings(doc: _Doc, node: Node) -> LoadSettings:
    """``load:`` (runner load): thresholds, and think time as seconds or [min, max]."""
    entries = doc.mapping(node, "load")
    doc.check_keys(entries, node, "load", spec.LOAD.names)
    thresholds: list[Threshold] = []
    if "thresholds" in entries:
        table = doc.mapping(entries["thresholds"][1], "load.thresholds")
        doc.check_keys(table, entries["thresholds"][1], "load.thresholds", spec.THRESHOLDS.names)
        for metric, (_, value) in table.items():
            if metric == "error_rate" and isinstance(value, ScalarNode) and value.tag == _STR:
                text = value.value.strip()
                if not text.endswith("%"):
                    doc.fail(value, "error_rate must be a fraction (0.01) or a percentage (1%)")
                try:
                    limit = float(text[:-1]) / 100
                except ValueError:
                    doc.fail(value, f"error_rate {text!r} is not a percentage")
            else:
                limit = doc.number(
                    value, f"load.thresholds.{metric}", positive=False, maximum=MAX_COUNT
                )
            if limit < 0 or (metric == "error_rate" and limit > 1):
                top = "1 (100%)" if metric == "error_rate" else "infinity"
                doc.fail(value, f"load.thresholds.{metric} must be between 0 and {top}")
            thresholds.append(Threshold(str(metric), limit, doc.loc(value)))
    think: tuple[float, float] | None = None
    if "think_time" in entries:
        value = entries["think_time"][1]
        if isinstance(value, SequenceNode):
            items = doc.sequence(value, "think_time")
            if len(items) != 2:
                doc.fail(value, "think_time must be seconds, or [min, max] seconds")
            low, high = (doc.number(i, "think_time", positive=False) for i in items)
        else:
            low = high = doc.number(value, "think_time", positive=False)
        if low < 0 or high < low:
            doc.fail(value, "think_time must be 0 or more seconds, and min no more than max")
        think = (low, high)
    return LoadSettings(tuple(thresholds), think)


def _variables(
    doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]]
) -> tuple[dict[str, Any], dict[str, SourceLocation]]:
    if "variables" not in entries:
        return {}, {}
    values: dict[str, Any] = {}
    locs: dict[str, SourceLocation] = {}
    for key, (key_node, value_node) in doc.mapping(entries["variables"][1], "variables").items():
        doc.identifier(key_node, "variable")
        values[str(key)] = doc.value(value_node)
        locs[str(key)] = doc.loc(value_node)
    return values, locs


def _secret_names(
    doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], variables: dict[str, Any]
) -> frozenset[str]:
    names = {name for name in variables if is_secret_name(name)}
    if "secrets" in entries:
        for item in doc.sequence(entries["secrets"][1], "secrets"):
            names.add(str(doc.identifier(item, "secret name")))
    return frozenset(names)


def _scripts(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]]) -> Scripts | None:
    """``scripts: {prerequest: JS, test: JS}``: JavaScript kept verbatim from an import; inert."""
    if "scripts" not in entries:
        return None
    node = entries["scripts"][1]
    found = doc.mapping(node, "scripts")
    doc.check_keys(found, node, "scripts", spec.SCRIPT_MAP.names)
    return Scripts(
        prerequest=_opt_text(doc, found, "prerequest"),
        test=_opt_text(doc, found, "test"),
        loc=doc.loc(node),
    )


def _tags(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]]) -> tuple[str, ...]:
    """Labels for selection (``--tag``, pytest ``-m``): identifiers, in a list."""
    if "tags" not in entries:
        return ()
    return tuple(
        str(doc.identifier(item, "tag")) for item in doc.sequence(entries["tags"][1], "tags")
    )


def _opt_text(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], key: str) -> Text | None:
    return doc.text(entries[key][1], key) if key in entries else None


def _steps(doc: _Doc, node: Node, what: str) -> list[Step]:
    return [_step(doc, item) for item in doc.sequence(node, what)]


def _step(doc: _Doc, node: Node) -> Step:
    entries = doc.mapping(node, "a step")
    kinds = [k for k in spec.STEPS if k in entries]
    if len(kinds) != 1:
        if kinds:
            doc.fail(
                node, f"a step must be exactly one kind, but this one has {' and '.join(kinds)}"
            )
        hint = (
            "add 'request: NAME'"
            if "url" in entries
            else "start the step with request:, browser:, pause: or folder:"
        )
        doc.fail(node, "a step needs one of the keys request, browser, pause or folder", hint)
    kind = kinds[0]
    name = doc.text(entries[kind][1], f"the {kind} name")
    what = f"{kind} step '{name}'"
    keys = spec.STEPS[kind]
    doc.check_keys(entries, node, what, keys.names)
    loc = doc.loc(node)
    step_id = _opt_text(doc, entries, "id")
    description = _opt_text(doc, entries, "description")
    if kind == "folder":
        doc.require(entries, node, what, keys.required)
        folder_steps = tuple(_steps(doc, entries["steps"][1], "steps"))
        if not folder_steps:
            doc.fail(entries["steps"][1], f"{what} has no steps")
        return Folder(
            name=str(name), steps=folder_steps, loc=loc,
            id=step_id, description=description,
            auth=_auth(doc, entries["auth"][1]) if "auth" in entries else None,
            tags=_tags(doc, entries), scripts=_scripts(doc, entries),
            flow=_flow(doc, entries), parallel=_parallel(doc, entries, len(folder_steps)),
            redirects=_redirects(doc, entries),
        )  # fmt: skip
    if kind == "pause":
        doc.require(entries, node, what, keys.required)
        from_url = entries.get(Text("from_url"))
        if "state" in entries and from_url is None:
            doc.fail(
                entries["state"][0],
                f"{what}: 'state' is checked on a pasted URL",
                "add 'from_url: code' (the query parameter to take from the pasted URL)",
            )
        return PauseStep(
            name=str(name), loc=loc,
            variable=str(doc.identifier(entries["variable"][1], "variable")),
            id=step_id, description=description, prompt=_opt_text(doc, entries, "prompt"),
            from_url=str(doc.text(from_url[1], "from_url")) if from_url else None,
            state=_opt_text(doc, entries, "state"),
            secret=doc.option(entries, keys["secret"]),
            tags=_tags(doc, entries), flow=_flow(doc, entries),
        )  # fmt: skip
    doc.require(entries, node, what, keys.required)
    method = _method(doc, entries)
    url = doc.text(entries["url"][1], "url")
    params = _params(doc, entries["params"][1], "params") if "params" in entries else ()
    if kind == "browser":
        return BrowserStep(
            name=str(name), url=url, loc=loc, id=step_id, description=description, method=method,
            params=params,
            open=doc.option(entries, keys["open"]),
            tags=_tags(doc, entries), flow=_flow(doc, entries),
        )  # fmt: skip
    return RequestStep(
        name=str(name), method=method, url=url, loc=loc, id=step_id, description=description,
        params=params,
        headers=_params(doc, entries["headers"][1], "headers") if "headers" in entries else (),
        body=_body(doc, entries["body"][1]) if "body" in entries else None,
        auth=_auth(doc, entries["auth"][1]) if "auth" in entries else None,
        timeout=_timeout(doc, entries["timeout"][1]) if "timeout" in entries else None,
        follow_redirects=(
            doc.boolean(entries["follow_redirects"][1], "follow_redirects")
            if "follow_redirects" in entries else None
        ),
        checks=_expect(doc, entries["expect"][1]) if "expect" in entries else (),
        captures=_captures(doc, entries["capture"][1]) if "capture" in entries else (),
        tags=_tags(doc, entries),
        examples=_examples(doc, entries["examples"][1]) if "examples" in entries else (),
        scripts=_scripts(doc, entries), flow=_flow(doc, entries),
        http2=doc.boolean(entries["http2"][1], "http2") if "http2" in entries else None,
        **_resilience(doc, entries, method, what),
        redirects=_redirects(doc, entries, what),
    )  # fmt: skip


def _method(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]]) -> str:
    if "method" not in entries:
        return "GET"
    node = entries["method"][1]
    written = doc.text(node, "method")
    if written in HTTP_METHODS:  # the common case: no "did you mean" work, no copy per step
        return HTTP_METHODS[HTTP_METHODS.index(written)]
    if CUSTOM_METHOD.match(written) and not close_matches(written, HTTP_METHODS, n=1, cutoff=0.75):
        return str(written)  # an extension method (COPY, PURGE, ...), taken as written
    method = written.upper()
    if method not in HTTP_METHODS:
        close = close_matches(method, HTTP_METHODS, n=1)
        doc.fail(
            node,
            f"unknown HTTP method {method!r}",
            f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(HTTP_METHODS)}",
        )
    return sys.intern(method)


def _params(doc: _Doc, node: Node, what: str) -> tuple[Param, ...]:
    out: list[Param] = []
    for key, (key_node, value_node) in doc.mapping(node, what).items():
        if isinstance(value_node, MappingNode):
            out.append(_documented_param(doc, key, value_node, what))
        else:
            out.append(
                Param(key, _param_value(doc, value_node, f"{what}.{key}"), loc=doc.loc(key_node))
            )
    return tuple(out)


def _param_value(doc: _Doc, node: Node, what: str) -> Any:
    if isinstance(node, SequenceNode):
        return [doc.text(item, what) for item in doc.sequence(node, what)]
    return doc.text(node, what)


def _documented_param(doc: _Doc, name: str, node: MappingNode, what: str) -> Param:
    entries = doc.mapping(node, f"{what}.{name}")
    doc.check_keys(entries, node, f"{what}.{name}", spec.PARAM.names)
    type_ = None
    if "type" in entries:
        type_ = doc.text(entries["type"][1], "type")
        if type_ not in PARAM_TYPES:
            doc.fail(
                entries["type"][1],
                f"unknown type {type_!r}",
                f"use one of {', '.join(PARAM_TYPES)}",
            )
    enum = None
    if "enum" in entries:
        enum = tuple(doc.value(item) for item in doc.sequence(entries["enum"][1], "enum"))
    return Param(
        name=name,  # a Text: names are templates, their errors point here
        value=_param_value(doc, entries["value"][1], f"{what}.{name}")
        if "value" in entries
        else None,
        type=str(type_) if type_ else None,
        required=doc.option(entries, spec.PARAM["required"]),
        description=_opt_text(doc, entries, "description"),
        enabled=doc.option(entries, spec.PARAM["enabled"]),
        enum=enum,
        loc=doc.loc(node),
    )


def _body(doc: _Doc, node: Node) -> Body:
    entries = doc.mapping(node, "body")
    doc.check_keys(entries, node, "body", spec.BODY.names)
    kinds = [k for k in BODY_KINDS if k in entries]
    if len(kinds) != 1:
        doc.fail(node, "body needs exactly one of json, form, text, multipart, graphql or file")
    kind = kinds[0]
    content_type = _opt_text(doc, entries, "content_type")
    fields = _params(doc, entries["fields"][1], "body.fields") if "fields" in entries else ()
    if fields and kind != "json":
        doc.fail(
            entries["fields"][0],
            "body.fields documents JSON bodies",
            "document form fields on the fields themselves: {value, type, required, ...}",
        )
    value_node = entries[kind][1]
    loc = doc.loc(value_node)
    if kind == "json":
        return Body(
            "json", json=doc.value(value_node), content_type=content_type, fields=fields, loc=loc
        )
    if kind == "form":
        return Body(
            "form", form=_params(doc, value_node, "body.form"), content_type=content_type, loc=loc
        )
    if kind == "multipart":
        return Body("multipart", parts=_parts(doc, value_node), content_type=content_type, loc=loc)
    if kind == "graphql":
        query = _graphql(doc, value_node)
        return Body("graphql", graphql=query, content_type=content_type, loc=loc)
    if kind == "file":
        path = doc.text(value_node, "body.file")
        return Body("file", file=path, content_type=content_type, loc=loc)
    return Body("text", text=doc.text(value_node, "body.text"), content_type=content_type, loc=loc)


def _auth(doc: _Doc, node: Node) -> Auth:
    kinds = ", ".join(spec.AUTH_TYPES)
    entries = doc.mapping(node, "auth")
    if "type" not in entries:
        doc.fail(node, "auth is missing the required key 'type'", f"use type: {kinds}")
    kind = doc.text(entries["type"][1], "auth type")
    if kind not in spec.AUTH_TYPES:
        close = close_matches(kind, spec.AUTH_TYPES, n=1)
        doc.fail(
            entries["type"][1],
            f"unknown auth type {kind!r}",
            f"did you mean '{close[0]}'?" if close else f"use {kinds}",
        )
    keys = spec.AUTH_TYPES[kind]
    doc.check_keys(entries, node, f"{kind} auth", keys.names, keys.required)
    loc = doc.loc(node)
    if kind in ("basic", "digest"):
        return Auth(
            kind,  # type: ignore[arg-type]
            username=doc.text(entries["username"][1], "username"),
            password=doc.text(entries["password"][1], "password"),
            loc=loc,
        )
    if kind == "bearer":
        return Auth("bearer", token=doc.text(entries["token"][1], "token"), loc=loc)
    if kind == "apikey":
        where = "header"
        if "in" in entries:
            where = doc.text(entries["in"][1], "apikey in")
            if where not in ("header", "query"):
                doc.fail(entries["in"][1], f"apikey 'in' must be header or query, not {where!r}")
        return Auth(
            "apikey",
            key=doc.text(entries["key"][1], "apikey key"),
            value=doc.text(entries["value"][1], "apikey value"),
            where=where,  # type: ignore[arg-type]
            loc=loc,
        )
    if kind == "oauth2":
        return Auth("oauth2", oauth2=_oauth2(doc, node, entries), loc=loc)
    if kind == "oauth1":
        return Auth("oauth1", oauth1=_oauth1(doc, node, entries), loc=loc)
    return Auth("none", loc=loc)


def _oauth1(doc: _Doc, node: Node, entries: dict[str, tuple[ScalarNode, Node]]) -> OAuth1:
    from runner.core.model import OAUTH1_PLACEMENTS as PLACEMENTS
    from runner.core.model import OAUTH1_SIGNATURE_METHODS as SIGNATURE_METHODS

    def text(key: str) -> Text | None:
        return doc.text(entries[key][1], f"oauth1 {key}") if key in entries else None

    method = (text("signature_method") or "HMAC-SHA1").upper()
    if method not in SIGNATURE_METHODS:
        close = close_matches(method, SIGNATURE_METHODS, n=1)
        doc.fail(
            entries["signature_method"][1],
            f"unknown oauth1 signature_method {method!r}",
            f"did you mean '{close[0]}'?" if close else f"use {', '.join(SIGNATURE_METHODS)}",
        )
    if method.startswith("RSA-") and "private_key" not in entries:
        doc.fail(node, f"oauth1 auth with signature_method {method} needs 'private_key' (PEM)")
    where = text("in") or "header"
    if where not in PLACEMENTS:
        doc.fail(entries["in"][1], f"oauth1 'in' must be header, query or body, not {where!r}")
    return OAuth1(
        consumer_key=doc.text(entries["consumer_key"][1], "oauth1 consumer_key"),
        consumer_secret=text("consumer_secret"),
        token=text("token"),
        token_secret=text("token_secret"),
        signature_method=method,
        private_key=text("private_key"),
        realm=text("realm"),
        callback=text("callback"),
        verifier=text("verifier"),
        nonce=text("nonce"),
        timestamp=text("timestamp"),
        version="1.0" if "version" not in entries else (text("version") or ""),
        where=where,  # type: ignore[arg-type]
        body_hash=doc.option(entries, spec.AUTH_ANY["body_hash"], "oauth1 body_hash"),
        loc=doc.loc(node),
    )


def _oauth2(doc: _Doc, node: Node, entries: dict[str, tuple[ScalarNode, Node]]) -> OAuth2:
    grants = tuple(spec.OAUTH2_GRANTS)
    grant = doc.text(entries["grant"][1], "oauth2 grant")
    if grant not in spec.OAUTH2_GRANTS:
        close = close_matches(grant, grants, n=1)
        doc.fail(
            entries["grant"][1],
            f"unknown oauth2 grant {grant!r}",
            f"did you mean '{close[0]}'?" if close else f"use {', '.join(grants)}",
        )
    needed = list(spec.OAUTH2_GRANTS[grant])
    if "issuer" not in entries:  # else discovered from the issuer's openid-configuration
        if "token_url" not in entries:
            doc.fail(node, "oauth2 auth is missing the required key 'token_url'")
        if grant == "authorization_code":
            needed.insert(0, "auth_url")
        if grant == "device_code":
            needed.insert(0, "device_authorization_url")
    for key in needed:
        if key not in entries:
            doc.fail(node, f"oauth2 auth with grant {grant} is missing the required key '{key}'")
    for key, owner in spec.OAUTH2_GRANT_ONLY.items():
        if key in entries and owner != grant:
            doc.fail(entries[key][0], f"'{key}' applies to grant {owner} only, not {grant}")
    if "refresh_token" in entries and grant not in spec.OAUTH2_REFRESH_GRANTS:
        doc.fail(
            entries["refresh_token"][0],
            f"'refresh_token' applies to grants {', '.join(spec.OAUTH2_REFRESH_GRANTS)}, "
            f"not {grant}",
        )

    def text(key: str) -> Text | None:
        return doc.text(entries[key][1], f"oauth2 {key}") if key in entries else None

    scopes: tuple[str, ...] = ()
    if "scopes" in entries:
        scopes_node = entries["scopes"][1]
        if isinstance(scopes_node, ScalarNode):
            scopes = (doc.text(scopes_node, "oauth2 scopes"),)
        else:
            scopes = tuple(
                doc.text(item, "an oauth2 scope") for item in doc.sequence(scopes_node, "scopes")
            )
    params: list[tuple[str, str]] = []
    if "params" in entries:
        for name, (_, value) in doc.mapping(entries["params"][1], "oauth2 params").items():
            params.append((str(name), doc.text(value, f"oauth2 params {name}")))
    from runner.core.model import OAUTH2_CLIENT_AUTH, OAUTH2_CLIENT_AUTH_ALIASES

    client_auth = text("client_auth") or "basic"
    known = (*OAUTH2_CLIENT_AUTH, *OAUTH2_CLIENT_AUTH_ALIASES)
    if "<<" not in client_auth and client_auth not in known:  # a template is checked when sent
        doc.fail(
            entries["client_auth"][1],
            f"oauth2 client_auth must be one of {', '.join(OAUTH2_CLIENT_AUTH)}, "
            f"not {client_auth!r}",
            "basic and body are accepted too, as client_secret_basic and client_secret_post",
        )
    return OAuth2(
        grant=grant,  # type: ignore[arg-type]
        token_url=text("token_url") or "",
        client_id=doc.text(entries["client_id"][1], "oauth2 client_id"),
        auth_url=text("auth_url"),
        client_secret=text("client_secret"),
        scopes=scopes,
        redirect_uri=text("redirect_uri"),
        pkce=doc.option(entries, spec.AUTH_ANY["pkce"], "oauth2 pkce"),
        client_auth=client_auth,
        account_id=text("account_id"),
        refresh_token=text("refresh_token"),
        params=tuple(params),
        issuer=text("issuer"),
        device_authorization_url=text("device_authorization_url"),
        client_assertion_key=text("client_assertion_key"),
        loc=doc.loc(node),
    )


def _matchers(doc: _Doc, node: Node) -> tuple[tuple[Matcher, ...], str | None]:
    """A plain value means equality; a mapping whose keys are all operators is a comparison,
    which ``name:`` beside the operators names (the check's name in reports)."""
    if isinstance(node, MappingNode):
        entries = doc.mapping(node, "expectation")
        ops = [k for k in entries if k in MATCH_OPS]
        name_entry = entries.get(spec.CHECK_NAME) if ops else None
        if ops and len(ops) + (name_entry is not None) == len(entries):
            out = []
            for op in ops:
                value_node = entries[op][1]
                expected = doc.value(value_node)
                if op == "matches":
                    pattern = doc.text(value_node, "matches")
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        doc.fail(value_node, f"invalid regular expression: {exc}")
                if op == "exists":
                    expected = doc.boolean(value_node, "exists")
                if op == "type":
                    expected = str(doc.text(value_node, "type"))  # `type: null` means "null"
                if op in ("in", "length") and not isinstance(expected, list if op == "in" else int):
                    takes = "a list" if op == "in" else "a number"
                    doc.fail(value_node, f"'{op}' takes {takes}")
                if op == "type" and expected not in JSON_TYPE_NAMES:
                    doc.fail(
                        value_node,
                        f"unknown type {expected!r}",
                        f"use one of {', '.join(JSON_TYPE_NAMES)}",
                    )
                out.append(Matcher(cast(Any, str(op)), expected))
            name = _check_name(doc, name_entry[1]) if name_entry is not None else None
            return tuple(out), name
        if ops:
            doc.fail(
                node,
                f"expectation mixes operators ({', '.join(ops)}) with other keys",
                "to compare with a mapping that has such keys, write {eq: {...}}",
            )
    return (Matcher("eq", doc.value(node)),), None


def _one_of(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], name: str) -> str:
    """A collection setting that takes one of its spec's values."""
    key = spec.COLLECTION[name]
    value = str(doc.option(entries, key))
    if value not in key.values:
        doc.fail(entries[key.name][1], f"{name} must be {' or '.join(key.values)}, not {value!r}")
    return value


def _check_name(doc: _Doc, node: Node) -> str:
    name = str(doc.text(node, "the check's name"))
    if not name.strip():
        doc.fail(node, "the check's name must not be empty")
    return name


def _max_time(doc: _Doc, node: Node, loc: SourceLocation) -> Check:
    """``max_time_ms: 800``, or ``{le: 800, name: ...}`` to name the check."""
    name = None
    value_node = node
    if isinstance(node, MappingNode):
        entries = doc.mapping(node, "max_time_ms")
        doc.check_keys(entries, node, "max_time_ms", ("le", spec.CHECK_NAME))
        if "le" not in entries:
            doc.fail(node, "max_time_ms needs 'le': the most milliseconds the response may take")
        value_node = entries["le"][1]
        if spec.CHECK_NAME in entries:
            name = _check_name(doc, entries[spec.CHECK_NAME][1])
    limit: Any = (
        doc.number(value_node, "max_time_ms", maximum=MAX_COUNT)
        if not _templated(value_node)
        else doc.text(value_node, "max_time_ms")
    )  # <<slow_ms>>: rendered when checked
    return Check("time", None, (Matcher("le", limit),), loc, name)


def _expect(doc: _Doc, node: Node) -> tuple[Check, ...]:
    entries = doc.mapping(node, "expect")
    doc.check_keys(entries, node, "expect", spec.EXPECT.names)
    checks: list[Check] = []
    for key, (key_node, value_node) in entries.items():
        loc = doc.loc(key_node)
        if key == "status":
            if isinstance(value_node, SequenceNode):
                codes = [doc.integer(n, "status") for n in doc.sequence(value_node, "status")]
                checks.append(Check("status", None, (Matcher("in", codes),), loc))
            elif isinstance(value_node, ScalarNode):
                checks.append(
                    Check("status", None, (Matcher("eq", doc.integer(value_node, "status")),), loc)
                )
            else:
                matchers, name = _matchers(doc, value_node)
                checks.append(Check("status", None, matchers, loc, name))
        elif key in ("headers", "json"):
            for target, (t_node, v_node) in doc.mapping(value_node, f"expect.{key}").items():
                if key == "json" and not target.startswith("$"):
                    doc.fail(
                        t_node, f"JSONPath {target!r} must start with '$'", f"write '$.{target}'"
                    )
                matchers, name = _matchers(doc, v_node)
                checks.append(
                    Check(
                        "header" if key == "headers" else "json",
                        sys.intern(str(target)),  # steps repeat their paths: one copy
                        matchers,
                        doc.loc(t_node),
                        name,
                    )
                )
        elif key == "body":
            matchers, name = _matchers(doc, value_node)
            checks.append(Check("body", None, matchers, loc, name))
        elif key == "max_time_ms":
            checks.append(_max_time(doc, value_node, loc))
        elif key == "schema":
            checks.append(_schema_check(doc, value_node, loc))
    return tuple(checks)


def _timeout(doc: _Doc, node: Node) -> float | str:
    """``timeout: 10``, or ``timeout: <<slow_s>>`` rendered when the step is sent."""
    return doc.text(node, "timeout") if _templated(node) else doc.number(node, "timeout")


def _templated(node: Node) -> bool:
    """A string scalar holding a ``<<variable>>`` (a number key may take one)."""
    return isinstance(node, ScalarNode) and node.tag == _STR and "<<" in node.value


STATUS_KEY = re.compile(r"^(?:[1-5][0-9][0-9]|[1-5]XX|default)$")


def _schema_check(doc: _Doc, node: Node, loc: SourceLocation) -> Check:
    """``schema:`` is one JSON Schema, or a mapping of status code (``200``, ``4XX``,
    ``default``) to the schema of that status; ``$ref`` may name a file (schema_refs.py)."""
    schema = doc.value(node)
    if not isinstance(schema, dict):
        doc.fail(node, "schema must be a JSON Schema mapping")
    base = Path(doc.path).parent
    if schema and all(STATUS_KEY.match(str(k)) for k in schema):
        by_status: dict[str, Any] = {}
        for status, (_, sub_node) in doc.mapping(node, "schema").items():
            sub = doc.value(sub_node)
            if not isinstance(sub, dict):
                doc.fail(sub_node, f"the schema for status {status} must be a mapping")
            by_status[str(status)] = _check_schema(
                doc, sub_node, resolve_file_refs(sub, base, read_schema_file)
            )
        return Check("schema", None, (Matcher("in", by_status),), loc)
    schema = _check_schema(doc, node, resolve_file_refs(schema, base, read_schema_file))
    return Check("schema", None, (Matcher("eq", schema),), loc)


def read_schema_file(path: Path) -> Any:
    """A schema file named by a ``$ref``, as plain data: JSON, or YAML through the safe path."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(
                f"malformed JSON: {exc.msg}", SourceLocation(str(path), exc.lineno, exc.colno)
            ) from None
    return parse_data(text, str(path))


def _check_schema(doc: _Doc, node: Node, schema: dict[str, Any]) -> dict[str, Any]:
    import jsonschema  # deferred: only collections with schemas pay for the import

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        doc.fail(node, f"invalid JSON Schema: {exc.message}")
    return schema


def _examples(doc: _Doc, node: Node) -> tuple[Example, ...]:
    """Example responses for the documentation: status, description, headers, json or text."""
    out: list[Example] = []
    for item in doc.sequence(node, "examples"):
        entries = doc.mapping(item, "an example")
        doc.check_keys(entries, item, "an example", spec.EXAMPLE.names, spec.EXAMPLE.required)
        if "json" in entries and "text" in entries:
            doc.fail(item, "an example has json or text, not both")
        status = doc.integer(entries["status"][1], "status")
        if not 100 <= status <= 599:
            doc.fail(entries["status"][1], f"status {status} is not an HTTP status code")
        headers: tuple[tuple[str, str], ...] = ()
        if "headers" in entries:
            headers = tuple(
                (str(k), str(doc.text(v, f"headers.{k}")))
                for k, (_, v) in doc.mapping(entries["headers"][1], "headers").items()
            )
        body: Any = None
        if "json" in entries:
            body = doc.value(entries["json"][1])
        elif "text" in entries:
            body = str(doc.text(entries["text"][1], "text"))
        out.append(
            Example(
                status=status, description=_opt_text(doc, entries, "description"),
                headers=headers, body=body, is_json="json" in entries, loc=doc.loc(item),
            )
        )  # fmt: skip
    return tuple(out)


def _captures(doc: _Doc, node: Node) -> tuple[Capture, ...]:
    out: list[Capture] = []
    for name, (key_node, value_node) in doc.mapping(node, "capture").items():
        doc.identifier(key_node, "capture variable")
        loc = doc.loc(key_node)
        if isinstance(value_node, ScalarNode):
            path = doc.text(value_node, f"capture {name}")
            if not path.startswith("$"):
                doc.fail(
                    value_node,
                    f"capture {name!r}: a plain value must be a JSONPath starting with '$'",
                    "or write {header: NAME}, {regex: PATTERN}, {cookie: NAME}",
                )
            shared = sys.intern(str(path))  # steps repeat their paths: one copy
            out.append(Capture(str(name), "json", shared, is_secret_name(name), loc=loc))
            continue
        entries = doc.mapping(value_node, f"capture {name}")
        doc.check_keys(entries, value_node, f"capture {name}", spec.CAPTURE.names)
        sources = [k for k in CAPTURE_SOURCES if k in entries]
        if len(sources) != 1:
            doc.fail(
                value_node, f"capture {name!r} needs exactly one of {', '.join(CAPTURE_SOURCES)}"
            )
        source = sources[0]
        src_node = entries[source][1]
        expr: str | None
        if source in ("status", "body"):
            if not doc.boolean(src_node, source):
                doc.fail(src_node, f"write '{source}: true' to capture the {source}")
            expr = None
        else:
            expr = str(doc.text(src_node, source))
            if source == "regex":
                try:
                    re.compile(expr)
                except re.error as exc:
                    doc.fail(src_node, f"invalid regular expression: {exc}")
            if source == "json" and not expr.startswith("$"):
                doc.fail(src_node, f"JSONPath {expr!r} must start with '$'")
        secret = (
            doc.boolean(entries["secret"][1], "secret")
            if "secret" in entries
            else is_secret_name(name)
        )
        group = doc.integer(entries["group"][1], "group") if "group" in entries else 1
        if group < 0:
            doc.fail(entries["group"][1], "group must be 0 (the whole match) or more")
        optional = "optional" in entries and doc.boolean(entries["optional"][1], "optional")
        has_default = "default" in entries
        default = doc.value(entries["default"][1]) if has_default else None
        out.append(
            Capture(
                str(name),
                cast(Any, source),
                expr,
                secret,
                group,
                loc,
                optional=optional,
                has_default=has_default,
                default=default,
            )
        )
    return tuple(out)


def _check_unique_ids(steps: list[Step]) -> None:
    seen: dict[str, SourceLocation] = {}
    for step, _ in walk(tuple(steps)):
        if step.id is None:
            continue
        if step.id in seen:
            raise LoadError(
                f"duplicate step id {step.id!r} (first used at {seen[step.id]})", step.loc
            )
        seen[step.id] = step.loc


# --- flow control, multipart and GraphQL bodies (issue 6) --------------------------------------

MAX_PARALLEL = spec.MAX_PARALLEL


def _flow(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]]) -> Flow | None:
    """The flow-control keys of a step (only those its kind allows reach here)."""
    if not any(k in entries for k in spec.FLOW_KEYS):
        return None
    return Flow(
        skip_if=_expression(doc, entries, "skip_if"),
        run_if=_expression(doc, entries, "run_if"),
        delay=doc.seconds(entries["delay"][1], "delay") if "delay" in entries else None,
        retry=_retry(doc, entries["retry"][1]) if "retry" in entries else None,
        repeat=_repeat(doc, entries["repeat"][1]) if "repeat" in entries else None,
        goto=_goto(doc, entries["goto"][1]) if "goto" in entries else None,
    )


def _expression(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], key: str) -> Text | None:
    """A condition: an expression such as ``role == 'admin'`` (``<< >>`` around it optional)."""
    if key not in entries:
        return None
    node = entries[key][1]
    if isinstance(node, ScalarNode) and node.tag == _BOOL:
        return Text(node.value.lower(), doc.loc(node))  # `skip_if: true`
    return doc.text(node, key)


def _retry(doc: _Doc, node: Node) -> Retry:
    if isinstance(node, ScalarNode):
        return Retry(doc.count(node, "retry", 1, "1 or more attempts"), loc=doc.loc(node))
    entries = doc.mapping(node, "retry")
    doc.check_keys(entries, node, "retry", spec.RETRY.names, spec.RETRY.required)
    attempts = doc.count(entries["max"][1], "retry.max", 1, "1 or more attempts")
    interval = 1.0
    if "interval" in entries:
        interval = doc.seconds(entries["interval"][1], "retry.interval")
    return Retry(attempts, interval, _expression(doc, entries, "until"), doc.loc(node))


def _retries(doc: _Doc, node: Node) -> Retries:
    """``retries: N`` or ``{max, backoff, max_delay}`` (runner.engine.retries)."""
    if isinstance(node, ScalarNode):
        return Retries(doc.count(node, "retries", 0, "0 (off) or more"), loc=doc.loc(node))
    entries = doc.mapping(node, "retries")
    doc.check_keys(entries, node, "retries", spec.RETRIES_MAP.names, spec.RETRIES_MAP.required)
    count = doc.count(entries["max"][1], "retries.max", 0, "0 (off) or more")
    seconds = {
        key: doc.seconds(entries[key][1], f"retries.{key}")
        for key in ("backoff", "max_delay")
        if key in entries
    }
    return Retries(count, **seconds, loc=doc.loc(node))


MAX_REDIRECTS = spec.MAX_REDIRECTS


def _redirects(
    doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], what: str | None = None
) -> Redirects | None:
    """``redirects: true|false`` (follow or not) or ``{follow, max, keep_method, referer}``.
    On a request, ``follow_redirects`` is the older spelling of ``redirects.follow``."""
    if "redirects" not in entries:
        return None
    key_node, node = entries["redirects"]
    if isinstance(node, ScalarNode):
        found = Redirects(follow=doc.boolean(node, "redirects"), loc=doc.loc(node))
    else:
        keys = doc.mapping(node, "redirects")
        doc.check_keys(keys, node, "redirects", spec.REDIRECTS_MAP.names)
        flags = {
            k: doc.boolean(keys[k][1], f"redirects.{k}")
            for k in ("follow", "keep_method", "referer")
            if k in keys
        }
        limit = None
        if "max" in keys:
            limit = doc.integer(keys["max"][1], "redirects.max")
            if not 0 <= limit <= MAX_REDIRECTS:
                doc.fail(keys["max"][1], f"redirects.max must be 0 to {MAX_REDIRECTS}")
        found = Redirects(**flags, max=limit, loc=doc.loc(node))
    if what is not None and "follow_redirects" in entries and found.follow is not None:
        doc.fail(
            key_node,
            f"{what} sets both follow_redirects and redirects",
            "keep one: 'follow_redirects: X' is short for 'redirects: {follow: X}'",
        )
    return found


def _size(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], key: str) -> int | None:
    """A size key: bytes (a whole number) or text such as ``10MB`` (runner.core.sizes)."""
    if key not in entries:
        return None
    from runner.core.sizes import UNITS_HINT, parse_size

    node = entries[key][1]
    try:
        return parse_size(str(doc.text(node, key)))
    except ValueError as exc:
        doc.fail(node, f"{key}: {exc}", UNITS_HINT)


def _resilience(
    doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], method: str, what: str
) -> dict[str, Any]:
    """A request's ``retries``, ``idempotent`` and ``max_response_size`` keys. ``retries`` on
    a POST or PATCH not marked ``idempotent: true`` is refused: it would never apply."""
    out: dict[str, Any] = {"max_response_size": _size(doc, entries, "max_response_size")}
    if "idempotent" in entries:
        out["idempotent"] = doc.boolean(entries["idempotent"][1], "idempotent")
    if "retries" in entries:
        retries = out["retries"] = _retries(doc, entries["retries"][1])
        marked = out.get("idempotent", method.upper() in IDEMPOTENT_METHODS)
        if retries.max > 0 and not marked:
            doc.fail(
                entries["retries"][0],
                f"{what}: a {method} request is not sent again unless it is marked idempotent",
                "add 'idempotent: true' if sending it twice does no harm",
            )
    return out


def _repeat(doc: _Doc, node: Node) -> Repeat:
    var = "item"
    if isinstance(node, MappingNode):
        entries = doc.mapping(node, "repeat")
        doc.check_keys(entries, node, "repeat", spec.REPEAT.names, spec.REPEAT.required)
        if "as" in entries:
            var = str(doc.identifier(entries["as"][1], "repeat.as"))
        node = entries["over"][1]
    if isinstance(node, SequenceNode):
        over: Any = doc.value(node)
    elif isinstance(node, ScalarNode) and node.tag == _INT:
        over = doc.count(node, "repeat", 0, "0 or more times")
        if over > MAX_REPEAT:
            doc.fail(node, f"repeat must be at most {MAX_REPEAT:,} times")
    else:
        over = doc.text(node, "repeat")
        if "<<" not in over:
            doc.fail(
                node,
                "repeat takes a list, a number of times, or a <<variable>> holding a list",
                "write repeat: [a, b] or repeat: <<items>>",
            )
    return Repeat(over, var, doc.loc(node))


def _goto(doc: _Doc, node: Node) -> Goto:
    if isinstance(node, ScalarNode):
        return Goto(str(doc.text(node, "goto")), loc=doc.loc(node))
    entries = doc.mapping(node, "goto")
    doc.check_keys(entries, node, "goto", spec.GOTO_MAP.names)
    if ("step" in entries) == ("end" in entries):
        doc.fail(node, "goto needs exactly one of 'step' (where to go on) or 'end: true'")
    target = None
    if "step" in entries:
        target = str(doc.text(entries["step"][1], "goto.step"))
    elif not doc.boolean(entries["end"][1], "goto.end"):
        doc.fail(entries["end"][1], "write 'end: true' to end the iteration")
    limit = 100
    if "max" in entries:
        limit = doc.count(entries["max"][1], "goto.max", 1, "1 or more")
    return Goto(target, _expression(doc, entries, "if"), limit, doc.loc(node))


def _parallel(doc: _Doc, entries: dict[str, tuple[ScalarNode, Node]], size: int) -> int:
    """``parallel: true`` (every step of the folder at once, up to 10) or a number."""
    if "parallel" not in entries:
        return 0
    node = entries["parallel"][1]
    if isinstance(node, ScalarNode) and node.tag == _BOOL:
        return min(size, 10) if doc.boolean(node, "parallel") else 0
    count = doc.integer(node, "parallel")
    if not 1 <= count <= MAX_PARALLEL:
        doc.fail(node, f"parallel must be true, false or a number from 1 to {MAX_PARALLEL}")
    return count if count > 1 else 0


def _parts(doc: _Doc, node: Node) -> tuple[Part, ...]:
    out: list[Part] = []
    for name, (key_node, value_node) in doc.mapping(node, "body.multipart").items():
        loc = doc.loc(key_node)
        if not isinstance(value_node, MappingNode):
            out.append(Part(name, value=doc.text(value_node, f"multipart {name}"), loc=loc))
            continue
        entries = doc.mapping(value_node, f"multipart {name}")
        doc.check_keys(entries, value_node, f"multipart part '{name}'", spec.PART.names)
        if ("value" in entries) == ("file" in entries):
            doc.fail(value_node, f"multipart part '{name}' needs exactly one of value or file")
        if "filename" in entries and "file" not in entries:
            doc.fail(entries["filename"][0], "filename names a file part; add 'file: PATH'")
        out.append(
            Part(
                name,  # a Text: names are templates, their errors point here
                value=_opt_text(doc, entries, "value"),
                file=_opt_text(doc, entries, "file"),
                filename=_opt_text(doc, entries, "filename"),
                content_type=_opt_text(doc, entries, "content_type"),
                loc=loc,
                enabled=doc.option(entries, spec.PART["enabled"]),
            )
        )
    return tuple(out)


def _graphql(doc: _Doc, node: Node) -> GraphQL:
    if isinstance(node, ScalarNode):
        return GraphQL(doc.text(node, "graphql query"), loc=doc.loc(node))
    entries = doc.mapping(node, "body.graphql")
    doc.check_keys(entries, node, "body.graphql", spec.GRAPHQL.names, spec.GRAPHQL.required)
    variables = doc.value(entries["variables"][1]) if "variables" in entries else None
    if variables is not None and not isinstance(variables, dict):
        doc.fail(entries["variables"][1], "graphql variables must be a mapping")
    return GraphQL(
        doc.text(entries["query"][1], "graphql query"),
        variables,
        _opt_text(doc, entries, "operation_name"),
        doc.loc(node),
    )


def _check_flow(steps: list[Step]) -> None:
    """Every goto names a step that exists (by id or name, not ambiguously) and leaves no
    parallel folder; a parallel folder holds no pause."""
    all_steps = walk(tuple(steps))
    by_id = {s.id: s for s, _ in all_steps if s.id is not None}
    by_name: dict[str, list[Step]] = {}
    for s, _ in all_steps:
        by_name.setdefault(s.name, []).append(s)
    for step, parents in all_steps:
        in_parallel = any(f.parallel for f in parents)
        if in_parallel and isinstance(step, PauseStep):
            raise LoadError(
                f"pause '{step.name}' is in a parallel folder", step.loc,
                "a pause waits for a person: move it out of the folder, or drop 'parallel'",
            )  # fmt: skip
        goto = step.flow.goto if not isinstance(step, Folder) and step.flow else None
        if goto is None or goto.target is None:
            continue
        if in_parallel:
            raise LoadError(
                f"goto in step '{step.name}' inside a parallel folder", goto.loc,
                "steps of a parallel folder run together, so none of them can jump",
            )  # fmt: skip
        if goto.target in by_id:
            continue
        named = by_name.get(goto.target, [])
        if len(named) == 1:
            continue
        if len(named) > 1:
            raise LoadError(
                f"goto '{goto.target}': {len(named)} steps have that name", goto.loc,
                "give the step you mean an 'id' and write goto: THAT_ID",
            )  # fmt: skip
        names = [*by_id, *by_name]
        close = close_matches(goto.target, names, n=1, cutoff=0.6)
        raise LoadError(
            f"goto '{goto.target}': no step has that name or id", goto.loc,
            f"did you mean '{close[0]}'?" if close else "name a step of this collection",
        )  # fmt: skip


# --- environment -----------------------------------------------------------------------------


def load_environment(path: str | Path) -> Environment:
    """Load an environment file: ``variables`` (a mapping) and optional ``secrets`` (names)."""
    p = Path(path)
    return parse_environment(read_text(p), str(p))


def parse_environment(text: str, path: str = "<environment>") -> Environment:
    doc, root = _parse_root(text, path, "environment")
    entries = doc.mapping(root, "the environment")
    doc.check_keys(entries, root, "the environment", spec.ENVIRONMENT.names)
    variables, locs = _variables(doc, entries)
    name = doc.text(entries["name"][1], "name") if "name" in entries else Path(path).stem
    return Environment(str(name), path, variables, locs, _secret_names(doc, entries, variables))
