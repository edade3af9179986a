"""Where a large collection's memory goes: load, prepare and run measured one by one.

A script a person runs (never a test): ``python bench/step_memory.py [--steps N ...] [--top K]``.
It writes the collection ``bench/limits.py`` uses (N POST steps, each with a header, a JSON
body, two expectations and a capture), starts that script's keep-alive server in a second
process on 127.0.0.1, and in this process, with ``tracemalloc`` on:

- loads the file (``runner.format.loader.load_collection``): the peak while reading, and what the
  model keeps;
- prepares the run (``Engine.prepare``, every template of every step checked): what it adds;
- runs it (``Engine.run``, results streamed as ``runner run`` does): what the run adds.

Each figure is also given per step. ``--top K`` prints the K source lines holding the most
memory at the end of each phase (tracemalloc's attribution, one frame). Load time is measured
separately, without tracemalloc (best of three). The claim it checks (docs/security.md#limits):
a collection costs a few KB per step, and the run adds nothing per step.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from limits import steps_collection  # noqa: E402
from local_server import fast_server  # noqa: E402

from runner.engine.engine import Engine, RunOptions  # noqa: E402
from runner.format.loader import load_collection  # noqa: E402


def top(snapshot: tracemalloc.Snapshot, base: tracemalloc.Snapshot | None, count: int) -> None:
    stats = snapshot.compare_to(base, "lineno") if base else snapshot.statistics("lineno")
    for stat in stats[:count]:
        print(f"      {stat}")


def load_seconds(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        load_collection(path)
        best = min(best, time.perf_counter() - started)
    return best


def measure(path: Path, steps: int, count: int) -> None:
    seconds = load_seconds(path)
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.take_snapshot() if count else None
    collection = load_collection(path)
    kept, peak = tracemalloc.get_traced_memory()
    loaded = tracemalloc.take_snapshot() if count else None
    print(f"{steps:,} steps ({path.stat().st_size / 1e6:.1f} MB of YAML), load {seconds:.2f} s")
    print(f"  load     peak {peak / 1e6:7.1f} MB   kept {kept / 1e6:6.1f} MB"
          f"   {kept / steps:7.0f} B/step")  # fmt: skip
    if count:
        top(loaded, start, count)  # type: ignore[arg-type]
    tracemalloc.reset_peak()
    engine = Engine(collection, options=RunOptions(environ={}, keep_steps=False))
    engine.prepare()
    after, peak = tracemalloc.get_traced_memory()
    prepared = tracemalloc.take_snapshot() if count else None
    print(f"  prepare  peak {peak / 1e6:7.1f} MB   adds {(after - kept) / 1e6:6.1f} MB"
          f"   {(after - kept) / steps:7.0f} B/step")  # fmt: skip
    if count:
        top(prepared, loaded, count)  # type: ignore[arg-type]
    tracemalloc.reset_peak()
    result = engine.run()
    if not result.ok:
        raise SystemExit(f"the run failed: {result.counts}")
    del result
    gc.collect()
    ran, peak = tracemalloc.get_traced_memory()
    print(f"  run      peak {peak / 1e6:7.1f} MB   adds {(ran - after) / 1e6:6.1f} MB"
          f"   {(ran - after) / steps:7.0f} B/step")  # fmt: skip
    if count:
        top(tracemalloc.take_snapshot(), prepared, count)
    tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--top", type=int, default=0, help="print the K lines holding most")
    options = parser.parse_args()
    with fast_server() as base:
        print(f"Python {sys.version.split()[0]}; tracemalloc figures (Python allocations only)")
        with tempfile.TemporaryDirectory() as tmp:
            for steps in options.steps:
                path = steps_collection(Path(tmp), base, steps)
                measure(path, steps, options.top)


if __name__ == "__main__":
    main()
