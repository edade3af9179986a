"""`runner run` with several collections or a folder: each in turn or side by side, one report
file each or merged, the worst exit status (docs/running.md#several-collections)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import RunCli
from echo_server import EchoServer
from test_reporters import chromium, dump_dom


def write(folder: Path, base: str) -> None:
    folder.mkdir()
    for name, path in (("A", "/get"), ("B", "/status/500"), ("C", "/post")):
        (folder / f"{name.lower()}.yaml").write_text(
            f"name: {name}\nsteps:\n  - request: {name} step\n    method: POST\n"
            f"    url: {base}{path}\n    expect: {{status: 200}}\n",
            encoding="utf-8",
        )
    (folder / "e.postman_environment.json").write_text('{"values": []}')  # not a collection


def test_a_folder_runs_each_collection_in_turn_with_one_merged_junit(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path / "cols", echo.url)
    result = run_cli("run", "cols", "--reporter", "junit:out.xml", "--merge-reports", cwd=tmp_path)
    assert result.code == 1
    heads = [line for line in result.out.splitlines() if re.fullmatch(r"\w · 1 steps?", line)]
    assert [head[0] for head in heads] == ["A", "B", "C"]
    assert result.out.endswith("3 collections: 2 passed, 1 did not (cols/b.yaml: exit 1)\n")
    root = ElementTree.parse(tmp_path / "out.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    assert [s.get("name") for s in root.iter("testsuite")] == ["A", "B", "C"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cols", "out.xml"]


def test_side_by_side_keeps_the_order_and_writes_one_report_each(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path / "cols", echo.url)
    result = run_cli(
        "run", "cols/c.yaml", "cols/a.yaml", "--parallel", "2", "--reporter", "json:r.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.index("C · 1 step") < result.out.index("A · 1 step")
    assert result.out.endswith("2 collections: 2 passed, 0 did not\n")
    reports = {p.name: json.loads(p.read_text()) for p in tmp_path.glob("r-*.json")}
    names = {name: report["collection"]["name"] for name, report in reports.items()}
    assert names == {"r-c.json": "C", "r-a.json": "A"}


def test_an_invalid_collection_among_several_is_reported_and_the_rest_run(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path / "cols", echo.url)
    (tmp_path / "cols" / "b.yaml").write_text("name: B\nsteps: 3\n")
    result = run_cli("run", "cols", cwd=tmp_path)
    assert result.code == 2
    assert "C · 1 step" in result.out
    assert result.out.endswith("3 collections: 2 passed, 1 did not (cols/b.yaml: exit 2)\n")


def test_merged_html_is_one_page_with_a_section_per_collection(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path / "cols", echo.url)
    result = run_cli("run", "cols", "--reporter", "html:out.html", "--merge-reports", cwd=tmp_path)
    assert result.code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cols", "out.html"]
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<title>3 collections · runner report</title>" in page
    assert page.count("<!doctype html>") == 1 and page.count("<script>") == 1
    assert re.findall(r'<section class="report" id="(collection-\w)">', page) == [
        "collection-a", "collection-b", "collection-c",
    ]  # fmt: skip
    assert '<header class="v-failed"><h1>3 collections</h1>' in page
    assert '<li class="s-failed"><a href="#collection-b">B</a> failed</li>' in page
    assert '<li class="s-passed"><a href="#collection-a">A</a> passed</li>' in page
    for label in "abc":  # each collection's step anchors, unique on the page
        assert page.count(f'id="{label}-step-1"') == 1


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_merged_html_filters_each_section_in_a_browser(
    run_cli: RunCli, echo: EchoServer, tmp_path: Path
) -> None:
    write(tmp_path / "cols", echo.url)
    run_cli("run", "cols", "--reporter", "html:out.html", "--merge-reports", cwd=tmp_path)
    dom = dump_dom((tmp_path / "out.html").as_uri() + "#filter=B%20step", tmp_path / "profile")
    shown = re.findall(r'<span id="shown">([^<]*)</span>', dom)
    assert shown == ["0 of 1 steps shown", "1 of 1 steps shown", "0 of 1 steps shown"]
