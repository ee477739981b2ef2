"""The report of an import run: every source row with its outcome and the reason of a
refusal.

On PostgreSQL the records go to the ``legacy_staging`` table (JSONB rows,
:class:`backend.legacy.staging.models.StagingRow`), on other databases to a JSON Lines
file (``legacy-import-<time>-<run>.jsonl`` in ``settings.LEGACY_REPORT_DIR``); a path
given writes the file on PostgreSQL as well. :func:`refusal_summary` counts the
refusals per reason, for the end of the command's output.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter, defaultdict
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


#: The variable parts of a reason (uuids, quoted values, numbers), replaced by ``…`` so
#: that "ParentLocationId 99 names no location" and "ParentLocationId 12 names no
#: location" are one reason.
_VARIABLE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
    r"|(?<![\w.])-?\d+(?:\.\d+)?(?![\w])"
)


def reason_kind(reason: str) -> str:
    """What ``reason`` is grouped by in the summary: the kind of a
    :class:`~backend.legacy.rows.Reason` (its template with the row's values shown as
    ``…``); for a plain text, the text with its values (uuids, quoted text, numbers)
    replaced by ``…``: ``"ParentLocationId … names no location"``. Quoted text keeps
    its quotes."""
    kind = getattr(reason, "kind", None)
    if kind is not None:
        return kind

    def blank(match: re.Match) -> str:
        text = match.group(0)
        return f"{text[0]}…{text[0]}" if text[0] in "'\"" else "…"

    return _VARIABLE.sub(blank, reason)


def refusal_summary(runs: list[TableRun], *, reasons: int = 15, examples: int = 3) -> list[str]:
    """The refusals of ``runs`` counted per table and reason (:func:`reason_kind`), most
    frequent first, each with its first ``examples`` row keys (``LocationId 17``): one
    line per reason, at most ``reasons`` lines and one saying what is left out, so
    thousands of refusals stay a screenful. Empty when nothing is refused."""
    counts: Counter[tuple[str, str]] = Counter()
    keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in runs:
        for rejection in item.rejections:
            kind = (item.table.name, reason_kind(rejection.reason))
            counts[kind] += 1
            if rejection.key not in keys[kind]:
                keys[kind].append(rejection.key)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    lines = []
    for (table, kind), count in ranked[:reasons]:
        shown = keys[(table, kind)]
        more = ", …" if len(shown) > examples else ""
        lines.append(f"  {count:>7,}  {table}: {kind} (e.g. {', '.join(shown[:examples])}{more})")
    if len(ranked) > reasons:
        rest = ranked[reasons:]
        lines.append(
            f"  {sum(c for _k, c in rest):>7,}  {len(rest)} other reason(s), "
            "in the full list and the report"
        )
    return lines


def note_summary(runs: list[TableRun]) -> list[str]:
    """The values of ``runs`` stored otherwise than they came, counted per table, column
    and how (``TableRun.notes``), most frequent first: ``"      12  tblLocations:
    ValidityFrom: a 7th fractional digit dropped (…)"``. Empty when there is none."""
    counts = [
        (count, item.table.name, column, what)
        for item in runs
        for (column, what), count in item.notes.items()
    ]
    counts.sort(key=lambda entry: (-entry[0], entry[1:]))
    return [f"  {count:>7,}  {table}: {column}: {what}" for count, table, column, what in counts]
