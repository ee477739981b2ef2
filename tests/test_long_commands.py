"""The operator's long commands (``backend/management/long_command.py``): no request
statement timeout, and one line without a traceback on Ctrl-C or a database error.

The rows are a legacy ``tblLocations`` export (``shared/data/openimis-demo/README.md``):
a region with districts, municipalities and villages below it.
"""

from __future__ import annotations

import gc
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backend.legacy import saving
from backend.management.commands.export_legacy import Command as ExportLegacy
from backend.management.commands.import_fhir import Command as ImportFhir
from backend.management.long_command import INTERRUPTED, LongCommand
from modules.location.legacy import COLUMNS
from modules.location.management.commands.load_cambodia import Command as LoadCambodia
from modules.location.models import Location
from modules.payer.legacy import COLUMNS as PAYER_COLUMNS
from modules.payer.management.commands.generate_payers import Command as GeneratePayers
from tests.legacy_helpers import run_import

ROOT = Path(__file__).resolve().parent.parent


def hierarchy_csv(folder: Path, districts: int, wards: int, villages: int) -> int:
    """Write ``folder/tblLocations.csv``: one region, ``districts`` districts, ``wards``
    municipalities per district and ``villages`` villages per municipality, and a
    ``tblPayer.csv`` without rows (a folder holds every active table); return the number
    of locations."""
    lines = [",".join(COLUMNS)]

    def add(parent: int | None, type_: str) -> int:
        pk = len(lines)
        lines.append(
            f'{pk},"{uuid.UUID(int=pk)}","C{pk}","Place {pk}",{parent or ""},"{type_}",'
            '"2017-01-01T00:00:00.000",,,1,,,,'
        )
        return pk

    region = add(None, "R")
    for _d in range(districts):
        district = add(region, "D")
        for _w in range(wards):
            ward = add(district, "W")
            for _v in range(villages):
                add(ward, "V")
    (folder / "tblLocations.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    (folder / "tblPayer.csv").write_text(",".join(PAYER_COLUMNS) + "\r\n", encoding="utf-8")
    return len(lines) - 1


def test_every_long_command_shares_the_base():
    for command in (ExportLegacy, ImportFhir, LoadCambodia, GeneratePayers):
        assert issubclass(command, LongCommand)
    assert ExportLegacy.stopped == "the files written so far may be incomplete"
    assert ImportFhir.stopped == "nothing was written"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout: PostgreSQL")
@pytest.mark.django_db
def test_an_import_is_not_cut_by_the_request_statement_timeout(tmp_path):
    rows = hierarchy_csv(tmp_path, districts=10, wards=10, villages=20)  # 2,111 rows
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")  # 1 ms: every COPY would be cut
    try:
        out, _ = run_import(str(tmp_path))
        with connection.cursor() as cursor:  # the connection's own timeout is back
            cursor.execute("SHOW statement_timeout")
            after = cursor.fetchone()
    finally:  # the test's end checks the deferred foreign keys
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")

    assert Location.objects.count() == rows == 2111
    assert "2111 created" in out
    assert after == ("1ms",)


@pytest.mark.django_db
def test_a_database_error_is_one_line_naming_the_cause_and_nothing_is_written(tmp_path):
    hierarchy_csv(tmp_path, districts=2, wards=2, villages=2)
    table = Location._meta.db_table
    with connection.cursor() as cursor:  # the database refuses every new location
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END"
            )

    with pytest.raises(CommandError) as error:
        run_import(str(tmp_path))

    assert str(error.value) == (
        "The database stopped the command: disk full (simulated); nothing was written."
    )
    assert Location.objects.count() == 0


@pytest.mark.django_db
def test_ctrl_c_during_an_import_is_one_line_exit_130_and_nothing_is_written(tmp_path, monkeypatch):
    hierarchy_csv(tmp_path, districts=2, wards=2, villages=2)
    insert = saving.bulk_insert

    def insert_then_interrupt(objects):
        insert(objects)
        assert Location.objects.count() == 15  # written inside the import's transaction
        assert not gc.isenabled()  # paused for the import (cyclic_gc_paused)
        raise KeyboardInterrupt

    monkeypatch.setattr(saving, "bulk_insert", insert_then_interrupt)

    with pytest.raises(CommandError) as error:
        run_import(str(tmp_path))

    assert str(error.value) == "Interrupted; nothing was written."
    assert error.value.returncode == INTERRUPTED == 130
    assert Location.objects.count() == 0
    assert gc.isenabled()  # on again after the interrupted import


@pytest.mark.django_db
def test_an_import_pauses_cyclic_gc_and_leaves_it_as_it_was(tmp_path, monkeypatch):
    """The import runs without automatic cyclic collections (they walked every row read,
    a third of its CPU time) and leaves the setting as it found it."""
    hierarchy_csv(tmp_path, districts=2, wards=2, villages=2)
    insert, during = saving.bulk_insert, []

    def insert_and_look(objects):
        during.append(gc.isenabled())
        insert(objects)

    monkeypatch.setattr(saving, "bulk_insert", insert_and_look)
    run_import(str(tmp_path))
    assert during == [False] and gc.isenabled()
    assert Location.objects.count() == 15

    gc.disable()
    try:
        run_import(str(tmp_path))  # unchanged: nothing inserted
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_sigint_to_a_running_import_prints_one_line_and_exits_130(tmp_path, migrated_sqlite):
    """A real Ctrl-C: ``manage.py import_legacy`` in its own process on a SQLite file,
    SIGINT once it has read the file (it then validates 22,021 rows for seconds)."""
    hierarchy_csv(tmp_path, districts=20, wards=20, villages=54)
    env = {
        **os.environ,
        "DATABASE_URL": migrated_sqlite(tmp_path / "db.sqlite3"),
        "LEGACY_REPORT_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    process = subprocess.Popen(
        [*manage, "import_legacy", str(tmp_path), "--skip-checks"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C reaches the command as in a terminal even when the tests run as a
        # background job (.ci/run: `make test &`), which a shell starts with SIGINT
        # ignored; Python keeps an ignored SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout.readline().startswith("reading the legacy tables (at ")  # a pipe
    assert process.stdout.readline().startswith("tblLocations: 22021 rows in ")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 130
    assert err == "CommandError: Interrupted; nothing was written.\n"
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        assert database.execute(f"SELECT count(*) FROM {Location._meta.db_table}").fetchone() == (
            0,
        )


@pytest.mark.parametrize("count", [-1, 1_000_001, 99_999_999_999])
def test_generate_payers_refuses_a_count_out_of_range(db, count):
    with pytest.raises(CommandError) as refused:
        call_command("generate_payers", "--count", str(count))
    assert str(refused.value) == f"--count must be from 0 to 1,000,000 (got {count:,})."
