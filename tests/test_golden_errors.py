"""Golden error output: every case in ``tests/cases/<name>/`` runs through the CLI and its
standard error (and standard output, and exit code) must match the case's expected files byte
for byte, in the manner of Hurl's ``tests_failed/*.err``.

A case is a folder with the input files, ``cmd`` (the arguments, shell-quoted, paths relative
to the folder), ``expected.err``, ``exit``, and ``expected.out`` when the command writes to
standard output. The command runs in-process with the case folder as the working directory
(so paths print relative), no terminal, and an environment of its own (nothing the machine
has set leaks in). No case sends a request: ``check`` sends nothing, and ``run`` cases fail
before sending.

To regenerate the expected files after a deliberate change of wording or layout::

    RUNNER_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_errors.py

then read the diff (``git diff tests/cases``) before committing it. See tests/cases/README.md.
"""

from __future__ import annotations

import io
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.cli.main import Console, main
from runner.core.errors import LoadError, SourceLocation, format_error
from runner.core.model import Text
from runner.format.loader import parse_data
from runner.render.templates import name_location

CASES = Path(__file__).parent / "cases"
UPDATE = os.environ.get("RUNNER_UPDATE_GOLDEN") == "1"
EXPECTED = ("expected.err", "expected.out", "exit")


@dataclass(frozen=True)
class Outcome:
    """What one command gave: its streams and its exit code."""

    err: str
    out: str
    exit: int


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "cmd").is_file())


def inputs(folder: Path) -> dict[str, bytes]:
    """The case's own files (not the expected ones), to see that a command left them alone."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in EXPECTED
    }


def run_case(folder: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps its usage lines to the terminal
    console = Console(
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"HOME": str(home), "RUNNER_STATE_DIR": str(home / "state"), "NO_COLOR": "1"},
    )
    argv = shlex.split((folder / "cmd").read_text(encoding="utf-8"))
    code = main(argv, console)
    assert isinstance(console.stdout, io.StringIO) and isinstance(console.stderr, io.StringIO)
    return Outcome(console.stderr.getvalue(), console.stdout.getvalue(), code)


def write_expected(folder: Path, outcome: Outcome) -> None:
    (folder / "expected.err").write_text(outcome.err, encoding="utf-8", newline="")
    out = folder / "expected.out"
    if outcome.out:
        out.write_text(outcome.out, encoding="utf-8", newline="")
    elif out.exists():
        out.unlink()
    (folder / "exit").write_text(f"{outcome.exit}\n", encoding="utf-8")


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8") if path.exists() else ""


@pytest.mark.parametrize("name", case_names())
def test_golden_error_output(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / name
    before = inputs(folder)
    outcome = run_case(folder, tmp_path, monkeypatch)
    assert inputs(folder) == before, "the command wrote into the case folder"
    if UPDATE:
        write_expected(folder, outcome)
    elif not (folder / "exit").exists():
        pytest.fail(f"{name} has no expected files yet: run with RUNNER_UPDATE_GOLDEN=1")
    assert outcome.err == read(folder / "expected.err")
    assert outcome.out == read(folder / "expected.out")
    assert outcome.exit == int(read(folder / "exit"))
    assert outcome.exit != 0, "a golden case is an error case"


def test_there_are_enough_cases() -> None:
    """The corpus covers the loader's, the variable check's and the CLI's errors."""
    assert len(case_names()) >= 40


# --- how a span is drawn ---------------------------------------------------------------------


def caret_line(loc: SourceLocation, text: str) -> str:
    return format_error(LoadError("x", loc), sources={"f.yaml": text}).splitlines()[4]


def test_the_caret_spans_the_token_on_its_line() -> None:
    assert caret_line(SourceLocation("f.yaml", 1, 7, 1, 11), "name: soon\n") == "  |       ^^^^"


def test_one_caret_without_an_end_or_for_a_token_over_several_lines() -> None:
    assert caret_line(SourceLocation("f.yaml", 1, 7), "name: soon\n") == "  |       ^"
    assert caret_line(SourceLocation("f.yaml", 1, 1, 3, 1), "a: 1\nb: 2\n") == "  | ^"


def test_the_span_stops_at_the_end_of_the_line() -> None:
    assert caret_line(SourceLocation("f.yaml", 1, 3, 1, 40), "a: 1\n") == "  |   ^^"


def test_the_end_takes_no_part_in_equality() -> None:
    assert SourceLocation("f.yaml", 1, 3, 1, 9) == SourceLocation("f.yaml", 1, 3)
    assert hash(SourceLocation("f.yaml", 1, 3, 1, 9)) == hash(SourceLocation("f.yaml", 1, 3))


@pytest.mark.parametrize(
    ("source", "span"),
    [
        ("u: <<id>>/x", (4, 10)),  # plain
        ("u: 'a-<< id | upper >>'", (7, 23)),  # quoted: after the quote
        ('u: "\\t<<id>>"', (4, 14)),  # an escape: the whole value, as before
    ],
)
def test_an_undefined_variable_is_placed_on_its_tag(source: str, span: tuple[int, int]) -> None:
    value = parse_data(source)["u"]
    assert isinstance(value, Text)
    loc = name_location(value, "id")
    assert loc is not None and (loc.column, loc.end_column) == span
