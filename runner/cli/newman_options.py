"""Newman's ``run`` options turned into the runner's (docs/newman.md): a Postman collection
is imported in memory, ``-r``/``--reporter-NAME-export`` become ``--reporter NAME:PATH``,
``--timeout`` keeps its meaning per kind of collection, and the ``--export-*`` files are
written when the run ends.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.core.errors import ExitStatus, UsageError
from runner.core.limits import MAX_SECONDS
from runner.core.model import Collection
from runner.http.transport import DEFAULT_TIMEOUT

from .console import Console

if TYPE_CHECKING:
    from runner.engine.engine import Engine
    from runner.formats.newman import LoadedPostman

# Newman's reporter names -> ours, and the extension of the file Newman writes under newman/
REPORTERS = {"cli": "console", "json": "json", "junit": "junit", "html": "html"}
EXTENSIONS = {"json": "json", "junit": "xml", "html": "html"}


@dataclass
class NewmanPlan:
    """What Newman's options add to one ``runner run``."""

    args: argparse.Namespace
    loaded: LoadedPostman | None = None
    request_timeout: float = DEFAULT_TIMEOUT
    run_timeout: float | None = None
    reporters: list[str] = field(default_factory=list)
    colour: bool | None = None

    def adjust(self, collection: Collection) -> Collection:
        """``--delay-request``, ``-g`` and ``--global-var`` on a YAML collection."""
        args = self.args
        globals_wanted = self.loaded is None and (args.globals or args.global_var)
        if not globals_wanted and not args.delay_request:
            return collection  # the usual YAML run: Newman's module is not even imported
        from runner.formats.newman import read_globals, with_globals, with_request_delay

        if self.loaded is None:
            values: dict[str, Any] = (
                read_globals(Path(self.args.globals)) if self.args.globals else {}
            )
            values.update(self.args.global_var)
            collection = with_globals(collection, values)
        if self.args.delay_request:
            collection = with_request_delay(collection, self.args.delay_request / 1000)
        return collection

    def option_overrides(self) -> dict[str, Any]:
        """RunOptions fields: the run's time limit, the cookie jar to export, --working-dir."""
        args = self.args
        out: dict[str, Any] = {}
        if self.run_timeout is not None:
            out["run_timeout"] = self.run_timeout
        if args.export_cookie_jar:
            target = Path(args.export_cookie_jar)
            target.parent.mkdir(parents=True, exist_ok=True)
            if args.cookie_jar and Path(args.cookie_jar).is_file():
                shutil.copyfile(args.cookie_jar, target)
            elif target.exists():  # Newman writes a fresh jar: stale cookies must not load
                target.unlink()
            out["cookie_jar"] = str(target)
        if args.working_dir and self.loaded is None:
            out["file_roots"] = (*args.file_root, args.working_dir)
        return out

    def finish(self, engine: Engine) -> None:
        """``--export-environment``, ``--export-globals``, ``--export-collection``."""
        args = self.args
        if not (args.export_environment or args.export_globals or args.export_collection):
            return
        from runner.core.files import write_text
        from runner.formats.newman import environment_json, final_environment

        def write_json(path: Path, data: object, *, secret: bool) -> None:
            write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", secret=secret)

        if args.export_environment:
            captures = engine.scope.captures if engine.scope is not None else {}
            name, values = final_environment(engine.environment, captures)
            data = environment_json(name, values, "environment")
            write_json(Path(args.export_environment), data, secret=True)
        if args.export_globals:
            values = dict(self.loaded.globals_values) if self.loaded else dict(args.global_var)
            write_json(Path(args.export_globals), environment_json("globals", values, "globals"),
                       secret=True)  # fmt: skip
        if args.export_collection:
            if self.loaded is not None:
                write_json(Path(args.export_collection), self.loaded.source_json, secret=False)
            else:
                from runner.formats.postman.exporter import export_postman

                exported = export_postman(args.collection)
                write_text(Path(args.export_collection), exported.text, secret=exported.secret)

    def exit_status(self, status: int) -> int:
        """``-x``: a failed run exits 0 (an invalid command line or collection still does not)."""
        if self.args.suppress_exit_code and status == ExitStatus.FAILED:
            return int(ExitStatus.OK)
        return status


def plan_newman(args: argparse.Namespace, console: Console) -> NewmanPlan:
    """Read Newman's options (and a Postman collection) from ``runner run``'s arguments."""
    from runner.formats import is_postman_source

    plan = NewmanPlan(args)
    postman = is_postman_source(args.collection)
    plan.request_timeout, plan.run_timeout = _timeouts(args, postman=postman)
    plan.colour = {"on": True, "off": False}.get(args.color)
    if args.no_color:
        plan.colour = False
    plan.reporters = _reporters(args, console)
    if postman:
        from runner.formats.newman import PostmanRun, load_postman_run

        plan.loaded = load_postman_run(
            PostmanRun(
                args.collection,
                environment=Path(args.env) if args.env else None,
                globals_file=Path(args.globals) if args.globals else None,
                working_dir=Path(args.working_dir) if args.working_dir else None,
                env_vars=dict(args.env_var),
                global_vars=dict(args.global_var),
            )
        )
    elif args.env_var:
        args.var = [*args.env_var, *args.var]  # a YAML run: --env-var sits with --var
    return plan


def _timeouts(args: argparse.Namespace, *, postman: bool) -> tuple[float, float | None]:
    """(per-request seconds, whole-run seconds). ``--timeout`` is per request in seconds for a
    YAML collection (the runner's meaning) and the whole run in milliseconds for a Postman one
    (Newman's); ``--timeout-request`` is milliseconds per request for both."""
    request = DEFAULT_TIMEOUT
    run = None
    if args.timeout is not None:
        if postman:
            run = args.timeout / 1000 if args.timeout > 0 else None  # Newman: 0 is no limit
        else:
            if not 0 < args.timeout <= MAX_SECONDS:
                raise UsageError(
                    f"--timeout {args.timeout:g}: the per-request timeout must be greater than 0 "
                    f"and at most {MAX_SECONDS:,.0f} seconds (a week)"
                )
            request = args.timeout
    if args.timeout_request is not None:
        if args.timeout is not None and not postman:
            raise UsageError(
                "--timeout and --timeout-request both set the per-request timeout",
                hint="give one: --timeout SECONDS or --timeout-request MILLISECONDS",
            )
        request = args.timeout_request / 1000
    return request, run


def _reporters(args: argparse.Namespace, console: Console) -> list[str]:
    """``-r cli,junit --reporter-junit-export out.xml`` -> ``["junit:out.xml"]``; a reporter
    without ``--reporter-NAME-export`` writes under ``newman/``, as Newman does."""
    names = [n.strip() for value in args.reporters for n in value.split(",") if n.strip()]
    exports: dict[str, str] = args.reporter_exports
    for ignored in args.reporter_ignored:
        console.stderr.write(f"warning: {ignored}: Newman reporter option ignored\n")
    for name in exports:
        if name not in names:
            console.stderr.write(
                f"warning: --reporter-{name}-export: {name} is not among -r; ignored\n"
            )
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.localtime())
    specs: list[str] = []
    for name in dict.fromkeys(names):
        ours = REPORTERS.get(name, name)
        if ours == "console":
            continue  # the console report is shown unless a reporter writes to stdout
        path = exports.get(name)
        if path is None:
            label = getattr(args, "report_tag", "")  # one of several collections
            stem = f"newman-run-report-{stamp}" + (f"-{label}" if label else "")
            path = f"newman/{stem}.{EXTENSIONS.get(ours, ours)}"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        specs.append(f"{ours}:{path}")
    return specs
