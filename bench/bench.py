"""Side-by-side benchmark: runner, Newman and a plain httpx loop, against a local server.

A script a person runs (never a test): ``python bench/bench.py``. It starts a local server
(nginx from Debian's packages when ``nginx`` is installed, else a small asyncio server in a
second process), writes the workloads into a temporary folder, then runs each workload as a
whole process (start-up to exit), alternating the runners, several times, and prints the
medians of wall time and peak memory (max RSS) with the ratios the targets are stated in.

runner is installed as a user installs it (``pip install .``) into a virtual environment of
its own (``--in-place`` runs this Python's instead). Newman runs when Node is present: it is
installed from the npm registry into a temporary folder (``--newman-dir`` to reuse one).
Past those installs, only 127.0.0.1 is contacted. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BODY = b'{"ok": true, "id": 42, "name": "widget", "token": "abc-123"}'
NEWMAN_VERSION = "6.2.2"
LATENCY_S = 0.020


# --- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NGINX_CONF = """\
{load_echo}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location /fast {{
            default_type application/json;
            return 200 '{body}';
        }}
        {slow}
    }}
}}
"""

NGINX_SLOW = """location /slow {{
            default_type application/json;
            echo_sleep {latency};
            echo '{body}';
        }}"""


@contextmanager
def nginx_server(workdir: Path) -> Iterator[tuple[str, str]]:
    """nginx on a free port: /fast answers at once; /slow after LATENCY_S (echo module)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    echo = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
    conf = workdir / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            load_echo=f"load_module {echo};" if echo.exists() else "",
            dir=workdir,
            port=port,
            body=BODY.decode(),
            slow=NGINX_SLOW.format(latency=LATENCY_S, body=BODY.decode()) if echo.exists() else "",
        )
    )
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(workdir)])
    try:
        wait_port(port)
        slow = f"nginx {Path(binary).name} + echo_sleep" if echo.exists() else ""
        yield f"http://127.0.0.1:{port}", slow
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def python_server() -> Iterator[tuple[str, str]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_port(port)
        yield f"http://127.0.0.1:{port}", "python asyncio"
    finally:
        proc.terminate()
        proc.wait(10)


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise SystemExit(f"the server did not start on port {port}")


def serve(port: int) -> None:
    """A small keep-alive HTTP/1.1 server: /fast at once, /slow after LATENCY_S."""

    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    )

    class Http(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while b"\r\n\r\n" in self.buffer:
                head, _, rest = self.buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(rest) < length:
                    return
                self.buffer = rest[length:]
                if head.split(b" ", 2)[1].startswith(b"/slow"):
                    loop = asyncio.get_running_loop()
                    loop.call_later(LATENCY_S, self.transport.write, response)
                else:
                    self.transport.write(response)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(main())


# --- the workloads -----------------------------------------------------------------------------

ONE = """\
name: One request
steps:
  - request: Get
    url: {base}/fast
    expect:
      status: 200
"""

PAIR = """\
name: Requests
variables:
  id: 0
steps:
  - request: Get
    url: {base}/fast
    headers:
      X-Id: <<id>>
    expect:
      status: 200
      json:
        $.ok: true
    capture:
      id: $.id
  - request: Post
    method: POST
    url: {base}/fast
    headers:
      X-Id: <<id>>
    body:
      json: {{name: widget, n: <<iteration>>}}
    expect:
      status: 200
      json:
        $.ok: true
    capture:
      id: $.id
"""

DATA = """\
name: Data rows
steps:
  - request: Post row
    method: POST
    url: {base}/fast
    headers:
      X-User: <<user>>
    body:
      json: {{user: <<user>>, n: <<n>>}}
    expect:
      status: 200
      json:
        $.ok: true
    capture:
      id: $.id
"""

SLOW = """\
name: Slow server
steps:
  - request: Get slowly
    url: {base}/slow
    expect:
      status: 200
      json:
        $.ok: true
"""

FLOOR = """\
import sys
import httpx

base, count = sys.argv[1], int(sys.argv[2])
with httpx.Client() as client:
    ident = 0
    for n in range(count):
        headers = {"X-Id": str(ident)}
        if n % 2:
            r = client.post(base + "/fast", headers=headers, json={"name": "widget", "n": n})
        else:
            r = client.get(base + "/fast", headers=headers)
        assert r.status_code == 200
        doc = r.json()
        assert doc["ok"] is True
        ident = doc["id"]
"""


def postman_collection(base: str, pair: bool) -> dict[str, object]:
    test = [
        "pm.test('status', function () { pm.response.to.have.status(200); });",
        "var doc = pm.response.json();",
        "pm.test('ok', function () { pm.expect(doc.ok).to.eql(true); });",
        "pm.collectionVariables.set('id', doc.id);",
    ]

    def item(name: str, method: str) -> dict[str, object]:
        request: dict[str, object] = {
            "method": method,
            "url": f"{base}/fast",
            "header": [{"key": "X-Id", "value": "{{id}}"}],
        }
        if method == "POST":
            request["body"] = {
                "mode": "raw",
                "raw": '{"name": "widget", "n": {{$randomInt}}}',
                "options": {"raw": {"language": "json"}},
            }
        return {
            "name": name,
            "request": request,
            "event": [{"listen": "test", "script": {"exec": test}}],
        }

    items = [item("Get", "GET"), item("Post", "POST")] if pair else [item("Get", "GET")]
    return {
        "info": {
            "name": "bench",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [{"key": "id", "value": "0"}],
        "item": items,
    }


@dataclass
class Sample:
    wall: float
    rss_mb: float


def bench_env() -> dict[str, str]:
    """The environment of the measured processes: Python may write its bytecode cache (as on
    a user's machine), and nothing proxies 127.0.0.1."""
    env = os.environ.copy()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return env


def measure(argv: Sequence[str]) -> Sample:
    """Wall time and peak memory of one whole process (its output thrown away)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=bench_env()
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0,):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {' '.join(argv)}\n{err[-2000:]}")
    return Sample(wall, usage.ru_maxrss / 1024)


def install_newman(folder: Path) -> Path | None:
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    binary = folder / "node_modules" / ".bin" / "newman"
    if not binary.exists():
        print(f"installing newman {NEWMAN_VERSION} from the npm registry into {folder} ...")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder),
             f"newman@{NEWMAN_VERSION}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"newman could not be installed; left out:\n{done.stderr[-500:]}")
            return None
    return binary


def install_runner(folder: Path) -> Path:
    """A virtual environment with the project installed as a user installs it (``pip install
    .``: not editable, no extras), so start-up is measured without the editable-install import
    hook or the test extras (h2); its Python runs both runner and the httpx floor. Rebuilt
    when the project's files are newer than the environment."""
    python = folder / "bin" / "python"
    stamp = folder / ".installed"
    sources = [ROOT / "pyproject.toml", *(ROOT / "runner").rglob("*.py")]
    newest = max(path.stat().st_mtime for path in sources)
    if stamp.exists() and stamp.stat().st_mtime >= newest:
        return python
    print(f"installing runner (pip install ., as a user would) into {folder} ...")
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
        check=True,
        cwd=tempfile.gettempdir(),  # never the checkout: its runner/ would shadow the install
    )
    stamp.touch()
    return python


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Workload:
    key: str
    label: str
    requests: int
    ours: list[str]
    newman: list[str] | None
    floor: list[str] | None
    reps: int


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=5, help="repetitions of small workloads")
    parser.add_argument("--large-reps", type=int, default=3, help="of 10,000+ requests")
    parser.add_argument("--quick", action="store_true", help="leave out the 100,000 workloads")
    parser.add_argument("--no-newman", action="store_true")
    parser.add_argument("--newman-large", action="store_true", help="Newman at 10,000 too")
    parser.add_argument("--python-server", action="store_true", help="even if nginx exists")
    parser.add_argument(
        "--newman-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "runner-bench-newman",
        help="where Newman is installed (a temporary folder, reused when present)",
    )
    parser.add_argument("--json", type=Path, help="also write the medians here")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="run this Python's runner (e.g. an editable install) instead of a user install",
    )
    parser.add_argument(
        "--venv-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "runner-bench-venv",
        help="where runner is installed as a user would (reused while up to date)",
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0

    newman = None if args.no_newman else install_newman(args.newman_dir)
    python = Path(sys.executable) if args.in_place else install_runner(args.venv_dir)
    runner = [str(python), "-m", "runner"]
    with tempfile.TemporaryDirectory(prefix="runner-bench-") as tmp:
        work = Path(tmp)
        use_nginx = not args.python_server and (
            shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
        )
        server = nginx_server(work) if use_nginx else python_server()
        with server as (base, slow_kind):
            kind = "nginx (Debian package)" if use_nginx else "Python asyncio server"
            print(f"server: {kind} at {base}; Newman: {'yes' if newman else 'no'}")
            how = (
                "this Python (--in-place)"
                if args.in_place
                else f"a user install in {args.venv_dir}"
            )
            print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; runner: {how}\n")
            slow_base = base
            slow_server = None
            if not slow_kind:  # nginx without the echo module: a Python server for /slow
                slow_server = python_server()
                slow_base, _ = slow_server.__enter__()
            try:
                results = run_all(args, work, base, slow_base, runner, newman)
            finally:
                if slow_server is not None:
                    slow_server.__exit__(None, None, None)
    report(results, args)
    return 0


def run_all(
    args: argparse.Namespace,
    work: Path,
    base: str,
    slow_base: str,
    runner: list[str],
    newman: Path | None,
) -> dict[str, dict[str, Sample]]:
    files: dict[str, Path] = {}
    for name, template in (("one", ONE), ("pair", PAIR), ("data", DATA), ("slow", SLOW)):
        files[name] = work / f"{name}.yaml"
        files[name].write_text(template.format(base=slow_base if name == "slow" else base))
    for name, pair in (("one", False), ("pair", True)):
        files[f"pm_{name}"] = work / f"{name}.postman.json"
        files[f"pm_{name}"].write_text(json.dumps(postman_collection(base, pair)))
    files["floor"] = work / "floor.py"
    files["floor"].write_text(FLOOR)
    files["rows"] = work / "rows.csv"
    with files["rows"].open("w") as out:
        out.write("user,n\n")
        out.writelines(f"user{n},{n}\n" for n in range(100_000))

    def ours(name: str, *extra: str) -> list[str]:
        return [*runner, "run", str(files[name]), "--no-color", *extra]

    def pm(name: str, iterations: int) -> list[str] | None:
        if newman is None:
            return None
        return [str(newman), "run", str(files[name]), "-n", str(iterations), "--reporters", "cli"]

    def floor(count: int) -> list[str]:
        return [runner[0], str(files["floor"]), base, str(count)]

    workloads = [
        Workload("one", "1 request", 1, ours("one"), pm("pm_one", 1), floor(1), args.reps),
        Workload(
            "1k",
            "1,000 requests",
            1000,
            ours("pair", "--iterations", "500"),
            pm("pm_pair", 500),
            floor(1000),
            args.reps,
        ),
        Workload(
            "1k-reports",
            "1,000 requests, console + JSON + JUnit reports",
            1000,
            ours(
                "pair",
                "--iterations",
                "500",
                "--reporter",
                "console",
                "--reporter",
                f"json:{work / 'report.json'}",
                "--reporter",
                f"junit:{work / 'report.xml'}",
            ),
            None,
            None,
            args.reps,
        ),
        Workload(
            "10k",
            "10,000 requests",
            10_000,
            ours("pair", "--iterations", "5000"),
            pm("pm_pair", 5000) if args.newman_large else None,
            floor(10_000),
            args.large_reps,
        ),
    ]
    if not args.quick:
        workloads += [
            Workload(
                "100k",
                "100,000 requests",
                100_000,
                ours("pair", "--iterations", "50000"),
                None,
                floor(100_000),
                args.large_reps,
            ),
            Workload(
                "rows",
                "100,000-row data file",
                100_000,
                ours("data", "--data", str(files["rows"])),
                None,
                None,
                args.large_reps,
            ),
        ]
    workloads += [
        Workload("seq", "200 requests, 20 ms", 200, ours("slow", "-n", "200"), None, None, 3),
        Workload(
            "par8",
            "same, --parallel 8",
            200,
            ours("slow", "-n", "200", "--parallel", "8"),
            None,
            None,
            3,
        ),
    ]
    samples: dict[str, dict[str, list[Sample]]] = {}
    for argv in (workloads[0].ours, workloads[0].newman, workloads[0].floor):
        if argv is not None:  # warm-up, not measured: bytecode caches and the disk cache
            measure(argv)
    for workload in workloads:
        print(f"{workload.label}: ", end="", flush=True)
        got = samples.setdefault(workload.key, {})
        for _ in range(workload.reps):  # alternate the runners within each repetition
            for who, argv in (
                ("runner", workload.ours),
                ("newman", workload.newman),
                ("httpx", workload.floor),
            ):
                if argv is None:
                    continue
                got.setdefault(who, []).append(measure(argv))
                print(".", end="", flush=True)
        print()
    return {
        key: {
            who: Sample(
                statistics.median(s.wall for s in runs), statistics.median(s.rss_mb for s in runs)
            )
            for who, runs in by_who.items()
        }
        for key, by_who in samples.items()
    }


def report(results: dict[str, dict[str, Sample]], args: argparse.Namespace) -> None:
    def cell(key: str, who: str) -> str:
        sample = results.get(key, {}).get(who)
        return "–" if sample is None else f"{sample.wall:.2f} s, {sample.rss_mb:.0f} MB"

    def per_request(who: str, big: str = "1k", count: int = 1000) -> float | None:
        one, many = results.get("one", {}).get(who), results.get(big, {}).get(who)
        if one is None or many is None:
            return None
        return (many.wall - one.wall) / (count - 1) * 1000

    lines = [
        "| workload | runner | Newman | plain httpx loop |",
        "|---|---|---|---|",
    ]
    labels = {
        "one": "1 request (start-up to exit)",
        "1k": "1,000 requests",
        "1k-reports": "1,000 requests, console + JSON + JUnit report files",
        "10k": "10,000 requests",
        "100k": "100,000 requests",
        "rows": "100,000-row data file (100,000 requests)",
        "seq": "200 requests to a 20 ms server",
        "par8": "the same with --parallel 8",
    }
    for key, label in labels.items():
        if key in results:
            lines.append(
                f"| {label} | {cell(key, 'runner')} | {cell(key, 'newman')} | "
                f"{cell(key, 'httpx')} |"
            )
    ms = {who: per_request(who) for who in ("runner", "newman", "httpx")}
    ms10 = {who: per_request(who, "10k", 10_000) for who in ("runner", "newman", "httpx")}
    for label, values in (("1,000", ms), ("10,000", ms10)):
        lines.append(
            f"| time per further request ({label} vs 1) | "
            + " | ".join("–" if values[w] is None else f"{values[w]:.3f} ms" for w in values)
            + " |"
        )
    print("\n" + "\n".join(lines) + "\n")

    r = results

    def ratio(a: float | None, b: float | None) -> str:
        return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"

    def wall(key: str, who: str) -> float | None:
        s = r.get(key, {}).get(who)
        return None if s is None else s.wall

    def rss(key: str, who: str) -> float | None:
        s = r.get(key, {}).get(who)
        return None if s is None else s.rss_mb

    one, pm_one = wall("one", "runner"), wall("one", "newman")
    seq, par = wall("seq", "runner"), wall("par8", "runner")
    mem, pm_mem = rss("1k", "runner"), rss("1k", "newman")
    checks = [
        ("start-up: runner / Newman (target <= 0.25)", ratio(one, pm_one)),
        ("start-up: runner / 1.12 s, httpyac's (target < 0.33)", ratio(one, 1.12)),
        ("per request: runner / Newman (target <= 0.10)", ratio(ms["runner"], ms["newman"])),
        ("per request: runner / httpx floor (target <= 1.5)", ratio(ms["runner"], ms["httpx"])),
        ("the same, from 10,000 requests", ratio(ms10["runner"], ms10["httpx"])),
        ("memory at 1,000: runner / Newman (target <= 0.5)", ratio(mem, pm_mem)),
        ("memory at 1,000: runner / 76 MB, Tavern's (target < 1)", ratio(mem, 76)),
        ("memory 100,000 / 1,000 requests (target < 1.10)", ratio(rss("100k", "runner"), mem)),
        ("memory 100,000 rows / 1,000 requests (target < 1.10)", ratio(rss("rows", "runner"), mem)),
        ("--parallel 8 throughput / sequential (target >= 5)", ratio(seq, par)),
    ]
    print("| ratio | value |\n|---|---|")
    for label, value in checks:
        print(f"| {label} | {value} |")
    if args.json:
        args.json.write_text(
            json.dumps(
                {k: {w: vars(s) for w, s in v.items()} for k, v in results.items()}, indent=2
            )
        )


if __name__ == "__main__":
    sys.exit(main())
