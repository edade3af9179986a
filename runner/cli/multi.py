"""Several collections in one ``runner run`` (a list of files, or folders of them): each
collection's arguments and report paths, its run with the output held back (side by side),
the merged JUnit and JSON files, and the closing line."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from runner.core.errors import RunnerError

from .console import Console

MERGED = ("junit", "json", "html")  # the reporters whose files --merge-reports merges
RunOne = Callable[[argparse.Namespace, Console], int]  # cli.running.run_collection


@dataclass
class CollectionRun:
    path: str
    args: argparse.Namespace
    status: int = 0
    out: str = ""
    err: str = ""

    def run_direct(self, console: Console, run_collection: RunOne) -> int:
        """Run with the output straight to the console; an invalid collection is reported
        and the next one runs."""
        try:
            return run_collection(self.args, console)
        except RunnerError as exc:
            console.error(exc)
            return int(exc.exit_status)

    def run_buffered(self, console: Console, run_collection: RunOne) -> int:
        """Run with the output held (``out``, ``err``) to be printed whole, in order; no
        terminal: a pause takes its value from --input or the environment."""
        mine = Console(io.StringIO(), io.StringIO(), io.StringIO(), console.environ)
        try:
            status = run_collection(self.args, mine)
        except RunnerError as exc:
            mine.error(exc)
            status = int(exc.exit_status)
        assert isinstance(mine.stdout, io.StringIO) and isinstance(mine.stderr, io.StringIO)
        self.out, self.err = mine.stdout.getvalue(), mine.stderr.getvalue()
        return status


def tag(path: str, index: int) -> str:
    """What tells one collection's report file from another's: its file's stem."""
    if path.lstrip().startswith("{"):
        return f"collection-{index + 1}"
    name = Path(path).name
    for suffix in (".postman_collection.json", ".json", ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or f"collection-{index + 1}"
    return name


def tagged(path: str, label: str) -> str:
    """``out/report.xml`` -> ``out/report-users.xml``."""
    p = Path(path)
    return str(p.with_name(f"{p.stem}-{label}{p.suffix}"))


def per_collection(args: argparse.Namespace, path: str, index: int) -> argparse.Namespace:
    """The arguments of one collection among several: its path, its own report files."""
    mine = argparse.Namespace(**vars(args))
    label = tag(path, index)
    mine.collection, mine.more = path, []
    if args.parallel > 1:
        mine.parallel = 1  # collections side by side; each one's iterations in order
    reporters = []
    for text in args.reporter:
        name, sep, target = text.partition(":")
        reporters.append(f"{name}:{tagged(target, label)}" if sep and target != "-" else text)
    mine.reporter = reporters
    mine.reporter_exports = {k: tagged(v, label) for k, v in args.reporter_exports.items()}
    mine.report_tag = label
    return mine


def merge_reports(args: argparse.Namespace, runs: list[CollectionRun]) -> None:
    """``--merge-reports``: the collections' JUnit files in one ``<testsuites>``, their JSON
    reports in one array, their HTML pages in one page (a section each), written at the path
    given; the per-collection files are removed."""
    if not args.merge_reports:
        return
    targets: dict[str, str] = {}  # merged path -> kind
    for text in args.reporter:
        name, sep, target = text.partition(":")
        if sep and target != "-" and name in MERGED:
            targets[target] = name
    for name, target in args.reporter_exports.items():
        if name in MERGED:
            targets[target] = name
    for target, kind in targets.items():
        parts = [Path(tagged(target, run.args.report_tag)) for run in runs]
        present = [p for p in parts if p.is_file()]
        if kind == "junit":
            _merge_junit(present, Path(target))
        elif kind == "html":
            from runner.reporters.html import merge_pages

            pages = [
                (run.args.report_tag, part.read_text(encoding="utf-8"))
                for run, part in zip(runs, parts, strict=True)
                if part.is_file()
            ]
            Path(target).write_text(merge_pages(pages), encoding="utf-8")
        else:
            data = [json.loads(p.read_text(encoding="utf-8")) for p in present]
            Path(target).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        for part in present:
            part.unlink()


def _merge_junit(parts: list[Path], target: Path) -> None:
    root = ElementTree.Element("testsuites", name=f"{len(parts)} collections")
    totals: dict[str, float] = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for part in parts:
        tree = ElementTree.parse(part)  # noqa: S314 - written just now by our JUnit reporter
        for suite in tree.getroot().iter("testsuite"):
            root.append(suite)
            for key in totals:
                totals[key] += float(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, f"{value:.3f}" if key == "time" else str(int(value)))
    ElementTree.ElementTree(root).write(target, encoding="UTF-8", xml_declaration=True)


def summary_line(runs: list[CollectionRun]) -> str:
    """``3 collections: 2 passed, 1 did not (b.yaml: exit 1)``."""
    bad = [run for run in runs if run.status != 0]
    text = f"{len(runs)} collections: {len(runs) - len(bad)} passed, {len(bad)} did not"
    if bad:
        text += " (" + ", ".join(f"{_short(run.path)}: exit {run.status}" for run in bad) + ")"
    return text


def _short(path: str) -> str:
    return "the pasted collection" if path.lstrip().startswith("{") else path
