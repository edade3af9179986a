"""Iterations of a run: one per data row (or ``--iterations N``), one after the other or
``--parallel N`` at once, with the events of every iteration delivered in iteration order.

Why ordered: reports must not depend on which thread won a race. Iteration 1's events go
to the listeners as they happen; a later iteration's are held until every earlier one has
finished, then delivered together. Workers start an iteration only while it is within a
window of the oldest unfinished one, so what is held stays bounded (memory stays flat over
100,000 iterations).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from runner.core.events import Event
from runner.http.transport import Transport

if TYPE_CHECKING:
    from runner.core.model import Collection
    from runner.engine.options import RunOptions
    from runner.format.data import DataFile

Row = dict[str, Any]
Body = Callable[[int, Row, Transport], None]


def iteration_rows(data: DataFile | None, iterations: int | None) -> tuple[int, Iterator[Row]]:
    """How many iterations, and their rows: the data file's rows (cycled when
    ``--iterations`` asks for more), or empty rows."""
    if data is None:
        count = iterations or 1
        return count, itertools.repeat({}, count)
    count = iterations or data.rows
    return count, data.cycle(count)


def with_csv_values(options: RunOptions, collection: Collection) -> RunOptions:
    """``options`` with its CSV data file read as the collection says (``csv_values``):
    a caller that opened it the other way gets it checked and read again."""
    data = options.data
    if data is None or data.kind != "csv" or data.csv_values == collection.csv_values:
        return options
    from runner.format.data import open_data

    newman = collection.csv_values == "newman"
    return dataclasses.replace(options, data=open_data(data.path, "newman" if newman else "text"))


class OrderedEvents:
    """Delivers events of concurrent iterations in iteration order (see the module doc)."""

    def __init__(self, deliver: Callable[[Event], None], window: int) -> None:
        self._deliver = deliver
        self.window = window
        self._cond = threading.Condition()
        self._current = 1
        self._held: dict[int, list[Event]] = {}
        self._done: set[int] = set()

    def emit(self, number: int, event: Event) -> None:
        with self._cond:
            if number == self._current:
                self._deliver(event)
            else:
                self._held.setdefault(number, []).append(event)

    def finish(self, number: int) -> None:
        """Iteration ``number`` ended: deliver what the next ones hold, as far as possible."""
        with self._cond:
            self._done.add(number)
            while self._current in self._done:
                self._done.discard(self._current)
                self._current += 1
                for event in self._held.pop(self._current, ()):
                    self._deliver(event)
            self._cond.notify_all()

    def wait_turn(self, number: int, stopped: threading.Event) -> None:
        """Block until ``number`` is within the window of the oldest unfinished iteration."""
        with self._cond:
            while number >= self._current + self.window and not stopped.is_set():
                self._cond.wait(0.1)


def run_parallel(
    rows: Iterator[Row],
    workers: int,
    body: Body,
    make_transport: Callable[[], Transport],
    ordered: OrderedEvents,
    events_to: Callable[[Callable[[Event], None]], Any],
    stopped: threading.Event,
) -> None:
    """Run ``body(number, row, transport)`` for every row on ``workers`` threads, each with
    its own transport (connections are reused within a thread). An exception in a worker
    stops the others and is raised here; so is KeyboardInterrupt, once the workers ended."""
    numbered = enumerate(rows, start=1)
    take = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        transport = make_transport()
        try:
            while not stopped.is_set():
                with take:
                    item = next(numbered, None)
                if item is None:
                    return
                number, row = item
                ordered.wait_turn(number, stopped)
                try:
                    with events_to(functools.partial(ordered.emit, number)):
                        if not stopped.is_set():
                            body(number, row, transport)
                finally:
                    ordered.finish(number)
        except BaseException as exc:  # a reporter failed, or worse: stop everyone
            errors.append(exc)
            stopped.set()
        finally:
            transport.close()

    threads = [
        threading.Thread(target=worker, name=f"runner-iteration-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)
    except KeyboardInterrupt:
        stopped.set()
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]
