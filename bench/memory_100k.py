"""Memory of a long run: 100,000 request steps with every file reporter on, sampled as it goes.

A script a person runs (never a test): ``python bench/memory_100k.py [--steps N]``. It starts
a small keep-alive HTTP server in a second process on 127.0.0.1 (so its memory is not
counted), builds a collection of N request steps (GET, a status check and a JSON check
each), and runs it through the engine the way ``runner run`` does: results streamed
(``keep_steps=False``), with the JSON, JUnit and HTML reporters writing into a temporary
folder and the console reporter in ``--quiet`` mode. A listener samples the process's
resident memory (RSS, from /proc) every N/20 steps. It prints the samples and the growth from
the first tenth of the run to its end, then does the same with ``keep_steps=True`` (what a
caller that asks for every StepResult gets) for comparison, unless ``--streaming-only``.

The claim it checks (docs/reports.md): memory does not grow with the number of steps.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from local_server import fast_server  # noqa: E402

from runner.core.errors import SourceLocation  # noqa: E402
from runner.core.events import Event, RunStarted, StepFinished  # noqa: E402
from runner.core.model import Check, Collection, Matcher, RequestStep  # noqa: E402
from runner.core.redact import Redactor  # noqa: E402
from runner.engine.engine import Engine, RunOptions  # noqa: E402
from runner.reporters import ReporterOptions, ReporterSpec, close_all, create_reporters  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def collection(base: str, steps: int) -> Collection:
    loc = SourceLocation("bench.yaml", 1)
    checks = (
        Check("status", None, (Matcher("eq", 200),), loc),
        Check("json", "$.name", (Matcher("eq", "widget"),), loc),
    )
    return Collection(
        name="Memory",
        path="bench.yaml",
        steps=tuple(
            RequestStep(f"step {i}", "GET", f"{base}/item/{i}", loc, checks=checks)
            for i in range(1, steps + 1)
        ),
    )


class Sampler:
    """Samples RSS every ``every`` finished steps."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.done = 0
        self.samples: list[tuple[int, float, float]] = []  # (steps, seconds, MB)
        self.started = 0.0

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.started = time.perf_counter()
            gc.collect()
            self.samples.append((0, 0.0, rss_mb()))
        elif isinstance(event, StepFinished):
            self.done += 1
            if self.done % self.every == 0:
                self.samples.append((self.done, time.perf_counter() - self.started, rss_mb()))


def run(base: str, steps: int, keep_steps: bool, folder: Path) -> Sampler:
    redactor = Redactor()
    options = ReporterOptions(redactor, io.StringIO(), verbosity=-1, colour=False)
    specs = [
        ReporterSpec("json", folder / "report.json"),
        ReporterSpec("junit", folder / "junit.xml"),
        ReporterSpec("html", folder / "report.html"),
    ]
    sampler = Sampler(max(steps // 20, 1))
    listeners = [*create_reporters(specs, options), sampler]
    try:
        engine = Engine(
            collection(base, steps),
            None,
            RunOptions(keep_steps=keep_steps),
            listeners=listeners,
            redactor=redactor,
        )
        result = engine.run()
    finally:
        close_all(listeners)
    assert result.total == steps and result.count("passed") == steps, result.counts
    return sampler


def report(title: str, sampler: Sampler, folder: Path) -> None:
    print(f"\n{title}")
    print(f"{'steps':>8} {'seconds':>8} {'RSS MB':>8}")
    for done, seconds, mb in sampler.samples:
        print(f"{done:>8} {seconds:>8.1f} {mb:>8.1f}")
    # from the first tenth of the run (reporters, connection and caches warm) to the end
    tenth = next(s for s in sampler.samples if s[0] >= sampler.samples[-1][0] // 10 and s[0])
    last = sampler.samples[-1]
    growth = last[2] - tenth[2]
    print(
        f"growth from {tenth[0]} to {last[0]} steps: {growth:+.1f} MB "
        f"({growth / tenth[2] * 100:+.1f} %); {last[0] / last[1]:.0f} steps/s"
    )
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(folder.iterdir()))
    print(f"reports written: {sizes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--streaming-only", action="store_true", help="skip the keep_steps run")
    args = parser.parse_args()
    with fast_server() as base:
        print(f"{args.steps} request steps against {base}")
        print(f"Python {sys.version.split()[0]}, RSS before the collection: {rss_mb():.1f} MB")
        modes: list[tuple[str, bool]] = [("streaming (runner run: keep_steps=False)", False)]
        if not args.streaming_only:
            modes.append(("every StepResult kept (keep_steps=True)", True))
        for title, keep in modes:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                sampler = run(base, args.steps, keep, folder)
                report(title, sampler, folder)
            gc.collect()


if __name__ == "__main__":
    main()
