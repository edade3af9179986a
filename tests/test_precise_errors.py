"""Issue 18's precise errors: data columns no template reads are warned (a misspelled column
is no longer silently ignored), with the used name they are close to."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RunCli
from echo_server import EchoServer

COLLECTION = """\
name: t
variables:
  user: default
steps:
  - request: one
    url: {base}/get?u=<<user>>
"""


def write(tmp_path: Path, base: str, header: str = "usr,extra") -> None:
    (tmp_path / "c.yaml").write_text(COLLECTION.format(base=base), encoding="utf-8")
    (tmp_path / "rows.csv").write_text(f"{header}\nada,1\n", encoding="utf-8")


def test_run_warns_about_data_columns_nothing_reads(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path, echo.url)
    result = run_cli("run", "c.yaml", "-d", "rows.csv", cwd=tmp_path)
    assert result.code == 0
    assert result.err == (
        "warning: rows.csv: column 'usr' is not used by the collection (did you mean 'user'?)\n"
        "warning: rows.csv: column 'extra' is not used by the collection\n"
    )
    assert echo.log[0].query == [("u", "default")]  # what the warning is about


def test_check_warns_too_and_used_columns_are_quiet(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path, echo.url)
    assert "column 'usr' is not used" in run_cli("check", "c.yaml", "-d", "rows.csv",
                                                 cwd=tmp_path).err  # fmt: skip
    write(tmp_path, echo.url, header="user,base_unused")
    (tmp_path / "c.yaml").write_text(
        COLLECTION.format(base=echo.url).replace("<<user>>", "<<user>>&b=<<data['base_unused']>>")
    )
    assert run_cli("run", "c.yaml", "-d", "rows.csv", cwd=tmp_path).err == ""  # data[...] reads any


def test_env_is_read_only_when_the_variable_is_used(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    (tmp_path / "c.yaml").write_text(
        f"name: t\nvariables:\n  token: <<env('NM_UNSET_TOKEN')>>\nsteps:\n"
        f"  - request: one\n    url: {echo.url}/get\n",
        encoding="utf-8",
    )
    assert run_cli("run", "c.yaml", cwd=tmp_path).code == 0  # unused: never read
    (tmp_path / "c.yaml").write_text(
        (tmp_path / "c.yaml").read_text().replace("/get\n", "/get?t=<<token>>\n")
    )
    used = run_cli("run", "c.yaml", cwd=tmp_path)
    assert used.code == 2
    assert used.err.startswith("error: environment variable 'NM_UNSET_TOKEN' is not set\n")
    assert len(echo.log) == 1  # nothing sent the second time


def test_max_time_ms_takes_a_variable(run_cli: RunCli, echo: EchoServer, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        f"name: t\nvariables:\n  slow_ms: 60000\nsteps:\n  - request: one\n"
        f"    url: {echo.url}/delay/0.05\n    expect:\n      max_time_ms: <<slow_ms>>\n",
        encoding="utf-8",
    )
    assert run_cli("run", "c.yaml", cwd=tmp_path).code == 0
    late = run_cli("run", "c.yaml", "--var", "slow_ms=1", "--no-color", cwd=tmp_path)
    assert late.code == 1  # the server waits 50 ms: more than 1
    assert 'time: expected {"le": "1"}, got ' in late.out  # the rendered limit


def test_timeout_takes_a_variable(run_cli: RunCli, echo: EchoServer, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        f"name: t\nvariables:\n  slow_s: 30\nsteps:\n  - request: one\n"
        f"    url: {echo.url}/delay/0.5\n    timeout: <<slow_s>>\n",
        encoding="utf-8",
    )
    assert run_cli("run", "c.yaml", cwd=tmp_path).code == 0
    late = run_cli("run", "c.yaml", "--var", "slow_s=0.05", "--no-color", cwd=tmp_path)
    assert late.code == 1
    assert " 0.05 s" in late.out  # the rendered timeout cut the request short
    for value, error in (
        ("abc", "timeout must be a number of seconds, not 'abc' (from <<slow_s>>)"),
        ("0", "timeout must be greater than 0, not 0 (from <<slow_s>>)"),
        ("1e9", "timeout must be at most 604,800 seconds (a week), not 1e9 (from <<slow_s>>)"),
    ):
        bad = run_cli("run", "c.yaml", "--var", f"slow_s={value}", "--no-color", cwd=tmp_path)
        assert bad.code == 1
        assert f"      error: {error}\n" in bad.out
    assert len(echo.log) == 2  # the bad values sent nothing


def test_timeout_variable_in_the_schema() -> None:
    import jsonschema

    from runner.format.schema import collection_schema

    doc = {"name": "t", "steps": [{"request": "one", "url": "http://x", "timeout": "<<s>>"}]}
    jsonschema.validate(doc, collection_schema())  # raises if refused
    doc["steps"][0]["timeout"] = "soon"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, collection_schema())
