"""Write plain data (dicts, lists, strings, numbers) as readable YAML that the loader reads back
to the same values.

Why not ``yaml.safe_dump``: it quotes by YAML 1.1 rules, so a string such as ``1e3`` is left
plain and our YAML 1.2 core loader reads the number 1000; and it cannot write the readable
forms we want (literal blocks for scripts and bodies, short mappings on one line). Here a
string stays plain only when neither YAML 1.1 nor 1.2 core reads it as anything but that
string; multi-line text becomes a ``|`` block when that keeps it byte for byte, else a
double-quoted string with escapes. Key order is kept as given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

WIDTH = 100
INDENT = "  "

# What YAML 1.2 core (our loader) and YAML 1.1 (PyYAML's default, other tools) read as not-text.
_CORE_NOT_TEXT = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_RESOLVER = yaml.resolver.Resolver()
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_SPECIAL = set(",[]{}?")  # PyYAML ends a plain scalar at any of them inside {...} or [...]
# YAML's printable set, less the line breaks PyYAML also honours (NEL, LS, PS).
_UNPRINTABLE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ESCAPES = {
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


def dump(data: Mapping[str, Any], *, header: str | None = None) -> str:
    """The YAML text of a mapping; ``header`` becomes ``#`` comment lines at the top."""
    lines: list[str] = []
    if header:
        lines.extend(f"# {line}".rstrip() for line in header.splitlines())
    _mapping(data, 0, lines)
    return "\n".join(lines) + "\n"


def _mapping(data: Mapping[str, Any], depth: int, lines: list[str]) -> None:
    pad = INDENT * depth
    for key, value in data.items():
        head = f"{pad}{scalar(str(key), key=True)}:"
        _value_after(head, value, depth, lines)


def _value_after(head: str, value: Any, depth: int, lines: list[str]) -> None:
    """Write ``head`` (``key:`` or ``-``) followed by ``value`` inline or on the next lines."""
    if isinstance(value, str) and _block_ok(value):
        lines.append(f"{head} {_block_header(value)}")
        lines.extend((INDENT * (depth + 1) + line) if line else "" for line in _block_lines(value))
        return
    if isinstance(value, Mapping) and value:
        flow = _flow(value)
        if flow is not None and len(head) + 1 + len(flow) <= WIDTH:
            lines.append(f"{head} {flow}")
            return
        lines.append(head)
        _mapping(value, depth + 1, lines)
        return
    if _is_list(value) and value:
        flow = _flow(value)
        if flow is not None and len(head) + 1 + len(flow) <= WIDTH:
            lines.append(f"{head} {flow}")
            return
        lines.append(head)
        _sequence(value, depth + 1, lines)
        return
    lines.append(f"{head} {_inline(value, flow=False)}")


def _sequence(items: Sequence[Any], depth: int, lines: list[str]) -> None:
    pad = INDENT * depth
    for item in items:
        if isinstance(item, Mapping) and item:
            flow = _flow(item)
            if flow is not None and len(pad) + 2 + len(flow) <= WIDTH:
                lines.append(f"{pad}- {flow}")
                continue
            # the first key goes on the dash line, the others under it
            first = True
            for key, value in item.items():
                head = f"{pad}- " if first else f"{pad}  "
                _value_after(f"{head}{scalar(str(key), key=True)}:", value, depth + 1, lines)
                first = False
        else:
            _value_after(f"{pad}-", item, depth, lines)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _flow(value: Any) -> str | None:
    """A one-line form of a small mapping or list of scalars, or None when it has nesting."""
    if isinstance(value, Mapping):
        if len(value) > 6 or any(_is_list(v) or isinstance(v, Mapping) for v in value.values()):
            return None
        parts = [
            f"{scalar(str(k), key=True, flow=True)}: {_inline(v, flow=True)}"
            for k, v in value.items()
        ]
        if any("\n" in p for p in parts):
            return None
        return "{" + ", ".join(parts) + "}"
    if _is_list(value):
        if any(_is_list(v) or isinstance(v, Mapping) for v in value):
            return None
        return "[" + ", ".join(_inline(v, flow=True) for v in value) + "]"
    return None


def _inline(value: Any, *, flow: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(value, Mapping):
        return "{}" if not value else (_flow(value) or "{}")
    if _is_list(value):
        return "[]" if not value else (_flow(value) or "[]")
    return scalar(str(value), flow=flow)


def scalar(text: str, *, key: bool = False, flow: bool = False) -> str:
    """A string as a YAML scalar that reads back as exactly this string."""
    if _plain_ok(text, key=key, flow=flow):
        return text
    if not _UNPRINTABLE.search(text) and "\n" not in text and "\t" not in text:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _plain_ok(text: str, *, key: bool, flow: bool) -> bool:
    if not text or text != text.strip() or _UNPRINTABLE.search(text):
        return False
    if "\n" in text or "\t" in text or text[0] in _INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if (flow or key) and any(c in _FLOW_SPECIAL for c in text):
        return False
    if flow and ":" in text:
        return False  # PyYAML reads any ':' inside {...} or [...] as a key separator
    if key and text.startswith("<<"):
        return False  # `<<` is YAML 1.1's merge key
    if _CORE_NOT_TEXT.match(text):
        return False
    resolved = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(resolved == "tag:yaml.org,2002:str")


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _UNPRINTABLE.match(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _block_ok(text: str) -> bool:
    """A ``|`` block keeps the text exactly when it has several lines, no carriage returns or
    other control characters, and no line that is only spaces (the parser would drop them)."""
    if "\n" not in text.rstrip("\n") or _UNPRINTABLE.search(text):
        return False
    lines = text.split("\n")
    return not any(line and not line.strip(" ") for line in lines) and not any(
        line.startswith("\t") for line in lines
    )


def _block_header(text: str) -> str:
    first = next((line for line in text.split("\n") if line), "")
    indicator = "2" if first.startswith(" ") else ""
    if not text.endswith("\n"):
        chomp = "-"
    elif text.endswith("\n\n"):
        chomp = "+"
    else:
        chomp = ""
    return f"|{indicator}{chomp}"


def _block_lines(text: str) -> list[str]:
    body = text[:-1] if text.endswith("\n") else text
    return body.split("\n")
