"""Peak memory of `runner run` as collections and data files grow (issue 9, point 8).

A script a person runs (never a test): ``python bench/limits.py [--quick]``. It starts a small
keep-alive HTTP server in a second process on 127.0.0.1, writes collections of 1, 1,000 and
10,000 request steps and CSV data files of 1,000, 10,000 and 100,000 rows into a temporary
folder, runs each through ``python -m runner run`` (a fresh process, with the JSON and JUnit
reporters writing files, as in CI) and prints the process's peak resident memory (its maximum
RSS, from ``wait4``), the wall time and the size of the reports. ``--quick`` leaves out the
100,000-row file. The claim it checks (docs/security.md#limits): peak memory stays flat as
the number of steps or rows grows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_server import fast_server

ROOT = Path(__file__).resolve().parent.parent


STEP = """\
  - request: Item {i}
    method: POST
    url: <<base>>/items/{i}
    headers: {{X-Step: "{i}"}}
    body:
      json: {{sku: "SKU-{i}", qty: {i}}}
    expect:
      status: 200
      json:
        $.name: widget
    capture:
      item_{i}: $.id
"""

ROW_COLLECTION = """\
name: Rows
variables:
  base: {base}
steps:
  - request: One row
    method: POST
    url: <<base>>/users/<<user>>
    headers: {{X-Token: "<<token>>"}}
    body:
      json: {{user: "<<user>>", n: "<<n>>"}}
    expect:
      status: 200
      json:
        $.name: widget
"""


def steps_collection(folder: Path, base: str, steps: int) -> Path:
    path = folder / f"steps_{steps}.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"name: Steps\nvariables:\n  base: {base}\nsteps:\n")
        for i in range(1, steps + 1):
            out.write(STEP.format(i=i))
    return path


def rows_file(folder: Path, rows: int) -> Path:
    path = folder / f"rows_{rows}.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("user,token,n\n")
        for i in range(1, rows + 1):
            out.write(f"user{i},tok-{i:08d},{i}\n")
    return path


def measure(args: list[str], folder: Path) -> tuple[float, float, int]:
    """Run ``python -m runner run ARGS`` with JSON and JUnit report files: (peak RSS in MB,
    seconds, bytes of reports). Fails loudly when the run does not exit 0."""
    reports = [folder / "report.json", folder / "junit.xml"]
    command = [sys.executable, "-m", "runner", "run", *args, "--quiet", "--no-color"]
    command += ["--reporter", f"json:{reports[0]}", "--reporter", f"junit:{reports[1]}"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    output = proc.stdout.read().decode() if proc.stdout else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{output[-2000:]}")
    size = sum(p.stat().st_size for p in reports)
    for report in reports:
        report.unlink()
    return usage.ru_maxrss / 1024, seconds, size  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the 100,000-row file")
    options = parser.parse_args()
    with fast_server() as base:
        print(f"runner run against {base}; Python {sys.version.split()[0]}")
        print(f"{'workload':<34} {'peak RSS':>9} {'seconds':>8} {'reports':>9}")
        rows = [1_000, 10_000] + ([] if options.quick else [100_000])
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for steps in (1, 1_000, 10_000):
                collection = steps_collection(folder, base, steps)
                mb, seconds, size = measure([str(collection)], folder)
                label = f"{steps:,} step{'s' if steps > 1 else ''} (collection)"
                print(f"{label:<34} {mb:>6.1f} MB {seconds:>8.1f} {size / 1e6:>6.1f} MB")
            row_collection = folder / "rows.yaml"
            row_collection.write_text(ROW_COLLECTION.format(base=base), encoding="utf-8")
            for count in rows:
                data = rows_file(folder, count)
                mb, seconds, size = measure([str(row_collection), "--data", str(data)], folder)
                label = f"{count:,} data rows (1 step each)"
                print(f"{label:<34} {mb:>6.1f} MB {seconds:>8.1f} {size / 1e6:>6.1f} MB")


if __name__ == "__main__":
    main()
