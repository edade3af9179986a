"""Data-driven runs: ``--data`` CSV and JSON files, one iteration per row (runner.format.data)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunCli
from server import TestServer

from runner.core.errors import LoadError
from runner.format.data import open_data

WriteFile = Callable[[str, str], Path]


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- reading the files -------------------------------------------------------------------------


def test_csv_with_bom_quotes_commas_and_line_breaks(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path,
        "users.csv",
        b'\xef\xbb\xbfname,note\r\nada,"likes ""quotes"", and commas"\r\n'
        b'"bob, jr","two\nlines"\r\n\r\nzoe,\r\n',
    )
    data = open_data(path)
    assert data.columns == ("name", "note")  # the BOM is not part of the first name
    assert data.rows == 3  # the blank line is not a row
    assert list(data) == [
        {"name": "ada", "note": 'likes "quotes", and commas'},
        {"name": "bob, jr", "note": "two\nlines"},
        {"name": "zoe", "note": ""},
    ]


def test_csv_reads_what_newmans_reader_reads(tmp_path: Path) -> None:
    """Newman's fixture csv-with-bom: a quote inside an unquoted field is a character, a short
    row leaves its last columns unset; a malformed quoted field is still an error."""
    path = write_bytes(
        tmp_path, "d.csv", b'\xef\xbb\xbfc1,c2,c3\n"123", foo "bar" baz\nx,"y, z"q,\n'
    )
    with pytest.raises(LoadError, match="',' expected after") as info:
        open_data(path)  # a quoted field must end at its quote: nothing is guessed
    assert info.value.location is not None and info.value.location.line == 3
    path.write_bytes(b'\xef\xbb\xbfc1, c2, c3\n"123", foo "bar" baz\nx,"y, z",\n')
    data = open_data(path)
    assert data.columns == ("c1", "c2")
    assert data.partial_columns == {"c3"}
    assert data.first_missing == {"c3": 2}
    assert list(data) == [
        {"c1": "123", "c2": ' foo "bar" baz'},  # spaces are kept (Newman trims them)
        {"c1": "x", "c2": "y, z", "c3": ""},
    ]


def test_json_rows_keep_their_types_and_columns_present_in_some_rows_are_known(
    tmp_path: Path,
) -> None:
    rows = [{"id": 1, "ok": True, "tags": ["a"]}, {"id": 2.5, "ok": None, "extra": {"x": 1}}]
    path = write_bytes(tmp_path, "rows.json", b"\xef\xbb\xbf  " + json.dumps(rows).encode())
    data = open_data(path)
    assert data.rows == 2
    assert data.columns == ("id", "ok")
    assert data.partial_columns == {"tags", "extra"}
    assert list(data) == rows


def test_cycle_starts_again_from_the_first_row(tmp_path: Path) -> None:
    data = open_data(write_bytes(tmp_path, "d.csv", b"n\n1\n2\n"))
    assert [row["n"] for row in data.cycle(5)] == ["1", "2", "1", "2", "1"]
    assert [row["n"] for row in data.cycle(1)] == ["1"]


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("d.csv", b"", "the data file is empty", 1),
        ("d.csv", b"a,b\n", "the data file has a header row but no data rows", 1),
        ("d.csv", b"a,a\n1,2\n", "duplicate column 'a' in the header row", 1),
        ("d.csv", b"a,,c\n1,2,3\n", "column 2 of the header row has no name", 1),
        ("d.csv", b"a,b\n1,2\n3,4,5\n", "row has 3 fields but the header has 2", 3),
        ("d.csv", b'a,b\n1,"2\n', "malformed CSV", 2),
        ("d.csv", b"a\n\xff\n", "data file is not UTF-8 text", 2),
        ("d.json", b'{"a": 1}', "a JSON data file must hold an array of objects", 1),
        ("d.json", b"[]", "the data file holds an empty array", 1),
        ("d.json", b'[{"a": 1}, 2]', "item 2 of the data file is a int, not an object", 1),
        ("d.json", b'[{"a": 1}, {"a": ]', "malformed JSON after item 1", 1),
    ],
)
def test_bad_data_files_fail_with_one_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str, line: int
) -> None:
    with pytest.raises(LoadError) as info:
        open_data(write_bytes(tmp_path, name, content))
    assert info.value.message.startswith(message), info.value.message
    assert info.value.location is not None
    assert info.value.location.line == line


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unknown data file format '\.txt'") as info:
        open_data(write_bytes(tmp_path, "d.txt", b"a\n1\n"))
    assert info.value.hint is not None and ".csv" in info.value.hint
    with pytest.raises(LoadError, match="no such data file"):
        open_data(tmp_path / "missing.csv")


# --- runs --------------------------------------------------------------------------------------

COLLECTION = """\
name: Users
variables:
  base: {base}
  greeting: hello
  tier: gold
steps:
  - request: Create
    method: POST
    url: <<base>>/echo
    body:
      json: {{user: <<user>>, age: <<age>>, tier: <<tier>>, i: <<iteration>>, row: <<data>>}}
    expect:
      status: 200
      json:
        $.json.user: <<user>>
    capture:
      echoed: $.json.user
  - request: Use the capture
    url: <<base>>/echo
    params: {{who: <<echoed>>}}
"""


def test_one_iteration_per_csv_row_with_row_values_as_variables(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    data = write_bytes(tmp_path, "users.csv", b'\xef\xbb\xbfuser,age\nada,36\n"bob, jr",7\n')
    result = run_cli("run", collection, "--data", data, "--no-color")
    assert result.code == 0, result.output
    bodies = [json.loads(r.body) for r in fresh_server.log if r.method == "POST"]
    assert bodies == [
        {"user": "ada", "age": "36", "tier": "gold", "i": 1, "row": {"user": "ada", "age": "36"}},
        {"user": "bob, jr", "age": "7", "tier": "gold", "i": 2,
         "row": {"user": "bob, jr", "age": "7"}},
    ]  # fmt: skip
    assert [r.query["who"] for r in fresh_server.log if r.method == "GET"] == [["ada"], ["bob, jr"]]
    assert "2 steps × 2 iterations" in result.out
    assert result.out.index("Iteration 1/2") < result.out.index("Iteration 2/2")
    assert "4 passed, 0 failed" in result.out


def test_row_values_win_over_the_environment_and_lose_to_var(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    env = write_file("env.yaml", "variables:\n  tier: silver\n  user: from-env\n  age: 1\n")
    data = write_bytes(tmp_path, "rows.json", b'[{"user": "ada", "tier": "platinum", "age": 3}]')
    result = run_cli("run", collection, "-e", env, "--data", data, "--var", "age=99")
    assert result.code == 0, result.output
    body = json.loads(fresh_server.log[0].body)
    assert (body["user"], body["tier"], body["age"]) == ("ada", "platinum", "99")


def test_collection_variables_built_from_row_values_are_rendered_per_row(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        variables:
          base: {fresh_server.url}
          path: /echo/<<user>>
        steps:
          - request: Get
            url: <<base>><<path>>
        """,
    )
    data = write_bytes(tmp_path, "d.csv", b"user\nada\nbob\n")
    result = run_cli("run", collection, "--data", data)
    assert result.code == 0, result.output
    assert fresh_server.paths() == ["/echo/ada", "/echo/bob"]


def test_iterations_cycle_the_rows_or_repeat_without_data(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        variables:
          user: none
        steps:
          - request: Get
            url: {fresh_server.url}/echo/<<user>>/<<iteration>>
        """,
    )
    data = write_bytes(tmp_path, "d.csv", b"user\nada\nbob\n")
    assert run_cli("run", collection, "--data", data, "--iterations", "3").code == 0
    assert fresh_server.paths() == ["/echo/ada/1", "/echo/bob/2", "/echo/ada/3"]
    fresh_server.clear()
    assert run_cli("run", collection, "-n", "2").code == 0
    assert fresh_server.paths() == ["/echo/none/1", "/echo/none/2"]


def test_a_variable_missing_from_the_data_file_is_an_error_before_anything_is_sent(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    data = write_bytes(tmp_path, "d.csv", b"user\nada\n")  # no 'age'
    result = run_cli("run", collection, "--data", data)
    assert result.code == 2
    assert "undefined variable 'age' in step 'Create'" in result.err
    assert "c.yaml:11:" in result.err
    assert fresh_server.log == []


def test_a_column_present_in_some_json_rows_only_is_named_in_the_hint(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    data = write_bytes(tmp_path, "d.json", b'[{"user": "a", "age": 1}, {"user": "b"}]')
    result = run_cli("run", collection, "--data", data)
    assert result.code == 2
    assert "'age' is missing from some rows of" in result.err
    assert fresh_server.log == []


def test_a_bad_data_file_exits_2_with_its_line(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    data = write_bytes(tmp_path, "d.csv", b"user,age\nada,1\nbob,2,3\n")
    result = run_cli("run", collection, "--data", data)
    assert result.code == 2
    assert "row has 3 fields but the header has 2" in result.err
    assert f"{data}:3" in result.err
    assert fresh_server.log == []


def test_a_short_csv_row_that_lacks_a_used_column_stops_the_run_before_sending(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    """As Newman, a short row is read (its last columns unset); a column the collection
    uses must then be in every row, checked before anything is sent, with the line."""
    collection = write_file("c.yaml", COLLECTION.format(base=fresh_server.url))
    data = write_bytes(tmp_path, "d.csv", b"user,age\nada,1\nbob\n")
    result = run_cli("run", collection, "--data", data)
    assert result.code == 2
    assert f"'age' is missing from some rows of {data} (first: line 3)" in result.err
    assert fresh_server.log == []


def test_check_knows_the_columns_of_the_data_file(
    run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file("c.yaml", COLLECTION.format(base="http://127.0.0.1:9"))
    assert run_cli("check", collection).code == 2
    data = write_bytes(tmp_path, "d.csv", b"user,age\nada,1\n")
    result = run_cli("check", collection, "--data", data)
    assert result.code == 0, result.output


def test_secret_columns_are_masked(
    fresh_server: TestServer, run_cli: RunCli, write_file: WriteFile, tmp_path: Path
) -> None:
    collection = write_file(
        "c.yaml",
        f"""
        steps:
          - request: Login
            url: {fresh_server.url}/status/500
            params: {{user: <<user>>, password: <<password>>}}
        """,
    )
    data = write_bytes(tmp_path, "d.csv", b"user,password\nada,hunter2-secret\n")
    result = run_cli("run", collection, "--data", data, "--no-color")
    assert fresh_server.log[0].query["password"] == ["hunter2-secret"]
    assert "hunter2-secret" not in result.output
    assert "password=[REDACTED]" in result.out


# --- bounds (robustness issue, point 3) ---------------------------------------------------------


def test_a_row_nested_past_the_bound_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """200 KB nested 100,000 deep: refused from ijson's events, in a fraction of a second."""
    import resource
    import time

    from runner.format.data import MAX_DEPTH

    path = tmp_path / "deep.json"
    path.write_bytes(b'[{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(LoadError) as info:
        open_data(path)
    assert info.value.message == f"row 1 of the data file nests deeper than {MAX_DEPTH} levels"
    assert time.monotonic() - started < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def test_nesting_up_to_the_bound_is_read(tmp_path: Path) -> None:
    from runner.format.data import MAX_DEPTH

    path = tmp_path / "ok.json"
    path.write_bytes(b'[{"a": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}]")
    data = open_data(path)
    assert data.rows == 1 and data.columns == ("a",)


def test_a_value_longer_than_the_cell_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runner.format.data

    monkeypatch.setattr(runner.format.data, "MAX_CELL_CHARS", 10)
    path = tmp_path / "long.json"
    path.write_text('[{"a": "short"}, {"a": "' + "x" * 11 + '"}]')
    with pytest.raises(LoadError) as info:
        open_data(path)
    assert info.value.message == "a value in row 2 of the data file is longer than 10 characters"
