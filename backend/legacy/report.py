"""The report of an import run: every source row with its outcome and the reason of a
refusal.

On PostgreSQL the records go to the ``legacy_staging`` table (JSONB rows,
:class:`backend.legacy.staging.models.StagingRow`), on other databases to a JSON Lines
file (``legacy-import-<time>-<run>.jsonl`` in ``settings.LEGACY_REPORT_DIR``); a path
given writes the file on PostgreSQL as well.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from backend.legacy.sources import TableRun
from backend.legacy.staging.models import StagingRow

NOT_LOADED, REFUSED = StagingRow.Outcome.NOT_LOADED.value, StagingRow.Outcome.REFUSED.value


def write_report(
    run: uuid.UUID, started: datetime, runs: list[TableRun], path: Path | None = None
) -> str:
    """Write the records of ``runs`` (:func:`report_records`) to the staging table
    (PostgreSQL) and/or a JSON Lines file; return where they are, for messages
    (``"table legacy_staging (run …)"``, the file path, or both joined by "and")."""
    records = report_records(run, started, runs)
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
                outcome = outcomes.get(item.table.row_id(row), NOT_LOADED)
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
