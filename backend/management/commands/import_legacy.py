"""``manage.py import_legacy``: load legacy openIMIS CSV exports into the module models.

Usage::

    python manage.py import_legacy --locations PATH/tblLocations.csv --payers PATH/tblPayer.csv
    python manage.py import_legacy DIR    # DIR holds tblLocations.csv and/or tblPayer.csv

The tables come from the active modules: each module's ``legacy`` submodule lists
:class:`backend.legacy.LegacyTable` objects (``--<option> PATH`` per table); they run in
module order (``OPENIMIS_MODULES``). The core never imports a module by name.

All or nothing: every file is read and every row validated first; when any row is
rejected, each rejection is printed (file, line, id, reason), nothing is written and the
command fails. Otherwise all tables are written in one transaction: rows are matched on
id (keeping the legacy ids) and uuid, so a second run creates and changes nothing. The
counts created / updated / unchanged are printed per table. On PostgreSQL the id sequences
are reset afterwards, so the next ordinary insert does not collide with an imported id.

File format (openIMIS demo export, ``shared/data/openimis-demo/README.md``): UTF-8 (a BOM
is allowed), RFC 4180, header row = legacy column names (any order, case-insensitive);
an empty unquoted field is SQL NULL, ``""`` is the empty string; naive datetimes are read
in ``settings.LEGACY_TIME_ZONE``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.module_loading import module_has_submodule
from tqdm import tqdm

from backend.legacy import LegacyContext, LegacyRow, LegacyTable, LoadCounts, Rejection
from backend.registry import active_modules

#: A progress bar is shown for a table with more rows than this (and a terminal).
PROGRESS_MIN_ROWS = 1000

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


def read_table(path: Path, table: LegacyTable) -> tuple[list[LegacyRow], list[Rejection]]:
    """Read one legacy CSV export: its rows, and the rows with a wrong number of fields.

    Raises CommandError for a missing file, a file that is not UTF-8 or not CSV, and a
    header that lacks a column of ``table.columns``, has one twice or has an unknown one.
    """
    if not path.is_file():
        raise CommandError(f"{table.name}: file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{table.name}: cannot read {path}: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CommandError(
            f"{path} is not UTF-8: byte 0x{data[error.start]:02x} at line {line} "
            "cannot be decoded. Export the table as UTF-8."
        ) from None
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


def legacy_tables() -> list[LegacyTable]:
    """The LegacyTables of the active modules' ``legacy`` submodules, in module order."""
    tables: list[LegacyTable] = []
    for config in active_modules():
        if not module_has_submodule(config.module, "legacy"):
            continue
        module = importlib.import_module(f"{config.name}.legacy")
        found = getattr(module, "tables", None)
        if not isinstance(found, Sequence) or not all(isinstance(t, LegacyTable) for t in found):
            raise ImproperlyConfigured(
                f"{module.__name__}.tables must be a sequence of backend.legacy.LegacyTable."
            )
        tables.extend(found)
    for attribute in ("name", "option"):
        values = [getattr(t, attribute) for t in tables]
        if len(set(values)) != len(values):
            raise ImproperlyConfigured(f"Two legacy tables share a {attribute}: {values}.")
    return tables


def legacy_time_zone() -> ZoneInfo:
    """``settings.LEGACY_TIME_ZONE`` (default UTC) as a zone; CommandError if unknown."""
    name = getattr(settings, "LEGACY_TIME_ZONE", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"LEGACY_TIME_ZONE {name!r} is not a known time zone (e.g. 'Africa/Dar_es_Salaam')."
        ) from None


class Command(BaseCommand):
    help = (
        "Import legacy openIMIS CSV exports (tblLocations.csv, tblPayer.csv, ...), keeping "
        "legacy ids, uuids and history rows. All or nothing; running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        tables = legacy_tables()
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            help="A folder holding the exports: "
            + ", ".join(t.file_name for t in tables)
            + " (any of them).",
        )
        for table in tables:
            parser.add_argument(
                f"--{table.option}",
                type=Path,
                metavar="PATH",
                help=f"The {table.name} export ({table.file_name}).",
            )

    def handle(self, *args, directory: Path | None = None, **options) -> None:
        verbose = options["verbosity"] >= 1
        inputs = self._inputs(legacy_tables(), directory, options)
        context = LegacyContext(time_zone=legacy_time_zone())

        read = []
        rejections: list[Rejection] = []
        for table, path in inputs:
            rows, bad = read_table(Path(path), table)
            read.append((table, rows))
            rejections += bad
            if verbose:
                self.stdout.write(f"{table.name}: {len(rows) + len(bad)} rows in {path}")

        with transaction.atomic():
            validated = []
            for table, rows in read:
                objects, bad = table.validate(self._progress(rows, table.name), context)
                validated.append((table, objects))
                rejections += bad
            if rejections:
                for rejection in rejections:
                    self.stderr.write(str(rejection))
                rows_hit = {(r.source, r.line) for r in rejections}
                raise CommandError(
                    f"{len(rejections)} problem(s) in {len(rows_hit)} row(s); nothing was written."
                )
            for table, objects in validated:
                counts: LoadCounts = table.load(objects)
                if verbose:
                    self.stdout.write(
                        f"{table.name} -> {table.model}: {counts.created} created, "
                        f"{counts.updated} updated, {counts.unchanged} unchanged"
                    )
            self._reset_sequences([apps.get_model(table.model) for table, _ in validated])
        if verbose:
            self.stdout.write(self.style.SUCCESS("Legacy import done."))

    def _inputs(
        self, tables: list[LegacyTable], directory: Path | None, options: dict
    ) -> list[tuple[LegacyTable, Path]]:
        """The (table, file) pairs to import, in module order."""
        given = [(t, Path(options[t.option])) for t in tables if options.get(t.option)]
        flags = " ".join(f"--{t.option} PATH" for t in tables)
        if directory is not None and given:
            raise CommandError(f"Give either a directory or the files ({flags}), not both.")
        if directory is None:
            if not given:
                raise CommandError(f"Nothing to import: give a directory or {flags}.")
            return given
        if not directory.is_dir():
            raise CommandError(f"Not a directory: {directory}")
        found = [
            (t, directory / t.file_name) for t in tables if (directory / t.file_name).is_file()
        ]
        if not found:
            names = ", ".join(t.file_name for t in tables)
            raise CommandError(f"{directory} holds none of the legacy exports ({names}).")
        return found

    def _progress(self, rows: list[LegacyRow], name: str):
        """``rows`` wrapped in a tqdm bar when there are many and stdout is a terminal."""
        if len(rows) > PROGRESS_MIN_ROWS and self.stdout.isatty():
            return tqdm(rows, desc=name, unit="row", leave=False)
        return rows

    def _reset_sequences(self, models: list[type]) -> None:
        """Move the id sequences to the highest id (PostgreSQL; a no-op on SQLite).

        Done for every imported table, even when nothing was created, so a rerun also
        repairs a sequence left behind by an earlier load.
        """
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
