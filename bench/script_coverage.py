"""How much of the shared corpus's Postman test-script code becomes declarative checks and
captures, and how much is kept as JavaScript for Postman's own sandbox (the porting issue).

A script a person runs (never a test): ``python bench/script_coverage.py [CORPUS]``, with the
corpus by default at ``../shared/data/postman`` beside the project. Every
``*.postman_collection.json`` (and ``*collection*.json``) under it is converted in memory by
the importer (``runner.formats.postman.importer.import_files``: nothing is written), and the
import report's counts are added up per source folder: test-script lines, the lines that
became checks and captures, and the statements kept as script. A file the importer refuses
is counted apart with its reason. The scripts the sandbox runs, and those that fail in ours
but not in Newman, are measured by running: ``bench/corpus_parity --all``.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.core.errors import RunnerError  # noqa: E402
from runner.formats.postman.importer import import_files  # noqa: E402


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/postman"
    if not corpus.is_dir():
        print(f"no corpus at {corpus}: pass its folder")
        return 2
    files = sorted({*corpus.rglob("*.postman_collection.json"), *corpus.rglob("*collection*.json")})
    totals: dict[str, Counter[str]] = {}
    refused: list[str] = []
    with tempfile.TemporaryDirectory() as out:
        for path in files:
            group = path.relative_to(corpus).parts[0]
            try:
                report = import_files(path, output=Path(out)).report
            except (RunnerError, ValueError, OSError) as exc:
                refused.append(f"{path.relative_to(corpus)}: {str(exc).splitlines()[0][:100]}")
                continue
            count = totals.setdefault(group, Counter())
            count["collections"] += 1
            count["requests"] += report.requests
            count["test lines"] += report.test_lines
            count["translated lines"] += report.translated_lines
            count["checks"] += report.checks
            count["captures"] += report.captures
            count["kept statements"] += len(report.kept)  # one entry a kept statement
    columns = ["collections", "requests", "test lines", "translated lines", "checks",
               "captures", "kept statements"]  # fmt: skip
    print("| source | " + " | ".join(columns) + " | translated |")
    print("|---" * (len(columns) + 2) + "|")
    grand: Counter[str] = Counter()
    for group, count in sorted(totals.items()):
        grand.update(count)
        share = count["translated lines"] / count["test lines"] if count["test lines"] else 1.0
        cells = " | ".join(f"{count[c]:,}" for c in columns)
        print(f"| {group} | {cells} | {share:.0%} |")
    share = grand["translated lines"] / grand["test lines"] if grand["test lines"] else 1.0
    print(f"| all | {' | '.join(f'{grand[c]:,}' for c in columns)} | {share:.0%} |")
    if refused:
        print(f"\nrefused by the importer ({len(refused)}):")
        for line in refused:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
