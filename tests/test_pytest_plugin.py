"""The pytest plugin through pytest itself (pytester): collections under the test paths become
items that send real requests to a real local server and fail with the CLI's words."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import httpcore  # noqa: F401  (imported before pytester's inline runs; see below)
import pytest
from server import TestServer

import runner.explain  # noqa: F401
from runner.pytest_plugin import DEFAULT_GLOBS, glob_pattern

# pytester's inline runs drop the modules first imported during a run, and neither PyYAML's C
# parser nor httpx's lazily imported httpcore survive a second import in one process (their
# classes and exceptions would no longer match): so they are imported once, above.
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

PASSING = """
name: Users API
tags: [smoke]
steps:
  - request: Log in
    method: POST
    url: <<base>>/echo/login
    body:
      json: {user: ada}
    expect:
      status: 200
    capture:
      user: $.json.user
  - request: Get profile
    url: <<base>>/echo/profile
    params: {who: <<user>>}
    expect:
      status: 200
      json:
        $.args.who: ada
"""

FAILING = """
name: Widgets
variables:
  api_token: tok-very-secret-1234
steps:
  - request: List widgets
    url: <<base>>/json
    headers:
      Authorization: Bearer <<api_token>>
    expect:
      status: 200
      json:
        $.name: gadget
"""

PAUSING = """
name: OAuth flow
steps:
  - browser: Authorize
    url: <<base>>/authorize
  - pause: Paste the authorization code
    variable: code
  - request: Exchange the code
    method: POST
    url: <<base>>/echo/token
    body:
      form: {code: <<code>>}
    expect:
      status: 200
"""


@pytest.fixture(autouse=True)
def _no_preset_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin reads RUNNER_INPUT_<NAME> from the environment: start without any."""
    for name in list(os.environ):
        if name.startswith("RUNNER_INPUT_"):
            monkeypatch.delenv(name)


def write(pytester: pytest.Pytester, name: str, text: str) -> Path:
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run(pytester: pytest.Pytester, server: TestServer, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:cacheprovider", "--strict-markers", "--runner-var", f"base={server.url}", *args
    )  # fmt: skip


# -- passing, failing --------------------------------------------------------------------------
def test_passing_collection_is_one_passing_item_with_captures_flowing(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    result = run(pytester, fresh_server, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*collections/users.yaml::Users API PASSED*"])
    assert fresh_server.paths() == ["/echo/login", "/echo/profile"]
    assert fresh_server.log[1].query == {"who": ["ada"]}  # captured in step 1, sent in step 2


def test_failure_reads_like_the_cli_with_request_and_variables(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/widgets.yaml", FAILING)
    result = run(pytester, fresh_server)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    # where, expected, actual: first as format_error draws it, then as the console report
    assert 'error: step \'List widgets\': json $.name: expected "gadget", got "widget"' in out
    assert "--> collections/widgets.yaml:12:9" in out
    assert "12 |         $.name: gadget" in out
    assert '✘ json $.name: expected "gadget", got "widget"' in out
    assert "at collections/widgets.yaml:12:9" in out
    assert "0 passed, 1 failed" in out
    # the rendered request, with the secret masked, and the variables in scope
    assert f"GET {fresh_server.url}/json" in out
    assert "Authorization: [REDACTED]" in out
    assert "api_token = [REDACTED]" in out
    assert f'base = "{fresh_server.url}"' in out
    assert "tok-very-secret-1234" not in out
    # not a Python traceback
    assert "Traceback" not in out
    assert "pytest_plugin.py" not in out
    assert "engine.py" not in out
    # the short summary names the failure itself
    result.stdout.fnmatch_lines(
        ["FAILED collections/widgets.yaml::Widgets - error: step 'List widgets': json*"]
    )
    assert len(fresh_server.log) == 1


def test_failure_masks_credentials_written_inline(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/login.yaml", """
        name: Login
        steps:
          - request: JSON login
            method: POST
            url: <<base>>/echo/json?access_token=inline-query-token-1
            params: {client_secret: inline-param-secret-2, page: "3"}
            body:
              json: {user: ada, login: {password: inline-json-pass-3}}
            expect:
              status: 201
          - request: Form login
            method: POST
            url: <<base>>/echo/form
            body:
              form: {username: ada, password: inline-form-pass-4}
            expect:
              status: 201
    """)  # fmt: skip
    result = run(pytester, fresh_server)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "inline-" not in out  # none of the values written inline
    assert (
        f"POST {fresh_server.url}/echo/json?access_token=[REDACTED]&client_secret=[REDACTED]&page=3"
        in out
    )
    assert '{"user": "ada", "login": {"password": "[REDACTED]"}}' in out
    assert "username=ada&password=[REDACTED]" in out
    assert fresh_server.log[1].body == b"username=ada&password=inline-form-pass-4"  # sent as is


def test_connection_refused_is_a_failure_with_the_reason(
    pytester: pytest.Pytester, free_port: int
) -> None:
    write(pytester, "collections/down.yaml", FAILING)
    result = pytester.runpytest("-p", "no:cacheprovider", "--runner-var",
                                f"base=http://127.0.0.1:{free_port}")  # fmt: skip
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "error: step 'List widgets':" in out
    assert "refused" in out.lower()
    assert "--> collections/down.yaml:5:5" in out
    assert "Traceback" not in out


def test_undefined_variable_fails_before_anything_is_sent(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    result = pytester.runpytest("-p", "no:cacheprovider")  # no --runner-var base=...
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "error: undefined variable 'base' in step 'Log in'" in out
    assert "--> collections/users.yaml:6:10" in out
    assert "help: define 'base' in the environment" in out
    assert fresh_server.log == []


def test_invalid_collection_is_a_collection_error_with_file_line_and_hint(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    write(pytester, "collections/broken.yaml", """
        name: Broken
        steps:
          - request: Typo
            metod: POST
            url: http://127.0.0.1:1/
    """)  # fmt: skip
    result = run(pytester, fresh_server, "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    out = result.stdout.str()
    assert "error: unknown key 'metod' in request step 'Typo'" in out
    assert "--> collections/broken.yaml:4:5" in out
    assert "help: did you mean 'method'?" in out
    assert "Traceback" not in out


# -- pauses ---------------------------------------------------------------------------------------
def test_pause_without_input_is_skipped_with_how_to(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/oauth.yaml", PAUSING)
    result = run(pytester, fresh_server, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([
        "SKIPPED [[]1[]] collections/oauth.yaml:5: step 'Paste the authorization code' "
        "(collections/oauth.yaml:5:5) pauses for 'code' and no value was given: "
        "pass --runner-input code=VALUE*or set the environment variable RUNNER_INPUT_CODE",
    ])  # fmt: skip
    assert fresh_server.log == []  # skipped before anything was sent


def test_pause_takes_runner_input(pytester: pytest.Pytester, fresh_server: TestServer) -> None:
    write(pytester, "collections/oauth.yaml", PAUSING)
    result = run(pytester, fresh_server, "--runner-input", "code=abc-123-xyz", "-rA")
    result.assert_outcomes(passed=1)
    assert fresh_server.log[0].body == b"code=abc-123-xyz"
    assert "abc-123-xyz" not in result.stdout.str()  # a pasted value is secret


def test_pause_takes_the_environment_variable(
    pytester: pytest.Pytester, fresh_server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(pytester, "collections/oauth.yaml", PAUSING)
    monkeypatch.setenv("RUNNER_INPUT_CODE", "from-env-777")
    result = run(pytester, fresh_server)
    result.assert_outcomes(passed=1)
    assert fresh_server.log[0].body == b"code=from-env-777"


def test_empty_input_is_skipped_not_failed(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/oauth.yaml", PAUSING)
    result = run(pytester, fresh_server, "--runner-input", "code=", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*pass --runner-input code=VALUE*"])
    assert fresh_server.log == []


# -- selection ----------------------------------------------------------------------------------
def _three(pytester: pytest.Pytester) -> None:
    write(pytester, "collections/users.yaml", PASSING)  # tagged smoke
    write(pytester, "collections/orders.yaml", """
        name: Orders
        steps:
          - folder: Checkout
            tags: [payments]
            steps:
              - request: Pay the order
                id: pay
                url: <<base>>/echo/pay
    """)  # fmt: skip
    write(pytester, "collections/health.yaml", """
        name: Health
        steps:
          - request: Ping
            tags: [smoke, fast]
            url: <<base>>/echo/ping
    """)  # fmt: skip


def test_tags_are_markers(pytester: pytest.Pytester, fresh_server: TestServer) -> None:
    _three(pytester)
    result = run(pytester, fresh_server, "-m", "smoke", "-v")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["*health.yaml::Health PASSED*", "*users.yaml::Users API PASSED*"])
    assert "/echo/pay" not in fresh_server.paths()
    result = run(pytester, fresh_server, "-m", "payments and not smoke")
    result.assert_outcomes(passed=1, deselected=2)
    result = run(pytester, fresh_server, "-m", "runner")  # every collection carries `runner`
    result.assert_outcomes(passed=3)


def test_pytest_marker_tags_keep_their_meaning(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/skipped.yaml", PASSING.replace("[smoke]", "[skip]"))
    write(pytester, "collections/known_bug.yaml", "tags: [xfail]\n" + FAILING)
    result = run(pytester, fresh_server)
    result.assert_outcomes(skipped=1, xfailed=1)
    assert fresh_server.paths() == ["/json"]


def test_markers_are_listed(pytester: pytest.Pytester) -> None:
    _three(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.runner: a collection of HTTP requests*"])


def test_k_selects_by_collection_and_step_name(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    _three(pytester)
    result = run(pytester, fresh_server, "-k", "Orders")
    result.assert_outcomes(passed=1, deselected=2)
    assert fresh_server.paths() == ["/echo/pay"]
    result = run(pytester, fresh_server, "-k", "profile or ping")  # step names
    result.assert_outcomes(passed=2, deselected=1)
    result = run(pytester, fresh_server, "-k", "Checkout")  # a folder name
    result.assert_outcomes(passed=1, deselected=2)
    result = run(pytester, fresh_server, "-k", "pay and not Users")  # a step id
    result.assert_outcomes(passed=1, deselected=2)


# -- reports --------------------------------------------------------------------------------------
def test_junitxml_has_one_testcase_per_collection_with_steps(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    write(pytester, "collections/widgets.yaml", FAILING)
    result = run(pytester, fresh_server, "--junitxml=report.xml")
    result.assert_outcomes(passed=1, failed=1)
    root = ET.parse(pytester.path / "report.xml").getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"Users API", "Widgets"}
    assert cases["Users API"].find("failure") is None
    steps = {p.get("name"): str(p.get("value")) for p in cases["Users API"].iter("property")}
    assert steps["step 1"].startswith(f"passed: Log in — POST {fresh_server.url}/echo/login")
    assert steps["step 2"].startswith("passed: Get profile — GET")
    failure = cases["Widgets"].find("failure")
    assert failure is not None
    text = (failure.get("message") or "") + (failure.text or "")
    assert "collections/widgets.yaml:12:9" in text
    assert 'expected "gadget", got "widget"' in text
    assert "tok-very-secret-1234" not in (pytester.path / "report.xml").read_text()


def test_passing_steps_are_shown_with_rP(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    result = run(pytester, fresh_server, "-rP")
    result.stdout.fnmatch_lines([
        "*Captured runner call*",
        "Users API · 2 steps",
        f"  ✔ Log in — POST {fresh_server.url}/echo/login → 200*",
        f"  ✔ Get profile — GET {fresh_server.url}/echo/profile?who=ada → 200*",
    ])  # fmt: skip


# -- xdist ----------------------------------------------------------------------------------------
CHAIN = """
name: Chain {n}
steps:
  - request: First
    url: <<base>>/echo/first
    params: {{chain: "{n}"}}
    headers: {{X-Worker: "<< env('PYTEST_XDIST_WORKER', 'none') >>"}}
    capture:
      got: $.args.chain
  - request: Second
    url: <<base>>/echo/second
    params: {{chain: "{n}", prev: <<got>>}}
    headers: {{X-Worker: "<< env('PYTEST_XDIST_WORKER', 'none') >>"}}
    capture:
      again: $.args.prev
  - request: Third
    url: <<base>>/echo/third
    params: {{chain: "{n}", prev: <<again>>}}
    headers: {{X-Worker: "<< env('PYTEST_XDIST_WORKER', 'none') >>"}}
"""


def test_xdist_keeps_each_collection_on_one_worker_in_order(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    for n in range(1, 5):
        write(pytester, f"collections/chain{n}.yaml", CHAIN.format(n=n))
    result = run(pytester, fresh_server, "-n", "2")
    result.assert_outcomes(passed=4)
    by_chain: dict[str, list[tuple[str, str, str]]] = {}
    for rec in fresh_server.log:
        chain = rec.query["chain"][0]
        prev = rec.query.get("prev", [""])[0]
        by_chain.setdefault(chain, []).append((rec.path, rec.headers["x-worker"], prev))
    assert sorted(by_chain) == ["1", "2", "3", "4"]
    workers = set()
    for chain, requests in by_chain.items():
        assert [path for path, _, _ in requests] == ["/echo/first", "/echo/second", "/echo/third"]
        assert len({worker for _, worker, _ in requests}) == 1, requests  # one worker each
        assert [prev for _, _, prev in requests] == ["", chain, chain]  # captures flowed
        workers.add(requests[0][1])
    assert workers == {"gw0", "gw1"}  # and the collections were spread over both


# -- options in the ini file, environments -------------------------------------------------------
def test_ini_options_and_environment_file(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "api/users.yaml", PASSING.replace("<<base>>", "<<host>><<prefix>>"))
    write(pytester, "api/oauth.yaml", PAUSING.replace("<<base>>", "<<host>><<prefix>>"))
    write(pytester, "envs/local.yaml", f"""
        name: local
        variables:
          host: {fresh_server.url}
          prefix: /nowhere
    """)  # fmt: skip
    write(pytester, "pytest.ini", """
        [pytest]
        runner_globs = api/*.yaml
        runner_env = envs/local.yaml
        runner_vars =
            prefix=
        runner_inputs =
            code=ini-code-5678
    """)  # fmt: skip
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2)
    assert sorted(fresh_server.paths()) == ["/echo/login", "/echo/profile", "/echo/token"]
    assert b"code=ini-code-5678" in [r.body for r in fresh_server.log]
    # the command line wins over the ini file
    fresh_server.clear()
    result = pytester.runpytest("-p", "no:cacheprovider", "--runner-input", "code=cli-9999")
    result.assert_outcomes(passed=2)
    assert b"code=cli-9999" in [r.body for r in fresh_server.log]


def test_missing_environment_file_fails_clearly(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    result = run(pytester, fresh_server, "--runner-env", "envs/nope.yaml")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "envs/nope.yaml" in out
    assert "Traceback" not in out
    assert fresh_server.log == []


def test_bad_runner_var_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--runner-var", "novalue")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*expected NAME=VALUE, got 'novalue'*"])


# -- inert --------------------------------------------------------------------------------------
def test_inert_without_collection_files(pytester: pytest.Pytester) -> None:
    write(pytester, "config/settings.yaml", "not: a collection\n")
    write(pytester, "environments/local.yaml", "name: local\nvariables: {a: 1}\n")
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)


def test_disabled_with_p_no(pytester: pytest.Pytester, fresh_server: TestServer) -> None:
    write(pytester, "collections/users.yaml", PASSING)
    result = run(pytester, fresh_server, "-p", "no:runner-collections")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # --runner-var is unknown without it
    assert fresh_server.log == []


def test_explicit_file_is_collected_whatever_its_name(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "smoke.yml", PASSING)
    result = run(pytester, fresh_server)
    result.assert_outcomes()  # not matched by the globs: nothing collected
    result = run(pytester, fresh_server, "smoke.yml")
    result.assert_outcomes(passed=1)


def test_a_tavern_file_is_left_to_tavern_even_when_named(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    """Tavern's tests are ``test_x.tavern.yaml``: with both plugins installed, ``pytest
    test_x.tavern.yaml`` is Tavern's to collect; ours read it as a collection and failed."""
    write(pytester, "test_login.tavern.yaml", "test_name: login\nstages: []\n")
    result = run(pytester, fresh_server, "test_login.tavern.yaml")
    result.assert_outcomes()  # no error from ours: no plugin claims it here (no Tavern)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: not found:" in result.stderr.str()


def test_glob_pattern() -> None:
    pattern = glob_pattern(DEFAULT_GLOBS)
    for path in ("collections/a.yaml", "collections/x/y/b.yaml", "tests/collections/c.yaml",
                 "a.runner.yaml", "tests/api/d.runner.yaml"):  # fmt: skip
        assert pattern.search(path), path
    for path in ("collectionsx/a.yaml", "environments/a.yaml", "collections/a.yml",
                 "a.runner.yaml.bak", "tests/test_x.py", "runner.yaml"):  # fmt: skip
        assert not pattern.search(path), path


def test_this_projects_own_suite_does_not_collect_its_collections() -> None:
    """`pytest` from the project root collects tests/ only (testpaths), not
    collections/zoom_oauth.yaml, which needs Zoom credentials and a person."""
    assert glob_pattern(DEFAULT_GLOBS).search("collections/zoom_oauth.yaml")
    assert not [p for p in (ROOT / "tests").rglob("*.y*ml")
                if glob_pattern(DEFAULT_GLOBS).search(p.relative_to(ROOT).as_posix())]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--continue-on-collection-errors"],  # another module mid-change must not hide ours
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
    )  # fmt: skip
    assert "tests/test_pytest_plugin.py::test_glob_pattern" in proc.stdout, proc.stdout[-2000:]
    assert "zoom_oauth" not in proc.stdout
    # while asked for by path, it is an item (so the check above means something)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "collections/zoom_oauth.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "collections/zoom_oauth.yaml::Zoom OAuth 2.0" in proc.stdout, proc.stdout[-2000:]


# -- fixtures -----------------------------------------------------------------------------------
def test_runner_run_fixture_gives_captures(
    pytester: pytest.Pytester, fresh_server: TestServer
) -> None:
    write(pytester, "data/users.yaml", PASSING)
    write(pytester, "data/widgets.yaml", FAILING)
    write(pytester, "data/oauth.yaml", PAUSING)
    pytester.makepyfile(test_flow="""
        from runner.pytest_plugin import RunnerRun

        def test_captures(runner_run: RunnerRun) -> None:
            result = runner_run("data/users.yaml")
            assert result.ok
            assert result.captures == {"user": "ada"}
            assert [s.status_code for s in result.steps] == [200, 200]

        def test_failed_run_as_data(runner_run: RunnerRun) -> None:
            result = runner_run("data/widgets.yaml", check=False)
            assert not result.ok
            assert result.steps[0].failed_checks[0].actual == "widget"

        def test_failed_run_fails_the_test(runner_run: RunnerRun) -> None:
            runner_run("data/widgets.yaml")

        def test_pause_skips(runner_run: RunnerRun) -> None:
            runner_run("data/oauth.yaml")

        def test_pause_answered(runner_run: RunnerRun) -> None:
            result = runner_run("data/oauth.yaml", inputs={"code": "fixture-code-42"})
            assert result.captures["code"] == "fixture-code-42"

        def test_runner_env(runner_env) -> None:
            assert runner_env.name == "local"
            assert runner_env.variables["base"].startswith("http://127.0.0.1:")
    """)  # fmt: skip
    write(pytester, "local.yaml", f"name: local\nvariables:\n  base: {fresh_server.url}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--runner-env", "local.yaml", "-rs")
    result.assert_outcomes(passed=4, failed=1, skipped=1)
    out = result.stdout.str()
    assert 'error: step \'List widgets\': json $.name: expected "gadget", got "widget"' in out
    assert "--> data/widgets.yaml:12:9" in out
    assert "tok-very-secret-1234" not in out
    result.stdout.fnmatch_lines(["SKIPPED*pauses for 'code'*--runner-input code=VALUE*"])
    assert b"code=fixture-code-42" in [r.body for r in fresh_server.log]


# -- the documentation --------------------------------------------------------------------------
def test_docs_python_api_matches_the_plugin(pytester: pytest.Pytester) -> None:
    """docs/python-api.md: its collections load, its failure points at the right line, and every
    option and ini name it gives exists."""
    from runner.format.loader import parse_collection

    doc = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```yaml\n")[1:]]
    assert len(blocks) >= 2
    for block in blocks:
        parse_collection(block, "doc.yaml")
    users = next(b for b in blocks if b.startswith("# collections/users.yaml"))
    assert "--> collections/users.yaml:20:9" in doc
    assert users.splitlines()[19] == "        $.name: Ada"
    login = next(b for b in blocks if b.startswith("# collections/login.yaml"))
    assert "collections/login.yaml:6:5) pauses for 'code'" in doc
    assert login.splitlines()[5] == "  - pause: Paste the code"
    result = pytester.runpytest("-p", "no:cacheprovider", "--help")
    for option in ("--runner-env", "--runner-var", "--runner-input", "--runner-glob"):
        assert f"`{option} " in doc
        result.stdout.fnmatch_lines([f"*{option}*"])
    for ini in ("runner_env", "runner_vars", "runner_inputs", "runner_globs"):
        assert f"`{ini}" in doc
        result.stdout.fnmatch_lines([f"  {ini} *"])
