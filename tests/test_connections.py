"""Connections: the cookie jar file, TLS (a CA and a client certificate made here), HTTP/2,
proxies, and multipart and GraphQL bodies, against real local servers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import stat
import threading
import time
from collections.abc import Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
import trustme
from conftest import RunCli
from server import TestServer

WriteFile = Callable[[str, str], Path]


# --- a TLS server that speaks HTTP/2 (hypercorn) ------------------------------------------------


class TLSServer:
    """hypercorn on 127.0.0.1 with a certificate from ``ca`` (asking for a client certificate
    signed by it when told to); answers every request with ``{"path", "http_version"}`` and
    keeps them in ``seen``."""

    def __init__(self, tmp: Path, ca: trustme.CA, *, require_client_cert: bool) -> None:
        from hypercorn.config import Config

        self.seen: list[dict[str, Any]] = []
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_and_cert_chain_pem.write_to_path(str(tmp / "server.pem"))
        ca.cert_pem.write_to_path(str(tmp / "server-ca.pem"))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.certfile = config.keyfile = str(tmp / "server.pem")
        config.alpn_protocols = ["h2", "http/1.1"]
        config.accesslog = config.errorlog = None
        if require_client_cert:
            config.ca_certs = str(tmp / "server-ca.pem")
            config.verify_mode = ssl.CERT_REQUIRED
        self.config = config
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stopping: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("hypercorn did not start")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        record = {"path": scope["path"], "http_version": scope["http_version"]}
        self.seen.append(record)
        body = json.dumps(record).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _run(self) -> None:
        from hypercorn.asyncio import serve

        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.stopping = asyncio.Event()
            await serve(self.app, self.config, shutdown_trigger=self.stopping.wait)  # type: ignore[arg-type]

        self.loop.run_until_complete(main())
        self.loop.close()

    def close(self) -> None:
        if self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(10)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mtls(tmp_path: Path, ca: trustme.CA) -> Iterator[TLSServer]:
    server = TLSServer(tmp_path, ca, require_client_cert=True)
    yield server
    server.close()


@pytest.fixture
def tls(tmp_path: Path, ca: trustme.CA) -> Iterator[TLSServer]:
    server = TLSServer(tmp_path, ca, require_client_cert=False)
    yield server
    server.close()


def one_request(write_file: WriteFile, url: str, extra: str = "") -> Path:
    return write_file(
        "c.yaml",
        f"""
        {extra}
        steps:
          - request: Hello
            url: {url}
            expect: {{status: 200}}
        """,
    )


# --- TLS ---------------------------------------------------------------------------------------


def test_tls_with_a_local_ca_and_a_client_certificate(
    mtls: TLSServer, ca: trustme.CA, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client = ca.issue_cert("qa-bot@example.org")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.crt"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    collection = one_request(write_file, f"{mtls.url}/secure")

    untrusted = run_cli("run", collection, "--no-color")
    assert untrusted.code == 1
    assert "certificate verify failed" in untrusted.out
    assert mtls.seen == []

    no_client_cert = run_cli("run", collection, "--cacert", tmp_path / "ca.pem", "--no-color")
    assert no_client_cert.code == 1
    assert mtls.seen == []

    ok = run_cli(
        "run",
        collection,
        "--cacert",
        tmp_path / "ca.pem",
        "--cert",
        tmp_path / "client.crt",
        "--key",
        tmp_path / "client.key",
    )
    assert ok.code == 0, ok.output
    assert mtls.seen == [{"path": "/secure", "http_version": "1.1"}]


def test_ssl_cert_file_from_the_environment_is_trusted(
    tls: TLSServer, ca: trustme.CA, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    collection = one_request(write_file, f"{tls.url}/env")
    result = run_cli("run", collection, env={"SSL_CERT_FILE": str(tmp_path / "ca.pem")})
    assert result.code == 0, result.output
    assert [s["path"] for s in tls.seen] == ["/env"]


def test_insecure_skips_verification_and_says_so(
    tls: TLSServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = one_request(write_file, f"{tls.url}/insecure")
    result = run_cli("run", collection, "--insecure")
    assert result.code == 0, result.output
    assert "warning: --insecure: TLS certificates are not verified" in result.err
    assert [s["path"] for s in tls.seen] == ["/insecure"]


def test_missing_or_broken_certificate_files_exit_2_before_sending(
    tls: TLSServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = one_request(write_file, f"{tls.url}/never")
    result = run_cli("run", collection, "--cert", tmp_path / "nope.pem")
    assert result.code == 2
    assert result.err == f"error: --cert {tmp_path / 'nope.pem'}: no such file\n"
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    result = run_cli("run", collection, "--cacert", tmp_path / "junk.pem")
    assert result.code == 2
    assert "cannot load the CA certificates" in result.err
    result = run_cli("run", collection, "--key", tmp_path / "junk.pem")
    assert result.code == 2
    assert "--key needs --cert" in result.err
    assert tls.seen == []


# --- HTTP/2 --------------------------------------------------------------------------------------


def test_http2_when_asked_for_per_step_or_per_collection(
    tls: TLSServer, ca: trustme.CA, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Over HTTP/2
            url: {tls.url}/two
            http2: true
          - request: Over HTTP/1.1
            url: {tls.url}/one
        """,
    )
    result = run_cli("run", collection, "--cacert", tmp_path / "ca.pem")
    assert result.code == 0, result.output
    assert [(s["path"], s["http_version"]) for s in tls.seen] == [("/two", "2"), ("/one", "1.1")]

    tls.seen.clear()
    collection = one_request(write_file, f"{tls.url}/all", extra="http2: true")
    assert run_cli("run", collection, "--cacert", tmp_path / "ca.pem").code == 0
    assert [(s["path"], s["http_version"]) for s in tls.seen] == [("/all", "2")]


def test_http2_without_the_h2_extra_is_a_named_step_error(
    tls: TLSServer, ca: trustme.CA, tmp_path: Path, write_file: WriteFile
) -> None:
    """h2 is the optional `http2` extra: without it the step says what to install, and the
    next step (HTTP/1.1) still runs."""
    import subprocess
    import sys

    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Over HTTP/2
            url: {tls.url}/two
            http2: true
          - request: Over HTTP/1.1
            url: {tls.url}/one
        """,
    )
    code = (
        "import sys; sys.modules['h2'] = None  # as if the extra were not installed\n"
        "from runner.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = ["run", str(collection), "--cacert", str(tmp_path / "ca.pem"), "--no-color"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pip install 'runner[http2]'" in done.stdout + done.stderr
    assert [s["path"] for s in tls.seen] == ["/one"]


# --- cookie jar ----------------------------------------------------------------------------------


def test_cookie_jar_is_loaded_and_saved_between_runs(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    jar = tmp_path / "jar.txt"
    first = write_file(
        "first.yaml",
        f"""
        steps:
          - request: Log in
            url: {fresh_server.url}/cookies/set?session=s-12345
          - request: Within the run
            url: {fresh_server.url}/cookies
            expect:
              json:
                $.cookies.session: s-12345
        """,
    )
    result = run_cli("run", first, "--cookie-jar", jar)
    assert result.code == 0, result.output
    assert jar.exists()
    assert stat.S_IMODE(jar.stat().st_mode) == 0o600
    assert "s-12345" in jar.read_text()

    second = write_file(
        "second.yaml",
        f"""
        steps:
          - request: Next day
            url: {fresh_server.url}/cookies
            expect:
              json:
                $.cookies.session: s-12345
        """,
    )
    result = run_cli("run", second, "--cookie-jar", jar)
    assert result.code == 0, result.output
    assert run_cli("run", second).code == 1  # without the jar, no cookie


def test_a_cookie_jar_that_is_not_one_exits_2(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text("this is not a cookie file\n")
    result = run_cli(
        "run", one_request(write_file, f"{fresh_server.url}/echo"), "--cookie-jar", jar
    )
    assert result.code == 2
    assert "cannot read the cookie jar" in result.err
    assert fresh_server.log == []
    assert jar.read_text() == "this is not a cookie file\n"  # left as it was


def test_a_cookie_jar_in_a_missing_folder_exits_2_before_sending(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    jar = tmp_path / "no-such-folder" / "jar.txt"
    result = run_cli(
        "run", one_request(write_file, f"{fresh_server.url}/echo"), "--cookie-jar", jar
    )
    assert result.code == 2
    assert "its folder does not exist or is not writable" in result.err
    assert fresh_server.log == []


def test_iterations_each_start_from_the_jar_the_run_started_with(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Before setting
            url: {fresh_server.url}/cookies
            expect:
              json:
                $.cookies: {{eq: {{}}}}
          - request: Set
            url: {fresh_server.url}/cookies/set?n=<<iteration>>
        """,
    )
    jar = tmp_path / "jar.txt"
    result = run_cli("run", collection, "-n", "3", "--cookie-jar", jar)
    assert result.code == 0, result.output
    assert "\tn\t3" in jar.read_text()  # the last iteration's cookies are saved


# --- proxies --------------------------------------------------------------------------------------


def test_proxy_flag_and_environment(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = one_request(write_file, "http://target.test/echo/through")
    result = run_cli("run", collection, "--proxy", fresh_server.url)
    assert result.code == 0, result.output
    assert fresh_server.log[0].path == "/echo/through"
    assert fresh_server.log[0].headers["host"] == "target.test"

    fresh_server.clear()
    result = run_cli("run", collection, env={"HTTP_PROXY": fresh_server.url})
    assert result.code == 0, result.output
    assert [r.path for r in fresh_server.log] == ["/echo/through"]


def test_no_proxy_goes_direct(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    with TestServer() as target:
        collection = one_request(write_file, f"{target.url}/echo/direct")
        env = {"HTTP_PROXY": fresh_server.url, "NO_PROXY": "localhost,127.0.0.1"}
        result = run_cli("run", collection, env=env)
        assert result.code == 0, result.output
        assert target.paths() == ["/echo/direct"]
        assert fresh_server.log == []
        result = run_cli("run", collection, "--proxy", fresh_server.url, "--no-proxy", "")
        assert result.code == 0
        assert [r.path for r in fresh_server.log] == ["/echo/direct"]


# --- multipart and GraphQL bodies -----------------------------------------------------------------


def parts_of(body: bytes, content_type: str) -> dict[str, tuple[bytes, dict[str, str]]]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    out: dict[str, tuple[bytes, dict[str, str]]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        out[name] = (payload, {k.lower(): str(v) for k, v in part.items()})
    return out


def test_multipart_upload_arrives_intact(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    blob = bytes(range(256)) * 64 + b"\r\n--not-a-boundary\r\n"
    (tmp_path / "project" / "files").mkdir(parents=True)
    (tmp_path / "project" / "files" / "photo.png").write_bytes(blob)
    collection = write_file(
        "project/upload.yaml",
        f"""
        variables: {{who: ada}}
        steps:
          - request: Upload
            method: POST
            url: {fresh_server.url}/echo
            body:
              multipart:
                owner: <<who>>
                photo: {{file: files/photo.png}}
                notes:
                  file: files/photo.png
                  filename: data.bin
                  content_type: application/x-test
            expect: {{status: 200}}
        """,
    )
    result = run_cli("run", collection)
    assert result.code == 0, result.output
    rec = fresh_server.log[0]
    assert rec.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = parts_of(rec.body, rec.headers["content-type"])
    assert list(parts) == ["owner", "photo", "notes"]
    assert parts["owner"][0] == b"ada"
    assert parts["photo"][0] == blob
    assert 'filename="photo.png"' in parts["photo"][1]["content-disposition"]
    assert parts["photo"][1]["content-type"] == "image/png"
    assert parts["notes"][0] == blob
    assert 'filename="data.bin"' in parts["notes"][1]["content-disposition"]
    assert parts["notes"][1]["content-type"] == "application/x-test"


def test_file_parts_stay_inside_the_collections_folder_unless_allowed(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    (tmp_path / "secret.txt").write_text("do not upload me")
    collection = write_file(
        "project/upload.yaml",
        f"""
        steps:
          - request: Upload
            method: POST
            url: {fresh_server.url}/echo
            body:
              multipart:
                doc: {{file: ../secret.txt}}
        """,
    )
    refused = run_cli("run", collection, "--no-color")
    assert refused.code == 1
    assert "file part 'doc': ../secret.txt is outside the collection's folder" in refused.out
    assert f"--file-root {tmp_path}" in refused.out
    assert fresh_server.log == []

    allowed = run_cli("run", collection, "--file-root", tmp_path)
    assert allowed.code == 0, allowed.output
    assert b"do not upload me" in fresh_server.log[0].body


def test_a_symlink_out_of_the_folder_is_refused(
    fresh_server: TestServer, tmp_path: Path, run_cli: RunCli, write_file: WriteFile
) -> None:
    (tmp_path / "secret.txt").write_text("do not upload me")
    (tmp_path / "project").mkdir()
    os.symlink(tmp_path / "secret.txt", tmp_path / "project" / "innocent.txt")
    collection = write_file(
        "project/upload.yaml",
        f"""
        steps:
          - request: Upload
            method: POST
            url: {fresh_server.url}/echo
            body:
              multipart:
                doc: {{file: innocent.txt}}
        """,
    )
    result = run_cli("run", collection, "--no-color")
    assert result.code == 1
    assert "is outside the collection's folder" in result.out
    assert fresh_server.log == []


def test_graphql_body_sends_query_and_variables(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        variables: {{user_id: 42}}
        steps:
          - request: Query
            method: POST
            url: {fresh_server.url}/echo
            body:
              graphql:
                query: |
                  query User($id: ID!) {{ user(id: $id) {{ name }} }}
                variables: {{id: <<user_id>>, tags: [a]}}
                operation_name: User
            expect:
              json:
                $.json.variables.id: 42
        """,
    )
    result = run_cli("run", collection)
    assert result.code == 0, result.output
    rec = fresh_server.log[0]
    assert rec.headers["content-type"] == "application/json"
    assert json.loads(rec.body) == {
        "query": "query User($id: ID!) { user(id: $id) { name } }\n",
        "variables": {"id": 42, "tags": ["a"]},
        "operationName": "User",
    }
