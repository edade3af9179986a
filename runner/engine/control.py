"""What every iteration of a run shares: the stop signal, ``--bail`` and the run's deadline.

Below both the walker (runner.engine.flow) and the request steps (a request's timeout is cut
to what is left of ``--run-timeout``), so neither imports the other for it.
"""

from __future__ import annotations

import threading
import time

from runner.core.results import RunResult


class Control:
    """What every iteration of a run shares: the stop signal, --bail, the run's deadline."""

    def __init__(self, result: RunResult, *, bail: bool, run_timeout: float | None) -> None:
        self.result = result
        self.bail = bail
        self.run_timeout = run_timeout
        self.deadline = None if run_timeout is None else time.monotonic() + run_timeout
        self.stopped = threading.Event()
        self.prompt_lock = threading.Lock()
        self._lock = threading.Lock()

    def stop(self, reason: str) -> None:
        with self._lock:
            if self.result.stopped_reason is None:
                self.result.stopped_reason = reason
        self.stopped.set()

    def should_stop(self) -> bool:
        if self.stopped.is_set():
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop(f"--run-timeout: the run took longer than {self.run_timeout:g} s")
            return True
        return False

    def remaining(self) -> float | None:
        """Seconds left before the run's deadline (None: no deadline)."""
        if self.deadline is None:
            return None
        return max(self.deadline - time.monotonic(), 0.001)

    def sleep(self, seconds: float) -> bool:
        """Wait, unless the run stops first; true when the wait went to its end."""
        if seconds <= 0:
            return not self.should_stop()
        remaining = self.remaining()
        if remaining is not None and remaining < seconds:
            self.stopped.wait(remaining)
            return not self.should_stop()
        return not self.stopped.wait(seconds)
