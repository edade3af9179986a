"""Where the events of a run go: the listeners, or a thread's holding buffer.

Why per thread: a retried attempt, a concurrent iteration or a step of a parallel folder
holds its events back (runner.engine.flow, runner.engine.iterations) while the other
threads keep reporting; ``events_to`` redirects only the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from runner.core.events import Event, Listener, StepFinished
from runner.core.redact import Redactor
from runner.core.results import RunResult

# (listener, its text_filter, whether it takes events as made): see EventHub._listening
_Route = tuple[Listener, Callable[[str], str] | None, bool]


class EventHub:
    """Delivers events to ``listeners`` (the engine's own list: resume adds to it) and
    records each finished step on the run's result.

    This is where secrets are masked for everything that leaves a run through its events:
    each event is masked once (``Redactor.mask_data``), as it is delivered, so reporters,
    plug-ins and the files they write never see a secret, and a value captured after an
    event was made but before it was delivered (a held-back iteration) is masked too. The
    run's own result (the Python API's) keeps the real values."""

    def __init__(self, listeners: list[Listener], redactor: Redactor) -> None:
        self.listeners = listeners
        self.redactor = redactor
        self.result: RunResult | None = None
        self._local = threading.local()
        self._by_kind: dict[tuple[object, ...], list[_Route]] = {}

    def emit(self, event: Event) -> None:
        """Send an event to where this thread's events go: the listeners, or a holding
        buffer (a retried attempt, a concurrent iteration or parallel step)."""
        route = getattr(self._local, "route", None)
        if route is None:
            self.deliver(event)
        elif route[1] is None or isinstance(event, route[1]):
            route[0](event)

    def wants(self, kind: type[Event]) -> bool:
        """Whether an event of ``kind`` emitted now reaches anyone: this thread's sink, if it
        takes that kind (a holding buffer takes every event); else a listener that does not
        ignore the kind. Why: an event that no one reads need not be built
        (runner.engine.request_step)."""
        route = getattr(self._local, "route", None)
        if route is None:
            return bool(self._listening(kind))
        return route[1] is None or issubclass(kind, route[1])

    def deliver(self, event: Event) -> None:
        """Pass an event to the listeners now, whatever this thread's sink."""
        if isinstance(event, StepFinished) and self.result is not None:
            self.result.record(event.result)
        made: dict[Callable[[str], str] | None, Event] = {}
        for listener, text_filter, as_made in self._listening(type(event)):
            if as_made:
                listener.on_event(event)
                continue
            out = made.get(text_filter)
            if out is None:
                out = made[text_filter] = self._mask(event, text_filter)
            if text_filter is None:
                listener.on_event(out)
            else:
                listener.on_filtered_event(out)  # type: ignore[attr-defined]  # see _listening

    def _mask(self, event: Event, text_filter: Callable[[str], str] | None) -> Event:
        if text_filter is None:
            return self.redactor.mask_data(event)  # type: ignore[no-any-return]
        return self.redactor.mask_data(event, text_filter)  # type: ignore[no-any-return]

    def _listening(self, kind: type) -> list[_Route]:
        """The listeners that take events of ``kind``: all but those whose
        ``ignored_events`` (a tuple of event classes) names it. Why: an event nobody reads
        (a check's, for the console) is then neither masked nor sent (none listening: nothing
        done at all); an event type added later reaches every listener until one says it
        ignores it.

        A listener with a ``text_filter`` (a function of text, and an ``on_filtered_event``
        method: the console, which makes control characters visible) gets its events masked
        and filtered in one walk (``Redactor.mask_data``), through ``on_filtered_event``. A
        listener of the engine's own that writes nothing of an event anywhere (the resume
        state: it reads a step's number, status and kind) may set ``events_as_made`` and get
        the events unmasked, without a walk for it."""
        key = (kind, len(self.listeners), *map(id, self.listeners))
        found = self._by_kind.get(key)
        if found is None:
            if len(self._by_kind) > 256:
                self._by_kind.clear()
            found = self._by_kind[key] = [
                (
                    listener,
                    getattr(listener, "text_filter", None),
                    getattr(listener, "events_as_made", False) is True,
                )
                for listener in self.listeners
                if not issubclass(kind, getattr(listener, "ignored_events", ()))
            ]
        return found

    @contextmanager
    def events_to(
        self, sink: Callable[[Event], None], kinds: tuple[type[Event], ...] | None = None
    ) -> Iterator[None]:
        """Within the block, this thread's events go to ``sink`` instead of the listeners;
        with ``kinds``, only the events of those types, and the others are dropped (and,
        through ``wants``, not even built: a load user reads two events of a step's six)."""
        previous = getattr(self._local, "route", None)
        self._local.route = (sink, kinds)
        try:
            yield
        finally:
            self._local.route = previous
