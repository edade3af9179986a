"""Side-by-side benchmark: runner, its peers and its floors, against a local server.

A script a person runs (never a test, never CI): ``python bench/bench.py``. It starts a local
server (nginx from Debian's packages when ``nginx`` is installed, else a small asyncio server
in a second process), writes the workloads into a temporary folder, then runs each workload
as a whole process (start-up to exit), alternating the tools, several times, and prints the
machine's load average, the medians of wall time and peak memory (max RSS), the ratios the
targets are stated in, and the load comparison with plain Locust (bench/load_bench.py).

The peers (Newman, Bruno CLI, httpyac from npm; Tavern from PyPI) are installed, pinned, into
``--peers-dir`` and left out with the reason when they cannot be; the floors are the same loop
over httpx, urllib3 and http.client, and wrk when installed. runner is installed as a user
installs it (``pip install '.[load]'``) into a virtual environment of its own
(``--in-place`` runs this Python's instead). Past those installs, only 127.0.0.1 is
contacted. ``--quick`` is a smoke test. See docs/performance.md.
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

# The chain's first request alone, with its checks and capture: the same work as each peer's
# and each floor's one-request run, so that start-up and the first request's one-off costs
# (imports, compiling its templates) cancel out of the time per further request.
ONE = """\
name: One request
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


URLLIB3_FLOOR = """\
import json
import sys
import urllib3

base, count = sys.argv[1], int(sys.argv[2])
pool = urllib3.PoolManager()
ident = 0
for n in range(count):
    headers = {"X-Id": str(ident)}
    if n % 2:
        headers["Content-Type"] = "application/json"
        body = json.dumps({"name": "widget", "n": n}).encode()
        r = pool.request("POST", base + "/fast", headers=headers, body=body)
    else:
        r = pool.request("GET", base + "/fast", headers=headers)
    assert r.status == 200
    doc = json.loads(r.data)
    assert doc["ok"] is True
    ident = doc["id"]
"""

HTTP_CLIENT_FLOOR = """\
import http.client
import json
import sys
import urllib.parse

base, count = sys.argv[1], int(sys.argv[2])
url = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(url.hostname, url.port)
ident = 0
for n in range(count):
    headers = {"X-Id": str(ident)}
    if n % 2:
        headers["Content-Type"] = "application/json"
        body = json.dumps({"name": "widget", "n": n}).encode()
        conn.request("POST", "/fast", body=body, headers=headers)
    else:
        conn.request("GET", "/fast", headers=headers)
    r = conn.getresponse()
    assert r.status == 200
    doc = json.loads(r.read())
    assert doc["ok"] is True
    ident = doc["id"]
"""


# A test script the importer keeps as JavaScript (the `if`), so the run executes it in
# Postman's sandbox: the same checks and capture as the other workloads.
SCRIPTED_TEST = [
    "const doc = pm.response.json();",
    "if (doc.ok) { pm.collectionVariables.set('id', doc.id); }",
    "pm.test('status', function () { pm.response.to.have.status(200); });",
    "pm.test('ok', () => pm.expect(doc.ok).to.eql(true));",
]


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


# The measured processes' working directory: not the project's, where `python -m` (Tavern's
# pytest) would find the project's own sources and build metadata (runner.egg-info) first.
OUTSIDE = tempfile.gettempdir()


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
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=bench_env(), cwd=OUTSIDE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0,):
        again = subprocess.run(argv, capture_output=True, text=True, env=bench_env(), cwd=OUTSIDE)
        shown = (err + again.stdout + again.stderr)[-3000:]  # its output was not kept: once more
        raise SystemExit(
            f"{argv[0]} failed ({proc.returncode}; {again.returncode} when run again): "
            f"{' '.join(argv)}\n{shown}"
        )
    return Sample(wall, usage.ru_maxrss / 1024)


PEERS_NPM = {  # the npm packages of the Node peers, pinned; their command in node_modules/.bin
    "newman": (f"newman@{NEWMAN_VERSION}", "newman"),
    "bruno": ("@usebruno/cli@4.1.0", "bru"),
    "httpyac": ("httpyac@6.16.7", "httpyac"),
}
TAVERN = "tavern==3.7.1"
TAVERN_PYTEST = "pytest==8.4.2"  # Tavern 3.7 imports _pytest.python_api, gone in pytest 9


def install_npm_peers(folder: Path, wanted: Sequence[str]) -> dict[str, Path | str]:
    """Each Node peer's command, installed from the npm registry into ``folder`` (reused when
    present); a peer that cannot be installed maps to the reason, and is left out."""
    found: dict[str, Path | str] = {}
    if not shutil.which("node") or not shutil.which("npm"):
        return dict.fromkeys(wanted, "Node and npm are not installed")
    for peer in wanted:
        spec, command = PEERS_NPM[peer]
        binary = folder / "node_modules" / ".bin" / command
        if not binary.exists():
            print(f"installing {spec} from the npm registry into {folder} ...", flush=True)
            folder.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), spec],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=900,
            )  # fmt: skip
            if done.returncode != 0 or not binary.exists():
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                found[peer] = f"npm install {spec} failed: {last[:200]}"
                continue
        found[peer] = binary
    return found


def install_tavern(folder: Path) -> Path | str:
    """Tavern's Python in a virtual environment of its own (pip, reused when present)."""
    python = folder / "bin" / "python"
    if not (folder / ".installed").exists():
        print(f"installing {TAVERN} from PyPI into {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", TAVERN, TAVERN_PYTEST],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=900,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return f"pip install {TAVERN} failed: {last[:200]}"
        (folder / ".installed").touch()
    return python


def bruno_collection(folder: Path, base: str, count: int) -> Path:
    """A Bruno collection of ``count`` requests (GET, POST, ...), the same checks and capture."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bruno.json").write_text(
        json.dumps({"version": "1", "name": "bench", "type": "collection"})
    )
    for n in range(count):
        method = "post" if n % 2 else "get"
        ident = "0" if n == 0 else "{{id}}"
        body = f'body:json {{\n  {{"name": "widget", "n": {n}}}\n}}\n' if method == "post" else ""
        (folder / f"r{n:06d}.bru").write_text(
            f"meta {{\n  name: r{n:06d}\n  type: http\n  seq: {n + 1}\n}}\n\n"
            f"{method} {{\n  url: {base}/fast\n  body: {'json' if body else 'none'}\n"
            "  auth: none\n}\n\n"
            f"headers {{\n  X-Id: {ident}\n}}\n\n{body}\n"
            "tests {\n"
            '  test("status", function () { expect(res.getStatus()).to.equal(200); });\n'
            '  test("ok", function () { expect(res.getBody().ok).to.equal(true); });\n'
            '  bru.setVar("id", res.getBody().id);\n'
            "}\n"
        )
    return folder


def httpyac_file(path: Path, base: str, count: int) -> Path:
    """An httpyac .http file of ``count`` requests, each naming its response for the next."""
    parts = []
    for n in range(count):
        ident = "0" if n == 0 else f"{{{{r{n - 1}.id}}}}"
        if n % 2:
            request = (
                f"POST {base}/fast\nX-Id: {ident}\nContent-Type: application/json\n\n"
                f'{{"name": "widget", "n": {n}}}\n'
            )
        else:
            request = f"GET {base}/fast\nX-Id: {ident}\n"
        parts.append(
            f"# @name r{n}\n{request}\n?? status == 200\n?? js response.parsedBody.ok == true\n"
        )
    path.write_text("###\n".join(parts))
    return path


def tavern_file(path: Path, base: str, count: int) -> Path:
    """A Tavern test of ``count`` stages, the same checks, saving the id for the next."""
    stages = []
    for n in range(count):
        request: dict[str, object] = {
            "url": f"{base}/fast",
            "method": "POST" if n % 2 else "GET",
            "headers": {"X-Id": "0" if n == 0 else "{id}"},
        }
        if n % 2:
            request["json"] = {"name": "widget", "n": n}
        stages.append(
            {
                "name": f"r{n}",
                "request": request,
                "response": {
                    "status_code": 200,
                    "strict": False,
                    "json": {"ok": True},
                    "save": {"json": {"id": "id"}},
                },
            }
        )
    path.write_text(json.dumps({"test_name": "bench", "stages": stages}))
    return path


def wrk_floor(base: str, seconds: int = 5) -> float | None:
    """wrk on one connection, one thread: milliseconds per request (no checks, no start-up):
    what the server and the loopback cost, the floor under every client."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t1", "-c1", f"-d{seconds}s", f"{base}/fast"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return 1000 / float(line.split()[1])
    return None


def install_runner(folder: Path, args: argparse.Namespace) -> Path:
    """A virtual environment with the project installed as a user installs it (``pip install
    '.[load]'``: not editable, Locust for the load comparison), so start-up is measured without
    the editable-install import hook or the test extras (h2); its Python runs runner, the
    floors and the locustfiles. Rebuilt when the project's files are newer than it."""
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
        [str(python), "-m", "pip", "install", "--quiet", f"{ROOT}[load]"],
        check=True,
        cwd=tempfile.gettempdir(),  # never the checkout: its runner/ would shadow the install
    )
    stamp.touch()
    return python


# --- the run -----------------------------------------------------------------------------------

# The columns, in order: runner, the peers, the floors (each a whole process, start-up to exit).
PEERS = ("newman", "bruno", "httpyac", "tavern")
FLOORS = ("httpx", "urllib3", "http.client")
SLOW_PEERS = ("bruno",)  # about 0.2 s a request here: measured on 100 requests, not 1,000


@dataclass
class Workload:
    key: str
    label: str
    requests: int
    argvs: dict[str, list[str]]  # who -> the command measured
    reps: int


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=5, help="repetitions of small workloads")
    parser.add_argument("--large-reps", type=int, default=3, help="of 10,000+ requests")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 1 repetition, no 10,000+ workloads, 3 s loads",
    )
    parser.add_argument("--no-peers", action="store_true", help="leave out Newman, Bruno, ...")
    parser.add_argument("--no-load", action="store_true", help="leave out the load comparison")
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--newman-large", action="store_true", help="Newman at 10,000 too")
    parser.add_argument("--python-server", action="store_true", help="even if nginx exists")
    parser.add_argument(
        "--peers-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "runner-bench-peers",
        help="where the peers are installed (a temporary folder, reused when present)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
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
    if args.quick:
        args.reps, args.load_seconds = 1, 3

    peers: dict[str, Path | str] = {}
    if args.no_peers:
        peers = dict.fromkeys(PEERS, "--no-peers")
    else:
        peers.update(install_npm_peers(args.peers_dir, ("newman", "bruno", "httpyac")))
        peers["tavern"] = install_tavern(args.peers_dir / "tavern-venv")
    for peer, found in peers.items():
        if isinstance(found, str):
            print(f"{peer}: left out ({found})")
    python = Path(sys.executable) if args.in_place else install_runner(args.venv_dir, args)
    runner = [str(python), "-m", "runner"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="runner-bench-") as tmp:
        work = Path(tmp)
        use_nginx = not args.python_server and (
            shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
        )
        server = nginx_server(work) if use_nginx else python_server()
        with server as (base, slow_kind):
            kind = "nginx (Debian package)" if use_nginx else "Python asyncio server"
            print(f"server: {kind} at {base}")
            how = (
                "this Python (--in-place)"
                if args.in_place
                else f"a user install in {args.venv_dir}"
            )
            print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; runner: {how}")
            print("load average (1, 5, 15 min) at the start: " + fmt_load(load_before) + "\n")
            slow_base = base
            slow_server = None
            if not slow_kind:  # nginx without the echo module: a Python server for /slow
                slow_server = python_server()
                slow_base, _ = slow_server.__enter__()
            try:
                results = run_all(args, work, base, slow_base, runner, peers)
                wrk_ms = wrk_floor(base, 2 if args.quick else 5)
                load: dict[str, float] = {}
                if not args.no_load:
                    from load_bench import compare

                    print("load, requests per second "
                          f"({args.load_users} users, {args.load_seconds} s):")  # fmt: skip
                    load = compare(
                        str(python), runner, work / "pair.yaml", work, base,
                        args.load_users, args.load_seconds,
                    )  # fmt: skip
            finally:
                if slow_server is not None:
                    slow_server.__exit__(None, None, None)
    load_after = os.getloadavg()
    report(results, wrk_ms, load, args)
    print("\nload average (1, 5, 15 min) at the end: " + fmt_load(load_after))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "load_average": {"start": load_before, "end": load_after},
                    "runs": {k: {w: vars(s) for w, s in v.items()} for k, v in results.items()},
                    "wrk_ms_per_request": wrk_ms,
                    "load_rps": load,
                },
                indent=2,
            )
        )
    return 0


def fmt_load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + f" on {os.cpu_count()} cores"


def run_all(
    args: argparse.Namespace,
    work: Path,
    base: str,
    slow_base: str,
    runner: list[str],
    peers: dict[str, Path | str],
) -> dict[str, dict[str, Sample]]:
    files: dict[str, Path] = {}
    for name, template in (("one", ONE), ("pair", PAIR), ("data", DATA), ("slow", SLOW)):
        files[name] = work / f"{name}.yaml"
        files[name].write_text(template.format(base=slow_base if name == "slow" else base))
    for name, pair in (("one", False), ("pair", True)):
        files[f"pm_{name}"] = work / f"{name}.postman.json"
        files[f"pm_{name}"].write_text(json.dumps(postman_collection(base, pair)))
    for floor, text in (("httpx", FLOOR), ("urllib3", URLLIB3_FLOOR), ("http.client",
                        HTTP_CLIENT_FLOOR)):  # fmt: skip
        files[floor] = work / f"floor_{floor.replace('.', '_')}.py"
        files[floor].write_text(text)
    scripted = postman_collection(base, True)
    for item in scripted["item"]:  # type: ignore[attr-defined]
        item["event"][0]["script"]["exec"] = SCRIPTED_TEST  # kept as JavaScript on import
    (work / "scripted.postman.json").write_text(json.dumps(scripted))
    subprocess.run(
        [*runner, "import", "postman", str(work / "scripted.postman.json"), "-o",
         str(work / "scripted")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    files["scripted"] = next((work / "scripted").rglob("*.yaml"))
    files["rows"] = work / "rows.csv"
    with files["rows"].open("w") as out:
        out.write("user,n\n")
        out.writelines(f"user{n},{n}\n" for n in range(100_000))

    def ours(name: str, *extra: str) -> list[str]:
        return [*runner, "run", str(files[name]), "--no-color", *extra]

    def floors(count: int) -> dict[str, list[str]]:
        return {f: [runner[0], str(files[f]), base, str(count)] for f in FLOORS}

    def peer_argvs(count: int, only: Sequence[str] = PEERS) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        found = {k: v for k, v in peers.items() if isinstance(v, Path) and k in only}
        if "newman" in found:
            name = "pm_one" if count == 1 else "pm_pair"
            out["newman"] = [str(found["newman"]), "run", str(files[name]), "-n",
                             str(max(1, count // 2)), "--reporters", "cli"]  # fmt: skip
        if "bruno" in found:
            folder = bruno_collection(work / f"bruno_{count}", base, count)
            out["bruno"] = ["sh", "-c", f"cd '{folder}' && exec '{found['bruno']}' run"]
        if "httpyac" in found:
            path = httpyac_file(work / f"requests_{count}.http", base, count)
            out["httpyac"] = [  # httpyac reads files only below its working directory
                "sh", "-c", f"cd '{work}' && exec '{found['httpyac']}' send '{path.name}' --all",
            ]  # fmt: skip
        if "tavern" in found:
            path = tavern_file(work / f"test_{count}.tavern.yaml", base, count)
            out["tavern"] = [str(found["tavern"]), "-m", "pytest", "-q", "-p",
                             "no:cacheprovider", str(path)]  # fmt: skip
        return out

    workloads = [
        Workload("one", "1 request", 1,
                 {"runner": ours("one"), **peer_argvs(1), **floors(1)}, args.reps),
        Workload("1k", "1,000 requests", 1000,
                 {"runner": ours("pair", "--iterations", "500"),
                  **peer_argvs(1000, [p for p in PEERS if p not in SLOW_PEERS]),
                  **floors(1000)}, args.reps),
        Workload("100", "100 requests (the slowest peers)", 100,
                 {"runner": ours("pair", "--iterations", "50"), **peer_argvs(100, SLOW_PEERS)},
                 args.reps),
        Workload("1k-reports", "1,000 requests, console + JSON + JUnit reports", 1000,
                 {"runner": ours("pair", "--iterations", "500", "--reporter", "console",
                                 "--reporter", f"json:{work / 'report.json'}",
                                 "--reporter", f"junit:{work / 'report.xml'}")}, args.reps),
    ]  # fmt: skip
    if not args.quick:
        newman10k = peer_argvs(10_000) if args.newman_large else {}
        workloads += [
            Workload("10k", "10,000 requests", 10_000,
                     {"runner": ours("pair", "--iterations", "5000"),
                      **{k: v for k, v in newman10k.items() if k == "newman"},
                      **floors(10_000)}, args.large_reps),
            Workload("100k", "100,000 requests", 100_000,
                     {"runner": ours("pair", "--iterations", "50000"),
                      "httpx": floors(100_000)["httpx"]}, args.large_reps),
            Workload("rows", "100,000-row data file", 100_000,
                     {"runner": ours("data", "--data", str(files["rows"]))}, args.large_reps),
        ]  # fmt: skip
    workloads += [
        Workload("scripted-one", "1 request, Postman test scripts in Postman's sandbox", 1,
                 {"runner": ours("scripted", "-n", "1")}, min(3, args.reps)),
        Workload("scripted", "100 requests, the same", 100,
                 {"runner": ours("scripted", "-n", "50")}, min(3, args.reps)),
        Workload("seq", "200 requests, 20 ms", 200, {"runner": ours("slow", "-n", "200")},
                 min(3, args.reps)),
        Workload("par8", "same, --parallel 8", 200,
                 {"runner": ours("slow", "-n", "200", "--parallel", "8")}, min(3, args.reps)),
    ]  # fmt: skip
    samples: dict[str, dict[str, list[Sample]]] = {}
    for argv in workloads[0].argvs.values():  # warm-up, not measured: the caches
        measure(argv)
    for workload in workloads:
        print(f"{workload.label}: ", end="", flush=True)
        got = samples.setdefault(workload.key, {})
        for _ in range(workload.reps):  # alternate the runners within each repetition
            for who, argv in workload.argvs.items():
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


def report(
    results: dict[str, dict[str, Sample]],
    wrk_ms: float | None,
    load: dict[str, float],
    args: argparse.Namespace,
) -> None:
    columns = ["runner", *PEERS, *FLOORS]
    columns = [c for c in columns if any(c in by_who for by_who in results.values())]

    def cell(key: str, who: str) -> str:
        sample = results.get(key, {}).get(who)
        return "–" if sample is None else f"{sample.wall:.2f} s, {sample.rss_mb:.0f} MB"

    def per_request(who: str, big: str = "1k", count: int = 1000) -> float | None:
        if big == "1k" and who in SLOW_PEERS:
            big, count = "100", 100
        one, many = results.get("one", {}).get(who), results.get(big, {}).get(who)
        if one is None or many is None:
            return None
        return (many.wall - one.wall) / (count - 1) * 1000

    lines = ["| workload | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    labels = {
        "one": "1 request (start-up to exit)",
        "1k": "1,000 requests",
        "100": "100 requests (Bruno, the slowest peer, is measured on these)",
        "1k-reports": "1,000 requests, console + JSON + JUnit report files",
        "10k": "10,000 requests",
        "100k": "100,000 requests",
        "rows": "100,000-row data file (100,000 requests)",
        "scripted-one": "1 request, Postman test scripts run in Postman's sandbox",
        "scripted": "100 requests, the same",
        "seq": "200 requests to a 20 ms server",
        "par8": "the same with --parallel 8",
    }
    for key, label in labels.items():
        if key in results:
            lines.append(f"| {label} | " + " | ".join(cell(key, c) for c in columns) + " |")
    ms = {who: per_request(who) for who in columns}
    ms10 = {who: per_request(who, "10k", 10_000) for who in columns}
    for label, values in (("1,000 (Bruno: 100)", ms), ("10,000", ms10)):
        lines.append(
            f"| time per further request ({label} vs 1) | "
            + " | ".join("–" if values[w] is None else f"{values[w]:.3f} ms" for w in columns)
            + " |"
        )
    print("\n" + "\n".join(lines) + "\n")
    if wrk_ms is not None:
        print(f"wrk, 1 connection, no checks: {wrk_ms:.3f} ms per request\n")

    def ratio(a: float | None, b: float | None) -> str:
        return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"

    def wall(key: str, who: str) -> float | None:
        s = results.get(key, {}).get(who)
        return None if s is None else s.wall

    def rss(key: str, who: str) -> float | None:
        s = results.get(key, {}).get(who)
        return None if s is None else s.rss_mb

    one, mem = wall("one", "runner"), rss("1k", "runner")
    one_s = wall("scripted-one", "runner")
    checks: list[tuple[str, str]] = []
    for peer in PEERS:
        checks += [
            (f"start-up: runner / {peer}", ratio(one, wall("one", peer))),
            (f"per request: runner / {peer}", ratio(ms["runner"], ms.get(peer))),
            (
                f"memory at 1,000 (100 for Bruno): runner / {peer}",
                ratio(mem, rss("1k", peer) or rss("100", peer)),
            ),
        ]
    checks += [
        ("start-up: runner / httpx one-request script (target <= 1.1)",
         ratio(one, wall("one", "httpx"))),
        ("per request: runner / httpx loop (target <= 1.2)", ratio(ms["runner"], ms["httpx"])),
        ("the same, from 10,000 requests", ratio(ms10["runner"], ms10.get("httpx"))),
        ("per request: runner / urllib3 loop", ratio(ms["runner"], ms.get("urllib3"))),
        ("per request: runner / http.client loop", ratio(ms["runner"], ms.get("http.client"))),
        ("per request: runner / wrk", ratio(ms["runner"], wrk_ms)),
        ("scripted request, ms (100 vs 1; target <= 1.5)",
         "–" if wall("scripted", "runner") is None or one_s is None
         else f"{(wall('scripted', 'runner') - one_s) / 99 * 1000:.2f}"),  # type: ignore[operator]
        ("memory 100,000 / 1,000 requests (target < 1.10)", ratio(rss("100k", "runner"), mem)),
        ("memory 100,000 rows / 1,000 requests (target < 1.10)",
         ratio(rss("rows", "runner"), mem)),
        ("--parallel 8 throughput / sequential (target >= 5)",
         ratio(wall("seq", "runner"), wall("par8", "runner"))),
    ]  # fmt: skip
    fast = load.get("locust FastHttpUser")
    fast_cpu = load.get("locust FastHttpUser per CPU-second")
    for label, value in load.items():
        if label.startswith("runner") and label.endswith("per CPU-second"):
            checks.append((f"{label} / locust FastHttpUser's", ratio(value, fast_cpu)))
        elif label.startswith("runner"):
            checks.append((f"{label} / locust FastHttpUser (target >= 0.9 alone)",
                           ratio(value, fast)))  # fmt: skip
    if "locust HttpUser" in load:
        checks.append(("locust FastHttpUser / HttpUser", ratio(fast, load["locust HttpUser"])))
    print("| ratio | value |\n|---|---|")
    for label, value in checks:
        if value != "–":
            print(f"| {label} | {value} |")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
