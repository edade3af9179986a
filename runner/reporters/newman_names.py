"""The names Newman's JUnit reporter gives (newman 6.2.2, ``lib/reporters/junit``), so a CI
history kept under Newman's test names carries over to the runner's JUnit report.

Newman writes one ``<testcase>`` per assertion name, with the classname
``_.upperFirst(_.camelCase(suite).replace(/\\W/g, ''))`` where the suite is the request's
folders and name joined by `` / ``. ``class_name`` is that lodash expression in Python: the
same word splitting (lodash's ``words``, its ASCII and Unicode expressions), ``deburr`` and
apostrophe removal; tests compare it with lodash itself where Node is installed.
"""

from __future__ import annotations

import re
import unicodedata

SEPARATOR = " / "  # newman/lib/util.js SEP

_HAS_UNICODE_WORD = re.compile(
    r"[a-z][A-Z]|[A-Z]{2}[a-z]|[0-9][a-zA-Z]|[a-zA-Z][0-9]|[^a-zA-Z0-9 ]"
)
_ASCII_WORD = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")

_LOWER = "a-z\xdf-\xf6\xf8-\xff"
_UPPER = "A-Z\xc0-\xd6\xd8-\xde"
_SPACES = " \t\x0b\x0c\xa0\ufeff\n\r\u2028\u2029\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"
_BREAK_RANGE = "\xac\xb1\xd7\xf7\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\xbf\u2000-\u206f" + _SPACES
_BREAK = f"[{_BREAK_RANGE}]"
_MISC = f"[^\ud800-\udfff{_BREAK_RANGE}0-9\u2700-\u27bf{_LOWER}{_UPPER}]"
_MISC_LOWER = f"(?:[{_LOWER}]|{_MISC})"
_MISC_UPPER = f"(?:[{_UPPER}]|{_MISC})"
_UNICODE_WORD = re.compile(
    "|".join(
        (
            f"[{_UPPER}]?[{_LOWER}]+(?={_BREAK}|[{_UPPER}]|$)",
            f"{_MISC_UPPER}+(?={_BREAK}|[{_UPPER}]{_MISC_LOWER}|$)",
            f"[{_UPPER}]?{_MISC_LOWER}+",
            f"[{_UPPER}]+",
            r"[0-9]*(?:1ST|2ND|3RD|(?![123])[0-9]TH)(?=\b|[a-z_])",
            r"[0-9]*(?:1st|2nd|3rd|(?![123])[0-9]th)(?=\b|[A-Z_])",
            r"[0-9]+",
        )
    ),
    re.ASCII,  # only for \b: JavaScript's word boundary is ASCII
)
_APOSTROPHES = re.compile("['\u2019]")
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")  # JavaScript's \W
_DEBURR = {"ß": "ss", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D"}
_DEBURR.update({"þ": "th", "Þ": "Th", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "œ": "oe"})
_DEBURR.update({"Œ": "Oe", "ħ": "h", "Ħ": "H", "ı": "i", "ŋ": "n", "Ŋ": "N", "ŀ": "l"})


def _deburr(text: str) -> str:
    """Latin letters without their marks (lodash ``deburr``)."""
    text = "".join(_DEBURR.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not ("\u0300" <= c <= "\u036f"))


def _words(text: str) -> list[str]:
    pattern = _UNICODE_WORD if _HAS_UNICODE_WORD.search(text) else _ASCII_WORD
    return pattern.findall(text)


def camel_case(text: str) -> str:
    """lodash ``_.camelCase``."""
    out = []
    for index, word in enumerate(_words(_APOSTROPHES.sub("", _deburr(text)))):
        word = word.lower()
        out.append(word[:1].upper() + word[1:] if index else word)
    return "".join(out)


def class_name(suite: str) -> str:
    """Newman's ``getClassName``: ``_.upperFirst(_.camelCase(name).replace(/\\W/g, ''))``."""
    name = _NOT_WORD.sub("", camel_case(suite))
    return name[:1].upper() + name[1:]


def suite_name(path: tuple[str, ...], name: str) -> str:
    """Newman's suite name for a request: its folders and its name (``util.getFullName``)."""
    return SEPARATOR.join((*path, name))
