"""``manage.py import_legacy``: load legacy openIMIS tables into the module models.

Usage::

    python manage.py import_legacy DIR    # DIR holds tblLocations.csv / .json, tblPayer.csv / .json
    python manage.py import_legacy --locations PATH/tblLocations.csv --payers PATH/tblPayer.json
    python manage.py import_legacy --database postgres://user:pw@host:5432/openimis_legacy
    python manage.py import_legacy --database mssql://sa:pw@host:1433/openIMIS   # extra: mssql
    python manage.py import_legacy DIR --load-valid --report refused.jsonl

The tables come from the active modules: each module's ``legacy`` submodule lists
:class:`backend.legacy.LegacyTable` objects (``--<option> PATH`` per table); they run in
module order (``OPENIMIS_MODULES``). The core never imports a module by name. The sources
(CSV, JSON, a live database; :mod:`backend.legacy.sources`) all give the same rows to the
same mapping.

All or nothing by default: every source is read and every row validated first; when any
row is refused, each refusal is printed (source, line or row, id, reason), nothing is
written and the command fails. With ``--load-valid`` the valid rows are loaded and the
refused ones reported; a row that depends on a refused row (its parent, its location,
the current row of a history row) is refused too. Rows are matched on id (keeping the
legacy ids) and uuid, so a second run creates and changes nothing; a current row that
changed is updated and its old values are kept as a history row
(:func:`backend.legacy.save_by_id`). The counts created / updated / unchanged are printed
per table. On PostgreSQL the id sequences are reset afterwards, so the next ordinary
insert does not collide with an imported id.

Report: every row of every run, with its outcome (created, updated, unchanged, refused,
not loaded) and the reason of a refusal, goes to the ``legacy_staging`` table (JSONB) on
PostgreSQL, and to a JSON Lines file on other databases (``--report PATH``, default
``legacy-import-<time>-<run>.jsonl`` in ``settings.LEGACY_REPORT_DIR``). ``--report``
on PostgreSQL writes the file as well.

File format (openIMIS demo export, ``shared/data/openimis-demo/README.md``): UTF-8 (a BOM
is allowed), RFC 4180, header row = legacy column names (any order, case-insensitive);
an empty unquoted field is SQL NULL, ``""`` is the empty string; naive datetimes are read
in ``settings.LEGACY_TIME_ZONE``. JSON: see :func:`backend.legacy.sources.read_json`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from backend import registry
from backend.legacy import (
    LegacyContext,
    LegacyRow,
    LegacyTable,
    LoadCounts,
    Rejection,
)
from backend.legacy.sources import (  # noqa: F401  (parse_csv, CsvSyntaxError: public here too)
    CsvSyntaxError,
    LegacyDatabase,
    parse_csv,
    read_csv,
    read_json,
)
from backend.legacy.staging.models import StagingRow

#: A progress bar is shown for a table with more rows than this (and a terminal).
PROGRESS_MIN_ROWS = 1000
NOT_LOADED, REFUSED = StagingRow.Outcome.NOT_LOADED.value, StagingRow.Outcome.REFUSED.value


@dataclass
class TableRun:
    """One table of one run: where it came from, its rows, objects and refusals."""

    table: LegacyTable
    source: str
    rows: list[LegacyRow]
    rejections: list[Rejection]
    objects: list[models.Model] = field(default_factory=list)
    counts: LoadCounts | None = None


def legacy_tables() -> list[LegacyTable]:
    """The active modules' legacy tables (their manifests), in module order."""
    return registry.legacy_tables()


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
        "Import legacy openIMIS tables (tblLocations, tblPayer, ...) from CSV or JSON "
        "exports or a live legacy database, keeping legacy ids, uuids and history rows. "
        "All or nothing unless --load-valid; running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        tables = legacy_tables()
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            help="A folder holding the exports: "
            + ", ".join(f"{t.file_name} or {t.json_name}" for t in tables)
            + " (any of them).",
        )
        for table in tables:
            parser.add_argument(
                f"--{table.option}",
                type=Path,
                metavar="PATH",
                help=f"The {table.name} export ({table.file_name} or {table.json_name}).",
            )
        parser.add_argument(
            "--database",
            metavar="URL",
            help="Read every table from a live legacy database: postgres://user:pw@host/name "
            "or mssql://user:pw@host:1433/name (SQL Server, needs the mssql extra).",
        )
        parser.add_argument(
            "--load-valid",
            action="store_true",
            help="Load the valid rows and report the refused ones (and the rows depending "
            "on them) instead of refusing the whole run.",
        )
        parser.add_argument(
            "--report",
            type=Path,
            metavar="PATH",
            help="Write every row with its outcome to this JSON Lines file (the default on "
            "databases other than PostgreSQL, where the legacy_staging table holds it).",
        )

    def handle(self, *args, directory: Path | None = None, **options) -> None:
        verbose = options["verbosity"] >= 1
        load_valid = options.get("load_valid", False)
        run, started, clock = uuid.uuid4(), timezone.now(), time.perf_counter()
        time_zone = legacy_time_zone()
        runs = self._read(legacy_tables(), directory, options, time_zone)
        if verbose:
            for item in runs:
                total = len(item.rows) + len(item.rejections)
                self.stdout.write(f"{item.table.name}: {total} rows in {item.source}")

        context = LegacyContext(time_zone=time_zone)
        with transaction.atomic():
            for item in runs:
                objects, bad = item.table.validate(
                    self._progress(item.rows, item.table.name), context
                )
                item.objects, item.rejections = objects, item.rejections + bad
            refused = any(item.rejections for item in runs)
            if refused and load_valid:
                refuse_dependents(runs)
            if not refused or load_valid:
                for item in runs:
                    item.counts = item.table.load(item.objects)
                broken = [
                    f"{item.table.name}: {problem}"
                    for item in runs
                    if item.table.check
                    for problem in item.table.check()
                ]
                if broken:  # raising inside the transaction rolls every table back
                    raise CommandError(
                        "The import would leave the database inconsistent; nothing was "
                        "written:\n  " + "\n  ".join(broken)
                    )
                self._reset_sequences([apps.get_model(item.table.model) for item in runs])

        records = report_records(run, started, runs)
        where = self._report(records, options.get("report"), started, run)
        rejections = [r for item in runs for r in item.rejections]
        for rejection in rejections:
            self.stderr.write(str(rejection))
        rows_hit = {(r.source, r.line) for r in rejections}
        if refused and not load_valid:
            raise CommandError(
                f"{len(rejections)} problem(s) in {len(rows_hit)} row(s); nothing was written. "
                f"Every row is in {where}."
            )
        if verbose:
            self._summary(runs, rows_hit, where, time.perf_counter() - clock)

    def _summary(self, runs: list[TableRun], rows_hit: set, where: str, seconds: float) -> None:
        total = 0
        for item in runs:
            counts = item.counts or LoadCounts()
            refused = len({(r.source, r.line) for r in item.rejections})
            total += len({(r.source, r.line) for r in [*item.rows, *item.rejections]})
            line = (
                f"{item.table.name} -> {item.table.model}: {counts.created} created, "
                f"{counts.updated} updated, {counts.unchanged} unchanged"
            )
            if refused:
                line += f", {refused} refused"
            if counts.history:
                line += f"; {counts.history} old version(s) kept as history rows"
            self.stdout.write(line)
        rate = total / seconds if seconds > 0 else 0.0
        self.stdout.write(f"{total} rows in {seconds:.1f} s ({rate:,.0f} rows/s); report: {where}")
        if rows_hit:
            self.stdout.write(
                self.style.WARNING(f"Legacy import done; {len(rows_hit)} row(s) refused.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("Legacy import done."))

    def _read(
        self,
        tables: list[LegacyTable],
        directory: Path | None,
        options: dict,
        time_zone: ZoneInfo,
    ) -> list[TableRun]:
        """Read every source the options name, in module order."""
        given = [(t, Path(options[t.option])) for t in tables if options.get(t.option)]
        flags = " ".join(f"--{t.option} PATH" for t in tables)
        url = options.get("database")
        if url:
            if directory is not None or given:
                raise CommandError("Give either --database or export files, not both.")
            with LegacyDatabase(url) as database:
                return [
                    TableRun(table, database.label, *database.read(table, time_zone))
                    for table in tables
                ]
        if directory is not None and given:
            raise CommandError(f"Give either a directory or the files ({flags}), not both.")
        if directory is None:
            if not given:
                raise CommandError(
                    f"Nothing to import: give a directory, {flags} or --database URL."
                )
            found = given
        else:
            found = find_exports(tables, directory)
        runs = []
        for table, path in found:
            if path.suffix.lower() == ".json":
                rows, bad = read_json(path, table, time_zone)
            else:
                rows, bad = read_csv(path, table)
            runs.append(TableRun(table, str(path), rows, bad))
        return runs

    def _report(
        self, records: list[dict], path: Path | None, started: datetime, run: uuid.UUID
    ) -> str:
        """Write the run's records: the staging table (PostgreSQL) and/or a file."""
        places = []
        if connection.vendor == "postgresql":
            copy_staging_rows(records)
            places.append(f"table legacy_staging (run {run})")
        if path is None and connection.vendor != "postgresql":
            name = f"legacy-import-{started:%Y%m%dT%H%M%S}-{run.hex[:8]}.jsonl"
            path = Path(settings.LEGACY_REPORT_DIR) / name
        if path is not None:
            with open(path, "w", encoding="utf-8") as report:
                for record in records:
                    text = {**record, "run": str(run), "started_at": started.isoformat()}
                    report.write(json.dumps(text, ensure_ascii=False) + "\n")
            places.append(str(path))
        return " and ".join(places)

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


def copy_staging_rows(records: list[dict]) -> None:
    """Write ``records`` into the ``legacy_staging`` table with one ``COPY`` (PostgreSQL)."""
    fields = [f for f in StagingRow._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(StagingRow._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for record in records:
            record = _jsonb_safe(record)
            copy.write_row(
                [
                    json.dumps(record["row"], ensure_ascii=False)
                    if f.name == "row"
                    else record[f.name]
                    for f in fields
                ]
            )


def _jsonb_safe(record: dict) -> dict:
    """JSONB cannot hold the NUL character: it is stored as U+2400 (the symbol for NUL)."""
    row = {
        column: value.replace("\x00", "\u2400") if value else value
        for column, value in record["row"].items()
    }
    return {**record, "row": row, "reason": record["reason"].replace("\x00", "\u2400")}


def find_exports(tables: list[LegacyTable], directory: Path) -> list[tuple[LegacyTable, Path]]:
    """The (table, file) pairs of the exports in ``directory``: ``<name>.csv`` or
    ``<name>.json`` per table (not both). CommandError when there is none."""
    if not directory.is_dir():
        raise CommandError(f"Not a directory: {directory}")
    found = []
    for table in tables:
        present = [directory / n for n in (table.file_name, table.json_name)]
        present = [path for path in present if path.is_file()]
        if len(present) > 1:
            raise CommandError(
                f"{directory} holds both {table.file_name} and {table.json_name}; "
                "keep the one to import."
            )
        found += [(table, path) for path in present]
    if not found:
        names = ", ".join(t.file_name for t in tables)
        raise CommandError(f"{directory} holds none of the legacy exports ({names}).")
    return found


def _row_id(row: LegacyRow, table: LegacyTable) -> int | None:
    value = row.values.get(table.id_column)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def refuse_dependents(runs: list[TableRun]) -> None:
    """Take out of ``runs`` every object that depends on a refused row, and refuse it.

    A row depends on the rows its foreign keys name (a location's parent, a payer's
    location) and, for a history row, on its current row (``legacy_id``). Repeated until
    nothing changes, so a refused region takes its districts, their municipalities and
    villages, and their payers with it. Ids of objects still loaded are never counted
    as refused (a refused duplicate of a valid id leaves the valid row alone).
    """
    refused: dict[str, set[int]] = defaultdict(set)
    row_of: dict[str, dict[int | None, LegacyRow]] = {}
    for item in runs:
        rows = row_of[item.table.model] = {}
        for row in item.rows:
            rows.setdefault(_row_id(row, item.table), row)
        # ``validate`` returns the objects of every well-formed row, also of rows that a
        # later check refused (a parent that does not exist): take those out first.
        places = {(r.source, r.line) for r in item.rejections}
        kept = []
        for obj in item.objects:
            row = rows[obj.pk]
            if (row.source, row.line) in places:
                refused[item.table.model].add(obj.pk)
            else:
                kept.append(obj)
        item.objects = kept
        loaded = {obj.pk for obj in kept}
        for rejection in item.rejections:
            row_id = _row_id(rejection.row, item.table) if rejection.row else None
            if row_id is not None and row_id not in loaded:
                refused[item.table.model].add(row_id)
    changed = True
    while changed:
        changed = False
        for item in runs:
            model = apps.get_model(item.table.model)
            column_of = {attname: column for column, attname in item.table.fields.items()}
            # Parents, payer locations and history pointers (``legacy``) are relations.
            references = [
                (f.attname, f.related_model._meta.label)
                for f in model._meta.concrete_fields
                if f.is_relation
            ]
            rows = row_of[item.table.model]
            keep = []
            for obj in item.objects:
                reasons = [
                    f"depends on {column_of.get(attname, attname)} {getattr(obj, attname)}, "
                    "which is refused"
                    for attname, target in references
                    if getattr(obj, attname) in refused[target]
                ]
                if reasons:
                    item.rejections += [rows[obj.pk].reject(reason) for reason in reasons]
                    refused[item.table.model].add(obj.pk)
                    changed = True
                else:
                    keep.append(obj)
            item.objects = keep


def report_records(run: uuid.UUID, started: datetime, runs: list[TableRun]) -> list[dict]:
    """One record per source row (StagingRow fields): outcome and reason of each row."""
    records = []
    for item in runs:
        reasons: dict[tuple[str, int], list[str]] = defaultdict(list)
        rows = {(row.source, row.line): row for row in item.rows}
        for rejection in item.rejections:
            reasons[(rejection.source, rejection.line)].append(rejection.reason)
            if rejection.row is not None:
                rows.setdefault((rejection.source, rejection.line), rejection.row)
        outcomes = item.counts.outcomes if item.counts else {}
        for place in sorted(rows, key=lambda p: p[1]):
            row = rows[place]
            if place in reasons:
                outcome = REFUSED
            else:
                outcome = outcomes.get(_row_id(row, item.table), NOT_LOADED)
            records.append(
                {
                    "run": run,
                    "started_at": started,
                    "source": item.source[:500],
                    "table": item.table.name,
                    "position": row.line,
                    "key": row.key[:100],
                    "outcome": outcome,
                    "reason": "; ".join(reasons.get(place, [])),
                    "row": dict(row.values),
                }
            )
    return records
