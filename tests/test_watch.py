"""runner run --watch: a change runs again exactly once, only what changed, with the state."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from server import TestServer

from runner.cli.main import Console, build_parser
from runner.cli.watch import Shape, rerun_range, shape_of, watch

COLLECTION = """\
name: Watched
steps:
  - pause: Paste the code
    variable: code
  - folder: API
    steps:
      - request: First
        url: {base}/echo/a?code=<<code>>
      - request: Second
        url: {base}/echo/b
  - request: Last
    url: {base}/echo/c
"""


class Watching:
    """``runner run --watch`` in a thread, with its output and a way to stop it."""

    def __init__(self, argv: list[str], environ: dict[str, str]) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.console = Console(io.StringIO(), self.out, self.err, environ)
        self.stop = threading.Event()
        args = build_parser().parse_args(argv)
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, args=(args,), daemon=True)

    def _run(self, args: Any) -> None:
        self.code = watch(args, self.console, stop=self.stop, debounce_ms=100)

    def runs(self) -> int:
        return len(re.findall(r"(?m)^\d+ passed", self.out.getvalue()))

    def wait(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, self.out.getvalue() + self.err.getvalue()
            time.sleep(0.05)


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[Callable[..., Watching]]:
    started: list[Watching] = []

    def start(argv: list[str], environ: dict[str, str]) -> Watching:
        w = Watching(argv, environ)
        w.thread.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop.set()
        w.thread.join(10)
        assert not w.thread.is_alive()


def test_a_change_in_a_folder_runs_that_folder_again_exactly_once_with_the_pause_answer(
    watching: Callable[..., Watching], fresh_server: TestServer, tmp_path: Path
) -> None:
    path = tmp_path / "watched.yaml"
    path.write_text(COLLECTION.format(base=fresh_server.url), encoding="utf-8")
    environ = {"RUNNER_STATE_DIR": str(tmp_path / "state"), "RUNNER_INPUT_CODE": "abc123"}
    w = watching(["run", str(path), "--watch"], environ)
    w.wait(lambda: w.runs() == 1)
    assert fresh_server.paths() == ["/echo/a", "/echo/b", "/echo/c"]
    del environ["RUNNER_INPUT_CODE"]  # from now on, nobody could answer the pause again
    fresh_server.clear()

    path.write_text(path.read_text().replace("/echo/b", "/echo/b2"), encoding="utf-8")
    w.wait(lambda: w.runs() == 2)
    time.sleep(1.0)  # well past the debounce: a second rerun would have started by now
    assert w.runs() == 2
    assert fresh_server.paths() == ["/echo/a", "/echo/b2"]  # the folder, not the whole run
    assert fresh_server.log[0].query == {"code": ["abc123"]}  # the answer was kept
    assert "watched.yaml changed: running steps 2–3 again" in w.out.getvalue()
    w.stop.set()
    w.thread.join(10)
    assert w.code == 0


def test_a_save_without_a_change_and_a_comment_run_nothing(
    watching: Callable[..., Watching], fresh_server: TestServer, tmp_path: Path
) -> None:
    path = tmp_path / "watched.yaml"
    text = COLLECTION.format(base=fresh_server.url)
    path.write_text(text, encoding="utf-8")
    w = watching(["run", str(path), "--watch", "--input", "code=x"], {})
    w.wait(lambda: w.runs() == 1)
    path.write_text(text, encoding="utf-8")  # same bytes
    path.write_text(text + "# a comment\n", encoding="utf-8")
    w.wait(lambda: "no step changed; nothing to run" in w.err.getvalue())
    assert w.runs() == 1
    assert len(fresh_server.log) == 3


def test_an_invalid_edit_is_reported_and_the_fix_runs(
    watching: Callable[..., Watching], fresh_server: TestServer, tmp_path: Path
) -> None:
    path = tmp_path / "watched.yaml"
    text = COLLECTION.format(base=fresh_server.url)
    path.write_text(text, encoding="utf-8")
    w = watching(["run", str(path), "--watch", "--input", "code=x"], {})
    w.wait(lambda: w.runs() == 1)
    broken = text.replace(f"    url: {fresh_server.url}/echo/c", "    metod: GET")
    path.write_text(broken, encoding="utf-8")
    w.wait(lambda: "unknown key 'metod'" in w.err.getvalue())
    assert f"{path}:12:5" in w.err.getvalue()
    fresh_server.clear()
    path.write_text(text.replace("/echo/c", "/echo/c2"), encoding="utf-8")
    w.wait(lambda: w.runs() == 2)
    assert fresh_server.paths() == ["/echo/c2"]  # compared with what last ran


def shape(text: str) -> Shape:
    return shape_of(text, "c.yaml")


def test_what_runs_again_for_each_kind_of_change() -> None:
    old = shape(COLLECTION.format(base="http://h"))
    same = shape(COLLECTION.format(base="http://h") + "# comment\n")
    assert rerun_range(old, same) is None
    in_folder = shape(COLLECTION.format(base="http://h").replace("/echo/a", "/echo/a2"))
    assert rerun_range(old, in_folder) == (1, 3)
    top = shape(COLLECTION.format(base="http://h").replace("/echo/c", "/echo/c2"))
    assert rerun_range(old, top) == (3, None)
    renamed = shape(COLLECTION.format(base="http://h").replace("Second", "Two"))
    assert rerun_range(old, renamed) == (0, None)
    variables = shape("variables: {a: 1}\n" + COLLECTION.format(base="http://h"))
    assert rerun_range(old, variables) == (0, None)
