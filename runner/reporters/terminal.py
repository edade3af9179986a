"""What may reach a terminal: text from a file or the network with its control characters
made visible.

Why: a step name, a server's header or a response body can hold ``ESC [ 2 J`` (clear the
screen), a title-setting sequence, a bell, a carriage return that hides what came before, or
a right-to-left override that shows ``exe.txt`` as ``txt.exe``. The console shows such a
character as its escape (``\\x1b``, ``\\u202e``) instead of obeying it; the report files keep
the text as it came (JSON, JUnit and HTML escape in their own way).
"""

from __future__ import annotations

import re
from typing import Any

from runner.core.walk import StringMap

# C0 controls but tab and line feed, DEL, C1 controls, and the bidirectional overrides and
# isolates (Unicode's "Trojan Source" characters).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written as its escape."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


_SAFE = StringMap(visible, lambda name, value: (visible(name), visible(value)))


def terminal_safe(value: Any) -> Any:
    """An event (or any data) with the control characters of all its text made visible."""
    return _SAFE(value)
