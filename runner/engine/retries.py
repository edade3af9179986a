"""Sending a request again when it failed in transit: which requests, on which failures, and
how long to wait first (docs/format.md#retries).

Why: a connection refused while a service restarts, a 503 during a deploy or a 429 from a rate
limiter is not what a test means to check, and an idempotent request can safely be sent
again. A POST or PATCH may already have done its work, so it is sent again only when the
collection marks it ``idempotent: true``; the token requests of ``runner.auth.session`` never
are (an
authorization code is single-use, RFC 6749 §4.1.2). This is not ``retry:`` (runner.engine.flow),
which polls a request that got its answer until a condition holds.

The engine asks ``verdict`` after each attempt and waits the time it gives; only
``runner.http.transport`` sends. ``retry_loop`` is given what it needs of the engine (a way
to report an event, to wait, and the request's timeout left) rather than the engine itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC
from typing import TYPE_CHECKING

from runner.core.errors import TransportError
from runner.core.events import RequestRetried
from runner.core.model import IDEMPOTENT_METHODS, Collection, RequestStep, Retries

if TYPE_CHECKING:
    from runner.core.events import Event
    from runner.core.results import StepResult
    from runner.http.transport import Exchange, PreparedRequest, Transport

# RFC 9110 §9.2.2: the methods whose intended effect is the same however often they are sent.
RETRY_STATUSES = frozenset({429, 503})  # Too Many Requests, Service Unavailable
# TransportError reasons (runner.http.transport) that mean the request did not get through:
# refused, could not connect, or the connection was lost (reset). Timeouts are not retried
# (the step's timeout is its budget), nor TLS, DNS, protocol or size-cap errors (they recur).
RETRY_REASONS = {
    "refused": "connection refused",
    "connect": "cannot connect",
    "network": "connection lost",
}
DEFAULT_BACKOFF = 0.5  # seconds before the first retry, doubled before each further one
DEFAULT_MAX_DELAY = 30.0  # the longest wait; a longer Retry-After ends the retries


def idempotent(step: RequestStep) -> bool:
    """The step's own ``idempotent`` key, else what its method says."""
    if step.idempotent is not None:
        return step.idempotent
    return step.method.upper() in IDEMPOTENT_METHODS


def effective(step: RequestStep, collection: Collection, run_retries: int | None) -> Retries | None:
    """The retries that apply to ``step`` (its own ``retries``, else the collection's, else
    ``--retries``), or None: off, or a request that may not be sent twice."""
    policy = step.retries or collection.retries
    if policy is None:
        if not run_retries:
            return None
        policy = Retries(run_retries)
    if policy.max < 1 or not idempotent(step):
        return None
    return policy


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do after an attempt: wait ``wait`` seconds and send again (None: stop).
    ``cause`` names the failure ("503", "connection refused"); ``note`` says why retries
    ended early (a Retry-After beyond the cap)."""

    wait: float | None
    cause: str | None = None
    note: str | None = None


STOP = Verdict(None)


def verdict(
    policy: Retries,
    attempts: int,
    *,
    status: int | None = None,
    retry_after: str | None = None,
    error_reason: str | None = None,
    rand: Callable[[], float] = random.random,
    now: Callable[[], float] = time.time,
) -> Verdict:
    """After ``attempts`` sends that ended in ``status`` (with its Retry-After header) or in
    a TransportError of ``error_reason``: whether and when to send again."""
    if error_reason is not None:
        cause = RETRY_REASONS.get(error_reason)
        if cause is None:
            return STOP
    elif status in RETRY_STATUSES:
        cause = str(status)
    else:
        return STOP
    if attempts > policy.max:
        return Verdict(None, cause)
    asked = retry_after_seconds(retry_after, now) if retry_after is not None else None
    if asked is not None:
        if asked > policy.max_delay:
            return Verdict(
                None,
                cause,
                f"not sent again: Retry-After {asked:g} s is longer than max_delay "
                f"{policy.max_delay:g} s",
            )
        return Verdict(asked, cause)
    # exponential backoff, capped, with jitter (half fixed, half random: "equal jitter"), so
    # that clients that failed together do not all come back at the same moment
    ceiling = min(policy.backoff * 2 ** (attempts - 1), policy.max_delay)
    return Verdict(ceiling / 2 + rand() * ceiling / 2, cause)


def retry_after_seconds(value: str, now: Callable[[], float] = time.time) -> float | None:
    """A Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; None when it is
    neither. A date in the past means now."""
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    from email.utils import parsedate_to_datetime  # deferred: only dated Retry-After needs it

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now(), 0.0)


@dataclass(frozen=True, slots=True)
class RetryHooks:
    """What the retry loop needs from the run: report an event, wait (false when the run
    stopped meanwhile), and the timeout a new attempt gets (what is left of --run-timeout)."""

    emit: Callable[[Event], None]
    sleep: Callable[[float], bool]
    timeout: Callable[[], float]


def retry_loop(
    hooks: RetryHooks,
    index: int,
    policy: Retries,
    prepared: PreparedRequest,
    transport: Transport,
    result: StepResult,
) -> Exchange:
    """Send ``prepared`` until it gets through or ``verdict`` says stop; each retry is a
    ``RequestRetried`` event and counts in ``result.attempts``; the result's note names the
    failures that were retried. The last attempt's response or error is the step's."""
    causes: list[str] = []
    while True:
        exchange: Exchange | None = None
        error: TransportError | None = None
        try:
            exchange = transport.send(prepared)
        except TransportError as exc:
            error = exc
        if exchange is not None:
            after = verdict(
                policy,
                result.attempts,
                status=exchange.status,
                retry_after=exchange.headers.get("retry-after"),
            )
        else:
            assert error is not None
            after = verdict(policy, result.attempts, error_reason=error.reason)
        if after.wait is not None:
            causes.append(after.cause or "")
            hooks.emit(RequestRetried(index, result.attempts + 1, after.cause or "", after.wait))
            if hooks.sleep(after.wait):
                result.attempts += 1
                prepared = replace(prepared, timeout=hooks.timeout())
                continue
            after = Verdict(None, after.cause, "not sent again: the run was stopped")
        if causes or after.note:
            sent = f"sent {result.attempts} times after {', '.join(causes)}" if causes else ""
            result.note = "; ".join(n for n in (sent, after.note) if n)
        if error is not None:
            raise error
        assert exchange is not None
        return exchange


def plain_sleep(seconds: float) -> bool:
    """Wait outside a run's control (no --run-timeout to stop it early)."""
    time.sleep(seconds)
    return True
