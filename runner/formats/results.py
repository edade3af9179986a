"""What an import or export gives back to its command: the text and the notes, never printed
here (the command decides where each goes)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Exported:
    """A document in another tool's format, and what it left out or changed."""

    text: str
    notes: list[str] = field(default_factory=list)
    secret: bool = False  # it holds secret values: a file of it is written with mode 0600
