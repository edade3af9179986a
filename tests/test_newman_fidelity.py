"""What `bench/newman_parity` found different from Newman, fixed: CSV data read as Newman
reads it in imported collections (``csv_values: newman``), compared with Newman 6.2.2 itself
where it is installed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli
from echo_server import EchoServer, RawEchoServer
from postman_support import NEWMAN, collection, needs_newman, request, write_json

from runner.core.errors import LoadError
from runner.format.data import open_data
from runner.formats.postman.script_import import Translator
from runner.scripts.postman import PostmanSandbox

WriteFile = Callable[[str, str], Path]

# Newman's fixture comma-test-csv, with a second row and a quoted field over two lines
CSV = (
    b"\xef\xbb\xbfnameWithComma,numberWithQuotes,numberWithoutQuotes,negative,nullValue,"
    b" spaceAfterComma ,spaceBeforeComma, unescapedQuotes,float\n"
    b'"Abhijit, Kane","00123",7890,-7890,, "foo" ,"bar", Abhijit "KDOS" Kane,1.5\n'
    b'"two\nlines",x,007,+5,,a b , c,d,1e3\n'
)
ROWS = [
    {
        "nameWithComma": "Abhijit, Kane",
        "numberWithQuotes": "00123",  # quoted: text
        "numberWithoutQuotes": 7890,
        "negative": -7890,
        "nullValue": "",
        "spaceAfterComma": "foo",
        "spaceBeforeComma": "bar",
        "unescapedQuotes": 'Abhijit "KDOS" Kane',
        "float": 1.5,
    },
    {
        "nameWithComma": "two\nlines",
        "numberWithQuotes": "x",
        "numberWithoutQuotes": 7,  # parseFloat("007")
        "negative": 5,
        "nullValue": "",
        "spaceAfterComma": "a b",
        "spaceBeforeComma": "c",
        "unescapedQuotes": "d",
        "float": 1000,
    },
]


def test_newman_csv_values_are_trimmed_and_numbers_cast(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(CSV)
    data = open_data(path, "newman")
    assert data.rows == 2 and data.csv_values == "newman"
    assert list(data) == ROWS
    text = list(open_data(path))  # the native reading is unchanged: text, spaces kept
    assert text[0]["numberWithoutQuotes"] == "7890"
    assert text[0]["spaceAfterComma"] == ' "foo" '


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("12abc", "12abc"),
        ("abc", "abc"),
        ("-0", 0),
        (".5", 0.5),
        ("0x10", 0),  # Number() is 16 but parseFloat() 0: Newman's cast gives 0
        ("Infinity", "Infinity"),  # Infinity - Infinity is NaN: text
        ('"12"', "12"),
    ],
)
def test_newman_csv_cast_is_javascript_s(tmp_path: Path, field: str, value: Any) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"v\n{field}\n")
    assert list(open_data(path, "newman")) == [{"v": value}]


def test_newman_csv_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('a,b\n1,2\n3,"4\n5,6,7\n')
    with pytest.raises(LoadError, match="malformed CSV: a quoted field is not closed") as info:
        open_data(path, "newman")  # as Newman's reader: "Quote Not Closed"
    assert info.value.location is not None and info.value.location.line == 3
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(LoadError, match="row has 3 fields but the header has 2") as info:
        open_data(path, "newman")
    assert info.value.location is not None and info.value.location.line == 3


PRE_REQUEST = """pm.test("CSV parsing tests", function () {
    pm.expect(data.numberWithoutQuotes).to.eql(7890);
    pm.expect(data.numberWithQuotes).to.eql('00123');
    pm.expect(data.spaceAfterComma).to.eql('foo');
    pm.expect(data.unescapedQuotes).to.eql('Abhijit "KDOS" Kane');
});"""


def _document(url: str) -> dict[str, Any]:
    item = request("Row", url + "/get?n={{numberWithoutQuotes}}&s={{spaceAfterComma}}")
    item["event"] = [
        {"listen": "prerequest", "script": {"type": "text/javascript", "exec": [PRE_REQUEST]}}
    ]
    return collection(item, name="CSV")


def test_an_imported_collection_reads_csv_data_as_newman(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, postman_sandbox: PostmanSandbox
) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(CSV.split(b'\n"two')[0] + b"\n")  # the first row only
    source = write_json(tmp_path / "csv.postman_collection.json", _document(echo.url))
    assert run_cli("import", "postman", source, "-o", tmp_path / "out").code == 0
    path = tmp_path / "out" / "collections" / "csv.yaml"
    assert yaml.safe_load(path.read_text())["csv_values"] == "newman"
    report = tmp_path / "r.json"
    result = run_cli("run", path, "--data", data, "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    assert echo.log[-1].query == [("n", "7890"), ("s", "foo")]
    checks = json.loads(report.read_text())["steps"][0]["checks"]
    assert [(c["name"], c["passed"]) for c in checks] == [("CSV parsing tests", True)]
    # without the setting (a native collection's default), values are text with their spaces
    path.write_text(path.read_text().replace("csv_values: newman\n", ""))
    result = run_cli("run", path, "--data", data, "--reporter", f"json:{report}")
    assert result.code == 1
    assert echo.log[-1].query == [("n", "7890"), ("s", ' "foo" ')]


@needs_newman
def test_newman_reads_the_same_csv_values(tmp_path: Path, echo: EchoServer) -> None:
    """The values above are Newman's: its own run of the same collection and data passes."""
    data = tmp_path / "d.csv"
    data.write_bytes(CSV.split(b'\n"two')[0] + b"\n")
    source = write_json(tmp_path / "csv.postman_collection.json", _document(echo.url))
    newman = subprocess.run(
        [str(NEWMAN), "run", str(source), "-d", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert newman.returncode == 0, newman.stdout + newman.stderr
    assert echo.log[-1].query == [("n", "7890"), ("s", "foo")]


def test_a_test_after_a_kept_statement_stays_script_in_postman_s_order() -> None:
    """Declarative checks are evaluated before the step's script: a test written after a
    statement kept as script is kept too, so the tests run in the order Newman runs them."""
    source = "\n".join(
        [
            'pm.test("first", function () { pm.response.to.have.status(200); });',
            'tests["kept"] = !postman.getEnvironmentVariable("FOO");',
            'pm.test("third", function () { pm.response.to.have.header("Date"); });',
        ]
    )
    result = Translator(lambda name: name).translate_test(source)
    assert result.expect.to_yaml() == {"status": {"eq": 200, "name": "first"}}
    assert [(k.line, k.reason) for k in result.kept][1:] == [
        (3, "after a statement kept as script (tests stay in Postman's order)")
    ]
    assert result.remaining is not None and 'pm.test("third"' in result.remaining


def test_a_space_in_a_param_is_sent_as_percent_20(
    write_file: WriteFile, run_cli: RunCli, tmp_path: Path
) -> None:
    """As Postman sends it (and RFC 3986 writes it): `+` means a space only in HTML forms.
    A param still replaces the URL's own query value of that name; the rest is kept as
    written."""
    with RawEchoServer() as raw:
        path = write_file(
            "c.yaml",
            f"""
name: Spaces
steps:
  - request: Header value
    url: "{raw.url}/response-headers?keep=1+2&type=old"
    params: {{type: "application/json;  charset=utf-8"}}
""",
        )
        report = tmp_path / "r.json"
        result = run_cli("run", path, "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    request_line = json.loads(report.read_text())["steps"][0]["response"]["body"].split("\r\n")[0]
    assert request_line == (
        "GET /response-headers?keep=1+2&type=application%2Fjson%3B%20%20charset%3Dutf-8 HTTP/1.1"
    )


def test_translated_checks_keep_the_order_of_the_tests() -> None:
    """The expect keys follow the tests (the loader keeps their order); a test that the
    grouping by kind would move before another one is kept as script."""
    source = "\n".join(
        [
            'tests["Status code is 200"] = responseCode.code === 200;',
            'tests["Body contains cookies"] = responseBody.has("cookies");',
            "var body = JSON.parse(responseBody);",
            "tests[\"Body contains cookie foo1\"] = 'foo1' in body.cookies;",
            'tests["JSON"] = postman.getResponseHeader("Content-Type") === "application/json";',
            "tests[\"Body contains cookie foo2\"] = 'foo2' in body.cookies;",
        ]
    )
    result = Translator(lambda name: name).translate_test(source)
    expect = result.expect.to_yaml()
    assert list(expect) == ["status", "body", "json", "headers"]
    assert list(expect["json"]) == ["$.cookies.foo1"]
    assert [(k.line, k.reason) for k in result.kept] == [
        (6, "grouped with the checks of its kind, it would move before another test")
    ]


def test_a_missing_file_part_is_left_out_in_an_imported_collection(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer
) -> None:
    """Newman sends a form whose file is not there (a path from the exporter's machine)
    without that part; the import writes ``missing_files: skip``, and the run sends the rest
    with a warning. A native collection (``error``) sends nothing for that step."""
    form = {
        "mode": "formdata",
        "formdata": [
            {"key": "k", "value": "v", "type": "text"},
            {"key": "photo", "src": "/Users/someone/Desktop/photo.png", "type": "file"},
        ],
    }
    document = collection(
        request("Upload", echo.url + "/post", method="POST", body=form), name="Files"
    )
    source = write_json(tmp_path / "files.postman_collection.json", document)
    imported = run_cli("import", "postman", source, "-o", tmp_path / "out", "--force")
    assert imported.code == 0, imported.output
    path = tmp_path / "out" / "collections" / "files.yaml"
    assert yaml.safe_load(path.read_text())["missing_files"] == "skip"
    report = tmp_path / "report.json"
    result = run_cli("run", path, "--reporter", f"json:{report}")
    assert result.code == 0, result.output
    (sent,) = echo.log
    assert b'name="k"' in sent.body and b"photo" not in sent.body
    (warning,) = json.loads(report.read_text())["steps"][0]["warnings"]
    assert (warning["label"], warning["message"]) == (
        "missing file",
        "file part 'photo': no such file: /Users/someone/Desktop/photo.png: left out "
        "(missing_files: skip)",
    )
    path.write_text(path.read_text().replace("missing_files: skip", "missing_files: error"))
    refused = run_cli("run", path)
    assert refused.code == 1 and "no such file: /Users/someone/Desktop/photo.png" in refused.out
    assert len(echo.log) == 1  # nothing more sent
