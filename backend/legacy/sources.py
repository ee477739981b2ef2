"""Where legacy rows come from: CSV exports, JSON exports and a live legacy database.

Every source turns a legacy table into :class:`backend.legacy.LegacyRow` objects whose
values are text (``None`` for SQL NULL), so that one mapping (each module's ``legacy``
submodule) serves them all:

- :func:`read_csv`: an RFC 4180 export with a header row of legacy column names;
- :func:`read_json`: a JSON array of row objects keyed by legacy column names, as SQL
  Server's ``FOR JSON PATH`` or PostgreSQL's ``json_agg`` write it. A missing key is
  SQL NULL (``FOR JSON`` leaves NULL properties out unless ``INCLUDE_NULL_VALUES``);
- :class:`LegacyDatabase`: a live legacy database given by URL, the PostgreSQL edition
  of openIMIS (``postgres://user:password@host:5432/name``, quoted table names such as
  ``"tblLocations"``) through psycopg, or SQL Server (``mssql://user:password@host:1433/
  name``) through pymssql, installed with the ``mssql`` extra.

File and connection problems raise ``CommandError`` with a message naming the file or
database and what is wrong; problems of single rows become :class:`Rejection` objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.management.base import CommandError

from backend.legacy import LegacyRow, LegacyTable, Rejection, legacy_text

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
    header that lacks a column of ``table.columns``, has one twice or has an unknown one.
    """
    text = _read_text(path, table)
    try:
        records = list(parse_csv(text))
    except CsvSyntaxError as error:
        raise CommandError(f"{path} line {error.line}: not valid CSV: {error.message}") from None
    if not records:
        raise CommandError(f"{path} is empty; expected the header {','.join(table.columns)}")

    canonical = {column.lower(): column for column in table.columns}
    header = [name or "" for name in records[0][1]]
    names = [canonical.get(name.lower()) for name in header]
    problems = []
    if unknown := [h for h, n in zip(header, names, strict=True) if n is None]:
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
        key = f"{table.id_column} {row_id}" if row_id is not None else f"no {table.id_column}"
        row = LegacyRow(path.name, line, key, dict(zip(names, fields, strict=False)))
        if len(fields) == len(names):
            rows.append(row)
        else:
            rejections.append(
                row.reject(f"{len(fields)} fields, but the header has {len(names)} columns")
            )
    return rows, rejections


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
    key or ``null`` is SQL NULL; numbers, strings and booleans become the legacy text
    form (:func:`backend.legacy.legacy_text`), so ``17`` and ``"17"`` read alike. Rows
    are numbered from 1 (``row 3``). Rejected rows: an element that is not an object, a
    column given twice, a nested array or object. Raises CommandError for a file that is
    not UTF-8 or not JSON, that is not an array, and for keys that name no column of
    ``table`` (a typo would otherwise read as NULL).
    """
    text = _read_text(path, table)
    try:
        document = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path} line {error.lineno} column {error.colno}: not valid JSON: {error.msg}"
        ) from None
    if document is None:
        document = []
    if not isinstance(document, list) or isinstance(document, _Pairs):
        found = "an object" if isinstance(document, _Pairs) else type(document).__name__
        raise CommandError(
            f"{path}: expected a JSON array of row objects (as FOR JSON PATH or json_agg "
            f"write them), found {found}."
        )
    canonical = {column.lower(): column for column in table.columns}
    unknown: dict[str, int] = {}
    rows, rejections = [], []
    for number, element in enumerate(document, start=1):
        values: dict[str, str | None] = dict.fromkeys(table.columns)
        reasons = []
        if not isinstance(element, _Pairs):
            reasons.append(f"a {_json_kind(element)}, not a row object")
            element = _Pairs()
        seen: set[str] = set()
        for key, value in element:
            column = canonical.get(key.lower())
            if column is None:
                unknown.setdefault(key, number)
                continue
            if column in seen:
                reasons.append(f"{column} is given twice")
            seen.add(column)
            try:
                values[column] = legacy_text(value, time_zone)
            except TypeError:
                reasons.append(f"{column} is a JSON {_json_kind(value)}, not a value")
        row_id = values[table.id_column]
        key = f"{table.id_column} {row_id}" if row_id is not None else f"no {table.id_column}"
        row = LegacyRow(path.name, number, key, values, unit="row")
        if reasons:
            rejections += [row.reject(reason) for reason in reasons]
        else:
            rows.append(row)
    if unknown:
        listed = ", ".join(f"{key!r} (row {number})" for key, number in unknown.items())
        raise CommandError(
            f"{path}: {table.name} has no column(s) {listed}. "
            f"Expected the columns {', '.join(table.columns)}."
        )
    return rows, rejections


def _json_kind(value: Any) -> str:
    if isinstance(value, _Pairs):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__


class LegacyDatabase:
    """A live legacy openIMIS database, read table by table; use it as a context manager.

    ``url``: ``postgres://user:password@host:5432/name`` (or ``postgresql://``; any libpq
    URI, e.g. with ``?options=-csearch_path%3Dlegacy`` for another schema), or
    ``mssql://user:password@host:1433/name`` for SQL Server (needs ``pip install
    '.[mssql]'``). ``label`` is the URL without its password, for messages and reports.
    """

    SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mssql": "mssql"}

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in self.SCHEMES:
            raise CommandError(
                f"Unsupported legacy database URL scheme {parts.scheme!r}: use "
                "postgres://user:password@host:5432/name or mssql://user:password@host:1433/name."
            )
        self.url = url
        self.vendor = self.SCHEMES[parts.scheme]
        netloc = parts.hostname or ""
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        if parts.port:
            netloc += f":{parts.port}"
        self.label = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self._parts = parts
        self._connection: Any = None

    def __enter__(self) -> LegacyDatabase:
        try:
            self._connection = self._connect()
        except CommandError:
            raise
        except Exception as error:  # each driver has its own error classes
            raise CommandError(
                f"Cannot connect to the legacy database {self.label}: {error}"
            ) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> Any:
        if self.vendor == "postgresql":
            import psycopg

            return psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        try:
            import pymssql
        except ImportError:
            raise CommandError(
                "Reading SQL Server needs the pymssql driver: pip install -e '.[mssql]' "
                "(see README, 'Moving an openIMIS database to PostgreSQL')."
            ) from None
        parts = self._parts
        return pymssql.connect(
            server=parts.hostname or "localhost",
            port=str(parts.port or 1433),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")),
            login_timeout=10,
        )

    def _quote(self, name: str) -> str:
        if self.vendor == "mssql":
            return "[" + name.replace("]", "]]") + "]"
        return '"' + name.replace('"', '""') + '"'

    def read(
        self, table: LegacyTable, time_zone: tzinfo
    ) -> tuple[list[LegacyRow], list[Rejection]]:
        """Every row of ``table`` (ordered by its id column), in the legacy text form.

        Columns are matched case-insensitively; columns the table does not map (such as
        the legacy ``RowId`` timestamp) are not read. Raises CommandError when the table
        or one of its columns is missing. Datetimes of ``timestamp without time zone``
        columns are legacy local time; aware ones are converted into ``time_zone``.
        """
        name = self._quote(table.name)
        head = "SELECT TOP 0 * FROM {}" if self.vendor == "mssql" else "SELECT * FROM {} LIMIT 0"
        cursor = self._connection.cursor()
        try:
            try:
                cursor.execute(head.format(name))
            except Exception as error:
                raise CommandError(
                    f"{self.label}: cannot read table {table.name}: {str(error).strip()}"
                ) from None
            actual = {d[0].lower(): d[0] for d in cursor.description}
            missing = [c for c in table.columns if c.lower() not in actual]
            if missing:
                raise CommandError(
                    f"{self.label}: table {table.name} lacks column(s) {', '.join(missing)}."
                )
            selected = [actual[c.lower()] for c in table.columns]
            id_name = self._quote(actual[table.id_column.lower()])
            cursor.execute(
                f"SELECT {', '.join(map(self._quote, selected))} FROM {name} ORDER BY {id_name}"
            )
            rows, rejections = [], []
            source = f"{table.name}@{self.label}"
            for number, record in enumerate(cursor, start=1):
                values, reasons = {}, []
                for column, value in zip(table.columns, record, strict=True):
                    try:
                        values[column] = legacy_text(value, time_zone)
                    except TypeError as error:
                        values[column] = None
                        reasons.append(f"{column}: {error}")
                row_id = values[table.id_column]
                row = LegacyRow(source, number, f"{table.id_column} {row_id}", values, unit="row")
                if reasons:
                    rejections += [row.reject(reason) for reason in reasons]
                else:
                    rows.append(row)
            return rows, rejections
        finally:
            cursor.close()
