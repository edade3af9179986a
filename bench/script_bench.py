"""What a Postman-scripted request costs, next to the floor set by Postman's sandbox itself.

A script a person runs (never a test, never CI), in the project's environment (the installed
`runner`, Postman's sandbox installed by a first `runner run --scripts`):
``python bench/script_bench.py``. In one run, alternating within each repetition:

- **the sandbox's floor**: Node alone, no Python, no pipe: ``ctx.execute`` of the same test
  script with the same context and options our host passes (request, response, the four
  variable scopes; the legacy interface only when the script may use it),
  in a loop, in one ``postman-sandbox`` context: wall and CPU milliseconds per execution;
- **the sandbox with nothing to do**: the same loop running ``;`` in an empty context, without
  the legacy interface: what an execution costs in the sandbox itself, whatever the script;
- **the host**: ``PostmanSandbox.run`` from Python in a loop (JSON lines to our Node host and
  back): the floor plus our bridge;
- **the run**: ``runner run`` of bench.py's imported scripted chain (GET then POST, a test
  script on each), 1 and N iterations, with its scripts and without (``run_scripts: false``):
  ``(wall(N) - wall(1)) / (2N - 2)`` is the per-request figure (start-up and the sandbox's
  boot cancel out), and scripted minus plain is what the script adds to a request.

Prints medians and the machine's load average at the start and the end (the machine is shared:
say so when quoting the figures). See docs/performance.md#postman-scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # the servers and the scripted chain, shared with bench.py

FLOOR_JS = """\
const path = require('path');
const [modules, contextFile, count, nothing] = process.argv.slice(2);
const Sandbox = require(path.join(modules, 'postman-sandbox'));
const message = JSON.parse(require('fs').readFileSync(contextFile, 'utf8'));
const N = Number(count);
function context () {  // as host.js builds it from the same message
    const c = JSON.parse(JSON.stringify(message.context));
    const r = c.response;
    c.response = { code: r.code, status: r.status, responseTime: r.response_time_ms,
        header: r.headers.map((h) => ({ key: h[0], value: h[1] })),
        stream: { type: 'Base64', data: r.body_b64 || '' } };
    return c;
}
Sandbox.createContext({ debug: false, timeout: 2000 }, (err, ctx) => {
    if (err) { throw err; }
    let i = 0, wall, cpu;
    const one = () => {
        if (i === 20) { wall = process.hrtime.bigint(); cpu = process.cpuUsage(); }
        if (i === N + 20) {
            const used = process.cpuUsage(cpu);
            console.log(JSON.stringify({
                wall_ms: Number(process.hrtime.bigint() - wall) / 1e6 / N,
                cpu_ms: (used.user + used.system) / 1e3 / N }));
            process.exit(0);
        }
        i++;
        ctx.execute({ listen: 'test', script: { exec: nothing ? ';' : message.script } },
            { context: nothing ? {} : context(), cursor: message.cursor, legacy: message.legacy,
              timeout: 2000, disableLegacyAPIs: nothing ? true : message.legacy_apis === false },
            (e) => { if (e) { throw e; } setImmediate(one); });
    };
    one();
});
"""

HOST_LOOP = """\
import json, sys, time
from runner.scripts.postman import host
message = json.load(open(sys.argv[1]))
c, r = message["context"], message["context"]["response"]
import base64
context = host.ScriptContext(
    request=host.HttpRequest(c["request"]["method"], c["request"]["url"],
                             tuple((h["key"], h["value"]) for h in c["request"]["header"])),
    response=host.HttpResponse(r["code"], r["status"], tuple(map(tuple, r["headers"])),
                               base64.b64decode(r["body_b64"]), r["response_time_ms"]),
    variables={s: {v["key"]: v["value"] for v in c[s]["values"]} for s in host.SCOPES},
    request_name="Get",
)
count = int(sys.argv[2])
with host.PostmanSandbox.start() as sandbox:
    for _ in range(20):
        assert not sandbox.run("test", message["script"], context).errors
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        sandbox.run("test", message["script"], context)
    print(json.dumps({"wall_ms": (time.perf_counter() - wall) / count * 1000,
                      "python_cpu_ms": (time.process_time() - cpu) / count * 1000}))
"""


def sample_message(python: str, collection: Path, out: Path) -> None:
    """The run message our host receives for the chain's second request (its real context)."""
    code = (
        "import json, sys\n"
        "import runner.scripts.postman.host as h\n"
        "sent = []\n"
        "write = h.PostmanSandbox._write\n"
        "h.PostmanSandbox._write = lambda self, m: (sent.append(m), write(self, m))[1]\n"
        "from runner.cli.main import main\n"
        "try:\n"
        "    main(['run', sys.argv[1], '-n', '2', '-q'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "json.dump([m for m in sent if m['op'] == 'run'][-1], open(sys.argv[2], 'w'))\n"
    )
    subprocess.run([python, "-c", code, str(collection), str(out)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def timed(argv: Sequence[str]) -> dict[str, float]:
    """Wall and CPU seconds of a whole run (CPU: the process and its Node host, reaped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall": wall, "cpu": cpu}


def json_out(argv: Sequence[str]) -> dict[str, float]:
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100, help="N: 2N requests a run")
    parser.add_argument("--loops", type=int, default=300, help="executions per floor sample")
    args = parser.parse_args(argv)
    from runner.scripts.postman import install  # the installed sandbox (a first run installs)

    modules = install.package_dir(install.ensure_installed(None)).parent
    python = sys.executable
    runner = [python, "-m", "runner"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = bench.nginx_server(work) if shutil.which("nginx") else bench.python_server()
        with server as (base, _):
            scripted = bench.postman_collection(base, True)
            for item in scripted["item"]:  # type: ignore[attr-defined]
                item["event"][0]["script"]["exec"] = bench.SCRIPTED_TEST
            (work / "scripted.postman.json").write_text(json.dumps(scripted))
            subprocess.run([*runner, "import", "postman", str(work / "scripted.postman.json"),
                            "-o", str(work / "imported")], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            with_scripts = next((work / "imported").rglob("*.yaml"))
            plain = work / "plain.yaml"
            plain.write_text(
                with_scripts.read_text().replace("run_scripts: true", "run_scripts: false")
            )
            message = work / "message.json"
            sample_message(python, with_scripts, message)
            (work / "floor.js").write_text(FLOOR_JS)
            (work / "host_loop.py").write_text(HOST_LOOP)
            n: int = args.iterations
            floor_argv = ["node", str(work / "floor.js"), str(modules), str(message),
                          str(args.loops)]  # fmt: skip
            measures: dict[str, Callable[[], dict[str, float]]] = {
                "floor": lambda: json_out(floor_argv),
                "nothing": lambda: json_out([*floor_argv, "nothing"]),
                "host": lambda: json_out(
                    [python, str(work / "host_loop.py"), str(message), str(args.loops)]
                ),
                "scripted 1": lambda: timed([*runner, "run", str(with_scripts), "-n", "1"]),
                "scripted N": lambda: timed([*runner, "run", str(with_scripts), "-n", str(n)]),
                "plain 1": lambda: timed([*runner, "run", str(plain), "-n", "1"]),
                "plain N": lambda: timed([*runner, "run", str(plain), "-n", str(n)]),
            }
            samples: dict[str, list[dict[str, float]]] = {k: [] for k in measures}
            for rep in range(args.reps):
                print(f"repetition {rep + 1} of {args.reps}", file=sys.stderr)
                for key, measure in measures.items():
                    samples[key].append(measure())
    load_after = os.getloadavg()

    def med(key: str, field: str) -> float:
        return float(statistics.median(sample[field] for sample in samples[key]))

    def per_request(kind: str, field: str) -> float:
        """ms a request: (N iterations - 1 iteration) / (2N - 2)."""
        return (med(f"{kind} N", field) - med(f"{kind} 1", field)) / (2 * n - 2) * 1000.0

    scripted_ms, plain_ms = per_request("scripted", "wall"), per_request("plain", "wall")
    scripted_cpu, plain_cpu = per_request("scripted", "cpu"), per_request("plain", "cpu")
    print(f"load average at the start {load_before[0]:.2f} / {load_before[1]:.2f}, "
          f"at the end {load_after[0]:.2f} / {load_after[1]:.2f} (1 / 5 min)")  # fmt: skip
    print(f"medians of {args.reps}, alternating; {2 * n} requests a run; ms:")
    print(f"  sandbox floor (Node alone, ctx.execute): {med('floor', 'wall_ms'):.2f} wall, "
          f"{med('floor', 'cpu_ms'):.2f} CPU an execution")  # fmt: skip
    print(f"  the same with nothing to do (';' in an empty context): "
          f"{med('nothing', 'wall_ms'):.2f} wall, {med('nothing', 'cpu_ms'):.2f} CPU")  # fmt: skip
    print(f"  our host from Python (PostmanSandbox.run): {med('host', 'wall_ms'):.2f} wall "
          f"({med('host', 'python_cpu_ms'):.2f} of it Python CPU) a script")  # fmt: skip
    print(f"  runner run, scripted request: {scripted_ms:.2f} wall, {scripted_cpu:.2f} CPU "
          "(Python and Node)")  # fmt: skip
    print(f"  runner run, the same without scripts: {plain_ms:.2f} wall, {plain_cpu:.2f} CPU")
    print(f"  what the script adds to a request: {scripted_ms - plain_ms:.2f} wall "
          f"(floor {med('floor', 'wall_ms'):.2f}), {scripted_cpu - plain_cpu:.2f} CPU "
          f"(floor {med('floor', 'cpu_ms'):.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
