"""``runner import postman COLLECTION.json [-e ENV.json]... [-g GLOBALS.json] [-o DIR]``.

Reads Postman Collection v2.0/v2.1 JSON (and environments, globals), writes
``DIR/collections/NAME.yaml`` and ``DIR/environments/NAME.yaml``, and gives the import
report back (the command shows it). Nothing is written unless every file converts and loads
back through our loader, and then all files are written atomically (temporary files, fsync,
rename), so a failed import leaves nothing behind. The import parses JavaScript and never
executes it (postman_scripts.py); the kept scripts run only with ``runner run --scripts``
(runner.engine.scripting).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.core.errors import LoadError, SourceLocation
from runner.core.files import FileOut

if TYPE_CHECKING:
    from runner.formats.postman.convert import Report

MAX_INPUT_BYTES = 20 * 1024 * 1024  # the loader's limit: a larger collection could not load


Output = FileOut  # one file to write (holds secret values: mode 0600)


@dataclass
class ImportResult:
    outputs: list[Output]
    report: Report
    environments: list[tuple[str, int, int]]  # (file, variables, secrets)
    env_notes: list[Any]
    scripts_run: bool = False  # the collection says `run_scripts: true`


@dataclass(frozen=True)
class PostmanImportOptions:
    """``runner import postman``: the exported files, and where the converted ones go."""

    collection: Path
    environments: Sequence[Path] = ()
    globals_file: Path | None = None
    output: Path = Path(".")  # collections/ and environments/ are written here
    host_vars: Mapping[str, str] = field(default_factory=dict)  # origin -> variable name
    force: bool = False  # replace files that exist
    run_scripts: bool = True  # kept scripts run, as in Newman (`--no-scripts`: they are inert)


def import_postman(options: PostmanImportOptions) -> ImportResult:
    """Convert, check that everything loads and that nothing would be replaced unasked; the
    command writes ``outputs`` (runner.core.files.write_all: every file or none)."""
    result = import_files(
        options.collection,
        options.environments,
        options.globals_file,
        options.output,
        host_vars=dict(options.host_vars),
        run_scripts=options.run_scripts,
    )
    existing = [o.path for o in result.outputs if o.path.exists()]
    if existing and not options.force:
        raise LoadError(
            f"{existing[0]} exists; nothing was written",
            hint="pass --force to replace it, or -o DIR to write elsewhere",
        )
    return result


def import_files(
    collection: Path,
    environments: Sequence[Path] = (),
    globals_file: Path | None = None,
    output: Path = Path("."),
    *,
    host_vars: dict[str, str] | None = None,
    run_scripts: bool = True,
) -> ImportResult:
    """Convert everything in memory and check that it loads; raise LoadError otherwise.
    With ``run_scripts`` a collection that keeps scripts says ``run_scripts: true``, so a
    plain ``runner run`` runs them as Newman does."""
    from runner.formats.postman.convert import Converter, Names, convert_environment
    from runner.formats.yaml_emit import dump

    data = read_json(collection)
    env_data = [(path, read_json(path)) for path in environments]
    globals_data = read_json(globals_file) if globals_file else None
    names = Names()
    for _, env in env_data:
        names.defined.update(_keys(env))
    if globals_data is not None:
        names.defined.update(_keys(globals_data))
    converter = Converter(names, host_vars=host_vars)
    collection_yaml = converter.convert(data, collection.name)
    report = converter.report
    scripted = run_scripts and has_scripts(collection_yaml)
    if scripted:
        collection_yaml = with_key_before(collection_yaml, "steps", "run_scripts", True)
    # Newman sends an undefined {{name}} as written: so does the imported collection
    collection_yaml = with_key_before(collection_yaml, "steps", "undefined_variables", "literal")
    # and reads a CSV data file's values as Newman does (trimmed, numbers cast)
    collection_yaml = with_key_before(collection_yaml, "steps", "csv_values", "newman")
    if sends_files(collection_yaml):  # and sends a request whose file is not there without it
        collection_yaml = with_key_before(collection_yaml, "steps", "missing_files", "skip")
    header = (
        f"Imported from Postman ({collection.name}, Collection v{report.version}) by "
        "`runner import postman` (see docs/postman.md).\nScripts under `scripts:` are kept as "
        "they were; "
        + (
            "`run_scripts: true` runs them in Postman's own sandbox (docs/scripts.md)."
            if scripted
            else "inert unless `runner run --scripts` runs them (docs/scripts.md)."
        )
    )
    slug = _slug(report.name) or "collection"
    outputs = [
        Output(
            output / "collections" / f"{slug}.yaml",
            dump(collection_yaml, header=header),
            report.secrets_inline or _inline_auth_secret(collection_yaml),
        )
    ]
    env_summary: list[tuple[str, int, int]] = []
    env_notes: list[Any] = []
    defined = set(collection_yaml.get("variables", {}))
    used_slugs: set[str] = set()
    sources: list[tuple[Path | None, Any]] = list(env_data)
    if not sources and globals_data is not None:
        sources = [(None, None)]
    for path, env in sources:
        env_yaml, notes, secret = convert_environment(
            env,
            names,
            source=path.name if path else (globals_file.name if globals_file else ""),
            globals_=globals_data,
            collection_variables=frozenset(collection_yaml.get("variables", {})),
        )
        env_notes.extend(notes)
        env_slug = _slug(str(env_yaml["name"])) or "environment"
        while env_slug in used_slugs:
            env_slug += "-2"
        used_slugs.add(env_slug)
        where = output / "environments" / f"{env_slug}.yaml"
        source_name = path.name if path else (globals_file.name if globals_file else "globals")
        outputs.append(
            Output(
                where,
                dump(
                    env_yaml,
                    header=f"Imported from Postman ({source_name}) by `runner import postman`.",
                ),
                secret,
            )
        )
        variables = env_yaml.get("variables", {})
        defined |= set(variables)
        env_summary.append((str(where), len(variables), len(env_yaml.get("secrets", []))))
    report.undefined = sorted(
        set(names.used) - defined - converter.captured - set(names.helpers_used)
    )
    _check_loads(outputs)
    return ImportResult(outputs, report, env_summary, env_notes, scripts_run=scripted)


def read_json(path: Path) -> Any:
    """A JSON file (UTF-8 with or without BOM, or UTF-16 with a BOM), or a LoadError."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise LoadError(
                f"{path} is too large ({size} bytes; the limit is {MAX_INPUT_BYTES})",
                hint="split the collection into several collections in Postman",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise LoadError(f"{path} is a directory, not a Postman JSON file") from None
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{path} is not {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text "
            f"(byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            SourceLocation(str(path), raw[: exc.start].count(b"\n") + 1),
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise LoadError(
            f"{path} has a duplicate key {exc.args[0]!r} in a JSON object",
            SourceLocation(str(path), 1),
            "a repeated key hides the first value; export the collection from Postman again",
        ) from None
    except json.JSONDecodeError as exc:
        raise LoadError(
            f"{path} is not valid JSON: {exc.msg}",
            SourceLocation(str(path), exc.lineno, exc.colno),
            "export the collection from Postman again (Export > Collection v2.1)",
        ) from None
    except RecursionError:
        raise LoadError(f"{path} is nested too deeply to be a Postman file") from None
    except ValueError as exc:  # a number of more than 4300 digits (int_max_str_digits)
        raise LoadError(f"{path} holds a value JSON cannot read: {exc}") from None


class _DuplicateKey(Exception):
    """A key seen twice in one JSON object; ``read_json`` turns it into a LoadError."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key repeats (json keeps the last one silently)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _keys(data: Any) -> set[str]:
    values = data if isinstance(data, list) else (data or {}).get("values", [])
    if not isinstance(values, list):
        return set()
    return {v["key"] for v in values if isinstance(v, dict) and isinstance(v.get("key"), str)}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80]


# the auth keys that hold secrets (oauth1: consumer_secret, token_secret, private_key)
AUTH_SECRET_KEYS = (
    "password", "token", "client_secret", "value", "refresh_token",
    "consumer_secret", "token_secret", "private_key",
)  # fmt: skip


def _inline_auth_secret(data: Any) -> bool:
    """A password, token, client secret or key value written out (not a <<variable>>)."""
    if isinstance(data, dict):
        auth = data.get("auth")
        if isinstance(auth, dict):
            for key in AUTH_SECRET_KEYS:
                value = auth.get(key)
                if isinstance(value, str) and value and not value.startswith("<<"):
                    return True
        return any(_inline_auth_secret(v) for v in data.values() if isinstance(v, dict | list))
    if isinstance(data, list):
        return any(_inline_auth_secret(v) for v in data)
    return False


def secret_values(outputs: list[Output]) -> list[str]:
    """Secret values written in the files: variables listed under ``secrets:`` (or named like
    credentials) and auth passwords, tokens, client secrets and key values."""
    from runner.core.redact import is_secret_name
    from runner.format.loader import parse_data

    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            auth = node.get("auth")
            if isinstance(auth, dict):
                for key in AUTH_SECRET_KEYS:
                    if isinstance(auth.get(key), str):
                        found.append(auth[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for output in outputs:
        data = parse_data(output.text, str(output.path))
        if not isinstance(data, dict):
            continue
        variables = data.get("variables") or {}
        names = set(data.get("secrets") or []) | {n for n in variables if is_secret_name(n)}
        found.extend(str(variables[n]) for n in names if n in variables)
        walk(data)
    return [v for v in found if v and "<<" not in v]


def _check_loads(outputs: list[Output]) -> None:
    """Every file must load back through our loader: a bug here must not write a broken file."""
    from runner.format.loader import parse_collection, parse_environment

    for out in outputs:
        try:
            if out.path.parent.name == "collections":
                parse_collection(out.text, str(out.path))
            else:
                parse_environment(out.text, str(out.path))
        except LoadError as exc:
            raise LoadError(
                f"the converted {out.path.name} does not load ({exc}); nothing was written",
                hint="this is a bug in the importer: please report it with the Postman file",
            ) from None


__all__ = [
    "ImportResult",
    "PostmanImportOptions",
    "import_files",
    "import_postman",
    "secret_values",
]


def has_scripts(node: Any) -> bool:
    """Whether a converted collection keeps a script anywhere (collection, folder, request)."""
    if isinstance(node, dict):
        return bool(node.get("scripts")) or any(has_scripts(v) for v in node.get("steps") or ())
    return False


def sends_files(node: Any) -> bool:
    """Whether a converted collection has a file part or a file body anywhere."""
    if not isinstance(node, dict):
        return False
    body = node.get("body")
    if isinstance(body, dict):
        parts = body.get("multipart")
        listed: list[Any] = list(parts.values()) if isinstance(parts, dict) else parts or []
        if "file" in body or any(isinstance(p, dict) and "file" in p for p in listed):
            return True
    return any(sends_files(v) for v in node.get("steps") or ())


def with_key_before(mapping: dict[str, Any], before: str, key: str, value: Any) -> dict[str, Any]:
    """``mapping`` with ``key: value`` inserted before ``before`` (YAML keeps the order)."""
    out: dict[str, Any] = {}
    for name, item in mapping.items():
        if name == before:
            out[key] = value
        out[name] = item
    out.setdefault(key, value)
    return out
