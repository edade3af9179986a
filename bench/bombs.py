"""Peak memory and time of the worst case of each bomb class (the robustness issue): every
bomb is refused by a bound, so each run should end in well under a second and a few tens of
megabytes, where the bomb itself asks for gigabytes or hours.

A script a person runs (never a test): ``python bench/bombs.py``. Each case is a fresh
``python -m runner`` process (``check`` or ``run``) on files written into a temporary folder,
against a local server where one is needed; the table gives the exit code, the wall time and
the process's peak resident memory (its maximum RSS, from ``wait4``), and the first line of
what it said. docs/security.md lists the bounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _gzip_bomb(size: int = 1024**3) -> bytes:
    """``size`` zero bytes gzipped (about a thousandth of it), made a megabyte at a time: the
    bench's own peak memory would show in its children's (their RSS starts as a fork's)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, compressor.flush()])


BOMB = _gzip_bomb()  # 1 GiB of zeros in about 1 MB


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/gzip-bomb":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _collection(url: str, value: str) -> str:
    return f"steps:\n  - request: Bomb\n    url: {url}/get\n    headers: {{X-Bomb: {value!r}}}\n"


def cases(folder: Path, url: str) -> list[tuple[str, list[str]]]:
    """(name, argv) of each bomb, its files written into ``folder``."""
    out: list[tuple[str, list[str]]] = []
    templates = {
        "template: 'a' * 10**9": "<< 'a' * 10**9 >>",
        "template: [1] * 999999999": "<< [1] * 999999999 >>",
        "template: '%999999999d' | format(1)": "<< '%999999999d' | format(1) >>",
        "template: 9 ** 999999": "<< 9 ** 999999 >>",
        "template: 'x'.center(10**9)": "<< 'x'.center(1000000000) >>",
    }
    for i, (name, value) in enumerate(templates.items()):
        path = folder / f"t{i}.yaml"
        path.write_text(_collection(url, value))
        out.append((name, ["run", str(path)]))
    deep = folder / "deep.json"
    deep.write_bytes(b'[{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]")
    plain = folder / "plain.yaml"
    plain.write_text(f"steps:\n  - request: One\n    url: {url}/get\n")
    out.append(("data file nested 100,000 deep (200 KB)", ["run", str(plain), "-d", str(deep)]))
    gz = folder / "gz.yaml"
    gz.write_text(f"steps:\n  - request: Bomb\n    url: {url}/gzip-bomb\n")
    out.append(("response: 1 GiB gzip bomb (1 MB sent)", ["run", str(gz)]))
    scripted = folder / "script.yaml"
    scripted.write_text(
        f"run_scripts: true\nsteps:\n  - request: Deep\n    url: {url}/get\n"
        "    scripts:\n      test: |\n"
        "        let v = 1; for (let i = 0; i < 100000; i++) { v = [v]; }\n"
        "        pm.environment.set('deep', v);\n"
    )
    out.append(("script sets a value nested 100,000 deep", ["run", str(scripted)]))
    state_dir = folder / "state"
    state_dir.mkdir()
    out.append(("state file nested 100,000 deep", ["run", str(plain), "--resume"]))
    return out


def measure(argv: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    said = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    lines = [s.strip() for s in said.splitlines() if "error" in s.lower() or "stopped" in s] or [""]
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, lines[0][:90]


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "NO_COLOR": "1", "RUNNER_STATE_DIR": str(folder / "state")}
        found = cases(folder, url)
        # the resume case reads a state file: write a hostile one where the run will look
        subprocess.run(
            [sys.executable, "-m", "runner", "run", str(folder / "plain.yaml")],
            env=env, capture_output=True, check=False,
        )  # fmt: skip
        for state in (folder / "state").rglob("*.json"):
            state.write_bytes(b'{"next": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        print(f"{'bomb':<44} {'exit':>4} {'seconds':>8} {'peak MB':>8}  said")
        for name, argv in found:
            code, seconds, mb, said = measure(argv, env)
            print(f"{name:<44} {code:>4} {seconds:>8.2f} {mb:>8.1f}  {said}")
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
