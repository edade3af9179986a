"""``runner load``: run collections as a Locust load test, on one machine or distributed.

This process checks everything a user can get wrong (exit 2 before any load), runs the
steps that need a person once (pauses and browser steps, answered from ``--input``,
``RUNNER_INPUT_<NAME>``, the token cache or the terminal), then starts the load process
(runner.loadtest.process: Locust, gevent) and waits for it. Locust is imported only there:
neither this process nor any other command pays for it or is monkey-patched by it.
It then shows the statistics, writes them (``--csv``, ``--json``) and turns the thresholds
into the exit code. See docs/load.md.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..arguments import (
    Subparsers,
    _seconds,
    add_input_argument,
    add_variable_arguments,
    whole_number,
)
from ..console import Console

if TYPE_CHECKING:
    from runner.core.redact import Redactor
    from runner.engine.engine import Engine
    from runner.loadtest.plan import CollectionPlan, LoadReport, Verdict

# Locust's own defaults. The load package is imported only when the command runs (start-up).
DEFAULT_MASTER_PORT = 5557
DEFAULT_WEB_PORT = 8089

# The load process: gevent must patch before anything imports sockets (runner.loadtest.process).
BOOT = (
    "from gevent import monkey; monkey.patch_all(); import sys; "
    "import runner.loadtest.process as p; raise SystemExit(p.main(sys.stdin.read(), sys.stderr))"
)

EXIT_CODES = """\
exit codes:
  0    the load ran and no threshold was crossed
  1    a threshold was crossed (any failed request, without an error_rate threshold),
       or the load could not run
  2    a collection, the environment or the command line is invalid (no load was started)
  3    a pause needed a value and there was no terminal (pass --input NAME=VALUE)
  130  interrupted (Ctrl-C or SIGTERM); the statistics so far are reported
"""


def register(sub: Subparsers) -> None:
    from runner.http.transport import DEFAULT_TIMEOUT

    p = sub.add_parser(
        "load",
        help="run a collection as a load test with Locust (pip install 'runner[load]')",
        description="Run each simulated user through the collection's steps, in order, "
        "with Locust; on one machine, or as Locust's master and workers (docs/load.md).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "collection", nargs="?", metavar="COLLECTION[:WEIGHT]", help="the collection file"
    )
    p.add_argument(
        "--collection",
        dest="more",
        metavar="FILE[:WEIGHT]",
        action="append",
        default=[],
        help="another collection, with its weight (a.yaml:3 runs three users of a.yaml for "
        "each weight-1 user); repeat for more",
    )
    add_variable_arguments(p)
    add_input_argument(p, "answer a pause before the load (or set RUNNER_INPUT_<NAME>)")
    p.add_argument(
        "--host",
        metavar="URL",
        help="the system under test: sets the variable 'host' (as --var host=URL)",
    )
    load = p.add_argument_group("the load")
    load.add_argument(
        "-u",
        "--users",
        type=whole_number(1),
        default=1,
        metavar="N",
        help="simulated users at the peak (default 1)",
    )
    load.add_argument(
        "-r",
        "--spawn-rate",
        type=_rate,
        default=1.0,
        metavar="R",
        help="users started per second (default 1)",
    )
    load.add_argument(
        "-t",
        "--run-time",
        metavar="TIME",
        help="stop after this long: 30s, 5m, 1h30m (default: until Ctrl-C)",
    )
    load.add_argument(
        "--think-time",
        metavar="SECONDS|MIN-MAX",
        help="pause between steps: 1.5, or a random time in 0.5-2 "
        "(default: the collection's load.think_time, else none)",
    )
    load.add_argument(
        "--threshold",
        metavar="METRIC=LIMIT",
        action="append",
        default=[],
        help="fail the run (exit 1) past this: p95_ms=500, p99_ms=1500, "
        "median_ms=100, error_rate=1%%; repeat for more (above the "
        "collection's load.thresholds)",
    )
    load.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per-request timeout (default {DEFAULT_TIMEOUT:g})",
    )
    load.add_argument(
        "-k",
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (test servers only)",
    )
    load.add_argument(
        "--folder",
        metavar="NAME",
        action="append",
        default=[],
        help="only the steps inside this folder; repeat for more",
    )
    load.add_argument(
        "--tag", metavar="TAG", action="append", default=[], help="only steps with this tag"
    )
    load.add_argument(
        "--exclude-tag",
        metavar="TAG",
        action="append",
        default=[],
        help="leave out steps with this tag",
    )
    out = p.add_argument_group("results")
    out.add_argument("--csv", metavar="FILE", help="write the per-step statistics as CSV")
    out.add_argument("--json", metavar="FILE", help="write statistics and thresholds as JSON")
    out.add_argument(
        "--progress",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="a progress line on standard error this often (0: none; default 5)",
    )
    dist = p.add_argument_group("distributed (Locust's master and workers)")
    role = dist.add_mutually_exclusive_group()
    role.add_argument(
        "--master",
        action="store_true",
        help="be Locust's master: wait for --expect-workers, then run the load on them",
    )
    role.add_argument(
        "--worker", action="store_true", help="be a Locust worker of the master at --master-host"
    )
    dist.add_argument("--master-host", metavar="HOST", help="the master to connect to")
    dist.add_argument(
        "--master-port",
        type=_port,
        default=DEFAULT_MASTER_PORT,
        metavar="PORT",
        help=f"the master's port (default {DEFAULT_MASTER_PORT})",
    )
    dist.add_argument(
        "--master-bind-host",
        default="*",
        metavar="ADDRESS",
        help="where the master listens (default: every interface)",
    )
    dist.add_argument(
        "--expect-workers",
        type=whole_number(1),
        default=1,
        metavar="N",
        help="the master starts when this many workers are connected (default 1)",
    )
    web = p.add_argument_group("Locust's web UI (headless without it)")
    web.add_argument("--web-ui", action="store_true", help="serve Locust's web UI too")
    web.add_argument(
        "--web-host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="where the web UI listens (default 127.0.0.1)",
    )
    web.add_argument(
        "--web-port",
        type=_port,
        default=DEFAULT_WEB_PORT,
        metavar="PORT",
        help=f"the web UI's port (default {DEFAULT_WEB_PORT})",
    )
    p.set_defaults(handler=cmd_load)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("expected more than 0")
    return value


def _port(text: str) -> int:
    value = whole_number(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("a port is 1 to 65535")
    return value


# --- the command -------------------------------------------------------------------------------


def cmd_load(args: argparse.Namespace, console: Console) -> int:
    import importlib.util

    from runner.core.errors import ExitStatus, RunnerError, UsageError
    from runner.core.redact import Redactor
    from runner.format.loader import load_collection, load_environment
    from runner.loadtest.plan import (
        CollectionPlan,
        LoadPlan,
        collection_thresholds,
        parse_think_time,
        parse_threshold,
        parse_timespan,
        parse_weighted,
        thresholds_for,
    )

    specs = ([args.collection] if args.collection else []) + list(args.more)
    if not specs:
        raise UsageError(
            "runner load needs a collection", hint="runner load COLLECTION --users 10 ..."
        )
    if args.worker and not args.master_host:
        raise UsageError(
            "--worker needs --master-host HOST (where `runner load --master` runs)",
            hint="for example: runner load api.yaml --worker --master-host 10.0.0.5",
        )
    if args.master_host and not args.worker:
        raise UsageError(
            "--master-host is for --worker (the master listens; see --master-bind-host)"
        )
    run_time = parse_timespan(args.run_time) if args.run_time else None
    cli_limits = [parse_threshold(text) for text in args.threshold]
    think = parse_think_time(args.think_time) if args.think_time else None
    if importlib.util.find_spec("locust") is None:
        raise UsageError(
            "runner load needs Locust, which is not installed",
            hint="pip install 'runner[load]'",
        )
    weighted = [parse_weighted(text) for text in specs]
    collections = [load_collection(path) for path, _ in weighted]
    environment = load_environment(args.env) if args.env else None
    variables = dict(args.var)
    if args.host:
        variables.setdefault("host", args.host)
    redactor = Redactor()
    plans: list[CollectionPlan] = []
    for (path, weight), collection in zip(weighted, collections, strict=True):
        engine = _engine(collection, environment, args, variables, console, redactor)
        try:
            engine.prepare()
        except RunnerError as exc:
            console.error(exc, redactor)
            return int(exc.exit_status)
        plan = CollectionPlan(path, weight)
        if not args.worker:  # a worker is sent the master's values
            status = _before_the_load(engine, plan, console)
            if status != ExitStatus.OK:
                return int(status)
        plans.append(plan)
    if think is None:
        think = next((c.load.think_time for c in collections if c.load and c.load.think_time), None)
    limits = thresholds_for(collection_thresholds(collections), cli_limits)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="runner-load-") as folder:
        plan_doc = LoadPlan(
            collections=plans,
            result_path=str(Path(folder) / "report.json"),
            env=args.env,
            variables=variables,
            environ=dict(console.environ),
            folders=list(args.folder),
            tags=list(args.tag),
            exclude_tags=list(args.exclude_tag),
            users=args.users,
            spawn_rate=args.spawn_rate,
            run_time=run_time,
            think_time=think,
            timeout=args.timeout,
            insecure=args.insecure,
            mode="master" if args.master else "worker" if args.worker else "local",
            master_host=args.master_host or "127.0.0.1",
            master_port=args.master_port,
            master_bind=args.master_bind_host,
            expect_workers=args.expect_workers,
            web_ui=args.web_ui,
            web_host=args.web_host,
            web_port=args.web_port,
            progress=args.progress,
        )
        if args.insecure:
            console.stderr.write("warning: --insecure: TLS certificates are not verified\n")
        _describe(plan_doc, collections, console)
        report, interrupted = _run_load_process(plan_doc, console)
    if report.problem is not None:
        console.stderr.write(redactor.mask(f"error: the load did not run: {report.problem}") + "\n")
        return int(ExitStatus.FAILED)
    if args.worker:
        sent = report.sent
        console.stdout.write(
            f"worker: {sent.get('requests', 0)} requests sent, "
            f"{sent.get('failures', 0)} failed (the master has the statistics)\n"
        )
        return int(ExitStatus.INTERRUPTED if interrupted else ExitStatus.OK)
    from runner.loadtest.plan import judge, stats_csv, stats_json, write_text

    verdicts = judge(report.total, limits)
    _summary(report, verdicts, console, redactor)
    meta = {
        "collections": [
            {"name": c.name, "path": p.path, "weight": p.weight}
            for c, p in zip(collections, plans, strict=True)
        ],
        "mode": plan_doc.mode,
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time_s": run_time,
    }
    if args.csv:
        write_text(args.csv, redactor.mask(stats_csv(report)))
    if args.json:
        write_text(args.json, redactor.mask(stats_json(report, verdicts, meta)))
    if interrupted or report.interrupted:
        return int(ExitStatus.INTERRUPTED)
    if report.total is None or report.total.requests == 0:
        console.stdout.write("no request was sent\n")
        return int(ExitStatus.FAILED)
    return int(ExitStatus.FAILED if any(v.crossed for v in verdicts) else ExitStatus.OK)


def _engine(
    collection: Any,
    environment: Any,
    args: argparse.Namespace,
    variables: dict[str, str],
    console: Console,
    redactor: Redactor,
) -> Engine:
    """The collection's engine in this process: it checks the collection and runs the steps
    that need a person, with the console report and the terminal (if any)."""
    from runner.engine.engine import Engine, RunOptions
    from runner.http.transport import TransportOptions
    from runner.pause.prompts import StandardPrompter, TerminalPrompter, is_interactive
    from runner.reporters.console import ConsoleReporter

    terminal = None
    if is_interactive(console.stdin, console.stdout, console.environ):
        terminal = TerminalPrompter(console.stdin, console.stdout)
    options = RunOptions(
        variables=variables,
        timeout=args.timeout,
        environ=console.environ,
        folders=tuple(args.folder),
        tags=tuple(args.tag),
        exclude_tags=tuple(args.exclude_tag),
        transport=TransportOptions(verify=not args.insecure, environ=console.environ),
        docs_check="off",
    )
    return Engine(
        collection,
        environment,
        options,
        prompter=StandardPrompter(dict(args.input), console.environ, terminal),
        listeners=[ConsoleReporter(console.stdout, redactor, environ=console.environ)],
        redactor=redactor,
    )


def _before_the_load(engine: Engine, plan: CollectionPlan, console: Console) -> int:
    """Run the steps that need a person once, and obtain the authorization-code tokens
    (runner.loadtest.prepare), on the console. Returns an exit status."""
    from runner.core.errors import ExitStatus, RunnerError
    from runner.loadtest.prepare import authorize, person_steps, run_person_steps

    person = person_steps(engine)
    if person:
        console.stdout.write("Before the load: the steps that need a person, once\n")
        status = run_person_steps(engine, person, plan)
        if status != ExitStatus.OK:
            return int(status)
    try:
        authorize(engine)
    except RunnerError as exc:
        console.error(exc, engine.redactor)
        return int(exc.exit_status) if exc.exit_status != ExitStatus.INVALID else 1
    return int(ExitStatus.OK)


def _describe(plan: Any, collections: list[Any], console: Console) -> None:
    names = ", ".join(
        f"{c.name}" + (f" (weight {p.weight})" if len(collections) > 1 else "")
        for c, p in zip(collections, plan.collections, strict=True)
    )
    if plan.mode == "worker":
        line = f"Load worker of {plan.master_host}:{plan.master_port} · {names}"
    else:
        until = f" for {plan.run_time:g} s" if plan.run_time else " until Ctrl-C"
        plural = "s" if plan.expect_workers != 1 else ""
        where = f" on {plan.expect_workers} worker{plural}" if plan.mode == "master" else ""
        line = f"Load · {names} · {plan.users} users (spawn {plan.spawn_rate:g}/s){until}{where}"
        if plan.think_time:
            low, high = plan.think_time
            line += f" · think {low:g}" + (f"-{high:g}" if high != low else "") + " s"
    console.stdout.write(line + "\n")
    console.stdout.flush()


def _run_load_process(plan: Any, console: Console) -> tuple[LoadReport, bool]:
    """Start the load process, hand it the plan, wait; Ctrl-C (or SIGTERM) is passed on
    as SIGINT, and the process reports what it has."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from runner.loadtest.plan import LoadReport

    from ..running import sigterm_as_interrupt

    inherit = console.stderr is sys.stderr  # the real terminal: progress lines live
    package_root = str(Path(__file__).resolve().parents[3])
    import os

    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    environ.pop("LOCUST_SKIP_MONKEY_PATCH", None)
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", BOOT],
        stdin=subprocess.PIPE,
        stdout=None if inherit else subprocess.PIPE,
        stderr=None if inherit else subprocess.STDOUT,
        env=environ,
        text=True,
    )
    interrupted = False
    output = ""
    with sigterm_as_interrupt():
        try:
            output, _ = proc.communicate(plan.to_json())
        except KeyboardInterrupt:
            interrupted = True
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate()
    if output:
        console.stderr.write(output)
    path = Path(plan.result_path)
    if not path.exists():
        report = LoadReport(plan.mode, problem=f"the load process ended with {proc.returncode}")
    else:
        report = LoadReport.from_json(path.read_text(encoding="utf-8"))
    return report, interrupted


def _summary(
    report: LoadReport, verdicts: list[Verdict], console: Console, redactor: Redactor
) -> None:
    """The statistics per step, the thresholds and the failures, in the console's style."""
    from runner.loadtest.plan import show

    rows = [*report.steps, *([report.total] if report.total else [])]
    width = max([len(f"{s.method} {s.name}".strip()) for s in rows] + [4])
    lines = [
        "",
        f"{'step':<{width}}  {'requests':>8}  {'failed':>6}  {'req/s':>7}  {'median':>7}  "
        f"{'p95':>7}  {'p99':>7}",
    ]
    for s in rows:
        label = f"{s.method} {s.name}".strip() if s is not report.total else "all requests"
        lines.append(
            f"{label:<{width}}  {s.requests:>8}  {s.failures:>6}  {s.rps:>7.1f}  "
            f"{s.median_ms:>4.0f} ms  {s.p95_ms:>4.0f} ms  {s.p99_ms:>4.0f} ms"
        )
    if report.errors:
        lines += ["", "failures:"]
        for e in sorted(report.errors, key=lambda e: -int(e["count"])):
            lines.append(f"  {e['count']} × {e['method']} {e['name']}: {e['error']}")
    lines += ["", "thresholds:"]
    for v in verdicts:
        mark = "✘" if v.crossed else "✔"
        metric, limit = v.threshold.metric, v.threshold.limit
        lines.append(
            f"  {mark} {metric} {show(metric, v.actual)} (limit {show(metric, limit)}; {v.source})"
        )
    crossed = sum(v.crossed for v in verdicts)
    plural = "s" if report.workers != 1 else ""
    extra = f" on {report.workers} worker{plural}" if report.workers else ""
    verdict = f"{crossed} threshold{'s' if crossed != 1 else ''} crossed" if crossed else "passed"
    stopped = " (interrupted)" if report.interrupted else ""
    lines.append(f"\n{verdict} · {report.users} users{extra} · {report.duration_s:.1f} s{stopped}")
    console.stdout.write(redactor.mask("\n".join(lines)) + "\n")
