"""Every library a Postman script can ``require`` gives Newman's result: one collection whose
test script computes a value with each library and names a ``pm.test`` after it, run by
Newman 6.2.2 itself and by the runner (imported and run with the defaults), against the same
local server; the test names (so the values) and outcomes must be the same, in order."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import RunCli
from echo_server import EchoServer
from postman_support import NEWMAN, collection, needs_newman, request, write_json

from runner.scripts.postman import PostmanSandbox

# Each test's name carries what the library computed; a failing expectation fails it.
LIBRARIES = r"""
const body = pm.response.json();
const schema = {type: "object", required: ["args"], properties: {args: {type: "object"}}};
pm.test("lodash " + _.get(body, "args.color") + " " + _.chunk([1, 2, 3], 2).length, () => {});
pm.test("moment " + require("moment")("2024-01-02T03:04:05Z").utc().format("DD/MM/YYYY HH:mm"),
    () => {});
pm.test("chai members", () => pm.expect([1, 2]).to.have.members([2, 1]));
pm.test("chai fails", () => pm.expect(_.get(body, "args.color")).to.equal("blue"));
pm.test("crypto-js " + CryptoJS.SHA256("abc").toString() + " "
    + CryptoJS.HmacSHA1("m", "k").toString(CryptoJS.enc.Base64) + " "
    + CryptoJS.MD5("x").toString(), () => {});
pm.test("Buffer " + Buffer.from("héllo").toString("base64"), () => {});
pm.test("atob/btoa " + btoa("user:pass") + " " + atob("dXNlcjpwYXNz"), () => {});
pm.test("ajv " + new (require("ajv"))().validate(schema, body), () => {});
pm.test("tv4 " + tv4.validate(body, schema), () => {});
pm.test("cheerio " + cheerio.load('<ul><li class="x">one</li><li>two</li></ul>')("li.x").text(),
    () => {});
pm.test("xml2Json " + JSON.stringify(xml2Json('<a><b id="1">t</b></a>')), () => {});
pm.test("uuid " + /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/.test(require("uuid").v4()), () => {});
pm.test("csv-parse " + JSON.stringify(require("csv-parse/lib/sync")("k,v\na,1\n",
    {columns: true})), () => {});
pm.test("postman-collection " + new (require("postman-collection").Url)("http://h/p?q=1")
    .query.get("q"), () => {});
pm.test("legacy " + responseCode.code + " " + (typeof responseBody), () => {});
tests["tests[] " + postman.getResponseHeader("Content-Type")] = responseCode.code === 200;
"""


def _assertions_newman(report: Path) -> list[tuple[str, bool]]:
    run = json.loads(report.read_text())["run"]
    return [
        (a["assertion"], "error" not in a)
        for execution in run["executions"]
        for a in execution.get("assertions", [])
    ]


def _assertions_ours(report: Path) -> list[tuple[str, bool]]:
    steps = json.loads(report.read_text())["steps"]
    return [(c["name"], c["passed"]) for s in steps for c in s.get("checks", [])]


@needs_newman
def test_every_bundled_library_gives_newman_s_result(
    run_cli: RunCli, tmp_path: Path, echo: EchoServer, postman_sandbox: PostmanSandbox
) -> None:
    document = collection(
        request("Libraries", echo.url + "/get?color=red", test=LIBRARIES), name="Libraries"
    )
    source = write_json(tmp_path / "libraries.postman_collection.json", document)
    theirs = tmp_path / "newman.json"
    newman = subprocess.run(
        [str(NEWMAN), "run", str(source), "-r", "json", "--reporter-json-export", str(theirs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert newman.returncode == 1, newman.stdout + newman.stderr  # "chai fails" fails
    imported = run_cli("import", "postman", source, "-o", tmp_path / "out", "--force")
    assert imported.code == 0, imported.output
    ours = tmp_path / "ours.json"
    result = run_cli(
        "run", tmp_path / "out" / "collections" / "libraries.yaml", "--reporter", f"json:{ours}"
    )
    assert result.code == 1, result.output
    expected = _assertions_newman(theirs)
    assert len(expected) == 16 and ("chai fails", False) in expected
    assert _assertions_ours(ours) == expected
