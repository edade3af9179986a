"""Variables set by Postman scripts are known to the check before sending (``--scripts``).

A script's ``pm.environment.set("name", ...)`` (or the legacy setters) defines ``name`` for
the steps that read it, as a capture does; without ``--scripts`` the scripts are inert and
the name is undefined, as before. Against the local Postman Echo stand-in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer

from runner.scripts.syntax import assigned_names

WriteFile = Callable[[str, str], Path]


def test_the_names_a_script_sets_are_found_by_parsing_it() -> None:
    source = """
        // pm.environment.set("in_a_comment", 1) is not a call
        var id = pm.response.json().id;
        pm.environment.set("order_id", id);
        pm . globals . set('shared', 2);
        if (id) { pm.collectionVariables.set("collection-var", "x"); }
        pm.variables.set("local", 3);
        postman.setEnvironmentVariable("legacy", "4");
        pm.environment.set(computed, 5);
        pm.environment.get("only_read");
        console.log("pm.environment.set('in_a_string', 6)");
    """
    assert assigned_names(source) == {
        "order_id",
        "shared",
        "collection_var",
        "local",
        "legacy",
    }


def _chain(write_file: WriteFile, echo: EchoServer, status: int = 200) -> Path:
    return write_file(
        "chain.yaml",
        f"""
        name: Chained by a script
        steps:
          - request: Create
            url: {echo.url}/status/{status}
            scripts:
              test: |
                if (pm.response.code === 200) {{
                  pm.environment.set("order-id", "ord-" + pm.response.code);
                }}
          - request: Read
            url: {echo.url}/get?order=<<order_id>>
            expect:
              json:
                $.args.order: ord-200
        """,
    )


def test_a_variable_a_script_sets_is_sent_by_a_later_step(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _chain(write_file, echo)
    result = run_cli("run", path, "--scripts")
    assert result.code == 0, result.output
    assert (echo.log[-1].path, echo.log[-1].query) == ("/get", [("order", "ord-200")])


def test_without_scripts_the_name_is_undefined_before_anything_is_sent(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _chain(write_file, echo)
    result = run_cli("run", path)
    assert result.code == 2, result.output
    assert "undefined variable 'order_id'" in result.output
    assert echo.log == []


def test_a_step_that_reads_it_before_a_script_set_it_ends_with_a_named_error(
    write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    """The script did not set it (the status was not 200): the reading step is an error,
    nothing is sent for it, and the run goes on."""
    path = _chain(write_file, echo, status=201)
    result = run_cli("run", path, "--scripts")
    assert result.code == 1, result.output
    assert "undefined variable 'order_id'" in result.output
    assert [r.path for r in echo.log] == ["/status/201"]


@pytest.mark.parametrize("setting", ["--scripts", "run_scripts"])
def test_the_collection_setting_counts_the_same_as_the_flag(
    setting: str, write_file: WriteFile, echo: EchoServer, run_cli: RunCli
) -> None:
    path = _chain(write_file, echo)
    if setting == "run_scripts":
        path.write_text("run_scripts: true\n" + path.read_text(), encoding="utf-8")
        result = run_cli("run", path)
    else:
        result = run_cli("run", path, setting)
    assert result.code == 0, result.output
