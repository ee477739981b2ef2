"""``manage.py import_legacy``: load legacy openIMIS tables into the module models.

Usage::

    python manage.py import_legacy DIR    # DIR holds tblLocations.csv / .json, tblPayer.csv / .json
                                          # (every active module's table, or it is refused)
    python manage.py import_legacy --locations PATH/tblLocations.csv --payers PATH/tblPayer.json
    python manage.py import_legacy --database postgres://user:pw@host:5432/openimis_legacy
    python manage.py import_legacy --database mssql://sa:pw@host:1433/openIMIS   # extra: mssql
    python manage.py import_legacy DIR --load-valid --report refused.jsonl

The tables come from the active modules (:func:`backend.legacy.active_tables`,
``--<option> PATH`` per table) and run in module order (``OPENIMIS_MODULES``). The
sources (CSV, JSON, a live database; :mod:`backend.legacy.sources`) all give the same
rows to the same mapping.

All or nothing by default (:func:`backend.legacy.importing.import_runs`): every source
is read and every row validated first; when any row is refused, each refusal is printed
(source, line or row, id, reason) on stderr, counted per reason on stdout
(:func:`backend.legacy.report.refusal_summary`), nothing is written and the command fails. With
``--load-valid`` the valid rows are loaded and the refused ones reported. In both modes
a row that depends on a refused row (its parent, its location, the current row of a
history row) is refused too ("depends on ParentLocationId 1, which is refused"). Rows
are matched on id (keeping the legacy ids) and uuid, so a second run creates and changes
nothing; a current row that changed is updated and its old values are kept as a history
row, by the rule of :func:`backend.legacy.saving.version_change` (the change at a later
ValidityFrom, else at the time of the import; a row changed here since is refused rather
than overwritten by an older legacy row). The counts created / updated / unchanged are
printed per table. On PostgreSQL the id sequences are reset afterwards, so the next
ordinary insert does not collide with an imported id. Progress: a bar on a terminal, a
plain line every few seconds otherwise (:meth:`LongCommand.progress`).

Report (:mod:`backend.legacy.report`): every row of every run, with its outcome
(created, updated, unchanged, refused, not loaded) and the reason of a refusal, goes to
the ``legacy_staging`` table (JSONB) on PostgreSQL, and to a JSON Lines file on other
databases (``--report PATH``, default ``legacy-import-<time>-<run>.jsonl`` in
``settings.LEGACY_REPORT_DIR``). ``--report`` on PostgreSQL writes the file as well.

File format (openIMIS demo export, ``shared/data/openimis-demo/README.md``): UTF-8 (a BOM
is allowed), RFC 4180, header row = legacy column names (any order, case-insensitive);
an empty unquoted field is SQL NULL, ``""`` is the empty string; naive datetimes are read
in ``settings.LEGACY_TIME_ZONE``. JSON: see :func:`backend.legacy.files.read_json`.

Time zone (:mod:`backend.legacy.zone`): the first run that stores rows records
``LEGACY_TIME_ZONE``; a later run in another zone is refused before anything is read,
unless ``--time-zone-change`` (which then records the new zone).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from backend.legacy import LegacyRow, LoadCounts, active_tables, legacy_time_zone
from backend.legacy.importing import cyclic_gc_paused, import_runs
from backend.legacy.report import note_summary, refusal_summary, write_report
from backend.legacy.sources import TableRun, read_sources
from backend.legacy.zone import OPTION, check_time_zone, record_time_zone
from backend.management.long_command import LongCommand

#: Progress is shown for a table with more rows than this: a bar on a terminal, plain
#: lines every few seconds elsewhere (:meth:`LongCommand.progress`).
PROGRESS_MIN_ROWS = 1000


class Command(LongCommand):
    help = (
        "Import legacy openIMIS tables (tblLocations, tblPayer, ...) from CSV or JSON "
        "exports or a live legacy database, keeping legacy ids, uuids and history rows. "
        "All or nothing unless --load-valid; running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        tables = active_tables()
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
        parser.add_argument(
            OPTION,
            action="store_true",
            help="Import although LEGACY_TIME_ZONE differs from the zone the data here were "
            "read in (every datetime moves, changed rows keep history); records the new zone.",
        )

    def handle(self, *args, directory: Path | None = None, **options) -> None:
        with cyclic_gc_paused():  # every row read stays alive to the end (see there)
            self._import(directory, options)

    def _import(self, directory: Path | None, options: dict) -> None:
        verbose = options["verbosity"] >= 1
        load_valid = options.get("load_valid", False)
        run, started, clock = uuid.uuid4(), timezone.now(), time.perf_counter()
        time_zone = legacy_time_zone()
        tables = active_tables()
        change = options.get("time_zone_change", False)
        check_time_zone(time_zone, tables, "import_legacy", change=change)
        self.step("reading the legacy tables")
        runs = read_sources(
            tables,
            time_zone,
            directory=directory,
            files={t.option: options[t.option] for t in tables if options.get(t.option)},
            database_url=options.get("database"),
        )
        if verbose:
            for item in runs:
                total = len(item.rows) + len(item.rejections)
                self.stdout.write(f"{item.table.name}: {total} rows in {item.source}")

        with transaction.atomic():  # the zone is recorded with the rows, or not at all
            refused = import_runs(
                runs, time_zone, load_valid=load_valid, progress=self._progress, step=self.step
            )
            if any(item.counts is not None and item.objects for item in runs):
                record_time_zone(time_zone)
        if not refused or load_valid:  # committed: what an early stop leaves from now on
            self.stopped = "the rows are imported, but the report is not complete"

        self.step("writing the report")
        where = write_report(run, started, runs, options.get("report"))
        if notes := note_summary(runs):
            count = sum(item_count for item in runs for item_count in item.notes.values())
            self.stdout.write(
                self.style.WARNING(
                    f"{count:,} value(s) stored otherwise than they came, by column (each "
                    f"row as it came is in {where}):"
                )
            )
            for line in notes:
                self.stdout.write(line)
        rejections = [r for item in runs for r in item.rejections]
        for rejection in rejections:
            self.stderr.write(str(rejection))
        rows_hit = {(r.source, r.line) for r in rejections}
        if rejections and verbose:
            self.stdout.write(
                f"{len(rejections):,} problem(s) in {len(rows_hit):,} refused row(s), by reason "
                f"(every one is listed on stderr and in {where}):"
            )
            for line in refusal_summary(runs):
                self.stdout.write(line)
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
            refused = len(item.refused_rows)
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

    def _progress(self, rows: list[LegacyRow], name: str) -> Iterable[LegacyRow]:
        """``rows`` with their progress shown when there are many: a bar on a terminal,
        a plain line every few seconds otherwise (:meth:`LongCommand.progress`)."""
        if len(rows) > PROGRESS_MIN_ROWS:
            return self.progress(rows, total=len(rows), name=name)
        return rows
