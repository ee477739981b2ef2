"""Legacy export files: RFC 4180 CSV and JSON, one file per table, named after it.

- :func:`read_csv`: an RFC 4180 export with a header row of legacy column names;
- :func:`read_json`: a JSON array of row objects keyed by legacy column names, as SQL
  Server's ``FOR JSON PATH`` or PostgreSQL's ``json_agg`` write it. A missing key is
  SQL NULL (``FOR JSON`` leaves NULL properties out unless ``INCLUDE_NULL_VALUES``);
- :func:`find_exports`: the export files of a folder (``tblLocations.csv`` or ``.json``).

Format (openIMIS demo export, ``shared/data/openimis-demo/README.md``): UTF-8 (a BOM is
allowed); an empty unquoted CSV field is SQL NULL, ``""`` the empty string. File problems
raise ``CommandError`` naming the file and what is wrong; problems of single rows become
:class:`~backend.legacy.rows.Rejection` objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError

from backend.json_text import TooDeep, decode, json_kind
from backend.legacy.parsing import reading
from backend.legacy.rows import LegacyRow, Rejection, row_key
from backend.legacy.tables import IGNORED_COLUMNS, LegacyTable
from backend.legacy.values import legacy_text

# RFC 4180 fields. The quoted pattern is the "unrolled loop" form: linear, no
# catastrophic backtracking on an unterminated quote.
_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')
_UNQUOTED = re.compile(r'[^,"\r\n]*')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class CsvSyntaxError(ValueError):
    """The text is not RFC 4180 CSV; ``line`` is where the problem is."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def parse_csv(text: str) -> Iterator[tuple[int, list[str | None]]]:
    """Split RFC 4180 text into records, telling SQL NULL from the empty string.

    Yields ``(line, fields)`` per record; ``line`` is the 1-based line where the record
    starts. A field is ``None`` when it is empty and unquoted (SQL NULL in a legacy
    export) and a ``str`` otherwise: ``""`` gives ``""``, ``"a""b"`` gives ``a"b``, and a
    quoted field keeps its line breaks byte for byte (``\\n`` or ``\\r\\n``). Records end
    at CRLF, LF or CR; blank lines are skipped (as ``csv.reader`` does). Raises
    :class:`CsvSyntaxError` for an unterminated quote, a quote inside an unquoted field
    or text after a closing quote (``csv.reader(strict=True)`` refuses those too).

    Why not ``csv.reader``: it returns ``""`` for both ``,,`` and ``,"",`` and so loses
    the NULL / empty distinction; its ``QUOTE_NOTNULL`` reader mode needs Python 3.12
    and the project supports 3.11. The tests check that, apart from ``None``, the values
    are those ``csv.reader`` returns.
    """
    pos, line, end = 0, 1, len(text)
    while pos < end:
        start_line, fields = line, []
        while True:
            if text.startswith('"', pos):
                match = _QUOTED.match(text, pos)
                if match is None:
                    raise CsvSyntaxError(line, "a quoted field is not closed")
                fields.append(match.group(1).replace('""', '"'))
                line += len(_LINE_BREAK.findall(match.group(1)))
            else:
                match = _UNQUOTED.match(text, pos)
                fields.append(match.group(0) or None)
            pos = match.end()
            if pos == end:
                break
            if text[pos] == ",":
                pos += 1
                continue
            line_break = _LINE_BREAK.match(text, pos)
            if line_break:
                pos, line = line_break.end(), line + 1
                break
            if match.re is _QUOTED:
                raise CsvSyntaxError(line, "text after the closing quote of a field")
            raise CsvSyntaxError(line, "a double quote inside an unquoted field")
        if fields != [None]:
            yield start_line, fields


def read_csv(path: Path, table: LegacyTable) -> tuple[list[LegacyRow], list[Rejection]]:
    """Read one legacy CSV export: its rows, and the rows with a wrong number of fields.

    Raises CommandError for a missing file, a file that is not UTF-8 or not CSV, and a
    header that lacks a column of ``table.columns``, has one twice or has an unknown one
    (other than the :data:`~backend.legacy.tables.IGNORED_COLUMNS`, which are not read).
    The header is checked for another delimiter first (:func:`_other_delimiter`), so a
    ``;``- or tab-delimited file is named as such rather than failing as bad CSV.
    """
    text = _read_text(path, table)
    canonical = {column.lower(): column for column in table.columns}
    first_line = _LINE_BREAK.split(text, maxsplit=1)[0]
    if delimiter := _other_delimiter(first_line, canonical):
        shown = first_line if len(first_line) <= 40 else first_line[:40] + "…"
        raise CommandError(
            f"{path}: header of {table.name}: the header has one column {shown!r}: the "
            f"file looks {delimiter!r}-delimited; legacy exports are ','-delimited."
        )
    try:
        records = list(parse_csv(text))
    except CsvSyntaxError as error:
        raise CommandError(f"{path} line {error.line}: not valid CSV: {error.message}") from None
    if not records:
        raise CommandError(f"{path} is empty; expected the header {','.join(table.columns)}")

    header = [name or "" for name in records[0][1]]
    names = [canonical.get(name.lower()) for name in header]
    problems = []
    ignored = [h.lower() in IGNORED_COLUMNS for h in header]
    if unknown := [
        h for h, n, skip in zip(header, names, ignored, strict=True) if n is None and not skip
    ]:
        problems.append("unknown column(s) " + ", ".join(map(repr, unknown)))
    if missing := [column for column in table.columns if column not in names]:
        problems.append("missing column(s) " + ", ".join(missing))
    if twice := sorted({n for n in names if n is not None and names.count(n) > 1}):
        problems.append("repeated column(s) " + ", ".join(twice))
    if problems:
        raise CommandError(
            f"{path}: header of {table.name}: {'; '.join(problems)}. "
            f"Expected the columns {', '.join(table.columns)}."
        )

    id_index = names.index(table.id_column)
    rows, rejections = [], []
    for line, fields in records[1:]:
        row_id = fields[id_index] if id_index < len(fields) else None
        key = row_key(table.id_column, row_id)
        values = {n: v for n, v, skip in zip(names, fields, ignored, strict=False) if not skip}
        row = LegacyRow(path.name, line, key, values)
        if len(fields) == len(names):
            rows.append(row)
        else:
            rejections.append(
                row.reject(f"{len(fields)} fields, but the header has {len(names)} columns")
            )
    return rows, rejections


def _other_delimiter(line: str, canonical: dict[str, str]) -> str | None:
    """The delimiter the header ``line`` is split by when it is not ``,``: ``;``, a tab
    or ``|`` when that character splits it into at least two column names of the table
    and ``,`` does not (``canonical``: lower-case name -> column); otherwise ``None``.
    Checked before the rows are parsed: a quoted field of a ``;``-delimited file is not
    valid ``,``-delimited CSV. (The openIMIS demo export,
    ``shared/data/openimis-demo/README.md``, is ``,``-delimited; spreadsheet programs and
    SQL Server's export wizard write ``;`` or tabs in some locales.)"""

    def known(delimiter: str) -> int:
        return sum(n.strip().strip('"').lower() in canonical for n in line.split(delimiter))

    if known(",") >= 2:
        return None
    return next((d for d in (";", "\t", "|") if known(d) >= 2), None)


def _read_text(path: Path, table: LegacyTable) -> str:
    """The text of an export file (UTF-8, a BOM allowed); CommandError if unreadable."""
    if not path.is_file():
        raise CommandError(f"{table.name}: file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{table.name}: cannot read {path}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CommandError(
            f"{path} is not UTF-8: byte 0x{data[error.start]:02x} at line {line} "
            "cannot be decoded. Export the table as UTF-8."
        ) from None


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so that a repeated key is seen."""


def read_json(
    path: Path, table: LegacyTable, time_zone: tzinfo
) -> tuple[list[LegacyRow], list[Rejection]]:
    """Read one legacy JSON export: its rows, and the rows that cannot be read.

    The file holds an array of objects keyed by legacy column names (case-insensitive);
    ``null`` (what ``json_agg`` gives for an empty table) is an empty table. A missing
    key or ``null`` is SQL NULL; numbers and strings become the legacy text form
    (:func:`backend.legacy.values.legacy_text`), so ``17`` and ``"17"`` read alike; a
    number with a fraction or an exponent is read as written (``1e3`` is the text
    ``"1e3"``, never a float's rounding of it).
    Rows are numbered from 1 (``row 3``), and every message names them so. Rejected
    here: an element that is not an object. A column given twice and a value of a JSON
    type no column takes (:func:`json_types`: a boolean but in a ``bit`` column, an array
    or an object; Python's ``True`` is the integer 1, so a boolean would otherwise be
    stored as 1 in a numeric column) are the row's
    ``problems``, naming the column and the type it takes: the table's parsing refuses
    the row with them and the problems of its other columns. Raises CommandError for a
    file that is not UTF-8 or not JSON, that is not an array, and for keys that name no
    column of ``table`` (a typo would otherwise read as NULL); the
    :data:`~backend.legacy.tables.IGNORED_COLUMNS` are not read.
    """
    text = _read_text(path, table)
    try:
        document = decode(text, object_pairs_hook=_Pairs, parse_float=str)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path} line {error.lineno} column {error.colno}: not valid JSON: {error.msg}"
        ) from None
    except TooDeep as error:
        raise CommandError(f"{path}: not readable JSON: {error}.") from None
    if document is None:
        document = []
    if not isinstance(document, list) or isinstance(document, _Pairs):
        found = _json_kind(document)
        raise CommandError(
            f"{path}: expected a JSON array of row objects (as FOR JSON PATH or json_agg "
            f"write them), found {found}."
        )
    canonical = {column.lower(): column for column in table.columns}
    expected = json_types(table)
    unknown: dict[str, int] = {}
    rows, rejections = [], []
    for number, element in enumerate(document, start=1):
        values: dict[str, str | None] = dict.fromkeys(table.columns)
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, value in element if isinstance(element, _Pairs) else ():
            column = canonical.get(key.lower())
            if column is None:
                if key.lower() not in IGNORED_COLUMNS:
                    unknown.setdefault(key, number)
                continue
            if column in seen:
                problems.append((column, f"{column} is given twice"))
            seen.add(column)
            if isinstance(value, bool) and expected[column] == "a boolean":
                values[column] = "1" if value else "0"  # a bit column: true is 1
            elif isinstance(value, bool | list):  # a boolean, an array or an object (_Pairs)
                problems.append(
                    (column, f"{column} is {_json_kind(value)}, not {expected[column]}")
                )
            else:
                values[column] = legacy_text(value, time_zone)
        row_id = values[table.id_column]
        key = row_key(table.id_column, row_id)
        row = LegacyRow(path.name, number, key, values, unit="row", problems=tuple(problems))
        if isinstance(element, _Pairs):
            rows.append(row)  # refused by the table's parsing when it has problems
        else:
            rejections.append(row.reject(f"{_json_kind(element)}, not a row object"))
    if unknown:
        listed = ", ".join(f"{key!r} (row {number})" for key, number in unknown.items())
        raise CommandError(
            f"{path}: {table.name} has no column(s) {listed}. "
            f"Expected the columns {', '.join(table.columns)}."
        )
    return rows, rejections


def json_types(table: LegacyTable) -> dict[str, str]:
    """Column of ``table`` -> the JSON type its value has, in JSON's words, for messages:
    ``"a number"`` for a column read as an integer or an id (its text, ``"17"``, is read
    alike), ``"a string"`` for the others (texts, codes, uuids, datetimes; a number is
    read as its text). SQL Server's ``FOR JSON PATH`` and ``json_agg`` write an ``int``
    as a number and a ``varchar``, ``uniqueidentifier``, ``date`` or ``datetime`` as a
    string; a ``decimal`` is ``"a number"`` (read as written), a ``bit`` (a column read
    as a boolean) ``"a boolean"``, the only column a JSON boolean is the value of
    (``true`` is 1, and its ``0``/``1`` read alike)."""
    meta = apps.get_model(table.model)._meta
    kinds = {"integer": "a number", "id": "a number", "decimal": "a number"}
    kinds["boolean"] = "a boolean"
    return {
        column: kinds.get(reading(meta.get_field(attname))[0], "a string")
        for column, attname in table.fields.items()
    }


def _json_kind(value: Any) -> str:
    """What a decoded value is, in JSON's words (``"an object"``, ``"an array"``, ...)."""
    return "an object" if isinstance(value, _Pairs) else json_kind(value)


def find_exports(tables: list[LegacyTable], directory: Path) -> list[tuple[LegacyTable, Path]]:
    """The (table, file) pairs of the exports in ``directory``: ``<name>.csv`` or
    ``<name>.json`` for every table of ``tables`` (the active modules' tables).

    Raises CommandError when the folder holds none of them, both files of a table, or
    only some of the tables: a table left out is then named with its module and the way
    to import the others on purpose (their ``--<option> PATH`` flags), rather than
    imported as if the module had no rows.
    """
    if not directory.is_dir():
        raise CommandError(f"Not a directory: {directory}")
    found, missing = [], []
    for table in tables:
        present = [directory / n for n in (table.file_name, table.json_name)]
        present = [path for path in present if path.is_file()]
        if len(present) > 1:
            raise CommandError(
                f"{directory} holds both {table.file_name} and {table.json_name}; "
                "keep the one to import."
            )
        found += [(table, path) for path in present]
        if not present:
            missing.append(table)
    if not found:
        names = ", ".join(t.file_name for t in tables)
        raise CommandError(f"{directory} holds none of the legacy exports ({names}).")
    if missing:
        absent = "; ".join(
            f"{t.file_name} or {t.json_name} (table {t.name} of the active module "
            f"{t.model.split('.')[0]!r})"
            for t in missing
        )
        flags = " ".join(f"--{table.option} {path}" for table, path in found)
        raise CommandError(
            f"{directory} lacks {absent}; nothing was written. To import only the other "
            f"table(s), name their files: import_legacy {flags}"
        )
    return found
