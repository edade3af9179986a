"""Two commits of runner and the httpx floor, alternated in one loop: start-up and time per
request, as wall time and as CPU time (user + system) of each whole process.

A script a person runs (never a test): ``python bench/compare.py BEFORE [AFTER]``, where
BEFORE and AFTER are git commits (AFTER: the working tree). Each commit's ``runner/`` is
taken with ``git archive`` into a temporary folder and run with this Python (its
dependencies installed, runner itself found through PYTHONPATH); the floor is bench.py's
httpx loop. Why CPU time too: on a shared machine the wall time of a process depends on what
else runs, its CPU time much less; the ratios of CPU times are the steadier evidence of what
a change saved (they leave out the server's time, which both sides wait for alike).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the servers and workloads, one definition


def tree(commit: str | None, folder: Path) -> Path:
    """The sources of runner at ``commit`` (None: the working tree) in ``folder``."""
    if commit is None:
        return bench.ROOT
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit, "runner"], cwd=bench.ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (its output thrown away)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="a git commit")
    parser.add_argument("after", nargs="?", help="a git commit (default: the working tree)")
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="runner-compare-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        (work / "nginx").mkdir()
        server = bench.nginx_server if shutil.which("nginx") else None
        base, _ = stack.enter_context(server(work / "nginx") if server else bench.python_server())
        (work / "one.yaml").write_text(bench.ONE.format(base=base))
        (work / "pair.yaml").write_text(bench.PAIR.format(base=base))
        (work / "floor.py").write_text(bench.FLOOR)
        env = bench.bench_env()
        runs: dict[str, tuple[list[str], dict[str, str]]] = {}
        for who, commit in (("before", args.before), ("after", args.after)):
            source = {**env, "PYTHONPATH": str(tree(commit, work / who))}
            command = [sys.executable, "-m", "runner", "run", "--no-color"]
            runs[f"{who} 1"] = ([*command, str(work / "one.yaml")], source)
            half = str(args.requests // 2)
            runs[f"{who} N"] = ([*command, str(work / "pair.yaml"), "--iterations", half], source)
        floor = [sys.executable, str(work / "floor.py"), base]
        runs["floor 1"] = ([*floor, "1"], env)
        runs["floor N"] = ([*floor, str(args.requests)], env)
        for command, environ in runs.values():  # warm-up: bytecode caches, page cache
            run(command, environ)
        load = os.getloadavg()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(args.reps):
            for name, (command, environ) in runs.items():
                samples[name].append(run(command, environ))
        print(
            f"{args.reps} repetitions, {args.requests} requests; load average "
            f"{load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
        )
        for column, label in ((0, "wall"), (1, "CPU")):
            med = {n: statistics.median(s[column] for s in v) for n, v in samples.items()}
            floor_per = (med["floor N"] - med["floor 1"]) / (args.requests - 1)
            for who in ("before", "after"):
                start = med[f"{who} 1"]
                per = (med[f"{who} N"] - start) / (args.requests - 1)
                print(
                    f"{label:4} {who:6}: start-up {start * 1000:.0f} ms = "
                    f"{start / med['floor 1']:.2f} x the floor's {med['floor 1'] * 1000:.0f} ms; "
                    f"per request {per * 1000:.3f} ms = {per / floor_per:.2f} x the floor's "
                    f"{floor_per * 1000:.3f} ms"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
