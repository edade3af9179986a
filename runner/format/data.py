"""Data files for data-driven runs (``--data``): one iteration per row, read as a stream.

Why a stream: a data file may hold 100,000 rows, and Newman's habit of loading the whole
file (and keeping every iteration) is what runs it out of memory. ``open_data`` reads the file
once to check it (so a bad row is an error before anything is sent, with its line) and to
count the rows; iterating the ``DataFile`` reads it again, one row at a time.

Formats, chosen by the file's extension:

- ``.csv``: a header row, then one row per iteration. UTF-8, a byte-order mark is dropped;
  quoted fields may hold commas, quotes (doubled) and line breaks. Values stay strings, spaces
  included (Newman trims them). As Newman's reader (csv-parse with ``relax`` and
  ``relax_column_count``) does, a quote inside an unquoted field is a character, and a row
  shorter than the header leaves its last columns unset (a partial column, checked before
  sending like a JSON key that some rows lack); a longer row is an error (values would be
  lost). With ``csv_values="newman"`` (a collection's ``csv_values: newman``, written by
  ``runner import postman``) the values are Newman's: spaces around a comma trimmed (a quoted
  field may then follow spaces), and an unquoted number cast as Newman casts it.
- ``.json``: an array of objects, read with ijson's C parser; values keep their JSON types.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from runner.core.errors import LoadError, SourceLocation

DataKind = Literal["csv", "json"]
CsvValues = Literal["text", "newman"]
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class DataFile:
    """A checked data file: how many rows it has and which columns every row holds."""

    path: Path
    kind: DataKind
    rows: int
    columns: tuple[str, ...]  # in every row, in first-seen order
    partial_columns: frozenset[str] = frozenset()  # in some rows only
    # CSV: each partial column -> the line of the first row that lacks it (for the error)
    first_missing: dict[str, int] = field(default_factory=dict, compare=False)
    csv_values: CsvValues = "text"  # newman: trimmed, numbers cast (as Newman reads CSV)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows, read from the file again, one at a time."""
        if self.kind == "csv":
            return _csv_rows(self.path, self.csv_values)
        return _json_rows(self.path)

    def cycle(self, count: int) -> Iterator[dict[str, Any]]:
        """``count`` rows: the file's rows in order, starting again from the first if needed."""
        if self.rows == 0:
            return iter(())
        return itertools.islice(itertools.chain.from_iterable(_forever(self)), count)


def _forever(data: DataFile) -> Iterator[Iterator[dict[str, Any]]]:
    while True:
        yield iter(data)


def open_data(path: str | Path, csv_values: CsvValues = "text") -> DataFile:
    """Check a data file by reading it once (rows are not kept); raises LoadError.
    ``csv_values``: how a CSV file's values are read (a collection's ``csv_values``)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise LoadError(
            f"unknown data file format {p.suffix or '(no extension)'!r}: {p}",
            hint="use a .csv file with a header row, or a .json file holding an array of objects",
        )
    if not p.is_file():
        raise LoadError(f"no such data file: {p}" if not p.exists() else f"{p} is not a file")
    if suffix == ".csv":
        return _check_csv(p, csv_values)
    return _check_json(p)


# --- CSV ---------------------------------------------------------------------------------------


def _open_text(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror}") from None


def _reader(
    path: Path, handle: IO[str], csv_values: CsvValues = "text"
) -> Iterator[tuple[int, list[Any]]]:
    """(line, fields) of each non-blank record; decoding and quoting errors name the line."""
    if csv_values == "newman":
        yield from _decoded(path, _newman_records(path, handle))
        return
    reader = csv.reader(handle, strict=True)
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise LoadError(
                f"data file is not UTF-8 text ({exc.reason})",
                SourceLocation(str(path), _undecodable_line(path)),
            ) from None
        except csv.Error as exc:
            raise LoadError(
                f"malformed CSV: {exc}", SourceLocation(str(path), reader.line_num)
            ) from None
        if record and any(field.strip() for field in record):
            yield line, record
        line = reader.line_num + 1


def _undecodable_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (the reader decodes whole blocks)."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 1


def _decoded(
    path: Path, records: Iterator[tuple[int, list[Any]]]
) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from records
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"data file is not UTF-8 text ({exc.reason})",
            SourceLocation(str(path), _undecodable_line(path)),
        ) from None


def _newman_records(path: Path, handle: IO[str]) -> Iterator[tuple[int, list[Any]]]:
    """Records as Newman reads CSV (csv-parse with ``trim``, ``relax`` and its own cast):
    spaces around a comma are not part of a value, a quoted field may follow them, a quote
    inside an unquoted field is a character, and an unquoted number becomes a number."""
    line = start = 1
    fields: list[Any] = []
    text: list[str] = []  # the current field's characters
    quoted = inside = False  # the field was quoted; the reader is between its quotes
    for chunk in handle:
        at = 0
        while at < len(chunk):
            char = chunk[at]
            at += 1
            if len(text) > _CSV_FIELD_CHARS:
                raise LoadError(
                    f"malformed CSV: field larger than field limit ({_CSV_FIELD_CHARS})",
                    SourceLocation(str(path), start),
                )
            if inside:
                if char != '"':
                    text.append(char)
                elif chunk[at : at + 1] == '"':  # a doubled quote
                    text.append(char)
                    at += 1
                else:
                    inside = False
            elif char == "," or char in "\r\n":
                fields.append(_newman_value("".join(text), quoted))
                text, quoted = [], False
                if char != ",":
                    if any(f != "" for f in fields) or len(fields) > 1:
                        yield start, fields
                    fields = []
            elif char == '"' and not quoted and not "".join(text).strip(" \t"):
                text, quoted, inside = [], True, True
            elif not (quoted and char in " \t"):  # spaces after a closing quote are dropped
                text.append(char)
        line += 1
        if not inside and not fields and not text:
            start = line
    if inside:
        raise LoadError(
            "malformed CSV: a quoted field is not closed", SourceLocation(str(path), start)
        )
    if text or fields or quoted:
        fields.append(_newman_value("".join(text), quoted))
        if any(f != "" for f in fields) or len(fields) > 1:
            yield start, fields


_CSV_FIELD_CHARS = csv.field_size_limit()  # the bound of the text reader (128 KiB)
_NEWMAN_INT = re.compile(r"[-+]?[1-9][0-9]*")
_JS_DECIMAL = re.compile(r"[-+]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_JS_RADIX = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def _newman_value(text: str, quoted: bool) -> Any:
    """Newman's cast (``csvAutoParse``): a quoted value stays text; an unquoted one is
    trimmed, then an integer (``/^[-+]?[1-9][0-9]*$/``) or a float where JavaScript's
    ``value - parseFloat(value) + 1 >= 0`` holds, else text."""
    if quoted:
        return text
    value = text.strip(" \t")
    if _NEWMAN_INT.fullmatch(value):
        return int(value)
    number, prefix = _js_number(value), _js_parse_float(value)
    if not number - prefix + 1 >= 0:  # False for NaN, as in JavaScript
        return value
    if math.isfinite(prefix) and prefix.is_integer():
        return int(prefix)  # JavaScript shows 7, not 7.0
    return prefix


def _js_number(text: str) -> float:
    """JavaScript's ``Number(text)`` (NaN for what is not a number; "" is 0)."""
    if not text:
        return 0.0
    if _JS_RADIX.fullmatch(text):
        return float(int(text, 0))
    if _JS_DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    return math.nan


def _js_parse_float(text: str) -> float:
    """JavaScript's ``parseFloat(text)``: the longest decimal number it starts with."""
    match = _JS_DECIMAL.match(text)
    return float(match.group(0).replace("Infinity", "inf")) if match else math.nan


def _header(path: Path, records: Iterator[tuple[int, list[Any]]]) -> tuple[str, ...]:
    first = next(records, None)
    if first is None:
        raise LoadError("the data file is empty", SourceLocation(str(path), 1))
    line, names = first
    header = tuple(str(name).strip() for name in names)
    seen: set[str] = set()
    for column, name in enumerate(header, start=1):
        if not name:
            raise LoadError(
                f"column {column} of the header row has no name",
                SourceLocation(str(path), line),
                "the first row of a CSV data file names the variables",
            )
        if name in seen:
            raise LoadError(
                f"duplicate column {name!r} in the header row", SourceLocation(str(path), line)
            )
        seen.add(name)
    return header


def _check_csv(path: Path, csv_values: CsvValues) -> DataFile:
    with _open_text(path) as handle:
        records = _reader(path, handle, csv_values)
        header = _header(path, records)
        rows = 0
        first_missing: dict[str, int] = {}
        for line, fields in records:
            if len(fields) > len(header):
                raise LoadError(
                    f"row has {len(fields)} fields but the header has {len(header)}",
                    SourceLocation(str(path), line),
                    'quote a value that holds a comma: "a, b"',
                )
            for name in header[len(fields) :]:  # a short row: these columns are unset
                first_missing.setdefault(name, line)
            rows += 1
    if rows == 0:
        raise LoadError(
            "the data file has a header row but no data rows", SourceLocation(str(path), 1)
        )
    columns = tuple(name for name in header if name not in first_missing)
    return DataFile(path, "csv", rows, columns, frozenset(first_missing), first_missing, csv_values)


def _csv_rows(path: Path, csv_values: CsvValues) -> Iterator[dict[str, Any]]:
    with _open_text(path) as handle:
        records = _reader(path, handle, csv_values)
        header = _header(path, records)
        for _, fields in records:
            yield dict(zip(header, fields, strict=False))  # a short row lacks its last columns


# --- JSON --------------------------------------------------------------------------------------


def _open_binary(path: Path) -> IO[bytes]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror}") from None
    if handle.read(3) != _BOM:
        handle.seek(0)
    return handle


def _json_array_start(path: Path, handle: IO[bytes]) -> None:
    """Check that the file holds an array; leave the handle at its ``[``."""
    head = handle.read(1)
    while head.isspace():
        head = handle.read(1)
    if head != b"[":
        raise LoadError(
            "a JSON data file must hold an array of objects: [{...}, {...}]",
            SourceLocation(str(path), 1),
        )
    handle.seek(handle.tell() - 1)


def _json_items(path: Path, handle: IO[bytes]) -> Iterator[tuple[int, Any]]:
    import ijson  # type: ignore[import-untyped]  # deferred: only runs with JSON data pay

    _json_array_start(path, handle)
    index = 0
    try:
        for index, item in enumerate(ijson.items(handle, "item", use_float=True), start=1):
            yield index, item
    except ijson.JSONError as exc:
        where = f"after item {index}" if index else "before the first item"
        raise LoadError(f"malformed JSON {where}: {exc}", SourceLocation(str(path), 1)) from None


MAX_DEPTH = 64  # nesting of arrays and objects in one JSON data row
MAX_CELL_CHARS = 10 * 1024 * 1024  # characters of one string value (a CSV field: 128 KiB)


def _type_name(event: str, value: Any) -> str:
    """The Python type an item would have been read as (``list`` for an array)."""
    return "list" if event == "start_array" else type(value).__name__


def _check_json(path: Path) -> DataFile:
    """One pass over ijson's events (no row is built): the rows, their columns, and the
    bounds, so a 200 KB file nested 100,000 deep is refused before it becomes gigabytes."""
    import ijson

    columns: dict[str, None] | None = None
    seen: set[str] = set()
    row: dict[str, None] = {}
    rows = done = depth = 0  # rows begun, rows ended, nesting
    with _open_binary(path) as handle:
        _json_array_start(path, handle)
        try:
            for event, value in ijson.basic_parse(handle, use_float=True):
                if event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 1 and event == "end_map":  # a row ends
                        done += 1
                        seen.update(row)
                        columns = (
                            dict(row) if columns is None else {n: None for n in columns if n in row}
                        )
                    continue
                level = depth  # 0: the file's array; 1: an item; 2: a row's keys and values
                if level == 1:
                    if event != "start_map":
                        raise LoadError(
                            f"item {done + 1} of the data file is a {_type_name(event, value)}, "
                            "not an object",
                            SourceLocation(str(path), 1),
                            'each item names the variables of one iteration: {"user": "ada"}',
                        )
                    rows, row = rows + 1, {}
                elif level == 2 and event == "map_key":
                    row[value] = None
                if event in ("start_map", "start_array"):
                    depth += 1
                    if depth > MAX_DEPTH + 1:
                        raise LoadError(
                            f"row {rows} of the data file nests deeper than {MAX_DEPTH} levels",
                            SourceLocation(str(path), 1),
                        )
                elif event == "string" and len(value) > MAX_CELL_CHARS:
                    raise LoadError(
                        f"a value in row {rows} of the data file is longer than "
                        f"{MAX_CELL_CHARS} characters",
                        SourceLocation(str(path), 1),
                    )
        except ijson.JSONError as exc:
            where = f"after item {done}" if done else "before the first item"
            raise LoadError(
                f"malformed JSON {where}: {exc}", SourceLocation(str(path), 1)
            ) from None
    if rows == 0:
        raise LoadError("the data file holds an empty array", SourceLocation(str(path), 1))
    common = tuple(columns or ())
    return DataFile(path, "json", rows, common, frozenset(seen - set(common)))


def _json_rows(path: Path) -> Iterator[dict[str, Any]]:
    with _open_binary(path) as handle:
        for _, item in _json_items(path, handle):
            yield item
