"""runner import har: a recording made by headless Chromium against a local server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from local_http import LocalServer

from runner.core.model import RequestStep
from runner.format.loader import parse_collection

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECRET = "tok-har-s3cret-0042"

PAGE = b"""<!doctype html><html><head><title>shop</title>
<link rel="stylesheet" href="/static/style.css"><script src="/static/app.js"></script>
</head><body><img src="/static/logo.png"><button id="buy" onclick="buy()">buy</button>
</body></html>"""
SCRIPT = (
    "fetch('/api/items?page=2').then(r => r.json());\n"
    "function buy() {\n"
    "  fetch('/api/orders', {method: 'POST', headers: {'Content-Type': 'application/json',\n"
    f"    'X-Trace': 'trace-1', 'Authorization': 'Bearer {SECRET}'}},\n"
    "    body: JSON.stringify({item: 'pen', qty: 2})})\n"
    "  .then(r => r.json()).then(() => { document.title = 'bought'; });\n"
    "}\n"
).encode()


class _Shop(BaseHTTPRequestHandler):
    """A page with a style sheet, a script, an image, and two API calls made by the script."""

    received: list[tuple[str, str, bytes]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.received.append(("GET", self.path, b""))  # type: ignore[attr-defined]
        routes = {
            "/": ("text/html", PAGE),
            "/static/style.css": ("text/css", b"body { margin: 0 }"),
            "/static/app.js": ("application/javascript", SCRIPT),
            "/static/logo.png": ("image/png", b"\x89PNG\r\n\x1a\n"),
            "/api/items?page=2": ("application/json", b'{"items": ["pen"]}'),
        }
        content_type, body = routes.get(self.path, ("text/plain", b"not found"))
        self._send(200 if self.path in routes else 404, content_type, body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append(("POST", self.path, body))  # type: ignore[attr-defined]
        auth = self.headers.get("Authorization", "")
        status = 201 if auth == f"Bearer {SECRET}" else 401
        self._send(status, "application/json", b'{"order": 7}')


@pytest.fixture
def shop() -> Iterator[Any]:
    with LocalServer(_Shop) as server:
        server.httpd.received = []  # type: ignore[attr-defined]
        yield server.httpd


def record(url: str, har: Path, profile: Path) -> None:
    """Open the page in headless Chromium, click buy, and save the recording as HAR."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            record_har_path=str(har),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.click("#buy")
            page.wait_for_function("document.title == 'bought'")
        finally:
            browser.close()


@pytest.fixture
def recording(shop: Any, tmp_path: Path) -> Path:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    har = tmp_path / "shop.har"
    record(f"http://127.0.0.1:{shop.server_address[1]}/", har, tmp_path / "profile")
    data = json.loads(har.read_text(encoding="utf-8"))
    urls = [e["request"]["url"] for e in data["log"]["entries"]]
    assert any(u.endswith("/static/logo.png") for u in urls)  # the browser really fetched it
    return har


def test_a_chromium_recording_becomes_a_collection_without_static_assets(
    recording: Path, shop: Any, run_cli: Any, tmp_path: Path
) -> None:
    target = tmp_path / "shop.yaml"
    done = run_cli("import", "har", recording, "--to", target)
    assert done.code == 0, done.err
    assert "3 static or non-HTTP requests left out" in done.err
    text = target.read_text(encoding="utf-8")
    assert SECRET not in text  # the Authorization header became a variable
    collection = parse_collection(text, str(target))
    base = f"http://127.0.0.1:{shop.server_address[1]}"
    assert collection.variables == {"base_url": base}
    steps = [s for s in collection.steps if isinstance(s, RequestStep)]
    assert [s.name for s in steps] == ["GET /", "GET /api/items", "POST /api/orders"]
    page, items, order = steps
    assert str(page.url) == "<<base_url>>/"
    assert [(p.name, p.value) for p in items.params] == [("page", "2")]
    assert order.method == "POST"
    assert order.body is not None and order.body.kind == "json"
    assert order.body.json == {"item": "pen", "qty": 2}
    headers = {h.name: h.value for h in order.headers}
    assert headers == {"Accept": "*/*", "X-Trace": "trace-1", "Authorization": "<<authorization>>"}
    assert [(c.subject, c.matchers[0].expected) for c in order.checks] == [("status", 201)]
    assert "authorization" in done.err  # the person is told which variable to define


def test_the_imported_collection_replays_the_recording(
    recording: Path, shop: Any, run_cli: Any, tmp_path: Path
) -> None:
    target = tmp_path / "shop.yaml"
    assert run_cli("import", "har", recording, "--to", target).code == 0
    shop.received.clear()
    done = run_cli("run", target, "--var", f"authorization=Bearer {SECRET}")
    assert done.code == 0, done.output
    assert SECRET not in done.output
    assert [(m, p) for m, p, _ in shop.received] == [
        ("GET", "/"), ("GET", "/api/items?page=2"), ("POST", "/api/orders"),
    ]  # fmt: skip
    assert json.loads(shop.received[2][2]) == {"item": "pen", "qty": 2}


def test_include_static_keeps_what_the_browser_fetched(
    recording: Path, run_cli: Any, tmp_path: Path
) -> None:
    done = run_cli("import", "har", recording, "--include-static", "--keep-secrets")
    assert done.code == 0, done.err
    collection = parse_collection(done.out, "shop.yaml")
    names = [s.name for s in collection.steps]
    assert names[:4] == ["GET /", "GET /static/style.css", "GET /static/app.js",
                         "GET /static/logo.png"]  # fmt: skip
    assert SECRET in done.out  # --keep-secrets: as recorded


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "is not a HAR file (not JSON"), ('{"log": {}}', "it has no log.entries")],
)
def test_a_file_that_is_not_a_har_is_refused(
    content: str, message: str, run_cli: Any, tmp_path: Path
) -> None:
    path = tmp_path / "x.har"
    path.write_text(content, encoding="utf-8")
    target = tmp_path / "out.yaml"
    done = run_cli("import", "har", path, "--to", target)
    assert done.code == 2
    assert message in done.err
    assert not target.exists()
