"""Listeners that name the event types they ignore (``ignored_events``) do not get those;
listeners that name none get every event, masked; an event nobody reads is neither masked
nor sent.
And the fast paths of ``Redactor.mask_data`` (no secret held) still mask what they must."""

from __future__ import annotations

from typing import Any

from runner.core.events import CheckDone, Event, RequestSent, StepFinished, StepStarted
from runner.core.redact import MASK, Redactor
from runner.core.results import CheckResult
from runner.engine.emitter import EventHub


class Picky:
    ignored_events = (StepStarted, CheckDone)

    def __init__(self) -> None:
        self.seen: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.seen.append(event)


class Greedy:
    def __init__(self) -> None:
        self.seen: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.seen.append(event)


class CountingRedactor(Redactor):
    def __init__(self) -> None:
        super().__init__()
        self.kinds: list[type] = []

    def mask_data(self, value: Any, then: Any = None) -> Any:
        self.kinds.append(type(value))
        return super().mask_data(value, then)


def sent(url: str = "http://127.0.0.1/x") -> RequestSent:
    return RequestSent(1, "GET", url, (("Authorization", "Bearer abcdef"),), None, 0)


def test_a_listener_does_not_get_the_types_it_ignores() -> None:
    redactor = CountingRedactor()
    picky = Picky()
    hub = EventHub([picky], redactor)
    hub.deliver(StepStarted(1, "Get", "request", (), 1))
    hub.deliver(sent("http://user:pa55word@127.0.0.1/x"))
    assert [type(e) for e in picky.seen] == [RequestSent]
    assert StepStarted not in redactor.kinds  # the event nobody reads was not masked
    assert RequestSent in redactor.kinds
    event = picky.seen[0]
    assert isinstance(event, RequestSent)
    assert event.url == f"http://user:{MASK}@127.0.0.1/x"
    assert event.headers == (("Authorization", MASK),)


def test_a_listener_that_ignores_nothing_gets_every_event() -> None:
    greedy, picky = Greedy(), Picky()
    hub = EventHub([greedy, picky], Redactor())
    check = CheckDone(1, CheckResult("status", True, 200, 200))
    for event in (StepStarted(1, "Get", "request", (), 1), sent(), check):
        hub.deliver(event)
    assert [type(e) for e in greedy.seen] == [StepStarted, RequestSent, CheckDone]
    assert [type(e) for e in picky.seen] == [RequestSent]


def test_numbers_and_strings_of_a_dataclass_are_masked_when_secrets_are_held() -> None:
    redactor = Redactor(["123456", "s3cr3t-value"])
    event = RequestSent(1, "GET", "http://h/s3cr3t-value", (), "n=123456", 123456)
    masked = redactor.mask_data(event)
    assert masked.url == f"http://h/{MASK}"
    assert masked.body == f"n={MASK}"
    assert str(masked.body_size) == MASK
    plain = RequestSent(1, "GET", "http://h/x", (), None, 5)
    assert Redactor().mask_data(plain) is plain  # nothing to mask: the same object


def test_the_console_reads_the_request_and_response_events_only_under_verbose() -> None:
    """Below --verbose the console shows a line per step: the request and response events,
    the bulk of a step's, are neither masked nor walked for it; --verbose shows them."""
    import io

    from runner.core.events import ResponseReceived
    from runner.reporters.console import ConsoleReporter

    plain = ConsoleReporter(io.StringIO(), Redactor(), colour=False)
    verbose = ConsoleReporter(io.StringIO(), Redactor(), colour=False, verbosity=1)
    for kind in (StepStarted, RequestSent, ResponseReceived, CheckDone):
        assert issubclass(kind, plain.ignored_events)
    assert not issubclass(RequestSent, verbose.ignored_events)
    assert not issubclass(ResponseReceived, verbose.ignored_events)
    redactor = CountingRedactor()
    hub = EventHub([plain], redactor)
    hub.deliver(sent())
    assert redactor.kinds == []


class WalkCounter(Redactor):
    """Counts the walks of mask_data, with or without a text filter."""

    def __init__(self, values: list[str]) -> None:
        super().__init__(values)
        self.walks = 0

    def mask_data(self, value: Any, then: Any = None) -> Any:
        self.walks += 1
        return super().mask_data(value, then)


def test_the_console_gets_each_event_masked_and_made_visible_in_one_walk() -> None:
    import io

    from runner.reporters.console import ConsoleReporter

    out = io.StringIO()
    redactor = WalkCounter(["s3cr3t-value"])
    greedy = Greedy()
    console = ConsoleReporter(out, redactor, colour=False, verbosity=1, progress=False)
    hub = EventHub([console, greedy], redactor)
    hub.deliver(StepStarted(1, "Get\x1b[2J s3cr3t-value", "request", (), 1))
    assert redactor.walks == 2  # one for the console (masked + visible), one for the others
    shown = greedy.seen[0]
    assert isinstance(shown, StepStarted)
    assert shown.name == f"Get\x1b[2J {MASK}"  # the others get the text as it came, masked
    assert console.text_filter(f"\x1b[2J {MASK}") == f"\\x1b[2J {MASK}"
    assert redactor.mask_data("a\x1b s3cr3t-value", console.text_filter) == f"a\\x1b {MASK}"
    header = redactor.mask_data(sent("http://h/\x07"), console.text_filter).headers
    assert header == (("Authorization", MASK),)


def test_a_console_alone_costs_one_walk_per_event() -> None:
    import io

    from runner.reporters.console import ConsoleReporter

    redactor = WalkCounter([])
    hub = EventHub([ConsoleReporter(io.StringIO(), redactor, verbosity=1)], redactor)
    for event in (StepStarted(1, "Get", "request", (), 1), sent()):
        hub.deliver(event)
    assert redactor.walks == 2


def test_a_subclass_that_masks_more_still_masks_in_the_one_walk() -> None:
    from runner.loadtest.process import PassRedactor
    from runner.reporters.terminal import visible

    redactor = PassRedactor()  # its base holds no secret; the pass's are its own
    redactor.begin_pass()
    redactor.add("learned-token-123")
    shown = redactor.mask_data({"a": "x learned-token-123\x1b", "b": "http://u:pw@h/"}, visible)
    assert shown == {"a": f"x {MASK}\\x1b", "b": f"http://u:{MASK}@h/"}


def test_a_password_in_a_url_is_masked_in_the_one_walk_without_secrets() -> None:
    from runner.reporters.terminal import visible

    shown = Redactor().mask_data(sent("http://user:pa55word@127.0.0.1/\x1b"), visible)
    assert shown.url == f"http://user:{MASK}@127.0.0.1/\\x1b"


class AsMade(Greedy):
    events_as_made = True


def test_a_listener_that_takes_events_as_made_costs_no_walk() -> None:
    redactor = WalkCounter(["abcdef"])
    as_made, greedy = AsMade(), Greedy()
    hub = EventHub([as_made], redactor)
    event = sent()
    hub.deliver(event)
    assert redactor.walks == 0
    assert as_made.seen == [event]  # the very event: the resume state writes nothing of it
    hub = EventHub([as_made, greedy], redactor)
    hub.deliver(event)
    assert redactor.walks == 1  # the others still get it masked
    shown = greedy.seen[0]
    assert isinstance(shown, RequestSent)
    assert shown.headers == (("Authorization", MASK),)


def test_only_the_resume_state_takes_events_as_made() -> None:
    import runner.reporters as reporters
    from runner.engine.resume import StateSaver

    assert StateSaver.events_as_made is True
    for name in dir(reporters):
        assert getattr(getattr(reporters, name), "events_as_made", False) is False, name


def test_an_event_is_wanted_when_a_listener_or_a_holding_buffer_takes_it() -> None:
    hub = EventHub([], Redactor())
    assert not hub.wants(RequestSent)  # no listener: a request's event is not even built
    hub = EventHub([Picky()], Redactor())
    assert not hub.wants(StepStarted)
    assert not hub.wants(CheckDone)
    assert hub.wants(RequestSent)
    held: list[Event] = []
    with hub.events_to(held.append):
        assert hub.wants(StepStarted)  # a retried attempt's buffer takes every event
    assert not hub.wants(StepStarted)


def test_a_sink_that_names_its_kinds_gets_only_those_and_is_not_asked_for_the_rest() -> None:
    """A load user's sink reads a step's start and end: the other events are dropped and,
    through ``wants``, not even built; a holding buffer inside it still takes everything,
    and what it passes on is filtered again."""
    hub = EventHub([Greedy()], Redactor())
    took: list[Event] = []
    held: list[Event] = []
    with hub.events_to(took.append, (StepStarted, StepFinished)):
        assert hub.wants(StepStarted) and hub.wants(StepFinished)
        assert not hub.wants(RequestSent) and not hub.wants(CheckDone)
        with hub.events_to(held.append):  # a retried attempt's buffer
            assert hub.wants(RequestSent)
            hub.emit(StepStarted(1, "Get", "request", (), 1))
            hub.emit(sent())
        for event in held:
            hub.emit(event)
        hub.emit(CheckDone(1, CheckResult("status", True, 200, 200)))
    assert [type(e) for e in held] == [StepStarted, RequestSent]
    assert [type(e) for e in took] == [StepStarted]
    assert hub.wants(RequestSent)  # after the block: the listener's again
