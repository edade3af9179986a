"""The load comparison of bench.py: `runner load` against plain Locust locustfiles.

The same chain as bench.py's "pair" collection (GET then POST, each with a status and a
JSON check and one capture sent in the next request's header), the same users, spawn rate
and time: a Locust `HttpUser` locustfile, a `FastHttpUser` one, and `runner load` alone and
as a master with 1, 2 and 4 workers. Each figure is the total requests per second Locust
reports for the run (its statistics, so the same arithmetic for all), and the requests per
CPU-second its processes used (all of them: master, workers, the `runner` command): on a shared
machine, where requests per second move with the neighbours' load, that one moves much less,
and it is what a load generator's reach on one core comes down to.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

PER_CPU = " per CPU-second"

LOCUSTFILE = """\
import json
from locust import {user}, constant, task


class Chain({user}):
    wait_time = constant(0)
    host = {base!r}

    @task
    def walk(self):
        ident = 0
        for n, method in enumerate(("GET", "POST")):
            kwargs = {{"headers": {{"X-Id": str(ident)}}, "name": method}}
            if method == "POST":
                kwargs["json"] = {{"name": "widget", "n": n}}
            with self.client.request(method, "/fast", catch_response=True, **kwargs) as r:
                if r.status_code != 200:
                    r.failure("status: expected 200")
                    return
                doc = r.json()
                if doc.get("ok") is not True:
                    r.failure("$.ok: expected true")
                    return
                ident = doc["id"]
"""


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished children (and theirs)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def locust_rps(
    python: str, work: Path, base: str, fast: bool, users: int, seconds: int
) -> tuple[float, float]:
    """Requests per second of a plain locustfile (Locust's aggregated figure), and requests
    per CPU-second."""
    user = "FastHttpUser" if fast else "HttpUser"
    path = work / f"locust_{user}.py"
    path.write_text(LOCUSTFILE.format(user=user, base=base))
    prefix = work / f"locust_{user}"
    cpu = children_cpu()
    subprocess.run(
        [python, "-m", "locust", "-f", str(path), "--headless", "-u", str(users),
         "-r", str(users), "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary",
         "--loglevel", "ERROR"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=seconds + 60,
    )  # fmt: skip
    cpu = children_cpu() - cpu
    with open(f"{prefix}_stats.csv", newline="") as rows:
        for row in csv.DictReader(rows):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"]), int(row["Request Count"]) / cpu
    raise SystemExit(f"locust wrote no statistics for {user}")


def runner_rps(
    runner: list[str], collection: Path, work: Path, users: int, seconds: int, workers: int = 0
) -> tuple[float, float]:
    """Requests per second of `runner load` (alone, or a master with ``workers`` workers),
    and requests per CPU-second."""
    out = work / f"load_{workers}.json"
    cpu = children_cpu()
    common = [*runner, "load", str(collection), "--progress", "0"]
    if not workers:
        subprocess.run(
            [*common, "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--json", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            timeout=seconds + 60,
        )  # fmt: skip
    else:
        port = str(_free_port())
        master = subprocess.Popen(
            [*common, "--master", "--expect-workers", str(workers), "--master-port", port,
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--json", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)
        procs = [
            subprocess.Popen(
                [*common, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        master.wait(seconds + 120)
        for proc in procs:
            proc.wait(60)
    cpu = children_cpu() - cpu
    doc = json.loads(out.read_text())
    if doc["total"]["failures"]:
        raise SystemExit(f"runner load had failures: {doc['errors']}")
    # Locust's figures, as for the locustfiles
    return float(doc["total"]["rps"]), int(doc["total"]["requests"]) / cpu


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compare(
    python: str, runner: list[str], collection: Path, work: Path, base: str,
    users: int, seconds: int,
) -> dict[str, float]:  # fmt: skip
    """All the load figures, in requests per second (and, under "... per CPU-second", in
    requests per CPU-second), alternating nothing (each runs alone)."""
    figures: dict[str, float] = {}
    for label, run in (
        ("locust HttpUser", lambda: locust_rps(python, work, base, False, users, seconds)),
        ("locust FastHttpUser", lambda: locust_rps(python, work, base, True, users, seconds)),
        ("runner load", lambda: runner_rps(runner, collection, work, users, seconds)),
        *(
            (f"runner load, master + {n} worker{'s' if n > 1 else ''}",
             lambda n=n: runner_rps(runner, collection, work, users, seconds, n))  # type: ignore[misc]
            for n in (1, 2, 4)
        ),
    ):  # fmt: skip
        print(f"  {label}: ", end="", flush=True)
        figures[label], figures[label + PER_CPU] = run()
        print(f"{figures[label]:.0f} req/s, {figures[label + PER_CPU]:.0f} per CPU-second",
              flush=True)  # fmt: skip
    return figures


if __name__ == "__main__":
    sys.exit("run bench/bench.py (this module is its load part; --no-load leaves it out)")
