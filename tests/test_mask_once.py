"""Secrets are masked once, where events leave the engine (runner.engine.emitter): a listener
that masks nothing, as a third-party reporter might, still never sees a secret, in any field
of any event, check values included."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from echo_server import EchoServer

import runner
from runner.core.events import CheckDone, Event, StepFinished
from runner.core.redact import MASK, Redactor
from runner.core.results import CheckResult

SECRET = 'tok"en\\with-é-and-more'


def _strings(value: Any) -> list[str]:
    """Every string inside an event, however deep."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    if is_dataclass(value) and not isinstance(value, type):
        return [s for f in fields(value) for s in _strings(getattr(value, f.name))]
    return []


class Naive:
    """A listener that masks nothing."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)


def test_a_listener_that_masks_nothing_sees_no_secret(
    echo: EchoServer, write_file: Callable[[str, str], Path]
) -> None:
    path = write_file(
        "c.yaml",
        f"""\
        variables:
          api_key: {json.dumps(SECRET)}
        steps:
          - request: Echo the key
            method: POST
            url: {echo.url}/post?key=<<api_key>>
            body: {{json: {{key: <<api_key>>}}}}
            expect:
              status: 200
              json:
                $.json.key: nope
        """,
    )
    naive = Naive()
    result = runner.run(path, reporters=[naive])
    assert not result.ok  # the check failed: its actual value is the secret itself
    everything = [s for event in naive.events for s in _strings(event)]
    forms = {SECRET, json.dumps(SECRET)[1:-1], base64.b64encode(SECRET.encode()).decode()}
    assert not [s for s in everything for form in forms if form in s]
    failed = [e.check for e in naive.events if isinstance(e, CheckDone) and not e.check.passed]
    assert failed and failed[0].actual == MASK
    finished = [e.result for e in naive.events if isinstance(e, StepFinished)]
    assert finished[0].checks[-1].actual == MASK
    # the Python API's own result keeps the real value, for the caller's code
    assert result.steps[0].checks[-1].actual == SECRET


def test_mask_data_returns_what_holds_no_secret_as_it_is() -> None:
    redactor = Redactor([SECRET])
    clean = CheckResult("status", True, 200, 200)
    assert redactor.mask_data(clean) is clean
    dirty = CheckResult("json", False, "x", {"nested": [SECRET]})
    assert redactor.mask_data(dirty).actual == {"nested": [MASK]}
    assert dirty.actual == {"nested": [SECRET]}  # the original is left alone
