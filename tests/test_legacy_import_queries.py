"""One import run reads the database rows of the imported ids once and decides each
row's change once, at one time: the decision that the refusal check takes is the one
the write carries out (``backend.legacy.importing.import_runs``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.legacy import active_tables
from backend.legacy.importing import import_runs
from backend.legacy.sources import TableRun, read_sources
from modules.payer.models import Payer
from tests.legacy_helpers import run_import

pytestmark = pytest.mark.django_db


def payer_run(path: Path) -> list[TableRun]:
    """The run of ``tblPayer`` alone, read from the CSV export at ``path``."""
    (table,) = [t for t in active_tables() if t.name == "tblPayer"]
    return read_sources([table], UTC, files={table.option: path})


@pytest.mark.parametrize(
    ("again", "expected"),
    [
        # the savepoint and its release; the payers' ids and uuids and the location ids
        # (validate); the payers of the file's ids (the one read of the rows to
        # replace); the INSERT (SQLite) or COPY (PostgreSQL) of the two new payers; the
        # table's check; on PostgreSQL, the id sequence's reset
        (False, 7),
        # the same, with nothing to write: the two payers are as in the file
        (True, 6),
    ],
    ids=["first", "again"],
)
def test_an_import_reads_the_rows_it_replaces_once(demo_dir, again, expected):
    # the demo locations, and its payers too when they are imported again
    run_import(*([str(demo_dir)] if again else ["--locations", str(demo_dir / "tblLocations.csv")]))
    runs = payer_run(demo_dir / "tblPayer.csv")

    with CaptureQueriesContext(connection) as captured:
        import_runs(runs, UTC)

    statements = [q["sql"] for q in captured.captured_queries]
    by_id = [s for s in statements if 'WHERE "payer_payer"."id" IN' in s]
    assert len(by_id) == 1, "\n".join(statements)
    resets = connection.vendor == "postgresql"
    assert len(statements) == expected + resets, "\n".join(statements)
    assert runs[0].counts.unchanged == (2 if again else 0)


def test_the_check_and_the_write_take_one_time(demo_dir, tmp_path, monkeypatch):
    """The wall clock steps back between the check and the write (an NTP correction):
    the write keeps the check's decision, at the check's time, rather than deciding
    again at another time (which refused, as a ValueError, a row the check accepted)."""
    run_import(str(demo_dir))
    started = datetime(2030, 1, 1, tzinfo=UTC)  # a version an earlier import started then
    Payer.objects.filter(pk=1).update(validity_from=started)
    changed = tmp_path / "tblPayer.csv"
    text = (demo_dir / "tblPayer.csv").read_text(encoding="utf-8")
    old = '"C","Coffee Farmers Association"'
    changed.write_text(text.replace(old, old[:-1] + ' Renamed"', 1), encoding="utf-8")
    runs = payer_run(changed)
    import_time, stepped_back = datetime(2030, 6, 1, tzinfo=UTC), datetime(2029, 6, 1, tzinfo=UTC)
    times = iter([import_time])
    monkeypatch.setattr(timezone, "now", lambda: next(times, stepped_back))

    refused = import_runs(runs, UTC)

    assert not refused and runs[0].counts.updated == 1
    current = Payer.objects.get(pk=1)
    (copy,) = Payer.objects.filter(legacy_id=1, pk__gt=2)
    assert (current.name, copy.name) == (
        "Coffee Farmers Association Renamed",
        "Coffee Farmers Association",
    )
    assert (copy.validity_from, copy.validity_to, current.validity_from) == (
        started,
        import_time,
        import_time,
    )
