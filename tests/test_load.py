"""``runner load``: collections as Locust users, against a real local server.

Each load run starts the load process (Locust, gevent) and runs for a few seconds; the
server logs every request with the token it carried, so the tests see each user's order of
steps and that users never share captures."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunCli
from load_server import Hit, ShopServer

# Never import locust here: importing it monkey-patches this process with gevent.
if importlib.util.find_spec("locust") is None:
    pytest.skip("runner load needs the 'load' extra (Locust)", allow_module_level=True)

SHOP = """
name: Shop
variables:
  base: {base}
  worker: none
load:
  thresholds:
    p95_ms: {p95}
steps:
  - pause: Who is shopping
    variable: who
    secret: false
  - request: Log in
    method: POST
    url: <<base>>/login
    headers:
      X-Worker: <<worker>>
    body:
      json: {{user: <<who>>}}
    expect:
      status: 200
    capture:
      token: $.token
  - request: List items
    url: <<base>>/items
    headers:
      X-Worker: <<worker>>
    auth: {{type: bearer, token: <<token>>}}
    expect:
      status: 200
  - request: Order
    method: POST
    url: <<base>>/orders
    headers:
      X-Worker: <<worker>>
    auth: {{type: bearer, token: <<token>>}}
    expect:
      status: {order_status}
"""


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    with ShopServer() as server:
        yield server


def shop_file(tmp_path: Path, shop: ShopServer, name: str = "shop.yaml", **values: object) -> Path:
    settings = {"base": shop.url, "p95": 2000, "order_status": 201, **values}
    path = tmp_path / name
    path.write_text(SHOP.format(**settings), encoding="utf-8")
    return path


def by_token(hits: list[Hit]) -> dict[str | None, list[str]]:
    paths: dict[str | None, list[str]] = defaultdict(list)
    for hit in hits:
        paths[hit.token].append(hit.path)
    return paths


def test_twenty_users_walk_the_steps_in_order_each_with_its_own_token(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    collection = shop_file(tmp_path, shop)
    out = tmp_path / "stats.json"
    csv_out = tmp_path / "stats.csv"
    result = run_cli(
        "load",
        collection,
        "--users",
        20,
        "--spawn-rate",
        20,
        "--run-time",
        "3s",
        "--input",
        "who=grace",
        "--json",
        out,
        "--csv",
        csv_out,
        "--progress",
        0,
    )
    assert result.code == 0, result.out + result.err
    hits = shop.snapshot()
    logins = [h for h in hits if h.path == "/login"]
    # the pause ran once, before the load: every user logged in with the shared value
    assert logins and {h.user for h in logins} == {"grace"}
    assert result.out.count("Who is shopping") == 1
    paths = by_token(hits)
    assert None not in paths, "a request went out without its user's token"
    assert len(logins) >= 20  # every user logged in at least once
    cut = 0
    for token, seen in paths.items():
        # each token: its log-in, then its user's own requests in the collection's order
        assert seen[0] == "/login", (token, seen)
        assert seen == ["/login", "/items", "/orders"][: len(seen)], (token, seen)
        cut += len(seen) < 3
    assert cut <= 20  # only a pass the end of the run cut short (one per user at most)
    doc = json.loads(out.read_text(encoding="utf-8"))
    steps = {s["name"]: s for s in doc["steps"]}
    assert set(steps) == {"Log in", "List items", "Order"}
    total = doc["total"]["requests"]
    assert total == sum(s["requests"] for s in doc["steps"])
    # what the server saw, less the requests in flight when the run stopped (one per user)
    assert len(hits) - 20 <= total <= len(hits)
    assert doc["total"]["failures"] == 0 and doc["passed"] is True
    for step in steps.values():
        assert step["p95_ms"] >= step["median_ms"] > 0 and step["rps"] > 0
    assert doc["users"] == 20
    rows = csv_out.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("Type,Name,Request Count,Failure Count,Requests/s,Median")
    assert {r.split(",")[1] for r in rows[1:]} == {"Log in", "List items", "Order", "Aggregated"}
    assert re.search(r"List items\s+\d+\s+0\s", result.out)
    assert "✔ p95_ms" in result.out and "passed · 20 users" in result.out


def test_a_slow_server_crosses_the_collections_p95_threshold(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    shop.delay = 0.15
    collection = shop_file(tmp_path, shop, p95=100)
    out = tmp_path / "stats.json"
    result = run_cli(
        "load",
        collection,
        "-u",
        3,
        "-r",
        3,
        "-t",
        "2s",
        "--input",
        "who=ada",
        "--json",
        out,
        "--progress",
        0,
    )
    assert result.code == 1, result.out + result.err
    assert re.search(r"✘ p95_ms \d+ ms \(limit 100 ms; .*shop\.yaml:8:\d+\)", result.out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    p95 = next(t for t in doc["thresholds"] if t["metric"] == "p95_ms")
    assert p95["passed"] is False and p95["actual"] >= 150
    # the command line's limit replaces the collection's
    again = run_cli(
        "load",
        collection,
        "-u",
        2,
        "-r",
        2,
        "-t",
        "1s",
        "--input",
        "who=ada",
        "--threshold",
        "p95_ms=5000",
        "--progress",
        0,
    )
    assert again.code == 0, again.out + again.err
    assert "✔ p95_ms" in again.out and "--threshold" in again.out


def test_weighted_collections_and_failed_expectations_named_after_the_step(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    good = shop_file(tmp_path, shop, "good.yaml")
    bad = shop_file(tmp_path, shop, "bad.yaml", order_status=200)  # /orders answers 201
    bad.write_text(bad.read_text().replace("name: Shop", "name: Picky"), encoding="utf-8")
    out = tmp_path / "stats.json"
    args = [
        "load",
        "--collection",
        f"{good}:3",
        "--collection",
        f"{bad}:1",
        "-u",
        8,
        "-r",
        8,
        "-t",
        "2s",
        "--input",
        "who=ada",
        "--json",
        out,
        "--progress",
        0,
    ]
    result = run_cli(*args)
    assert result.code == 1, result.out + result.err  # failures, and no error_rate threshold
    doc = json.loads(out.read_text(encoding="utf-8"))
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["Picky: Order"]["failures"] == steps["Picky: Order"]["requests"] > 0
    assert steps["Shop: Order"]["failures"] == 0 and steps["Shop: Order"]["requests"] > 0
    # three users of the weight-3 collection for one of the other: about 3x the requests
    assert steps["Shop: Log in"]["requests"] > 2 * steps["Picky: Log in"]["requests"]
    errors = {(e["name"], e["error"]) for e in doc["errors"]}
    assert errors == {("Picky: Order", "status: expected 200")}
    assert "✘ error_rate" in result.out and "Picky: Order: status: expected 200" in result.out
    tolerant = run_cli(*args[:-4], "--threshold", "error_rate=50%", "-t", "1s", "--progress", 0)
    assert tolerant.code == 0, tolerant.out + tolerant.err


def test_master_and_two_workers_on_one_machine(
    shop: ShopServer, tmp_path: Path, free_port: int
) -> None:
    collection = shop_file(tmp_path, shop)
    out = tmp_path / "master.json"
    runner = [sys.executable, "-m", "runner", "load", str(collection), "--progress", "0"]
    env = {"PATH": "/usr/bin:/bin", "RUNNER_INPUT_WHO": "ada"}
    master = subprocess.Popen(
        [
            *runner,
            "--master",
            "--expect-workers",
            "2",
            "--master-bind-host",
            "127.0.0.1",
            "--master-port",
            str(free_port),
            "-u",
            "10",
            "-r",
            "10",
            "-t",
            "3s",
            "--json",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    workers = [
        subprocess.Popen(
            [
                *runner,
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                str(free_port),
                "--var",
                f"worker={name}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={"PATH": "/usr/bin"},
        )
        for name in ("w1", "w2")
    ]
    try:
        master_out, _ = master.communicate(timeout=60)
        worker_outs = [w.communicate(timeout=30)[0] for w in workers]
    finally:
        for proc in (master, *workers):
            if proc.poll() is None:
                proc.kill()
    assert master.returncode == 0, master_out
    assert all(w.returncode == 0 for w in workers), worker_outs
    hits = shop.snapshot()
    by_worker: dict[str | None, int] = defaultdict(int)
    for hit in hits:
        by_worker[hit.worker] += 1
    assert set(by_worker) == {"w1", "w2"} and min(by_worker.values()) > 0
    # the workers had no --input: the master sent them the value resolved before the load
    assert {h.user for h in hits if h.path == "/login"} == {"ada"}
    sent = [
        int(m.group(1)) for o in worker_outs if (m := re.search(r"worker: (\d+) requests sent", o))
    ]
    assert len(sent) == 2, worker_outs
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["total"]["requests"] == sum(sent) > 0
    assert doc["workers"] == 2 and doc["mode"] == "master"
    assert sum(sent) <= len(hits)  # a request cut by the stop reached the server uncounted
    for token, seen in by_token(hits).items():
        assert seen == ["/login", "/items", "/orders"][: len(seen)], (token, seen)


# --- bad input: one clear error, nothing started ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "no such file: missing.yaml"),
        (["{c}", "--threshold", "p95=500"], "did you mean 'p95_ms'?"),
        (["{c}", "--threshold", "error_rate=150%"], "between 0 and 1 (100%)"),
        (["{c}", "--threshold", "p95_ms=fast"], "'fast' is not a number"),
        (["{c}", "--worker"], "--worker needs --master-host HOST"),
        (["{c}", "--master", "--worker"], "not allowed with argument"),
        (["{c}", "--run-time", "soon"], "expected a duration such as 30s"),
        (["{c}", "--think-time", "2-1"], "the smaller first"),
        (["--collection", "{c}:0"], "the weight must be 1 or more"),
        ([], "runner load needs a collection"),
    ],
)
def test_bad_command_lines_exit_2(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path, args: list[str], message: str
) -> None:
    collection = shop_file(tmp_path, shop)
    result = run_cli("load", *[a.format(c=collection) for a in args], "--input", "who=a")
    assert result.code == 2, result.out + result.err
    assert message in result.err
    assert shop.snapshot() == []


def test_a_bad_load_key_is_an_error_with_its_line(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    collection = shop_file(tmp_path, shop)
    text = collection.read_text().replace("p95_ms: 2000", "p90_ms: 2000")
    collection.write_text(text, encoding="utf-8")
    result = run_cli("load", collection, "--input", "who=a")
    assert result.code == 2
    assert "unknown key 'p90_ms'" in result.err and "shop.yaml:8:5" in result.err
    assert "did you mean 'p99_ms'?" in result.err


def test_a_pause_without_a_value_or_terminal_exits_3_before_the_load(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    result = run_cli("load", shop_file(tmp_path, shop), "-t", "1s")
    assert result.code == 3, result.out + result.err
    assert "--input who=VALUE" in result.out + result.err
    assert shop.snapshot() == []


def test_a_person_step_that_needs_a_capture_is_refused(
    run_cli: RunCli, shop: ShopServer, tmp_path: Path
) -> None:
    collection = shop_file(tmp_path, shop)
    text = collection.read_text().replace(
        "  - request: List items\n",
        "  - browser: Look\n    url: <<base>>/see/<<token>>\n  - request: List items\n",
    )
    collection.write_text(text, encoding="utf-8")
    result = run_cli("load", collection, "--input", "who=a")
    assert result.code == 2
    assert "uses 'token', which the request 'Log in' captures" in result.err
    assert "shop.yaml:" in result.err


def test_the_load_machinery_is_not_imported_by_other_commands() -> None:
    code = (
        "import sys, runner.cli.main as c; c.build_parser(); "
        "print(sorted(m for m in ('locust', 'gevent', 'runner.loadtest.process') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert "locust" not in sys.modules and "gevent" not in sys.modules  # nor this process
