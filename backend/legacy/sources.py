"""Where legacy rows come from: CSV exports, JSON exports or a live legacy database.

Every source turns a legacy table into :class:`~backend.legacy.rows.LegacyRow` objects
whose values are text (``None`` for SQL NULL), so that one mapping (each module's
``legacy`` submodule) serves them all: files are read by :mod:`backend.legacy.files`, a
database by :class:`backend.legacy.database.LegacyDatabase`. :func:`read_sources` reads
what the command line names, one :class:`TableRun` per table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from django.core.management.base import CommandError
from django.db import models

from backend.legacy.database import LegacyDatabase
from backend.legacy.files import find_exports, read_csv, read_json
from backend.legacy.rows import LegacyRow, Rejection
from backend.legacy.saving import LoadCounts, Plan
from backend.legacy.tables import LegacyTable


@dataclass
class TableRun:
    """One table of one import run: the table, where its rows came from (a file path or
    the database's label), the rows read and the refusals.

    Reading fills ``rows`` and ``rejections``; the import adds the validated
    ``objects`` (and its own refusals), the ``plan`` of what becomes of the rows already
    in the database (:func:`~backend.legacy.saving.plan_changes`) and, once loaded, the
    ``counts``.
    """

    table: LegacyTable
    source: str
    rows: list[LegacyRow]
    rejections: list[Rejection]
    objects: list[models.Model] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    counts: LoadCounts | None = None
    #: ``(column, what)`` -> values of the rows stored that are stored otherwise than they
    #: came (``LegacyContext.note``); empty when nothing is written
    notes: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def refused_rows(self) -> set[tuple[str, int]]:
        """The places (source, line) of the refused rows."""
        return {(r.source, r.line) for r in self.rejections}


def read_sources(
    tables: Sequence[LegacyTable],
    time_zone: tzinfo,
    *,
    directory: Path | None = None,
    files: Mapping[str, Path] | None = None,
    database_url: str | None = None,
) -> list[TableRun]:
    """Read every source named, in the order of ``tables``: one :class:`TableRun` each.

    Give exactly one of ``directory`` (a folder of exports, ``<name>.csv`` or
    ``<name>.json`` per table, see :func:`~backend.legacy.files.find_exports`), ``files``
    (table option -> the path of its export, ``{"locations": Path(...)}``; a ``.json``
    suffix is read as JSON, anything else as CSV) or ``database_url`` (every table from a
    live legacy database). Raises CommandError naming the options (``--locations PATH``)
    when none or several are given, and for unreadable sources.
    """
    given = [(t, Path(files[t.option])) for t in tables if files and files.get(t.option)]
    flags = " ".join(f"--{t.option} PATH" for t in tables)
    if database_url:
        if directory is not None or given:
            raise CommandError("Give either --database or export files, not both.")
        with LegacyDatabase(database_url) as database:
            return [
                TableRun(table, database.label, *database.read(table, time_zone))
                for table in tables
            ]
    if directory is not None and given:
        raise CommandError(f"Give either a directory or the files ({flags}), not both.")
    if directory is None:
        if not given:
            raise CommandError(f"Nothing to import: give a directory, {flags} or --database URL.")
        found = given
    else:
        found = find_exports(list(tables), directory)
    runs = []
    for table, path in found:
        if path.suffix.lower() == ".json":
            rows, bad = read_json(path, table, time_zone)
        else:
            rows, bad = read_csv(path, table)
        runs.append(TableRun(table, str(path), rows, bad))
    return runs
