"""The response size cap (issue 9, point 3) and what a network fault does to the rest of the run
(point 3: "the run goes on or bails as configured").

The cap is 50 MiB by default; ``--max-response-size``, the collection's ``max_response_size``
and a step's own change it (the most specific wins). Crossing it ends the step with the error
reason ``too_large`` and a message naming the cap, without reading the rest of the body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RunCli
from server import TestServer
from test_network_faults import FaultServer

from runner.core.sizes import format_size, parse_size

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    server = FaultServer()
    yield server
    server.close()


def _report(
    run_cli: RunCli, collection: Path, tmp_path: Path, *flags: str
) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    result = run_cli("run", collection, "--reporter", f"json:{report}", "--no-color", *flags)
    assert report.exists(), result.output
    return result.code, json.loads(report.read_text()), result.output


def test_the_flag_caps_an_endless_body_and_the_run_goes_on(
    faults: FaultServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "endless.yaml",
        f"""\
        name: Endless
        steps:
          - request: Endless
            url: {faults.url}/endless
            timeout: 10
          - request: Afterwards
            url: {faults.url}/ok
        """,
    )
    started = time.monotonic()
    code, report, _ = _report(run_cli, collection, tmp_path, "--max-response-size", "1MB")
    assert time.monotonic() - started < 10  # stopped at 1 MB, not at the timeout
    first, second = report["steps"]
    assert code == 1
    assert first["status"] == "error" and first["error"]["reason"] == "too_large"
    assert "larger than the 1 MB cap (1000000 bytes)" in first["error"]["message"]
    assert "--max-response-size" in first["error"]["message"]
    assert second["status"] == "passed"


def test_keys_set_the_cap_per_collection_and_per_step(
    server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """The collection says 10 KB; one step raises it to 1 MiB; the flag (below both) says 1
    byte and only reaches a request when neither key applies, which none here does."""
    collection = write_file(
        "sizes.yaml",
        f"""\
        name: Sizes
        max_response_size: 10KB
        steps:
          - request: Under the collection's cap
            url: {server.url}/big?bytes=10000
          - request: Over the collection's cap
            url: {server.url}/big?bytes=10001
          - request: Under its own cap
            url: {server.url}/big?bytes=20000
            max_response_size: 1 MiB
          - request: Over its own cap
            url: {server.url}/big?bytes=2000
            max_response_size: 1000
        """,
    )
    code, report, _ = _report(run_cli, collection, tmp_path, "--max-response-size", "1")
    statuses = [(s["status"], (s["error"] or {}).get("reason")) for s in report["steps"]]
    assert statuses == [
        ("passed", None),
        ("error", "too_large"),
        ("passed", None),
        ("error", "too_large"),
    ]
    assert "the 10 KB cap" in report["steps"][1]["error"]["message"]
    assert "the 1 KB cap (1000 bytes)" in report["steps"][3]["error"]["message"]
    assert code == 1


def test_the_default_cap_is_50_mib_and_the_flag_lowers_it(
    server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "one.yaml", f"steps:\n  - request: A\n    url: {server.url}/big?bytes=4096\n"
    )
    code, _, _ = _report(run_cli, collection, tmp_path)
    assert code == 0
    code, report, _ = _report(run_cli, collection, tmp_path, "--max-response-size", "4095")
    assert code == 1 and report["steps"][0]["error"]["reason"] == "too_large"


def test_a_gzip_bomb_is_stopped_at_the_cap_once_decoded(
    faults: FaultServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """The bomb is 50 KB on the wire and 51 MiB of zeros decoded: the 1 MiB cap stops it."""
    collection = write_file(
        "bomb.yaml", f"steps:\n  - request: Bomb\n    url: {faults.url}/gzip-bomb\n"
    )
    code, report, _ = _report(run_cli, collection, tmp_path, "--max-response-size", "1MiB")
    error = report["steps"][0]["error"]
    assert code == 1 and error["reason"] == "too_large"
    assert error["message"].startswith("decoded response body is larger than the 1 MiB cap")


def test_a_bad_size_in_the_file_is_a_load_error_with_its_line(
    run_cli: RunCli, write_file: WriteFile
) -> None:
    collection = write_file(
        "bad.yaml",
        "name: Bad\nsteps:\n  - request: A\n    url: http://127.0.0.1:9/\n"
        "    max_response_size: 10 parsecs\n",
    )
    result = run_cli("run", collection)
    assert result.code == 2
    assert "bad.yaml:5" in result.output and "unknown size unit 'parsecs'" in result.output
    assert (  # the hint lists the units
        "help: write a number of bytes with a unit: B, KB, MB, GB (powers of 1000) or KiB, MiB,"
        " GiB\n" in result.err
    )


@pytest.mark.parametrize("value", ["0", "ten", "5XB", "-1MB"])
def test_a_bad_size_flag_is_a_usage_error(
    run_cli: RunCli, write_file: WriteFile, value: str
) -> None:
    collection = write_file("c.yaml", "steps:\n  - request: A\n    url: http://127.0.0.1:9/\n")
    result = run_cli("run", collection, f"--max-response-size={value}")
    assert result.code == 2 and "--max-response-size" in result.output


def test_sizes_read_and_print_the_same_way() -> None:
    assert parse_size("10MB") == 10_000_000
    assert parse_size("10 mb") == 10_000_000
    assert parse_size("512KiB") == 512 * 1024
    assert parse_size("1.5GB") == 1_500_000_000
    assert parse_size("1048576") == 1048576
    assert format_size(50 * 1024 * 1024) == "50 MiB"
    assert format_size(10_000_000) == "10 MB"
    assert format_size(1000) == "1 KB"
    assert format_size(1001) == "1001 bytes"


# -- a fault goes on by default, --bail stops ----------------------------------------------------


@pytest.mark.parametrize("fault", ["refused", "timeout", "too_large"])
@pytest.mark.parametrize("bail", [False, True])
def test_a_fault_lets_the_next_steps_run_unless_bail(
    fresh_server: TestServer,
    run_cli: RunCli,
    write_file: WriteFile,
    tmp_path: Path,
    free_port: int,
    fault: str,
    bail: bool,
) -> None:
    faulty = {
        "refused": f"url: http://127.0.0.1:{free_port}/refused",
        "timeout": f"url: {fresh_server.url}/hang?seconds=5\n    timeout: 0.5",
        "too_large": f"url: {fresh_server.url}/big?bytes=5000\n    max_response_size: 1KB",
    }[fault]
    collection = write_file(
        "faults.yaml",
        f"""\
name: Faults
steps:
  - request: Before
    url: {fresh_server.url}/json
  - request: Faulty
    {faulty}
  - request: After
    url: {fresh_server.url}/echo/after
""",
    )
    code, report, output = _report(run_cli, collection, tmp_path, *(["--bail"] if bail else []))
    steps = report["steps"]
    assert code == 1, output
    assert steps[1]["status"] == "error" and steps[1]["error"]["reason"] == fault
    if bail:
        assert [s["name"] for s in steps] == ["Before", "Faulty"]
        assert "--bail" in report["stopped_reason"]
        assert "/echo/after" not in fresh_server.paths()
    else:
        assert [s["status"] for s in steps] == ["passed", "error", "passed"]
        assert report["stopped_reason"] is None
        assert "/echo/after" in fresh_server.paths()


# -- many secrets: a data file's secret column -----------------------------------------------------


def test_every_rows_secret_is_masked_when_a_data_file_has_hundreds(
    server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """300 rows, each with its own password (past the 64 values one pattern holds): every one
    is masked in the report, where the request echoes it back."""
    rows = "user,password\n" + "".join(f"u{i},pw-{i:06d}-canary\n" for i in range(300))
    data = write_file("rows.csv", rows)
    collection = write_file(
        "rows.yaml",
        f"""\
        name: Rows
        steps:
          - request: Log in
            url: {server.url}/echo?user=<<user>>&pw=<<password>>
        """,
    )
    code, report, output = _report(run_cli, collection, tmp_path, "--data", str(data))
    assert code == 0, output
    text = json.dumps(report)
    assert "canary" not in text and "canary" not in output
    assert text.count("[REDACTED]") >= 300


def test_the_redactor_masks_thousands_of_values_and_overlaps() -> None:
    from runner.core.redact import MASK, Redactor

    redactor = Redactor(["short-secret"])
    values = [f"tok-{i:08d}-x" for i in range(5000)]
    for i, value in enumerate(values):
        redactor.add(value)
        if i % 500 == 0:  # masking between adds builds chunks of many sizes
            assert redactor.mask(f"a {value} b") == f"a {MASK} b"
    redactor.add("long-short-secret-long")
    text = " ".join(values[::499]) + " long-short-secret-long short-secret tail"
    masked = redactor.mask(text)
    assert "tok-" not in masked and "secret" not in masked
    assert masked.endswith(f"{MASK} {MASK} tail")
    assert redactor.mask("nothing here") == "nothing here"
