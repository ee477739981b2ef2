"""``manage.py export_legacy DIR [--format csv|json|both] [--user NAME]``: the module
tables as legacy exports.

Writes ``DIR/tblLocations.csv``, ``DIR/tblPayer.csv`` (and/or ``.json``), one file per
legacy table of the active modules, with every row (current and history) by id, in the
shape ``import_legacy`` reads (see :mod:`backend.legacy.export`). An operator's command
(it reads the database as a dump would): every row, unless ``--user`` names a user
whose district rights choose the rows (what that user may read, :mod:`backend.rights`).
Existing files of those names are replaced. Importing the files into an empty database
and exporting again gives the same bytes. Values are written as stored, also those a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, ...): the command warns
with their number and the first (see :mod:`backend.legacy.export`). Dates are written in
``LEGACY_TIME_ZONE``; when it is not the zone the data were imported in, the command
refuses before writing anything, unless ``--time-zone-change``
(:mod:`backend.legacy.zone`).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from backend.legacy import active_tables, legacy_time_zone
from backend.legacy.export import export_table
from backend.legacy.zone import OPTION, check_time_zone
from backend.management.long_command import LongCommand


class Command(LongCommand):
    help = (
        "Export the module tables (current and history rows) as legacy openIMIS CSV and/or "
        "JSON files (tblLocations.csv, tblPayer.csv, ...), the shape import_legacy reads."
    )

    stopped = "the files written so far may be incomplete"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Folder to write into (created).")
        parser.add_argument(
            "--format",
            choices=["csv", "json", "both"],
            default="both",
            help="File format (default: both).",
        )
        parser.add_argument(
            "--user",
            help="Export only the rows this user (username) may read (district rights).",
        )
        parser.add_argument(
            OPTION,
            action="store_true",
            help="Export although LEGACY_TIME_ZONE differs from the zone the data were "
            "imported in (every date is written shifted by the difference).",
        )

    def handle(self, *args, directory: Path, format: str = "both", **options) -> None:
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"Not a directory: {directory}")
        user = None
        if options.get("user"):
            user = get_user_model()._default_manager.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is named {options['user']!r}.")
        time_zone, tables = legacy_time_zone(), active_tables()
        change = options.get("time_zone_change", False)
        check_time_zone(time_zone, tables, "export_legacy", change=change)
        directory.mkdir(parents=True, exist_ok=True)
        formats = ["csv", "json"] if format == "both" else [format]
        for table in tables:
            for fmt in formats:
                exported = export_table(table, directory, fmt, time_zone, user)
                if options["verbosity"] >= 1:
                    self.stdout.write(f"{table.model} -> {exported.path}: {exported.rows} rows")
                if exported.formula_like and options["verbosity"] >= 1:
                    self.stdout.write(
                        self.style.WARNING(
                            f"{exported.path.name}: {exported.formula_like} value(s) begin "
                            "with =, +, -, @, a tab or a carriage return (first: "
                            f"{exported.first_formula_like}), written as stored for "
                            "import_legacy; a spreadsheet program may run them as formulas: "
                            "open the file as text (README, 'Export back')."
                        )
                    )
