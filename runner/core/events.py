"""The event stream of a run: the one place its contract is written down (docs/reports.md).

The engine emits, in this order::

    RunStarted
    for each iteration:                       (runs of more than one: --data, --iterations)
      IterationStarted
      for each step:
        StepStarted
        BrowserShown                          a browser step's URL
        AuthNote ...                          what auth did (token cached, refreshed...)
        RequestSent, ResponseReceived         a request step that got a response
                                              (RequestRetried before each resend: retries)
        ScriptConsole, SubRequestDone ...     a script's console lines, its pm.sendRequest
        ScriptDone ...                        one per Postman script run (--scripts)
        CheckDone ...                         one per expectation (and per documentation check)
        StepFinished                          always, with the StepResult
      IterationFinished
    Notice                                    one line for the console (the sandbox installs)
    Interrupted                               Ctrl-C or SIGTERM: the step that was running
    RunFinished                               always last, also after an interrupt

A request that cannot be rendered or sent has ``StepStarted`` then ``StepFinished`` (with the
error), and no ``RequestSent`` or ``ResponseReceived`` when nothing was sent.

A listener is any object with ``on_event(event)``; reporters are listeners. Events are
transient: a listener that wants to keep something copies it, and nothing is kept for it, so
memory does not grow with the number of steps. Every event reaches its listeners masked by
the run's ``Redactor``, all of it, check values included: the engine masks each event once on
its way out (runner.engine.emitter), so no listener has to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner.core.results import CheckResult, RunResult, StepResult, SubRequest

# The most of a body an event carries (characters): enough to read, bounded to keep reports
# and memory small whatever the server sends. ``*_size`` says how large the whole body was.
BODY_PREVIEW_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True)
class RunStarted:
    collection: str
    environment: str | None
    total_steps: int  # steps per iteration
    iterations: int = 1  # --data rows or --iterations


@dataclass(frozen=True, slots=True)
class IterationStarted:
    """An iteration begins (only in runs of more than one iteration, before its steps).

    Iterations that run concurrently (``--parallel``) are still delivered one after the
    other, in order: all of iteration 1's events, then all of iteration 2's, and so on."""

    iteration: int  # 1, 2, ...
    total: int


@dataclass(frozen=True, slots=True)
class IterationFinished:
    """An iteration ended (its last step finished, or the run stopped during it)."""

    iteration: int
    total: int


@dataclass(frozen=True, slots=True)
class StepStarted:
    index: int
    name: str
    kind: str
    path: tuple[str, ...]
    iteration: int = 1


@dataclass(frozen=True, slots=True)
class BrowserShown:
    """A browser step's URL, for the person to open (already masked of secrets)."""

    index: int
    name: str
    url: str
    opened: bool


@dataclass(frozen=True, slots=True)
class RequestSent:
    """A request as it goes out: masked URL (with its query), headers and body preview."""

    index: int
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str | None  # at most BODY_PREVIEW_CHARS characters
    body_size: int  # bytes
    truncated: bool = False  # the body is longer than the preview


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The response to the step's request, masked; ``body`` is a preview of the text."""

    index: int
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str  # at most BODY_PREVIEW_CHARS characters
    body_size: int  # bytes, after Content-Encoding was undone
    elapsed_ms: float
    truncated: bool = False  # the body is longer than the preview

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return ""


@dataclass(frozen=True, slots=True)
class RequestRetried:
    """Step ``index``'s request failed in transit (``cause``: "503", "connection refused") and
    is sent again as attempt ``attempt`` after ``wait_s`` seconds (runner.engine.retries)."""

    index: int
    attempt: int  # 2 for the first resend
    cause: str
    wait_s: float


@dataclass(frozen=True, slots=True)
class CheckDone:
    """One expectation evaluated (or one documentation check that did not hold).

    ``warning`` is true for a documentation check reported under ``--docs-check warn``."""

    index: int
    check: CheckResult
    warning: bool = False


@dataclass(frozen=True, slots=True)
class AuthNote:
    """What the auth helper did for step ``index`` (runner.auth.session): a cached token reused, a
    refresh, a loopback listener opened, why it authorizes again. ``message`` is masked."""

    index: int
    message: str


@dataclass(frozen=True, slots=True)
class ScriptConsole:
    """A line a Postman script wrote with ``console.log`` (or ``info``, ``warn``, ``error``),
    masked."""

    index: int
    level: str
    text: str


@dataclass(frozen=True, slots=True)
class SubRequestDone:
    """A request step ``index``'s script sent with ``pm.sendRequest``, and its outcome."""

    index: int
    request: SubRequest


@dataclass(frozen=True, slots=True)
class ScriptDone:
    """One Postman script of request step ``index`` ran (``event``: "prerequest" or "test");
    ``failed`` when it threw or could not run (Newman's failed script; a failing pm.test is
    an assertion, not a script failure)."""

    index: int
    event: str
    failed: bool


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-line message about the run itself (e.g. Postman's sandbox being installed)."""

    message: str


@dataclass(frozen=True, slots=True)
class StepFinished:
    result: StepResult


@dataclass(frozen=True, slots=True)
class Interrupted:
    """The run was interrupted (Ctrl-C, SIGTERM) during step ``index``; RunFinished follows."""

    index: int | None
    name: str | None
    reason: str = "interrupted"


@dataclass(frozen=True, slots=True)
class RunFinished:
    result: RunResult


Event = (
    RunStarted
    | IterationStarted
    | IterationFinished
    | StepStarted
    | BrowserShown
    | AuthNote
    | RequestSent
    | ResponseReceived
    | RequestRetried
    | CheckDone
    | ScriptConsole
    | SubRequestDone
    | ScriptDone
    | Notice
    | StepFinished
    | Interrupted
    | RunFinished
)


class Listener(Protocol):
    def on_event(self, event: Event) -> None: ...
